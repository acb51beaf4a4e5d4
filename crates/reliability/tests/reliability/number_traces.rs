//! Issue 30, point 6, from outside: what a conversion to protected numbers and a purge leave
//! of the numbers on disk when an operator runs them through the facade's records handle
//! (`VerificationRecords::protect_clear_numbers`, `VerificationRecords::purge`, what the CLI
//! runs), which ends each with the scrub; never the scrub called by hand.
//!
//! - PostgreSQL, a purge: the raw pages of every index on a number, a range or a client
//!   (clear or keyed) and `pg_stats` hold nothing of the purged rows, which a purge alone
//!   leaves there; neither beside the rows kept nor once a purge has emptied the table (whose
//!   statistics `ANALYZE` keeps).
//! - PostgreSQL, a conversion: those pages and statistics hold no clear number or range.
//! - SQLite, a conversion beside a running instance: neither the file nor its WAL holds a
//!   number or a range prefix while both are open.

use std::time::Duration;

use chrono::Utc;
use phone_verify::PhoneVerification;
use phone_verify::numbers::{NumberProtection, StoredNumber};
use phone_verify::ports::{NewSend, Reservation, VerificationStore};
use phone_verify::records::{AttemptId, PurgeMode, SendOutcome};
use phone_verify::sql::{DEFAULT_PROTECT_BATCH, PostgresOptions, SchemaName, SqliteOptions};
use phone_verify::{PhoneNumber, ProviderName, TrustValidationId, VerificationRecords};
use phone_verify_domain::{ClientKey, ReferenceId};
use phone_verify_reliability::fixture::{mobile_number, number_keyring};
use phone_verify_sql_store::{
    SqlVerificationStore, postgres_column_statistics, postgres_raw_pages,
};

/// Sends in each set.
const SENDS: u32 = 6;
/// The digits a range hides: the guard of ranges as a store keeps it.
const HIDDEN: u8 = 2;
const DAY: Duration = Duration::from_secs(24 * 3600);

/// The indexes whose entries hold a number, a range or a client, in clear or keyed.
const NUMBER_INDEXES: [&str; 6] = [
    "verification_attempts_by_number",
    "verification_attempts_counted_sends_by_number",
    "verification_attempts_counted_sends_by_range",
    "verification_attempts_by_digest",
    "verification_attempts_counted_sends_by_digest",
    "verification_attempts_counted_sends_by_client",
];

/// The columns that hold them.
const NUMBER_COLUMNS: [&str; 4] = [
    "phone_e164",
    "number_range",
    "phone_digest",
    "client_digest",
];

/// [`SENDS`] finished sends from the `first`-th mobile number on, each for a trust validation
/// of its own, started `ago` before now, kept as `store` keeps numbers: with the number's range,
/// and a client's digest in a protected store. Returns what each leaves that may be searched
/// for: in clear, the number (E.164, its digits, its national digits) and its range's prefix
/// (with and without its `+`); protected, the number's digest, its range's and its client's.
async fn seed(store: &SqlVerificationStore, first: u32, ago: Duration) -> Vec<String> {
    let numbers = store.numbers().clone();
    let mut terms = Vec::new();
    for n in first..first + SENDS {
        let phone = mobile_number(n);
        let started_at = Utc::now() - ago;
        let id = AttemptId::from_u128(u128::from(n));
        let client = ClientKey::parse(&format!("client-{n}")).expect("a client");
        let send = NewSend {
            id,
            number: numbers.at_rest(&phone),
            lookup: numbers.lookup(&phone),
            trust_validation: TrustValidationId::parse(&format!("tv-{n}")).expect("an id"),
            provider: ProviderName::idmeta(),
            channel: phone_verify_domain::Channel::Sms,
            range: Some(numbers.range_of(&phone, HIDDEN)),
            // The breaker's prefix, as long as the range: the searches for the range's
            // prefix find it too.
            prefix: Some(numbers.range_of(&phone, HIDDEN)),
            client: numbers.client_digest(&client),
            started_at,
        };
        let reserved = store
            .reserve_send(
                send,
                &phone_verify::policy::SendLimits::without_pumping_guards(),
            )
            .await
            .expect("reserved");
        assert_eq!(reserved, Reservation::Reserved);
        let sent = SendOutcome::Sent {
            reference: ReferenceId::parse(&format!("{n:032X}")).expect("a reference"),
            submitted_at: None,
        };
        store
            .finish_send(id, sent, started_at + Duration::from_millis(1))
            .await
            .expect("finished");
        terms.extend(traces_of(&numbers, &phone, &client));
    }
    terms
}

