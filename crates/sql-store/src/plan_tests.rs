//! The plans of the queries the use cases make, on a table of 60 000 attempts (20 000 sends
//! to 5 000 numbers, a check of each, and 20 000 sends to 5 000 protected numbers), analyzed: every one is a search of its index, never a
//! scan of the table, so it costs the same with ten rows and with ten million. The guard queries and the
//! sends a check chooses from use the partial indexes of counted attempts, which hold no more rows
//! per key than the guards let through.

use std::io::Write;

use sqlx::Row;
use uuid::Uuid;

use crate::sql;

/// Each query, the index it must search, and its parameters.
fn queries() -> Vec<(&'static str, &'static str, Vec<Param>)> {
    let number = || Param::Text("+60180000042");
    let digest = || Param::Text(DIGEST_42);
    let validation = || Param::Text("tv-42");
    let id = || Param::Id(Uuid::from_u128(42));
    // A purge's cutoff: the first 100 of the table's 20 000 seconds, as a purge that runs
    // every day finds a day's worth of candidates behind the ones it deleted the day before.
    let cutoff = || Param::Int(100 * 1_000_000_000);
    vec![
        (sql::COUNT_ID, "primary key", vec![id()]),
        (sql::ATTEMPT, "primary key", vec![id()]),
        (
            sql::COUNTED_SENDS_TO_NUMBER_AFTER,
            "verification_attempts_counted_sends_by_number",
            vec![number(), Param::Int(0)],
        ),
        // A send's guards in one statement: each part searches its own index (every part
        // on; the parts of the guards against pumping further down).
        (sql::SEND_GUARDS_BY_NUMBER, "primary key", send_guards()),
        (
            sql::COUNT_COUNTED_CHECKS_OF_SEND,
            "verification_attempts_checks_by_send",
            vec![id()],
        ),
        (
            sql::CHECK_TOTALS,
            "verification_attempts_checks_by_send",
            vec![id(), validation()],
        ),
        (
            sql::CHECK_TOTALS,
            "verification_attempts_by_trust_validation",
            vec![id(), validation()],
        ),
        (
            sql::COUNTED_SENDS_OF_TRUST_VALIDATION,
            "verification_attempts_counted_sends_by_trust_validation",
            vec![validation()],
        ),
        (
            sql::SEND_OF_TRUST_VALIDATION_WITH_REFERENCE,
            "verification_attempts_by_trust_validation",
            vec![
                validation(),
                Param::Text("0123456789ABCDEF0123456789ABCDEF"),
            ],
        ),
        // A purge batch's walk: a range of the finish index alone, then two searches per
        // attempt walked.
        (
            sql::PURGE_WALK,
            "verification_attempts_by_finish",
            purge_walk(),
        ),
        (
            sql::PURGE_WALK,
            "verification_attempts_finished_by_trust_validation",
            purge_walk(),
        ),
        (
            sql::COUNT_PURGEABLE_CHECKS,
            "verification_attempts_by_finish",
            vec![cutoff()],
        ),
        (
            sql::COUNT_PURGEABLE_SENDS,
            "verification_attempts_in_flight_by_trust_validation",
            vec![cutoff()],
        ),
        (
            sql::CLOSE_ABANDONED,
            "verification_attempts_in_flight",
            vec![Param::Int(0), Param::Int(1), Param::Text("send")],
        ),
        (
            sql::HISTORY_OF_NUMBER,
            "verification_attempts_by_number",
            vec![number(), Param::Int(11)],
        ),
        (
            sql::HISTORY_OF_NUMBER_AFTER,
            "verification_attempts_by_number",
            vec![number(), Param::Int(11), Param::Int(i64::MAX), id()],
        ),
        (
            sql::NTH_COUNTED_SEND_TO_COUNTRY_AFTER,
            "verification_attempts_counted_sends_by_country",
            vec![Param::Text("+7"), Param::Int(0), Param::Int(100)],
        ),
        (
            sql::COUNTRY_CONVERSION,
            "verification_attempts_counted_sends_by_country",
            vec![Param::Text("+7"), Param::Int(0), Param::Int(i64::MAX)],
        ),
        (
            sql::COUNTRY_CONVERSION,
            "verification_attempts_verified_checks_by_country",
            vec![Param::Text("+7"), Param::Int(0), Param::Int(i64::MAX)],
        ),
        // `stats`: the walk of the countries, then per country the breaker's counts.
        (
            sql::NEXT_COUNTRY_WITH_SENDS,
            "verification_attempts_counted_sends_by_country",
            vec![Param::Text("+3")],
        ),
        (
            sql::REFUSAL_COUNTS,
            REFUSALS_KEY,
            vec![Param::Int(0), Param::Int(60 * 1_000_000_000)],
        ),
        (
            sql::PURGE_REFUSALS,
            REFUSALS_KEY,
            vec![Param::Int(60 * 1_000_000_000), Param::Int(500)],
        ),
        // A send's guards, every part on: each part searches its own index.
        (
            sql::SEND_GUARDS_BY_NUMBER,
            "verification_attempts_counted_sends_by_number",
            send_guards(),
        ),
        (
            sql::SEND_GUARDS_BY_NUMBER,
            "verification_attempts_counted_sends_by_trust_validation",
            send_guards(),
        ),
        (
            sql::SEND_GUARDS_BY_NUMBER,
            "verification_attempts_counted_sends_by_range",
            send_guards(),
        ),
        (
            sql::SEND_GUARDS_BY_NUMBER,
            "verification_attempts_counted_sends_by_country",
            send_guards(),
        ),
        (
            sql::SEND_GUARDS_BY_NUMBER,
            "verification_attempts_counted_sends_by_prefix",
            send_guards(),
        ),
        (
            sql::SEND_GUARDS_BY_NUMBER,
            "verification_attempts_checks_by_send",
            send_guards(),
        ),
        (
            sql::SEND_GUARDS_BY_NUMBER,
            "verification_attempts_counted_sends_by_client",
            send_guards(),
        ),
        (
            sql::SEND_GUARDS_BY_DIGEST,
            "verification_attempts_counted_sends_by_digest",
            send_guards_by_digest(),
        ),
        (
            sql::COUNTED_SENDS_TO_DIGEST_AFTER,
            "verification_attempts_counted_sends_by_digest",
            vec![digest(), Param::Int(0)],
        ),
        (
            sql::HISTORY_OF_DIGEST,
            "verification_attempts_by_digest",
            vec![digest(), Param::Int(11)],
        ),
        (
            sql::HISTORY_OF_DIGEST_AFTER,
            "verification_attempts_by_digest",
            vec![digest(), Param::Int(11), Param::Int(i64::MAX), id()],
        ),
        (
            sql::HISTORY_OF_TRUST_VALIDATION,
            "verification_attempts_by_trust_validation",
            vec![validation(), Param::Int(11)],
        ),
        (
            sql::HISTORY_OF_TRUST_VALIDATION_AFTER,
            "verification_attempts_by_trust_validation",
            vec![validation(), Param::Int(11), Param::Int(i64::MAX), id()],
        ),
    ]
}

