//! A SQLite file that is locked, read-only or in a missing directory gives a typed error, never a
//! panic, and never a half-written record.

use std::time::Duration;

use phone_verify_app::{AttemptId, SendLimits, SendOutcome, VerificationStore};
use phone_verify_sql_store::{SqlFailureKind, SqlVerificationStore, SqliteOptions};
use sqlx::{ConnectOptions, Connection};

use crate::support::{self, SqliteDir};

#[tokio::test]
async fn a_write_while_another_connection_holds_the_lock_fails_as_locked_and_writes_nothing() {
    let dir = SqliteDir::new();
    let options = SqliteOptions::default().busy_timeout(Duration::from_millis(100));
    let store = dir.open_with_one_send(options.clone()).await;

    let mut holder = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.file())
        .connect()
        .await
        .expect("a second connection");
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut holder)
        .await
        .expect("the second connection takes the lock");

    let later = support::t0() + Duration::from_secs(3600);
    let error = store
        .reserve_send(support::new_send(2, "tv-b", later), &SendLimits::default())
        .await
        .expect_err("the reservation waits out the busy timeout");
    assert_eq!(support::failure_kind(&error), Some(SqlFailureKind::Locked));
    let error = store
        .finish_send(
            AttemptId::from_u128(1),
            SendOutcome::NotSent {
                class: phone_verify_app::ErrorClass::NotSent,
            },
            later,
        )
        .await
        .expect_err("the outcome waits out the busy timeout");
    assert_eq!(support::failure_kind(&error), Some(SqlFailureKind::Locked));
    let error = SqlVerificationStore::open_sqlite(dir.file(), options)
        .await
        .expect_err("opening migrates, which needs the lock");
    assert_eq!(support::failure_kind(&error), Some(SqlFailureKind::Locked));

    sqlx::query("ROLLBACK")
        .execute(&mut holder)
        .await
        .expect("the lock is released");
    holder.close().await.expect("closes");
    let history = support::history_of_number(&store).await;
    assert_eq!(history.len(), 1, "nothing was written: {history:?}");
    assert!(history[0].is_in_flight(), "the outcome was not recorded");
}

#[tokio::test]
async fn a_read_only_file_serves_reads_and_refuses_writes_as_read_only() {
    let dir = SqliteDir::new();
    let store = dir.open_with_one_send(SqliteOptions::default()).await;
    let written = support::history_of_number(&store).await;
    store.close().await;

    // Opened read-only rather than made read-only with chmod, which root (CI) ignores.
    for read_only in [
        dir.open(SqliteOptions::default().read_only(true)).await,
        SqlVerificationStore::open(&support::sqlite_url(&dir.file(), "ro"))
            .await
            .expect("opens read-only through a URL"),
    ] {
        assert_eq!(support::history_of_number(&read_only).await, written);
        let later = support::t0() + Duration::from_secs(3600);
        let error = read_only
            .reserve_send(support::new_send(2, "tv-b", later), &SendLimits::default())
            .await
            .expect_err("a read-only file takes no send");
        assert_eq!(
            support::failure_kind(&error),
            Some(SqlFailureKind::ReadOnly)
        );
        assert_eq!(support::history_of_number(&read_only).await, written);
    }
}

#[tokio::test]
async fn a_file_in_a_missing_directory_fails_to_open_as_unreachable() {
    let dir = SqliteDir::new();
    let error = SqlVerificationStore::open_sqlite(
        dir.file().join("no-such-directory").join("phone-verify.db"),
        SqliteOptions::default(),
    )
    .await
    .expect_err("no directory, no file");
    assert_eq!(
        support::failure_kind(&error),
        Some(SqlFailureKind::Connection)
    );
    let cause = phone_verify_domain::error_chain(&error);
    assert!(
        cause.contains("no-such-directory/phone-verify.db"),
        "the cause names the file: {cause}"
    );
}
