//! The handle looks after its store's whole life: it purges and reconciles under the guards
//! it sends and checks with, and closes a SQLite store so that its file holds every record
//! (the WAL checkpointed away), without the lower crates.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use phone_verify::records::{
    DEFAULT_ABANDONED_AFTER, MIN_ABANDONED_AFTER, PageRequest, PurgeError, PurgeMode,
    ReconcileError,
};
use phone_verify::testing::ManualClock;
use phone_verify::{PhoneNumber, PhoneVerification};

use crate::support::{NUMBER, request, simulator};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

#[tokio::test]
async fn closing_the_handle_checkpoints_a_sqlite_store_so_its_file_holds_the_records() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("records.db");
    let verification = PhoneVerification::builder()
        .simulator(&sim)
        .sqlite(&file)
        .build()
        .await
        .expect("builds");
    verification
        .send_code(&request("tv-close"))
        .await
        .expect("sent");
    let wal = dir.path().join("records.db-wal");
    assert!(
        std::fs::metadata(&wal).is_ok_and(|wal| wal.len() > 0),
        "before closing, the send is in the WAL"
    );

    verification.records().close().await;

    assert!(
        std::fs::metadata(&wal).map_or(true, |wal| wal.len() == 0),
        "closing checkpointed the WAL into the file"
    );
    // A copy of the `.db` alone, as a backup takes it, holds the send.
    let copy = dir.path().join("copy.db");
    std::fs::copy(&file, &copy).expect("copies the file");
    let reopened = PhoneVerification::builder()
        .simulator(&sim)
        .sqlite(&copy)
        .build()
        .await
        .expect("reopens the copy");
    let phone = PhoneNumber::parse(NUMBER).expect("a number");
    let history = reopened
        .records()
        .history_of_number(&phone, PageRequest::first(10))
        .await
        .expect("reads");
    assert_eq!(history.items.len(), 1);
    reopened.records().close().await;
}

#[tokio::test]
async fn the_handle_purges_and_reconciles_under_its_own_guards() {
    let sim = simulator().await;
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 0).unwrap());
    let verification = PhoneVerification::builder()
        .simulator(&sim)
        .clock(clock.clone())
        .build()
        .await
        .expect("builds");
    verification
        .send_code(&request("tv-purge"))
        .await
        .expect("sent");

    // A day old is old enough to ask, and the send is younger: nothing goes.
    let nothing = verification
        .records()
        .purge(DAY, PurgeMode::Delete)
        .await
        .expect("a purge");
    assert_eq!(nothing.attempts.total(), 0);
    // Younger than the guards need: refused.
    let too_young = verification
        .records()
        .purge(Duration::from_secs(600), PurgeMode::Delete)
        .await;
    assert!(
        matches!(too_young, Err(PurgeError::TooRecent { .. })),
        "{too_young:?}"
    );
    let refused = verification
        .records()
        .reconcile(Duration::from_secs(1))
        .await;
    assert!(
        matches!(refused, Err(ReconcileError::TooRecent { minimum }) if minimum == MIN_ABANDONED_AFTER),
        "{refused:?}"
    );

    clock.advance(2 * DAY);
    let reconciled = verification
        .records()
        .reconcile(DEFAULT_ABANDONED_AFTER)
        .await
        .expect("reconciles");
    assert_eq!(reconciled.closed.total(), 0, "nothing was left in flight");
    let counted = verification
        .records()
        .purge(DAY, PurgeMode::DryRun)
        .await
        .expect("counts");
    assert_eq!(counted.attempts.sends, 1);
    let purged = verification
        .records()
        .purge(DAY, PurgeMode::Delete)
        .await
        .expect("purges");
    assert_eq!(purged.attempts.sends, 1);
    let phone = PhoneNumber::parse(NUMBER).expect("a number");
    let history = verification
        .records()
        .history_of_number(&phone, PageRequest::first(10))
        .await
        .expect("reads");
    assert!(history.items.is_empty());
}