/// What a send to `phone` from `client` leaves that may be searched for (see [`seed`]).
fn traces_of(numbers: &NumberProtection, phone: &PhoneNumber, client: &ClientKey) -> Vec<String> {
    let keyed =
        |key: Option<String>| key.map(|key| key[key.find(':').map_or(0, |at| at + 1)..].to_owned());
    match numbers.at_rest(phone) {
        StoredNumber::Clear(_) => {
            let e164 = phone.e164();
            let prefix = &e164[..e164.len() - usize::from(HIDDEN)];
            vec![
                e164.to_owned(),
                e164[1..].to_owned(),
                phone.national_number().to_owned(),
                prefix.to_owned(),
                prefix[1..].to_owned(),
            ]
        }
        StoredNumber::Protected(protected) => [
            Some(protected.digest().to_string()),
            keyed(Some(numbers.range_of(phone, HIDDEN).as_str().to_owned())),
            keyed(
                numbers
                    .client_digest(client)
                    .map(|client| client.as_str().to_owned()),
            ),
        ]
        .into_iter()
        .flatten()
        .collect(),
    }
}

/// `terms` sorted, each once.
fn each_once<'a>(terms: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut terms: Vec<String> = terms.into_iter().cloned().collect();
    terms.sort();
    terms.dedup();
    terms
}

/// Which of `terms` occur in `bytes`, each once.
fn found<'a>(bytes: &[u8], terms: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut found: Vec<String> = terms
        .into_iter()
        .filter(|term| {
            bytes
                .windows(term.len())
                .any(|window| window == term.as_bytes())
        })
        .cloned()
        .collect();
    found.sort();
    found.dedup();
    found
}

/// A PostgreSQL schema of its own, dropped by [`Schema::drop_it`].
struct Schema {
    url: String,
    name: SchemaName,
}

impl Schema {
    /// A schema named after `short` for the test `test`; `None` without a PostgreSQL server
    /// (the test is skipped).
    fn for_test(test: &str, short: &str) -> Option<Self> {
        let url = phone_verify_sql_store::test_postgres_url(test)?;
        let name = format!(
            "pv_test_{}_{short}_{}",
            Utc::now().timestamp(),
            std::process::id()
        );
        Some(Self {
            url,
            name: SchemaName::parse(&name).expect("a schema name"),
        })
    }

    /// The records handle an operator's tool builds on the schema, with the keys: the
    /// builder opens the store, so the handle scrubs.
    async fn records(&self) -> VerificationRecords {
        PhoneVerification::builder()
            .postgres_with(&self.url, self.options())
            .protect_numbers(number_keyring())
            .build_records()
            .await
            .expect("the handle opens the store")
    }

    fn options(&self) -> PostgresOptions {
        PostgresOptions::default().schema(self.name.clone())
    }

    async fn open(&self) -> SqlVerificationStore {
        SqlVerificationStore::open_postgres(&self.url, self.options())
            .await
            .expect("the store opens")
    }

    /// A pool whose search path is the schema.
    async fn raw_pool(&self) -> sqlx::PgPool {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        let url = format!(
            "{}{separator}options=-csearch_path%3D{}",
            self.url,
            self.name.as_str()
        );
        sqlx::PgPool::connect(&url).await.expect("connects")
    }

    /// The raw pages of [`NUMBER_INDEXES`] and the statistics of [`NUMBER_COLUMNS`].
    async fn traces(&self, pool: &sqlx::PgPool) -> Vec<u8> {
        let mut bytes = Vec::new();
        for index in NUMBER_INDEXES {
            bytes.extend(postgres_raw_pages(pool, index).await);
        }
        bytes.extend(postgres_column_statistics(pool, self.name.as_str(), &NUMBER_COLUMNS).await);
        bytes
    }

    async fn analyze(pool: &sqlx::PgPool) {
        sqlx::raw_sql("ANALYZE verification_attempts")
            .execute(pool)
            .await
            .expect("analyzes");
    }

