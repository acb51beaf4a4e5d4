//! `phone-verify-bench purge-locks`: how long a batch of the purge, and of the conversion to
//! protected numbers, holds the store's lock, on the shapes of issue 30: one trust
//! validation in use with many old attempts and a recent one, beside thousands of small
//! ones; one settled trust validation larger than a batch; a store kept in clear.
//!
//! Each batch goes through the store's port as the purge use case runs it
//! (`VerificationStore::purge`, [`DEFAULT_PURGE_BATCH`] attempts walked a batch, each batch
//! starting where the last stopped) and the conversion as the CLI runs it
//! (`SqlVerificationStore::protect_clear_numbers`, asked for 10,000 rows a batch). The time a
//! batch's write held the lock is the store's own figure: the `write_us` of its `purge batch`
//! and `conversion batch` debug events, read here by a tracing layer (on SQLite the file's
//! write lock is held for that write, the purging process's other writes sharing its
//! transaction, none here; on PostgreSQL the rows it deletes or converts are locked for it).
//! On SQLite a second connection, as another process would, takes the write lock (`BEGIN
//! IMMEDIATE`, then `COMMIT`) every millisecond throughout, and the longest it waited is
//! printed too: what a send of the running service waits beside the purge.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use phone_verify::numbers::NumberKeyring;
use phone_verify::ports::VerificationStore;
use phone_verify::records::DEFAULT_PURGE_BATCH;
use phone_verify_sql_store::{
    MAX_PROTECT_BATCH, PostgresOptions, SQLITE_BATCH_PAUSE, SchemaName, SqlVerificationStore,
    SqliteOptions,
};
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;

use crate::plan::POSTGRES_URL_VAR;
use crate::stats::Percentiles;

/// The flags of `phone-verify-bench purge-locks`.
#[derive(Debug, Clone, clap::Args)]
pub struct PurgeLockArgs {
    /// Old attempts of the one trust validation in use (it also has one recent attempt).
    #[arg(long, default_value_t = 20_000)]
    pub in_use: u32,
    /// Small trust validations (a send and a check) finished a month ago.
    #[arg(long, default_value_t = 10_000)]
    pub small: u32,
    /// Attempts of the one settled trust validation of the second shape.
    #[arg(long, default_value_t = 20_000)]
    pub large: u32,
    /// Rows in clear to convert.
    #[arg(long, default_value_t = 20_000)]
    pub convert: u32,
    /// PostgreSQL URL (each shape works in a schema of its own, dropped afterwards). Without
    /// it only SQLite is measured.
    #[arg(long, env = POSTGRES_URL_VAR, hide_env_values = true)]
    pub postgres_url: Option<String>,
}

/// The store's write times, from its debug events: (`purge batch` or `conversion batch`,
/// microseconds).
type WriteTimes = Arc<Mutex<Vec<(String, u64)>>>;

/// Reads `write_us` and the message of the store's debug events.
struct StoreEvents(WriteTimes);

#[derive(Default)]
struct EventFields {
    message: Option<String>,
    write_us: Option<u64>,
}

impl Visit for EventFields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "write_us" {
            self.write_us = Some(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = Some(format!("{value:?}"));
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for StoreEvents {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut fields = EventFields::default();
        event.record(&mut fields);
        if let (Some(message), Some(write_us)) = (fields.message, fields.write_us) {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((message, write_us));
        }
    }
}

/// The write times the store reports, installed once as the process's subscriber.
fn write_times() -> &'static WriteTimes {
    static TIMES: OnceLock<WriteTimes> = OnceLock::new();
    TIMES.get_or_init(|| {
        let times = WriteTimes::default();
        let layer = StoreEvents(Arc::clone(&times))
            .with_filter(Targets::new().with_target("phone_verify_sql_store", LevelFilter::DEBUG));
        // Another subscriber already installed (a test's) leaves the column empty.
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer));
        times
    })
}

/// Takes the write times recorded so far whose message is `message`.
fn take_write_times(message: &str) -> Vec<Duration> {
    let mut times = write_times()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let taken = times
        .iter()
        .filter(|(said, _)| said == message)
        .map(|(_, us)| Duration::from_micros(*us))
        .collect();
    times.clear();
    taken
}

/// One measured shape on one engine.
struct Row {
    engine: &'static str,
    shape: String,
    batches: usize,
    writes: Percentiles,
    writing: usize,
    walks_only: Percentiles,
    total: Duration,
    deleted: u64,
    waited: Option<Duration>,
}

