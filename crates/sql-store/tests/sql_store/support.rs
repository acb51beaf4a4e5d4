//! Fresh stores for the tests: a SQLite file in a temporary directory, or a PostgreSQL schema
//! of its own, each removed when the store is dropped (a panicking test included).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use phone_verify_app::{
    AttemptId, AttemptRecord, CheckOutcome, HistorySubject, NewSend, Page, PageRequest,
    Reservation, SendLimits, SendOutcome, SendRecord, SendRefusal, StoreError, VerificationStore,
};
use phone_verify_domain::{PhoneNumber, TrustFlowId, TrustValidationId};
use phone_verify_sql_store::{
    PostgresOptions, SchemaName, SqlFailure, SqlFailureKind, SqlVerificationStore, SqliteOptions,
};
use sqlx::Connection;
use tempfile::TempDir;

pub(crate) const POSTGRES_URL_VAR: &str = "PHONE_VERIFY_TEST_POSTGRES_URL";

/// The PostgreSQL URL, or `None` after telling the terminal (not the captured test output)
/// that `test` did not run.
pub(crate) fn postgres_url(test: &str) -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "skipped: {POSTGRES_URL_VAR} not set, so {test} did not run"
            );
            None
        }
    }
}

/// A temporary directory for SQLite files, removed on drop.
pub(crate) struct SqliteDir {
    dir: TempDir,
}

impl SqliteDir {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub(crate) fn file(&self) -> PathBuf {
        self.dir.path().join("phone-verify.db")
    }

    pub(crate) async fn open(&self, options: SqliteOptions) -> SqlVerificationStore {
        SqlVerificationStore::open_sqlite(self.file(), options)
            .await
            .expect("the SQLite store opens")
    }

    /// A store on the file, with one send reserved (in flight).
    pub(crate) async fn open_with_one_send(&self, options: SqliteOptions) -> SqlVerificationStore {
        let store = self.open(options).await;
        let reservation = store
            .reserve_send(new_send(1, "tv-a", t0()), &SendLimits::default())
            .await
            .expect("reserve");
        assert_eq!(reservation, Reservation::Reserved);
        store
    }
}

/// A PostgreSQL schema of its own, dropped (with everything in it) on drop.
pub(crate) struct FreshSchema {
    url: String,
    name: SchemaName,
}

const TEST_SCHEMA_PREFIX: &str = "pv_test_";
/// Schemas of runs that died before dropping theirs are dropped after this long.
const STALE_AFTER: Duration = Duration::from_secs(60 * 60);

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl FreshSchema {
    /// A new, unused schema name (`pv_test_<unix seconds>_<random>`); the schema itself is
    /// created by the store that connects to it.
    pub(crate) async fn new(url: &str) -> Self {
        sweep_stale_schemas(url).await;
        let random = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("{TEST_SCHEMA_PREFIX}{}_{}", unix_seconds(), &random[..12]);
        Self {
            url: url.to_owned(),
            name: SchemaName::parse(&name).expect("a valid schema name"),
        }
    }

    pub(crate) fn options(&self) -> PostgresOptions {
        PostgresOptions::default().schema(self.name.clone())
    }

    pub(crate) async fn connect(&self) -> SqlVerificationStore {
        SqlVerificationStore::open_postgres(&self.url, self.options())
            .await
            .expect("the PostgreSQL store connects")
    }
}

impl Drop for FreshSchema {
    fn drop(&mut self) {
        // Drop may run on a runtime thread, where blocking on a future is not allowed: drop
        // the schema from a thread of its own, with a runtime of its own, and wait for it.
        let url = self.url.clone();
        let name = self.name.to_string();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(drop_schema(&url, &name))
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            let _ = writeln!(
                std::io::stderr(),
                "could not drop test schema {}",
                self.name
            );
        }
    }
}

async fn drop_schema(url: &str, name: &str) -> Result<(), sqlx::Error> {
    let mut connection = sqlx::PgConnection::connect(url).await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
        .execute(&mut connection)
        .await?;
    connection.close().await
}