/// The parameters of a send's guards ([`sql::SEND_GUARDS_BY_NUMBER`]) with every part on:
/// the number, its range, its country and prefix, a sample of 200, a client.
fn send_guards() -> Vec<Param> {
    vec![
        Param::Id(Uuid::from_u128(42)),
        Param::Text("tv-42"),
        Param::Text("+60180000042"),
        Param::Int(0),
        Param::Text("+601800042**"),
        Param::Int(0),
        Param::Text("+7"),
        Param::Text("+601042******"),
        Param::Int(0),
        Param::Int(i64::MAX),
        Param::Int(200),
        Param::Text("k1:00000000000000000000000000000000000000000000000000000000000000ab"),
        Param::Int(0),
        Param::Text("+7"),
        Param::Int(0),
    ]
}

/// [`send_guards`] for a protected number, by its digest.
fn send_guards_by_digest() -> Vec<Param> {
    let mut params = send_guards();
    params[2] = Param::Text(DIGEST_42);
    params
}

/// The parameters of a purge batch's walk: the cutoff of [`queries`], from the start, 500.
fn purge_walk() -> Vec<Param> {
    vec![
        Param::Int(100 * 1_000_000_000),
        Param::Int(i64::MIN),
        Param::Text(""),
        Param::Int(500),
    ]
}

