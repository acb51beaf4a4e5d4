//! [`SqlVerificationStore`]: the app's storage port on SQLite or PostgreSQL. This module
//! holds the struct, its backends and the port's implementation; each operation is carried
//! out by a module of its own below.

mod check;
mod history;
mod number_keys;
mod numbers;
mod open;
mod protect;
mod retention;
mod rows;
mod scrub;
mod send;
mod stats;
mod transaction;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phone_verify_app::{
    AttemptCounts, AttemptId, AttemptRecord, CheckOutcome, CheckPolicy, CheckReservation,
    CountryStats, HistorySubject, NewCheck, NewSend, NumberProtection, Page, PageRequest,
    PurgeBatch, PurgePosition, Reservation, SendLimits, SendOutcome, SendRefusal, StoreError,
    VerificationStore,
};

#[cfg(feature = "sqlite")]
use crate::group_commit::GroupCommit;

pub use number_keys::NumberKeysError;
pub use protect::{DEFAULT_PROTECT_BATCH, MAX_PROTECT_BATCH, ProtectNumbersError};
pub use retention::SQLITE_BATCH_PAUSE;
#[cfg(feature = "postgres")]
pub use scrub::{POSTGRES_FORGET_STATISTICS, POSTGRES_FORGET_STATISTICS_WAIT, POSTGRES_SCRUB};
use transaction::Lock;

/// The app's [`VerificationStore`] on SQL: SQLite (one file, embedded) or PostgreSQL (shared
/// by many instances), chosen when it is opened.
///
/// Every reservation checks the guards and records the attempt in one transaction that holds
/// a lock no other instance can hold at the same time: SQLite's write lock (`BEGIN
/// IMMEDIATE`), or PostgreSQL advisory locks on the number and the trust validation (a send)
/// or on the trust validation (a check, which chooses its send under that lock). The schema, the indexes and the locking are described in
/// `docs/storage.md`. Numbers are kept in clear unless
/// [`SqlVerificationStore::protect_numbers`] gives the store a keyring (`docs/storage.md`,
/// "Numbers at rest"). Cheap to clone: clones share one connection pool. `Debug` names the
/// backend and the key ids only.
///
/// ```no_run
/// use std::sync::Arc;
/// use phone_verify_app::VerificationStore;
/// use phone_verify_sql_store::SqlVerificationStore;
///
/// # async fn wire() -> Result<(), phone_verify_app::StoreError> {
/// // `sqlite://…` or `postgres://…`, whichever backends the build has.
/// let store = SqlVerificationStore::open("sqlite://phone-verify.db").await?;
/// let store: Arc<dyn VerificationStore> = Arc::new(store);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SqlVerificationStore {
    backend: Backend,
    /// The SQLite file opening created, if it did.
    created: Option<Arc<Path>>,
    /// How numbers are kept: what the use cases hand this store.
    numbers: NumberProtection,
    /// Whether `numbers` was checked against the keys the store recorded
    /// ([`SqlVerificationStore::check_number_keys`]); shared by the clones.
    keys_checked: Arc<tokio::sync::OnceCell<()>>,
}

#[derive(Clone)]
enum Backend {
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteBackend),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// A SQLite store's pool, the writer every write of the process goes through
/// ([`GroupCommit`]), shared by the store's clones, and, opened read-only, the file whose
/// `-wal` and `-shm` closing removes.
#[cfg(feature = "sqlite")]
#[derive(Clone)]
struct SqliteBackend {
    pool: sqlx::SqlitePool,
    writer: Arc<GroupCommit>,
    read_only: Option<Arc<crate::sqlite::ReadOnlyFile>>,
}

impl fmt::Debug for SqlVerificationStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlVerificationStore")
            .field("backend", &self.backend_name())
            .field("numbers", &self.numbers)
            .finish_non_exhaustive()
    }
}

impl SqlVerificationStore {
    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => "postgres",
        }
    }

    /// This store as the app's port.
    pub fn into_port(self) -> Arc<dyn VerificationStore> {
        Arc::new(self)
    }
}

#[async_trait]
impl VerificationStore for SqlVerificationStore {
    /// [`SqlVerificationStore::backend_name`]: `sqlite` or `postgres`.
    fn engine(&self) -> &'static str {
        self.backend_name()
    }

    /// Clear, unless [`SqlVerificationStore::protect_numbers`] gave the store a keyring.
    fn numbers(&self) -> &NumberProtection {
        &self.numbers
    }

    async fn reserve_send(
        &self,
        send: NewSend,
        limits: &SendLimits,
    ) -> Result<Reservation<SendRefusal>, StoreError> {
        self.reserve_send_in(send, limits).await
    }

    async fn finish_send(
        &self,
        id: AttemptId,
        outcome: SendOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.finish_send_in(id, outcome, finished_at).await
    }

    async fn reserve_check(
        &self,
        check: NewCheck,
        policy: &CheckPolicy,
    ) -> Result<CheckReservation, StoreError> {
        self.reserve_check_in(check, policy).await
    }

    async fn finish_check(
        &self,
        id: AttemptId,
        outcome: CheckOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<AttemptId, StoreError> {
        self.finish_check_in(id, outcome, finished_at).await
    }

    async fn history(
        &self,
        subject: &HistorySubject,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, StoreError> {
        self.history_page(subject, page).await
    }

    async fn purge(
        &self,
        finished_before: DateTime<Utc>,
        after: Option<&PurgePosition>,
        limit: u32,
    ) -> Result<PurgeBatch, StoreError> {
        self.purge_in(finished_before, after, limit).await
    }

    async fn count_purgeable(
        &self,
        finished_before: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError> {
        self.count_purgeable_before(finished_before).await
    }

    async fn close_abandoned(
        &self,
        started_before: DateTime<Utc>,
        closed_at: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError> {
        self.close_abandoned_before(started_before, closed_at).await
    }

    async fn count_refusal(
        &self,
        calling_code: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.count_refusal_in(calling_code, reason, at).await
    }

    async fn send_stats(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<CountryStats>, StoreError> {
        self.send_stats_in(since, until).await
    }

    /// PostgreSQL: the database server's clock, which every instance shares. SQLite: `None`
    /// (its instances share the host's clock).
    async fn shared_now(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.server_now().await
    }
}
