//! The simulator's sense of time: the system clock, or a manual clock that tests move by hand.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use parking_lot::Mutex;

/// The clock the simulator reads for code expiry, resend cooldowns and timestamps.
///
/// Cheap to clone: clones share one clock, so a test can keep a clone and advance the time the
/// running simulator sees.
///
/// ```
/// use std::time::Duration;
/// use chrono::{TimeZone, Utc};
/// use phone_verify_sim::SimClock;
///
/// let clock = SimClock::manual(Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 0).unwrap());
/// let seen_by_the_simulator = clock.clone();
/// clock.advance(Duration::from_secs(301));
/// assert_eq!(seen_by_the_simulator.now().to_rfc3339(), "2026-05-14T10:05:01+00:00");
/// ```
#[derive(Clone, Debug)]
pub struct SimClock {
    inner: Arc<ClockInner>,
}

#[derive(Debug)]
enum ClockInner {
    System,
    Manual(Mutex<DateTime<Utc>>),
}

impl SimClock {
    /// The machine's clock (the default).
    pub fn system() -> Self {
        Self {
            inner: Arc::new(ClockInner::System),
        }
    }

    /// A clock that stands still at `start` until [`advance`](Self::advance) or
    /// [`set`](Self::set) moves it.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self {
            inner: Arc::new(ClockInner::Manual(Mutex::new(start))),
        }
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        match &*self.inner {
            ClockInner::System => Utc::now(),
            ClockInner::Manual(now) => *now.lock(),
        }
    }

    /// Whether this is a manual clock (one that [`advance`](Self::advance) moves).
    pub fn is_manual(&self) -> bool {
        matches!(&*self.inner, ClockInner::Manual(_))
    }

    /// Moves a manual clock forward by `by`. The system clock cannot be moved: on it this does
    /// nothing (check [`is_manual`](Self::is_manual) when that matters).
    pub fn advance(&self, by: Duration) {
        if let ClockInner::Manual(now) = &*self.inner {
            let mut now = now.lock();
            *now += to_delta(by);
        }
    }

    /// Sets a manual clock to `to` (which may be in its past). Does nothing on the system clock.
    pub fn set(&self, to: DateTime<Utc>) {
        if let ClockInner::Manual(now) = &*self.inner {
            *now.lock() = to;
        }
    }
}

impl Default for SimClock {
    fn default() -> Self {
        Self::system()
    }
}

/// Converts a std duration to chrono's, saturating at chrono's maximum (about 292 million years).
pub(crate) fn to_delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}
