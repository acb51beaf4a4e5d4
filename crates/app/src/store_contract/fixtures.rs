//! Values and steps the cases share.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use phone_verify_domain::{
    CheckVerdict, PhoneNumber, ProviderName, ReferenceId, TrustValidationId, VerificationStatus,
};

use crate::{
    AttemptId, AttemptRecord, CheckOutcome, CheckPolicy, CheckRecord, CheckReservation,
    CheckTarget, ConflictKind, HistorySubject, NewCheck, NewSend, NumberKey, NumberKeyId,
    NumberKeyring, NumberProtection, PageRequest, Reservation, SendLimits, SendOutcome, SendRecord,
    SendRefusal, StoreError, StoredNumber, VerificationStore,
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
        country_budgets: crate::CountryBudgets::default(),
        number_ranges: None,
        conversion: None,
        clients: None,
    }
}

/// A send to `phone`, kept in clear.
pub(super) fn new_send(
    id: AttemptId,
    phone: &PhoneNumber,
    tv: &str,
    started_at: DateTime<Utc>,
) -> NewSend {
    new_send_kept(&NumberProtection::Clear, id, phone, tv, started_at)
}

/// A send to `phone`, kept and looked up as `numbers` says: what a use case hands a store
/// whose [`VerificationStore::numbers`] is `numbers`.
pub(super) fn new_send_kept(
    numbers: &NumberProtection,
    id: AttemptId,
    phone: &PhoneNumber,
    tv: &str,
    started_at: DateTime<Utc>,
) -> NewSend {
    NewSend {
        id,
        number: numbers.at_rest(phone),
        lookup: numbers.lookup(phone),
        trust_validation: validation(tv),
        provider: ProviderName::idmeta(),
        channel: phone_verify_domain::Channel::Sms,
        range: None,
        prefix: None,
        client: None,
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

/// Records a check of the trust validation `tv` that verified its code: reserved at
/// `reserved_at`, answered at `answered_at`, the answer naming `reference` or none. What the
/// conversion breaker and `stats` count as verified.
pub(super) async fn record_verified_check(
    store: &dyn VerificationStore,
    tv: &str,
    reference: Option<ReferenceId>,
    reserved_at: DateTime<Utc>,
    answered_at: DateTime<Utc>,
) {
    let check = id();
    reserve_check(store, check, tv, reserved_at).await;
    store
        .finish_check(
            check,
            answered(CheckVerdict::Verified, reference),
            answered_at,
        )
        .await
        .expect("the check is recorded");
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
    send_kept_in_flight(store, &NumberProtection::Clear, phone, tv, started_at).await
}

/// [`send_in_flight`], the number kept as `numbers` says.
pub(super) async fn send_kept_in_flight(
    store: &dyn VerificationStore,
    numbers: &NumberProtection,
    phone: &PhoneNumber,
    tv: &str,
    started_at: DateTime<Utc>,
) -> AttemptId {
    let send_id = id();
    let reservation = reserve(
        store,
        new_send_kept(numbers, send_id, phone, tv, started_at),
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
    record_send_kept(
        store,
        &NumberProtection::Clear,
        phone,
        tv,
        started_at,
        outcome,
    )
    .await
}

/// [`record_send`], the number kept as `numbers` says.
pub(super) async fn record_send_kept(
    store: &dyn VerificationStore,
    numbers: &NumberProtection,
    phone: &PhoneNumber,
    tv: &str,
    started_at: DateTime<Utc>,
    outcome: SendOutcome,
) -> AttemptId {
    let send_id = send_kept_in_flight(store, numbers, phone, tv, started_at).await;
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

/// The history subject of a number kept in clear.
pub(super) fn of_number(phone: &PhoneNumber) -> HistorySubject {
    HistorySubject::Number(NumberProtection::Clear.lookup(phone))
}

/// Numbers protected by a keyring of these keys (id, the byte the 32-byte key repeats), the
/// first the current one.
pub(super) fn keyed(keys: &[(&str, u8)]) -> NumberProtection {
    let mut keys = keys.iter().map(|(id, byte)| {
        NumberKey::new(
            NumberKeyId::parse(id).expect("a key id"),
            vec![*byte; 32].into(),
        )
        .expect("a key")
    });
    let mut keyring = NumberKeyring::new(keys.next().expect("a current key"));
    for key in keys {
        keyring = keyring.with_retired(key).expect("distinct key ids");
    }
    NumberProtection::keyed(keyring)
}

/// The history subject of a number, found as `numbers` finds it.
pub(super) fn of_number_kept(numbers: &NumberProtection, phone: &PhoneNumber) -> HistorySubject {
    HistorySubject::Number(numbers.lookup(phone))
}

/// `phone` as a store keeping numbers in clear keeps it.
pub(super) fn in_clear(phone: &PhoneNumber) -> StoredNumber {
    StoredNumber::Clear(phone.clone())
}

/// The sends in the number's history, newest first.
pub(super) async fn sends_to(
    store: &dyn VerificationStore,
    phone: &PhoneNumber,
) -> Vec<SendRecord> {
    all_history(store, &of_number(phone))
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
