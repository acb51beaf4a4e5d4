//! Values and steps the cases share.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use phone_verify_domain::{
    CheckVerdict, PhoneNumber, ProviderName, ReferenceId, TrustFlowId, TrustValidationId,
    VerificationStatus,
};

use crate::{
    AttemptId, AttemptRecord, CheckOutcome, CheckPolicy, CheckRecord, CheckReservation,
    CheckTarget, ConflictKind, HistorySubject, NewCheck, NewSend, PageRequest, Reservation,
    SendLimits, SendOutcome, SendRecord, SendRefusal, StoreError, VerificationStore,
};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id, unique within the test process.
pub(super) fn id() -> AttemptId {
    AttemptId::from_u128(u128::from(NEXT_ID.fetch_add(1, Ordering::Relaxed)))
}

pub(super) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 0)
        .single()
        .expect("a valid instant")
}

pub(super) fn at(seconds: u64) -> DateTime<Utc> {
    t0() + Duration::from_secs(seconds)
}

/// Distinct valid Malaysian mobile numbers.
pub(super) fn number(n: u8) -> PhoneNumber {
    PhoneNumber::parse(&format!("+6018225849{n}")).expect("a valid number")
}

pub(super) fn validation(name: &str) -> TrustValidationId {
    TrustValidationId::parse(name).expect("a valid trust validation id")
}

pub(super) fn reference(n: u8) -> ReferenceId {
    ReferenceId::parse(&format!("0123456789ABCDEF0123456789ABCD{n:02}")).expect("a valid ref")
}

/// Limits that never refuse, for the cases about something else.
pub(super) fn no_limits() -> SendLimits {
    SendLimits {
        cooldown: Duration::ZERO,
        max_per_number: u32::MAX,
        window: Duration::from_secs(3600),
        max_per_trust_validation: u32::MAX,
    }
}

pub(super) fn new_send(
    id: AttemptId,
    phone: &PhoneNumber,
    tv: &str,
    started_at: DateTime<Utc>,
) -> NewSend {
    NewSend {
        id,
        phone: phone.clone(),
        trust_flow: TrustFlowId::new(147),
        trust_validation: validation(tv),
        provider: ProviderName::idmeta(),
        started_at,
    }
}

pub(super) fn new_check(id: AttemptId, tv: &str, started_at: DateTime<Utc>) -> NewCheck {
    NewCheck {
        id,
        trust_validation: validation(tv),
        started_at,
    }
}

/// The default check policy: 5 attempts, codes valid 5 minutes.
pub(super) fn checks(max_attempts: u32) -> CheckPolicy {
    CheckPolicy {
        max_attempts,
        ..CheckPolicy::default()
    }
}

/// Sent, with no submit time from the provider.
pub(super) fn sent(n: u8) -> SendOutcome {
    SendOutcome::Sent {
        reference: reference(n),
        submitted_at: None,
    }
}

/// Sent, and accepted by the provider at `submitted_at`.
pub(super) fn sent_at(n: u8, submitted_at: DateTime<Utc>) -> SendOutcome {
    SendOutcome::Sent {
        reference: reference(n),
        submitted_at: Some(submitted_at),
    }
}

pub(super) fn wrong_code() -> CheckOutcome {
    answered(CheckVerdict::WrongCode, None)
}

pub(super) fn answered(verdict: CheckVerdict, reference: Option<ReferenceId>) -> CheckOutcome {
    CheckOutcome::Answered {
        verdict,
        status: VerificationStatus::Pending,
        reference,
    }
}

/// Reserves a check; panics unless it is reserved. Returns the target the store chose.
pub(super) async fn reserve_check(
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
pub(super) async fn send_in_flight(
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
    assert_eq!(
        reservation,
        Reservation::Reserved,
        "a send without limits is reserved"
    );
    send_id
}

/// The stored attempt with this id, from the trust validation's history.
pub(super) async fn stored(
    store: &dyn VerificationStore,
    tv: &str,
    attempt: AttemptId,
) -> AttemptRecord {
    all_history(store, &HistorySubject::TrustValidation(validation(tv)))
        .await
        .into_iter()
        .find(|record| record.id() == attempt)
        .expect("the attempt is stored")
}

pub(super) async fn stored_send(
    store: &dyn VerificationStore,
    tv: &str,
    attempt: AttemptId,
) -> SendRecord {
    match stored(store, tv, attempt).await {
        AttemptRecord::Send(send) => send,
        AttemptRecord::Check(check) => panic!("a send, got {check:?}"),
    }
}

pub(super) async fn stored_check(
    store: &dyn VerificationStore,
    tv: &str,
    attempt: AttemptId,
) -> CheckRecord {
    match stored(store, tv, attempt).await {
        AttemptRecord::Check(check) => check,
        AttemptRecord::Send(send) => panic!("a check, got {send:?}"),
    }
}

pub(super) async fn reserve(
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
pub(super) async fn record_send(
    store: &dyn VerificationStore,
    phone: &PhoneNumber,
    tv: &str,
    started_at: DateTime<Utc>,
    outcome: SendOutcome,
) -> AttemptId {
    let send_id = send_in_flight(store, phone, tv, started_at).await;
    store
        .finish_send(send_id, outcome, started_at + Duration::from_secs(1))
        .await
        .expect("the store records the outcome of a send");
    send_id
}

pub(super) async fn all_history(
    store: &dyn VerificationStore,
    subject: &HistorySubject,
) -> Vec<AttemptRecord> {
    store
        .history(subject, PageRequest::first(crate::MAX_PAGE_SIZE))
        .await
        .expect("the store lists a history")
        .items
}

/// The sends in the number's history, newest first.
pub(super) async fn sends_to(
    store: &dyn VerificationStore,
    phone: &PhoneNumber,
) -> Vec<SendRecord> {
    all_history(store, &HistorySubject::Number(phone.clone()))
        .await
        .into_iter()
        .filter_map(|record| match record {
            AttemptRecord::Send(send) => Some(send),
            AttemptRecord::Check(_) => None,
        })
        .collect()
}

pub(super) fn assert_conflict(
    result: Result<impl std::fmt::Debug, StoreError>,
    expected: ConflictKind,
) {
    match result {
        Err(StoreError::Conflict { kind }) => assert_eq!(kind, expected),
        other => panic!("expected a {expected:?} conflict, got {other:?}"),
    }
}
