//! The contract of the [`VerificationStore`] port, as a test suite every implementation runs
//! (feature `store-contract`).
//!
//! Each case is a `pub async fn` taking a fresh, empty store and panicking when the store
//! breaks the contract. [`run_all`] runs every case, each against a store of its own;
//! [`crate::store_contract_tests!`] generates one `#[tokio::test]` per case, which reads
//! better in a test report:
//!
//! ```text
//! // In the tests of a store crate (tokio with `macros` and `rt-multi-thread` as a
//! // dev-dependency):
//! phone_verify_app::store_contract_tests!(|| async {
//!     std::sync::Arc::new(MySqlStore::connect_fresh().await) as std::sync::Arc<dyn VerificationStore>
//! });
//! ```
//!
//! The concurrency cases spawn tasks with `tokio::spawn`: run them on a multi-thread tokio
//! runtime so they really run in parallel.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use phone_verify_domain::{
    CheckVerdict, PhoneNumber, ReferenceId, TrustFlowId, TrustValidationId, VerificationStatus,
};

use crate::{
    AttemptId, AttemptRecord, CheckOutcome, CheckPolicy, CheckRecord, CheckRefusal,
    CheckReservation, CheckTarget, ConflictKind, ErrorClass, HistorySubject, NewCheck, NewSend,
    PageRequest, RefusalReason, Reservation, SendLimits, SendOutcome, SendRecord, SendRefusal,
    SendState, StoreError, VerificationStore,
};

/// Generates one `#[tokio::test]` (multi-thread) per contract case, each with a store from
/// `$make_store`, a closure returning a future of `Arc<dyn VerificationStore>`.
#[macro_export]
macro_rules! store_contract_tests {
    ($make_store:expr) => {
        $crate::store_contract_tests!(@cases $make_store;
            a_reserved_send_reads_back_in_flight_as_outcome_unknown,
            a_finished_send_reads_back_with_its_outcome,
            an_outcome_is_recorded_once_and_only_for_a_stored_attempt,
            an_attempt_id_is_stored_once,
            a_send_within_the_cooldown_is_refused_until_the_cooldown_ends,
            sends_beyond_the_cap_per_number_are_refused_until_the_oldest_leaves_the_window,
            sends_beyond_the_cap_per_trust_validation_are_refused_for_good,
            sends_that_delivered_nothing_do_not_use_up_the_limits,
            a_check_goes_to_the_send_the_provider_accepted_last,
            a_send_reserved_before_a_check_is_the_send_it_goes_to,
            sends_to_a_number_since_a_time_are_listed_newest_first,
            checks_are_refused_once_the_attempt_limit_is_reached,
            a_check_without_a_live_code_is_refused_and_writes_nothing,
            an_answer_closes_the_send_in_flight_and_names_the_reference,
            an_answer_naming_another_send_moves_the_check_to_it,
            a_check_the_provider_had_no_code_for_is_no_attempt,
            history_lists_sends_and_checks_newest_first_in_pages,
            history_pages_do_not_skip_or_repeat_attempts_started_at_the_same_instant,
            concurrent_sends_to_one_number_let_exactly_one_through,
            concurrent_checks_of_one_send_let_exactly_the_limit_through,
        );
    };
    (@cases $make_store:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                $crate::store_contract::$case(($make_store)().await).await;
            }
        )*
    };
}

/// Runs every case, each against a fresh store from `make_store`.
///
/// # Panics
///
/// When the store breaks the contract, with the case's message.
pub async fn run_all<F, Fut>(make_store: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn VerificationStore>>,
{
    a_reserved_send_reads_back_in_flight_as_outcome_unknown(make_store().await).await;
    a_finished_send_reads_back_with_its_outcome(make_store().await).await;
    an_outcome_is_recorded_once_and_only_for_a_stored_attempt(make_store().await).await;
    an_attempt_id_is_stored_once(make_store().await).await;
    a_send_within_the_cooldown_is_refused_until_the_cooldown_ends(make_store().await).await;
    sends_beyond_the_cap_per_number_are_refused_until_the_oldest_leaves_the_window(
        make_store().await,
    )
    .await;
    sends_beyond_the_cap_per_trust_validation_are_refused_for_good(make_store().await).await;
    sends_that_delivered_nothing_do_not_use_up_the_limits(make_store().await).await;
    a_check_goes_to_the_send_the_provider_accepted_last(make_store().await).await;
    a_send_reserved_before_a_check_is_the_send_it_goes_to(make_store().await).await;
    sends_to_a_number_since_a_time_are_listed_newest_first(make_store().await).await;
    checks_are_refused_once_the_attempt_limit_is_reached(make_store().await).await;
    a_check_without_a_live_code_is_refused_and_writes_nothing(make_store().await).await;
    an_answer_closes_the_send_in_flight_and_names_the_reference(make_store().await).await;
    an_answer_naming_another_send_moves_the_check_to_it(make_store().await).await;
    a_check_the_provider_had_no_code_for_is_no_attempt(make_store().await).await;
    history_lists_sends_and_checks_newest_first_in_pages(make_store().await).await;
    history_pages_do_not_skip_or_repeat_attempts_started_at_the_same_instant(make_store().await)
        .await;
    concurrent_sends_to_one_number_let_exactly_one_through(make_store().await).await;
    concurrent_checks_of_one_send_let_exactly_the_limit_through(make_store().await).await;
}

// ---- fixtures ---------------------------------------------------------------------------

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id, unique within the test process.
fn id() -> AttemptId {
    AttemptId::from_u128(u128::from(NEXT_ID.fetch_add(1, Ordering::Relaxed)))
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 0)
        .single()
        .expect("a valid instant")
}

