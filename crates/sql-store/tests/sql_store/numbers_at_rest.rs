//! No clear numbers at rest: sends, checks and history through the use cases on a protected
//! store leave no form of the number, nor the prefixes the guard of ranges and the conversion
//! breaker keep of it, in the
//! SQLite file and its WAL, nor in the PostgreSQL table; a store in clear does (so the search
//! can fail); a store in clear converted by `protect_clear_numbers` holds no number or prefix
//! any more while its guards (per number and per range) still see the old sends; and on
//! SQLite a purge leaves nothing of what it deleted in the file (`secure_delete`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Utc;
use phone_verify::PhoneVerification;
use phone_verify_app::{
    BreakerScope, ConversionBreaker, NumberKeyring, NumberRanges, PageRequest, SendCodeError,
    SendLimits, SendPolicy, SendRefusal, VerificationStore,
};
use phone_verify_domain::{
    CheckResult, CodeState, DeliveryState, DeliveryStatus, MockVerificationGateway, OtpCode,
    PhoneNumber, ReferenceId, SendCodeRequest, SendReceipt, TrustValidationId, VerificationStatus,
};
use phone_verify_sql_store::SqlVerificationStore;

/// The numbers the tests send to, as E.164.
const NUMBERS: [&str; 3] = ["+60182258491", "+447400123456", "+12015550123"];

/// The guard of ranges the use cases run: two numbers of a range (all but the last two digits
/// shared) an hour. A store in clear keeps each send's range as the number's prefix
/// (`+601822584**`), which with the masked form's last four digits is the whole number.
const RANGES: NumberRanges = NumberRanges {
    hidden_digits: 2,
    max_numbers: 2,
    window: std::time::Duration::from_secs(3600),
};

/// The conversion breaker the use cases run: per prefix of the calling code and 6 national
/// digits. A store in clear keeps each send's prefix (`+60182258***`).
const BREAKER_SCOPE: BreakerScope = BreakerScope::Prefix { national_digits: 6 };

/// Every form a number may be written in: E.164, its digits, its national digits, the
/// national number with the separators people type (and with the national prefix 0), and the
/// prefixes the guard of ranges and the breaker keep of it, with and without their `+`.
fn forms(e164: &str) -> Vec<String> {
    let phone = PhoneNumber::parse(e164).expect("a number");
    let national = phone.national_number().to_owned();
    let country = phone.country_calling_code().to_owned();
    let (head, tail) = national.split_at(national.len() / 2);
    let mut forms = vec![
        e164.to_owned(),
        e164[1..].to_owned(),
        national.clone(),
        format!("0{national}"),
    ];
    for separator in [" ", "-", "."] {
        forms.push(format!("{head}{separator}{tail}"));
        forms.push(format!("{country} {head}{separator}{tail}"));
    }
    let breaker_hidden = BREAKER_SCOPE.hidden_digits(&phone).expect("a prefix scope");
    for hidden in [RANGES.hidden_digits, breaker_hidden] {
        let prefix = &e164[..e164.len() - usize::from(hidden)];
        forms.push(prefix.to_owned());
        forms.push(prefix[1..].to_owned());
    }
    forms
}

/// Which of the numbers' forms occur in `bytes`.
fn found_in(bytes: &[u8]) -> Vec<String> {
    NUMBERS
        .iter()
        .flat_map(|number| forms(number))
        .filter(|form| {
            bytes
                .windows(form.len())
                .any(|window| window == form.as_bytes())
        })
        .collect()
}

fn keyring() -> NumberKeyring {
    NumberKeyring::parse(&format!("k1:{}", "3c".repeat(32))).expect("a keyring")
}

