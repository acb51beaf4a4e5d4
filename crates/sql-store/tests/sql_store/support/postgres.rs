//! A PostgreSQL schema of its own for each test (feature `postgres`).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use phone_verify_app::VerificationStore;
use phone_verify_sql_store::{PostgresOptions, SchemaName, SchemaSnapshot, SqlVerificationStore};
use sqlx::Connection;

use super::Disposable;

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

    /// The schema's name.
    pub(crate) fn name(&self) -> &SchemaName {
        &self.name
    }

    pub(crate) fn options(&self) -> PostgresOptions {
        PostgresOptions::default().schema(self.name.clone())
    }

    /// A plain pool on the schema, for a test that acts as another instance would in SQL.
    pub(crate) async fn raw_pool(&self) -> sqlx::PgPool {
        let options: sqlx::postgres::PgConnectOptions = self.url.parse().expect("a URL");
        sqlx::PgPool::connect_with(options.options([("search_path", self.name.as_str())]))
            .await
            .expect("connects")
    }

    /// Whether the schema exists, its tables and how many rows each holds: equal before and
    /// after an open that changed nothing.
    pub(crate) async fn state(&self) -> SchemaSnapshot {
        SchemaSnapshot::of(&self.url, &self.name)
            .await
            .expect("reads the schema")
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

impl std::fmt::Debug for FreshSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FreshSchema({})", self.name)
    }
}

/// A store in a new PostgreSQL schema, or `None` (said on the terminal) without a URL.
pub(crate) async fn disposable_postgres() -> Option<Arc<dyn VerificationStore>> {
    let url =
        phone_verify_sql_store::test_postgres_url("a case of the store contract on PostgreSQL")?;
    let schema = FreshSchema::new(&url).await;
    let store = schema.connect().await;
    Some(Arc::new(Disposable {
        store,
        _guard: schema,
    }))
}
