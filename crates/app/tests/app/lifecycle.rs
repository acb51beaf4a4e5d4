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
    assert_eq!(
        done.cutoff,
        phone_verify_app::Clock::now(&*harness.clock) - secs(DAY)
    );
    assert!(harness.recorded().await.is_empty());
}

#[tokio::test]
async fn a_purge_younger_than_the_guards_need_is_refused_and_deletes_nothing() {
    let harness = Harness::new(accepting_gateway(1));
    harness.send.send(&request()).await.expect("sent");
    harness.clock.advance(secs(2 * DAY));

    let refused = purge_over(&harness)
        .purge(secs(600), PurgeMode::Delete)
        .await;
    assert!(
        matches!(refused, Err(PurgeError::TooRecent { minimum }) if minimum == secs(3600)),
        "{refused:?}"
    );
    assert_eq!(harness.recorded().await.len(), 1);
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
