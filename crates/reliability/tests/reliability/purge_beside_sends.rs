//! Issue 30, points 2 and 3, from outside: a purge of a big store runs while another instance
//! of the service keeps sending, on SQLite (two instances on one file, each with its own
//! connections and writer, as two processes) and on PostgreSQL (two instances on one schema).
//!
//! The store holds the shape that made the purge quadratic: one trust validation in use with
//! 20,000 attempts finished a month ago and one finished minutes ago, beside thousands of
//! small trust validations (a send and a check) finished a month ago, and a few recent ones.
//! Four senders send to fresh trust validations, and every tenth send to an old one the purge
//! is deleting, for as long as the purge runs. What must hold:
//!
//! - no send fails (version one held SQLite's lock for seconds a batch, and sends of other
//!   processes failed as `Locked` once their busy timeout was spent);
//! - the purge deletes every trust validation settled before the cutoff, whole, and nothing
//!   else: the trust validation in use keeps its 20,001 attempts, the recent ones theirs, and
//!   an old one that got a send during the purge keeps both of its old attempts or neither,
//!   never one;
//! - the purge runs a number of batches linear in the attempts it walks: one per
//!   [`DEFAULT_PURGE_BATCH`] of them, plus one.
//!
//! The timings (how long the purge took, the slowest send beside it) are printed, never
//! asserted: the machine is shared. `docs/storage.md` has the measured lock times.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use phone_verify::records::{DEFAULT_PURGE_BATCH, PurgeMode, PurgeReport};
use phone_verify::{PhoneVerification, TrustValidationId};
use phone_verify_reliability::fixture::trust_validation;
use phone_verify_reliability::{Engine, Stack, StackConfig, open_store};

use crate::senders::{SENDERS, Senders};
use phone_verify_sql_store::{PostgresOptions, SchemaName, SqlVerificationStore, SqliteOptions};

/// The old attempts of the trust validation in use.
const IN_USE_OLD: u32 = 20_000;
/// Small trust validations (a send and a check) finished a month ago: the purge's to delete.
const OLD: u32 = 3_000;
/// Small trust validations finished minutes ago: the purge's to keep.
const RECENT: u32 = 200;
/// Every this many sends goes to an old trust validation, which the purge is deleting.
const TO_AN_OLD_ONE: u32 = 10;
/// The purge's age: the old attempts are a month old, the recent ones minutes.
const OLDER_THAN: Duration = Duration::from_secs(7 * 24 * 3600);

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// When the filled attempts finished: a month ago (the `i`-th old one `i` milliseconds after
/// that), and ten minutes ago.
struct Instants {
    old_ns: i64,
    recent_ns: i64,
}

impl Instants {
    fn now() -> Self {
        let now_ns = Utc::now()
            .timestamp_nanos_opt()
            .expect("a storable instant");
        Self {
            old_ns: now_ns - 30 * 24 * 3600 * NANOS_PER_SECOND,
            recent_ns: now_ns - 600 * NANOS_PER_SECOND,
        }
    }
}