fn at(seconds: u64) -> DateTime<Utc> {
    t0() + Duration::from_secs(seconds)
}

/// Distinct valid Malaysian mobile numbers.
fn number(n: u8) -> PhoneNumber {
    PhoneNumber::parse(&format!("+6018225849{n}")).expect("a valid number")
}

fn validation(name: &str) -> TrustValidationId {
    TrustValidationId::parse(name).expect("a valid trust validation id")
}

fn reference(n: u8) -> ReferenceId {
    ReferenceId::parse(&format!("0123456789ABCDEF0123456789ABCD{n:02}")).expect("a valid ref")
}

/// Limits that never refuse, for the cases about something else.
fn no_limits() -> SendLimits {
    SendLimits {
        cooldown: Duration::ZERO,
        max_per_number: u32::MAX,
        window: Duration::from_secs(3600),
        max_per_trust_validation: u32::MAX,
    }
}

fn new_send(id: AttemptId, phone: &PhoneNumber, tv: &str, started_at: DateTime<Utc>) -> NewSend {
    NewSend {
        id,
        phone: phone.clone(),
        trust_flow: TrustFlowId::new(147),
        trust_validation: validation(tv),
        started_at,
    }
}

fn new_check(id: AttemptId, tv: &str, started_at: DateTime<Utc>) -> NewCheck {
    NewCheck {
        id,
        trust_validation: validation(tv),
        started_at,
    }
}

/// The default check policy: 5 attempts, codes valid 5 minutes.
fn checks(max_attempts: u32) -> CheckPolicy {
    CheckPolicy {
        max_attempts,
        ..CheckPolicy::default()
    }
}

/// Sent, with no submit time from the provider.
fn sent(n: u8) -> SendOutcome {
    SendOutcome::Sent {
        reference: reference(n),
        submitted_at: None,
    }
}

/// Sent, and accepted by the provider at `submitted_at`.
fn sent_at(n: u8, submitted_at: DateTime<Utc>) -> SendOutcome {
    SendOutcome::Sent {
        reference: reference(n),
        submitted_at: Some(submitted_at),
    }
}

fn wrong_code() -> CheckOutcome {
    answered(CheckVerdict::WrongCode, None)
}

fn answered(verdict: CheckVerdict, reference: Option<ReferenceId>) -> CheckOutcome {
    CheckOutcome::Answered {
        verdict,
        status: VerificationStatus::Pending,
        reference,
    }
}

/// Reserves a check; panics unless it is reserved. Returns the target the store chose.
async fn reserve_check(
    store: &dyn VerificationStore,
    check_id: AttemptId,
    tv: &str,
    started_at: DateTime<Utc>,
) -> CheckTarget {
    match store
        .reserve_check(new_check(check_id, tv, started_at), &checks(5))
        .await
        .expect("the store reserves a check")
    {
        CheckReservation::Reserved(target) => target,
        CheckReservation::Refused(refusal) => panic!("the check is reserved, got {refusal:?}"),
    }
}

/// Reserves a send with no limits and leaves it in flight; returns its id.
async fn send_in_flight(
    store: &dyn VerificationStore,
    phone: &PhoneNumber,
    tv: &str,
    started_at: DateTime<Utc>,
) -> AttemptId {
    let send_id = id();
    let reservation = reserve(
        store,
        new_send(send_id, phone, tv, started_at),
        &no_limits(),
    )
    .await;
    assert_eq!(reservation, Reservation::Reserved);
    send_id
}

