use std::sync::Arc;

use phone_verify_app::{
    AttemptId, AttemptRecord, CheckCodeError, CheckOutcome, CheckRefusal, ErrorClass, FailingStore,
    NewSend, NumberLookup, Reservation, SendLimits, SendPolicy, StoreError, StoreOperation as Op,
    StoredNumber,
};
use phone_verify_domain::{
    CheckResult, CheckVerdict, CodeState, GatewayError, MockVerificationGateway, PhoneNumber,
    ReferenceId, RejectionKind, VerificationStatus,
};

use crate::support::{
    CODE, Harness, REFERENCE, code, gateway_error, phone, receipt, reference, request, secs, t0,
    tv, verified, wrong,
};

/// A gateway that accepts one send (reference `REFERENCE`) and answers checks with `answer`,
/// `times` times.
fn gateway_answering(
    times: usize,
    answer: impl Fn() -> Result<CheckResult, GatewayError> + Send + 'static,
) -> MockVerificationGateway {
    let mut gateway = crate::support::accepting_gateway(1);
    gateway
        .expect_check_code()
        .times(times)
        .returning(move |_| answer());
    gateway
}

fn reference_of_send() -> ReferenceId {
    ReferenceId::parse(REFERENCE).expect("a valid ref")
}

/// What [`CheckCodeError::may_have_been_sent`] says of a no-pending-code answer.
fn error_may_have_been_sent(attempt: AttemptId) -> bool {
    CheckCodeError::NoPendingCode { attempt }.may_have_been_sent()
}

async fn sent(harness: &Harness) {
    harness
        .send
        .send(&request())
        .await
        .expect("the code is sent");
}

#[tokio::test]
async fn the_right_code_verifies_and_the_check_is_recorded_without_the_code() {
    let mut gateway = crate::support::accepting_gateway(1);
    gateway
        .expect_check_code()
        .withf(|asked| {
            asked.code.expose() == CODE
                && asked.trust_validation == tv()
                && asked.reference.as_ref().map(|r| r.as_str()) == Some(REFERENCE)
                && asked.phone == Some(phone())
        })
        .times(1)
        .returning(|_| Ok(verified()));
    let harness = Harness::new(gateway);
    sent(&harness).await;
    harness.clock.advance(secs(40));

    let checked = harness.check.check(tv(), code()).await.expect("answered");

    assert!(checked.is_verified());
    assert_eq!(checked.verdict(), CheckVerdict::Verified);
    assert_eq!(
        harness.check_outcomes().await,
        [CheckOutcome::Answered {
            verdict: CheckVerdict::Verified,
            status: VerificationStatus::Verified,
            reference: Some(reference_of_send()),
        }]
    );
    let stored = format!("{:?}", harness.recorded().await);
    assert!(!stored.contains(CODE), "the code is not stored: {stored}");
}

#[tokio::test]
async fn a_wrong_code_is_an_answer_not_an_error() {
    let harness = Harness::new(gateway_answering(1, || Ok(wrong())));
    sent(&harness).await;

    let checked = harness.check.check(tv(), code()).await.expect("answered");

    assert_eq!(checked.verdict(), CheckVerdict::WrongCode);
    assert!(!checked.is_verified());
    assert_eq!(
        harness.check_outcomes().await,
        [CheckOutcome::Answered {
            verdict: CheckVerdict::WrongCode,
            status: VerificationStatus::Pending,
            reference: Some(reference_of_send()),
        }]
    );
}

#[tokio::test]
async fn a_check_without_a_send_is_refused_without_calling_the_provider() {
    let mut gateway = MockVerificationGateway::new();
    gateway.expect_check_code().never();
    let harness = Harness::new(gateway);

    let error = harness
        .check
        .check(tv(), code())
        .await
        .expect_err("no send");

    assert!(
        matches!(error, CheckCodeError::Refused(CheckRefusal::NoCodeSent)),
        "{error:?}"
    );
    assert!(!error.may_have_been_sent());
}

#[tokio::test]
async fn a_code_past_its_lifetime_is_refused_without_calling_the_provider() {
    let harness = Harness::new(gateway_answering(1, || Ok(wrong())));
    sent(&harness).await;

    harness.clock.set(t0() + secs(299));
    harness
        .check
        .check(tv(), code())
        .await
        .expect("a second before expiry the provider is asked");

    harness.clock.set(t0() + secs(300));
    let error = harness
        .check
        .check(tv(), code())
        .await
        .expect_err("expired");
    let CheckCodeError::Refused(CheckRefusal::CodeExpired { expired_at }) = error else {
        panic!("expected an expired code, got {error:?}");
    };
    assert_eq!(expired_at, t0() + secs(300));
    assert_eq!(
        harness.check_outcomes().await.len(),
        1,
        "nothing more recorded"
    );
}

