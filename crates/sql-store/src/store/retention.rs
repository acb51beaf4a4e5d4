//! What keeps the table from growing and from keeping attempts in flight for ever: the purge
//! of finished attempts (and its dry run), the closing of abandoned ones, the shared clock
//! both cut on, the pause that lets other processes write between a maintenance's batches,
//! and the WAL checkpoint that follows a purge.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use phone_verify_app::{AttemptCounts, PurgeBatch, PurgePosition, StoreError};
use phone_verify_domain::TrustValidationId;

use super::{Backend, Lock, SqlVerificationStore};
use crate::columns::{self, CHECK, SEND};
use crate::corrupt::{CorruptRow, Defect};
use crate::json;
#[cfg(feature = "postgres")]
use crate::postgres;
use crate::session::{Atomicity, Session};
use crate::sql;

/// How long a SQLite store leaves the file's write lock free after a batch of a purge or of a
/// conversion that wrote, before its next batch: longer than the longest sleep of SQLite's
/// busy handler between two tries (100 ms), so that a writer of another process waiting for
/// the lock (a send of the running service, beside a `phone-verify purge`) wakes while it is
/// free and takes it. Without it the batches follow each other within microseconds, and a
/// waiting writer almost never finds the lock free: it fails once its busy timeout is spent,
/// however short each batch. Writers of the same process never wait for it (they queue in
/// the store's writer, between the batches). PostgreSQL does not pause: a batch holds only
/// the locks of the rows it deletes or converts, which no send waits for.
pub const SQLITE_BATCH_PAUSE: Duration = Duration::from_millis(150);

/// A position of a purge's walk: an attempt's finish time (nanoseconds) and trust validation.
type Position = (i64, String);

impl SqlVerificationStore {
    /// One batch of a purge: the walk (a read, no lock), then, when it met a settled trust
    /// validation, one short write deleting the settled ones, whole, checked again inside
    /// it. See [`phone_verify_app::VerificationStore::purge`] and `docs/storage.md`.
    pub(super) async fn purge_in(
        &self,
        finished_before: DateTime<Utc>,
        after: Option<&PurgePosition>,
        limit: u32,
    ) -> Result<PurgeBatch, StoreError> {
        let cutoff = columns::bound(finished_before);
        let limit = limit.max(1);
        if after.is_none() {
            self.purge_refusals(cutoff, limit).await?;
        }
        // No trust validation id is empty, so the earliest instant and '' come before every
        // position: the first batch walks from the first attempt.
        let from: Position = after.map_or_else(
            || (i64::MIN, String::new()),
            |after| {
                (
                    columns::bound(after.finished_at),
                    after.trust_validation.as_str().to_owned(),
                )
            },
        );
        let walked = self.purge_walk(cutoff, &from, limit).await?;
        let Some((end_ns, end_tv, _)) = walked.last() else {
            // The walk has passed the last attempt finished before the cutoff: what the purge
            // deleted goes from disk too.
            self.truncate_wal().await;
            return Ok(PurgeBatch::default());
        };
        // A full walk may have more after it; a shorter one reached the end.
        let full = u32::try_from(walked.len()).is_ok_and(|walked| walked >= limit);
        let next = if full {
            Some(position(*end_ns, end_tv)?)
        } else {
            None
        };
        let mut settled: Vec<&str> = walked
            .iter()
            .filter(|(_, _, settled)| *settled)
            .map(|(_, tv, _)| tv.as_str())
            .collect();
        settled.sort_unstable();
        settled.dedup();
        let deleted = if settled.is_empty() {
            // Only trust validations in use were met: nothing to write, no lock taken.
            AttemptCounts::default()
        } else {
            self.delete_settled(cutoff, json::strings(settled.iter().copied()), walked.len())
                .await?
        };
        if next.is_none() {
            self.truncate_wal().await;
        } else if !settled.is_empty() {
            self.pause_between_batches().await;
        }
        Ok(PurgeBatch { deleted, next })
    }

    /// The walk of one batch ([`sql::PURGE_WALK`]): at most `limit` attempts finished before
    /// `cutoff` after `from`, in order, each with whether its trust validation is settled.
    async fn purge_walk(
        &self,
        cutoff: i64,
        from: &Position,
        limit: u32,
    ) -> Result<Vec<(i64, String, bool)>, StoreError> {
        let values = vec![
            cutoff.into(),
            from.0.into(),
            from.1.clone().into(),
            i64::from(limit).into(),
        ];
        let mut session = self.read().await?;
        let walked = session.purge_walk(values).await;
        Self::finish(session, walked.map(|walked| (walked, true))).await
    }