/// A gateway that accepts every send (each with a reference of its own) and verifies every
/// code.
fn gateway() -> MockVerificationGateway {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let mut gateway = MockVerificationGateway::new();
    gateway.expect_send_code().returning(|_| {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Ok(SendReceipt {
            reference: ReferenceId::parse(&format!("{n:032X}")).expect("a reference"),
            submitted_at: Utc::now(),
            delivery: DeliveryStatus {
                state: DeliveryState::InProgress,
                updated_on: None,
            },
            code_state: CodeState::Unknown,
            verification_status: VerificationStatus::Pending,
        })
    });
    gateway.expect_check_code().returning(|request| {
        Ok(CheckResult {
            code_state: CodeState::Valid,
            verification_status: VerificationStatus::Verified,
            delivery: DeliveryStatus {
                state: DeliveryState::Delivered,
                updated_on: None,
            },
            reference: request.reference.clone(),
            checked_at: Utc::now(),
        })
    });
    gateway
}

/// The use cases over `store`, with the real clock and the default guards, [`RANGES`] and the
/// breaker per prefix ([`BREAKER_SCOPE`]), wired by the facade.
async fn use_cases(store: Arc<dyn VerificationStore>) -> PhoneVerification {
    PhoneVerification::builder()
        .gateway(gateway())
        .store(store)
        .send_policy(SendPolicy {
            limits: SendLimits {
                number_ranges: Some(RANGES),
                conversion: Some(ConversionBreaker {
                    scope: BREAKER_SCOPE,
                    ..ConversionBreaker::default()
                }),
                ..SendLimits::default()
            },
            ..SendPolicy::default()
        })
        .build()
        .await
        .expect("the facade builds")
}

fn validation(n: usize) -> TrustValidationId {
    TrustValidationId::parse(&format!("tv-{n}")).expect("an id")
}

/// A send to each number, a check of each (with and without the number), and the history of
/// each number; the refused second send proves the cooldown saw the first.
async fn send_and_check_each_number(store: Arc<dyn VerificationStore>) {
    let cases = use_cases(store).await;
    for (n, number) in NUMBERS.iter().enumerate() {
        let phone = PhoneNumber::parse(number).expect("a number");
        let request = SendCodeRequest::new(phone.clone(), validation(n));
        cases.send_code(&request).await.expect("sent");
        let code = OtpCode::parse("123456").expect("a code");
        cases
            .check_code(validation(n), code.clone(), Some(&phone))
            .await
            .expect("checked");
        cases
            .check_code(validation(n), code, None)
            .await
            .expect("checked");
        let history = cools_down_with_three_attempts(&cases, &phone, validation(n)).await;
        assert_eq!(history.len(), 3, "the send and its two checks");
    }
}

