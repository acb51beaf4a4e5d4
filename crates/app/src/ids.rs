//! Attempt ids and the port that makes them.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
#[cfg(feature = "test-util")]
use std::sync::atomic::{AtomicU64, Ordering};

use uuid::Uuid;

/// The id of one recorded attempt (a send or a check), unique across processes.
///
/// Shown as a hyphenated UUID. Not personal data. Ordered, so that stores can break ties
/// between attempts started at the same instant deterministically.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttemptId(Uuid);

impl AttemptId {
    /// The id with this 128-bit value (for stores that keep it as a number or `UUID` column).
    pub const fn from_u128(value: u128) -> Self {
        Self(Uuid::from_u128(value))
    }

    /// The 128-bit value of the id.
    pub const fn as_u128(self) -> u128 {
        self.0.as_u128()
    }
}

/// Why a string is not an [`AttemptId`]. Never echoes the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("attempt id is not a UUID")]
pub struct AttemptIdError;

impl FromStr for AttemptId {
    type Err = AttemptIdError;

    /// Parses the hyphenated (or simple) UUID form that `Display` writes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::try_parse(s).map(Self).map_err(|_| AttemptIdError)
    }
}

impl fmt::Display for AttemptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Debug for AttemptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AttemptId({})", self.0.hyphenated())
    }
}

/// Where the use cases get the id of each new attempt.
///
/// [`RandomIds`] in production; `SequentialIds` (feature `test-util`) where a test wants
/// predictable ids. An `Arc` or a `Box` of a source is a source.
pub trait IdSource: Send + Sync + fmt::Debug {
    /// A fresh id, never returned before by this source.
    fn next_id(&self) -> AttemptId;
}

/// The source pointed to.
impl<T: IdSource + ?Sized> IdSource for Arc<T> {
    fn next_id(&self) -> AttemptId {
        (**self).next_id()
    }
}

/// The source pointed to.
impl<T: IdSource + ?Sized> IdSource for Box<T> {
    fn next_id(&self) -> AttemptId {
        (**self).next_id()
    }
}

/// Random (version 4) UUIDs: unique across processes and restarts without coordination.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn next_id(&self) -> AttemptId {
        AttemptId(Uuid::new_v4())
    }
}

/// Ids 1, 2, 3, ... in order: predictable ids for tests. Unique only within one source.
///
/// ```
/// use phone_verify_app::{AttemptId, IdSource, SequentialIds};
///
/// let ids = SequentialIds::default();
/// assert_eq!(ids.next_id(), AttemptId::from_u128(1));
/// assert_eq!(ids.next_id(), AttemptId::from_u128(2));
/// ```
#[cfg(feature = "test-util")]
#[derive(Debug, Default)]
pub struct SequentialIds {
    last: AtomicU64,
}

#[cfg(feature = "test-util")]
impl IdSource for SequentialIds {
    fn next_id(&self) -> AttemptId {
        AttemptId::from_u128(u128::from(self.last.fetch_add(1, Ordering::Relaxed) + 1))
    }
}
