//! # phone-verify-sql-store
//!
//! The app's storage port, [`phone_verify_app::VerificationStore`], on SQL: an adapter at the
//! edge of the hexagon, next to the provider's. [`SqlVerificationStore`] keeps every send and
//! every check in one table, on either backend:
//!
//! - **SQLite** (feature `sqlite`): a file, nothing to install; the embedded default. WAL
//!   mode, a busy timeout ([`SqliteOptions`]), `BEGIN IMMEDIATE` around each write.
//! - **PostgreSQL** (feature `postgres`): one database shared by many instances, in a schema
//!   of its own ([`PostgresOptions`]), with advisory locks per number and trust validation.
//!
//! Both are on by default. Opening a store creates its schema through versioned migrations,
//! safe to run from several instances at once. Before it changes anything, an open looks at
//! the database and refuses one that is not a phone-verify store ([`NotOurStore`]); a
//! read-only open ([`SqliteOptions::read_only`], [`PostgresOptions::read_only`]) changes
//! nothing at all. The guards of the app hold across processes:
//! of fifty sends to one number racing from two instances, one passes. Times are kept to the
//! nanosecond in UTC, numbers in E.164 or, once [`SqlVerificationStore::protect_numbers`] gives
//! the store a keyring, as a keyed digest and the masked form (no clear number reaches the
//! database; [`SqlVerificationStore::protect_clear_numbers`] converts older rows), and codes
//! never. A database that is locked,
//! read-only, full or damaged makes the store [`phone_verify_app::StoreError::Unavailable`],
//! with a [`SqlFailure`] source that says which. `docs/storage.md` has the schema, the
//! indexes, the locking and the migrations.
//!
//! ```no_run
//! use phone_verify_sql_store::SqlVerificationStore;
//!
//! # async fn wire() -> Result<(), phone_verify_app::StoreError> {
//! // One process: a file (the `sqlite` feature).
//! # #[cfg(feature = "sqlite")]
//! let embedded = SqlVerificationStore::open_sqlite(
//!     "phone-verify.db",
//!     phone_verify_sql_store::SqliteOptions::default(),
//! )
//! .await?;
//! // Many instances: PostgreSQL (the `postgres` feature).
//! # #[cfg(feature = "postgres")]
//! let shared = SqlVerificationStore::open_postgres(
//!     "postgres://app@db.internal/app",
//!     phone_verify_sql_store::PostgresOptions::default(),
//! )
//! .await?;
//! // Or whichever a URL names.
//! let configured = SqlVerificationStore::open("sqlite://phone-verify.db").await?.into_port();
//! # Ok(())
//! # }
//! ```

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("phone-verify-sql-store needs a backend: enable the `sqlite` or `postgres` feature");

mod columns;
mod corrupt;
mod failure;
#[cfg(feature = "sqlite")]
mod group_commit;
mod identity;
mod json;
mod migrations;
mod options;
mod pool;
#[cfg(feature = "postgres")]
mod postgres;
mod refusal;
mod session;
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod sqlite_contents;
mod status_column;
mod store;
#[cfg(any(test, feature = "test-support"))]
mod test_databases;
#[cfg(any(test, feature = "test-support"))]
mod test_postgres;
#[cfg(all(any(test, feature = "test-support"), feature = "postgres"))]
mod test_traces;
mod url;

pub use failure::{SqlFailure, SqlFailureKind};
pub use options::{DEFAULT_LOCK_WAIT, PostgresOptions, SchemaName, SchemaNameError, SqliteOptions};
pub use refusal::{NotOurStore, NotOurStoreReason, SchemaBehind, StorePlace};
pub use store::{
    DEFAULT_PROTECT_BATCH, MAX_PROTECT_BATCH, NumberKeysError, ProtectNumbersError,
    SQLITE_BATCH_PAUSE, SqlVerificationStore,
};
#[cfg(feature = "postgres")]
pub use store::{POSTGRES_FORGET_STATISTICS, POSTGRES_FORGET_STATISTICS_WAIT, POSTGRES_SCRUB};
#[cfg(all(any(test, feature = "test-support"), feature = "postgres"))]
pub use test_databases::SchemaSnapshot;
#[cfg(any(test, feature = "test-support"))]
pub use test_databases::{DirectorySnapshot, ForeignDatabase};
#[cfg(any(test, feature = "test-support"))]
pub use test_postgres::{TEST_POSTGRES_URL_VAR, test_postgres_url};
#[cfg(all(any(test, feature = "test-support"), feature = "postgres"))]
pub use test_traces::{postgres_column_statistics, postgres_raw_pages};
pub use url::{DatabaseUrl, DatabaseUrlError};
#[cfg(all(test, feature = "sqlite", feature = "postgres"))]
mod plan_tests;