/// The stored attempt with this id, from the trust validation's history.
async fn stored(store: &dyn VerificationStore, tv: &str, attempt: AttemptId) -> AttemptRecord {
    all_history(store, &HistorySubject::TrustValidation(validation(tv)))
        .await
        .into_iter()
        .find(|record| record.id() == attempt)
        .expect("the attempt is stored")
}

async fn stored_send(store: &dyn VerificationStore, tv: &str, attempt: AttemptId) -> SendRecord {
    match stored(store, tv, attempt).await {
        AttemptRecord::Send(send) => send,
        AttemptRecord::Check(check) => panic!("a send, got {check:?}"),
    }
}

async fn stored_check(store: &dyn VerificationStore, tv: &str, attempt: AttemptId) -> CheckRecord {
    match stored(store, tv, attempt).await {
        AttemptRecord::Check(check) => check,
        AttemptRecord::Send(send) => panic!("a check, got {send:?}"),
    }
}

async fn reserve(
    store: &dyn VerificationStore,
    send: NewSend,
    limits: &SendLimits,
) -> Reservation<SendRefusal> {
    store
        .reserve_send(send, limits)
        .await
        .expect("the store reserves a send")
}

/// Reserves a send with no limits and records `outcome`; returns its id.
async fn record_send(
    store: &dyn VerificationStore,
    phone: &PhoneNumber,
    tv: &str,
    started_at: DateTime<Utc>,
    outcome: SendOutcome,
) -> AttemptId {
    let send_id = id();
    let reservation = reserve(
        store,
        new_send(send_id, phone, tv, started_at),
        &no_limits(),
    )
    .await;
    assert_eq!(
        reservation,
        Reservation::Reserved,
        "a send without limits is reserved"
    );
    store
        .finish_send(send_id, outcome, started_at + Duration::from_secs(1))
        .await
        .expect("the store records the outcome of a send");
    send_id
}

async fn all_history(
    store: &dyn VerificationStore,
    subject: &HistorySubject,
) -> Vec<AttemptRecord> {
    store
        .history(subject, PageRequest::first(crate::MAX_PAGE_SIZE))
        .await
        .expect("the store lists a history")
        .items
}

fn assert_conflict(result: Result<impl std::fmt::Debug, StoreError>, expected: ConflictKind) {
    match result {
        Err(StoreError::Conflict { kind }) => assert_eq!(kind, expected),
        other => panic!("expected a {expected:?} conflict, got {other:?}"),
    }
}

// ---- cases ------------------------------------------------------------------------------

/// A reserved send is stored in flight, and reads as "outcome unknown", never as nothing.
pub async fn a_reserved_send_reads_back_in_flight_as_outcome_unknown(
    store: Arc<dyn VerificationStore>,
) {
    let send_id = id();
    let reservation = reserve(
        &*store,
        new_send(send_id, &number(1), "tv-a", t0()),
        &no_limits(),
    )
    .await;
    assert_eq!(reservation, Reservation::Reserved);

    let latest = stored_send(&*store, "tv-a", send_id).await;
    assert_eq!(
        latest.phone.e164(),
        number(1).e164(),
        "the full number is kept"
    );
    assert_eq!(latest.trust_flow, TrustFlowId::new(147));
    assert_eq!(latest.started_at, t0());
    assert_eq!(latest.state, SendState::InFlight);
    assert_eq!(
        latest.outcome(),
        SendOutcome::OutcomeUnknown { class: None }
    );
}

/// Every final outcome of a send reads back as it was recorded, with when.
pub async fn a_finished_send_reads_back_with_its_outcome(store: Arc<dyn VerificationStore>) {
    let outcomes = [
        sent(1),
        sent_at(2, at(3) + Duration::from_nanos(123_456_789)),
        SendOutcome::Refused {
            reason: RefusalReason::InvalidRequest,
        },
        SendOutcome::Refused {
            reason: RefusalReason::Unauthorized,
        },
        SendOutcome::RateLimited {
            retry_after: Some(Duration::from_secs(30)),
        },
        SendOutcome::RateLimited { retry_after: None },
        SendOutcome::NotSent {
            class: ErrorClass::NotSent,
        },
        SendOutcome::OutcomeUnknown {
            class: Some(ErrorClass::InvalidResponse),
        },
    ];
    for (n, outcome) in (0u64..).zip(outcomes) {
        let tv = format!("tv-outcome-{n}");
        let started_at = at(n * 60);
        let send_id = record_send(&*store, &number(1), &tv, started_at, outcome.clone()).await;
        let history = all_history(&*store, &HistorySubject::TrustValidation(validation(&tv))).await;
        let [AttemptRecord::Send(send)] = history.as_slice() else {
            panic!("one send in the history of {tv}, got {history:?}");
        };
        assert_eq!(send.id, send_id);
        assert_eq!(
            send.state,
            SendState::Finished {
                at: started_at + Duration::from_secs(1),
                outcome: outcome.clone(),
            },
        );
        assert_eq!(send.outcome(), outcome);
    }
}