/// Asserts that a second send to `phone` (for `tv`) is refused by the cooldown of the first,
/// and that the number's history holds three attempts; returns them.
async fn cools_down_with_three_attempts(
    cases: &PhoneVerification,
    phone: &PhoneNumber,
    tv: TrustValidationId,
) -> Vec<phone_verify_app::AttemptRecord> {
    let again = cases
        .send_code(&SendCodeRequest::new(phone.clone(), tv))
        .await;
    assert!(
        matches!(
            again,
            Err(SendCodeError::Refused(SendRefusal::CoolingDown { .. }))
        ),
        "the cooldown sees the first send: {again:?}"
    );
    let history = cases
        .records()
        .history_of_number(phone, PageRequest::first(10))
        .await
        .expect("the history reads");
    assert_eq!(
        history.items.len(),
        3,
        "the send and its two checks, by number"
    );
    history.items
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use crate::support::SqliteDir;
    use phone_verify_sql_store::{MAX_PROTECT_BATCH, SqliteOptions};

    /// The database file and its `-wal`, as they are on disk now.
    fn file_bytes(dir: &SqliteDir) -> Vec<u8> {
        let mut bytes = std::fs::read(dir.file()).expect("the database file");
        let wal = dir.file().with_extension("db-wal");
        if let Ok(more) = std::fs::read(&wal) {
            bytes.extend(more);
        }
        bytes
    }

    #[tokio::test]
    async fn a_protected_sqlite_store_holds_no_form_of_the_number_in_its_file_or_wal() {
        let dir = SqliteDir::new();
        let store = dir
            .open(SqliteOptions::default())
            .await
            .protect_numbers(keyring());
        send_and_check_each_number(Arc::new(store.clone())).await;
        let wal = dir.file().with_extension("db-wal");
        assert!(
            std::fs::metadata(&wal).is_ok_and(|wal| wal.len() > 0),
            "the writes are in the WAL, which is searched too"
        );
        assert_eq!(found_in(&file_bytes(&dir)), Vec::<String>::new());
        store.close().await;
        assert_eq!(found_in(&file_bytes(&dir)), Vec::<String>::new());
    }

    #[tokio::test]
    async fn a_sqlite_store_in_clear_holds_the_numbers_so_the_search_can_fail() {
        let dir = SqliteDir::new();
        let store = dir.open(SqliteOptions::default()).await;
        send_and_check_each_number(Arc::new(store.clone())).await;
        store.close().await;
        let found = found_in(&file_bytes(&dir));
        for number in NUMBERS {
            assert!(
                found.iter().any(|form| form == number),
                "{number}: {found:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_purge_beside_a_running_instance_leaves_no_copy_of_a_number_in_the_wal() {
        let dir = SqliteDir::new();
        // The running instance: it wrote the sends, and keeps the file open throughout.
        let running = dir.open(SqliteOptions::default()).await;
        send_and_check_each_number(Arc::new(running.clone())).await;
        assert!(
            !found_in(&file_bytes(&dir)).is_empty(),
            "the numbers are on disk, so the search can fail"
        );
        let purging = dir.open(SqliteOptions::default()).await;
        // Batch by batch through the store port, as the purge use case runs it (the records
        // are younger than the use case would purge: a cutoff in the future).
        let (mut purged, mut after) = (0, None);
        loop {
            let batch = purging
                .purge(Utc::now() + chrono::Duration::days(1), after.as_ref(), 4)
                .await
                .expect("purges");
            purged += batch.deleted.total();
            match batch.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(purged, 9);
        // Neither instance has closed: the WAL is what a backup or a disk image would copy.
        assert_eq!(found_in(&file_bytes(&dir)), Vec::<String>::new());
        running.close().await;
        purging.close().await;
    }

    #[tokio::test]
    async fn a_purged_sqlite_store_in_clear_keeps_nothing_of_the_purged_numbers_in_its_file() {
        let dir = SqliteDir::new();
        let store = dir.open(SqliteOptions::default()).await;
        send_and_check_each_number(Arc::new(store.clone())).await;
        let purged = store
            .purge(Utc::now() + chrono::Duration::days(1), None, 1000)
            .await
            .expect("purges");
        assert_eq!(purged.deleted.total(), 9);
        assert_eq!(purged.next, None, "one batch walked them all");
        store.close().await;
        assert_eq!(found_in(&file_bytes(&dir)), Vec::<String>::new());
    }

    #[tokio::test]
    async fn a_converted_sqlite_store_holds_no_number_and_its_guards_still_see_the_old_sends() {
        let dir = SqliteDir::new();
        let clear = dir.open(SqliteOptions::default()).await;
        send_and_check_each_number(Arc::new(clear.clone())).await;
        assert!(matches!(
            clear.protect_clear_numbers(10).await,
            Err(phone_verify_sql_store::ProtectNumbersError::NoKeyring)
        ));
        clear.close().await;

        let store = dir
            .open(SqliteOptions::default())
            .await
            .protect_numbers(keyring());
        converts_in_batches_and_keeps_the_guards(&store).await;
        store.close().await;
        assert_eq!(found_in(&file_bytes(&dir)), Vec::<String>::new());
    }

    #[tokio::test]
    async fn ranges_a_first_version_conversion_left_in_clear_are_converted_too() {
        let dir = SqliteDir::new();
        let clear = dir.open(SqliteOptions::default()).await;
        send_and_check_each_number(Arc::new(clear.clone())).await;
        clear.close().await;
        let url = format!("sqlite://{}", dir.file().display());
        let pool = sqlx::SqlitePool::connect(&url).await.expect("opens");
        let ranges: Vec<(String, String)> = sqlx::query_as(
            "SELECT hex(id), number_range FROM verification_attempts \
             WHERE number_range IS NOT NULL",
        )
        .fetch_all(&pool)
        .await
        .expect("reads the ranges");
        assert_eq!(ranges.len(), 3, "a range a send");
        let (prefixes,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM verification_attempts WHERE number_prefix LIKE '+%'",
        )
        .fetch_one(&pool)
        .await
        .expect("reads the prefixes");
        assert_eq!(
            prefixes, 3,
            "a prefix in clear a send, for the conversion to empty"
        );

        let store = dir
            .open(SqliteOptions::default())
            .await
            .protect_numbers(keyring());
        convert_all(&store).await;
        for (id, range) in ranges {
            sqlx::query("UPDATE verification_attempts SET number_range = ?1 WHERE id = unhex(?2)")
                .bind(range)
                .bind(id)
                .execute(&pool)
                .await
                .expect("the first version left the range");
        }
        pool.close().await;
        assert!(
            !found_in(&file_bytes(&dir)).is_empty(),
            "the prefixes are back"
        );

        converts_the_ranges_left_in_clear(&store).await;
        store.close().await;
        assert_eq!(found_in(&file_bytes(&dir)), Vec::<String>::new());
    }

    /// `protect-numbers --batch 10000` held SQLite's lock about 5 s a batch and failed sends
    /// of other processes (issue 30): a batch converts at most `MAX_PROTECT_BATCH` rows,
    /// whatever it is asked.
    #[tokio::test]
    async fn a_conversion_asked_for_more_than_its_maximum_converts_at_most_that_many_a_batch() {
        let dir = SqliteDir::new();
        dir.open(SqliteOptions::default()).await.close().await;
        let rows = MAX_PROTECT_BATCH + 7;
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.file().display()))
            .await
            .expect("opens");
        sqlx::raw_sql(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
             INSERT INTO verification_attempts (id, kind, phone_e164, trust_flow,
                 trust_validation, started_at_ns, finished_at_ns, outcome, counts)
             SELECT unhex(printf('%032x', i)), 'send', '+6012' || printf('%07d', i), 0,
                 'tv-' || i, i, i + 1, 'sent', 1
             FROM n"
        ))
        .execute(&pool)
        .await
        .expect("fills");
        pool.close().await;

        let store = dir
            .open(SqliteOptions::default())
            .await
            .protect_numbers(keyring());
        let mut batches = Vec::new();
        loop {
            let converted = store.protect_clear_numbers(10_000).await.expect("converts");
            if converted == 0 {
                break;
            }
            batches.push(converted);
        }
        assert_eq!(batches, [u64::from(MAX_PROTECT_BATCH), 7]);
        store.close().await;
    }
}

