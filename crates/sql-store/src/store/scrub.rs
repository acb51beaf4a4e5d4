//! What a conversion or a purge leaves of the numbers it replaced or deleted outside the rows
//! themselves, removed: PostgreSQL's dead row versions, its number indexes and its column
//! statistics; SQLite's WAL.

use phone_verify_app::StoreError;

use super::{Backend, SqlVerificationStore};

/// The PostgreSQL statements of [`SqlVerificationStore::scrub_number_traces`], in order,
/// each on its own outside any transaction (none of them may run in one). None takes a
/// lock that stops sends or checks (`SHARE UPDATE EXCLUSIVE` at most).
#[cfg(feature = "postgres")]
pub const POSTGRES_SCRUB: [&str; 4] = [
    // Dead row versions (the numbers a conversion replaced, the rows a purge deleted) are
    // removed from the table's pages and from every index's entries.
    "VACUUM verification_attempts",
    // The indexes on the clear number, rebuilt from the live rows: the pages of the old
    // ones (which kept the numbers' bytes in their free space) are dropped.
    "REINDEX INDEX CONCURRENTLY verification_attempts_by_number",
    "REINDEX INDEX CONCURRENTLY verification_attempts_counted_sends_by_number",
    // The planner's statistics (`pg_stats.most_common_vals`, `histogram_bounds`) sampled
    // again from the live rows, which hold no number in clear any more.
    "ANALYZE verification_attempts",
];

impl SqlVerificationStore {
    /// Removes the traces a conversion to protected numbers or a purge leaves beside the
    /// rows: on PostgreSQL, the statements of [`POSTGRES_SCRUB`] (dead row versions vacuumed,
    /// the two indexes on the clear number rebuilt, the statistics sampled again), none of
    /// which stops sends or checks; on SQLite, a truncating checkpoint of the WAL (the file
    /// itself zeroes what it deletes: `secure_delete`). What stays out of reach: PostgreSQL's
    /// WAL segments, archives and backups, and the file system's freed blocks
    /// (`docs/security.md`). `phone_verify::VerificationRecords` runs it after a conversion
    /// and after a purge that deleted something.
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
            Backend::Postgres(pool) => {
                for statement in POSTGRES_SCRUB {
                    sqlx::raw_sql(statement)
                        .execute(pool)
                        .await
                        .map_err(crate::failure::store_error)?;
                }
                Ok(())
            }
        }
    }
}
