//! What the Twilio routes remember: at most one verification per number (found by its number
//! or its `sid`) until it expires or ends. Twilio's rules, as its reference states them: a send
//! while a verification is pending re-sends the same code on the same `sid`; a verification
//! lives 10 minutes from its creation (the service's lifetime, configurable); a check after the
//! 5th is refused (60202) and the verification is then gone for checks, but no new one starts
//! before it expires; an approved, cancelled or expired verification is deleted (404
//! afterwards); a 6th send within one verification's life is refused (60203).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use rand::Rng;

use crate::clock::to_delta;
use crate::codes::new_code;
use crate::config::SimConfig;

/// Checks one verification allows; the next is refused with 60202. The reference's Errors
/// table: "429 | 60202 | max check attempts reached: refused after **more than 5** checks of
/// one verification".
pub(crate) const MAX_CHECKS: u32 = 5;
/// Sends one verification allows; the next is refused with 60203. The reference's Errors
/// table: "429 | 60203 | max send attempts reached: more than 5 sends within one verification's
/// life (it ends when checked, cancelled or expired)".
pub(crate) const MAX_SENDS: usize = 5;

/// The channels a send may name (`Channel`), of those Twilio lists (the reference's Send table:
/// "`sms` (others: `call`, `whatsapp`, `email`, `sna`, `auto`)"): the three that deliver a code
/// to a phone number's handset. `email` needs an email address, `sna` (Silent Network Auth)
/// delivers no code and needs Twilio's approval, and `auto` lets Twilio pick; none of them is
/// simulated, so each is answered as an invalid parameter (Twilio's 60200 page: "`Channel`
/// parameter is not one of the accepted options, or you might not have access to the requested
/// channel").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    Sms,
    Call,
    WhatsApp,
}

impl Channel {
    /// The channel a send's `Channel` value names (exactly, as Twilio's values are lowercase).
    pub(crate) fn parse(value: &str) -> Option<Self> {
        match value {
            "sms" => Some(Self::Sms),
            "call" => Some(Self::Call),
            "whatsapp" => Some(Self::WhatsApp),
            _ => None,
        }
    }

    /// The value a send names it by, which the resource's `channel` and the inbox show.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Call => "call",
            Self::WhatsApp => "whatsapp",
        }
    }

    /// How `send_code_attempts[].channel` names it: upper case, as the reference's example
    /// shows `"SMS"` (the other two by the same rule, assumed).
    pub(crate) fn attempt_name(self) -> &'static str {
        match self {
            Self::Sms => "SMS",
            Self::Call => "CALL",
            Self::WhatsApp => "WHATSAPP",
        }
    }
}

/// One send of a verification's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendAttempt {
    pub(crate) time: DateTime<Utc>,
    pub(crate) channel: Channel,
    pub(crate) attempt_sid: String,
}

/// A verification as an answer shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verification {
    pub(crate) sid: String,
    pub(crate) to: String,
    pub(crate) code: String,
    /// The channel of the latest send: a resend on another channel moves it.
    pub(crate) channel: Channel,
    pub(crate) created: DateTime<Utc>,
    pub(crate) updated: DateTime<Utc>,
    /// `created` + the Verify Service's lifetime: a resend does not move it.
    pub(crate) expires: DateTime<Utc>,
    /// Checks processed (wrong codes: a right one ends the verification).
    pub(crate) checks: u32,
    pub(crate) attempts: Vec<SendAttempt>,
    /// A check beyond [`MAX_CHECKS`] was refused: gone for checks, but it keeps a new
    /// verification from starting until it expires.
    pub(crate) exhausted: bool,
}

/// How a check addresses its verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Sid(String),
    To(String),
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Checked {
    /// The right code: the verification is approved (and deleted).
    Approved(Verification),
    /// A wrong code: still pending.
    Wrong(Verification),
}

/// Why a check found nothing to check, or was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckRefused {
    /// No pending verification (never sent, approved, expired, exhausted): 404 20404.
    NotFound,
    /// A check after the last one allowed: 429 60202. The verification is exhausted from then on.
    MaxAttempts,
}

/// The number's verification was sent 5 times already, or is exhausted and not yet expired:
/// 429 60203.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MaxSendAttempts;

#[derive(Default)]
struct Book {
    verifications: HashMap<String, Verification>,
    number_of_sid: HashMap<String, String>,
}

