//! A purge or a reconciliation on a host whose clock runs ahead cuts on the database's clock,
//! which every instance of a PostgreSQL store shares: it cannot delete a send the guards of
//! other instances still count, nor close their live calls.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use phone_verify::{PhoneVerification, VerificationRecords};
use phone_verify_app::{
    AttemptId, CLOCK_MARGIN, Clock, MIN_ABANDONED_AFTER, PurgeMode, Reservation, SendLimits,
    SendOutcome, VerificationStore,
};
use phone_verify_domain::ReferenceId;

use crate::support;

/// A host whose clock runs `ahead` of the true time.
#[derive(Debug)]
struct AheadClock {
    ahead: Duration,
}

impl Clock for AheadClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.ahead
    }
}

const FIFTY_MINUTES: Duration = Duration::from_secs(50 * 60);

/// The records' handle over `store`, on a host whose clock runs fifty minutes ahead, with
/// the default guards.
async fn records_ahead(store: &Arc<dyn VerificationStore>) -> VerificationRecords {
    PhoneVerification::builder()
        .store(Arc::clone(store))
        .clock(AheadClock {
            ahead: FIFTY_MINUTES,
        })
        .build_records()
        .await
        .expect("the handle builds")
}

async fn record_send(store: &dyn VerificationStore, n: u128, started_at: DateTime<Utc>) {
    let reserved = store
        .reserve_send(
            support::new_send(n, &format!("tv-{n}"), started_at),
            &SendLimits::default(),
        )
        .await
        .expect("reserve");
    assert_eq!(reserved, Reservation::Reserved);
    store
        .finish_send(
            AttemptId::from_u128(n),
            SendOutcome::Sent {
                reference: ReferenceId::parse("0123456789ABCDEF0123456789ABCDEF").expect("ref"),
                submitted_at: None,
            },
            started_at + Duration::from_secs(1),
        )
        .await
        .expect("finish");
}

#[tokio::test]
async fn a_purge_on_a_host_whose_clock_runs_ahead_keeps_what_the_guards_count() {
    let Some(store) = support::disposable_postgres().await else {
        return;
    };
    // A send 30 minutes ago: inside the guards' hour, which counts it.
    record_send(&*store, 1, Utc::now() - Duration::from_secs(30 * 60)).await;
    let minimum = SendLimits::default().horizon() + CLOCK_MARGIN;
    let records = records_ahead(&store).await;

    let report = records
        .purge(minimum, PurgeMode::Delete)
        .await
        .expect("a purge");

    // On the host's clock the cutoff would be 15 minutes ago, past the send's finish.
    assert_eq!(
        report.attempts.total(),
        0,
        "nothing the guards count is gone"
    );
    assert_eq!(support::history_of_number(&*store).await.len(), 1);
    let on_the_database = Utc::now() - minimum;
    let off_by = (report.cutoff - on_the_database).abs();
    assert!(
        off_by < chrono::Duration::minutes(5),
        "the cutoff is on the database's clock, not the host's: off by {off_by}"
    );
}

#[tokio::test]
async fn a_reconciliation_on_a_host_whose_clock_runs_ahead_closes_no_live_call() {
    let Some(store) = support::disposable_postgres().await else {
        return;
    };
    // A call that started a minute ago, still in flight.
    let reserved = store
        .reserve_send(
            support::new_send(2, "tv-live", Utc::now() - Duration::from_secs(60)),
            &SendLimits::default(),
        )
        .await
        .expect("reserve");
    assert_eq!(reserved, Reservation::Reserved);
    let records = records_ahead(&store).await;

    let report = records
        .reconcile(MIN_ABANDONED_AFTER)
        .await
        .expect("a reconciliation");

    assert_eq!(report.closed.total(), 0, "the live call stays in flight");
    let history = support::history_of_number(&*store).await;
    assert!(history[0].is_in_flight());
}
