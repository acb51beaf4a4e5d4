//! What a row holds and how each record maps to it, in one place for both backends: pure
//! functions, no SQL. Reading a row that is not a valid record is
//! [`StoreError::Corrupt`], with the attempt's id (not personal data) and never the number.
//! The names in `refusal_reason`, `verdict` and `error_class` are their enums' own (`as_str`,
//! read back with `FromStr`); a name this version does not know is corrupt too. The
//! verification status is the provider's and may be one nobody named: [`status_column`]
//! writes and reads it, every spelling of earlier versions included.

use std::time::Duration;

use chrono::{DateTime, Utc};
use phone_verify_app::{
    AttemptId, AttemptRecord, CheckOutcome, CheckRecord, CheckState, ErrorClass, MaskedNumber,
    NewSend, NumberDigest, NumberKeyId, ProtectedNumber, SendOutcome, SendRecord, SendState,
    StoreError, StoredNumber,
};
use phone_verify_domain::{PhoneNumber, ProviderName, ReferenceId, TrustValidationId, UnknownName};
use uuid::Uuid;

use crate::corrupt::{CorruptRow, Defect};
use crate::failure::{SqlFailure, SqlFailureKind};
use crate::status_column;

pub(crate) const SEND: &str = "send";
pub(crate) const CHECK: &str = "check";

/// The columns of a row's number: `phone_e164` in clear, or the three of a protected number
/// (`phone_digest`, `phone_key`, `phone_masked`); a constraint keeps exactly one form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NumberColumns {
    pub(crate) e164: Option<String>,
    pub(crate) digest: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) masked: Option<String>,
}

impl NumberColumns {
    /// The number as [`sql::COUNTED_SENDS_TO_RANGE_AFTER`](crate::sql) reads a row's: the
    /// E.164 form in clear, else the digest.
    pub(crate) fn identity(&self) -> String {
        self.e164
            .clone()
            .or_else(|| self.digest.clone())
            .unwrap_or_default()
    }

    /// The columns of `number`, as the store is handed it.
    pub(crate) fn of(number: &StoredNumber) -> Self {
        match number {
            StoredNumber::Clear(phone) => Self {
                e164: Some(phone.e164().to_owned()),
                ..Self::default()
            },
            StoredNumber::Protected(protected) => Self {
                e164: None,
                digest: Some(protected.digest().to_string()),
                key: Some(protected.key().as_str().to_owned()),
                masked: Some(protected.masked().as_str().to_owned()),
            },
        }
    }
}

/// One row of `verification_attempts`, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredAttempt {
    pub(crate) id: Uuid,
    pub(crate) kind: String,
    pub(crate) number: NumberColumns,
    pub(crate) trust_validation: String,
    pub(crate) send_id: Option<Uuid>,
    pub(crate) reference: Option<String>,
    pub(crate) started_at_ns: i64,
    pub(crate) finished_at_ns: Option<i64>,
    pub(crate) outcome: Option<String>,
    pub(crate) error_class: Option<String>,
    pub(crate) refusal_reason: Option<String>,
    pub(crate) retry_after_ns: Option<i64>,
    pub(crate) verdict: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) status_code: Option<i64>,
    pub(crate) submitted_at_ns: Option<i64>,
    /// The provider of the send (of a check: of its send).
    pub(crate) provider: String,
    /// The channel of the send, by its stable name (of a check: the default, not read).
    pub(crate) channel: String,
}

/// The columns of a new attempt, in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InFlightRow {
    pub(crate) id: Uuid,
    pub(crate) kind: &'static str,
    pub(crate) number: NumberColumns,
    /// Always [`UNRECORDED_TRUST_FLOW`]: the column stays for the releases that read it.
    pub(crate) trust_flow: i64,
    pub(crate) trust_validation: String,
    pub(crate) send_id: Option<Uuid>,
    pub(crate) reference: Option<String>,
    pub(crate) started_at_ns: i64,
    pub(crate) provider: String,
    /// The send's channel; a check row's is SMS, never read.
    pub(crate) channel: &'static str,
    /// The number's country calling code (`+60`), what the country budgets count by.
    pub(crate) calling_code: String,
    /// A send's number range, when the guard of ranges is on; a check's is none.
    pub(crate) number_range: Option<String>,
    /// A send's client digest, when its request names a client and the guard of clients is
    /// on; a check's is none.
    pub(crate) client_digest: Option<String>,
    /// A send's number prefix, when the conversion breaker measures prefixes; a check's is
    /// none.
    pub(crate) number_prefix: Option<String>,
}