    async fn drop_it(self) {
        let admin = sqlx::PgPool::connect(&self.url).await.expect("connects");
        sqlx::query(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            self.name.as_str()
        ))
        .execute(&admin)
        .await
        .expect("drops the schema");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_through_the_records_handle_leaves_no_purged_number_in_postgres_indexes_or_statistics()
 {
    let Some(schema) = Schema::for_test(
        "a_purge_through_the_records_handle_leaves_no_purged_number_in_postgres_indexes_or_statistics",
        "purge_traces",
    ) else {
        return;
    };
    let pool = schema.raw_pool().await;
    // A month-old, a ten-day-old and a two-day-old set, each in clear and protected.
    let clear = schema.open().await;
    let mut month_old = seed(&clear, 4_100_000, 30 * DAY).await;
    let mut ten_days_old = seed(&clear, 4_200_000, 10 * DAY).await;
    let mut two_days_old = seed(&clear, 4_250_000, 2 * DAY).await;
    let protected = clear.protect_numbers(number_keyring());
    month_old.extend(seed(&protected, 4_300_000, 30 * DAY).await);
    ten_days_old.extend(seed(&protected, 4_400_000, 10 * DAY).await);
    two_days_old.extend(seed(&protected, 4_450_000, 2 * DAY).await);
    let every = || month_old.iter().chain(&ten_days_old).chain(&two_days_old);
    Schema::analyze(&pool).await;
    assert_eq!(
        found(&schema.traces(&pool).await, every()),
        each_once(every()),
        "the indexes and statistics hold every number, so the search can fail"
    );

    // The control: a purge through a handle over a store it did not open, which has nothing
    // to scrub with, leaves the month-old numbers in the indexes and the statistics.
    let unscrubbed = PhoneVerification::builder()
        .store(protected.clone())
        .build_records()
        .await
        .expect("a handle over the store");
    let purged = unscrubbed
        .purge(20 * DAY, PurgeMode::Delete)
        .await
        .expect("purges");
    assert_eq!(purged.attempts.total(), u64::from(2 * SENDS));
    assert_eq!(
        found(&schema.traces(&pool).await, &month_old),
        each_once(&month_old),
        "a purge alone leaves them"
    );
    protected.close().await;

    // The handle the builder opened purges the ten-day-old sets and scrubs: the two-day-old
    // ones stay, and nothing of the purged ones, however old, is left beside them.
    let records = schema.records().await;
    let purged = records
        .purge(5 * DAY, PurgeMode::Delete)
        .await
        .expect("purges and scrubs");
    assert_eq!(purged.attempts.total(), u64::from(2 * SENDS));
    assert_eq!(
        found(
            &schema.traces(&pool).await,
            month_old.iter().chain(&ten_days_old)
        ),
        Vec::<String>::new(),
        "nothing of a purged number in the indexes' pages or the statistics"
    );
    // Then the rest, which empties the table: `ANALYZE` keeps the statistics of a table it
    // finds empty, so the scrub drops them.
    let purged = records
        .purge(DAY, PurgeMode::Delete)
        .await
        .expect("purges and scrubs");
    assert_eq!(purged.attempts.total(), u64::from(2 * SENDS));
    assert_eq!(
        found(&schema.traces(&pool).await, every()),
        Vec::<String>::new(),
        "nothing of a purged number once the table is empty"
    );
    records.close().await;
    pool.close().await;
    schema.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversion_through_the_records_handle_leaves_no_number_in_postgres_indexes_or_statistics()
 {
    let Some(schema) = Schema::for_test(
        "a_conversion_through_the_records_handle_leaves_no_number_in_postgres_indexes_or_statistics",
        "conversion_traces",
    ) else {
        return;
    };
    let pool = schema.raw_pool().await;
    let clear = schema.open().await;
    let terms = seed(&clear, 4_500_000, Duration::ZERO).await;
    clear.close().await;
    Schema::analyze(&pool).await;
    assert!(
        !found(&schema.traces(&pool).await, &terms).is_empty(),
        "the search can fail"
    );

    let records = schema.records().await;
    let converted = records
        .protect_clear_numbers(DEFAULT_PROTECT_BATCH)
        .await
        .expect("converts and scrubs");
    assert_eq!(converted, u64::from(SENDS));
    assert_eq!(
        found(&schema.traces(&pool).await, &terms),
        Vec::<String>::new(),
        "nothing of a converted number or range in the indexes' pages or the statistics"
    );
    records.close().await;
    pool.close().await;
    schema.drop_it().await;
}

/// The database file and its `-wal`, as they are on disk now.
fn file_and_wal(path: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).expect("the database file");
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if let Ok(more) = std::fs::read(&wal) {
        bytes.extend(more);
    }
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversion_through_the_records_handle_beside_a_running_instance_leaves_no_number_in_the_sqlite_file_or_wal()
 {
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join("store.db");
    let clear = SqlVerificationStore::open_sqlite(&path, SqliteOptions::default())
        .await
        .expect("opens");
    let terms = seed(&clear, 4_600_000, Duration::ZERO).await;
    clear.close().await;
    // The running instance, deployed with the keys (the conversion's first step): it sends,
    // and keeps the file and its connections open throughout.
    let running = SqlVerificationStore::open_sqlite(&path, SqliteOptions::default())
        .await
        .expect("the instance opens")
        .protect_numbers(number_keyring());
    seed(&running, 4_700_000, Duration::ZERO).await;
    assert_eq!(
        found(&file_and_wal(&path), &terms),
        each_once(&terms),
        "every number and prefix is on disk, so the search can fail"
    );

    let records = PhoneVerification::builder()
        .sqlite(&path)
        .protect_numbers(number_keyring())
        .build_records()
        .await
        .expect("the handle opens the store");
    let converted = records
        .protect_clear_numbers(DEFAULT_PROTECT_BATCH)
        .await
        .expect("converts and scrubs");
    assert_eq!(converted, u64::from(SENDS));
    // Neither has closed: the WAL is what a backup or a disk image would copy.
    assert_eq!(
        found(&file_and_wal(&path), &terms),
        Vec::<String>::new(),
        "nothing of a converted number or range in the file or the WAL"
    );
    records.close().await;
    running.close().await;
}
