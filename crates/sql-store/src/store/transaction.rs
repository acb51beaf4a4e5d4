//! How an operation gets its transaction on either backend: a read, or a write holding what
//! it must hold still ([`Lock`]), and how the transaction ends.

use phone_verify_app::StoreError;

use super::{Backend, SqlVerificationStore};
#[cfg(feature = "postgres")]
use crate::postgres::{self, LockClass};
use crate::session::{Atomicity, Session, Work};
#[cfg(feature = "sqlite")]
use crate::sqlite;

/// What a write must hold still while it runs. On PostgreSQL, the advisory locks of the
/// send's number and trust validation, or of the check's trust validation; on SQLite the
/// file's write lock, held by every write, covers them all.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(super) enum Lock {
    Send {
        /// Every form the number is searched by (its E.164 form, or its digest under each
        /// key), sorted: one order for every instance, so that two instances of a fleet in
        /// the middle of a key rotation, sharing the retired key's digest, wait for each
        /// other rather than deadlock.
        numbers: Vec<String>,
        trust_validation: String,
    },
    Check {
        trust_validation: String,
    },
    Nothing,
}

impl SqlVerificationStore {
    pub(super) async fn read(&self) -> Result<Session, StoreError> {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(sqlite) => sqlite::begin_read(&sqlite.pool).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => postgres::begin_read(pool).await,
        }
    }

    /// Runs `work` as one write: in its own transaction, holding `lock`'s advisory locks,
    /// on PostgreSQL; in the next batch of the group commit on SQLite. Commits what the work
    /// asks to keep; rolls back what it refuses or fails on.
    pub(super) async fn write_in<T: Send + 'static>(
        &self,
        lock: Lock,
        atomicity: Atomicity,
        work: Work<T>,
    ) -> Result<T, StoreError> {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(sqlite) => {
                // The file's write lock, taken by each batch, is every write's.
                let _ = lock;
                sqlite.writer.run(atomicity, work).await
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                // Every write has a transaction of its own here: atomic whatever it is.
                let _ = atomicity;
                let mut session = match &lock {
                    Lock::Send {
                        numbers,
                        trust_validation,
                    } => {
                        let keys: Vec<(LockClass, &str)> = numbers
                            .iter()
                            .map(|number| (LockClass::Number, number.as_str()))
                            .chain([(LockClass::TrustValidation, trust_validation.as_str())])
                            .collect();
                        postgres::begin_locked(pool, &keys).await?
                    }
                    Lock::Check { trust_validation } => {
                        let keys = [(LockClass::TrustValidation, trust_validation.as_str())];
                        postgres::begin_locked(pool, &keys).await?
                    }
                    Lock::Nothing => postgres::begin_read(pool).await?,
                };
                let outcome = work(&mut session).await;
                Self::finish(session, outcome).await
            }
        }
    }

    /// Ends `session` after the work whose `outcome` is given: commits when the work asks
    /// for it, rolls back otherwise (an error included), so that locks are released at once.
    pub(super) async fn finish<T>(
        session: Session,
        outcome: Result<(T, bool), StoreError>,
    ) -> Result<T, StoreError> {
        match outcome {
            Ok((value, commit)) => {
                session.end(commit).await?;
                Ok(value)
            }
            Err(error) => {
                // The error is what the caller needs; a failed rollback adds nothing to it.
                let _ = session.end(false).await;
                Err(error)
            }
        }
    }
}
