//! Closing a connection pool for good, on either backend: what a store's `close` and a failed
//! SQLite open both need.

/// Closes `pool` and every connection in it. sqlx's `close` misses a connection that is being
/// returned to the pool as it runs (it reaches the idle queue after `close` emptied it, and
/// is then only dropped, its closing left to a background thread): closing again closes it.
/// Each pass waits for every connection in use, so a pool that still has connections after
/// one holds only such idle ones.
pub(crate) async fn close_pool<DB: sqlx::Database>(pool: &sqlx::Pool<DB>) {
    pool.close().await;
    while pool.size() > 0 {
        pool.close().await;
    }
}