/// An empty store on one engine, and how a raw connection reaches it.
struct Fresh {
    store: SqlVerificationStore,
    raw: Raw,
    _dir: Option<tempfile::TempDir>,
}

enum Raw {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

impl Fresh {
    async fn sqlite() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("a temporary directory")?;
        let path = dir.path().join("purge-locks.db");
        let store = SqlVerificationStore::open_sqlite(&path, SqliteOptions::default())
            .await
            .context("the SQLite store opens")?;
        Ok(Self {
            store,
            raw: Raw::Sqlite(path),
            _dir: Some(dir),
        })
    }

    async fn postgres(url: &str, label: &str) -> anyhow::Result<Self> {
        let schema = format!(
            "pv_bench_{}_{label}_{}",
            Utc::now().timestamp(),
            std::process::id()
        );
        let options =
            PostgresOptions::default().schema(SchemaName::parse(&schema).context("a schema name")?);
        let store = SqlVerificationStore::open_postgres(url, options)
            .await
            .context("the PostgreSQL store connects")?;
        Ok(Self {
            store,
            raw: Raw::Postgres {
                url: url.to_owned(),
                schema,
            },
            _dir: None,
        })
    }

    fn engine(&self) -> &'static str {
        match self.raw {
            Raw::Sqlite(_) => "SQLite",
            Raw::Postgres { .. } => "PostgreSQL",
        }
    }

    /// Runs `sql` (a fill), then analyzes the table.
    async fn fill(&self, sql: &str) -> anyhow::Result<()> {
        match &self.raw {
            Raw::Sqlite(path) => {
                let pool = sqlx::SqlitePool::connect_with(
                    sqlx::sqlite::SqliteConnectOptions::new().filename(path),
                )
                .await?;
                sqlx::raw_sql(sql).execute(&pool).await.context("fills")?;
                sqlx::raw_sql("ANALYZE").execute(&pool).await?;
                pool.close().await;
            }
            Raw::Postgres { url, schema } => {
                let pool = sqlx::PgPool::connect(url).await?;
                let in_schema = format!("SET search_path = {schema}; {sql}");
                sqlx::raw_sql(&in_schema)
                    .execute(&pool)
                    .await
                    .context("fills")?;
                sqlx::raw_sql(&format!("ANALYZE {schema}.verification_attempts"))
                    .execute(&pool)
                    .await?;
                pool.close().await;
            }
        }
        Ok(())
    }

    async fn drop_it(self) -> anyhow::Result<()> {
        self.store.close().await;
        if let Raw::Postgres { url, schema } = &self.raw {
            let pool = sqlx::PgPool::connect(url).await?;
            sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&pool)
                .await?;
            pool.close().await;
        }
        Ok(())
    }

    fn sql(&self) -> FillSql {
        match self.raw {
            Raw::Sqlite(_) => FillSql {
                id: "unhex(printf('%032x', {}))",
                series: "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s \
                         WHERE i < {}) SELECT i FROM s) AS n",
                number: "'+6012' || printf('%07d', i % 5000)",
            },
            Raw::Postgres { .. } => FillSql {
                id: "lpad(to_hex({}), 32, '0')::uuid",
                series: "generate_series(1, {}) AS n(i)",
                number: "'+6012' || lpad((i % 5000)::text, 7, '0')",
            },
        }
    }

    /// Another process's writer: takes the file's write lock every millisecond until
    /// `running` is false, and returns the longest it waited (SQLite; `None` on PostgreSQL,
    /// where a purge holds no lock a send takes).
    fn probe(&self, running: Arc<AtomicBool>) -> tokio::task::JoinHandle<Option<Duration>> {
        let path = match &self.raw {
            Raw::Sqlite(path) => Some(path.clone()),
            Raw::Postgres { .. } => None,
        };
        tokio::spawn(async move {
            let path = path?;
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .busy_timeout(Duration::from_secs(5));
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .ok()?;
            let mut longest = Duration::ZERO;
            while running.load(Ordering::SeqCst) {
                let began = Instant::now();
                match pool.begin_with("BEGIN IMMEDIATE").await {
                    Ok(tx) => {
                        longest = longest.max(began.elapsed());
                        let _ = tx.commit().await;
                    }
                    // Past the busy timeout: a send would have failed.
                    Err(_) => longest = longest.max(Duration::MAX),
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            pool.close().await;
            Some(longest)
        })
    }
}

/// The SQL of a fill on one engine: `{}` in `id` is an integer expression, in `series` the
/// number of rows (`i` from 1).
struct FillSql {
    id: &'static str,
    series: &'static str,
    number: &'static str,
}

impl FillSql {
    fn id(&self, expression: &str) -> String {
        self.id.replace("{}", expression)
    }

    fn series(&self, rows: u32) -> String {
        self.series.replace("{}", &rows.to_string())
    }

    /// `rows` sends (not sent, so uncounted by the guards) of the trust validation the SQL
    /// expression `tv` names (of `i`, the row), finished at `at_ns` plus `i` milliseconds,
    /// ids after `first_id`.
    fn sends(&self, first_id: u64, rows: u32, tv: &str, at_ns: i64) -> String {
        format!(
            "INSERT INTO verification_attempts (id, kind, phone_e164, trust_flow, \
                 trust_validation, started_at_ns, finished_at_ns, outcome, counts) \
             SELECT {id}, 'send', {number}, 0, {tv}, {at_ns} + i * CAST(1000000 AS BIGINT), \
                 {at_ns} + i * CAST(1000000 AS BIGINT) + 1, 'not_sent', FALSE FROM {series};",
            id = self.id(&format!("{first_id} + i")),
            number = self.number,
            series = self.series(rows),
        )
    }

    /// `count` trust validations `{prefix}i` of a sent send and an answered check.
    fn small(&self, first_id: u64, count: u32, prefix: &str, at_ns: i64) -> String {
        let send = self.id(&format!("{first_id} + i"));
        let check = self.id(&format!("{} + i", first_id + 50_000_000));
        format!(
            "INSERT INTO verification_attempts (id, kind, phone_e164, trust_flow, \
                 trust_validation, started_at_ns, finished_at_ns, outcome, counts) \
             SELECT {send}, 'send', {number}, 0, '{prefix}' || i, {at_ns} + i * CAST(1000000 AS BIGINT), \
                 {at_ns} + i * CAST(1000000 AS BIGINT) + 1, 'sent', TRUE FROM {series};
             INSERT INTO verification_attempts (id, kind, phone_e164, trust_flow, \
                 trust_validation, send_id, started_at_ns, finished_at_ns, outcome, counts) \
             SELECT {check}, 'check', {number}, 0, '{prefix}' || i, {send}, \
                 {at_ns} + i * CAST(1000000 AS BIGINT) + 2, {at_ns} + i * CAST(1000000 AS BIGINT) + 3, 'answered', TRUE \
             FROM {series};",
            number = self.number,
            series = self.series(count),
        )
    }
}

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Purges `fresh` batch by batch, as the use case does, and measures each batch.
async fn measure_purge(fresh: &Fresh, shape: String) -> anyhow::Result<Row> {
    take_write_times("purge batch");
    let cutoff = Utc::now() - chrono::Duration::days(7);
    let running = Arc::new(AtomicBool::new(true));
    let probe = fresh.probe(Arc::clone(&running));
    let (mut after, mut batches, mut deleted) = (None, 0, 0);
    let mut walks_only = Vec::new();
    let began = Instant::now();
    loop {
        let batch_began = Instant::now();
        let batch = fresh
            .store
            .purge(cutoff, after.as_ref(), DEFAULT_PURGE_BATCH)
            .await
            .context("a purge batch")?;
        batches += 1;
        deleted += batch.deleted.total();
        if batch.deleted.total() == 0 {
            walks_only.push(batch_began.elapsed());
        }
        match batch.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let total = began.elapsed();
    running.store(false, Ordering::SeqCst);
    let waited = probe.await.context("the probe")?;
    let mut writes = take_write_times("purge batch");
    Ok(Row {
        engine: fresh.engine(),
        shape,
        batches,
        writing: writes.len(),
        writes: Percentiles::of(&mut writes),
        walks_only: Percentiles::of(&mut walks_only),
        total,
        deleted,
        waited,
    })
}

/// Converts `fresh`'s rows kept in clear, 10,000 asked a batch, as the CLI does.
async fn measure_conversion(fresh: Fresh, rows: u32) -> anyhow::Result<(Row, Fresh)> {
    let store = fresh.store.clone().protect_numbers(
        NumberKeyring::parse(&format!("bench:{}", "5a".repeat(32))).context("a keyring")?,
    );
    take_write_times("conversion batch");
    let running = Arc::new(AtomicBool::new(true));
    let probe = fresh.probe(Arc::clone(&running));
    let (mut batches, mut converted) = (0, 0);
    let began = Instant::now();
    loop {
        let done = store
            .protect_clear_numbers(10_000)
            .await
            .context("a conversion batch")?;
        batches += 1;
        converted += done;
        if done == 0 {
            break;
        }
    }
    let total = began.elapsed();
    running.store(false, Ordering::SeqCst);
    let waited = probe.await.context("the probe")?;
    let mut writes = take_write_times("conversion batch");
    let row = Row {
        engine: fresh.engine(),
        shape: format!("convert {rows} rows in clear (asked 10,000 a batch)"),
        batches,
        writing: writes.len(),
        writes: Percentiles::of(&mut writes),
        walks_only: Percentiles::default(),
        total,
        deleted: converted,
        waited,
    };
    Ok((row, fresh))
}

/// Measures every shape on SQLite and, given its URL, PostgreSQL, and returns the Markdown
/// table.
///
/// # Errors
///
/// A store does not open, a fill or a batch fails.
pub async fn measure_purge_locks(args: &PurgeLockArgs) -> anyhow::Result<String> {
    write_times();
    let now_ns = Utc::now()
        .timestamp_nanos_opt()
        .context("a storable instant")?;
    let old_ns = now_ns - 30 * 24 * 3600 * NANOS_PER_SECOND;
    let recent_ns = now_ns - 600 * NANOS_PER_SECOND;
    let mut rows = Vec::new();
    let mut engines = vec![None];
    if let Some(url) = &args.postgres_url {
        engines.push(Some(url.clone()));
    }
    for url in engines {
        let fresh = |label: &'static str| {
            let url = url.clone();
            async move {
                match url {
                    None => Fresh::sqlite().await,
                    Some(url) => Fresh::postgres(&url, label).await,
                }
            }
        };

        let store = fresh("shape").await?;
        let sql = store.sql();
        store
            .fill(&format!(
                "{}{}{}{}",
                sql.sends(0, args.in_use, "'tv-in-use'", old_ns),
                sql.sends(10_000_000, 1, "'tv-in-use'", recent_ns),
                sql.small(20_000_000, args.small, "tv-old-", old_ns + 1),
                sql.small(200_000_000, 500, "tv-recent-", recent_ns),
            ))
            .await?;
        let shape = format!(
            "one trust validation in use ({} old attempts, 1 recent), {} old of a send and a \
             check, 500 recent",
            args.in_use, args.small
        );
        rows.push(measure_purge(&store, shape).await?);
        store.drop_it().await?;

        let store = fresh("large").await?;
        store
            .fill(&store.sql().sends(0, args.large, "'tv-large'", old_ns))
            .await?;
        let shape = format!("one settled trust validation of {} attempts", args.large);
        rows.push(measure_purge(&store, shape).await?);
        store.drop_it().await?;

        let store = fresh("convert").await?;
        let sql = store.sql();
        store
            .fill(&sql.sends(0, args.convert, "'tv-' || (i % 1000)", old_ns))
            .await?;
        let (row, store) = measure_conversion(store, args.convert).await?;
        rows.push(row);
        store.drop_it().await?;
    }
    Ok(markdown(&rows))
}

fn markdown(rows: &[Row]) -> String {
    let ms = |duration: Duration| format!("{:.1}", duration.as_secs_f64() * 1000.0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Purge and conversion: how long a batch holds the lock\n\n\
         {} cores, {} build; purge batches of {DEFAULT_PURGE_BATCH} attempts walked, \
         conversion batches of at most {MAX_PROTECT_BATCH} rows; SQLite pauses {} ms between \
         two batches that wrote.\n",
        std::thread::available_parallelism().map_or(1, usize::from),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        SQLITE_BATCH_PAUSE.as_millis(),
    );
    let _ = writeln!(
        out,
        "| engine | shape | batches | writing | lock held per write, ms (p50 / p99 / max) | \
         batch that only walked, ms (p50 / max) | total, s | deleted or converted | another \
         writer waited at most, ms |\n|---|---|---:|---:|---|---|---:|---:|---:|"
    );
    for row in rows {
        let waited = match row.waited {
            Some(Duration::MAX) => "timed out".to_owned(),
            Some(waited) => ms(waited),
            None => "(no lock a send takes)".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} / {} / {} | {} / {} | {:.2} | {} | {} |",
            row.engine,
            row.shape,
            row.batches,
            row.writing,
            ms(row.writes.p50),
            ms(row.writes.p99),
            ms(row.writes.max),
            ms(row.walks_only.p50),
            ms(row.walks_only.max),
            row.total.as_secs_f64(),
            row.deleted,
            waited,
        );
    }
    out
}