#[tokio::test]
async fn the_sixth_check_of_a_code_is_refused_without_calling_the_provider() {
    let harness = Harness::new(gateway_answering(5, || Ok(wrong())));
    sent(&harness).await;
    for _ in 0..5 {
        harness.check.check(tv(), code()).await.expect("answered");
    }

    let error = harness
        .check
        .check(tv(), code())
        .await
        .expect_err("refused");

    assert!(
        matches!(
            error,
            CheckCodeError::Refused(CheckRefusal::TooManyAttempts { limit: 5 })
        ),
        "{error:?}"
    );
    assert_eq!(harness.check_outcomes().await.len(), 5);
}

#[tokio::test]
async fn checks_that_never_reached_the_provider_do_not_use_up_attempts() {
    let harness = Harness::new(gateway_answering(6, || Err(gateway_error("not_sent"))));
    sent(&harness).await;
    for _ in 0..6 {
        let error = harness
            .check
            .check(tv(), code())
            .await
            .expect_err("not sent");
        assert!(matches!(error, CheckCodeError::Gateway(_)), "{error:?}");
        assert!(
            !error.may_have_been_sent(),
            "a check that never left was not counted"
        );
    }
    assert_eq!(
        harness.check_outcomes().await[0],
        CheckOutcome::NotChecked {
            class: ErrorClass::NotSent
        }
    );
}

#[tokio::test]
async fn a_check_with_an_unknown_outcome_is_recorded_and_counts_as_an_attempt() {
    let harness = Harness::new(gateway_answering(5, || {
        Err(gateway_error("outcome_unknown"))
    }));
    sent(&harness).await;
    for _ in 0..5 {
        harness
            .check
            .check(tv(), code())
            .await
            .expect_err("unknown");
    }
    let error = harness
        .check
        .check(tv(), code())
        .await
        .expect_err("refused");
    assert!(matches!(error, CheckCodeError::Refused(_)), "{error:?}");
    assert_eq!(
        harness.check_outcomes().await[0],
        CheckOutcome::OutcomeUnknown {
            class: Some(ErrorClass::OutcomeUnknown)
        }
    );
}

#[tokio::test]
async fn an_expired_answer_from_the_provider_is_reported_as_such() {
    let harness = Harness::new(gateway_answering(1, || {
        Ok(crate::support::check_result(
            CodeState::Expired,
            VerificationStatus::Rejected,
        ))
    }));
    sent(&harness).await;
    let checked = harness.check.check(tv(), code()).await.expect("answered");
    assert_eq!(checked.verdict(), CheckVerdict::Expired);
}

#[tokio::test]
async fn a_check_after_a_later_send_applies_to_the_later_send() {
    let mut gateway = MockVerificationGateway::new();
    let mut sends = 0;
    gateway.expect_send_code().times(2).returning(move |_| {
        sends += 1;
        Ok(receipt(reference(sends)))
    });
    gateway
        .expect_check_code()
        .withf(|asked| asked.reference == Some(reference(2)))
        .times(1)
        .returning(|_| Ok(verified()));
    let harness = Harness::new(gateway);
    sent(&harness).await;
    harness.clock.advance(secs(60));
    sent(&harness).await;

    let checked = harness.check.check(tv(), code()).await.expect("answered");

    assert!(checked.is_verified());
}