/// What a new row keeps in `trust_flow`: nothing of meaning. The Trust Flow is IDMeta's
/// client's setting since it left the port's requests (`docs/provider-api.md`, "The Trust
/// Flow"); the column stays (`NOT NULL`) so that earlier releases still read new rows.
pub(crate) const UNRECORDED_TRUST_FLOW: i64 = 0;

/// The columns an outcome sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OutcomeColumns {
    pub(crate) outcome: &'static str,
    pub(crate) error_class: Option<&'static str>,
    pub(crate) refusal_reason: Option<&'static str>,
    pub(crate) retry_after_ns: Option<i64>,
    pub(crate) verdict: Option<&'static str>,
    pub(crate) status: Option<String>,
    pub(crate) status_code: Option<i64>,
    pub(crate) reference: Option<String>,
    pub(crate) submitted_at_ns: Option<i64>,
    /// Whether the attempt still counts against the guards.
    pub(crate) counts: bool,
}

pub(crate) fn uuid(id: AttemptId) -> Uuid {
    Uuid::from_u128(id.as_u128())
}

fn attempt_id(id: Uuid) -> AttemptId {
    AttemptId::from_u128(id.as_u128())
}

/// An instant to store: nanoseconds since the Unix epoch, UTC.
///
/// # Errors
///
/// [`SqlFailureKind::Unrepresentable`] outside 1677-09-21 to 2262-04-11.
pub(crate) fn nanos(at: DateTime<Utc>) -> Result<i64, StoreError> {
    at.timestamp_nanos_opt().ok_or_else(|| {
        StoreError::unavailable(SqlFailure::new(
            SqlFailureKind::Unrepresentable,
            "an instant outside 1677-09-21 to 2262-04-11",
        ))
    })
}

