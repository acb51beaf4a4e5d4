//! The SQLite backend: a file in WAL mode, a busy timeout, and `BEGIN IMMEDIATE` around every
//! write, so that a reservation's read and write hold the file's one write lock together,
//! across connections and processes.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use phone_verify_app::StoreError;
use sqlx::Connection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

use crate::failure::{SqlFailure, SqlFailureKind, failure, migration_error, store_error};
use crate::identity::{self, Access};
use crate::migrations;
use crate::options::SqliteOptions;
use crate::pool::close_pool;
use crate::refusal::StorePlace;
use crate::session::Session;
use crate::sqlite_contents::{self, WalFiles};
use crate::url::SqliteTarget;

/// An open SQLite pool, the file opening it created, if it did, and, for a read-only pool,
/// what to tidy once it is closed.
pub(crate) struct Opened {
    pub(crate) pool: SqlitePool,
    pub(crate) created: Option<PathBuf>,
    pub(crate) read_only: Option<ReadOnlyFile>,
}

/// A file opened read-only: the `-wal` and `-shm` its connections may leave, removed once
/// they are all closed ([`ReadOnlyFile::tidy`]).
#[derive(Debug, Clone)]
pub(crate) struct ReadOnlyFile {
    connect: SqliteConnectOptions,
    wal_files: WalFiles,
}

impl ReadOnlyFile {
    /// Once the pool is closed: removes the `-wal` and `-shm` its connections created.
    pub(crate) async fn tidy(&self) {
        self.wal_files.tidy(&self.connect).await;
    }
}

/// Opens a pool on `target` with the store's settings, creating the file first when it is
/// missing and the options allow it, and migrating unless read-only. A database that is not
/// a phone-verify store is refused before anything is changed in it.
pub(crate) async fn open(
    target: &SqliteTarget,
    options: &SqliteOptions,
) -> Result<Opened, StoreError> {
    let opened = open_file(target, options).await;
    match target.file() {
        // Whatever failed, the operator needs to know which file: the error names it.
        Some(file) => opened.map_err(|error| crate::failure::naming(error, &file)),
        None => opened,
    }
}

/// [`open`], before its errors are given the file's path.
async fn open_file(target: &SqliteTarget, options: &SqliteOptions) -> Result<Opened, StoreError> {
    let read_only = options.is_read_only() || target.read_only;
    let options = options.clone().read_only(read_only);
    let file = target.file();
    let created = match &file {
        Some(file) => prepare_file(file, &options)?,
        None => false,
    };
    let connect = target
        .connect
        .clone()
        .busy_timeout(options.busy_timeout)
        .foreign_keys(true)
        // What a delete or an update frees is overwritten with zeros, not left in free pages
        // and cells: a purged row, or a number converted to its digest, leaves nothing of
        // the number in the file (the WAL keeps old pages until a checkpoint).
        .pragma("secure_delete", "on")
        // The store creates a missing file itself, with the mode it wants (`prepare_file`).
        .create_if_missing(target.in_memory);
    // A file the store did not just create is looked at, read-only, before anything changes
    // it: another application's database is refused, never migrated or switched to WAL.
    if let Some(file) = file.as_deref().filter(|_| !created) {
        let access = if read_only {
            Access::ReadOnly
        } else if options.creates_if_missing() {
            Access::Create
        } else {
            Access::Existing
        };
        let identity = sqlite_contents::identify(&connect, file).await?;
        identity::admit(identity, access, &StorePlace::File(file.to_owned()))?;
    }
    if read_only {
        // A read-only open never creates: `prepare_file` refused a missing file.
        return open_read_only(connect, file.as_deref(), &options).await;
    }
    let created = created.then_some(file).flatten();
    // WAL lets readers run beside the writer; it is a property of the file, set by the first
    // read-write open. FULL syncs the WAL at each commit: a committed attempt survives a
    // power cut, not only a crash.
    if !target.in_memory {
        into_wal(&connect, options.busy_timeout).await?;
    }
    let connect = connect
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let pool = pool(&options, &connect).await?;
    if let Err(error) = migrate(&pool).await {
        // Closed, not dropped: the last connection to close checkpoints the WAL away.
        close_pool(&pool).await;
        return Err(error);
    }
    Ok(Opened {
        pool,
        created,
        read_only: None,
    })
}

