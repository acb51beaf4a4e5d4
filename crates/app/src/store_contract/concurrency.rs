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

/// Fifty sends to fifty numbers of one country at the same instant, in parallel, under a
/// budget of ten: the budget is always spent in full (never fewer than ten pass), and exactly
/// ten pass on a store with one writer at a time (in memory, SQLite). A store that reads the
/// budget without a lock of the country's (PostgreSQL) may let through as many more as were
/// reserving at that moment (`docs/architecture.md`, "Country budgets").
pub async fn concurrent_sends_to_one_country_spend_its_budget_and_one_writer_keeps_it_exact(
    store: Arc<dyn VerificationStore>,
) {
    let limits = Arc::new(SendLimits {
        country_budgets: crate::CountryBudgets::default()
            .country(
                "+60",
                crate::CountryBudget {
                    max_sends: 10,
                    window: std::time::Duration::from_secs(3600),
                },
            )
            .expect("a calling code"),
        ..no_limits()
    });
    let numbers = store.numbers().clone();
    let tasks: Vec<_> = (0..50_u32)
        .map(|n| {
            let store = Arc::clone(&store);
            let limits = Arc::clone(&limits);
            let phone =
                phone_verify_domain::PhoneNumber::parse(&format!("+60123{:06}", 1_000 * n + 1))
                    .expect("a valid number");
            let send = new_send_kept(&numbers, id(), &phone, &format!("tv-{n}"), t0());
            tokio::spawn(async move { store.reserve_send(send, &limits).await })
        })
        .collect();
    let mut reserved = 0;
    for task in tasks {
        match task.await.expect("the task completes") {
            Ok(Reservation::Reserved) => reserved += 1,
            Ok(Reservation::Refused(SendRefusal::CountryBudgetSpent { limit: 10, .. })) => {}
            other => panic!("a concurrent send is reserved or over the budget, got {other:?}"),
        }
    }
    assert!(reserved >= 10, "the budget is spent in full: {reserved}");
    if matches!(store.engine(), "memory" | "sqlite") {
        assert_eq!(reserved, 10, "one writer at a time keeps the budget exact");
    }
}