/// The writes of a purge batch (its delete) and of a conversion batch (its locking read and
/// its update) on `engine`, the index each must search and their parameters: 50 trust
/// validations, as a purge batch lists those it met settled; two rows, as a conversion batch
/// lists them.
fn maintenance_writes(engine: &str) -> Vec<(&'static str, &'static str, Vec<Param>)> {
    let (delete, select, select_ranges, protect) = match engine {
        #[cfg(feature = "sqlite")]
        "sqlite" => (
            sql::PURGE_DELETE_SQLITE,
            sql::CLEAR_NUMBERS_SQLITE,
            sql::CLEAR_RANGES_SQLITE,
            sql::PROTECT_NUMBERS_SQLITE,
        ),
        #[cfg(feature = "postgres")]
        "postgres" => (
            sql::PURGE_DELETE_POSTGRES,
            sql::CLEAR_NUMBERS_POSTGRES,
            sql::CLEAR_RANGES_POSTGRES,
            sql::PROTECT_NUMBERS_POSTGRES,
        ),
        _ => unreachable!("an engine of this build"),
    };
    let list = || Param::Text(FIFTY_TRUST_VALIDATIONS);
    vec![
        (
            delete,
            "verification_attempts_by_trust_validation",
            vec![Param::Int(100 * 1_000_000_000), list()],
        ),
        (
            delete,
            "verification_attempts_finished_by_trust_validation",
            vec![Param::Int(100 * 1_000_000_000), list()],
        ),
        (
            select,
            "verification_attempts_by_number",
            vec![Param::Int(500)],
        ),
        (
            select_ranges,
            "verification_attempts_clear_ranges",
            vec![Param::Int(500)],
        ),
        (
            protect,
            "primary key",
            vec![Param::Text(TWO_CONVERTED_ROWS)],
        ),
    ]
    .into_iter()
    // SQLite's plan shows the search of the foreign key (each deleted send's checks);
    // PostgreSQL runs it in a trigger its plan does not show.
    .chain((engine == "sqlite").then(|| {
        (
            delete,
            "verification_attempts_checks_by_send",
            vec![Param::Int(100 * 1_000_000_000), list()],
        )
    }))
    .collect()
}

/// The partial indexes that hold only the rows their query wants, which SQLite's plan shows as
/// a `SCAN` of the index from its start (it has no condition to search by): the rows whose
/// range a conversion has yet to protect, none in a store in clear or protected from the start.
const WALKED_WHOLE: &[&str] = &["verification_attempts_clear_ranges"];

/// Two rows of a conversion batch: the attempts 42 and 43 of the fill, protected with their
/// ranges.
const TWO_CONVERTED_ROWS: &str = concat!(
    r#"[["0000000000000000000000000000002a","+60180000042","#,
    r#""000000000000000000000000000000000000000000000000000000000000002a","k1","+60*****0042","#,
    r#""+601800042**","k1:000000000000000000000000000000000000000000000000000000000000002a"],"#,
    r#"["0000000000000000000000000000002b","+60180000043","#,
    r#""000000000000000000000000000000000000000000000000000000000000002b","k1","+60*****0043","#,
    r#""+601800043**","k1:000000000000000000000000000000000000000000000000000000000000002b"]]"#
);

