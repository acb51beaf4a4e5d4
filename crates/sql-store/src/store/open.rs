//! Opening a store (by path, by URL, on either backend), bringing its schema up to date, and
//! closing it.

use std::path::Path;
use std::sync::Arc;

use phone_verify_app::{NumberProtection, StoreError};

#[cfg(feature = "sqlite")]
use super::SqliteBackend;
use super::{Backend, SqlVerificationStore};
use crate::failure::{SqlFailure, SqlFailureKind};
#[cfg(feature = "sqlite")]
use crate::group_commit::GroupCommit;
use crate::pool::close_pool;
#[cfg(feature = "postgres")]
use crate::postgres;
#[cfg(feature = "sqlite")]
use crate::sqlite;
use crate::url::{DatabaseUrl, DatabaseUrlError, Target};
use crate::{PostgresOptions, SqliteOptions};

/// A URL that names no store this build can open: the database cannot be reached.
fn bad_url(error: DatabaseUrlError) -> StoreError {
    StoreError::unavailable(SqlFailure::caused_by(SqlFailureKind::Connection, error))
}

impl SqlVerificationStore {
    /// Opens the SQLite database file at `path` (a path, not a URL: see
    /// [`DatabaseUrl::sqlite_file`]), in WAL mode with the options' busy timeout, and brings
    /// its schema up to date (unless read-only: see [`SqliteOptions::read_only`], which
    /// changes nothing on disk). A missing file is created, owner-only, unless
    /// [`SqliteOptions::create_if_missing`] is off. A file that holds anything but a
    /// phone-verify store is refused before anything is changed in it.
    ///
    /// # Errors
    ///
    /// [`StoreError::Misconfigured`], nothing written: its source a [`crate::NotOurStore`]
    /// naming the file and why it is not a store (another application's tables or migrations,
    /// not SQLite, or empty where a store must exist already), or, read-only, a
    /// [`crate::SchemaBehind`] (a store this release would have to migrate).
    /// [`StoreError::Unavailable`], its source a [`SqlFailure`] saying why:
    /// [`SqlFailureKind::Missing`] (no file, and not to create one),
    /// [`SqlFailureKind::Connection`] (no such directory), [`SqlFailureKind::Damaged`] (a
    /// SQLite file that cannot be read), [`SqlFailureKind::Locked`],
    /// [`SqlFailureKind::ReadOnly`], [`SqlFailureKind::Migration`].
    #[cfg(feature = "sqlite")]
    pub async fn open_sqlite(
        path: impl AsRef<Path>,
        options: SqliteOptions,
    ) -> Result<Self, StoreError> {
        Self::open_url(
            &DatabaseUrl::sqlite_file(path),
            options,
            PostgresOptions::default(),
        )
        .await
    }

    /// Connects to PostgreSQL at `url` (`postgres://user@host:5432/database`), creates the
    /// options' schema if missing and brings it up to date (unless read-only: see
    /// [`PostgresOptions::read_only`]). Every connection of the pool works in that schema
    /// (`search_path`). A schema that holds anything but a phone-verify store is refused
    /// before anything is changed in it.
    ///
    /// # Errors
    ///
    /// [`StoreError::Misconfigured`], nothing written: its source a [`crate::NotOurStore`]
    /// naming the schema (another application's tables or migrations; read-only, a missing
    /// or empty schema) or, read-only, a [`crate::SchemaBehind`].
    /// [`StoreError::Unavailable`], its source a [`SqlFailure`]:
    /// [`SqlFailureKind::Connection`] (a bad URL, no server), [`SqlFailureKind::Migration`],
    /// or what the server answered.
    #[cfg(feature = "postgres")]
    pub async fn open_postgres(url: &str, options: PostgresOptions) -> Result<Self, StoreError> {
        let connect = crate::url::postgres_options(url).map_err(bad_url)?;
        Ok(Self {
            backend: Backend::Postgres(postgres::connect(connect, &options).await?),
            created: None,
            numbers: NumberProtection::Clear,
            keys_checked: Arc::default(),
        })
    }

