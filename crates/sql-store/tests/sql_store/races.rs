//! The guard holds across processes: two stores with pools of their own (two instances) on
//! one database race fifty sends to one number, and exactly one passes.

use std::sync::Arc;
#[cfg(feature = "postgres")]
use std::time::Duration;

#[cfg(feature = "postgres")]
use phone_verify_app::{AttemptId, CheckPolicy, CheckReservation, NewCheck, SendOutcome};
use phone_verify_app::{Reservation, SendLimits, SendRefusal, VerificationStore};
#[cfg(feature = "postgres")]
use phone_verify_domain::ReferenceId;
#[cfg(feature = "sqlite")]
use phone_verify_sql_store::SqliteOptions;

use crate::support;
#[cfg(feature = "postgres")]
use crate::support::FreshSchema;
#[cfg(feature = "sqlite")]
use crate::support::SqliteDir;

async fn race_fifty_sends(instances: [Arc<dyn VerificationStore>; 2]) {
    let limits = Arc::new(SendLimits::default());
    let tasks: Vec<_> = (0..50u128)
        .map(|n| {
            let store = Arc::clone(&instances[usize::from(n % 2 == 1)]);
            let limits = Arc::clone(&limits);
            tokio::spawn(async move {
                let send = support::new_send(1000 + n, &format!("tv-{n}"), support::t0());
                store.reserve_send(send, &limits).await
            })
        })
        .collect();
    let mut reserved = 0;
    for task in tasks {
        match task.await.expect("the task completes") {
            Ok(Reservation::Reserved) => reserved += 1,
            Ok(Reservation::Refused(SendRefusal::CoolingDown { .. })) => {}
            other => panic!("a racing send is reserved or cooling down, got {other:?}"),
        }
    }
    assert_eq!(reserved, 1, "exactly one of the racing sends passes");
    for store in &instances {
        let history = support::history_of_number(&**store).await;
        assert_eq!(
            history.len(),
            1,
            "each instance sees the one send: {history:?}"
        );
    }
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_sends_racing_from_two_sqlite_instances_let_exactly_one_through() {
    let dir = SqliteDir::new();
    let first = dir.open(SqliteOptions::default()).await;
    let second = dir.open(SqliteOptions::default()).await;
    race_fifty_sends([first.into_port(), second.into_port()]).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_sends_racing_from_two_postgres_instances_let_exactly_one_through() {
    let Some(url) = phone_verify_sql_store::test_postgres_url(
        "fifty_sends_racing_from_two_postgres_instances_let_exactly_one_through",
    ) else {
        return;
    };
    let schema = FreshSchema::new(&url).await;
    let first = schema.connect().await;
    let second = schema.connect().await;
    race_fifty_sends([first.into_port(), second.into_port()]).await;
}

/// The lock key of a trust validation, as `docs/storage.md` documents it: the class
/// `0x50760002` and the 32-bit FNV-1a hash of the id.
#[cfg(feature = "postgres")]
fn trust_validation_lock(id: &str) -> (i32, i32) {
    let hash = id.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    (0x5076_0002, hash.cast_signed())
}

/// Another instance is in the middle of reserving a second send of the trust validation (it
/// holds the trust validation's lock and has written the send, not yet committed) when a check
/// starts: the check waits for it and goes to that send, never to the older one it would have
/// read outside the lock.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_check_waits_for_a_send_being_reserved_and_goes_to_it() {
    let Some(url) = phone_verify_sql_store::test_postgres_url(
        "a_postgres_check_waits_for_a_send_being_reserved_and_goes_to_it",
    ) else {
        return;
    };
    let schema = FreshSchema::new(&url).await;
    let store = Arc::new(schema.connect().await);
    let first = support::new_send(1, "tv-held", support::t0());
    assert_eq!(
        store
            .reserve_send(first, &SendLimits::default())
            .await
            .expect("reserve"),
        Reservation::Reserved
    );
    let reference = ReferenceId::parse("0123456789ABCDEF0123456789ABCDEF").expect("a reference");
    store
        .finish_send(
            AttemptId::from_u128(1),
            SendOutcome::Sent {
                reference,
                submitted_at: Some(support::t0()),
            },
            support::t0() + Duration::from_secs(1),
        )
        .await
        .expect("finish");

    let raw = schema.raw_pool().await;
    let mut other_instance = raw.begin().await.expect("a transaction");
    let (class, key) = trust_validation_lock("tv-held");
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(class)
        .bind(key)
        .execute(&mut *other_instance)
        .await
        .expect("the trust validation's lock");
    let second = uuid::Uuid::from_u128(2);
    let started_at = support::t0() + Duration::from_secs(40);
    sqlx::query(
        "INSERT INTO verification_attempts (id, kind, phone_e164, trust_flow, trust_validation, \
         started_at_ns, counts) VALUES ($1, 'send', '+60123456789', 147, 'tv-held', $2, TRUE)",
    )
    .bind(second)
    .bind(started_at.timestamp_nanos_opt().expect("representable"))
    .execute(&mut *other_instance)
    .await
    .expect("the second send, in flight");

    let check = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let check = NewCheck {
                id: AttemptId::from_u128(3),
                trust_validation: support::validation("tv-held"),
                started_at: started_at + Duration::from_secs(1),
            };
            store.reserve_check(check, &CheckPolicy::default()).await
        })
    };
    // The check is waiting for the lock: PostgreSQL shows an advisory lock not granted.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (waiting,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
             AND classid = $1::bigint::oid AND objid = $2::bigint::oid",
        )
        .bind(i64::from(class))
        .bind(i64::from(key.cast_unsigned()))
        .fetch_one(&raw)
        .await
        .expect("reads pg_locks");
        if waiting > 0 {
            break;
        }
        assert!(
            !check.is_finished(),
            "the check did not wait for the trust validation's lock"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the check never queued for the lock"
        );
        tokio::task::yield_now().await;
    }
    other_instance
        .commit()
        .await
        .expect("the other instance commits");

    let reserved = check.await.expect("the task completes").expect("reserves");
    let CheckReservation::Reserved(target) = reserved else {
        panic!("the check is reserved, got {reserved:?}");
    };
    assert_eq!(
        target.send.id,
        AttemptId::from_u128(2),
        "the send being reserved"
    );
    assert!(
        !target.narrowed,
        "a send in flight: the provider checks its live code"
    );
}