/// `["tv-100", …, "tv-149"]`.
const FIFTY_TRUST_VALIDATIONS: &str = concat!(
    r#"["tv-100","tv-101","tv-102","tv-103","tv-104","tv-105","tv-106","tv-107","tv-108","#,
    r#""tv-109","tv-110","tv-111","tv-112","tv-113","tv-114","tv-115","tv-116","tv-117","#,
    r#""tv-118","tv-119","tv-120","tv-121","tv-122","tv-123","tv-124","tv-125","tv-126","#,
    r#""tv-127","tv-128","tv-129","tv-130","tv-131","tv-132","tv-133","tv-134","tv-135","#,
    r#""tv-136","tv-137","tv-138","tv-139","tv-140","tv-141","tv-142","tv-143","tv-144","#,
    r#""tv-145","tv-146","tv-147","tv-148","tv-149"]"#
);

/// The primary key of `verification_refusals`, as the tests name it on either engine.
const REFUSALS_KEY: &str = "refusals primary key";

/// The digest the fills give the protected number 42: 64 hex digits of 42.
const DIGEST_42: &str = "000000000000000000000000000000000000000000000000000000000000002a";

#[derive(Debug, Clone, Copy)]
enum Param {
    Text(&'static str),
    Int(i64),
    Id(Uuid),
}

macro_rules! bind_params {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match param {
                Param::Text(text) => query.bind(text),
                Param::Int(int) => query.bind(int),
                Param::Id(id) => query.bind(id),
            };
        }
        query
    }};
}

#[tokio::test]
async fn every_sqlite_query_searches_its_index() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let crate::url::Target::Sqlite(target) =
        crate::DatabaseUrl::sqlite_file(dir.path().join("plans.db")).target
    else {
        unreachable!("a SQLite file")
    };
    let pool = crate::sqlite::open(&target, &crate::SqliteOptions::default())
        .await
        .expect("opens")
        .pool;
    sqlx::raw_sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
         INSERT INTO verification_attempts
             (id, kind, phone_e164, trust_flow, trust_validation, started_at_ns,
              finished_at_ns, outcome, counts, calling_code, number_range, number_prefix)
         SELECT unhex(printf('%032x', i)), 'send', printf('+6018%07d', i % 5000), 147,
                'tv-' || (i % 7000), i * 1000000000, i * 1000000000 + 1,
                CASE WHEN i % 3 = 0 THEN 'not_sent' ELSE 'sent' END, i % 3 <> 0,
                '+' || (i % 50 + 1), printf('+6018%05d**', i % 5000),
                printf('+601%03d******', i % 200)
         FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
         INSERT INTO verification_attempts
             (id, kind, phone_e164, trust_flow, trust_validation, send_id, started_at_ns, counts,
              calling_code, verdict)
         SELECT unhex(printf('%032x', 100000 + i)), 'check', printf('+6018%07d', i % 5000),
                147, 'tv-' || (i % 7000), unhex(printf('%032x', i)), i * 1000000000 + 5, 1,
                '+' || (i % 50 + 1), CASE WHEN i % 4 = 0 THEN 'verified' ELSE NULL END
         FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
         INSERT INTO verification_attempts
             (id, kind, phone_digest, phone_key, phone_masked, trust_flow, trust_validation,
              started_at_ns, finished_at_ns, outcome, counts)
         SELECT unhex(printf('%032x', 200000 + i)), 'send', printf('%064x', i % 5000), 'k1',
                '+60*****0042', 147, 'tv-p' || (i % 7000), i * 1000000000,
                i * 1000000000 + 1, CASE WHEN i % 3 = 0 THEN 'not_sent' ELSE 'sent' END, i % 3 <> 0
         FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
         INSERT INTO verification_refusals (minute_ns, calling_code, reason, refusals)
         SELECT (i / 10) * 60000000000, '+' || (i % 10 + 1), 'number_range_busy', i FROM n;
         ANALYZE;",
    )
    .execute(&pool)
    .await
    .expect("the table fills");
    // A connection reads the statistics ANALYZE wrote when it loads the schema: the pool's
    // other connections, opened before, would plan without them (or with some), and the same
    // query would get a different plan on each (seen when a migration added a column). A new
    // pool plans every query with them.
    pool.close().await;
    let pool = crate::sqlite::open(&target, &crate::SqliteOptions::default())
        .await
        .expect("opens again")
        .pool;

    for (query, index, params) in queries().into_iter().chain(maintenance_writes("sqlite")) {
        let explain = format!("EXPLAIN QUERY PLAN {query}");
        let rows = bind_params!(sqlx::query(&explain), params)
            .fetch_all(&pool)
            .await
            .expect("explains");
        let plan: Vec<String> = rows
            .iter()
            .map(|row| row.get::<String, _>("detail"))
            .collect();
        let _ = writeln!(std::io::stderr(), "{query}\n  -> {plan:?}");
        let expected = if index == "primary key" {
            "sqlite_autoindex_verification_attempts_1".to_owned()
        } else if index == REFUSALS_KEY {
            "INDEX sqlite_autoindex_verification_refusals_1 ".to_owned()
        } else {
            format!("INDEX {index} ")
        };
        // An index that holds only the rows its query wants is walked from its start.
        let walks = |step: &String| {
            WALKED_WHOLE.contains(&index)
                && step.starts_with("SCAN")
                && step.ends_with(&format!("INDEX {index}"))
        };
        assert!(
            plan.iter().any(
                |step| (step.starts_with("SEARCH") && step.contains(&expected)) || walks(step)
            ),
            "{query}\nsearches {expected}: {plan:?}"
        );
        // A purge's delete and a conversion's update scan the list they were given
        // (`json_each`, a virtual table): the batch's, not the table. The breaker scans the
        // few sends its own statement read (`MATERIALIZE recent` and its co-routines
        // `of_country`, `of_prefix`: at most its sample each).
        let materialized: Vec<String> = plan
            .iter()
            .filter_map(|step| {
                step.strip_prefix("MATERIALIZE ")
                    .or_else(|| step.strip_prefix("CO-ROUTINE "))
            })
            .map(|name| format!("SCAN {name}"))
            .collect();
        assert!(
            !plan.iter().any(|step| (step.starts_with("SCAN")
                && !step.contains("VIRTUAL TABLE")
                && !materialized.contains(step)
                && !walks(step))
                || step.contains("TEMP B-TREE")),
            "{query}\nneither scans nor sorts: {plan:?}"
        );
    }
}

