//! Cases about the atomic guards under concurrent reservations (tasks spawned on the
//! runtime: run them on a multi-thread tokio runtime).

use std::sync::Arc;

use super::fixtures::*;
use crate::{
    CheckRefusal, CheckReservation, NumberProtection, Reservation, SendLimits, SendRefusal,
    VerificationStore,
};

/// Fifty sends to one number at the same instant, in parallel: exactly one is reserved, the
/// others are refused by the cooldown.
pub async fn concurrent_sends_to_one_number_let_exactly_one_through(
    store: Arc<dyn VerificationStore>,
) {
    race_fifty_sends(&store, |_| NumberProtection::Clear).await;
    assert_eq!(
        sends_to(&*store, &number(1)).await.len(),
        1,
        "exactly one send is recorded"
    );
}

/// The same race with the number protected, by a fleet in the middle of a key rotation
/// (`docs/storage.md`, "Rotating the key"): every instance knows both keys, half of them
/// still write under the old one, half under the new one. Each finds the number by both
/// digests, so exactly one send passes.
pub async fn concurrent_protected_sends_during_a_key_rotation_let_exactly_one_through(
    store: Arc<dyn VerificationStore>,
) {
    let before = keyed(&[("k1", 1), ("k2", 2)]);
    let rotated = keyed(&[("k2", 2), ("k1", 1)]);
    let (old, new) = (before.clone(), rotated.clone());
    race_fifty_sends(
        &store,
        move |n| {
            if n % 2 == 0 { old.clone() } else { new.clone() }
        },
    )
    .await;
    let history = all_history(&*store, &of_number_kept(&rotated, &number(1))).await;
    assert_eq!(history.len(), 1, "exactly one send is recorded");
}

/// Fifty sends to `number(1)` at `t0`, the `n`-th kept as `numbers(n)` says, in parallel;
/// asserts that exactly one is reserved and the others cool down.
async fn race_fifty_sends(
    store: &Arc<dyn VerificationStore>,
    numbers: impl Fn(usize) -> NumberProtection,
) {
    let limits = Arc::new(SendLimits::default());
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let store = Arc::clone(store);
            let limits = Arc::clone(&limits);
            let send = new_send_kept(&numbers(n), id(), &number(1), &format!("tv-{n}"), t0());
            tokio::spawn(async move { store.reserve_send(send, &limits).await })
        })
        .collect();
    let mut reserved = 0;
    for task in tasks {
        match task.await.expect("the task completes") {
            Ok(Reservation::Reserved) => reserved += 1,
            Ok(Reservation::Refused(SendRefusal::CoolingDown { .. })) => {}
            other => panic!("a concurrent send is reserved or cooling down, got {other:?}"),
        }
    }
    assert_eq!(
        reserved, 1,
        "exactly one concurrent send passes the cooldown"
    );
}

/// Fifty checks of one send in parallel: exactly as many as the attempt limit are reserved.
pub async fn concurrent_checks_of_one_send_let_exactly_the_limit_through(
    store: Arc<dyn VerificationStore>,
) {
    let send_id = record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .reserve_check(new_check(id(), "tv-a", at(10)), &checks(5))
                    .await
            })
        })
        .collect();
    let mut reserved = 0;
    for task in tasks {
        match task.await.expect("the task completes") {
            Ok(CheckReservation::Reserved(target)) => {
                assert_eq!(target.send.id, send_id);
                reserved += 1;
            }
            Ok(CheckReservation::Refused(CheckRefusal::TooManyAttempts { limit: 5 })) => {}
            other => panic!("a concurrent check is reserved or refused, got {other:?}"),
        }
    }
    assert_eq!(reserved, 5, "exactly the attempt limit of checks pass");
}