/// An instant as a query bound: clamped to the storable range, so a bound far in the past
/// or the future still selects what it should.
pub(crate) fn bound(at: DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(if at.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

fn instant(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

impl InFlightRow {
    pub(crate) fn send(send: &NewSend) -> Result<Self, StoreError> {
        Ok(Self {
            id: uuid(send.id),
            kind: SEND,
            number: NumberColumns::of(&send.number),
            trust_flow: UNRECORDED_TRUST_FLOW,
            trust_validation: send.trust_validation.as_str().to_owned(),
            send_id: None,
            reference: None,
            started_at_ns: nanos(send.started_at)?,
            provider: send.provider.as_str().to_owned(),
            channel: send.channel.as_str(),
            calling_code: send.number.calling_code().to_owned(),
            number_range: send.range.as_ref().map(|range| range.as_str().to_owned()),
            client_digest: send
                .client
                .as_ref()
                .map(|client| client.as_str().to_owned()),
            number_prefix: send
                .prefix
                .as_ref()
                .map(|prefix| prefix.as_str().to_owned()),
        })
    }

    /// The row of `check`, a check of a send that went to `provider`.
    pub(crate) fn check(check: &CheckRecord, provider: &ProviderName) -> Result<Self, StoreError> {
        Ok(Self {
            id: uuid(check.id),
            kind: CHECK,
            number: NumberColumns::of(&check.number),
            trust_flow: UNRECORDED_TRUST_FLOW,
            trust_validation: check.trust_validation.as_str().to_owned(),
            send_id: Some(uuid(check.send)),
            reference: check.reference.as_ref().map(|r| r.as_str().to_owned()),
            started_at_ns: nanos(check.started_at)?,
            provider: provider.as_str().to_owned(),
            channel: phone_verify_domain::Channel::Sms.as_str(),
            calling_code: check.number.calling_code().to_owned(),
            number_range: None,
            client_digest: None,
            number_prefix: None,
        })
    }
}

/// A wait as nanoseconds, saturating at about 292 years (a wait that long means "forever").
fn wait_nanos(wait: Duration) -> i64 {
    i64::try_from(wait.as_nanos()).unwrap_or(i64::MAX)
}

/// The `outcome` column of a send: a name per [`SendOutcome`] variant, written and read from
/// this one list. Writing matches every outcome and reading every name, so a new outcome does
/// not compile until it can be read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SendOutcomeName {
    Sent,
    Refused,
    RateLimited,
    NotSent,
    OutcomeUnknown,
}

phone_verify_domain::stable_names!(SendOutcomeName, "send outcome", {
    Sent => "sent",
    Refused => "refused",
    RateLimited => "rate_limited",
    NotSent => "not_sent",
    OutcomeUnknown => "outcome_unknown",
});

/// The `outcome` column of a check, as [`SendOutcomeName`] is of a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CheckOutcomeName {
    Answered,
    NoPendingCode,
    NotChecked,
    OutcomeUnknown,
}

phone_verify_domain::stable_names!(CheckOutcomeName, "check outcome", {
    Answered => "answered",
    NoPendingCode => "no_pending_code",
    NotChecked => "not_checked",
    OutcomeUnknown => "outcome_unknown",
});

impl OutcomeColumns {
    /// An outcome that is a failure of some class.
    fn failed(outcome: &'static str, class: Option<&ErrorClass>) -> Self {
        Self {
            outcome,
            error_class: class.map(ErrorClass::as_str),
            ..Self::default()
        }
    }

    /// The columns of a send's outcome.
    ///
    /// # Errors
    ///
    /// [`SqlFailureKind::Unrepresentable`] for a submit time outside the storable range.
    pub(crate) fn send(outcome: &SendOutcome) -> Result<Self, StoreError> {
        let counts = outcome.may_have_delivered();
        let columns = match outcome {
            SendOutcome::Sent {
                reference,
                submitted_at,
            } => Self {
                outcome: SendOutcomeName::Sent.as_str(),
                reference: Some(reference.as_str().to_owned()),
                submitted_at_ns: submitted_at.map(nanos).transpose()?,
                ..Self::default()
            },
            SendOutcome::Refused { reason } => Self {
                outcome: SendOutcomeName::Refused.as_str(),
                refusal_reason: Some(reason.as_str()),
                ..Self::default()
            },
            SendOutcome::RateLimited { retry_after } => Self {
                outcome: SendOutcomeName::RateLimited.as_str(),
                retry_after_ns: retry_after.map(wait_nanos),
                ..Self::default()
            },
            SendOutcome::NotSent { class } => {
                Self::failed(SendOutcomeName::NotSent.as_str(), Some(class))
            }
            SendOutcome::OutcomeUnknown { class } => {
                Self::failed(SendOutcomeName::OutcomeUnknown.as_str(), class.as_ref())
            }
        };
        Ok(Self { counts, ..columns })
    }

    /// The columns of a check's outcome.
    pub(crate) fn check(outcome: &CheckOutcome) -> Self {
        let counts = outcome.counts_as_attempt();
        let columns = match outcome {
            CheckOutcome::Answered {
                verdict,
                status,
                reference,
            } => {
                let (status, status_code) = status_column::write(status);
                Self {
                    outcome: CheckOutcomeName::Answered.as_str(),
                    verdict: Some(verdict.as_str()),
                    status: Some(status),
                    status_code,
                    reference: reference.as_ref().map(|r| r.as_str().to_owned()),
                    ..Self::default()
                }
            }
            CheckOutcome::NoPendingCode => Self {
                outcome: CheckOutcomeName::NoPendingCode.as_str(),
                ..Self::default()
            },
            CheckOutcome::NotChecked { class } => {
                Self::failed(CheckOutcomeName::NotChecked.as_str(), Some(class))
            }
            CheckOutcome::OutcomeUnknown { class } => {
                Self::failed(CheckOutcomeName::OutcomeUnknown.as_str(), class.as_ref())
            }
        };
        Self { counts, ..columns }
    }
}

/// Reads a row back as a record.
struct Reader<'a> {
    row: &'a StoredAttempt,
}