#[tokio::test]
async fn every_postgres_query_searches_its_index() {
    let Some(url) = crate::test_postgres_url("every_postgres_query_searches_its_index") else {
        return;
    };
    let seconds = chrono::Utc::now().timestamp();
    let schema = format!(
        "pv_test_{seconds}_plans_{}",
        &Uuid::new_v4().simple().to_string()[..8]
    );
    let options = crate::PostgresOptions::default()
        .schema(crate::SchemaName::parse(&schema).expect("a schema name"));
    let base: sqlx::postgres::PgConnectOptions = url.parse().expect("a PostgreSQL URL");
    let pool = crate::postgres::connect(base, &options)
        .await
        .expect("connects");
    let hot = || {
        queries()
            .into_iter()
            .chain(maintenance_writes("postgres"))
            .filter(|(query, _, _)| !MAINTENANCE.contains(query))
    };
    let mut failures = generic_plans(&pool, "a new table", hot()).await;
    sqlx::raw_sql(
        "INSERT INTO verification_attempts
             (id, kind, phone_e164, trust_flow, trust_validation, started_at_ns,
              finished_at_ns, outcome, counts, calling_code, number_range, number_prefix)
         SELECT lpad(to_hex(i), 32, '0')::uuid, 'send', '+6018' || lpad((i % 5000)::text, 7, '0'),
                147, 'tv-' || (i % 7000), i * 1000000000::bigint, i * 1000000000::bigint + 1,
                CASE WHEN i % 3 = 0 THEN 'not_sent' ELSE 'sent' END, i % 3 <> 0,
                '+' || (i % 50 + 1), '+6018' || lpad((i % 5000)::text, 5, '0') || '**',
                '+601' || lpad((i % 200)::text, 3, '0') || '******'
         FROM generate_series(1, 20000) AS i;
         INSERT INTO verification_attempts
             (id, kind, phone_e164, trust_flow, trust_validation, send_id, started_at_ns, counts,
              calling_code, verdict)
         SELECT lpad(to_hex(100000 + i), 32, '0')::uuid, 'check',
                '+6018' || lpad((i % 5000)::text, 7, '0'), 147, 'tv-' || (i % 7000),
                lpad(to_hex(i), 32, '0')::uuid, i * 1000000000::bigint + 5, TRUE,
                '+' || (i % 50 + 1), CASE WHEN i % 4 = 0 THEN 'verified' ELSE NULL END
         FROM generate_series(1, 20000) AS i;
         INSERT INTO verification_attempts
             (id, kind, phone_digest, phone_key, phone_masked, trust_flow, trust_validation,
              started_at_ns, finished_at_ns, outcome, counts)
         SELECT lpad(to_hex(200000 + i), 32, '0')::uuid, 'send', lpad(to_hex(i % 5000), 64, '0'),
                'k1', '+60*****0042', 147, 'tv-p' || (i % 7000), i * 1000000000::bigint,
                i * 1000000000::bigint + 1, CASE WHEN i % 3 = 0 THEN 'not_sent' ELSE 'sent' END,
                i % 3 <> 0
         FROM generate_series(1, 20000) AS i;
         INSERT INTO verification_refusals (minute_ns, calling_code, reason, refusals)
         SELECT (i / 10) * 60000000000::bigint, '+' || (i % 10 + 1), 'number_range_busy', i
         FROM generate_series(1, 20000) AS i;
         ANALYZE verification_attempts;
         ANALYZE verification_refusals;",
    )
    .execute(&pool)
    .await
    .expect("the table fills");

    // A purge's delete and a conversion's update run once a batch, from statements sqlx
    // keeps: after five, their plans may be the generic ones, on the analyzed table too.
    failures.extend(generic_plans(&pool, "the filled table", maintenance_writes("postgres")).await);
    for (query, index, params) in queries().into_iter().chain(maintenance_writes("postgres")) {
        let explain = format!("EXPLAIN {query}");
        let rows = bind_params!(sqlx::query(&explain), params)
            .fetch_all(&pool)
            .await
            .expect("explains");
        let plan: Vec<String> = rows.iter().map(|row| row.get::<String, _>(0)).collect();
        let _ = writeln!(std::io::stderr(), "{query}\n  -> {plan:#?}");
        if let Some(failure) = postgres_plan_failure(query, index, &plan) {
            failures.push(failure);
        }
    }
    pool.close().await;
    let admin = sqlx::PgPool::connect(&url).await.expect("connects");
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin)
        .await
        .expect("the schema drops");
    admin.close().await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Why a PostgreSQL plan does not search `index` (or scans the table), or `None` when it is
