//! How to open each store: timeouts, pool size, and the PostgreSQL schema.
//!
//! Setters are named for what they set (`busy_timeout(..)`), like every builder of the
//! workspace; the store reads the values itself, so there are no getters beyond the two
//! predicates that combine them.

use std::fmt;
use std::time::Duration;

/// How long a write waits for another connection's lock before failing with
/// [`crate::SqlFailureKind::Locked`], unless set.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(5);

/// Options of [`crate::SqlVerificationStore::open_sqlite`].
///
/// ```
/// use std::time::Duration;
/// use phone_verify_sql_store::SqliteOptions;
///
/// let options = SqliteOptions::default().busy_timeout(Duration::from_secs(2));
/// assert_ne!(options, SqliteOptions::default());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    pub(crate) busy_timeout: Duration,
    pub(crate) max_connections: u32,
    read_only: bool,
    create_if_missing: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            busy_timeout: DEFAULT_LOCK_WAIT,
            max_connections: 8,
            read_only: false,
            create_if_missing: true,
        }
    }
}

impl SqliteOptions {
    /// How long a statement waits for another connection's write lock before failing with
    /// [`crate::SqlFailureKind::Locked`]. Default 5 s.
    pub fn busy_timeout(self, busy_timeout: Duration) -> Self {
        Self {
            busy_timeout,
            ..self
        }
    }

    /// Most connections in the pool (at least 1). Default 8. SQLite runs one writer at a
    /// time whatever this is; more connections serve more concurrent reads.
    pub fn max_connections(self, max_connections: u32) -> Self {
        Self {
            max_connections: max_connections.max(1),
            ..self
        }
    }

    /// Opens the file read-only (`SQLITE_OPEN_READONLY`): reads work, every write fails with
    /// [`crate::SqlFailureKind::ReadOnly`]. Nothing is changed: no migration, no journal
    /// mode set, no file created, and the `-wal` and `-shm` files SQLite creates beside a
    /// WAL database are removed when the store is closed
    /// ([`crate::SqlVerificationStore::close`]). The file must hold a store of this release
    /// already: a missing file is [`crate::SqlFailureKind::Missing`], an older store is
    /// refused as [`crate::SchemaBehind`], and an empty file or another application's
    /// database as [`crate::NotOurStore`]. Default off.
    pub fn read_only(self, read_only: bool) -> Self {
        Self { read_only, ..self }
    }

    /// Whether the file is opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Whether opening creates the file when there is none. Default on. The store creates it
    /// itself, readable and writable by its owner only (`0600` on Unix; SQLite gives the
    /// `-wal` and `-shm` files the same mode), and
    /// [`crate::SqlVerificationStore::created`] names it. Off, a missing file fails with
    /// [`crate::SqlFailureKind::Missing`]: right for a program that only reads, or that
    /// needs what an earlier run recorded, where a new empty store would silently stand in
    /// for the lost one. A read-only open never creates.
    ///
    /// ```
    /// use phone_verify_sql_store::SqliteOptions;
    ///
    /// assert!(SqliteOptions::default().creates_if_missing());
    /// assert!(!SqliteOptions::default().create_if_missing(false).creates_if_missing());
    /// assert!(!SqliteOptions::default().read_only(true).creates_if_missing());
    /// ```
    pub fn create_if_missing(self, create_if_missing: bool) -> Self {
        Self {
            create_if_missing,
            ..self
        }
    }

    /// Whether a missing file is created: [`SqliteOptions::create_if_missing`], and not
    /// read-only.
    pub fn creates_if_missing(&self) -> bool {
        self.create_if_missing && !self.read_only
    }
}

/// Options of [`crate::SqlVerificationStore::open_postgres`].
///
/// ```
/// use phone_verify_sql_store::{PostgresOptions, SchemaName};
///
/// let options = PostgresOptions::default().schema(SchemaName::parse("otp")?);
/// assert_ne!(options, PostgresOptions::default());
/// # Ok::<(), phone_verify_sql_store::SchemaNameError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    pub(crate) schema: SchemaName,
    pub(crate) lock_timeout: Duration,
    pub(crate) max_connections: u32,
    pub(crate) acquire_timeout: Duration,
    pub(crate) read_only: bool,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            schema: SchemaName(String::from("phone_verify")),
            lock_timeout: DEFAULT_LOCK_WAIT,
            max_connections: 8,
            acquire_timeout: Duration::from_secs(10),
            read_only: false,
        }
    }
}

impl PostgresOptions {
    /// The schema that holds the store's tables (created if missing). Default
    /// `phone_verify`. A schema of its own keeps the table and the migration history apart
    /// from the host application's.
    pub fn schema(self, schema: SchemaName) -> Self {
        Self { schema, ..self }
    }

    /// How long a statement waits for a lock held by another instance before failing with
    /// [`crate::SqlFailureKind::Locked`] (PostgreSQL's `lock_timeout`). Default 5 s.
    pub fn lock_timeout(self, lock_timeout: Duration) -> Self {
        Self {
            lock_timeout,
            ..self
        }
    }

    /// Most connections in the pool (at least 1). Default 8.
    pub fn max_connections(self, max_connections: u32) -> Self {
        Self {
            max_connections: max_connections.max(1),
            ..self
        }
    }

    /// How long to wait for a connection (from the pool, or a new one to the server) before
    /// failing with [`crate::SqlFailureKind::Connection`]. Default 10 s.
    pub fn acquire_timeout(self, acquire_timeout: Duration) -> Self {
        Self {
            acquire_timeout,
            ..self
        }
    }

    /// Connects read-only: no schema created, no migration run, and every transaction
    /// read-only at the server (`default_transaction_read_only`), so reads work and every
    /// write fails with [`crate::SqlFailureKind::ReadOnly`]. The schema must hold a store of
    /// this release already (a missing or older one is refused when connecting). Default
    /// off.
    ///
    /// ```
    /// use phone_verify_sql_store::PostgresOptions;
    ///
    /// assert!(PostgresOptions::default().read_only(true).is_read_only());
    /// assert!(!PostgresOptions::default().is_read_only());
    /// ```
    pub fn read_only(self, read_only: bool) -> Self {
        Self { read_only, ..self }
    }

    /// Whether the store connects read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }
}

/// A PostgreSQL schema name the store may use unquoted: a lowercase ASCII letter or `_`,
/// then up to 62 lowercase ASCII letters, digits or `_`.
///
/// ```
/// use phone_verify_sql_store::SchemaName;
///
/// assert!(SchemaName::parse("phone_verify").is_ok());
/// assert!(SchemaName::parse("Robert'); DROP TABLE students;--").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SchemaName(String);

/// Why a string is not a [`SchemaName`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "a schema name is a lowercase letter or `_`, then up to 62 lowercase letters, digits or `_`"
)]
pub struct SchemaNameError;

impl SchemaName {
    /// Validates a schema name.
    ///
    /// # Errors
    ///
    /// [`SchemaNameError`] for anything but `[a-z_][a-z0-9_]{0,62}`.
    pub fn parse(input: &str) -> Result<Self, SchemaNameError> {
        let mut bytes = input.bytes();
        let first_ok = bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
        let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !first_ok || !rest_ok || input.len() > 63 {
            return Err(SchemaNameError);
        }
        Ok(Self(input.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SchemaName({})", self.0)
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for SchemaName {
    type Err = SchemaNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