impl Reader<'_> {
    fn corrupt(&self, defect: Defect) -> StoreError {
        CorruptRow::of(Some(attempt_id(self.row.id)), defect)
    }

    fn required<'v, T>(
        &self,
        value: Option<&'v T>,
        column: &'static str,
    ) -> Result<&'v T, StoreError>
    where
        T: ?Sized,
    {
        value.ok_or_else(|| self.corrupt(Defect::Missing { column }))
    }

    /// The variant a stored name names, by the enum's own `FromStr`.
    fn named<T>(&self, name: &str, column: &'static str) -> Result<T, StoreError>
    where
        T: std::str::FromStr<Err = UnknownName>,
    {
        name.parse()
            .map_err(|source| self.corrupt(Defect::UnknownName { column, source }))
    }

    /// The number in the form the row keeps it.
    fn number(&self) -> Result<StoredNumber, StoreError> {
        let columns = &self.row.number;
        let (digest, key, masked) = match (
            &columns.e164,
            &columns.digest,
            &columns.key,
            &columns.masked,
        ) {
            (Some(e164), None, None, None) => {
                return PhoneNumber::parse(e164)
                    .map(StoredNumber::Clear)
                    .map_err(|_| self.corrupt(Defect::InvalidPhone));
            }
            (None, Some(digest), Some(key), Some(masked)) => (digest, key, masked),
            _ => return Err(self.corrupt(Defect::NumberForms)),
        };
        let invalid = |part| self.corrupt(Defect::InvalidProtectedNumber { part });
        let protected = ProtectedNumber::new(
            NumberKeyId::parse(key).map_err(|_| invalid("key id"))?,
            NumberDigest::parse_hex(digest).map_err(|_| invalid("digest"))?,
            MaskedNumber::parse(masked).map_err(|_| invalid("masked form"))?,
        );
        Ok(StoredNumber::Protected(Box::new(protected)))
    }

    fn trust_validation(&self) -> Result<TrustValidationId, StoreError> {
        TrustValidationId::parse(&self.row.trust_validation)
            .map_err(|_| self.corrupt(Defect::InvalidTrustValidation))
    }

    fn reference(&self) -> Result<Option<ReferenceId>, StoreError> {
        self.row
            .reference
            .as_deref()
            .map(|reference| {
                ReferenceId::parse(reference).map_err(|_| self.corrupt(Defect::InvalidReference))
            })
            .transpose()
    }

    fn error_class(&self) -> Result<Option<ErrorClass>, StoreError> {
        self.row
            .error_class
            .as_deref()
            .map(|name| self.named(name, "error_class"))
            .transpose()
    }

    fn required_error_class(&self) -> Result<ErrorClass, StoreError> {
        let name = self.required(self.row.error_class.as_deref(), "error_class")?;
        self.named(name, "error_class")
    }

    fn finished_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        match (self.row.outcome.is_some(), self.row.finished_at_ns) {
            (false, None) => Ok(None),
            (true, Some(at)) => Ok(Some(instant(at))),
            _ => Err(self.corrupt(Defect::OutcomeTimeDisagree)),
        }
    }

    fn send_outcome(&self, outcome: &str) -> Result<SendOutcome, StoreError> {
        Ok(match self.named(outcome, "outcome")? {
            SendOutcomeName::Sent => SendOutcome::Sent {
                reference: self
                    .reference()?
                    .ok_or_else(|| self.corrupt(Defect::SentWithoutReference))?,
                submitted_at: self.row.submitted_at_ns.map(instant),
            },
            SendOutcomeName::Refused => {
                let reason = self.required(self.row.refusal_reason.as_deref(), "refusal_reason")?;
                SendOutcome::Refused {
                    reason: self.named(reason, "refusal_reason")?,
                }
            }
            SendOutcomeName::RateLimited => SendOutcome::RateLimited {
                retry_after: self
                    .row
                    .retry_after_ns
                    .map(|ns| {
                        u64::try_from(ns)
                            .map(Duration::from_nanos)
                            .map_err(|_| self.corrupt(Defect::NegativeWait))
                    })
                    .transpose()?,
            },
            SendOutcomeName::NotSent => SendOutcome::NotSent {
                class: self.required_error_class()?,
            },
            SendOutcomeName::OutcomeUnknown => SendOutcome::OutcomeUnknown {
                class: self.error_class()?,
            },
        })
    }

    fn check_outcome(&self, outcome: &str) -> Result<CheckOutcome, StoreError> {
        Ok(match self.named(outcome, "outcome")? {
            CheckOutcomeName::Answered => {
                let verdict = self.required(self.row.verdict.as_deref(), "verdict")?;
                let status = self.required(self.row.status.as_deref(), "status")?;
                CheckOutcome::Answered {
                    verdict: self.named(verdict, "verdict")?,
                    status: status_column::read(status, self.row.status_code),
                    reference: self.reference()?,
                }
            }
            CheckOutcomeName::NoPendingCode => CheckOutcome::NoPendingCode,
            CheckOutcomeName::NotChecked => CheckOutcome::NotChecked {
                class: self.required_error_class()?,
            },
            CheckOutcomeName::OutcomeUnknown => CheckOutcome::OutcomeUnknown {
                class: self.error_class()?,
            },
        })
    }

    fn send(&self) -> Result<SendRecord, StoreError> {
        let state = match (self.finished_at()?, self.row.outcome.as_deref()) {
            (Some(at), Some(outcome)) => SendState::Finished {
                at,
                outcome: self.send_outcome(outcome)?,
            },
            _ => SendState::InFlight,
        };
        Ok(SendRecord {
            id: attempt_id(self.row.id),
            number: self.number()?,
            trust_validation: self.trust_validation()?,
            provider: ProviderName::parse(&self.row.provider)
                .map_err(|_| self.corrupt(Defect::InvalidProvider))?,
            channel: self
                .row
                .channel
                .parse()
                .map_err(|_| self.corrupt(Defect::UnknownChannel))?,
            started_at: instant(self.row.started_at_ns),
            state,
        })
    }

    fn check(&self) -> Result<CheckRecord, StoreError> {
        let state = match (self.finished_at()?, self.row.outcome.as_deref()) {
            (Some(at), Some(outcome)) => CheckState::Finished {
                at,
                outcome: self.check_outcome(outcome)?,
            },
            _ => CheckState::InFlight,
        };
        let send = self.required(self.row.send_id.as_ref(), "send_id")?;
        Ok(CheckRecord {
            id: attempt_id(self.row.id),
            send: attempt_id(*send),
            number: self.number()?,
            trust_validation: self.trust_validation()?,
            reference: self.reference()?,
            started_at: instant(self.row.started_at_ns),
            state,
        })
    }
}