/// An outcome is written once, and only for an attempt of the right kind that is stored.
pub async fn an_outcome_is_recorded_once_and_only_for_a_stored_attempt(
    store: Arc<dyn VerificationStore>,
) {
    let send_id = record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    assert_conflict(
        store.finish_send(send_id, sent(2), at(5)).await,
        ConflictKind::AlreadyFinished,
    );
    assert_conflict(
        store.finish_send(id(), sent(2), at(5)).await,
        ConflictKind::UnknownAttempt,
    );
    assert_conflict(
        store.finish_check(send_id, wrong_code(), at(5)).await,
        ConflictKind::UnknownAttempt,
    );
    assert_eq!(
        stored_send(&*store, "tv-a", send_id).await.outcome(),
        sent(1),
        "the first outcome stays"
    );

    let check_id = id();
    reserve_check(&*store, check_id, "tv-a", at(10)).await;
    store
        .finish_check(check_id, wrong_code(), at(11))
        .await
        .expect("the store records the outcome of a check");
    assert_conflict(
        store.finish_check(check_id, wrong_code(), at(12)).await,
        ConflictKind::AlreadyFinished,
    );
    assert_conflict(
        store.finish_send(check_id, sent(1), at(12)).await,
        ConflictKind::UnknownAttempt,
    );
}

/// A second attempt with an id already stored is refused and changes nothing.
pub async fn an_attempt_id_is_stored_once(store: Arc<dyn VerificationStore>) {
    let send_id = record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    assert_conflict(
        store
            .reserve_send(new_send(send_id, &number(2), "tv-b", at(60)), &no_limits())
            .await,
        ConflictKind::DuplicateId,
    );
    assert_conflict(
        store
            .reserve_check(new_check(send_id, "tv-a", at(60)), &checks(5))
            .await,
        ConflictKind::DuplicateId,
    );
    let history = all_history(&*store, &HistorySubject::Number(number(2))).await;
    assert!(history.is_empty(), "nothing was written: {history:?}");
}

/// A send to a number that had one less than the cooldown ago is refused, with the end of
/// the cooldown as the retry time, and nothing is written; at that time it passes.
pub async fn a_send_within_the_cooldown_is_refused_until_the_cooldown_ends(
    store: Arc<dyn VerificationStore>,
) {
    let limits = SendLimits::default();
    record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;

    let refused = reserve(&*store, new_send(id(), &number(1), "tv-b", at(10)), &limits).await;
    assert_eq!(
        refused,
        Reservation::Refused(SendRefusal::CoolingDown {
            retry_at: t0() + limits.cooldown,
        })
    );
    let other_number = reserve(&*store, new_send(id(), &number(2), "tv-c", at(10)), &limits).await;
    assert_eq!(
        other_number,
        Reservation::Reserved,
        "the cooldown is per number"
    );

    let at_retry = reserve(&*store, new_send(id(), &number(1), "tv-b", at(30)), &limits).await;
    assert_eq!(at_retry, Reservation::Reserved);
    let sends = store
        .sends_to_number_since(&number(1), t0())
        .await
        .expect("read");
    assert_eq!(sends.len(), 2, "the refused send was not written");
}

/// The sixth send to a number within an hour is refused until the oldest of the five leaves
/// the window.
pub async fn sends_beyond_the_cap_per_number_are_refused_until_the_oldest_leaves_the_window(
    store: Arc<dyn VerificationStore>,
) {
    let limits = SendLimits::default();
    for minute in 0..5 {
        let reservation = reserve(
            &*store,
            new_send(id(), &number(1), &format!("tv-{minute}"), at(minute * 60)),
            &limits,
        )
        .await;
        assert_eq!(reservation, Reservation::Reserved, "send {minute} passes");
    }
    let sixth = reserve(
        &*store,
        new_send(id(), &number(1), "tv-6", at(5 * 60)),
        &limits,
    )
    .await;
    assert_eq!(
        sixth,
        Reservation::Refused(SendRefusal::NumberLimitReached {
            limit: 5,
            window: limits.window,
            retry_at: t0() + limits.window,
        })
    );
    let just_before = reserve(
        &*store,
        new_send(id(), &number(1), "tv-6", at(3599)),
        &limits,
    )
    .await;
    assert!(
        matches!(just_before, Reservation::Refused(_)),
        "{just_before:?}"
    );
    let at_retry = reserve(
        &*store,
        new_send(id(), &number(1), "tv-6", at(3600)),
        &limits,
    )
    .await;
    assert_eq!(at_retry, Reservation::Reserved);
}

