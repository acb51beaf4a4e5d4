//! Why an open refused a database before it changed anything in it: the sources of the
//! [`phone_verify_app::StoreError::Misconfigured`] an open returns for a database that is not
//! a phone-verify store, or that a read-only open cannot read without migrating it. Each names
//! the database (a SQLite file's path, or a PostgreSQL schema: never a URL, which may hold a
//! password) and says why, never what the database holds.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::SchemaName;

/// The database an open looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorePlace {
    /// A SQLite file.
    File(PathBuf),
    /// A PostgreSQL schema ([`crate::PostgresOptions::schema`]).
    Schema(SchemaName),
}

impl StorePlace {
    /// The SQLite file, when it is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::File(path) => Some(path),
            Self::Schema(_) => None,
        }
    }
}

impl fmt::Display for StorePlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "the file {}", path.display()),
            Self::Schema(schema) => write!(f, "the PostgreSQL schema {schema}"),
        }
    }
}

/// Why a database is not a phone-verify store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotOurStoreReason {
    /// A 0-byte file, or a database without a table, which this open may not make into a new
    /// store: it is read-only, or it needs a store that exists already
    /// ([`crate::SqliteOptions::create_if_missing`] off).
    #[error("it is empty")]
    Empty,
    /// A PostgreSQL schema that does not exist, opened read-only (a writing open creates it).
    #[error("it does not exist")]
    Missing,
    /// A file that does not start with SQLite's header.
    #[error("it is not a SQLite database")]
    NotSqlite,
    /// Tables, and no migration history: another application's database.
    #[error("it holds another application's tables")]
    OtherTables,
    /// A migration history (sqlx's `_sqlx_migrations`) whose migrations are not this store's:
    /// another sqlx application's database.
    #[error("its migration history (_sqlx_migrations) is another application's")]
    OtherMigrations,
}

/// A database that is not a phone-verify store: refused by the open before it wrote, migrated
/// or switched anything (a SQLite file's journal mode included).
///
/// ```
/// use phone_verify_app::StoreError;
/// use phone_verify_sql_store::NotOurStore;
///
/// fn is_not_ours(error: &StoreError) -> bool {
///     match error {
///         StoreError::Misconfigured { source } => source.downcast_ref::<NotOurStore>().is_some(),
///         _ => false,
///     }
/// }
/// # let _ = is_not_ours;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place} is not a phone-verify store: {reason}")]
pub struct NotOurStore {
    place: StorePlace,
    reason: NotOurStoreReason,
}

impl NotOurStore {
    pub(crate) fn new(place: StorePlace, reason: NotOurStoreReason) -> Self {
        Self { place, reason }
    }

    /// The database refused.
    pub fn place(&self) -> &StorePlace {
        &self.place
    }

    /// Why it is not a phone-verify store.
    pub fn reason(&self) -> NotOurStoreReason {
        self.reason
    }
}

/// A phone-verify store that a read-only open cannot read: some migration of this release is
/// not applied to it yet, and a read-only open never migrates. A writing open of this release
/// (or [`crate::SqlVerificationStore::migrate`]) brings it up to date. A store migrated by a
/// newer release is read as it is, as the migrator tolerates it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{place} holds a phone-verify store older than this release, which a read-only open does not migrate"
)]
pub struct SchemaBehind {
    place: StorePlace,
}

impl SchemaBehind {
    pub(crate) fn new(place: StorePlace) -> Self {
        Self { place }
    }

    /// The database refused.
    pub fn place(&self) -> &StorePlace {
        &self.place
    }
}
