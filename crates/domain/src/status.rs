//! The provider's status vocabularies. Every enum keeps an `Other` case holding the raw value:
//! a value the documentation does not list is information, never an error.

use std::fmt;

use chrono::{DateTime, Utc};

/// The status of a Trust Validation as the provider reports it (`verificationStatus` and
/// `verificationStatusCode`).
///
/// The documented statuses are listed with their documented codes. Which table IDMeta's
/// `verificationStatusCode` follows is not documented (0 = `PENDING` and 3 = `VERIFIED` are
/// both seen), so the name decides the variant and [`VerificationStatus::code`] gives the
/// documented code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VerificationStatus {
    /// `PENDING` (0): a code was sent and not yet verified.
    Pending,
    /// `REJECTED` (1): the validation failed for good (expired code, too many attempts).
    Rejected,
    /// `REVIEW_NEEDED` (2).
    ReviewNeeded,
    /// `VERIFIED` (3): the end user proved they hold the number.
    Verified,
    /// `INCOMPLETE` (4).
    Incomplete,
    /// `IN_PROGRESS` (5).
    InProgress,
    /// `FAILED` (6).
    Failed,
    /// `EMPTY` (99).
    Empty,
    /// A status the documentation does not list, kept as sent.
    Other {
        /// The raw status string.
        name: String,
        /// The raw status code, when one came with it.
        code: Option<i64>,
    },
}

impl VerificationStatus {
    /// Maps the provider's string (and code, kept only for unknown strings) to a status.
    pub fn from_wire(name: &str, code: Option<i64>) -> Self {
        match name {
            "PENDING" => Self::Pending,
            "REJECTED" => Self::Rejected,
            "REVIEW_NEEDED" => Self::ReviewNeeded,
            "VERIFIED" => Self::Verified,
            "INCOMPLETE" => Self::Incomplete,
            "IN_PROGRESS" => Self::InProgress,
            "FAILED" => Self::Failed,
            "EMPTY" => Self::Empty,
            _ => Self::Other {
                name: name.to_owned(),
                code,
            },
        }
    }

    /// The upper-snake-case name the provider uses.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Pending => "PENDING",
            Self::Rejected => "REJECTED",
            Self::ReviewNeeded => "REVIEW_NEEDED",
            Self::Verified => "VERIFIED",
            Self::Incomplete => "INCOMPLETE",
            Self::InProgress => "IN_PROGRESS",
            Self::Failed => "FAILED",
            Self::Empty => "EMPTY",
            Self::Other { name, .. } => name,
        }
    }

    /// The documented numeric code, or the raw one for [`VerificationStatus::Other`].
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::Pending => Some(0),
            Self::Rejected => Some(1),
            Self::ReviewNeeded => Some(2),
            Self::Verified => Some(3),
            Self::Incomplete => Some(4),
            Self::InProgress => Some(5),
            Self::Failed => Some(6),
            Self::Empty => Some(99),
            Self::Other { code, .. } => *code,
        }
    }

    /// Whether no further code check can change this status.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Verified | Self::Rejected | Self::Failed)
    }
}

impl fmt::Display for VerificationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state of the code of one send (`data.verify.codeState`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodeState {
    /// `UNKNOWN`: sent, not yet checked. Documented.
    Unknown,
    /// `VALID`: the code matched. Documented.
    Valid,
    /// `INVALID`: the code did not match; further attempts may follow. Assumed.
    Invalid,
    /// `EXPIRED`: the code's lifetime is over. Assumed.
    Expired,
    /// `MAX_ATTEMPTS_EXCEEDED`: too many wrong codes. Assumed.
    MaxAttemptsExceeded,
    /// A state the documentation does not list, kept as sent.
    Other(String),
}

impl CodeState {
    /// Maps the provider's string to a state.
    pub fn from_wire(value: &str) -> Self {
        match value {
            "UNKNOWN" => Self::Unknown,
            "VALID" => Self::Valid,
            "INVALID" => Self::Invalid,
            "EXPIRED" => Self::Expired,
            "MAX_ATTEMPTS_EXCEEDED" => Self::MaxAttemptsExceeded,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The upper-snake-case name the provider uses.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unknown => "UNKNOWN",
            Self::Valid => "VALID",
            Self::Invalid => "INVALID",
            Self::Expired => "EXPIRED",
            Self::MaxAttemptsExceeded => "MAX_ATTEMPTS_EXCEEDED",
            Self::Other(value) => value,
        }
    }
}

impl fmt::Display for CodeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The delivery state of an SMS (`data.status`): an open set of integer codes following the
/// upstream carrier (documented: 103 "Call in progress", 200 "Verify success"), a display
/// text, and when it last changed (optional: the verify answer omits it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStatus {
    /// The provider's numeric status code.
    pub code: i64,
    /// Display text only: never branch on it.
    pub description: String,
    /// When the provider last updated this status, if it said.
    pub updated_on: Option<DateTime<Utc>>,
}
