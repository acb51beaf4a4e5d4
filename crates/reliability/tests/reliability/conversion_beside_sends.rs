//! Issue 30, point 2, for the conversion to protected numbers: a store kept in clear is
//! converted (`protect-numbers --convert`, the records handle's `protect_clear_numbers`) by a
//! second instance on the SQLite file while the service, deployed with the keys as the
//! conversion's procedure asks, keeps sending.
//!
//! The store holds 10,000 sends in clear, each with its range in clear, as the guard of ranges
//! keeps them. Four senders send for as long as the conversion runs. What must hold:
//!
//! - no send fails (version one converted any batch it was asked at once, a statement a row:
//!   `--batch 10000` held SQLite's lock about 5 s, and 2 sends of 10 of other processes
//!   failed as `Locked`);
//! - the conversion converts every row, once, and leaves none in clear, neither a number nor
//!   a range; every send beside it is recorded, protected.
//!
//! The timings (how long the conversion took, the slowest send beside it) are printed, never
//! asserted: the machine is shared. `docs/storage.md` has the measured lock times.

use std::sync::Arc;
use std::time::Instant;

use phone_verify::PhoneVerification;
use phone_verify::sql::DEFAULT_PROTECT_BATCH;
use phone_verify_reliability::fixture::{number_keyring, trust_validation};
use phone_verify_reliability::{Stack, StackConfig};

use crate::senders::{SENDERS, Senders};

/// The sends kept in clear before the conversion starts.
const IN_CLEAR: u32 = 10_000;

/// The sends in clear, a month old and finished, each to a mobile number of its own (from
/// `mobile_number(3_000_001)` on, never one the senders use) with the range a store in clear
/// keeps (`+601230000**`).
fn fill_sql() -> String {
    format!(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {IN_CLEAR}) \
         INSERT INTO verification_attempts (id, kind, phone_e164, trust_flow, trust_validation, \
             started_at_ns, finished_at_ns, outcome, counts, calling_code, number_range) \
         SELECT unhex(printf('%032x', 100000000 + i)), 'send', \
             '+6012' || printf('%07d', 3000000 + i), 0, 'tv-clear-' || i, {month_ago} + i, \
             {month_ago} + i + 1, 'sent', TRUE, '+60', \
             '+6012' || printf('%05d', (3000000 + i) / 100) || '**' \
         FROM s",
        month_ago = (chrono::Utc::now() - chrono::Duration::days(30))
            .timestamp_nanos_opt()
            .expect("a storable instant"),
    )
}

/// What the table holds: rows in all, rows whose number or range is in clear, protected rows.
async fn census(database: &str) -> (i64, i64, i64) {
    let pool = sqlx::SqlitePool::connect(database).await.expect("opens");
    let counted = sqlx::query_as(
        "SELECT COUNT(*), \
             SUM(CASE WHEN phone_e164 IS NOT NULL OR number_range LIKE '+%' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN phone_digest IS NOT NULL THEN 1 ELSE 0 END) \
         FROM verification_attempts",
    )
    .fetch_one(&pool)
    .await
    .expect("counts");
    pool.close().await;
    counted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sends_beside_a_conversion_of_a_big_sqlite_store_never_fail_and_every_row_is_protected() {
    // The service, deployed with the keys (the conversion's first step).
    let config = StackConfig {
        protected_numbers: true,
        ..StackConfig::default()
    };
    let stack = Arc::new(Stack::start(config).await.expect("a stack"));
    let database = format!("sqlite://{}", stack.database().display());
    let pool = sqlx::SqlitePool::connect(&database).await.expect("opens");
    sqlx::raw_sql(&fill_sql())
        .execute(&pool)
        .await
        .expect("fills");
    pool.close().await;
    // The converting instance: the records handle an operator's tool builds on the file.
    let records = PhoneVerification::builder()
        .sqlite(stack.database())
        .protect_numbers(number_keyring())
        .build_records()
        .await
        .expect("the converting instance opens the file");
    assert_eq!(
        records.count_clear_numbers().await.expect("counts"),
        u64::from(IN_CLEAR)
    );

    let senders = Senders::start(&stack, |n| trust_validation("beside-conversion", n)).await;
    let began = Instant::now();
    let converted = records.protect_clear_numbers(DEFAULT_PROTECT_BATCH).await;
    let took = began.elapsed();
    let sent = senders.stop().await;
    let converted = converted.expect("the conversion runs to its end");
    println!(
        "sqlite: conversion of {converted} rows took {took:?}; {} sends beside it, the \
         slowest {:?}",
        sent.sends(),
        sent.slowest
    );

    assert_eq!(
        sent.failures,
        Vec::<String>::new(),
        "no send fails beside a conversion"
    );
    assert!(
        sent.sends() > SENDERS,
        "sends ran beside the conversion ({} of them)",
        sent.sends()
    );
    assert_eq!(converted, u64::from(IN_CLEAR), "every row converted once");
    assert_eq!(records.count_clear_numbers().await.expect("counts"), 0);
    let (rows, in_clear, protected) = census(&database).await;
    assert_eq!(in_clear, 0, "no number or range left in clear");
    assert_eq!(
        (rows, protected),
        (
            i64::from(IN_CLEAR) + i64::from(sent.sends()),
            i64::from(IN_CLEAR) + i64::from(sent.sends())
        ),
        "every send beside the conversion is recorded once, protected"
    );
    records.close().await;
}