    /// Opens the store a database URL names, with default options: `sqlite:` (as sqlx reads
    /// it: `sqlite://path/to/file.db`, `sqlite:file.db?mode=ro`) or `postgres:` /
    /// `postgresql:`. Meant for a command line or a configuration file; to tell a malformed
    /// URL from a database failure, or to set options, parse a [`DatabaseUrl`] and use
    /// [`SqlVerificationStore::open_url`].
    ///
    /// # Errors
    ///
    /// As [`SqlVerificationStore::open_sqlite`] and
    /// [`SqlVerificationStore::open_postgres`]; a URL of another scheme, of a backend this
    /// build leaves out, or that its backend cannot read is [`SqlFailureKind::Connection`],
    /// its source the [`DatabaseUrlError`].
    pub async fn open(database_url: &str) -> Result<Self, StoreError> {
        let url = DatabaseUrl::parse(database_url).map_err(bad_url)?;
        Self::open_url(&url, SqliteOptions::default(), PostgresOptions::default()).await
    }

    /// Opens the store at `url` with the options of its backend (the other's are unused). A
    /// `?mode=ro` SQLite URL opens read-only whatever the options say, as
    /// [`SqliteOptions::read_only`] does.
    ///
    /// ```no_run
    /// use phone_verify_sql_store::{DatabaseUrl, PostgresOptions, SqlVerificationStore, SqliteOptions};
    ///
    /// # async fn wire() -> Result<(), Box<dyn std::error::Error>> {
    /// let url = DatabaseUrl::parse("sqlite://phone-verify.db")?;
    /// // Reading the history must not replace a lost file with an empty one.
    /// let sqlite = SqliteOptions::default().create_if_missing(false);
    /// let store = SqlVerificationStore::open_url(&url, sqlite, PostgresOptions::default()).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`SqlVerificationStore::open_sqlite`] and
    /// [`SqlVerificationStore::open_postgres`].
    pub async fn open_url(
        url: &DatabaseUrl,
        sqlite_options: SqliteOptions,
        postgres_options: PostgresOptions,
    ) -> Result<Self, StoreError> {
        // A build with one backend has no use for the other's options.
        let _ = (&sqlite_options, &postgres_options);
        match &url.target {
            #[cfg(feature = "sqlite")]
            Target::Sqlite(target) => {
                let opened = sqlite::open(target, &sqlite_options).await?;
                let writer = Arc::new(GroupCommit::start(opened.pool.clone()));
                Ok(Self {
                    backend: Backend::Sqlite(SqliteBackend {
                        pool: opened.pool,
                        writer,
                        read_only: opened.read_only.map(Arc::new),
                    }),
                    created: opened.created.map(Arc::from),
                    numbers: NumberProtection::Clear,
                    keys_checked: Arc::default(),
                })
            }
            #[cfg(feature = "postgres")]
            Target::Postgres(connect) => Ok(Self {
                backend: Backend::Postgres(
                    postgres::connect(connect.clone(), &postgres_options).await?,
                ),
                created: None,
                numbers: NumberProtection::Clear,
                keys_checked: Arc::default(),
            }),
        }
    }

    /// The SQLite file opening this store created ([`SqliteOptions::create_if_missing`]), or
    /// `None` when the file was there already, and for an in-memory database or PostgreSQL.
    /// Worth telling a user: a new store has no history and no cooldowns.
    pub fn created(&self) -> Option<&Path> {
        self.created.as_deref()
    }

    /// Brings the schema up to date. Opening does it already; this is for a deployment that
    /// migrates in a separate step. Safe to run from several instances at once.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] with a [`SqlFailure`] source.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(sqlite) => sqlite::migrate(&sqlite.pool).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => postgres::migrate(pool).await,
        }
    }

    /// Closes every connection, waiting for those in use to be returned, and for each to be
    /// closed. On SQLite the last one checkpoints the WAL into the file and removes the
    /// `-wal` and `-shm` files. Dropping the store closes the connections too, but in the
    /// background: a process that exits right after may leave them open, and the WAL behind.
    pub async fn close(&self) {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(sqlite) => {
                // The writes already handed over are answered first.
                sqlite.writer.stop().await;
                close_pool(&sqlite.pool).await;
                if let Some(read_only) = &sqlite.read_only {
                    read_only.tidy().await;
                }
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => close_pool(pool).await,
        }
    }
}
