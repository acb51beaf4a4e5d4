//! What a conversion or a purge leaves of the numbers it replaced or deleted outside the rows
//! themselves, removed: PostgreSQL's dead row versions, its number indexes and its column
//! statistics; SQLite's WAL.

use phone_verify_app::StoreError;

use super::{Backend, SqlVerificationStore};

/// The PostgreSQL statements of [`SqlVerificationStore::scrub_number_traces`], in order,
/// each on its own outside any transaction (none of them may run in one). None takes a
/// lock that stops sends or checks (`SHARE UPDATE EXCLUSIVE` at most).
#[cfg(feature = "postgres")]
pub const POSTGRES_SCRUB: [&str; 8] = [
    // Dead row versions (the numbers a conversion replaced, the rows a purge deleted) are
    // removed from the table's pages and from every index's entries.
    "VACUUM verification_attempts",
    // The indexes whose entries hold a number, in any form, rebuilt from the live rows: the
    // pages of the old ones (which kept the entries' bytes in their free space) are dropped.
    // The clear number's two and the range's (a range in clear is all of a number but its
    // last digits, which the masked form shows)...
    "REINDEX INDEX CONCURRENTLY verification_attempts_by_number",
    "REINDEX INDEX CONCURRENTLY verification_attempts_counted_sends_by_number",
    "REINDEX INDEX CONCURRENTLY verification_attempts_counted_sends_by_range",
    // ... and the keyed digests' of numbers and of clients: whoever holds the key could test
    // a purged number or client against them (empty in a store in clear, rebuilt at once).
    // The index of the calling codes is left: a country is no number.
    "REINDEX INDEX CONCURRENTLY verification_attempts_by_digest",
    "REINDEX INDEX CONCURRENTLY verification_attempts_counted_sends_by_digest",
    "REINDEX INDEX CONCURRENTLY verification_attempts_counted_sends_by_client",
    // The planner's statistics (`pg_stats.most_common_vals`, `histogram_bounds`) sampled
    // again from the live rows, which hold no number in clear any more.
    "ANALYZE verification_attempts",
];

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
    let mut scrubbed = Ok(());
    for statement in POSTGRES_SCRUB {
        if let Err(error) = sqlx::raw_sql(statement).execute(&mut *connection).await {
            scrubbed = Err(store_error(error));
            break;
        }
    }
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
