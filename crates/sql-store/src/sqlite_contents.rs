//! What a SQLite file holds, looked at before an open changes anything in it, and the `-wal`
//! and `-shm` files a read-only connection leaves, removed the one safe way.
//!
//! The look is read-only (`SQLITE_OPEN_READONLY`): no migration, no journal-mode switch, no
//! file created. But a read-only connection to a database in WAL mode creates the `-wal` and
//! `-shm` files when they are missing, and cannot remove them when it closes: only a
//! connection that may write checkpoints and deletes them, and only when it is the file's
//! last, which SQLite decides under its own lock. So once every read-only connection is
//! closed, [`WalFiles::tidy`] opens one that may write (`query_only`, and it reads one row
//! of the schema, which is what makes SQLite open the WAL), and closes it: alone on the
//! file, it removes both; beside a live writer it removes nothing, and the writer does when
//! it closes. An empty WAL gives the checkpoint nothing to copy, so the database file is not
//! written. Deleting the files ourselves would be unsafe: a writer starting meanwhile would
//! lose what it commits to a deleted WAL. `immutable=1` would create nothing, but it reads
//! past a live writer's WAL, so it is not used.

use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};

use phone_verify_app::StoreError;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use crate::failure::{failure, migration_error, store_error};
use crate::identity::{self, Contents, Identity};
use crate::migrations;
use crate::refusal::NotOurStoreReason;

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What a file is, from its first bytes, before SQLite opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// 0 bytes: SQLite takes it for a new, empty database.
    Empty,
    /// It starts with SQLite's header (or could not be read here: SQLite will say why).
    Sqlite,
    /// Anything else.
    NotSqlite,
}

/// What `file` is, from its first bytes.
pub(crate) fn file_kind(file: &Path) -> FileKind {
    let Ok(opened) = std::fs::File::open(file) else {
        // A file that cannot be read (a directory, no permission) is SQLite's to report.
        return FileKind::Sqlite;
    };
    let mut header = Vec::with_capacity(SQLITE_HEADER.len());
    match opened
        .take(SQLITE_HEADER.len() as u64)
        .read_to_end(&mut header)
    {
        Err(_) => FileKind::Sqlite,
        Ok(0) => FileKind::Empty,
        Ok(_) if header == SQLITE_HEADER => FileKind::Sqlite,
        Ok(_) => FileKind::NotSqlite,
    }
}

/// What the SQLite file of `connect` is to this release, looked at from a read-only
/// connection of its own, which leaves the file and its directory as they were.
pub(crate) async fn identify(
    connect: &SqliteConnectOptions,
    file: &Path,
) -> Result<Identity, StoreError> {
    match file_kind(file) {
        FileKind::NotSqlite => return Ok(Identity::Foreign(NotOurStoreReason::NotSqlite)),
        FileKind::Empty => return Ok(Identity::Empty),
        FileKind::Sqlite => {}
    }
    let wal_files = WalFiles::before(file);
    let contents = async {
        let mut connection = SqliteConnection::connect_with(&connect.clone().read_only(true))
            .await
            .map_err(|error| StoreError::unavailable(failure(error)))?;
        let contents = contents(&mut connection).await;
        let closed = connection.close().await;
        let contents = contents?;
        closed.map_err(store_error)?;
        Ok::<_, StoreError>(contents)
    }
    .await;
    wal_files.tidy(connect).await;
    let ours = migrations::SQLITE
        .migrator()
        .await
        .map_err(migration_error)?;
    Ok(identity::identify(&contents?, &ours.migrations))
}

/// The tables of the database, and its migration history.
async fn contents(connection: &mut SqliteConnection) -> Result<Contents, StoreError> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    .fetch_all(&mut *connection)
    .await
    .map_err(store_error)?;
    Contents::of(&names, async || {
        let rows = sqlx::query(&identity::history_query(None))
            .fetch_all(&mut *connection)
            .await;
        identity::read_history(rows)
    })
    .await
}

/// Whether a SQLite file had a `-wal` beside it before a read-only connection opened it, so
/// that the `-wal` and `-shm` that connection leaves can be removed after it closes.
#[derive(Debug, Clone)]
pub(crate) struct WalFiles {
    wal: PathBuf,
    /// There was a `-wal` already: another connection's (a live writer's), or left by a
    /// process that was killed. Either way, not this open's to remove.
    found: bool,
}

impl WalFiles {
    /// Looks for the `-wal` of `file`, before a read-only connection opens it.
    pub(crate) fn before(file: &Path) -> Self {
        let mut wal = file.as_os_str().to_owned();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let found =
            !matches!(std::fs::metadata(&wal), Err(error) if error.kind() == ErrorKind::NotFound);
        Self { wal, found }
    }

    /// After every read-only connection to the file closed: when there was no `-wal` before
    /// and there is one now, has SQLite remove it and the `-shm` (see the module's docs).
    /// Best effort: a failure leaves the two files, which the next connection that may write
    /// removes when it closes.
    pub(crate) async fn tidy(&self, connect: &SqliteConnectOptions) {
        if self.found || !self.wal.exists() {
            return;
        }
        let connect = connect
            .clone()
            .read_only(false)
            .create_if_missing(false)
            .pragma("query_only", "ON");
        let Ok(mut connection) = SqliteConnection::connect_with(&connect).await else {
            return;
        };
        let _ = sqlx::query("SELECT count(*) FROM sqlite_master")
            .fetch_one(&mut connection)
            .await;
        if let Err(error) = connection.close().await {
            tracing::debug!(%error, "could not remove the -wal and -shm a read-only open left");
        }
    }
}