impl Book {
    /// The verification of `to`, pending or exhausted, once an expired one is deleted.
    fn live(&mut self, to: &str, now: DateTime<Utc>) -> Option<&mut Verification> {
        let expired = self.verifications.get(to).is_some_and(|v| now >= v.expires);
        if expired {
            self.delete(to);
        }
        self.verifications.get_mut(to)
    }

    /// The pending verification `target` addresses.
    fn pending(&mut self, target: &Target, now: DateTime<Utc>) -> Option<&mut Verification> {
        let to = match target {
            Target::To(to) => to.clone(),
            Target::Sid(sid) => self.number_of_sid.get(sid)?.clone(),
        };
        self.live(&to, now).filter(|v| !v.exhausted)
    }

    fn delete(&mut self, to: &str) -> Option<Verification> {
        let verification = self.verifications.remove(to)?;
        self.number_of_sid.remove(&verification.sid);
        Some(verification)
    }
}

/// All of the Twilio routes' memory, behind one lock held for a few map operations.
#[derive(Default)]
pub(crate) struct TwilioStore {
    book: Mutex<Book>,
}

impl TwilioStore {
    /// Sends (or re-sends) the code of `to`'s verification on `channel`, unless it was sent 5
    /// times already or is exhausted. A resend on another channel (no SMS arrived, so a call)
    /// re-sends the same code on the same `sid`: the reference's "re-sends the same code on the
    /// same `sid`" names no channel, so none makes a difference.
    pub(crate) fn send(
        &self,
        to: &str,
        channel: Channel,
        now: DateTime<Utc>,
        config: &SimConfig,
    ) -> Result<Verification, MaxSendAttempts> {
        let mut book = self.book.lock();
        let attempt = SendAttempt {
            time: now,
            channel,
            attempt_sid: sid("VL"),
        };
        if let Some(live) = book.live(to, now) {
            // The 60202 page: after the 5th check "you will need to wait until the current
            // verification expires (10 minutes) to create a new verification".
            if live.exhausted || live.attempts.len() >= MAX_SENDS {
                return Err(MaxSendAttempts);
            }
            live.attempts.push(attempt);
            live.channel = channel;
            live.updated = now;
            return Ok(live.clone());
        }
        let verification = Verification {
            sid: sid("VE"),
            to: to.to_owned(),
            code: new_code(config),
            channel,
            created: now,
            updated: now,
            expires: now + to_delta(config.twilio.verification_lifetime),
            checks: 0,
            attempts: vec![attempt],
            exhausted: false,
        };
        book.number_of_sid
            .insert(verification.sid.clone(), to.to_owned());
        book.verifications
            .insert(to.to_owned(), verification.clone());
        Ok(verification)
    }

