//! What a conversion or a purge leaves of the numbers it replaced or deleted outside the rows
//! themselves, removed: PostgreSQL's dead row versions, its number indexes and its column
//! statistics; SQLite's WAL.

use phone_verify_app::StoreError;

use super::{Backend, SqlVerificationStore};

/// The PostgreSQL statements of [`SqlVerificationStore::scrub_number_traces`], in order,
/// each on its own outside any transaction (none of them may run in one). None takes a
/// lock that stops sends or checks (`SHARE UPDATE EXCLUSIVE` at most).
#[cfg(feature = "postgres")]
pub const POSTGRES_SCRUB: [&str; 9] = [
    // Dead row versions (the numbers a conversion replaced, the rows a purge deleted) are
    // removed from the table's pages and from every index's entries.
    "VACUUM verification_attempts",
    // The indexes whose entries hold a number, in any form, rebuilt from the live rows: the
    // pages of the old ones (which kept the entries' bytes in their free space) are dropped.
    // The clear number's two, the range's (a range in clear is all of a number but its
    // last digits, which the masked form shows) and the breaker's prefix's...
    "REINDEX INDEX CONCURRENTLY verification_attempts_by_number",
    "REINDEX INDEX CONCURRENTLY verification_attempts_counted_sends_by_number",
    "REINDEX INDEX CONCURRENTLY verification_attempts_counted_sends_by_range",
    "REINDEX INDEX CONCURRENTLY verification_attempts_counted_sends_by_prefix",
    // ... and the keyed digests' of numbers and of clients: whoever holds the key could test
    // a purged number or client against them (empty in a store in clear, rebuilt at once).
    // The index of the calling codes is left: a country is no number.
    "REINDEX INDEX CONCURRENTLY verification_attempts_by_digest",
    "REINDEX INDEX CONCURRENTLY verification_attempts_counted_sends_by_digest",
    "REINDEX INDEX CONCURRENTLY verification_attempts_counted_sends_by_client",
    // The planner's statistics (`pg_stats.most_common_vals`, `histogram_bounds`) sampled
    // again from the live rows, which hold no number in clear any more. (Last: the scrub
    // runs `POSTGRES_FORGET_STATISTICS` before it when the table is empty.)
    "ANALYZE verification_attempts",
];

/// What the scrub runs before its `ANALYZE` when the table has no row left (a purge that
/// deleted every attempt): `ANALYZE` samples the live rows and, finding none, leaves every
/// column's statistics as they were, the purged numbers in `pg_stats` with them. Changing a
/// column's type, to the type it has, drops its statistics; on an empty table it rewrites
/// nothing and rebuilds its indexes empty, at once. It needs the table's `ACCESS EXCLUSIVE`
/// lock, waited for at most [`POSTGRES_FORGET_STATISTICS_WAIT`] (a send that arrives
/// meanwhile waits no longer than that); a table that got rows in the meantime has them
/// sampled by the `ANALYZE` instead, which replaces the statistics. The columns are those
/// that hold a number, a range, a prefix or a client, in any form.
#[cfg(feature = "postgres")]
pub const POSTGRES_FORGET_STATISTICS: &str = "ALTER TABLE verification_attempts \
     ALTER COLUMN phone_e164 TYPE TEXT, ALTER COLUMN number_range TYPE TEXT, \
     ALTER COLUMN phone_digest TYPE TEXT, ALTER COLUMN client_digest TYPE TEXT, \
     ALTER COLUMN number_prefix TYPE TEXT";

/// How long [`POSTGRES_FORGET_STATISTICS`] waits for its lock (`lock_timeout`).
#[cfg(feature = "postgres")]
pub const POSTGRES_FORGET_STATISTICS_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

impl SqlVerificationStore {
    /// Removes the traces a conversion to protected numbers or a purge leaves beside the
    /// rows: on PostgreSQL, the statements of [`POSTGRES_SCRUB`] (dead row versions vacuumed,
    /// the indexes on a number, a range or a client rebuilt, the statistics sampled again),
    /// none of which stops sends or checks; on SQLite, a truncating checkpoint of the WAL
    /// (the file itself zeroes what it deletes: `secure_delete`). What stays out of reach:
    /// PostgreSQL's WAL segments, archives and backups, and the file system's freed blocks
    /// (`docs/security.md`). `phone_verify::VerificationRecords` runs it after a conversion
    /// and after a purge that deleted something.
    ///
    /// Scrubs run one after the other, whichever instance runs them (a session advisory
    /// lock on PostgreSQL: two rebuilds of one index at once deadlock); one that waited
    /// repeats the work, which is safe.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when a statement fails (one that ran stays done; running
    /// again is safe).
    pub async fn scrub_number_traces(&self) -> Result<(), StoreError> {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => {
                self.truncate_wal().await;
                Ok(())
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => scrub_postgres(pool).await,
        }
    }
}

