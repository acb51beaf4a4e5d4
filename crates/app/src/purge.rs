//! Use case: the retention policy. Deletes the records of trust validations finished long
//! ago, in short batches, or counts what would go.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::info;

use crate::time::sub;
use crate::{
    AttemptCounts, CheckPolicy, Clock, SendLimits, StoreError, VerificationStore, minimum_retention,
};

/// How many attempts one batch of a purge walks by default: it deletes the purgeable trust
/// validations among them, whole, in one short transaction, so reservations wait for at most
/// one batch (`docs/storage.md`, "The lifecycle of a record", says how long that is).
pub const DEFAULT_PURGE_BATCH: u32 = 500;

/// The largest difference tolerated between the clock of an instance that records sends and
/// the clock a purge or a reconciliation computes its cutoff on (the store's shared clock
/// when it has one, PostgreSQL's; else the host's). A purge refuses any age shorter than the
/// guards' [`minimum_retention`] plus this margin, so a purging host whose clock runs ahead by
/// less than it cannot delete a send the guards still count. A clock off by more than this
/// is a misconfigured host (`docs/operations.md`).
pub const CLOCK_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Whether a purge deletes or only counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeMode {
    /// Count what would go; delete nothing.
    DryRun,
    /// Delete, batch by batch.
    Delete,
}

/// What a purge did, or would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeReport {
    /// Attempts of trust validations whose every attempt finished before this instant went
    /// (or would go).
    pub cutoff: DateTime<Utc>,
    /// Whether anything was deleted ([`PurgeMode::Delete`]) or only counted.
    pub mode: PurgeMode,
    /// How many sends and checks were deleted, or would be.
    pub attempts: AttemptCounts,
    /// How many batches the purge ran ([`VerificationStore::purge`] calls); none for a dry
    /// run. Each walks at most the batch size of attempts finished before the cutoff, and
    /// the batches walk each of them once, so this grows with those attempts, one batch per
    /// batch size of them, plus one.
    pub batches: u64,
}

/// Why a purge did not run, or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PurgeError {
    /// The cutoff is more recent than the guards allow (their [`minimum_retention`] plus
    /// [`CLOCK_MARGIN`]): records of that age may still hold a cooldown, a window or a live
    /// code. Nothing was deleted.
    #[error("records younger than {minimum:?} are still needed by the guards")]
    TooRecent {
        /// The youngest age a purge accepts ([`minimum_retention`] plus [`CLOCK_MARGIN`]).
        minimum: Duration,
    },
    /// The store failed. The batches before the failure are deleted (`deleted` says how
    /// many); the one that failed may or may not be. Running the purge again is safe.
    #[error("the store failed during the purge")]
    Store {
        /// What was deleted before the failure.
        deleted: AttemptCounts,
        /// The failure.
        #[source]
        source: StoreError,
    },
}

/// Deletes the records a retention policy no longer allows: every attempt of a trust
/// validation whose attempts all finished more than a given age ago (see
/// [`VerificationStore::purge`] for exactly which, and `docs/operations.md` for running it).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use phone_verify_app::{
///     CheckPolicy, InMemoryVerificationStore, PurgeMode, PurgeRecords, SendLimits, SystemClock,
/// };
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let purge = PurgeRecords::new(
///     Arc::new(InMemoryVerificationStore::new()),
///     Arc::new(SystemClock),
///     &SendLimits::default(),
///     &CheckPolicy::default(),
/// );
/// let report = purge.purge(Duration::from_secs(90 * 24 * 60 * 60), PurgeMode::DryRun).await?;
/// assert_eq!(report.attempts.total(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PurgeRecords {
    store: Arc<dyn VerificationStore>,
    clock: Arc<dyn Clock>,
    minimum: Duration,
    batch: u32,
}

impl PurgeRecords {
    /// The use case over `store`, refusing to purge what the guards configured as `limits`
    /// and `check` still need.
    pub fn new(
        store: Arc<dyn VerificationStore>,
        clock: Arc<dyn Clock>,
        limits: &SendLimits,
        check: &CheckPolicy,
    ) -> Self {
        Self {
            store,
            clock,
            minimum: minimum_retention(limits, check) + CLOCK_MARGIN,
            batch: DEFAULT_PURGE_BATCH,
        }
    }

    /// Walks at most `batch` attempts per batch (at least one), deleting the purgeable trust
    /// validations among them in one transaction.
    #[must_use]
    pub fn batch_size(self, batch: u32) -> Self {
        Self {
            batch: batch.max(1),
            ..self
        }
    }

    /// Deletes (or, with [`PurgeMode::DryRun`], counts) the attempts of every trust
    /// validation whose attempts all finished more than `older_than` ago, batch by batch
    /// until none is left. "Ago" is on the store's shared clock when it has one
    /// ([`VerificationStore::shared_now`]: PostgreSQL's), so every instance's purge cuts at
    /// the same instant whatever its host's clock says; else on this process's clock.
    ///
    /// # Errors
    ///
    /// - [`PurgeError::TooRecent`]: `older_than` is shorter than the guards need; nothing
    ///   was deleted.
    /// - [`PurgeError::Store`]: the store failed; what was deleted before is in the error.
    #[tracing::instrument(name = "purge", skip_all, fields(older_than_s = older_than.as_secs()))]
    pub async fn purge(
        &self,
        older_than: Duration,
        mode: PurgeMode,
    ) -> Result<PurgeReport, PurgeError> {
        if older_than < self.minimum {
            return Err(PurgeError::TooRecent {
                minimum: self.minimum,
            });
        }
        let mut deleted = AttemptCounts::default();
        let mut batches = 0;
        let failed = |deleted| move |source| PurgeError::Store { deleted, source };
        let now = self
            .store
            .shared_now()
            .await
            .map_err(failed(deleted))?
            .unwrap_or_else(|| self.clock.now());
        let cutoff = sub(now, older_than);
        if mode == PurgeMode::DryRun {
            deleted = self
                .store
                .count_purgeable(cutoff)
                .await
                .map_err(failed(deleted))?;
        } else {
            // Each batch starts where the one before it stopped: a trust validation kept
            // (still in use) is walked past once, not again by every batch.
            let mut after = None;
            loop {
                let batch = self
                    .store
                    .purge(cutoff, after.as_ref(), self.batch)
                    .await
                    .map_err(failed(deleted))?;
                batches += 1;
                deleted = deleted.plus(batch.deleted);
                match batch.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
        info!(
            sends = deleted.sends,
            checks = deleted.checks,
            batches,
            dry_run = mode == PurgeMode::DryRun,
            "purge done"
        );
        Ok(PurgeReport {
            cutoff,
            mode,
            attempts: deleted,
            batches,
        })
    }
}