#[tokio::test]
async fn a_check_while_a_newer_send_is_in_flight_names_neither_reference_nor_number() {
    let mut gateway = crate::support::accepting_gateway(1);
    gateway
        .expect_check_code()
        .withf(|asked| asked.reference.is_none() && asked.phone.is_none())
        .times(1)
        .returning(|_| Ok(verified()));
    let harness = Harness::new(gateway);
    sent(&harness).await;
    // A second send, to a corrected number, whose provider call has not returned yet.
    harness.clock.advance(secs(40));
    let newer = AttemptId::from_u128(99);
    let corrected = PhoneNumber::parse("+60 12-345 6789").expect("a valid number");
    let reserved = harness
        .store
        .reserve_send(
            NewSend {
                id: newer,
                number: StoredNumber::Clear(corrected.clone()),
                lookup: NumberLookup::Clear(corrected),
                trust_validation: tv(),
                provider: phone_verify_domain::ProviderName::idmeta(),
                channel: phone_verify_domain::Channel::Sms,
                range: None,
                prefix: None,
                client: None,
                started_at: t0() + secs(40),
            },
            &SendLimits::default(),
        )
        .await
        .expect("reserve");
    assert_eq!(reserved, Reservation::Reserved);

    let checked = harness.check.check(tv(), code()).await.expect("answered");

    assert!(checked.is_verified());
    assert_ne!(
        checked.send, newer,
        "the provider checked the first send's code"
    );
    let recorded = harness.recorded().await;
    let first = recorded
        .iter()
        .find(|record| {
            record.reference() == Some(&reference_of_send()) && record.id() != checked.attempt
        })
        .map(AttemptRecord::id)
        .expect("the first send");
    let Some(AttemptRecord::Check(check)) = recorded
        .iter()
        .find(|record| record.id() == checked.attempt)
    else {
        panic!("the check is recorded: {recorded:?}");
    };
    assert_eq!(
        (check.send, check.reference.clone()),
        (first, Some(reference_of_send())),
        "moved to the send whose reference the provider answered with"
    );
    assert_eq!(checked.send, first, "and the caller is told which");
}

#[tokio::test]
async fn a_404_on_check_means_no_pending_code_and_uses_up_no_attempt() {
    let harness = Harness::new(gateway_answering(2, || {
        Err(GatewayError::Rejected {
            kind: RejectionKind::NotFound,
            status: 404,
            message: Some("Verification not found".into()),
            field_errors: Default::default(),
        })
    }));
    sent(&harness).await;

    let error = harness
        .check
        .check(tv(), code())
        .await
        .expect_err("no code");

    let CheckCodeError::NoPendingCode { attempt } = error else {
        panic!("expected no pending code, got {error:?}");
    };
    assert!(!error_may_have_been_sent(attempt));
    assert_eq!(
        harness.check_outcomes().await,
        [CheckOutcome::NoPendingCode]
    );
    let again = harness
        .check
        .check(tv(), code())
        .await
        .expect_err("no code");
    assert!(matches!(again, CheckCodeError::NoPendingCode { .. }));
}

#[tokio::test]
async fn a_failed_first_write_of_a_check_keeps_the_provider_uncalled() {
    let store = Arc::new(FailingStore::failing(&[Op::ReserveCheck]));
    let harness = Harness::with(
        gateway_answering(0, || Ok(verified())),
        store,
        SendPolicy::default(),
    );
    sent(&harness).await;

    let error = harness.check.check(tv(), code()).await.expect_err("failed");

    assert!(
        matches!(error, CheckCodeError::Store(StoreError::Unavailable { .. })),
        "{error:?}"
    );
    assert!(harness.check_outcomes().await.is_empty());
}

#[tokio::test]
async fn a_failed_second_write_after_an_answer_returns_the_answer_and_leaves_outcome_unknown() {
    let store = Arc::new(FailingStore::failing(&[Op::FinishCheck]));
    let harness = Harness::with(
        gateway_answering(1, || Ok(verified())),
        store,
        SendPolicy::default(),
    );
    sent(&harness).await;

    let error = harness.check.check(tv(), code()).await.expect_err("failed");

    let CheckCodeError::CheckedButNotRecorded { result, source, .. } = &error else {
        panic!("expected CheckedButNotRecorded, got {error:?}");
    };
    assert!(result.is_verified(), "the answer is not lost");
    assert!(
        error.may_have_been_sent(),
        "the provider did count this check"
    );
    assert!(matches!(source, StoreError::Unavailable { .. }));
    assert_eq!(
        harness.check_outcomes().await,
        [CheckOutcome::OutcomeUnknown { class: None }]
    );
}

#[tokio::test]
async fn a_failed_second_write_after_a_failed_check_returns_the_gateway_error() {
    let store = Arc::new(FailingStore::failing(&[Op::FinishCheck]));
    let harness = Harness::with(
        gateway_answering(1, || Err(gateway_error("provider_fault_500"))),
        store,
        SendPolicy::default(),
    );
    sent(&harness).await;

    let error = harness.check.check(tv(), code()).await.expect_err("failed");

    let CheckCodeError::FailedAndNotRecorded { gateway, .. } = &error else {
        panic!("expected FailedAndNotRecorded, got {error:?}");
    };
    assert_eq!(gateway.class(), ErrorClass::ProviderFault);
    assert!(
        error.may_have_been_sent(),
        "a 500 may have counted the attempt"
    );
}