/// The fill, in SQL each engine reads (`{id}` makes a 16-byte id of an integer expression,
/// `{series}` the rows `1..=n` as `i`).
fn fill_sql(engine: &str, at: &Instants) -> String {
    let (id, series, number) = match engine {
        "sqlite" => (
            "unhex(printf('%032x', {}))",
            "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {}) \
             SELECT i FROM s) AS n",
            "'+6018' || printf('%07d', i % 5000)",
        ),
        _ => (
            "lpad(to_hex({}), 32, '0')::uuid",
            "generate_series(1, {}) AS n(i)",
            "'+6018' || lpad((i % 5000)::text, 7, '0')",
        ),
    };
    let id = |expression: &str| id.replace("{}", expression);
    let series = |n: u32| series.replace("{}", &n.to_string());
    let (old, recent) = (at.old_ns, at.recent_ns);
    format!(
        "INSERT INTO verification_attempts (id, kind, phone_e164, trust_flow, trust_validation, \
             started_at_ns, finished_at_ns, outcome, counts) \
         SELECT {in_use_id}, 'send', {number}, 0, 'tv-in-use', {old} + i * CAST(1000000 AS BIGINT), \
             {old} + i * CAST(1000000 AS BIGINT) + 1, 'not_sent', FALSE FROM {in_use_series};
         INSERT INTO verification_attempts (id, kind, phone_e164, trust_flow, trust_validation, \
             started_at_ns, finished_at_ns, outcome, counts) \
         VALUES ({last_id}, 'send', '+60180000001', 0, 'tv-in-use', {recent}, {recent} + 1, \
             'sent', TRUE);
         INSERT INTO verification_attempts (id, kind, phone_e164, trust_flow, trust_validation, \
             started_at_ns, finished_at_ns, outcome, counts) \
         SELECT {old_send}, 'send', {number}, 0, 'tv-old-' || i, {old} + i * CAST(1000000 AS BIGINT), \
             {old} + i * CAST(1000000 AS BIGINT) + 1, 'sent', TRUE FROM {old_series};
         INSERT INTO verification_attempts (id, kind, phone_e164, trust_flow, trust_validation, \
             send_id, started_at_ns, finished_at_ns, outcome, counts) \
         SELECT {old_check}, 'check', {number}, 0, 'tv-old-' || i, {old_send}, \
             {old} + i * CAST(1000000 AS BIGINT) + 2, {old} + i * CAST(1000000 AS BIGINT) + 3, 'answered', TRUE FROM {old_series};
         INSERT INTO verification_attempts (id, kind, phone_e164, trust_flow, trust_validation, \
             started_at_ns, finished_at_ns, outcome, counts) \
         SELECT {recent_send}, 'send', {number}, 0, 'tv-recent-' || i, {recent} + i, \
             {recent} + i + 1, 'sent', TRUE FROM {recent_series};
         INSERT INTO verification_attempts (id, kind, phone_e164, trust_flow, trust_validation, \
             send_id, started_at_ns, finished_at_ns, outcome, counts) \
         SELECT {recent_check}, 'check', {number}, 0, 'tv-recent-' || i, {recent_send}, \
             {recent} + i + 2, {recent} + i + 3, 'answered', TRUE FROM {recent_series};",
        in_use_id = id("i"),
        in_use_series = series(IN_USE_OLD),
        last_id = id("99999999"),
        old_send = id("100000000 + i"),
        old_check = id("200000000 + i"),
        old_series = series(OLD),
        recent_send = id("300000000 + i"),
        recent_check = id("400000000 + i"),
        recent_series = series(RECENT),
    )
}

/// The trust validation of the send of index `index`: every [`TO_AN_OLD_ONE`]-th goes to an
/// old one (which the purge is deleting), the others to fresh ones.
fn trust_validation_of(index: u32) -> TrustValidationId {
    match old_one_of(index) {
        Some(old) => trust_validation("tv-old", old),
        None => trust_validation("beside-purge", index),
    }
}

/// The old trust validation the send of index `index` goes to, if any.
fn old_one_of(index: u32) -> Option<u32> {
    index
        .is_multiple_of(TO_AN_OLD_ONE)
        .then(|| index / TO_AN_OLD_ONE % OLD + 1)
}

/// The rows of each trust validation, split into those that started before `split_ns` (the
/// month-old ones) and the others, read with SQL.
async fn rows_by_trust_validation(
    engine: &str,
    database: &str,
    split_ns: i64,
) -> std::collections::HashMap<String, (i64, i64)> {
    let sql = format!(
        "SELECT trust_validation, \
             CAST(SUM(CASE WHEN started_at_ns < {split_ns} THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN started_at_ns < {split_ns} THEN 0 ELSE 1 END) AS BIGINT) \
         FROM verification_attempts GROUP BY trust_validation"
    );
    let rows: Vec<(String, i64, i64)> = if engine == "sqlite" {
        let pool = sqlx::SqlitePool::connect(database).await.expect("opens");
        let rows = sqlx::query_as(&sql).fetch_all(&pool).await.expect("counts");
        pool.close().await;
        rows
    } else {
        let pool = sqlx::PgPool::connect(database).await.expect("connects");
        let rows = sqlx::query_as(&sql).fetch_all(&pool).await.expect("counts");
        pool.close().await;
        rows
    };
    rows.into_iter()
        .map(|(tv, old, new)| (tv, (old, new)))
        .collect()
}

