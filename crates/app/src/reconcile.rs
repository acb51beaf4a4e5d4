//! Use case: closes the sends and checks a crash left in flight.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use crate::time::sub;
use crate::{AttemptCounts, Clock, StoreError, VerificationStore};

/// How long after it started an attempt still in flight is taken as abandoned by default:
/// far longer than any provider call with its retries lasts (the adapter's default request
/// timeout is seconds), so a live call is never closed under its process.
pub const DEFAULT_ABANDONED_AFTER: Duration = Duration::from_secs(15 * 60);

/// What a reconciliation closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Attempts in flight that started before this instant were closed.
    pub cutoff: DateTime<Utc>,
    /// How many sends and checks were closed as abandoned.
    pub closed: AttemptCounts,
}

/// Why a reconciliation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReconcileError {
    /// The store failed; some attempts may be closed. Running it again is safe.
    #[error("the in-flight attempts could not be closed")]
    Store(#[from] StoreError),
}

/// Closes sends and checks left "in flight" (their process died between the provider call
/// and the record of its outcome) once they are older than a request could last, as
/// "outcome unknown (abandoned)" ([`VerificationStore::close_abandoned`]).
///
/// Such a send still counts against the limits (a code may have gone out) and is never
/// sent again; history shows it with the class `abandoned`. Until reconciled it reads the
/// same way (outcome unknown) but blocks a purge of its trust validation.
///
/// ```
/// use std::sync::Arc;
/// use phone_verify_app::{
///     DEFAULT_ABANDONED_AFTER, InMemoryVerificationStore, ReconcileInFlight, SystemClock,
/// };
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let reconcile = ReconcileInFlight::new(
///     Arc::new(InMemoryVerificationStore::new()),
///     Arc::new(SystemClock),
///     DEFAULT_ABANDONED_AFTER,
/// );
/// assert_eq!(reconcile.reconcile().await?.closed.total(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReconcileInFlight {
    store: Arc<dyn VerificationStore>,
    clock: Arc<dyn Clock>,
    abandoned_after: Duration,
}

impl ReconcileInFlight {
    /// The use case over `store`: an attempt in flight for longer than `abandoned_after`
    /// (the request timeout with its retries, plus a margin) is abandoned.
    pub fn new(
        store: Arc<dyn VerificationStore>,
        clock: Arc<dyn Clock>,
        abandoned_after: Duration,
    ) -> Self {
        Self {
            store,
            clock,
            abandoned_after,
        }
    }

    /// Closes every attempt in flight that started more than the configured age ago.
    ///
    /// # Errors
    ///
    /// [`ReconcileError::Store`] when the store fails.
    #[tracing::instrument(name = "reconcile", skip_all)]
    pub async fn reconcile(&self) -> Result<ReconcileReport, ReconcileError> {
        let now = self.clock.now();
        let cutoff = sub(now, self.abandoned_after);
        let closed = self.store.close_abandoned(cutoff, now).await?;
        if closed.total() > 0 {
            warn!(
                sends = closed.sends,
                checks = closed.checks,
                "attempts left in flight closed as abandoned"
            );
        } else {
            info!("no attempt left in flight");
        }
        Ok(ReconcileReport { cutoff, closed })
    }
}
