//! One line per record, for operators: what happened to which attempt, to whom (masked),
//! where and when. Built from the masked number and stable names only, never from a number in
//! clear (a record kept in clear shows its masked form) nor from provider text; a record holds
//! no code to show.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use phone_verify_domain::ErrorClass;

use super::{AttemptRecord, CheckOutcome, CheckRecord, SendOutcome, SendRecord};

/// In a few words: `sent (reference …)`, `refused (not_found)`, `rate limited (retry after
/// 30s)`, `not sent (unavailable)`, `outcome unknown (provider_fault)`, `outcome unknown
/// (abandoned)`, or `outcome unknown (in flight)` for an outcome never recorded.
impl fmt::Display for SendOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sent { reference, .. } => write!(f, "sent (reference {reference})"),
            Self::Refused { reason } => write!(f, "refused ({reason})"),
            Self::RateLimited {
                retry_after: Some(wait),
            } => write!(f, "rate limited (retry after {wait:?})"),
            Self::RateLimited { retry_after: None } => f.write_str("rate limited"),
            Self::NotSent { class } => write!(f, "not sent ({class})"),
            Self::OutcomeUnknown { class } => unknown(f, *class),
        }
    }
}

/// In a few words: the verdict by its stable name (`verified`, `wrong_code`, ...) with the
/// reference of the send the provider checked when it said, `no pending code`, `not checked
/// (not_sent)`, or an unknown outcome as for [`SendOutcome`].
impl fmt::Display for CheckOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Answered {
                verdict,
                reference: Some(reference),
                ..
            } => write!(f, "{verdict} (reference {reference})"),
            Self::Answered {
                verdict,
                reference: None,
                ..
            } => write!(f, "{verdict}"),
            Self::NoPendingCode => f.write_str("no pending code"),
            Self::NotChecked { class } => write!(f, "not checked ({class})"),
            Self::OutcomeUnknown { class } => unknown(f, *class),
        }
    }
}

/// An outcome that may or may not have happened: the failure's class, or in flight when none
/// was ever recorded.
fn unknown(f: &mut fmt::Formatter<'_>, class: Option<ErrorClass>) -> fmt::Result {
    match class {
        Some(class) => write!(f, "outcome unknown ({class})"),
        None => f.write_str("outcome unknown (in flight)"),
    }
}

/// A start time as RFC 3339 in UTC, fractions of a second only when there are some.
fn at(started_at: DateTime<Utc>) -> String {
    started_at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// One line: `send <id> to <masked number> via <provider>[ by <channel>] for <trust
/// validation>: <outcome> at <start>`, e.g. `send 00000000-0000-0000-0000-000000000001 to
/// +60*****8491 via idmeta for tv-1: sent (reference 0123…) at 2026-05-14T10:00:00Z`; the
/// channel is named when it is not SMS (`via twilio by call`). The number is masked even when
/// the record keeps it in clear.
impl fmt::Display for SendRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "send {} to {} via {}",
            self.id, self.number, self.provider
        )?;
        if self.channel != phone_verify_domain::Channel::Sms {
            write!(f, " by {}", self.channel)?;
        }
        write!(
            f,
            " for {}: {} at {}",
            self.trust_validation,
            self.outcome(),
            at(self.started_at),
        )
    }
}

/// One line: `check <id> of send <id> to <masked number> for <trust validation>: <outcome>
/// at <start>`, e.g. `check 00000000-0000-0000-0000-000000000002 of send
/// 00000000-0000-0000-0000-000000000001 to +60*****8491 for tv-1: wrong_code at
/// 2026-05-14T10:01:00Z`. The number is masked even when the record keeps it in clear; the
/// code was never recorded.
impl fmt::Display for CheckRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "check {} of send {} to {} for {}: {} at {}",
            self.id,
            self.send,
            self.number,
            self.trust_validation,
            self.outcome(),
            at(self.started_at),
        )
    }
}

/// The line of the send or of the check ([`SendRecord`], [`CheckRecord`]).
impl fmt::Display for AttemptRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Send(send) => send.fmt(f),
            Self::Check(check) => check.fmt(f),
        }
    }
}