/// as it should be.
fn postgres_plan_failure(query: &str, index: &str, plan: &[String]) -> Option<String> {
    let index = match index {
        "primary key" => "verification_attempts_pkey",
        REFUSALS_KEY => "verification_refusals_pkey",
        index => index,
    };
    let searches = plan.iter().any(|step| {
        step.contains(&format!("Index Scan using {index} "))
            || step.contains(&format!("Index Scan Backward using {index} "))
            || step.contains(&format!("Index Only Scan using {index} "))
            || step.contains(&format!("Bitmap Index Scan on {index} "))
            || step.ends_with(&format!("Bitmap Index Scan on {index}"))
    });
    // PostgreSQL may sort the few rows an index search found rather than walk the index in
    // order (it does when a key has fewer rows than the page size): that sort costs what the
    // key's rows cost, whatever the table's size. A table scan never passes.
    let scans = plan.iter().any(|step| step.contains("Seq Scan"));
    (!searches || scans).then(|| format!("{query}\nsearches {index}, never scans: {plan:#?}"))
}

/// The statements of maintenance (a purge's walk and dry run, conversion, reconcile, `stats`),
/// left out of the generic plans of a new table: they run seldom, on a table autovacuum has analyzed by
/// then (and a new analysis replans every kept statement), and a new table is small whatever
/// they scan (a conversion's update, on a table with no rows in clear, updates nothing). A
/// purge's walk, run once a batch, is never kept: it is planned for its parameters each time
/// (`sql::PURGE_WALK`). A purge's delete, kept, is planned generically here on both tables,
/// and a conversion's update on the filled one.
const MAINTENANCE: &[&str] = &[
    sql::PURGE_WALK,
    sql::PURGE_REFUSALS,
    sql::NEXT_COUNTRY_WITH_SENDS,
    sql::REFUSAL_COUNTS,
    sql::CLEAR_RANGES_POSTGRES,
    sql::PROTECT_NUMBERS_POSTGRES,
    sql::COUNT_PURGEABLE_CHECKS,
    sql::COUNT_PURGEABLE_SENDS,
    sql::CLOSE_ABANDONED,
    sql::CLEAR_NUMBERS_POSTGRES,
];

