//! What is written survives the pool: drop it, open the database again, and read back the
//! same records, to the nanosecond.

use std::time::Duration;

use phone_verify_app::{
    AttemptId, CheckOutcome, CheckPolicy, CheckReservation, ErrorClass, NewCheck, Reservation,
    SendLimits, SendOutcome, VerificationStore,
};
use phone_verify_domain::{CheckVerdict, ReferenceId, VerificationStatus};
#[cfg(feature = "sqlite")]
use phone_verify_sql_store::SqliteOptions;

use crate::support;
#[cfg(feature = "postgres")]
use crate::support::FreshSchema;
#[cfg(feature = "sqlite")]
use crate::support::SqliteDir;

/// A finished send, a check of it with an answer (and an undocumented status), a send of
/// unknown outcome (of an undocumented class) and a send left in flight; returns the number's history as read before the restart.
async fn write_attempts(store: &dyn VerificationStore) -> Vec<phone_verify_app::AttemptRecord> {
    let t0 = support::t0();
    let limits = SendLimits {
        cooldown: Duration::ZERO,
        ..SendLimits::default()
    };
    let reservation = store
        .reserve_send(support::new_send(1, "tv-a", t0), &limits)
        .await
        .expect("the send reserves");
    assert_eq!(reservation, Reservation::Reserved);
    let reference = ReferenceId::parse("0123456789ABCDEF0123456789ABCDEF").expect("a reference");
    store
        .finish_send(
            AttemptId::from_u128(1),
            SendOutcome::Sent {
                reference: reference.clone(),
                submitted_at: Some(t0 + Duration::from_nanos(7)),
            },
            t0 + Duration::from_nanos(1),
        )
        .await
        .expect("the send finishes");
    let check = NewCheck {
        id: AttemptId::from_u128(2),
        trust_validation: support::validation("tv-a"),
        started_at: t0 + Duration::from_millis(1500),
    };
    let reserved = store
        .reserve_check(check, &CheckPolicy::default())
        .await
        .expect("the check reserves");
    assert!(
        matches!(reserved, CheckReservation::Reserved(_)),
        "{reserved:?}"
    );
    store
        .finish_check(
            AttemptId::from_u128(2),
            CheckOutcome::Answered {
                verdict: CheckVerdict::WrongCode,
                status: VerificationStatus::Other {
                    name: "SOMETHING_NEW".into(),
                    code: Some(42),
                },
                reference: Some(reference),
            },
            t0 + Duration::from_secs(2),
        )
        .await
        .expect("the check finishes");
    let unknown = support::new_send(3, "tv-b", t0 + Duration::from_secs(60));
    assert_eq!(
        store.reserve_send(unknown, &limits).await.expect("reserve"),
        Reservation::Reserved
    );
    store
        .finish_send(
            AttemptId::from_u128(3),
            SendOutcome::OutcomeUnknown {
                class: Some(ErrorClass::RequestNotBuilt),
            },
            t0 + Duration::from_secs(90),
        )
        .await
        .expect("the send finishes");
    let in_flight = support::new_send(4, "tv-c", t0 + Duration::from_secs(120));
    assert_eq!(
        store
            .reserve_send(in_flight, &limits)
            .await
            .expect("reserve"),
        Reservation::Reserved
    );
    let history = support::history_of_number(store).await;
    assert_eq!(history.len(), 4, "{history:?}");
    assert_eq!(
        history
            .last()
            .map(phone_verify_app::AttemptRecord::started_at),
        Some(t0),
        "the first send keeps its nanoseconds"
    );
    assert_ne!(t0.timestamp_subsec_nanos() % 1000, 0, "below a microsecond");
    history
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn a_sqlite_file_reopened_after_its_pool_is_dropped_reads_back_the_same_records() {
    let dir = SqliteDir::new();
    let store = dir.open(SqliteOptions::default()).await;
    let written = write_attempts(&store).await;
    drop(store);

    let reopened = dir.open(SqliteOptions::default()).await;
    assert_eq!(support::history_of_number(&reopened).await, written);
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_postgres_schema_reconnected_after_its_pool_is_dropped_reads_back_the_same_records() {
    let Some(url) = phone_verify_sql_store::test_postgres_url(
        "a_postgres_schema_reconnected_after_its_pool_is_dropped_reads_back_the_same_records",
    ) else {
        return;
    };
    let schema = FreshSchema::new(&url).await;
    let store = schema.connect().await;
    let written = write_attempts(&store).await;
    store.close().await;
    drop(store);

    let reconnected = schema.connect().await;
    assert_eq!(support::history_of_number(&reconnected).await, written);
}