/// Converts the nine rows of [`send_and_check_each_number`] two at a time, then finds none
/// left to convert; the old sends still hold their cooldown and their history by number, and
/// count in their range beside new sends.
async fn converts_in_batches_and_keeps_the_guards(store: &SqlVerificationStore) {
    assert_eq!(store.count_clear_numbers().await.expect("counts"), 9);
    let mut batches = Vec::new();
    loop {
        let converted = store.protect_clear_numbers(2).await.expect("converts");
        if converted == 0 {
            break;
        }
        batches.push(converted);
    }
    assert_eq!(batches, [2, 2, 2, 2, 1]);
    assert_eq!(store.count_clear_numbers().await.expect("counts"), 0);
    assert_eq!(
        store.protect_clear_numbers(2).await.expect("converts"),
        0,
        "idempotent"
    );

    let cases = use_cases(Arc::new(store.clone())).await;
    for (n, number) in NUMBERS.iter().enumerate() {
        let phone = PhoneNumber::parse(number).expect("a number");
        let history = cools_down_with_three_attempts(&cases, &phone, validation(n + 10)).await;
        assert!(
            history
                .iter()
                .all(|record| record.number().clear().is_none())
        );
    }
    range_counts_converted_and_new_sends(&cases).await;
}

/// The range of `NUMBERS[0]` (`+601822584**`), sent to once before the conversion: a second
/// number of it passes, a third is refused ([`RANGES`]: two an hour). The converted send is
/// counted only if its range is the keyed digest the protected store writes for new sends.
async fn range_counts_converted_and_new_sends(cases: &PhoneVerification) {
    let neighbour = |last: u8| {
        let phone = PhoneNumber::parse(&format!("+6018225849{last}")).expect("a number");
        SendCodeRequest::new(phone, validation(100 + usize::from(last)))
    };
    cases
        .send_code(&neighbour(2))
        .await
        .expect("the range's second number");
    let third = cases.send_code(&neighbour(3)).await;
    assert!(
        matches!(
            third,
            Err(SendCodeError::Refused(SendRefusal::NumberRangeBusy {
                limit: 2,
                ..
            }))
        ),
        "the converted send counts in its range: {third:?}"
    );
}

