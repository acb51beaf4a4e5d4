//! The record of attempts and its life: history, retention, reconciliation, conversion to
//! protected numbers, closing the store.
//!
//! [`VerificationRecords`] is the handle that owns the store the builder opened. Every
//! [`crate::PhoneVerification`] has one ([`crate::PhoneVerification::records`]); a tool that
//! only reads or maintains records builds one without a provider
//! ([`crate::PhoneVerificationBuilder::build_records`]).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use phone_verify_app::{
    Clock, PurgeRecords, ReconcileInFlight, StoreError, VerificationHistory, VerificationStore,
};
use phone_verify_domain::{PhoneNumber, TrustValidationId};

pub use phone_verify_app::{
    AttemptId, AttemptIdError, AttemptRecord, CheckOutcome, CheckRecord, CheckState,
    DEFAULT_ABANDONED_AFTER, DEFAULT_PURGE_BATCH, HistoryError, MAX_PAGE_SIZE, MAX_PROVIDER_TIME,
    MIN_ABANDONED_AFTER, Page, PageCursor, PageRequest, PurgeError, PurgeMode, PurgeReport,
    ReconcileError, ReconcileReport, RefusalReason, SendOutcome, SendRecord, SendState,
};
pub use phone_verify_app::{CountryStats, SendStats};

/// The record of attempts: its history, and the upkeep of the store the builder opened
/// (purge, reconcile, convert numbers, close).
///
/// Cheap to clone; clones share the store. Built with the send and check handle
/// ([`crate::PhoneVerification::records`]) or alone, without a provider
/// ([`crate::PhoneVerificationBuilder::build_records`]); either way the retention guards are
/// the builder's policies, so a purge never deletes what a live instance with the same
/// policies still needs.
///
/// ```
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// use std::time::Duration;
/// use phone_verify::PhoneVerification;
/// use phone_verify::records::{PageRequest, PurgeMode};
///
/// let records = PhoneVerification::builder().build_records().await?;
/// let report = records.purge(Duration::from_secs(90 * 24 * 3600), PurgeMode::DryRun).await?;
/// assert_eq!(report.attempts.total(), 0);
/// records.close().await;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct VerificationRecords {
    pub(crate) history: VerificationHistory,
    /// The retention policy, under the guards of the builder's policies.
    pub(crate) purge: PurgeRecords,
    /// The record of attempts.
    pub(crate) store: Arc<dyn VerificationStore>,
    /// The clock the use cases read.
    pub(crate) clock: Arc<dyn Clock>,
    /// The SQL store the builder opened, closed by [`VerificationRecords::close`].
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) sql: Option<crate::sql::SqlVerificationStore>,
}

/// Why [`VerificationRecords::protect_clear_numbers`] converted nothing, or not everything.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtectClearNumbersError {
    /// The store was not opened by the builder (`store(..)`, or the in-memory store, which
    /// never holds a clear number once protected): convert it where it was made. Nothing
    /// changed.
    #[error("the store was not opened by this handle's builder: convert it where it was made")]
    NotOpenedByBuilder,
    /// The store keeps numbers in clear: build the handle with
    /// [`crate::PhoneVerificationBuilder::protect_numbers`]. Nothing changed.
    #[error("the store has no key to protect numbers with: give the builder `protect_numbers`")]
    NoKeyring,
    /// The store failed; the batches converted before stay converted, and running again is
    /// safe (the source says why).
    #[error("the numbers could not be protected")]
    Store(#[source] StoreError),
    /// Rows are still in clear, held by another conversion running at the same time for
    /// longer than [`CONCURRENT_CONVERSION_WAIT`] without progress: run again once it is
    /// done. What this call converted stays converted.
    #[error(
        "{remaining} rows are still in clear, held by another conversion ({converted} converted here): run again once it is done"
    )]
    HeldElsewhere {
        /// The rows this call converted.
        converted: u64,
        /// The rows still in clear when it gave up.
        remaining: u64,
    },
}

/// How long [`VerificationRecords::protect_clear_numbers`] waits, without progress, for
/// another conversion to release the rows it holds: a batch is one short write, so a
/// few seconds cover one many times over.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub const CONCURRENT_CONVERSION_WAIT: Duration = Duration::from_secs(10);

/// How often a conversion that found nothing to take looks again.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
const CONVERSION_POLL: Duration = Duration::from_millis(50);