    /// The write of one batch (`sql::PURGE_DELETE_*`): every attempt of the trust
    /// validations `settled` names (a JSON array) that are settled still, in one statement.
    async fn delete_settled(
        &self,
        cutoff: i64,
        settled: String,
        walked: usize,
    ) -> Result<AttemptCounts, StoreError> {
        let delete = match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => sql::PURGE_DELETE_SQLITE,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => sql::PURGE_DELETE_POSTGRES,
        };
        let started = Instant::now();
        let deleted = self
            .write_in(
                Lock::Nothing,
                Atomicity::Savepoint,
                Box::new(move |session: &mut Session| {
                    Box::pin(async move {
                        let kinds = session
                            .integers(delete, vec![cutoff.into(), settled.into()])
                            .await?;
                        let sends = kinds.iter().filter(|kind| **kind == 1).count();
                        let deleted = AttemptCounts {
                            sends: u64::try_from(sends).unwrap_or(u64::MAX),
                            checks: u64::try_from(kinds.len() - sends).unwrap_or(u64::MAX),
                        };
                        Ok((deleted, true))
                    })
                }),
            )
            .await?;
        // What the lock costs others: on SQLite the file's write lock is held for this write
        // (with any other write of this process sharing its transaction); on PostgreSQL the
        // deleted rows are locked for it. `docs/storage.md` has the figures.
        tracing::debug!(
            walked,
            sends = deleted.sends,
            checks = deleted.checks,
            write_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "purge batch"
        );
        Ok(deleted)
    }

    /// After a batch of a purge or a conversion that wrote, and before the next: on SQLite,
    /// [`SQLITE_BATCH_PAUSE`] with the file's lock free; on PostgreSQL, nothing.
    pub(super) async fn pause_between_batches(&self) {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => tokio::time::sleep(SQLITE_BATCH_PAUSE).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => {}
        }
    }

    pub(super) async fn count_purgeable_before(
        &self,
        finished_before: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError> {
        let cutoff = columns::bound(finished_before);
        let mut session = self.read().await?;
        let result = async {
            let checks = session
                .count(sql::COUNT_PURGEABLE_CHECKS, vec![cutoff.into()])
                .await?;
            let sends = session
                .count(sql::COUNT_PURGEABLE_SENDS, vec![cutoff.into()])
                .await?;
            Ok((AttemptCounts { sends, checks }, true))
        }
        .await;
        Self::finish(session, result).await
    }

    pub(super) async fn close_abandoned_before(
        &self,
        started_before: DateTime<Utc>,
        closed_at: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError> {
        let cutoff = columns::bound(started_before);
        let closed_at = columns::nanos(closed_at)?;
        self.write_in(
            Lock::Nothing,
            Atomicity::Savepoint,
            Box::new(move |session: &mut Session| {
                Box::pin(async move {
                    let mut closed = AttemptCounts::default();
                    for kind in [SEND, CHECK] {
                        let count = session
                            .execute(
                                sql::CLOSE_ABANDONED,
                                vec![cutoff.into(), closed_at.into(), kind.into()],
                            )
                            .await?;
                        if kind == SEND {
                            closed.sends = count;
                        } else {
                            closed.checks = count;
                        }
                    }
                    Ok((closed, true))
                })
            }),
        )
        .await
    }

    /// SQLite: a `TRUNCATE` checkpoint, which copies the WAL into the file and empties the
    /// WAL, so that the rows a purge deleted or a conversion rewrote (zeroed in the file by
    /// `secure_delete`) leave no copy of a number in the `-wal` either, even beside other
    /// running instances. Best effort: a reader in the middle of a transaction keeps the frames
    /// it may still read until it ends (the next checkpoint removes them); a failure is logged,
    /// never returned, as the purge or conversion itself succeeded. PostgreSQL: nothing here
    /// (`docs/security.md` says what to run).
    pub(super) async fn truncate_wal(&self) {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(sqlite) => {
                let checkpoint = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&sqlite.pool)
                    .await;
                if let Err(error) = checkpoint {
                    tracing::warn!(
                        error = %crate::failure::failure(error),
                        "the WAL could not be truncated"
                    );
                }
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => {}
        }
    }

    /// The database server's clock on PostgreSQL, which every instance shares; `None` on
    /// SQLite (its instances share the host's clock).
    pub(super) async fn server_now(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        match &self.backend {
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                let mut session = postgres::autocommit(pool).await?;
                let nanos = session
                    .integers(sql::SERVER_NOW_NS, Vec::new())
                    .await?
                    .first()
                    .copied()
                    .ok_or_else(|| StoreError::corrupt("the server gave no time"))?;
                Ok(Some(DateTime::<Utc>::from_timestamp_nanos(nanos)))
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => Ok(None),
        }
    }
}

/// The position a walk ended at, as the port hands it back.
fn position(nanos: i64, trust_validation: &str) -> Result<PurgePosition, StoreError> {
    let trust_validation = TrustValidationId::parse(trust_validation)
        .map_err(|_| CorruptRow::of(None, Defect::InvalidTrustValidation))?;
    Ok(PurgePosition {
        finished_at: DateTime::<Utc>::from_timestamp_nanos(nanos),
        trust_validation,
    })
}