/// A pool of `connect`'s connections, as many as the options allow.
async fn pool(
    options: &SqliteOptions,
    connect: &SqliteConnectOptions,
) -> Result<SqlitePool, StoreError> {
    SqlitePoolOptions::new()
        .max_connections(options.max_connections)
        // Waiting for a free connection is waiting for the lock by other means: bounded
        // alike, with room for the connection's own busy wait.
        .acquire_timeout(options.busy_timeout.saturating_mul(2))
        .connect_with(connect.clone())
        .await
        .map_err(|error| StoreError::unavailable(failure(error)))
}

/// The read-only pool of `file` (already looked at: a store of this release): no migration,
/// no journal mode asked for, and the `-wal` and `-shm` its connections create noted, to be
/// removed once it is closed.
async fn open_read_only(
    connect: SqliteConnectOptions,
    file: Option<&Path>,
    options: &SqliteOptions,
) -> Result<Opened, StoreError> {
    let wal_files = file.map(WalFiles::before);
    let read_only_connect = connect.clone().read_only(true);
    let read_only = wal_files.map(|wal_files| ReadOnlyFile {
        connect: connect.clone(),
        wal_files,
    });
    match pool(options, &read_only_connect).await {
        Ok(pool) => Ok(Opened {
            pool,
            created: None,
            read_only,
        }),
        Err(error) => {
            if let Some(read_only) = &read_only {
                read_only.tidy().await;
            }
            Err(error)
        }
    }
}

/// Puts the file in WAL mode from one connection, before the pool opens its own. Changing the
/// journal mode needs the file to itself, and SQLite answers `SQLITE_BUSY` at once, without
/// waiting in the busy handler, while another connection has it open: several instances
/// opening a new file together failed so, one time in two, as `Locked`. So the change is
/// retried here, with short pauses, for up to the busy timeout. Once the file is in WAL mode,
/// the pool's connections asking for it again change nothing and need no lock.
async fn into_wal(
    connect: &SqliteConnectOptions,
    busy_timeout: Duration,
) -> Result<(), StoreError> {
    let deadline = Instant::now() + busy_timeout;
    let mut connection = SqliteConnection::connect_with(connect)
        .await
        .map_err(|error| StoreError::unavailable(failure(error)))?;
    let mut pause = Duration::from_millis(1);
    let outcome = loop {
        let error = match sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&mut connection)
            .await
        {
            Ok(_) => break Ok(()),
            Err(error) => failure(error),
        };
        if error.kind() != SqlFailureKind::Locked || Instant::now() + pause > deadline {
            break Err(StoreError::unavailable(error));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    };
    let closed = connection.close().await;
    outcome?;
    closed.map_err(store_error)
}

/// Makes sure `file` is there before SQLite opens it. When it is missing and the options
/// allow it, creates it readable and writable by its owner only (`0600` on Unix, whatever
/// the umask, which can only narrow it; SQLite gives the `-wal` and `-shm` files the mode of
/// the database file). A file that exists keeps its mode. Whether it created the file.
fn prepare_file(file: &Path, options: &SqliteOptions) -> Result<bool, StoreError> {
    if !options.creates_if_missing() {
        return match std::fs::metadata(file) {
            Err(error) if error.kind() == ErrorKind::NotFound => {
                Err(StoreError::unavailable(SqlFailure::missing(file)))
            }
            // Anything else is SQLite's to report when it opens the file.
            _ => Ok(false),
        };
    }
    let mut create = std::fs::OpenOptions::new();
    create.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut create, 0o600);
    match create.open(file) {
        Ok(_) => Ok(true),
        Err(error) if error.kind() == ErrorKind::AlreadyExists => Ok(false),
        Err(error) => Err(StoreError::unavailable(SqlFailure::caused_by(
            SqlFailureKind::Connection,
            error,
        ))),
    }
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
