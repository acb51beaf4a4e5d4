//! The clock port: every time-dependent rule reads the time from here, never from
//! `Utc::now()` inline, so tests move time by hand instead of sleeping.

use std::fmt;
use std::sync::Arc;
#[cfg(feature = "test-util")]
use std::time::Duration;

use chrono::{DateTime, Utc};
#[cfg(feature = "test-util")]
use parking_lot::Mutex;

#[cfg(feature = "test-util")]
use crate::time::add;

/// Where the use cases get the current time.
///
/// [`SystemClock`] in production; `ManualClock` (feature `test-util`), a fake that only moves
/// when told, in tests. An `Arc` or a `Box` of a clock is a clock.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The clock pointed to.
impl<T: Clock + ?Sized> Clock for Arc<T> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

/// The clock pointed to.
impl<T: Clock + ?Sized> Clock for Box<T> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved: the fake for tests of time-dependent rules.
///
/// Clones share one time, so a test keeps a clone to move the clock it handed over.
///
/// ```
/// use std::time::Duration;
/// use chrono::{TimeZone, Utc};
/// use phone_verify_app::{Clock, ManualClock};
///
/// let start = Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 0).unwrap();
/// let clock = ManualClock::new(start);
/// clock.advance(Duration::from_secs(30));
/// assert_eq!(clock.now(), Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 30).unwrap());
/// ```
#[cfg(feature = "test-util")]
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

#[cfg(feature = "test-util")]
impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Sets the time (it may go backwards, like a wall clock corrected by NTP).
    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock() = now;
    }

    /// Moves the time forward by `by` (saturating at the latest representable instant).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock();
        *now = add(*now, by);
    }
}

#[cfg(feature = "test-util")]
impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock()
    }
}
