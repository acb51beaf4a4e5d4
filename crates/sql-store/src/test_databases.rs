//! Databases that are not phone-verify stores, and a snapshot of a directory (feature
//! `test-support`): what the tests of this crate and of the command line need to show that an
//! open refuses another application's database and changes nothing on disk.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::Path;
use std::time::SystemTime;

use crate::migrations::Migrations;

/// Another sqlx application's migrations: SQL both engines read alike.
const THEIR_MIGRATIONS: Migrations = Migrations(&[
    (
        1,
        "users",
        "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT NOT NULL)",
    ),
    (
        2,
        "orders",
        "CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users (id))",
    ),
]);

/// Another application's tables, with no migration history, and a row in them.
const THEIR_TABLES: [&str; 2] = [
    "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL)",
    "INSERT INTO notes (id, body) VALUES (1, 'kept as it was')",
];

/// Writes the database `$foreign` is through `$connection`, a connection of either engine
/// (a macro: the two engines' connections share no trait that both sqlx's queries and its
/// migrator accept).
macro_rules! fill {
    ($foreign:expr, $connection:ident) => {
        match $foreign {
            Self::Tables => {
                for statement in THEIR_TABLES {
                    sqlx::query(statement).execute(&mut $connection).await?;
                }
            }
            Self::SqlxMigrations => {
                THEIR_MIGRATIONS
                    .migrator()
                    .await?
                    .run(&mut $connection)
                    .await?;
            }
        }
    };
}

/// A database of another application, which every open must refuse and leave as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForeignDatabase {
    /// Tables of its own and no migration history, as the `sqlite3` shell or another
    /// program makes them; a SQLite file stays in SQLite's default (rollback) journal mode.
    Tables,
    /// Another sqlx application's: its own migrations recorded in `_sqlx_migrations`; a
    /// SQLite file in WAL mode, as sqlx applications often keep theirs.
    SqlxMigrations,
}

impl ForeignDatabase {
    /// Every kind.
    pub const ALL: [Self; 2] = [Self::Tables, Self::SqlxMigrations];

    /// Makes the SQLite file `path` this database, and closes it (nothing is left beside it).
    ///
    /// # Errors
    ///
    /// What the driver answered, when the file could not be written.
    #[cfg(feature = "sqlite")]
    pub async fn write_sqlite(self, path: &Path) -> Result<(), sqlx::Error> {
        use sqlx::Connection;
        use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode};

        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        let connect = match self {
            Self::Tables => connect,
            Self::SqlxMigrations => connect.journal_mode(SqliteJournalMode::Wal),
        };
        let mut connection = SqliteConnection::connect_with(&connect).await?;
        fill!(self, connection);
        connection.close().await
    }

    /// Creates the PostgreSQL schema `schema` in the database at `url`, holding this
    /// database.
    ///
    /// # Errors
    ///
    /// What the server answered, when the schema could not be made.
    #[cfg(feature = "postgres")]
    pub async fn write_postgres(
        self,
        url: &str,
        schema: &crate::SchemaName,
    ) -> Result<(), sqlx::Error> {
        use sqlx::Connection;
        use sqlx::postgres::{PgConnectOptions, PgConnection};

        let connect: PgConnectOptions = url.parse()?;
        let mut connection =
            PgConnection::connect_with(&connect.options([("search_path", schema.as_str())]))
                .await?;
        // `schema` is a validated `SchemaName`: safe to splice.
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut connection)
            .await?;
        fill!(self, connection);
        connection.close().await
    }
}

/// Every file of a directory, with its bytes and its modification time: two equal snapshots,
/// one taken before an open and one after, show that it created, removed, wrote or touched
/// nothing there (a `-wal` or `-shm` left behind included).
#[derive(Clone, PartialEq, Eq)]
pub struct DirectorySnapshot(BTreeMap<OsString, (Vec<u8>, SystemTime)>);

impl DirectorySnapshot {
    /// The files of `dir` as they are now.
    ///
    /// # Panics
    ///
    /// When `dir` or a file in it cannot be read: a test has nothing to compare then.
    pub fn of(dir: &Path) -> Self {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        let mut files = BTreeMap::new();
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let read = std::fs::read(&path)
                .and_then(|bytes| Ok((bytes, std::fs::metadata(&path)?.modified()?)));
            let file = read.unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            files.insert(path.file_name().unwrap_or_default().to_owned(), file);
        }
        Self(files)
    }
}

impl fmt::Debug for DirectorySnapshot {
    /// Each file's name, size and modification time (not its bytes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.0
                    .iter()
                    .map(|(name, (bytes, modified))| (name, (bytes.len(), modified))),
            )
            .finish()
    }
}

/// What a PostgreSQL schema holds, as far as telling a change needs: whether it exists, its
/// tables, and how many rows each holds. Two equal snapshots, one taken before an open and one
/// after, show that it created, migrated or wrote nothing there.
#[cfg(feature = "postgres")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaSnapshot {
    exists: bool,
    /// `table: N rows`, by table name.
    tables: Vec<String>,
}

#[cfg(feature = "postgres")]
impl SchemaSnapshot {
    /// The schema `schema` of the database at `url`, as it is now.
    ///
    /// # Errors
    ///
    /// What the server answered, when the catalog or a table could not be read.
    pub async fn of(url: &str, schema: &crate::SchemaName) -> Result<Self, sqlx::Error> {
        use sqlx::Connection;

        let mut connection = sqlx::PgConnection::connect(url).await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
                .bind(schema.as_str())
                .fetch_one(&mut connection)
                .await?;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = $1 ORDER BY table_name",
        )
        .bind(schema.as_str())
        .fetch_all(&mut connection)
        .await?;
        let mut counted = Vec::with_capacity(tables.len());
        for table in tables {
            // `schema` is a validated `SchemaName`, `table` a name the catalog gave.
            let rows: i64 =
                sqlx::query_scalar(&format!("SELECT count(*) FROM {schema}.\"{table}\""))
                    .fetch_one(&mut connection)
                    .await?;
            counted.push(format!("{table}: {rows} rows"));
        }
        connection.close().await?;
        Ok(Self {
            exists,
            tables: counted,
        })
    }

    /// Whether the schema exists.
    pub fn exists(&self) -> bool {
        self.exists
    }
}
