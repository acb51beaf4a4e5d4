//! The SQLite backend: a file in WAL mode, a busy timeout, and `BEGIN IMMEDIATE` around every
//! write, so that a reservation's read and write hold the file's one write lock together,
//! across connections and processes.

use phone_verify_app::StoreError;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::failure::{failure, migration_error, store_error};
use crate::migrations;
use crate::options::SqliteOptions;
use crate::session::Session;

/// Opens a pool on `base` with the store's settings, migrating unless read-only.
pub(crate) async fn open(
    base: SqliteConnectOptions,
    options: &SqliteOptions,
) -> Result<SqlitePool, StoreError> {
    let connect = base
        .busy_timeout(options.get_busy_timeout())
        .foreign_keys(true)
        .read_only(options.is_read_only())
        .create_if_missing(!options.is_read_only());
    // WAL lets readers run beside the writer; it is a property of the file, set by the first
    // read-write open. FULL syncs the WAL at each commit: a committed attempt survives a
    // power cut, not only a crash.
    let connect = if options.is_read_only() {
        connect
    } else {
        connect
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
    };
    let pool = SqlitePoolOptions::new()
        .max_connections(options.get_max_connections())
        // Waiting for a free connection is waiting for the lock by other means: bounded
        // alike, with room for the connection's own busy wait.
        .acquire_timeout(options.get_busy_timeout().saturating_mul(2))
        .connect_with(connect)
        .await
        .map_err(|error| StoreError::unavailable(failure(error)))?;
    if !options.is_read_only() {
        migrate(&pool).await?;
    }
    Ok(pool)
}

/// Brings the schema up to date inside one `BEGIN IMMEDIATE` transaction: sqlx's migrator
/// takes no lock on SQLite, so the file's write lock is what keeps two instances opening a
/// new file at once from both applying a migration. (Inside it, the migrator's own
/// transactions become savepoints.)
pub(crate) async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    let migrator = migrations::SQLITE
        .migrator()
        .await
        .map_err(migration_error)?;
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(store_error)?;
    migrator.run(&mut *tx).await.map_err(migration_error)?;
    tx.commit().await.map_err(store_error)
}

/// A transaction holding the write lock from its first statement.
pub(crate) async fn begin_immediate(pool: &SqlitePool) -> Result<Session, StoreError> {
    let tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(store_error)?;
    Ok(Session::Sqlite(tx))
}

/// A read transaction: one snapshot, no lock.
pub(crate) async fn begin_read(pool: &SqlitePool) -> Result<Session, StoreError> {
    let tx = pool.begin().await.map_err(store_error)?;
    Ok(Session::Sqlite(tx))
}
