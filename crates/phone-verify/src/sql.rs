//! The SQL stores (features `sqlite`, on by default, and `postgres`): the
//! [`crate::VerificationStore`] that the builder's `sqlite(path)` and `postgres(url)` open.
//!
//! Open one yourself for options the builder does not set (a busy timeout, a schema), and
//! hand it over with [`crate::PhoneVerificationBuilder::store`]:
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

pub use phone_verify_sql_store::*;
