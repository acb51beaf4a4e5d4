//! Cases about a record's lifecycle: purge (retention) and the reconciliation of attempts
//! left in flight.

use std::sync::Arc;

use super::fixtures::*;
use crate::{
    AttemptCounts, AttemptRecord, CheckOutcome, ConflictKind, ErrorClass, HistorySubject,
    Reservation, SendLimits, SendOutcome, SendRefusal, VerificationStore,
};

fn counts(sends: u64, checks: u64) -> AttemptCounts {
    AttemptCounts { sends, checks }
}

/// A trust validation with a sent send and a checked check, all finished by `at(start + 2)`.
async fn finished_validation(store: &dyn VerificationStore, tv: &str, n: u8, start: u64) {
    record_send(store, &number(n), tv, at(start), sent(n)).await;
    let check_id = id();
    reserve_check(store, check_id, tv, at(start + 1)).await;
    store
        .finish_check(check_id, wrong_code(), at(start + 2))
        .await
        .expect("the store records a check's outcome");
}

async fn trust_validation_history(store: &dyn VerificationStore, tv: &str) -> Vec<AttemptRecord> {
    all_history(store, &HistorySubject::TrustValidation(validation(tv))).await
}

/// A purge deletes the trust validations whose attempts all finished before the cutoff, and
/// nothing else; its dry run counts exactly that without deleting; a second purge finds
/// nothing.
pub async fn a_purge_deletes_the_trust_validations_finished_before_the_cutoff(
    store: Arc<dyn VerificationStore>,
) {
    finished_validation(&*store, "tv-old", 1, 0).await;
    finished_validation(&*store, "tv-new", 2, 1000).await;
    let cutoff = at(500);

    assert_eq!(
        store.count_purgeable(cutoff).await.expect("a dry run"),
        counts(1, 1)
    );
    assert_eq!(trust_validation_history(&*store, "tv-old").await.len(), 2);

    assert_eq!(
        store.purge(cutoff, 100).await.expect("a purge"),
        counts(1, 1)
    );
    assert!(trust_validation_history(&*store, "tv-old").await.is_empty());
    assert!(
        all_history(&*store, &of_number(&number(1)))
            .await
            .is_empty(),
        "the number's history has gone too"
    );
    assert_eq!(trust_validation_history(&*store, "tv-new").await.len(), 2);
    assert_eq!(
        store.purge(cutoff, 100).await.expect("a purge"),
        counts(0, 0)
    );
    assert_eq!(
        store.count_purgeable(cutoff).await.expect("a dry run"),
        counts(0, 0)
    );
}

/// A trust validation with an attempt in flight (a pending send or check) or finished after
/// the cutoff is kept whole, old attempts included: its cap still counts them, its checks
/// still find their send.
pub async fn a_purge_keeps_a_trust_validation_still_in_use(store: Arc<dyn VerificationStore>) {
    record_send(&*store, &number(1), "tv-pending", at(0), sent(1)).await;
    send_in_flight(&*store, &number(1), "tv-pending", at(100)).await;
    record_send(&*store, &number(2), "tv-checked-late", at(0), sent(2)).await;
    let late_check = id();
    reserve_check(&*store, late_check, "tv-checked-late", at(200)).await;
    store
        .finish_check(late_check, wrong_code(), at(600))
        .await
        .expect("the store records a check's outcome");
    record_send(&*store, &number(3), "tv-check-pending", at(0), sent(3)).await;
    reserve_check(&*store, id(), "tv-check-pending", at(10)).await;

    let cutoff = at(500);
    assert_eq!(
        store.count_purgeable(cutoff).await.expect("a dry run"),
        counts(0, 0)
    );
    assert_eq!(
        store.purge(cutoff, 100).await.expect("a purge"),
        counts(0, 0)
    );
    for (tv, kept) in [
        ("tv-pending", 2),
        ("tv-checked-late", 2),
        ("tv-check-pending", 2),
    ] {
        assert_eq!(
            trust_validation_history(&*store, tv).await.len(),
            kept,
            "{tv}"
        );
    }
}

/// A purge deletes at most its limit per call, checks before their sends, until nothing
/// purgeable is left.
pub async fn a_purge_goes_in_batches_of_its_limit_checks_first(store: Arc<dyn VerificationStore>) {
    for (n, tv) in [(1, "tv-1"), (2, "tv-2"), (3, "tv-3")] {
        finished_validation(&*store, tv, n, u64::from(n) * 10).await;
    }
    let cutoff = at(500);
    assert_eq!(
        store.purge(cutoff, 2).await.expect("a batch"),
        counts(0, 2),
        "checks go first"
    );
    let mut total = counts(0, 2);
    loop {
        let batch = store.purge(cutoff, 2).await.expect("a batch");
        assert!(batch.total() <= 2, "{batch:?}");
        if batch.total() == 0 {
            break;
        }
        total = total.plus(batch);
        assert!(
            batch.sends == 0 || total.checks == 3,
            "no send goes before its checks: {total:?}"
        );
    }
    assert_eq!(total, counts(3, 3));
    for tv in ["tv-1", "tv-2", "tv-3"] {
        assert!(
            trust_validation_history(&*store, tv).await.is_empty(),
            "{tv}"
        );
    }
}

/// Closing the abandoned attempts finishes those in flight that started before the cutoff
/// as outcome unknown, class `abandoned`: history shows them so, a send still counts against
/// the limits, a late outcome is a conflict, and a second pass closes nothing.
pub async fn attempts_left_in_flight_are_closed_as_abandoned_and_still_count(
    store: Arc<dyn VerificationStore>,
) {
    let abandoned_send = send_in_flight(&*store, &number(1), "tv-a", at(0)).await;
    let abandoned_check = id();
    reserve_check(&*store, abandoned_check, "tv-a", at(5)).await;
    let live_send = send_in_flight(&*store, &number(2), "tv-b", at(100)).await;
    let finished = record_send(&*store, &number(3), "tv-c", at(0), sent(3)).await;

    let closed = store
        .close_abandoned(at(50), at(200))
        .await
        .expect("the store closes abandoned attempts");
    assert_eq!(closed, counts(1, 1));

    let abandoned = Some(ErrorClass::Abandoned);
    let send = stored_send(&*store, "tv-a", abandoned_send).await;
    assert_eq!(
        send.outcome(),
        SendOutcome::OutcomeUnknown { class: abandoned }
    );
    assert_eq!(send.finished_at(), Some(at(200)));
    assert!(send.may_have_delivered(), "a code may have gone out");
    let check = stored_check(&*store, "tv-a", abandoned_check).await;
    assert_eq!(
        check.outcome(),
        CheckOutcome::OutcomeUnknown { class: abandoned }
    );
    assert!(check.counts_as_attempt());
    assert!(stored(&*store, "tv-b", live_send).await.is_in_flight());
    assert_eq!(
        stored_send(&*store, "tv-c", finished).await.outcome(),
        sent(3)
    );

    let one_per_validation = SendLimits {
        max_per_trust_validation: 1,
        ..no_limits()
    };
    assert_eq!(
        reserve(
            &*store,
            new_send(id(), &number(4), "tv-a", at(300)),
            &one_per_validation
        )
        .await,
        Reservation::Refused(SendRefusal::TrustValidationLimitReached { limit: 1 }),
        "the abandoned send is counted as possibly sent"
    );
    assert_conflict(
        store.finish_send(abandoned_send, sent(1), at(400)).await,
        ConflictKind::AlreadyFinished,
    );
    assert_eq!(
        store
            .close_abandoned(at(50), at(500))
            .await
            .expect("a second pass"),
        counts(0, 0)
    );
}