/// Fills the store, runs the purge from a second instance (`purger`) while `stack` sends, and
/// checks what is left. `database` is a URL both sqlx and the fill can open (for PostgreSQL,
/// with the schema as its search path).
async fn purge_beside_sends(
    engine: &str,
    stack: Arc<Stack>,
    purger: SqlVerificationStore,
    database: &str,
) {
    let at = Instants::now();
    let fill = fill_sql(engine, &at);
    if engine == "sqlite" {
        let pool = sqlx::SqlitePool::connect(database).await.expect("opens");
        sqlx::raw_sql(&fill).execute(&pool).await.expect("fills");
        sqlx::raw_sql("ANALYZE")
            .execute(&pool)
            .await
            .expect("analyzes");
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(database).await.expect("connects");
        sqlx::raw_sql(&fill).execute(&pool).await.expect("fills");
        sqlx::raw_sql("ANALYZE verification_attempts")
            .execute(&pool)
            .await
            .expect("analyzes");
        pool.close().await;
    }
    let records = PhoneVerification::builder()
        .store(purger)
        .build_records()
        .await
        .expect("the purging instance is wired");

    let senders = Senders::start(&stack, trust_validation_of).await;
    let began = Instant::now();
    let purged = records.purge(OLDER_THAN, PurgeMode::Delete).await;
    let took = began.elapsed();
    let sent = senders.stop().await;
    let to_old: Vec<u32> = sent.indices.iter().filter_map(|&n| old_one_of(n)).collect();
    let report: PurgeReport = purged.expect("the purge runs to its end");
    println!(
        "{engine}: purge of {} sends and {} checks in {} batches took {took:?}; {} sends beside \
         it, the slowest {:?}",
        report.attempts.sends,
        report.attempts.checks,
        report.batches,
        sent.sends(),
        sent.slowest
    );

    assert_eq!(
        sent.failures,
        Vec::<String>::new(),
        "{engine}: no send fails beside a purge"
    );
    assert!(
        sent.sends() > SENDERS,
        "{engine}: sends ran beside the purge ({} of them)",
        sent.sends()
    );
    let walked = u64::from(IN_USE_OLD + 2 * OLD);
    assert!(
        report.batches <= walked / u64::from(DEFAULT_PURGE_BATCH) + 2,
        "{engine}: {} batches for {walked} attempts walked",
        report.batches
    );

    // An hour before the recent ones: the month-old rows before it, the rest after.
    let split_ns = at.recent_ns - 3600 * NANOS_PER_SECOND;
    let rows = rows_by_trust_validation(engine, database, split_ns).await;
    assert_eq!(
        rows.get("tv-in-use"),
        Some(&(i64::from(IN_USE_OLD), 1)),
        "{engine}: the trust validation in use keeps every attempt"
    );
    for recent in 1..=RECENT {
        assert_eq!(
            rows.get(&format!("tv-recent-{recent}")),
            Some(&(0, 2)),
            "{engine}: tv-recent-{recent} is kept whole"
        );
    }
    let mut kept_old = 0;
    for old in 1..=OLD {
        let tv = format!("tv-old-{old}");
        let (old_rows, new_rows) = rows.get(&tv).copied().unwrap_or((0, 0));
        assert!(
            old_rows == 0 || old_rows == 2,
            "{engine}: {tv} keeps {old_rows} of its 2 old attempts"
        );
        if to_old.contains(&old) {
            assert!(new_rows >= 1, "{engine}: {tv}'s new send is kept");
        } else {
            assert_eq!((old_rows, new_rows), (0, 0), "{engine}: {tv} is purged");
        }
        kept_old += u64::try_from(old_rows).expect("a count");
    }
    assert_eq!(
        report.attempts.total() + kept_old,
        2 * u64::from(OLD),
        "{engine}: the purge deleted the old trust validations no send kept, and nothing else"
    );
    let new_rows: i64 = rows.values().map(|(_, new)| new).sum();
    assert_eq!(
        new_rows,
        i64::from(2 * RECENT + 1) + i64::from(sent.sends()),
        "{engine}: every send beside the purge is recorded, once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sends_beside_a_purge_of_a_big_sqlite_store_never_fail_and_trust_validations_go_whole() {
    let stack = Arc::new(Stack::start(StackConfig::default()).await.expect("a stack"));
    let database = stack.database();
    let purger = open_store(&database, SqliteOptions::default())
        .await
        .expect("a second instance opens the file");
    let url = format!("sqlite://{}", database.display());
    purge_beside_sends("sqlite", stack, purger, &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sends_beside_a_purge_of_a_big_postgres_store_never_fail_and_trust_validations_go_whole() {
    let Some(url) = phone_verify_sql_store::test_postgres_url(
        "sends_beside_a_purge_of_a_big_postgres_store_never_fail_and_trust_validations_go_whole",
    ) else {
        return;
    };
    let schema = format!(
        "pv_test_{}_purge_beside_{}",
        Utc::now().timestamp(),
        std::process::id()
    );
    let name = SchemaName::parse(&schema).expect("a schema name");
    let config = StackConfig {
        engine: Engine::Postgres {
            url: url.clone(),
            schema: name.clone(),
        },
        ..StackConfig::default()
    };
    let stack = Arc::new(Stack::start(config).await.expect("a stack"));
    let purger = SqlVerificationStore::open_postgres(&url, PostgresOptions::default().schema(name))
        .await
        .expect("a second instance connects");
    let separator = if url.contains('?') { '&' } else { '?' };
    let in_schema = format!("{url}{separator}options=-csearch_path%3D{schema}");
    purge_beside_sends("postgres", stack, purger, &in_schema).await;
    let admin = sqlx::PgPool::connect(&url).await.expect("connects");
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&admin)
        .await
        .expect("drops the schema");
}