impl VerificationRecords {
    /// The time on the library's clock (the one the guards read): what a `retry_at` is
    /// measured against.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The sends to `phone` and the checks of those sends, newest first, one page at a time.
    /// An attempt whose outcome was never recorded reads as "outcome unknown".
    ///
    /// # Errors
    ///
    /// [`HistoryError::Store`] when the store fails.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use phone_verify::{PhoneNumber, PhoneVerification};
    /// use phone_verify::records::PageRequest;
    ///
    /// let records = PhoneVerification::builder().build_records().await?;
    /// let phone = PhoneNumber::parse("+60182258491")?;
    /// let page = records.history_of_number(&phone, PageRequest::first(20)).await?;
    /// assert!(page.items.is_empty() && page.next.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn history_of_number(
        &self,
        phone: &PhoneNumber,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, HistoryError> {
        self.history.of_number(phone, page).await
    }

    /// The sends and checks of `trust_validation`, newest first, one page at a time.
    ///
    /// # Errors
    ///
    /// [`HistoryError::Store`] when the store fails.
    pub async fn history_of_trust_validation(
        &self,
        trust_validation: &TrustValidationId,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, HistoryError> {
        self.history
            .of_trust_validation(trust_validation, page)
            .await
    }

    /// Deletes (or, with [`PurgeMode::DryRun`], counts) the records of every trust validation
    /// whose attempts all finished more than `older_than` ago, in short batches, never what
    /// the guards still need (`docs/operations.md`, "Retention and reconciliation"). When it
    /// deleted something from a SQL store the builder opened, it ends with
    /// [`VerificationRecords::scrub_number_traces`].
    ///
    /// # Errors
    ///
    /// [`PurgeError::TooRecent`] for an age the guards still need (nothing deleted);
    /// [`PurgeError::Store`] when the store fails, the scrub included (what was deleted is
    /// in it; run [`VerificationRecords::scrub_number_traces`] again once the store is back).
    pub async fn purge(
        &self,
        older_than: Duration,
        mode: PurgeMode,
    ) -> Result<PurgeReport, PurgeError> {
        let report = self.purge.purge(older_than, mode).await?;
        #[cfg(any(feature = "sqlite", feature = "postgres"))]
        if report.attempts.total() > 0
            && mode == PurgeMode::Delete
            && let Some(sql) = &self.sql
        {
            sql.scrub_number_traces()
                .await
                .map_err(|source| PurgeError::Store {
                    deleted: report.attempts,
                    source,
                })?;
        }
        Ok(report)
    }

    /// Removes what a conversion or a purge left of the numbers beside the rows: on
    /// PostgreSQL, dead row versions (`VACUUM`), the indexes whose entries hold a number, a
    /// range or a client (rebuilt `CONCURRENTLY`) and the column statistics (`ANALYZE`), none
    /// of which stops sends; on SQLite, the WAL (a truncating checkpoint). Run by [`VerificationRecords::purge`] and
    /// [`VerificationRecords::protect_clear_numbers`] when they changed something; safe to
    /// run again (`crate::sql::SqlVerificationStore::scrub_number_traces`). Nothing to do
    /// for a store the builder did not open.
    ///
    /// # Errors
    ///
    /// The store's error when a statement fails (the ones before stay done).
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub async fn scrub_number_traces(&self) -> Result<(), StoreError> {
        match &self.sql {
            Some(sql) => sql.scrub_number_traces().await,
            None => Ok(()),
        }
    }

    /// What an operator reads in the middle of an SMS-pumping attack: per country, over the
    /// last `period`, the codes sent (sends that may have delivered one), the codes verified,
    /// the conversion, and the sends the guards refused by reason (counted per minute, so the
    /// period's first minute is counted whole). The period ends at the store's shared clock
    /// when it has one (PostgreSQL's), else the library's. Every figure is an index search
    /// per country (`phone-verify stats`, `docs/cli.md`).
    ///
    /// # Errors
    ///
    /// The store's error; nothing changes.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use std::time::Duration;
    /// use phone_verify::PhoneVerification;
    ///
    /// let records = PhoneVerification::builder().build_records().await?;
    /// let stats = records.stats(Duration::from_secs(24 * 3600)).await?;
    /// assert!(stats.countries.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn stats(&self, period: Duration) -> Result<SendStats, StoreError> {
        SendStats::read(&*self.store, &*self.clock, period).await
    }

    /// Closes the sends and checks a crash left in flight for longer than `older_than` as
    /// "outcome unknown (abandoned)"; at least [`MIN_ABANDONED_AFTER`],
    /// [`DEFAULT_ABANDONED_AFTER`] is the usual age.
    ///
    /// # Errors
    ///
    /// [`ReconcileError::TooRecent`] for an age a live call may still last (nothing
    /// closed); [`ReconcileError::Store`] when the store fails.
    pub async fn reconcile(&self, older_than: Duration) -> Result<ReconcileReport, ReconcileError> {
        ReconcileInFlight::new(Arc::clone(&self.store), Arc::clone(&self.clock), older_than)
            .reconcile()
            .await
    }