/// A trust validation that had its allowance of codes gets no more, to any number, and no
/// retry time.
pub async fn sends_beyond_the_cap_per_trust_validation_are_refused_for_good(
    store: Arc<dyn VerificationStore>,
) {
    let limits = SendLimits {
        max_per_trust_validation: 2,
        ..SendLimits::default()
    };
    for n in 1..=2 {
        let reservation = reserve(&*store, new_send(id(), &number(n), "tv-a", t0()), &limits).await;
        assert_eq!(reservation, Reservation::Reserved);
    }
    let third = reserve(
        &*store,
        new_send(id(), &number(3), "tv-a", at(86_400)),
        &limits,
    )
    .await;
    assert_eq!(
        third,
        Reservation::Refused(SendRefusal::TrustValidationLimitReached { limit: 2 })
    );
}

/// Sends the provider refused, rate-limited or never received cost nothing and do not count
/// against the cooldown or the caps.
pub async fn sends_that_delivered_nothing_do_not_use_up_the_limits(
    store: Arc<dyn VerificationStore>,
) {
    let limits = SendLimits {
        max_per_number: 1,
        max_per_trust_validation: 1,
        ..SendLimits::default()
    };
    let nothing_delivered = [
        SendOutcome::Refused {
            reason: RefusalReason::NotFound,
        },
        SendOutcome::RateLimited { retry_after: None },
        SendOutcome::NotSent {
            class: ErrorClass::ProviderFault,
        },
    ];
    for outcome in nothing_delivered {
        record_send(&*store, &number(1), "tv-a", t0(), outcome).await;
    }
    let next = reserve(&*store, new_send(id(), &number(1), "tv-a", at(1)), &limits).await;
    assert_eq!(next, Reservation::Reserved);
}

/// The check goes to the send the provider accepted last, by its submit time, even when it
/// started first; while an overlapping send is in flight the order is unknown and the check
/// names no send (the provider checks the code it holds).
pub async fn a_check_goes_to_the_send_the_provider_accepted_last(
    store: Arc<dyn VerificationStore>,
) {
    let first = send_in_flight(&*store, &number(1), "tv-a", t0()).await;
    let second = send_in_flight(&*store, &number(2), "tv-a", at(1)).await;
    store
        .finish_send(second, sent_at(2, at(1)), at(2))
        .await
        .expect("finish");
    let target = reserve_check(&*store, id(), "tv-a", at(3)).await;
    assert_eq!(
        target.send.id, second,
        "the newest, while the order is unknown"
    );
    assert!(
        !target.narrowed,
        "the first send may still reach the provider"
    );

    store
        .finish_send(first, sent_at(1, at(8)), at(9))
        .await
        .expect("finish");
    let check_id = id();
    let target = reserve_check(&*store, check_id, "tv-a", at(10)).await;
    assert_eq!(
        target.send.id, first,
        "the provider accepted the first send last"
    );
    assert!(target.narrowed);
    assert_eq!(target.reference(), Some(&reference(1)));
    assert_eq!(target.phone(), Some(&number(1)));
    let check = stored_check(&*store, "tv-a", check_id).await;
    assert_eq!(check.send, first);
    assert_eq!(check.phone, number(1));
    assert_eq!(check.reference, Some(reference(1)));

    record_send(&*store, &number(1), "tv-other", at(20), sent_at(3, at(20))).await;
    let target = reserve_check(&*store, id(), "tv-a", at(30)).await;
    assert_eq!(
        target.send.id, first,
        "another trust validation's send plays no part"
    );
}