/// The scrub on PostgreSQL, on one connection holding the scrub's advisory lock (a session
/// lock: none of the statements may run in a transaction), released whatever happened.
#[cfg(feature = "postgres")]
async fn scrub_postgres(pool: &sqlx::PgPool) -> Result<(), StoreError> {
    use crate::failure::store_error;
    use crate::postgres::{LockClass, key_of};

    let mut connection = pool.acquire().await.map_err(store_error)?;
    let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(&mut *connection)
        .await
        .map_err(store_error)?;
    // Tried, not waited for: a statement waiting for the lock would hold a snapshot the
    // holder's `REINDEX … CONCURRENTLY` waits for, a deadlock PostgreSQL then breaks.
    loop {
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(LockClass::Scrub as i32)
            .bind(key_of(&schema))
            .fetch_one(&mut *connection)
            .await
            .map_err(store_error)?;
        if taken {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let scrubbed = scrub_statements(&mut connection).await;
    // A connection that cannot unlock is closed, which releases the lock with it.
    if sqlx::query("SELECT pg_advisory_unlock($1, $2)")
        .bind(LockClass::Scrub as i32)
        .bind(key_of(&schema))
        .execute(&mut *connection)
        .await
        .is_err()
    {
        connection.detach();
    }
    scrubbed
}

/// The statements of [`POSTGRES_SCRUB`] in order, and [`POSTGRES_FORGET_STATISTICS`] before the
/// last (`ANALYZE`) when the table is empty; fails when the table is still empty and its
/// statistics could not be dropped (run the scrub again).
#[cfg(feature = "postgres")]
async fn scrub_statements(connection: &mut sqlx::PgConnection) -> Result<(), StoreError> {
    use crate::failure::store_error;

    let Some((analyze, rebuild)) = POSTGRES_SCRUB.split_last() else {
        return Ok(());
    };
    for statement in rebuild {
        sqlx::raw_sql(statement)
            .execute(&mut *connection)
            .await
            .map_err(store_error)?;
    }
    let forgotten = if is_empty(&mut *connection).await? {
        forget_statistics(&mut *connection).await?
    } else {
        true
    };
    sqlx::raw_sql(analyze)
        .execute(&mut *connection)
        .await
        .map_err(store_error)?;
    let still_empty = is_empty(&mut *connection).await?;
    if !forgotten && still_empty {
        return Err(StoreError::unavailable(StatisticsKept));
    }
    Ok(())
}

/// Whether the attempts' table has no row.
#[cfg(feature = "postgres")]
async fn is_empty(connection: &mut sqlx::PgConnection) -> Result<bool, StoreError> {
    sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM verification_attempts)")
        .fetch_one(connection)
        .await
        .map_err(crate::failure::store_error)
}

/// Runs [`POSTGRES_FORGET_STATISTICS`] in a transaction of its own, its lock waited for at
/// most [`POSTGRES_FORGET_STATISTICS_WAIT`]: whether it ran (`false` when the lock was held
/// longer).
#[cfg(feature = "postgres")]
async fn forget_statistics(connection: &mut sqlx::PgConnection) -> Result<bool, StoreError> {
    use sqlx::Connection;

    use crate::failure::store_error;

    /// PostgreSQL's `lock_not_available`, what `lock_timeout` raises.
    const LOCK_NOT_AVAILABLE: &str = "55P03";
    let mut transaction = connection.begin().await.map_err(store_error)?;
    let wait = format!(
        "SET LOCAL lock_timeout = {}",
        POSTGRES_FORGET_STATISTICS_WAIT.as_millis()
    );
    sqlx::raw_sql(&wait)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
    match sqlx::raw_sql(POSTGRES_FORGET_STATISTICS)
        .execute(&mut *transaction)
        .await
    {
        Ok(_) => {
            transaction.commit().await.map_err(store_error)?;
            Ok(true)
        }
        Err(sqlx::Error::Database(error))
            if error.code().as_deref() == Some(LOCK_NOT_AVAILABLE) =>
        {
            transaction.rollback().await.map_err(store_error)?;
            Ok(false)
        }
        Err(error) => Err(store_error(error)),
    }
}

/// The scrub found the table empty and could not drop its statistics, which may still hold
/// the numbers of the rows it last sampled.
#[cfg(feature = "postgres")]
#[derive(Debug, thiserror::Error)]
#[error(
    "the table is empty and its statistics could not be dropped (a lock was held): run the scrub again"
)]
struct StatisticsKept;
