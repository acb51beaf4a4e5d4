//! An `Arc` or a `Box` of a port (store, clock, id source) is that port, forwarding every
//! method, the provided ones too.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phone_verify_app::{
    AttemptCounts, AttemptId, AttemptRecord, CheckOutcome, CheckPolicy, CheckReservation, Clock,
    HistorySubject, IdSource, InMemoryVerificationStore, ManualClock, NewCheck, NewSend,
    NumberProtection, Page, PageRequest, PurgeBatch, PurgePosition, Reservation, SendLimits,
    SendOutcome, SendPolicy, SendRefusal, SequentialIds, StoreError, StoredNumber,
    VerificationStore,
};

use crate::support::{Harness, accepting_gateway, keyring, request, secs, t0};

/// A store that tells what it is, each provided method otherwise than the default (its
/// engine, numbers kept keyed, a shared clock at `t0()`), and whose records are out of reach:
/// every read and write fails as unavailable.
#[derive(Debug)]
struct SharedClockStore {
    numbers: NumberProtection,
}

impl SharedClockStore {
    fn new() -> Self {
        Self {
            numbers: NumberProtection::keyed(keyring()),
        }
    }
}

fn out_of_reach() -> StoreError {
    StoreError::unavailable(std::io::Error::other("the records are out of reach"))
}

#[async_trait]
impl VerificationStore for SharedClockStore {
    fn engine(&self) -> &'static str {
        "shared-clock"
    }

    fn numbers(&self) -> &NumberProtection {
        &self.numbers
    }

    async fn shared_now(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(Some(t0()))
    }

    async fn reserve_send(
        &self,
        _send: NewSend,
        _limits: &SendLimits,
    ) -> Result<Reservation<SendRefusal>, StoreError> {
        Err(out_of_reach())
    }

    async fn finish_send(
        &self,
        _id: AttemptId,
        _outcome: SendOutcome,
        _finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Err(out_of_reach())
    }

    async fn reserve_check(
        &self,
        _check: NewCheck,
        _policy: &CheckPolicy,
    ) -> Result<CheckReservation, StoreError> {
        Err(out_of_reach())
    }

    async fn finish_check(
        &self,
        _id: AttemptId,
        _outcome: CheckOutcome,
        _finished_at: DateTime<Utc>,
    ) -> Result<AttemptId, StoreError> {
        Err(out_of_reach())
    }

    async fn history(
        &self,
        _subject: &HistorySubject,
        _page: PageRequest,
    ) -> Result<Page<AttemptRecord>, StoreError> {
        Err(out_of_reach())
    }

    async fn purge(
        &self,
        _finished_before: DateTime<Utc>,
        _after: Option<&PurgePosition>,
        _limit: u32,
    ) -> Result<PurgeBatch, StoreError> {
        Err(out_of_reach())
    }

    async fn count_purgeable(
        &self,
        _finished_before: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError> {
        Err(out_of_reach())
    }

    async fn close_abandoned(
        &self,
        _started_before: DateTime<Utc>,
        _closed_at: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError> {
        Err(out_of_reach())
    }

    async fn count_refusal(
        &self,
        _calling_code: &str,
        _reason: &str,
        _at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Err(out_of_reach())
    }

    async fn send_stats(
        &self,
        _since: DateTime<Utc>,
        _until: DateTime<Utc>,
    ) -> Result<Vec<phone_verify_app::CountryStats>, StoreError> {
        Err(out_of_reach())
    }
}

/// What a caller of `store` learns from its provided methods.
async fn provided(store: &impl VerificationStore) -> (&'static str, bool, Option<DateTime<Utc>>) {
    let shared_now = store.shared_now().await.expect("the shared clock answers");
    (store.engine(), store.numbers().is_keyed(), shared_now)
}

#[tokio::test]
async fn a_wrapped_store_reports_its_engine_its_numbers_and_its_shared_clock() {
    let expected = ("shared-clock", true, Some(t0()));
    assert_eq!(provided(&SharedClockStore::new()).await, expected, "itself");
    assert_eq!(
        provided(&Arc::new(SharedClockStore::new())).await,
        expected,
        "in an Arc"
    );
    assert_eq!(
        provided(&Box::new(SharedClockStore::new())).await,
        expected,
        "in a Box"
    );
    let shared: Arc<dyn VerificationStore> = Arc::new(SharedClockStore::new());
    assert_eq!(
        provided(&shared).await,
        expected,
        "as Arc<dyn VerificationStore>"
    );
    let boxed: Box<dyn VerificationStore> = Box::new(Arc::clone(&shared));
    assert_eq!(
        provided(&boxed).await,
        expected,
        "a Box of an Arc, as Box<dyn …>"
    );
}

#[tokio::test]
async fn a_protected_store_in_an_arc_is_still_handed_no_clear_number() {
    let inner = Arc::new(InMemoryVerificationStore::new().protect_numbers(keyring()));
    let harness = Harness::with(
        accepting_gateway(1),
        Arc::new(Arc::clone(&inner)),
        SendPolicy::default(),
    );
    assert_eq!(harness.store.engine(), "memory");
    harness.send.send(&request()).await.expect("sent");
    let send = harness.only_send().await;
    assert!(
        matches!(send.number, StoredNumber::Protected(_)),
        "kept protected: {:?}",
        send.number
    );
    assert_eq!(inner.len(), 1, "written to the store inside");
}

#[test]
fn a_wrapped_clock_shows_the_time_of_the_one_inside() {
    let clock = ManualClock::new(t0());
    let wrapped: Box<dyn Clock> = Box::new(Arc::new(clock.clone()));
    clock.advance(secs(90));
    assert_eq!(wrapped.now(), t0() + secs(90));
}

#[test]
fn a_wrapped_id_source_draws_from_the_one_inside() {
    let ids = Arc::new(SequentialIds::default());
    let wrapped: Box<dyn IdSource> = Box::new(Arc::clone(&ids));
    assert_eq!(ids.next_id(), AttemptId::from_u128(1));
    assert_eq!(wrapped.next_id(), AttemptId::from_u128(2));
    assert_eq!(Box::new(ids).next_id(), AttemptId::from_u128(3));
}
