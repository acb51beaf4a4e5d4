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

/// The longest a send's or a check's provider calls may take in all, retries and the
/// providers of a failover chain included, for a reconciliation never to take a live call for
/// abandoned. The adapters' defaults take a quarter of it at most (a budget of twice the
/// request timeout, 30 s, at each of two providers). A deployment whose timeouts allow more
/// (each provider's total timeout, times the providers a send may try) breaks
/// [`MIN_ABANDONED_AFTER`]'s promise: the command line refuses such timeouts
/// (`docs/operations.md`, "Retention and reconciliation").
pub const MAX_PROVIDER_TIME: Duration = Duration::from_secs(2 * 60);

/// The youngest age at which an attempt in flight may be taken as abandoned:
/// [`MAX_PROVIDER_TIME`] plus [`CLOCK_MARGIN`](crate::CLOCK_MARGIN), 7 minutes. A
/// reconciliation refuses anything younger: it would close live calls, whose late answers
/// then cannot be recorded.
pub const MIN_ABANDONED_AFTER: Duration =
    Duration::from_secs(MAX_PROVIDER_TIME.as_secs() + crate::CLOCK_MARGIN.as_secs());

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
    /// The age is shorter than a live provider call may last ([`MIN_ABANDONED_AFTER`]):
    /// closing such calls would turn their late answers into conflicts. Nothing was closed.
    #[error("attempts younger than {minimum:?} may still be live calls")]
    TooRecent {
        /// The youngest age a reconciliation accepts.
        minimum: Duration,
    },
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

    /// Closes every attempt in flight that started more than the configured age ago, on the
    /// store's shared clock when it has one ([`VerificationStore::shared_now`]), else on
    /// this process's.
    ///
    /// # Errors
    ///
    /// [`ReconcileError::TooRecent`] when the configured age is below
    /// [`MIN_ABANDONED_AFTER`] (nothing is closed); [`ReconcileError::Store`] when the store
    /// fails.
    #[tracing::instrument(name = "reconcile", skip_all)]
    pub async fn reconcile(&self) -> Result<ReconcileReport, ReconcileError> {
        if self.abandoned_after < MIN_ABANDONED_AFTER {
            return Err(ReconcileError::TooRecent {
                minimum: MIN_ABANDONED_AFTER,
            });
        }
        let now = self
            .store
            .shared_now()
            .await?
            .unwrap_or_else(|| self.clock.now());
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