impl StoredAttempt {
    /// The record this row holds.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] when it holds no valid record.
    pub(crate) fn into_record(self) -> Result<AttemptRecord, StoreError> {
        let reader = Reader { row: &self };
        match self.kind.as_str() {
            SEND => reader.send().map(AttemptRecord::Send),
            CHECK => reader.check().map(AttemptRecord::Check),
            _ => Err(reader.corrupt(Defect::UnknownKind)),
        }
    }

    /// The send this row holds.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] when it holds no valid send.
    pub(crate) fn into_send(self) -> Result<SendRecord, StoreError> {
        match self.into_record()? {
            AttemptRecord::Send(send) => Ok(send),
            AttemptRecord::Check(check) => {
                Err(CorruptRow::of(Some(check.id), Defect::CheckForSend))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished_send_row() -> StoredAttempt {
        StoredAttempt {
            id: Uuid::from_u128(7),
            kind: SEND.to_owned(),
            number: NumberColumns {
                e164: Some("+60182258491".to_owned()),
                ..NumberColumns::default()
            },
            trust_validation: "tv-a".to_owned(),
            send_id: None,
            reference: None,
            started_at_ns: 1_778_752_800_123_456_789,
            finished_at_ns: Some(1_778_752_801_000_000_000),
            outcome: Some("not_sent".to_owned()),
            error_class: Some("not_sent".to_owned()),
            refusal_reason: None,
            retry_after_ns: None,
            verdict: None,
            status: None,
            status_code: None,
            submitted_at_ns: None,
            provider: "idmeta".to_owned(),
            channel: "sms".to_owned(),
        }
    }

    /// The columns of a valid protected number.
    fn protected_columns() -> NumberColumns {
        NumberColumns {
            e164: None,
            digest: Some("ab".repeat(32)),
            key: Some("k1".into()),
            masked: Some("+60*****8491".into()),
        }
    }

    #[test]
    fn a_protected_row_reads_back_as_its_digest_key_and_masked_form() {
        let mut row = finished_send_row();
        row.number = protected_columns();
        let Ok(AttemptRecord::Send(send)) = row.into_record() else {
            panic!("a valid send");
        };
        let StoredNumber::Protected(protected) = send.number else {
            panic!("protected");
        };
        assert_eq!(protected.key().as_str(), "k1");
        assert_eq!(protected.digest().to_string(), "ab".repeat(32));
        assert_eq!(protected.masked().as_str(), "+60*****8491");
    }

    /// The whole message of the corrupt error, its sources included.
    fn corrupt_reason(row: StoredAttempt) -> String {
        match row.into_record() {
            Err(error @ StoreError::Corrupt { .. }) => {
                let mut reason = error.to_string();
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    reason = format!("{reason}: {cause}");
                    source = cause.source();
                }
                reason
            }
            other => panic!("expected a corrupt record, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_row_reads_back_with_its_nanoseconds() {
        let Ok(AttemptRecord::Send(send)) = finished_send_row().into_record() else {
            panic!("a valid send");
        };
        assert_eq!(send.started_at.timestamp_subsec_nanos(), 123_456_789);
        assert_eq!(
            send.outcome(),
            SendOutcome::NotSent {
                class: ErrorClass::NotSent
            }
        );
    }

    #[test]
    fn rows_that_hold_no_valid_record_are_corrupt_and_never_name_the_number() {
        type Breakage = (&'static str, fn(&mut StoredAttempt));
        let broken: [Breakage; 17] = [
            ("unknown kind", |row| row.kind = "call".into()),
            (
                "outcome holds an unknown name: not a known send outcome",
                |row| row.outcome = Some("lost".into()),
            ),
            (
                "outcome holds an unknown name: not a known check outcome",
                |row| {
                    row.kind = CHECK.into();
                    row.send_id = Some(Uuid::from_u128(1));
                    row.outcome = Some("sent".into());
                },
            ),
            ("error_class is missing", |row| row.error_class = None),
            (
                "error_class holds an unknown name: not a known error class",
                |row| {
                    row.error_class = Some("from_the_future".into());
                },
            ),
            (
                "refusal_reason holds an unknown name: not a known refusal reason",
                |row| {
                    row.outcome = Some("refused".into());
                    row.refusal_reason = Some("Forbidden".into());
                },
            ),
            (
                "verdict holds an unknown name: not a known check verdict",
                |row| {
                    row.kind = CHECK.into();
                    row.send_id = Some(Uuid::from_u128(1));
                    row.outcome = Some("answered".into());
                    row.verdict = Some("maybe".into());
                    row.status = Some("PENDING".into());
                },
            ),
            ("disagree", |row| row.finished_at_ns = None),
            ("not a valid E.164", |row| {
                row.number.e164 = Some("+6018225849".into());
            }),
            ("neither in clear nor protected", |row| {
                row.number.e164 = None
            }),
            ("neither in clear nor protected", |row| {
                row.number.digest = Some("ab".repeat(32));
            }),
            ("the protected number's masked form is not valid", |row| {
                row.number = protected_columns();
                row.number.masked = Some("+60182258491".into());
            }),
            ("the protected number's digest is not valid", |row| {
                row.number = protected_columns();
                row.number.digest = Some("+60182258491".into());
            }),
            ("trust validation id", |row| {
                row.trust_validation = String::new()
            }),
            ("a sent send has no reference", |row| {
                row.outcome = Some("sent".into());
            }),
            ("the provider name is not valid", |row| {
                row.provider = "IDMeta".into();
            }),
            ("the channel is not one this release knows", |row| {
                row.channel = "pigeon".into();
            }),
        ];
        for (expected, breaks) in broken {
            let mut row = finished_send_row();
            breaks(&mut row);
            let phone = "+60182258491";
            let reason = corrupt_reason(row);
            assert!(reason.contains(expected), "{reason:?} says {expected:?}");
            assert!(
                reason.contains("00000000-0000-0000-0000-000000000007"),
                "{reason:?} names the attempt"
            );
            assert!(!reason.contains(&phone[3..]), "{reason:?} hides the number");
        }
    }

    #[test]
    fn instants_outside_the_storable_range_are_refused_as_values_and_clamped_as_bounds() {
        let far = DateTime::<Utc>::MAX_UTC;
        assert!(matches!(nanos(far), Err(StoreError::Unavailable { .. })));
        assert_eq!(bound(far), i64::MAX);
        assert_eq!(bound(DateTime::<Utc>::MIN_UTC), i64::MIN);
        let unbounded = phone_verify_app::SendLimits {
            window: Duration::MAX,
            ..phone_verify_app::SendLimits::default()
        };
        assert_eq!(
            bound(unbounded.horizon_start(DateTime::<Utc>::MIN_UTC)),
            i64::MIN
        );
    }
}
