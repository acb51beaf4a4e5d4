//! What keeps the table from growing and from keeping attempts in flight for ever: the purge
//! of finished attempts (and its dry run), the closing of abandoned ones, the shared clock
//! both cut on, and the WAL checkpoint that follows a purge.

use chrono::{DateTime, Utc};
use phone_verify_app::{AttemptCounts, StoreError};

use super::{Backend, Lock, SqlVerificationStore};
use crate::columns::{self, CHECK, SEND};
#[cfg(feature = "postgres")]
use crate::postgres;
use crate::session::{Atomicity, Session};
use crate::sql;

impl SqlVerificationStore {
    /// One batch of a purge ([`SqlVerificationStore::purge_batch`]); once a batch finds nothing
    /// left, the WAL is truncated.
    pub(super) async fn purge_in(
        &self,
        finished_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<AttemptCounts, StoreError> {
        let purged = self.purge_batch(finished_before, limit).await?;
        if purged.total() == 0 {
            // The purge is over (a batch found nothing left): what it replaced goes from disk.
            self.truncate_wal().await;
        }
        Ok(purged)
    }

    /// One batch of a purge, in one short write: checks first; sends, in the room the
    /// checks left, once no purgeable check is left, so that no check outlives its send.
    async fn purge_batch(
        &self,
        finished_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<AttemptCounts, StoreError> {
        let cutoff = columns::bound(finished_before);
        let limit = i64::from(limit);
        self.write_in(
            Lock::Nothing,
            Atomicity::Savepoint,
            Box::new(move |session: &mut Session| {
                Box::pin(async move {
                    let checks = session
                        .execute(sql::PURGE_CHECKS, vec![cutoff.into(), limit.into()])
                        .await?;
                    // Fewer checks than the limit: none purgeable is left, and the rest of
                    // the batch may take sends.
                    let room = limit.saturating_sub(i64::try_from(checks).unwrap_or(i64::MAX));
                    let sends = if room > 0 {
                        session
                            .execute(sql::PURGE_SENDS, vec![cutoff.into(), room.into()])
                            .await?
                    } else {
                        0
                    };
                    Ok((AttemptCounts { sends, checks }, true))
                })
            }),
        )
        .await
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
