//! The one-line `Display` of the records, for operators: what happened, and the number only
//! masked, whichever way the record keeps it.

use std::time::Duration;

use phone_verify_app::{
    AttemptId, AttemptRecord, CheckOutcome, CheckRecord, CheckState, ErrorClass, NumberProtection,
    RefusalReason, SendOutcome, SendRecord, SendState, StoredNumber,
};
use phone_verify_domain::{CheckVerdict, ProviderName, VerificationStatus};

use crate::support::{FULL_NUMBER, NATIONAL_NUMBER, keyring, phone, reference, secs, t0, tv};

const MASKED: &str = "+60*****8491";

fn send(number: StoredNumber, state: SendState) -> SendRecord {
    SendRecord {
        id: AttemptId::from_u128(1),
        number,
        trust_validation: tv(),
        provider: ProviderName::idmeta(),
        channel: phone_verify_domain::Channel::Sms,
        started_at: t0(),
        state,
    }
}

fn check(number: StoredNumber, state: CheckState) -> CheckRecord {
    CheckRecord {
        id: AttemptId::from_u128(2),
        send: AttemptId::from_u128(1),
        number,
        trust_validation: tv(),
        reference: Some(reference(1)),
        started_at: t0() + secs(60),
        state,
    }
}

fn sent(outcome: SendOutcome) -> SendState {
    SendState::Finished {
        at: t0() + secs(2),
        outcome,
    }
}

fn checked(outcome: CheckOutcome) -> CheckState {
    CheckState::Finished {
        at: t0() + secs(61),
        outcome,
    }
}

/// A send of every outcome, over `number`.
fn every_send(number: &StoredNumber) -> Vec<AttemptRecord> {
    let states = [
        SendState::InFlight,
        sent(SendOutcome::Sent {
            reference: reference(1),
            submitted_at: Some(t0()),
        }),
        sent(SendOutcome::Refused {
            reason: RefusalReason::InvalidRequest,
        }),
        sent(SendOutcome::RateLimited {
            retry_after: Some(secs(30)),
        }),
        sent(SendOutcome::NotSent {
            class: ErrorClass::NotSent,
        }),
        sent(SendOutcome::OutcomeUnknown {
            class: Some(ErrorClass::ProviderFault),
        }),
    ];
    states
        .into_iter()
        .map(|state| AttemptRecord::Send(send(number.clone(), state)))
        .collect()
}

/// A check of every kind of outcome, over `number`.
fn every_check(number: &StoredNumber) -> Vec<AttemptRecord> {
    let states = [
        CheckState::InFlight,
        checked(CheckOutcome::Answered {
            verdict: CheckVerdict::Verified,
            status: VerificationStatus::Verified,
            reference: Some(reference(1)),
        }),
        checked(CheckOutcome::NoPendingCode),
        checked(CheckOutcome::NotChecked {
            class: ErrorClass::Unavailable,
        }),
        checked(CheckOutcome::OutcomeUnknown {
            class: Some(ErrorClass::Abandoned),
        }),
    ];
    states
        .into_iter()
        .map(|state| AttemptRecord::Check(check(number.clone(), state)))
        .collect()
}

/// The lines of `records`.
fn lines(records: Vec<AttemptRecord>) -> Vec<String> {
    records.iter().map(ToString::to_string).collect()
}

#[test]
fn a_record_shows_the_masked_number_never_the_number_in_clear() {
    let kept = [
        StoredNumber::Clear(phone()),
        NumberProtection::keyed(keyring()).at_rest(&phone()),
    ];
    for number in &kept {
        for line in lines([every_send(number), every_check(number)].concat()) {
            assert!(!line.contains(NATIONAL_NUMBER), "{line}");
            assert!(!line.contains(FULL_NUMBER), "{line}");
            assert!(line.contains(MASKED), "{line}");
            assert!(!line.contains('\n'), "one line: {line}");
        }
    }
}

#[test]
fn a_send_says_which_attempt_went_where_and_what_came_of_it() {
    let lines = lines(every_send(&StoredNumber::Clear(phone())));
    let prefix = "send 00000000-0000-0000-0000-000000000001 to +60*****8491 via idmeta for tv-1";
    let at = "at 2026-05-14T10:00:00Z";
    assert_eq!(
        lines,
        [
            format!("{prefix}: outcome unknown (in flight) {at}"),
            format!("{prefix}: sent (reference 0123456789ABCDEF0123456789ABCD01) {at}"),
            format!("{prefix}: refused (invalid_request) {at}"),
            format!("{prefix}: rate limited (retry after 30s) {at}"),
            format!("{prefix}: not sent (not_sent) {at}"),
            format!("{prefix}: outcome unknown (provider_fault) {at}"),
        ]
    );
}

#[test]
fn a_check_says_which_send_it_checked_and_how_it_ended() {
    let lines = lines(every_check(&StoredNumber::Clear(phone())));
    let prefix = "check 00000000-0000-0000-0000-000000000002 of send \
                  00000000-0000-0000-0000-000000000001 to +60*****8491 for tv-1";
    let at = "at 2026-05-14T10:01:00Z";
    assert_eq!(
        lines,
        [
            format!("{prefix}: outcome unknown (in flight) {at}"),
            format!("{prefix}: verified (reference 0123456789ABCDEF0123456789ABCD01) {at}"),
            format!("{prefix}: no pending code {at}"),
            format!("{prefix}: not checked (unavailable) {at}"),
            format!("{prefix}: outcome unknown (abandoned) {at}"),
        ]
    );
}

#[test]
fn a_wait_and_a_start_show_their_fractions_of_a_second() {
    let mut record = send(
        StoredNumber::Clear(phone()),
        sent(SendOutcome::RateLimited {
            retry_after: Some(Duration::from_millis(1500)),
        }),
    );
    record.started_at = t0() + Duration::from_millis(250);
    let line = record.to_string();
    assert!(
        line.ends_with("rate limited (retry after 1.5s) at 2026-05-14T10:00:00.250Z"),
        "{line}"
    );
}