/// A send reserved before the check's reservation is the one the check goes to: the store
/// chooses the send inside the check's atomic step, never from an earlier read.
pub async fn a_send_reserved_before_a_check_is_the_send_it_goes_to(
    store: Arc<dyn VerificationStore>,
) {
    record_send(&*store, &number(1), "tv-a", t0(), sent_at(1, t0())).await;
    record_send(
        &*store,
        &number(1),
        "tv-a",
        at(30),
        SendOutcome::NotSent {
            class: ErrorClass::NotSent,
        },
    )
    .await;
    let newer = send_in_flight(&*store, &number(2), "tv-a", at(60)).await;
    let check_id = id();
    let target = reserve_check(&*store, check_id, "tv-a", at(61)).await;
    assert_eq!(
        target.send.id, newer,
        "the send reserved last, not the older sent one"
    );
    assert_eq!(stored_check(&*store, "tv-a", check_id).await.send, newer);
    assert!(
        !target.narrowed,
        "a send in flight has no reference to name"
    );
}

/// The sends to a number since a time, whatever their outcome, newest first; other numbers'
/// and older sends are left out.
pub async fn sends_to_a_number_since_a_time_are_listed_newest_first(
    store: Arc<dyn VerificationStore>,
) {
    record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    let second = record_send(
        &*store,
        &number(1),
        "tv-b",
        at(60),
        SendOutcome::NotSent {
            class: ErrorClass::NotSent,
        },
    )
    .await;
    let third = record_send(&*store, &number(1), "tv-c", at(120), sent(3)).await;
    record_send(&*store, &number(2), "tv-d", at(90), sent(4)).await;

    let sends = store
        .sends_to_number_since(&number(1), at(60))
        .await
        .expect("read");
    let ids: Vec<AttemptId> = sends.iter().map(|send| send.id).collect();
    assert_eq!(ids, [third, second]);
}

/// Checks that may have reached the provider count against the limit; one that provably did
/// not is free. At the limit the check is refused and nothing is written.
pub async fn checks_are_refused_once_the_attempt_limit_is_reached(
    store: Arc<dyn VerificationStore>,
) {
    record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    let not_checked = id();
    let reserved = store
        .reserve_check(new_check(not_checked, "tv-a", at(5)), &checks(3))
        .await
        .expect("reserve");
    assert!(matches!(reserved, CheckReservation::Reserved(_)));
    store
        .finish_check(
            not_checked,
            CheckOutcome::NotChecked {
                class: ErrorClass::NotSent,
            },
            at(6),
        )
        .await
        .expect("finish");

    // One left in flight (counts: it may have reached the provider), two wrong codes.
    let in_flight = id();
    let reserved = store
        .reserve_check(new_check(in_flight, "tv-a", at(10)), &checks(3))
        .await
        .expect("reserve");
    assert!(matches!(reserved, CheckReservation::Reserved(_)));
    for second in [20, 30] {
        let check_id = id();
        let reserved = store
            .reserve_check(new_check(check_id, "tv-a", at(second)), &checks(3))
            .await
            .expect("reserve");
        assert!(
            matches!(reserved, CheckReservation::Reserved(_)),
            "check at {second}s"
        );
        store
            .finish_check(check_id, wrong_code(), at(second + 1))
            .await
            .expect("finish");
    }
    let refused = store
        .reserve_check(new_check(id(), "tv-a", at(40)), &checks(3))
        .await
        .expect("reserve");
    assert_eq!(
        refused,
        CheckReservation::Refused(CheckRefusal::TooManyAttempts { limit: 3 })
    );
    let history = all_history(
        &*store,
        &HistorySubject::TrustValidation(validation("tv-a")),
    )
    .await;
    assert_eq!(history.len(), 5, "one send and four checks: {history:?}");
}

/// Without a send that may have delivered a code, or once every such code has expired, a
/// check is refused and nothing is written.
pub async fn a_check_without_a_live_code_is_refused_and_writes_nothing(
    store: Arc<dyn VerificationStore>,
) {
    let refused = store
        .reserve_check(new_check(id(), "tv-a", t0()), &checks(5))
        .await
        .expect("reserve");
    assert_eq!(refused, CheckReservation::Refused(CheckRefusal::NoCodeSent));
    record_send(
        &*store,
        &number(1),
        "tv-a",
        t0(),
        SendOutcome::RateLimited { retry_after: None },
    )
    .await;
    let refused = store
        .reserve_check(new_check(id(), "tv-a", at(1)), &checks(5))
        .await
        .expect("reserve");
    assert_eq!(refused, CheckReservation::Refused(CheckRefusal::NoCodeSent));

    record_send(&*store, &number(1), "tv-a", at(10), sent(1)).await;
    let lifetime = CheckPolicy::default().code_lifetime;
    let refused = store
        .reserve_check(new_check(id(), "tv-a", at(10) + lifetime), &checks(5))
        .await
        .expect("reserve");
    assert_eq!(
        refused,
        CheckReservation::Refused(CheckRefusal::CodeExpired {
            expired_at: at(10) + lifetime
        })
    );
    let history = all_history(
        &*store,
        &HistorySubject::TrustValidation(validation("tv-a")),
    )
    .await;
    assert_eq!(history.len(), 2, "only the two sends: {history:?}");
}

