//! The stores under the app rows: in memory, SQLite in a temporary file, PostgreSQL in a
//! schema of its own per row (dropped afterwards). Each can say how many records the row's
//! sends left, read straight from its storage.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context;
use phone_verify::PhoneVerificationBuilder;
use phone_verify::ports::InMemoryVerificationStore;
use phone_verify_sql_store::{
    DEFAULT_LOCK_WAIT, PostgresOptions, SchemaName, SqlVerificationStore, SqliteOptions,
};
use sqlx::{ConnectOptions, Connection};

use crate::workload::TRUST_VALIDATION_PREFIX;

/// Which store an app row uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreKind {
    InMemory,
    Sqlite,
    Postgres,
}

impl StoreKind {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::InMemory => "in-memory",
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// The records a row's sends left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordCount {
    /// Sends recorded with the outcome "sent".
    pub(crate) sent: u64,
    /// Every send recorded, whatever its state.
    pub(crate) all: u64,
}

/// A fresh store for one row.
pub(crate) struct StoreUnderTest {
    backend: Backend,
}

enum Backend {
    InMemory(Arc<InMemoryVerificationStore>),
    Sqlite {
        store: SqlVerificationStore,
        path: PathBuf,
        // Removed, with the database, when the row is done.
        _dir: tempfile::TempDir,
    },
    Postgres {
        store: SqlVerificationStore,
        url: String,
        schema: String,
    },
}

/// The floor's own pool on a row's SQL database (`StoreUnderTest::bare_sql`).
pub(crate) enum BareSql {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Connections of every SQL pool of the run, the stores' and the floor's alike (the stores'
/// default, said explicitly so the floor cannot drift from it).
const POOL_SIZE: u32 = 8;

/// Names the PostgreSQL schemas of one run apart.
static SCHEMAS: AtomicU32 = AtomicU32::new(0);

impl StoreUnderTest {
    /// Opens an empty store of `kind` (`postgres_url` for PostgreSQL).
    pub(crate) async fn open(kind: StoreKind, postgres_url: Option<&str>) -> anyhow::Result<Self> {
        let backend = match kind {
            StoreKind::InMemory => Backend::InMemory(Arc::new(InMemoryVerificationStore::new())),
            StoreKind::Sqlite => {
                let dir = tempfile::tempdir().context("no temporary directory for SQLite")?;
                let path = dir.path().join("bench.db");
                let store = SqlVerificationStore::open_sqlite(
                    &path,
                    SqliteOptions::default().max_connections(POOL_SIZE),
                )
                .await
                .context("the SQLite store did not open")?;
                Backend::Sqlite {
                    store,
                    path,
                    _dir: dir,
                }
            }
            StoreKind::Postgres => {
                let url = postgres_url.context("no PostgreSQL URL")?.to_owned();
                let schema = format!(
                    "bench_{}_{}",
                    std::process::id(),
                    SCHEMAS.fetch_add(1, Ordering::Relaxed)
                );
                let options = PostgresOptions::default()
                    .schema(SchemaName::parse(&schema)?)
                    .max_connections(POOL_SIZE);
                let store = SqlVerificationStore::open_postgres(&url, options)
                    .await
                    .context("the PostgreSQL store did not connect")?;
                Backend::Postgres { store, url, schema }
            }
        };
        Ok(Self { backend })
    }

    /// `builder` keeping its records in this store, which the row still holds to count them
    /// (an `Arc` of the in-memory store; a SQL store's clone, which shares its pool and is
    /// closed by [`StoreUnderTest::remove`]).
    pub(crate) fn keep_records(
        &self,
        builder: PhoneVerificationBuilder,
    ) -> PhoneVerificationBuilder {
        match &self.backend {
            Backend::InMemory(store) => builder.store(Arc::clone(store)),
            Backend::Sqlite { store, .. } | Backend::Postgres { store, .. } => {
                builder.store(store.clone())
            }
        }
    }

    /// The benchmark's sends recorded so far (the seeded history is not counted).
    pub(crate) async fn records(&self) -> anyhow::Result<RecordCount> {
        match &self.backend {
            Backend::InMemory(store) => {
                // Only sends are ever made here, and nothing is seeded.
                let all = store.len() as u64;
                Ok(RecordCount { sent: all, all })
            }
            Backend::Sqlite { path, .. } => {
                let mut connection = sqlite_connection(path).await?;
                let (sent, all): (i64, i64) = sqlx::query_as(&count_sql("verification_attempts"))
                    .fetch_one(&mut connection)
                    .await?;
                Ok(RecordCount {
                    sent: sent.unsigned_abs(),
                    all: all.unsigned_abs(),
                })
            }
            Backend::Postgres { url, schema, .. } => {
                let mut connection = sqlx::PgConnection::connect(url).await?;
                let (sent, all): (i64, i64) =
                    sqlx::query_as(&count_sql(&format!("{schema}.verification_attempts")))
                        .fetch_one(&mut connection)
                        .await?;
                Ok(RecordCount {
                    sent: sent.unsigned_abs(),
                    all: all.unsigned_abs(),
                })
            }
        }
    }

    /// Writes `records` past sends straight into the table, in one statement: sends
    /// finished as "sent" weeks ago (outside every guard's horizon), to the numbers the
    /// workload hands out below `records`, each with a trust validation of its own.
    pub(crate) async fn seed_history(&self, records: u64) -> anyhow::Result<()> {
        let records = i64::try_from(records)?;
        let now_ns = chrono::Utc::now()
            .timestamp_nanos_opt()
            .context("the clock is out of range")?;
        let first_ns = now_ns - 30 * 24 * 3600 * 1_000_000_000;
        match &self.backend {
            Backend::InMemory(_) => anyhow::bail!("the in-memory store has no history to seed"),
            Backend::Sqlite { path, .. } => {
                let mut connection = sqlite_connection(path).await?;
                sqlx::query(SQLITE_SEED)
                    .bind(records)
                    .bind(first_ns)
                    .execute(&mut connection)
                    .await
                    .context("seeding the SQLite history failed")?;
            }
            Backend::Postgres { url, schema, .. } => {
                let mut connection = sqlx::PgConnection::connect(url).await?;
                sqlx::query(
                    &POSTGRES_SEED.replace("{table}", &format!("{schema}.verification_attempts")),
                )
                .bind(records)
                .bind(first_ns)
                .execute(&mut connection)
                .await
                .context("seeding the PostgreSQL history failed")?;
                // What autovacuum would have done by the time a table holds that much.
                sqlx::query(&format!("ANALYZE {schema}.verification_attempts"))
                    .execute(&mut connection)
                    .await?;
            }
        }
        Ok(())
    }

    /// A pool of its own on this store's database, opened as a user writing the SQL by hand
    /// with sqlx would open it: the store's durability settings (SQLite: WAL,
    /// `synchronous=FULL`, the same busy timeout and pool size; PostgreSQL: the same pool
    /// size, the row's schema), nothing else. The floor rows write through it.
    pub(crate) async fn bare_sql(&self) -> anyhow::Result<BareSql> {
        match &self.backend {
            Backend::InMemory(_) => anyhow::bail!("the in-memory store has no SQL floor"),
            Backend::Sqlite { path, .. } => {
                let connect = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .busy_timeout(DEFAULT_LOCK_WAIT)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(POOL_SIZE)
                    .connect_with(connect)
                    .await
                    .context("the floor's SQLite pool did not open")?;
                Ok(BareSql::Sqlite(pool))
            }
            Backend::Postgres { url, schema, .. } => {
                let connect: sqlx::postgres::PgConnectOptions = url.parse()?;
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(POOL_SIZE)
                    .connect_with(connect.options([("search_path", schema.as_str())]))
                    .await
                    .context("the floor's PostgreSQL pool did not connect")?;
                Ok(BareSql::Postgres(pool))
            }
        }
    }

    /// Closes the store and removes what it stored.
    pub(crate) async fn remove(self) -> anyhow::Result<()> {
        match self.backend {
            Backend::InMemory(_) => {}
            Backend::Sqlite { store, .. } => store.close().await,
            Backend::Postgres { store, url, schema } => {
                store.close().await;
                let mut connection = sqlx::PgConnection::connect(&url).await?;
                sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(&mut connection)
                    .await?;
            }
        }
        Ok(())
    }
}

async fn sqlite_connection(path: &std::path::Path) -> anyhow::Result<sqlx::SqliteConnection> {
    Ok(sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await?)
}

/// Sends of the benchmark (not of the seeded history): finished as sent, and all.
fn count_sql(table: &str) -> String {
    format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN outcome = 'sent' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COUNT(*) AS BIGINT) \
         FROM {table} WHERE kind = 'send' AND trust_validation LIKE '{TRUST_VALIDATION_PREFIX}%'"
    )
}