/// Drops the test schemas left by runs that died more than [`STALE_AFTER`] ago, once per
/// test process.
async fn sweep_stale_schemas(url: &str) {
    static SWEPT: AtomicBool = AtomicBool::new(false);
    if SWEPT.swap(true, Ordering::SeqCst) {
        return;
    }
    let Ok(mut connection) = sqlx::PgConnection::connect(url).await else {
        return;
    };
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)")
            .bind(TEST_SCHEMA_PREFIX)
            .fetch_all(&mut connection)
            .await
            .unwrap_or_default();
    let cutoff = unix_seconds().saturating_sub(STALE_AFTER.as_secs());
    for name in names {
        let created = name
            .strip_prefix(TEST_SCHEMA_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|seconds| seconds.parse::<u64>().ok());
        if created.is_some_and(|created| created < cutoff) {
            let _ = drop_schema(url, &name).await;
        }
    }
}

/// A store that takes its temporary file or schema with it when dropped, for the contract
/// suite, which takes `Arc<dyn VerificationStore>`.
#[derive(Debug)]
pub(crate) struct Disposable<G: Send + Sync + 'static> {
    store: SqlVerificationStore,
    _guard: G,
}

impl std::fmt::Debug for SqliteDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteDir")
    }
}

impl std::fmt::Debug for FreshSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FreshSchema({})", self.name)
    }
}

/// A store on a new SQLite file.
pub(crate) async fn disposable_sqlite() -> Arc<dyn VerificationStore> {
    let dir = SqliteDir::new();
    let store = dir.open(SqliteOptions::default()).await;
    Arc::new(Disposable { store, _guard: dir })
}

/// A store in a new PostgreSQL schema.
pub(crate) async fn disposable_postgres(url: &str) -> Arc<dyn VerificationStore> {
    let schema = FreshSchema::new(url).await;
    let store = schema.connect().await;
    Arc::new(Disposable {
        store,
        _guard: schema,
    })
}

#[async_trait]
impl<G: std::fmt::Debug + Send + Sync + 'static> VerificationStore for Disposable<G> {
    async fn reserve_send(
        &self,
        send: NewSend,
        limits: &SendLimits,
    ) -> Result<Reservation<SendRefusal>, StoreError> {
        self.store.reserve_send(send, limits).await
    }

    async fn finish_send(
        &self,
        id: AttemptId,
        outcome: SendOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.store.finish_send(id, outcome, finished_at).await
    }

    async fn reserve_check(
        &self,
        check: phone_verify_app::NewCheck,
        policy: &phone_verify_app::CheckPolicy,
    ) -> Result<phone_verify_app::CheckReservation, StoreError> {
        self.store.reserve_check(check, policy).await
    }

    async fn finish_check(
        &self,
        id: AttemptId,
        outcome: CheckOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<AttemptId, StoreError> {
        self.store.finish_check(id, outcome, finished_at).await
    }

    async fn sends_to_number_since(
        &self,
        phone: &PhoneNumber,
        since: DateTime<Utc>,
    ) -> Result<Vec<SendRecord>, StoreError> {
        self.store.sends_to_number_since(phone, since).await
    }

    async fn history(
        &self,
        subject: &HistorySubject,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, StoreError> {
        self.store.history(subject, page).await
    }
}

// ---- fixtures ---------------------------------------------------------------------------

pub(crate) fn number() -> PhoneNumber {
    PhoneNumber::parse("+60182258491").expect("a valid number")
}

pub(crate) fn validation(name: &str) -> TrustValidationId {
    TrustValidationId::parse(name).expect("a valid trust validation id")
}

/// An instant with nanoseconds, to show that none are lost.
pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 0)
        .single()
        .expect("a valid instant")
        + Duration::from_nanos(123_456_789)
}

pub(crate) fn new_send(n: u128, tv: &str, started_at: DateTime<Utc>) -> NewSend {
    NewSend {
        id: AttemptId::from_u128(n),
        phone: number(),
        trust_flow: TrustFlowId::new(u64::MAX),
        trust_validation: validation(tv),
        started_at,
    }
}

pub(crate) async fn history_of_number(store: &dyn VerificationStore) -> Vec<AttemptRecord> {
    store
        .history(&HistorySubject::Number(number()), PageRequest::first(100))
        .await
        .expect("the history reads")
        .items
}

/// The kind of database failure behind a store error, if it is one.
pub(crate) fn failure_kind(error: &StoreError) -> Option<SqlFailureKind> {
    match error {
        StoreError::Unavailable { source } => {
            source.downcast_ref::<SqlFailure>().map(SqlFailure::kind)
        }
        _ => None,
    }
}

pub(crate) fn sqlite_url(path: &Path, mode: &str) -> String {
    format!("sqlite://{}?mode={mode}", path.display())
}
