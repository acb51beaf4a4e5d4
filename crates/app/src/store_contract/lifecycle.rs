//! Cases about a record's lifecycle: purge (retention) and the reconciliation of attempts
//! left in flight.

use std::sync::Arc;

use super::fixtures::*;
use chrono::{DateTime, Utc};

use crate::{
    AttemptCounts, AttemptRecord, CheckOutcome, ConflictKind, ErrorClass, HistorySubject,
    PurgeBatch, Reservation, SendLimits, SendOutcome, SendRefusal, VerificationStore,
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

/// Runs a purge before `cutoff` to its end, `limit` attempts walked a batch, as the purge use
/// case does; what each batch deleted, in order.
async fn purge_to_the_end(
    store: &dyn VerificationStore,
    cutoff: DateTime<Utc>,
    limit: u32,
) -> Vec<AttemptCounts> {
    let mut after = None;
    let mut batches = Vec::new();
    loop {
        let batch = store
            .purge(cutoff, after.as_ref(), limit)
            .await
            .expect("a purge batch");
        batches.push(batch.deleted);
        match batch.next {
            Some(next) => after = Some(next),
            None => return batches,
        }
    }
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
        store.purge(cutoff, None, 100).await.expect("a purge"),
        PurgeBatch {
            deleted: counts(1, 1),
            next: None,
        },
        "one batch walks the two attempts finished before the cutoff, and ends the purge"
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
        store.purge(cutoff, None, 100).await.expect("a purge"),
        PurgeBatch::default()
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
        purge_to_the_end(&*store, cutoff, 100).await,
        vec![counts(0, 0)]
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

/// A batch walks at most its limit of attempts finished before the cutoff, oldest first,
/// and deletes the purgeable trust validations it met, whole: the attempts it has not
/// walked yet too, however many. A trust validation still in use is walked past, once; the
/// purge ends when the walk has passed the last attempt finished before the cutoff.
pub async fn a_purge_goes_in_batches_of_whole_trust_validations(store: Arc<dyn VerificationStore>) {
    // Finish times: tv-1 11 and 12; tv-big 21 (its send) and 22, 23, 24 (three checks);
    // tv-kept 31, and a send in flight since after the cutoff; tv-3 41 and 42.
    finished_validation(&*store, "tv-1", 1, 10).await;
    record_send(&*store, &number(2), "tv-big", at(20), sent(2)).await;
    for second in [22, 23, 24] {
        let check = id();
        reserve_check(&*store, check, "tv-big", at(second - 1)).await;
        store
            .finish_check(check, wrong_code(), at(second))
            .await
            .expect("the store records a check's outcome");
    }
    record_send(&*store, &number(3), "tv-kept", at(30), sent(3)).await;
    send_in_flight(&*store, &number(3), "tv-kept", at(600)).await;
    finished_validation(&*store, "tv-3", 4, 40).await;

    assert_eq!(
        purge_to_the_end(&*store, at(500), 2).await,
        vec![
            counts(1, 1), // tv-1, walked whole
            counts(1, 3), // tv-big: two of its attempts walked, all four deleted
            counts(1, 1), // tv-kept walked past; tv-3, one of its two walked
            counts(0, 0), // nothing left to walk
        ]
    );
    for (tv, kept) in [("tv-1", 0), ("tv-big", 0), ("tv-kept", 2), ("tv-3", 0)] {
        assert_eq!(
            trust_validation_history(&*store, tv).await.len(),
            kept,
            "{tv}"
        );
    }
}

/// A send reserved for a trust validation between two batches of a purge, after the batch
/// that walked past it or before the one that meets it, keeps the trust validation whole:
/// none of its attempts goes, and its check keeps its send.
pub async fn a_send_arriving_between_batches_keeps_its_trust_validation_whole(
    store: Arc<dyn VerificationStore>,
) {
    for (n, tv) in [(1, "tv-a"), (2, "tv-b"), (3, "tv-c")] {
        finished_validation(&*store, tv, n, u64::from(n) * 10).await;
    }
    let cutoff = at(500);
    let first = store.purge(cutoff, None, 2).await.expect("a batch");
    assert_eq!(first.deleted, counts(1, 1), "tv-a goes whole");
    send_in_flight(&*store, &number(2), "tv-b", at(1000)).await;
    let mut after = first.next;
    let mut deleted = Vec::new();
    while let Some(position) = after {
        let batch = store
            .purge(cutoff, Some(&position), 2)
            .await
            .expect("a batch");
        deleted.push(batch.deleted);
        after = batch.next;
    }
    assert_eq!(
        deleted
            .iter()
            .fold(counts(0, 0), |sum, batch| sum.plus(*batch)),
        counts(1, 1),
        "tv-c went, and nothing of tv-b: {deleted:?}"
    );
    assert_eq!(trust_validation_history(&*store, "tv-a").await.len(), 0);
    assert_eq!(
        trust_validation_history(&*store, "tv-b").await.len(),
        3,
        "tv-b's send and check stay, beside its new send"
    );
    assert_eq!(trust_validation_history(&*store, "tv-c").await.len(), 0);
}

/// Sends reserved while a purge runs, for trust validations it is deleting: each batch
/// races a send for one of the two trust validations it meets (between its walk and its
/// delete, before both, or after). Each trust validation's old attempts go together or not
/// at all, whichever came first; none is left with part of them (a send without its check).
pub async fn sends_racing_a_purge_leave_their_trust_validations_whole(
    store: Arc<dyn VerificationStore>,
) {
    const VALIDATIONS: u8 = 20;
    let name = |n: u8| format!("tv-{n}");
    // tv-n finishes at 10n + 1 and 10n + 2: a batch of 4 walks two trust validations.
    for n in 0..VALIDATIONS {
        finished_validation(&*store, &name(n), n % 10, u64::from(n) * 10).await;
    }
    // Within the in-memory store's retention of the oldest, so that nothing is evicted.
    let cutoff = at(500);
    let (mut after, mut deleted, mut batch_number) = (None, counts(0, 0), 0_u8);
    loop {
        let raced = name((batch_number * 2 + batch_number % 2).min(VALIDATIONS - 1));
        let (batch, ()) = tokio::join!(store.purge(cutoff, after.as_ref(), 4), async {
            send_in_flight(&*store, &number(1), &raced, at(1000)).await;
        });
        let batch = batch.expect("a purge batch");
        deleted = deleted.plus(batch.deleted);
        batch_number += 1;
        match batch.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut kept = 0;
    for n in 0..VALIDATIONS {
        let history = trust_validation_history(&*store, &name(n)).await;
        let old = history
            .iter()
            .filter(|record| !record.is_in_flight())
            .count();
        assert!(
            old == 0 || old == 2,
            "{}: {old} of its 2 old attempts left",
            name(n)
        );
        kept += old;
    }
    let kept = u64::try_from(kept).expect("a count");
    assert_eq!(deleted.total() + kept, u64::from(VALIDATIONS) * 2);
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