// The numbers are the workload's (`workload::national_number`): the block of `+6012`,
// scrambled by the same multiplier, its seven digits read backwards (SQLite has no
// `reverse`: digit by digit). One send every two seconds from 30 days ago.
const SQLITE_SEED: &str = "\
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < ?1)
INSERT INTO verification_attempts
    (id, kind, phone_e164, trust_flow, trust_validation, reference,
     started_at_ns, finished_at_ns, outcome, counts)
SELECT randomblob(16), 'send', '+6012' || printf('%07d', x % 10 * 1000000
       + x / 10 % 10 * 100000 + x / 100 % 10 * 10000 + x / 1000 % 10 * 1000
       + x / 10000 % 10 * 100 + x / 100000 % 10 * 10 + x / 1000000 % 10), 147,
       'history-' || n, upper(hex(randomblob(16))),
       ?2 + n * 2000000000, ?2 + n * 2000000000 + 300000000, 'sent', 1
FROM (SELECT n, (n * 7654321) % 10000000 AS x FROM seq)";

const POSTGRES_SEED: &str = "\
INSERT INTO {table}
    (id, kind, phone_e164, trust_flow, trust_validation, reference,
     started_at_ns, finished_at_ns, outcome, counts)
SELECT gen_random_uuid(), 'send',
       '+6012' || reverse(lpad(((n * 7654321) % 10000000)::text, 7, '0')), 147,
       'history-' || n, upper(md5(n::text)),
       $2 + n * 2000000000, $2 + n * 2000000000 + 300000000, 'sent', true
FROM generate_series(0, $1 - 1) AS n";

#[cfg(test)]
mod tests {
    use crate::workload::{BLOCK, MULTIPLIER, national_number};

    #[test]
    fn the_seeded_numbers_are_the_workloads_first_block() {
        // The SQL above hard-codes the prefix, the multiplier and the reversal of the first
        // block.
        assert_eq!(MULTIPLIER, 7_654_321);
        assert_eq!(BLOCK, 10_000_000);
        for n in [3, 1_234] {
            let forwards = format!("{:07}", n * 7_654_321 % 10_000_000);
            let backwards: String = forwards.chars().rev().collect();
            assert_eq!(national_number(n), format!("12{backwards}"));
        }
    }
}