    /// How many rows keep their number in clear: what
    /// [`VerificationRecords::protect_clear_numbers`] has left to convert.
    ///
    /// # Errors
    ///
    /// As [`VerificationRecords::protect_clear_numbers`], before anything changes.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub async fn count_clear_numbers(&self) -> Result<u64, ProtectClearNumbersError> {
        let sql = self.opened_sql()?;
        sql.count_clear_numbers()
            .await
            .map_err(ProtectClearNumbersError::Store)
    }

    /// Converts every row of the store that keeps its number in clear to the keys the
    /// builder was given (`protect_numbers`), in batches of `batch` rows (at least 1;
    /// [`crate::sql::DEFAULT_PROTECT_BATCH`] suits most), each one short write, and returns
    /// how many rows this call converted. Safe beside running instances and safe to run
    /// again. Beside another conversion (another process running it at the same time, on
    /// PostgreSQL), a batch skips the rows the other holds; this call returns only once no
    /// row is left in clear, so two converters' counts add up to the rows converted, and
    /// neither reports "done" while the other's rows are still in clear.
    /// Once done, when it converted something, it runs
    /// [`VerificationRecords::scrub_number_traces`], so that neither PostgreSQL's number
    /// indexes and statistics nor SQLite's WAL keep the numbers it replaced; close the store
    /// afterwards too (`docs/security.md`).
    ///
    /// # Errors
    ///
    /// [`ProtectClearNumbersError`]: not a store this handle opened, no keys, the store
    /// failing, the scrub included (the batches before stay converted; run
    /// [`VerificationRecords::scrub_number_traces`] again), or rows still in clear that another
    /// conversion has held for longer than [`CONCURRENT_CONVERSION_WAIT`].
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub async fn protect_clear_numbers(&self, batch: u32) -> Result<u64, ProtectClearNumbersError> {
        use crate::sql::ProtectNumbersError;

        let sql = self.opened_sql()?;
        let mut converted = 0_u64;
        let mut waited = Duration::ZERO;
        loop {
            match sql.protect_clear_numbers(batch.max(1)).await {
                Ok(0) => {
                    // Nothing this call could take: done, unless another conversion holds
                    // the rows still in clear (they are skipped, not waited for).
                    let remaining = self.count_clear_numbers().await?;
                    if remaining == 0 {
                        if converted > 0 {
                            sql.scrub_number_traces()
                                .await
                                .map_err(ProtectClearNumbersError::Store)?;
                        }
                        return Ok(converted);
                    }
                    if waited >= CONCURRENT_CONVERSION_WAIT {
                        return Err(ProtectClearNumbersError::HeldElsewhere {
                            converted,
                            remaining,
                        });
                    }
                    tokio::time::sleep(CONVERSION_POLL).await;
                    waited += CONVERSION_POLL;
                }
                Ok(rows) => {
                    converted = converted.saturating_add(rows);
                    waited = Duration::ZERO;
                }
                Err(ProtectNumbersError::NoKeyring) => {
                    return Err(ProtectClearNumbersError::NoKeyring);
                }
                Err(ProtectNumbersError::Store(error)) => {
                    return Err(ProtectClearNumbersError::Store(error));
                }
                Err(other) => {
                    return Err(ProtectClearNumbersError::Store(StoreError::unavailable(
                        other,
                    )));
                }
            }
        }
    }

    /// The SQL store the builder opened, keeping numbers protected.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    fn opened_sql(&self) -> Result<&crate::sql::SqlVerificationStore, ProtectClearNumbersError> {
        let sql = self
            .sql
            .as_ref()
            .ok_or(ProtectClearNumbersError::NotOpenedByBuilder)?;
        if !sql.numbers().is_keyed() {
            return Err(ProtectClearNumbersError::NoKeyring);
        }
        Ok(sql)
    }

    /// Closes the store this handle's builder opened (`sqlite`, `postgres`): the writes
    /// handed over are answered first, then the connections close, and the last SQLite
    /// connection to close checkpoints the WAL into the database file (so a backup that
    /// copies the `.db` has everything). Any clone of the handle used afterwards finds the
    /// store closed. Nothing to do for a store given with `store(..)` (close it yourself) or
    /// the in-memory one.
    pub async fn close(&self) {
        #[cfg(any(feature = "sqlite", feature = "postgres"))]
        if let Some(sql) = &self.sql {
            sql.close().await;
        }
    }
}
