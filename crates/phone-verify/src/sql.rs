//! The SQL stores (features `sqlite`, on by default, and `postgres`): the
//! [`crate::ports::VerificationStore`] that the builder's `sqlite(..)` and `postgres(..)` open,
//! and their options.
//!
//! The builder takes the options ([`crate::PhoneVerificationBuilder::sqlite_with`],
//! `postgres_with`), and the handle closes, purges, reconciles and converts the store it
//! opened ([`crate::VerificationRecords`]). Open one yourself only to share it with code of
//! your own, and hand it over with [`crate::PhoneVerificationBuilder::store`] (then close it
//! yourself):
//!
//! ```no_run
//! # #[cfg(feature = "sqlite")]
//! # async fn wire() -> Result<(), Box<dyn std::error::Error>> {
//! use phone_verify::PhoneVerification;
//! use phone_verify::sql::{SqlVerificationStore, SqliteOptions};
//!
//! let store = SqlVerificationStore::open_sqlite("phone-verify.db", SqliteOptions::default()).await?;
//! let builder = PhoneVerification::builder().store(store);
//! # let _ = builder;
//! # Ok(())
//! # }
//! ```

pub use phone_verify_sql_store::{
    DEFAULT_LOCK_WAIT, DEFAULT_PROTECT_BATCH, DatabaseUrl, DatabaseUrlError, NotOurStore,
    NotOurStoreReason, NumberKeysError, PostgresOptions, ProtectNumbersError, SchemaBehind,
    SchemaName, SchemaNameError, SqlFailure, SqlFailureKind, SqlVerificationStore, SqliteOptions,
    StorePlace,
};
pub use phone_verify_sql_store::{MAX_PROTECT_BATCH, SQLITE_BATCH_PAUSE};
/// The statements of the scrub on PostgreSQL (`VerificationRecords::scrub_number_traces`),
/// and what it runs when the table is empty.
#[cfg(feature = "postgres")]
pub use phone_verify_sql_store::{
    POSTGRES_FORGET_STATISTICS, POSTGRES_FORGET_STATISTICS_WAIT, POSTGRES_SCRUB,
};