/// A store the first version converted: numbers protected, the three sends' ranges left in
/// clear. The conversion counts and converts those three, and the guard of ranges then counts
/// them beside new sends.
async fn converts_the_ranges_left_in_clear(store: &SqlVerificationStore) {
    assert_eq!(store.count_clear_numbers().await.expect("counts"), 3);
    assert_eq!(store.protect_clear_numbers(500).await.expect("converts"), 3);
    assert_eq!(store.protect_clear_numbers(500).await.expect("converts"), 0);
    assert_eq!(store.count_clear_numbers().await.expect("counts"), 0);
    range_counts_converted_and_new_sends(&use_cases(Arc::new(store.clone())).await).await;
}

/// Converts every row of `store`, as many batches as it takes.
async fn convert_all(store: &SqlVerificationStore) {
    while store.protect_clear_numbers(500).await.expect("converts") > 0 {}
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use crate::support::FreshSchema;

    /// Every row of the table as PostgreSQL prints it.
    async fn table_text(schema: &FreshSchema) -> Vec<u8> {
        let pool = schema.raw_pool().await;
        let text: Option<String> = sqlx::query_scalar(
            "SELECT string_agg(t::text, E'\\n') FROM verification_attempts AS t",
        )
        .fetch_one(&pool)
        .await
        .expect("reads the table");
        pool.close().await;
        text.unwrap_or_default().into_bytes()
    }

    #[tokio::test]
    async fn a_protected_postgres_store_holds_no_form_of_the_number_in_its_table() {
        let Some(url) = phone_verify_sql_store::test_postgres_url(
            "a_protected_postgres_store_holds_no_form_of_the_number_in_its_table",
        ) else {
            return;
        };
        let schema = FreshSchema::new(&url).await;
        let store = schema.connect().await.protect_numbers(keyring());
        send_and_check_each_number(Arc::new(store.clone())).await;
        store.close().await;
        let text = table_text(&schema).await;
        assert!(text.len() > 1000, "the table holds the rows");
        assert_eq!(found_in(&text), Vec::<String>::new());
    }

    #[tokio::test]
    async fn a_converted_postgres_store_holds_no_number_and_its_guards_still_see_the_old_sends() {
        let Some(url) = phone_verify_sql_store::test_postgres_url(
            "a_converted_postgres_store_holds_no_number_and_its_guards_still_see_the_old_sends",
        ) else {
            return;
        };
        let schema = FreshSchema::new(&url).await;
        let clear = schema.connect().await;
        send_and_check_each_number(Arc::new(clear.clone())).await;
        clear.close().await;
        assert!(
            !found_in(&table_text(&schema).await).is_empty(),
            "in clear before"
        );

        let store = schema.connect().await.protect_numbers(keyring());
        converts_in_batches_and_keeps_the_guards(&store).await;
        store.close().await;
        assert_eq!(found_in(&table_text(&schema).await), Vec::<String>::new());
    }

    #[tokio::test]
    async fn ranges_a_first_version_conversion_left_in_clear_are_converted_too() {
        let Some(url) = phone_verify_sql_store::test_postgres_url(
            "ranges_a_first_version_conversion_left_in_clear_are_converted_too",
        ) else {
            return;
        };
        let schema = FreshSchema::new(&url).await;
        let clear = schema.connect().await;
        send_and_check_each_number(Arc::new(clear.clone())).await;
        clear.close().await;
        let pool = schema.raw_pool().await;
        let ranges: Vec<(String, String)> = sqlx::query_as(
            "SELECT id::text, number_range FROM verification_attempts \
             WHERE number_range IS NOT NULL",
        )
        .fetch_all(&pool)
        .await
        .expect("reads the ranges");
        assert_eq!(ranges.len(), 3, "a range a send");
        let (prefixes,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM verification_attempts WHERE number_prefix LIKE '+%'",
        )
        .fetch_one(&pool)
        .await
        .expect("reads the prefixes");
        assert_eq!(
            prefixes, 3,
            "a prefix in clear a send, for the conversion to empty"
        );

        let store = schema.connect().await.protect_numbers(keyring());
        convert_all(&store).await;
        for (id, range) in ranges {
            sqlx::query("UPDATE verification_attempts SET number_range = $1 WHERE id = $2::uuid")
                .bind(range)
                .bind(id)
                .execute(&pool)
                .await
                .expect("the first version left the range");
        }
        pool.close().await;
        assert!(
            !found_in(&table_text(&schema).await).is_empty(),
            "the prefixes are back"
        );

        converts_the_ranges_left_in_clear(&store).await;
        store.close().await;
        assert_eq!(found_in(&table_text(&schema).await), Vec::<String>::new());
    }

    /// What the planner's statistics say of the clear number's column and the range's.
    async fn number_statistics(pool: &sqlx::PgPool, schema: &FreshSchema) -> Vec<u8> {
        let columns = ["phone_e164", "number_range"];
        phone_verify_sql_store::postgres_column_statistics(pool, schema.name().as_str(), &columns)
            .await
    }

    /// The indexes whose entries hold a number in clear or its range.
    const CLEAR_NUMBER_INDEXES: [&str; 3] = [
        "verification_attempts_by_number",
        "verification_attempts_counted_sends_by_number",
        "verification_attempts_counted_sends_by_range",
    ];

    /// The pages of the indexes on a number in clear or its range, and the column statistics,
    /// together.
    async fn traces(pool: &sqlx::PgPool, schema: &FreshSchema) -> Vec<u8> {
        let mut bytes = Vec::new();
        for index in CLEAR_NUMBER_INDEXES {
            bytes.extend(phone_verify_sql_store::postgres_raw_pages(pool, index).await);
        }
        bytes.extend(number_statistics(pool, schema).await);
        bytes
    }

    #[tokio::test]
    async fn after_a_conversion_the_scrub_leaves_no_number_in_the_indexes_or_the_statistics() {
        let Some(url) = phone_verify_sql_store::test_postgres_url(
            "after_a_conversion_the_scrub_leaves_no_number_in_the_indexes_or_the_statistics",
        ) else {
            return;
        };
        let schema = FreshSchema::new(&url).await;
        let pool = schema.raw_pool().await;
        let clear = schema.connect().await;
        send_and_check_each_number(Arc::new(clear.clone())).await;
        clear.close().await;
        sqlx::raw_sql("ANALYZE verification_attempts")
            .execute(&pool)
            .await
            .expect("statistics");
        assert!(
            !found_in(&number_statistics(&pool, &schema).await).is_empty(),
            "the statistics hold the numbers, so the search can fail"
        );

        let store = schema.connect().await.protect_numbers(keyring());
        converts_in_batches_and_keeps_the_guards(&store).await;
        assert!(
            !found_in(&traces(&pool, &schema).await).is_empty(),
            "converted, the indexes and the statistics still hold the numbers"
        );
        store.scrub_number_traces().await.expect("scrubbed");

        assert_eq!(
            found_in(&traces(&pool, &schema).await),
            Vec::<String>::new()
        );
        assert_eq!(found_in(&table_text(&schema).await), Vec::<String>::new());
        // Scrubbing again is safe, from two instances at once too (two rebuilds of one index
        // at once would deadlock: they take turns).
        let other = schema.connect().await.protect_numbers(keyring());
        let (one, two) = tokio::join!(store.scrub_number_traces(), other.scrub_number_traces());
        one.expect("scrubbed again");
        two.expect("scrubbed again, beside");
        other.close().await;
        store.close().await;
        pool.close().await;
    }
}