    /// Checks `code` against the pending verification `target` addresses.
    pub(crate) fn check(
        &self,
        target: &Target,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<Checked, CheckRefused> {
        let mut book = self.book.lock();
        let pending = book.pending(target, now).ok_or(CheckRefused::NotFound)?;
        pending.updated = now;
        if pending.checks >= MAX_CHECKS {
            pending.exhausted = true;
            return Err(CheckRefused::MaxAttempts);
        }
        pending.checks += 1;
        if pending.code != code {
            return Ok(Checked::Wrong(pending.clone()));
        }
        let to = pending.to.clone();
        let approved = book.delete(&to).ok_or(CheckRefused::NotFound)?;
        Ok(Checked::Approved(approved))
    }

    /// Ends the pending verification `target` addresses (a cancel, or an approval by update),
    /// and returns it as it was; `None` when there is none.
    pub(crate) fn end(&self, target: &Target, now: DateTime<Utc>) -> Option<Verification> {
        let mut book = self.book.lock();
        let pending = book.pending(target, now)?;
        pending.updated = now;
        let to = pending.to.clone();
        book.delete(&to)
    }

    /// The number `target` addresses, for faults armed for a number.
    pub(crate) fn number_of(&self, target: &Target) -> Option<String> {
        match target {
            Target::To(to) => Some(to.clone()),
            Target::Sid(sid) => self.book.lock().number_of_sid.get(sid).cloned(),
        }
    }

    /// Forgets every verification and send.
    pub(crate) fn reset(&self) {
        *self.book.lock() = Book::default();
    }
}

/// A Twilio SID: the prefix and 32 lowercase hexadecimal characters.
pub(crate) fn sid(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::rng().random::<u128>())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 0).unwrap() + chrono::TimeDelta::seconds(secs)
    }

    fn config() -> SimConfig {
        SimConfig::default().fixed_code("123456")
    }

    #[test]
    fn a_resend_while_pending_keeps_the_sid_and_the_code() {
        let store = TwilioStore::default();
        let first = store
            .send("+15017122661", Channel::Sms, at(0), &config())
            .expect("sent");
        let again = store
            .send("+15017122661", Channel::Sms, at(30), &config())
            .expect("sent");
        assert_eq!(again.sid, first.sid);
        assert_eq!(again.attempts.len(), 2);
        // Past the lifetime a send starts a new verification.
        let later = store
            .send("+15017122661", Channel::Sms, at(601), &config())
            .expect("sent");
        assert_ne!(later.sid, first.sid);
    }

    #[test]
    fn a_resend_on_another_channel_keeps_the_sid_and_the_code_and_names_the_new_channel() {
        let store = TwilioStore::default();
        let sms = store
            .send("+15017122661", Channel::Sms, at(0), &config())
            .expect("sent");
        let call = store
            .send("+15017122661", Channel::Call, at(30), &config())
            .expect("sent");
        assert_eq!((&call.sid, &call.code), (&sms.sid, &sms.code));
        assert_eq!(call.channel, Channel::Call);
        let channels: Vec<_> = call.attempts.iter().map(|a| a.channel).collect();
        assert_eq!(channels, [Channel::Sms, Channel::Call]);
    }

    #[test]
    fn only_sms_call_and_whatsapp_are_channels() {
        for channel in [Channel::Sms, Channel::Call, Channel::WhatsApp] {
            assert_eq!(Channel::parse(channel.name()), Some(channel));
        }
        for other in ["email", "sna", "auto", "SMS", "", "sms "] {
            assert_eq!(Channel::parse(other), None, "{other:?}");
        }
    }

    #[test]
    fn a_check_after_the_fifth_is_refused_and_no_new_verification_starts_before_expiry() {
        let store = TwilioStore::default();
        let sent = store
            .send("+15017122661", Channel::Sms, at(0), &config())
            .expect("sent");
        let target = Target::Sid(sent.sid.clone());
        for _ in 0..MAX_CHECKS {
            assert!(matches!(
                store.check(&target, "000000", at(1)),
                Ok(Checked::Wrong(_))
            ));
        }
        assert_eq!(
            store.check(&target, "123456", at(1)),
            Err(CheckRefused::MaxAttempts)
        );
        assert_eq!(
            store.check(&target, "123456", at(1)),
            Err(CheckRefused::NotFound)
        );
        assert_eq!(
            store.send("+15017122661", Channel::Sms, at(599), &config()),
            Err(MaxSendAttempts)
        );
        let next = store
            .send("+15017122661", Channel::Sms, at(600), &config())
            .expect("a new verification once the old one expired");
        assert_ne!(next.sid, sent.sid);
    }

    #[test]
    fn an_approved_or_expired_verification_is_gone() {
        let store = TwilioStore::default();
        store
            .send("+15017122661", Channel::Sms, at(0), &config())
            .expect("sent");
        let target = Target::To("+15017122661".into());
        assert!(matches!(
            store.check(&target, "123456", at(1)),
            Ok(Checked::Approved(_))
        ));
        assert_eq!(
            store.check(&target, "123456", at(2)),
            Err(CheckRefused::NotFound)
        );
        store
            .send("+15017122661", Channel::Sms, at(10), &config())
            .expect("sent");
        assert_eq!(
            store.check(&target, "123456", at(610)),
            Err(CheckRefused::NotFound)
        );
    }

    #[test]
    fn a_sixth_send_within_one_verification_is_refused_and_a_new_one_may_send_again() {
        let store = TwilioStore::default();
        for i in 0..5 {
            store
                .send("+15017122661", Channel::Sms, at(i), &config())
                .expect("within the limit");
        }
        assert_eq!(
            store.send("+15017122661", Channel::Sms, at(5), &config()),
            Err(MaxSendAttempts)
        );
        let target = Target::To("+15017122661".into());
        assert!(matches!(
            store.check(&target, "123456", at(6)),
            Ok(Checked::Approved(_))
        ));
        assert!(
            store
                .send("+15017122661", Channel::Sms, at(7), &config())
                .is_ok()
        );
    }
}
