//! Why a stored row is not a valid record: the source of a [`StoreError::Corrupt`]. It names
//! the attempt (an id, not personal data) and the defect, never a stored value.

use std::error::Error;
use std::fmt;

use phone_verify_app::{AttemptId, StoreError};
use phone_verify_domain::UnknownName;

/// What is wrong with a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Defect {
    #[error("{column} is missing")]
    Missing { column: &'static str },
    #[error("{column} holds an unknown name")]
    UnknownName {
        column: &'static str,
        #[source]
        source: UnknownName,
    },
    #[error("unknown kind")]
    UnknownKind,
    #[error("the phone number is not a valid E.164 number")]
    InvalidPhone,
    #[error("the number range is neither in clear nor keyed")]
    InvalidRange,
    #[error("the number is neither in clear nor protected (digest, key id and masked form)")]
    NumberForms,
    #[error("the protected number's {part} is not valid")]
    InvalidProtectedNumber { part: &'static str },
    #[error("the trust validation id is not valid")]
    InvalidTrustValidation,
    #[error("the reference is not valid")]
    InvalidReference,
    #[error("the provider name is not valid")]
    InvalidProvider,
    #[error("the channel is not one this release knows")]
    UnknownChannel,
    #[error("the outcome and its time disagree")]
    OutcomeTimeDisagree,
    #[error("a sent send has no reference")]
    SentWithoutReference,
    #[error("a negative retry wait")]
    NegativeWait,
    #[error("a check where a send was asked for")]
    CheckForSend,
    /// The driver's message is left out: it may quote the value.
    #[error("column {index} holds a value of the wrong type")]
    WrongType { index: String },
}

/// A row that is not a valid record, and which attempt it holds when that could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CorruptRow {
    attempt: Option<AttemptId>,
    /// Part of this error's own message; its source (if any) is this error's source.
    defect: Defect,
}

impl fmt::Display for CorruptRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.attempt {
            Some(id) => write!(f, "attempt {id}: {}", self.defect),
            None => self.defect.fmt(f),
        }
    }
}

impl Error for CorruptRow {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.defect.source()
    }
}

impl CorruptRow {
    /// The [`StoreError::Corrupt`] of `defect` in the row of `attempt`.
    pub(crate) fn of(attempt: Option<AttemptId>, defect: Defect) -> StoreError {
        StoreError::corrupt(Self { attempt, defect })
    }
}
