//! The use cases of a record's lifecycle: the purge (retention) and the reconciliation of
//! attempts left in flight, over the in-memory store and a manual clock.

use std::sync::Arc;

use phone_verify_app::{
    AttemptCounts, CheckPolicy, DEFAULT_ABANDONED_AFTER, ErrorClass, FailingStore, PurgeError,
    PurgeMode, PurgeRecords, ReconcileInFlight, SendLimits, SendOutcome, SendPolicy,
    StoreOperation,
};

use crate::support::{Harness, accepting_gateway, request, secs};

const DAY: u64 = 24 * 60 * 60;

fn purge_over(harness: &Harness) -> PurgeRecords {
    PurgeRecords::new(
        Arc::clone(&harness.store),
        harness.clock.clone(),
        &SendLimits::default(),
        &CheckPolicy::default(),
    )
}

#[tokio::test]
async fn a_dry_run_counts_what_a_purge_then_deletes() {
    let harness = Harness::new(accepting_gateway(1));
    harness.send.send(&request()).await.expect("sent");
    harness.clock.advance(secs(2 * DAY));
    let purge = purge_over(&harness);
    let one_send = AttemptCounts {
        sends: 1,
        checks: 0,
    };

    let dry = purge
        .purge(secs(DAY), PurgeMode::DryRun)
        .await
        .expect("a dry run");
    assert_eq!((dry.mode, dry.attempts), (PurgeMode::DryRun, one_send));
    assert_eq!(
        harness.recorded().await.len(),
        1,
        "a dry run deletes nothing"
    );

    let done = purge
        .purge(secs(DAY), PurgeMode::Delete)
        .await
        .expect("a purge");
    assert_eq!(done.attempts, one_send);
    assert_eq!((dry.batches, done.batches), (0, 1));
    assert_eq!(
        done.cutoff,
        phone_verify_app::Clock::now(&*harness.clock) - secs(DAY)
    );
    assert!(harness.recorded().await.is_empty());
}

#[tokio::test]
async fn a_purge_runs_batches_from_where_the_last_stopped_until_the_walk_ends() {
    let harness = Harness::new(accepting_gateway(1));
    harness.send.send(&request()).await.expect("sent");
    harness.clock.advance(secs(2 * DAY));
    // A batch of one walks the one send and may have more after it; the next walks nothing
    // after it, and ends the purge.
    let done = purge_over(&harness)
        .batch_size(1)
        .purge(secs(DAY), PurgeMode::Delete)
        .await
        .expect("a purge");
    assert_eq!((done.attempts.total(), done.batches), (1, 2));
    assert!(harness.recorded().await.is_empty());
}

#[tokio::test]
async fn a_purge_younger_than_the_guards_need_is_refused_and_deletes_nothing() {
    let harness = Harness::new(accepting_gateway(1));
    harness.send.send(&request()).await.expect("sent");
    harness.clock.advance(secs(2 * DAY));

    // The guards' hour plus the clock margin: the hour exactly is refused too, since a host
    // whose clock runs ahead would then cut into the window of another's guards.
    let minimum = secs(3600) + phone_verify_app::CLOCK_MARGIN;
    for younger in [secs(600), secs(3600), minimum - secs(1)] {
        let refused = purge_over(&harness).purge(younger, PurgeMode::Delete).await;
        assert!(
            matches!(refused, Err(PurgeError::TooRecent { minimum: said }) if said == minimum),
            "{younger:?}: {refused:?}"
        );
    }
    assert_eq!(harness.recorded().await.len(), 1);
    let done = purge_over(&harness)
        .purge(minimum, PurgeMode::Delete)
        .await
        .expect("old enough");
    assert_eq!(done.attempts.total(), 1);
}

#[tokio::test]
async fn a_store_failing_during_a_purge_is_reported_with_what_was_deleted() {
    let store = Arc::new(FailingStore::failing(&[StoreOperation::Purge]));
    let harness = Harness::with(accepting_gateway(0), store, SendPolicy::default());
    let failed = purge_over(&harness)
        .purge(secs(DAY), PurgeMode::Delete)
        .await;
    assert!(
        matches!(failed, Err(PurgeError::Store { deleted, .. }) if deleted.total() == 0),
        "{failed:?}"
    );
}

#[tokio::test]
async fn a_send_left_in_flight_is_closed_as_abandoned_once_older_than_the_margin() {
    let harness = Harness::with_a_send_left_in_flight().await;
    let reconcile = ReconcileInFlight::new(
        Arc::clone(&harness.store),
        harness.clock.clone(),
        DEFAULT_ABANDONED_AFTER,
    );

    harness.clock.advance(DEFAULT_ABANDONED_AFTER - secs(1));
    let early = reconcile.reconcile().await.expect("reconciles");
    assert_eq!(early.closed.total(), 0, "a call may still be running");
    assert!(harness.only_send().await.finished_at().is_none());

    harness.clock.advance(secs(2));
    let report = reconcile.reconcile().await.expect("reconciles");
    assert_eq!(report.closed.sends, 1);
    let send = harness.only_send().await;
    assert_eq!(
        send.outcome(),
        SendOutcome::OutcomeUnknown {
            class: Some(ErrorClass::Abandoned)
        }
    );
    assert!(send.may_have_delivered(), "still counted as possibly sent");
}

#[tokio::test]
async fn a_reconciliation_younger_than_a_live_call_may_last_is_refused_and_closes_nothing() {
    let harness = Harness::with_a_send_left_in_flight().await;
    harness.clock.advance(DEFAULT_ABANDONED_AFTER);
    for too_young in [secs(0), phone_verify_app::MIN_ABANDONED_AFTER - secs(1)] {
        let refused =
            ReconcileInFlight::new(Arc::clone(&harness.store), harness.clock.clone(), too_young)
                .reconcile()
                .await;
        assert!(
            matches!(
                refused,
                Err(phone_verify_app::ReconcileError::TooRecent { minimum })
                    if minimum == phone_verify_app::MIN_ABANDONED_AFTER
            ),
            "{too_young:?}: {refused:?}"
        );
        assert!(harness.only_send().await.finished_at().is_none());
    }
}
