//! Cases about the atomic guards under concurrent reservations (tasks spawned on the
//! runtime: run them on a multi-thread tokio runtime).

use std::sync::Arc;

use super::fixtures::*;
use crate::{
    CheckRefusal, CheckReservation, Reservation, SendLimits, SendRefusal, VerificationStore,
};

/// Fifty sends to one number at the same instant, in parallel: exactly one is reserved, the
/// others are refused by the cooldown.
pub async fn concurrent_sends_to_one_number_let_exactly_one_through(
    store: Arc<dyn VerificationStore>,
) {
    let limits = Arc::new(SendLimits::default());
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let store = Arc::clone(&store);
            let limits = Arc::clone(&limits);
            tokio::spawn(async move {
                store
                    .reserve_send(
                        new_send(id(), &number(1), &format!("tv-{n}"), t0()),
                        &limits,
                    )
                    .await
            })
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
    assert_eq!(
        sends_to(&*store, &number(1)).await.len(),
        1,
        "exactly one send is recorded"
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