/// A check answered with the reference of a send still in flight (its process died after the
/// provider accepted it) closes that send as sent, and both record the reference. The send's
/// own outcome, arriving late, completes the record when it agrees and is refused when not.
pub async fn an_answer_closes_the_send_in_flight_and_names_the_reference(
    store: Arc<dyn VerificationStore>,
) {
    let send_id = send_in_flight(&*store, &number(1), "tv-a", t0()).await;
    let check_id = id();
    let target = reserve_check(&*store, check_id, "tv-a", at(10)).await;
    assert_eq!(target.send.id, send_id);
    let send_of_check = store
        .finish_check(
            check_id,
            answered(CheckVerdict::Verified, Some(reference(7))),
            at(11),
        )
        .await
        .expect("finish");
    assert_eq!(send_of_check, send_id);
    let send = stored_send(&*store, "tv-a", send_id).await;
    assert_eq!(
        send.state,
        SendState::Finished {
            at: at(11),
            outcome: sent(7),
        }
    );
    let check = stored_check(&*store, "tv-a", check_id).await;
    assert_eq!(check.reference, Some(reference(7)));
    assert_eq!(check.send, send_id);

    assert_conflict(
        store
            .finish_send(
                send_id,
                SendOutcome::NotSent {
                    class: ErrorClass::NotSent,
                },
                at(12),
            )
            .await,
        ConflictKind::AlreadyFinished,
    );
    assert_conflict(
        store.finish_send(send_id, sent_at(8, t0()), at(12)).await,
        ConflictKind::AlreadyFinished,
    );
    store
        .finish_send(
            send_id,
            SendOutcome::OutcomeUnknown {
                class: Some(ErrorClass::OutcomeUnknown),
            },
            at(12),
        )
        .await
        .expect("an unknown outcome leaves the send as the check closed it");
    assert_eq!(
        stored_send(&*store, "tv-a", send_id).await.outcome(),
        sent(7)
    );
    store
        .finish_send(send_id, sent_at(7, at(1)), at(13))
        .await
        .expect("the receipt of the same send completes the record");
    let send = stored_send(&*store, "tv-a", send_id).await;
    assert_eq!(send.outcome(), sent_at(7, at(1)));
    assert_conflict(
        store.finish_send(send_id, sent_at(7, at(1)), at(14)).await,
        ConflictKind::AlreadyFinished,
    );
}

/// A check the provider answered with the reference of another send of the trust validation
/// is moved to that send, whose checks it then counts against.
pub async fn an_answer_naming_another_send_moves_the_check_to_it(
    store: Arc<dyn VerificationStore>,
) {
    let first = record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    let second = send_in_flight(&*store, &number(2), "tv-a", at(1)).await;
    let check_id = id();
    let target = reserve_check(&*store, check_id, "tv-a", at(5)).await;
    assert_eq!(target.send.id, second);
    let moved_to = store
        .finish_check(
            check_id,
            answered(CheckVerdict::WrongCode, Some(reference(1))),
            at(6),
        )
        .await
        .expect("finish");
    assert_eq!(
        moved_to, first,
        "finishing says which send the check went to"
    );
    let check = stored_check(&*store, "tv-a", check_id).await;
    assert_eq!((check.send, check.reference), (first, Some(reference(1))));
    assert_eq!(
        stored_send(&*store, "tv-a", second).await.state,
        SendState::InFlight,
        "the other send stays as it was"
    );
    store
        .finish_send(
            second,
            SendOutcome::NotSent {
                class: ErrorClass::NotSent,
            },
            at(7),
        )
        .await
        .expect("finish");
    for attempt in 0..4 {
        let check_id = id();
        let target = reserve_check(&*store, check_id, "tv-a", at(10 + attempt)).await;
        assert_eq!(target.send.id, first);
        store
            .finish_check(check_id, wrong_code(), at(10 + attempt))
            .await
            .expect("finish");
    }
    let refused = store
        .reserve_check(new_check(id(), "tv-a", at(20)), &checks(5))
        .await
        .expect("reserve");
    assert_eq!(
        refused,
        CheckReservation::Refused(CheckRefusal::TooManyAttempts { limit: 5 }),
        "the moved check counts against the send it was moved to"
    );
}

