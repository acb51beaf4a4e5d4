//! What a provider says of a verification, in the domain's words: the meanings the domain
//! knows, each with a provider-neutral stable name (`stable_names!`), and an `Other` case
//! holding the provider's raw value, so a value no adapter maps is information, never an error.
//!
//! The providers' own vocabularies are not here: each adapter maps its wire values onto these
//! meanings in one function (IDMeta's upper-snake names and numeric codes in `idmeta-adapter`,
//! Twilio's lowercase statuses in `twilio-verify-adapter`). Which provider an `Other` value came
//! from is the record's to say (every send names its provider), not the value's.

use chrono::{DateTime, Utc};

/// The longest value a provider sent that [`unlisted_token`] keeps as it came.
pub const MAX_UNLISTED_LEN: usize = 32;

/// What [`unlisted_token`] keeps instead of a value that is not a short token.
pub const UNLISTED: &str = "unlisted";

/// A provider's unlisted value (a status or state no adapter maps), made fit to keep in a
/// record: the value itself when it is a short token (1 to [`MAX_UNLISTED_LEN`] bytes of ASCII
/// letters, digits, `_`, `-` and `.`, with at most 3 digits), else [`UNLISTED`].
///
/// The provider's word is data, not trusted text: a status that echoes the phone number, a
/// code, control characters or 64 KiB of text must never reach a record (a store given number
/// keys promises no clear number at rest) nor a log. A number, a code or a long id has more
/// than 3 digits, so none passes.
///
/// ```
/// use phone_verify_domain::{unlisted_token, UNLISTED};
/// assert_eq!(unlisted_token("ON_HOLD"), "ON_HOLD");
/// assert_eq!(unlisted_token("sent to +60182258491"), UNLISTED);
/// assert_eq!(unlisted_token("60182258491"), UNLISTED);
/// assert_eq!(unlisted_token("on\nhold"), UNLISTED);
/// assert_eq!(unlisted_token(&"a".repeat(33)), UNLISTED);
/// ```
pub fn unlisted_token(raw: &str) -> String {
    let fits = (1..=MAX_UNLISTED_LEN).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && raw.bytes().filter(u8::is_ascii_digit).count() <= 3;
    if fits { raw } else { UNLISTED }.to_owned()
}

/// Where a verification stands, as the provider reports it after a send or a check.
///
/// A provider reports only some of these (Twilio Verify: pending, verified, and rejected for an
/// expired code or too many attempts); the others are what IDMeta's Trust Validation can also
/// report. The stable names (`pending`, `verified`, ...) are the ones records keep.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VerificationStatus {
    /// A code was sent and not yet verified.
    Pending,
    /// The verification failed for good (an expired code, too many attempts).
    Rejected,
    /// The provider wants a person to review the verification.
    ReviewNeeded,
    /// The end user proved they hold the number.
    Verified,
    /// The verification was left unfinished.
    Incomplete,
    /// The verification is under way.
    InProgress,
    /// The verification failed.
    Failed,
    /// The provider holds nothing for the verification.
    Empty,
    /// A status the adapter has no meaning for, kept as the provider sent it.
    Other {
        /// The provider's raw status.
        name: String,
        /// The provider's numeric code for it, when one came with it.
        code: Option<i64>,
    },
}

crate::stable_names!(VerificationStatus, "verification status", {
    Pending => "pending",
    Rejected => "rejected",
    ReviewNeeded => "review_needed",
    Verified => "verified",
    Incomplete => "incomplete",
    InProgress => "in_progress",
    Failed => "failed",
    Empty => "empty",
}, other: Self::Other { name, .. } => name);

impl VerificationStatus {
    /// A status no adapter maps, kept as [`unlisted_token`] makes it fit to keep (never free
    /// text, never a number), with the provider's numeric code.
    pub fn unlisted(raw: &str, code: Option<i64>) -> Self {
        Self::Other {
            name: unlisted_token(raw),
            code,
        }
    }

    /// Whether no further code check can change this status.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Verified | Self::Rejected | Self::Failed)
    }
}

/// The state of the code of one send, after the provider's answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodeState {
    /// Sent, not yet checked.
    Unknown,
    /// The code matched.
    Valid,
    /// The code did not match; further attempts may follow.
    Invalid,
    /// The code's lifetime is over.
    Expired,
    /// Too many wrong codes: no further code of this send can match.
    MaxAttemptsExceeded,
    /// A state the adapter has no meaning for, kept as the provider sent it.
    Other(String),
}

impl CodeState {
    /// A state no adapter maps, kept as [`unlisted_token`] makes it fit to keep.
    pub fn unlisted(raw: &str) -> Self {
        Self::Other(unlisted_token(raw))
    }
}

crate::stable_names!(CodeState, "code state", {
    Unknown => "unknown",
    Valid => "valid",
    Invalid => "invalid",
    Expired => "expired",
    MaxAttemptsExceeded => "max_attempts_exceeded",
}, other: Self::Other(raw) => raw);

/// What the provider says of the SMS's delivery, and when it last changed (optional: not
/// every answer says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStatus {
    /// The delivery's state.
    pub state: DeliveryState,
    /// When the provider last updated it, if it said.
    pub updated_on: Option<DateTime<Utc>>,
}

/// The delivery state of an SMS.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryState {
    /// The provider accepted the SMS and is delivering it.
    InProgress,
    /// The SMS reached the handset.
    Delivered,
    /// The provider's answer says nothing of delivery (Twilio Verify's do not).
    NotReported,
    /// A state the adapter has no meaning for, kept as the provider sent it.
    Other {
        /// The provider's numeric code, when it has one.
        code: Option<i64>,
        /// The provider's text for it: display only, never branch on it.
        description: String,
    },
}

crate::stable_names!(DeliveryState, "delivery state", {
    InProgress => "in_progress",
    Delivered => "delivered",
    NotReported => "not_reported",
}, other: Self::Other { description, .. } => description);
