//! Saturating arithmetic between `chrono` instants and `std` durations: a policy configured
//! with an absurd duration (`Duration::MAX`) must mean "forever", never a panic.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// `duration` as a `TimeDelta`, saturating at `TimeDelta::MAX`.
pub(crate) fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

/// `at + duration`, saturating at the latest representable instant.
pub(crate) fn add(at: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    at.checked_add_signed(delta(duration))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `at - duration`, saturating at the earliest representable instant.
pub(crate) fn sub(at: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    at.checked_sub_signed(delta(duration))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}