/// A check the provider had no pending code for is recorded as such and uses up no attempt.
pub async fn a_check_the_provider_had_no_code_for_is_no_attempt(store: Arc<dyn VerificationStore>) {
    record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    let check_id = id();
    reserve_check(&*store, check_id, "tv-a", at(1)).await;
    store
        .finish_check(check_id, CheckOutcome::NoPendingCode, at(2))
        .await
        .expect("finish");
    let check = stored_check(&*store, "tv-a", check_id).await;
    assert_eq!(check.outcome(), CheckOutcome::NoPendingCode);
    assert!(!check.counts_as_attempt());
    let reserved = store
        .reserve_check(new_check(id(), "tv-a", at(3)), &checks(1))
        .await
        .expect("reserve");
    assert!(
        matches!(reserved, CheckReservation::Reserved(_)),
        "the one attempt allowed is still there: {reserved:?}"
    );
}

/// The history of a trust validation or a number lists its sends and checks newest first,
/// in pages that together hold every attempt once.
pub async fn history_lists_sends_and_checks_newest_first_in_pages(
    store: Arc<dyn VerificationStore>,
) {
    let first_send = record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    let check_id = id();
    reserve_check(&*store, check_id, "tv-a", at(10)).await;
    store
        .finish_check(check_id, wrong_code(), at(11))
        .await
        .expect("finish");
    let second_send = record_send(&*store, &number(1), "tv-a", at(60), sent(2)).await;
    let third_send = record_send(&*store, &number(1), "tv-a", at(120), sent(3)).await;
    let elsewhere = record_send(&*store, &number(1), "tv-b", at(90), sent(4)).await;
    record_send(&*store, &number(2), "tv-c", at(30), sent(5)).await;

    let subject = HistorySubject::TrustValidation(validation("tv-a"));
    let first_page = store
        .history(&subject, PageRequest::first(2))
        .await
        .expect("read");
    let ids: Vec<AttemptId> = first_page.items.iter().map(AttemptRecord::id).collect();
    assert_eq!(ids, [third_send, second_send]);
    let cursor = first_page.next.expect("more pages");
    let second_page = store
        .history(&subject, PageRequest::after(2, cursor))
        .await
        .expect("read");
    let ids: Vec<AttemptId> = second_page.items.iter().map(AttemptRecord::id).collect();
    assert_eq!(ids, [check_id, first_send]);
    if let Some(cursor) = second_page.next {
        let third_page = store
            .history(&subject, PageRequest::after(2, cursor))
            .await
            .expect("read");
        assert!(third_page.items.is_empty(), "{third_page:?}");
        assert_eq!(third_page.next, None);
    }

    let by_number = all_history(&*store, &HistorySubject::Number(number(1))).await;
    let ids: Vec<AttemptId> = by_number.iter().map(AttemptRecord::id).collect();
    assert_eq!(
        ids,
        [third_send, elsewhere, second_send, check_id, first_send]
    );
    let AttemptRecord::Check(check) = &by_number[3] else {
        panic!("the fourth attempt is the check: {by_number:?}");
    };
    assert_eq!(check.send, first_send);
    assert_eq!(check.reference, Some(reference(1)));
    assert_eq!(
        check.outcome(),
        answered(CheckVerdict::WrongCode, Some(reference(1))),
        "an answer that names no send reads back with the reference the check named"
    );
}

/// Attempts started at the same instant are ordered by id, so paging one by one returns each
/// exactly once.
pub async fn history_pages_do_not_skip_or_repeat_attempts_started_at_the_same_instant(
    store: Arc<dyn VerificationStore>,
) {
    let mut expected = Vec::new();
    for n in 0..4u8 {
        expected.push(record_send(&*store, &number(1), "tv-a", t0(), sent(n)).await);
    }
    expected.sort_unstable_by(|a, b| b.cmp(a));

    let subject = HistorySubject::TrustValidation(validation("tv-a"));
    let mut seen = Vec::new();
    let mut page = PageRequest::first(1);
    loop {
        let answer = store.history(&subject, page).await.expect("read");
        seen.extend(answer.items.iter().map(AttemptRecord::id));
        match answer.next {
            Some(cursor) => page = PageRequest::after(1, cursor),
            None => break,
        }
        assert!(
            seen.len() <= expected.len(),
            "paging does not end: {seen:?}"
        );
    }
    assert_eq!(seen, expected);
}

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
    let sends = store
        .sends_to_number_since(&number(1), t0())
        .await
        .expect("read");
    assert_eq!(sends.len(), 1, "exactly one send is recorded");
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