/// The plans sqlx's connections keep. sqlx prepares each statement once per connection and
/// PostgreSQL, after five executions, may plan it once for any parameters (a generic plan)
/// and keep that plan until the table's statistics change. A new store's first statements
/// are planned on a table that was never analyzed, and autovacuum analyzes it only after a
/// minute or more: a statement whose generic plan then walks the wrong index (as the
/// number's guard once walked the trust validation's, every entry of it, on every send)
/// costs more with every row until then. So each query, planned generically on the new,
/// empty, never-analyzed table, must already search its index; and so must the writes of the
/// purge and of the conversion on the filled, analyzed one (`table` says which).
async fn generic_plans(
    pool: &sqlx::PgPool,
    table: &str,
    queries: impl IntoIterator<Item = (&'static str, &'static str, Vec<Param>)>,
) -> Vec<String> {
    let mut connection = pool.acquire().await.expect("a connection");
    sqlx::raw_sql("SET plan_cache_mode = force_generic_plan")
        .execute(&mut *connection)
        .await
        .expect("plans generically");
    let mut failures = Vec::new();
    for (number, (query, index, params)) in queries.into_iter().enumerate() {
        let types: Vec<&str> = params
            .iter()
            .map(|param| match param {
                Param::Text(_) => "text",
                Param::Int(_) => "bigint",
                Param::Id(_) => "uuid",
            })
            .collect();
        let values: Vec<String> = params
            .iter()
            .map(|param| match param {
                Param::Text(text) => format!("'{}'", text.replace('\'', "''")),
                Param::Int(int) => int.to_string(),
                Param::Id(id) => format!("'{id}'::uuid"),
            })
            .collect();
        let name = format!("pv_generic_{number}");
        sqlx::raw_sql(&format!("PREPARE {name}({}) AS {query}", types.join(", ")))
            .execute(&mut *connection)
            .await
            .expect("prepares");
        let rows = sqlx::raw_sql(&format!("EXPLAIN EXECUTE {name}({})", values.join(", ")))
            .fetch_all(&mut *connection)
            .await
            .expect("explains");
        let plan: Vec<String> = rows.iter().map(|row| row.get::<String, _>(0)).collect();
        let _ = writeln!(
            std::io::stderr(),
            "generic ({table}): {query}\n  -> {plan:#?}"
        );
        if let Some(failure) = postgres_plan_failure(query, index, &plan) {
            failures.push(format!("generic plan on {table}: {failure}"));
        }
        sqlx::raw_sql(&format!("DEALLOCATE {name}"))
            .execute(&mut *connection)
            .await
            .expect("deallocates");
    }
    failures
}
