//! Two conversions to protected numbers at once on one PostgreSQL store (two processes, each
//! with its own pool): each batch skips the rows the other holds, and neither reports "done"
//! while the other's rows are still in clear; their counts add up to every row.

use std::time::Duration;

use chrono::Utc;
use phone_verify::numbers::NumberKeyring;
use phone_verify::ports::{NewSend, Reservation, VerificationStore};
use phone_verify::records::{AttemptId, SendOutcome};
use phone_verify::sql::{PostgresOptions, SchemaName, SqlVerificationStore};
use phone_verify::{
    PhoneNumber, PhoneVerification, ProviderName, TrustValidationId, VerificationRecords,
};
use phone_verify_domain::ReferenceId;

/// Rows kept in clear before the conversions start.
const ROWS: u32 = 600;
/// A small batch, so that the two conversions take turns many times.
const BATCH: u32 = 7;

fn keyring() -> NumberKeyring {
    NumberKeyring::parse(&format!("k1:{}", "4d".repeat(32))).expect("a keyring")
}

/// `ROWS` finished sends, each to a number and a trust validation of its own, kept in clear.
async fn seed(store: &SqlVerificationStore) {
    for n in 0..ROWS {
        let started_at = Utc::now();
        let phone = PhoneNumber::parse(&format!("+6018{:07}", 2_000_000 + n)).expect("a number");
        let send = NewSend {
            id: AttemptId::from_u128(u128::from(n) + 1),
            number: store.numbers().at_rest(&phone),
            lookup: store.numbers().lookup(&phone),
            trust_validation: TrustValidationId::parse(&format!("tv-{n}")).expect("an id"),
            provider: ProviderName::idmeta(),
            channel: phone_verify_domain::Channel::Sms,
            range: None,
            prefix: None,
            client: None,
            started_at,
        };
        let reserved = store
            .reserve_send(send, &phone_verify::policy::SendLimits::default())
            .await
            .expect("reserved");
        assert_eq!(reserved, Reservation::Reserved);
        store
            .finish_send(
                AttemptId::from_u128(u128::from(n) + 1),
                SendOutcome::Sent {
                    reference: ReferenceId::parse(&format!("{n:032X}")).expect("a reference"),
                    submitted_at: None,
                },
                started_at + Duration::from_millis(1),
            )
            .await
            .expect("finished");
    }
}

/// A converter: its own pool on the schema, protecting with the keyring.
async fn converter(url: &str, schema: &SchemaName) -> VerificationRecords {
    PhoneVerification::builder()
        .postgres_with(url, PostgresOptions::default().schema(schema.clone()))
        .protect_numbers(keyring())
        .build_records()
        .await
        .expect("the converter opens the store")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_conversions_at_once_never_report_done_while_rows_are_still_in_clear() {
    let Some(url) = phone_verify_sql_store::test_postgres_url("two conversions at once") else {
        return;
    };
    let name = format!(
        "pv_test_conversion_{}_{}",
        Utc::now().timestamp(),
        std::process::id()
    );
    let schema = SchemaName::parse(&name).expect("a schema name");
    let clear = SqlVerificationStore::open_postgres(
        &url,
        PostgresOptions::default().schema(schema.clone()),
    )
    .await
    .expect("the store opens");
    seed(&clear).await;
    clear.close().await;
    let (first, second, watcher) = (
        converter(&url, &schema).await,
        converter(&url, &schema).await,
        converter(&url, &schema).await,
    );
    assert_eq!(
        watcher.count_clear_numbers().await.expect("counted"),
        u64::from(ROWS)
    );

    let one = first.protect_clear_numbers(BATCH);
    let other = second.protect_clear_numbers(BATCH);
    tokio::pin!(one, other);
    // Whichever says it is done first: nothing may be left in clear at that moment.
    let (done_first, rest) = tokio::select! {
        converted = &mut one => (converted, &mut other),
        converted = &mut other => (converted, &mut one),
    };
    let left_when_done = watcher.count_clear_numbers().await.expect("counted");
    let done_second = rest.await;

    let (done_first, done_second) = (
        done_first.expect("the first conversion"),
        done_second.expect("the second conversion"),
    );
    assert_eq!(
        left_when_done, 0,
        "a conversion said done with rows in clear"
    );
    assert_eq!(
        done_first + done_second,
        u64::from(ROWS),
        "every row converted once"
    );
    assert_eq!(watcher.count_clear_numbers().await.expect("counted"), 0);

    for records in [&first, &second, &watcher] {
        records.close().await;
    }
    let admin = sqlx::PgPool::connect(&url).await.expect("connects");
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
        .execute(&admin)
        .await
        .expect("drops the schema");
}
