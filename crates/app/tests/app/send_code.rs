use std::collections::BTreeSet;
use std::sync::Arc;

use phone_verify_app::{
    AttemptId, ErrorClass, FailingStore, InMemoryVerificationStore, NumberPrefix, RefusalReason,
    SendCodeError, SendLimits, SendOutcome, SendPolicy, SendRefusal, SendState, StoreError,
    StoreOperation as Op, StoredNumber,
};
use phone_verify_domain::{MockVerificationGateway, NumberKind, PhoneNumber, RegionCode};

use crate::support::{
    Harness, REFERENCE, accepting_gateway, failing_gateway, gateway_error, phone, receipt,
    reference, request, request_to, secs, t0,
};

#[tokio::test]
async fn a_sent_code_is_recorded_with_the_providers_reference() {
    let mut gateway = MockVerificationGateway::new();
    gateway
        .expect_send_code()
        .withf(|sent| *sent == request())
        .times(1)
        .returning(|_| Ok(receipt(reference(7))));
    let harness = Harness::new(gateway);

    let sent = harness
        .send
        .send(&request())
        .await
        .expect("the code is sent");

    assert_eq!(sent.receipt.reference, reference(7));
    assert_eq!(sent.attempt, AttemptId::from_u128(1));
    let send = harness.only_send().await;
    assert_eq!(send.id, sent.attempt);
    assert_eq!(send.number, StoredNumber::Clear(phone()));
    assert_eq!(send.started_at, t0());
    assert_eq!(
        send.state,
        SendState::Finished {
            at: t0(),
            outcome: SendOutcome::Sent {
                reference: reference(7),
                submitted_at: Some(t0()),
            },
        }
    );
}

/// Sends a request that a number guard of `policy` refuses; the provider must not be called.
async fn refused_by(policy: SendPolicy, phone: PhoneNumber) -> SendRefusal {
    let mut gateway = MockVerificationGateway::new();
    gateway.expect_send_code().never();
    let harness = Harness::with(gateway, Arc::new(InMemoryVerificationStore::new()), policy);
    let error = harness
        .send
        .send(&request_to(phone, "tv-1"))
        .await
        .expect_err("the send is refused");
    assert!(harness.recorded().await.is_empty(), "nothing is recorded");
    assert!(!error.may_have_been_sent());
    match error {
        SendCodeError::Refused(refusal) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_number_outside_the_allowed_countries_is_refused_without_calling_the_provider() {
    let policy = SendPolicy {
        allowed_regions: Some(BTreeSet::from([RegionCode::parse("GB").expect("a region")])),
        ..SendPolicy::default()
    };
    let refusal = refused_by(policy, phone()).await;
    assert_eq!(refusal, SendRefusal::CountryNotAllowed);
    assert_eq!(refusal.retry_at(), None);
}

#[tokio::test]
async fn a_number_with_a_denied_prefix_is_refused_without_calling_the_provider() {
    let policy = SendPolicy {
        denied_prefixes: vec![NumberPrefix::parse("+6018").expect("a prefix")],
        ..SendPolicy::default()
    };
    assert_eq!(refused_by(policy, phone()).await, SendRefusal::PrefixDenied);
}

#[tokio::test]
async fn a_premium_rate_number_is_refused_by_default() {
    let premium = PhoneNumber::parse("+44 909 876 5432").expect("a valid number");
    assert_eq!(premium.kind(), NumberKind::PremiumRate);
    assert_eq!(
        refused_by(SendPolicy::default(), premium).await,
        SendRefusal::NumberKindDenied {
            kind: NumberKind::PremiumRate
        }
    );
}

#[tokio::test]
async fn a_second_send_within_the_cooldown_is_refused_until_it_ends() {
    let harness = Harness::new(accepting_gateway(2));
    harness.send.send(&request()).await.expect("the first send");

    harness.clock.advance(secs(10));
    let error = harness
        .send
        .send(&request())
        .await
        .expect_err("the second send is refused");
    let SendCodeError::Refused(refusal) = error else {
        panic!("expected a refusal, got {error:?}");
    };
    assert_eq!(refusal.retry_at(), Some(t0() + secs(30)));

    harness.clock.advance(secs(20));
    harness
        .send
        .send(&request())
        .await
        .expect("the send passes once the cooldown is over");
}

#[tokio::test]
async fn a_sixth_send_to_a_number_within_an_hour_is_refused_until_the_first_ages_out() {
    let harness = Harness::new(accepting_gateway(6));
    for n in 0..5 {
        harness
            .send
            .send(&request_to(phone(), &format!("tv-{n}")))
            .await
            .expect("sends within the cap pass");
        harness.clock.advance(secs(60));
    }
    let error = harness
        .send
        .send(&request_to(phone(), "tv-5"))
        .await
        .expect_err("the sixth send is refused");
    assert!(
        matches!(
            &error,
            SendCodeError::Refused(SendRefusal::NumberLimitReached { limit: 5, retry_at, .. })
                if *retry_at == t0() + secs(3600)
        ),
        "{error:?}"
    );
    harness.clock.set(t0() + secs(3600));
    harness
        .send
        .send(&request_to(phone(), "tv-5"))
        .await
        .expect("the send passes once the first left the window");
}

#[tokio::test]
async fn a_trust_validation_gets_no_more_codes_than_its_cap() {
    let policy = SendPolicy {
        limits: SendLimits {
            max_per_trust_validation: 2,
            ..SendLimits::default()
        },
        ..SendPolicy::default()
    };
    let harness = Harness::with(
        accepting_gateway(2),
        Arc::new(InMemoryVerificationStore::new()),
        policy,
    );
    for _ in 0..2 {
        harness.send.send(&request()).await.expect("within the cap");
        harness.clock.advance(secs(60));
    }
    let error = harness.send.send(&request()).await.expect_err("refused");
    let SendCodeError::Refused(refusal) = error else {
        panic!("expected a refusal, got {error:?}");
    };
    assert_eq!(
        refusal,
        SendRefusal::TrustValidationLimitReached { limit: 2 }
    );
    assert_eq!(refusal.retry_at(), None, "waiting does not help");
}

#[tokio::test]
async fn each_gateway_error_is_recorded_with_what_it_means_for_the_sms() {
    let cases = [
        (
            "not_sent",
            SendOutcome::NotSent {
                class: ErrorClass::NotSent,
            },
            false,
        ),
        (
            "rejected",
            SendOutcome::Refused {
                reason: RefusalReason::InvalidRequest,
            },
            false,
        ),
        (
            "unauthorized",
            SendOutcome::Refused {
                reason: RefusalReason::Unauthorized,
            },
            false,
        ),
        (
            "rate_limited",
            SendOutcome::RateLimited {
                retry_after: Some(secs(30)),
            },
            false,
        ),
        (
            "outcome_unknown",
            SendOutcome::OutcomeUnknown {
                class: Some(ErrorClass::OutcomeUnknown),
            },
            true,
        ),
        (
            "provider_fault_500",
            SendOutcome::OutcomeUnknown {
                class: Some(ErrorClass::ProviderFault),
            },
            true,
        ),
        // A 503 of unknown origin may have been processed (a proxy's answer).
        (
            "provider_fault_503",
            SendOutcome::OutcomeUnknown {
                class: Some(ErrorClass::ProviderFault),
            },
            true,
        ),
        (
            "unavailable",
            SendOutcome::NotSent {
                class: ErrorClass::Unavailable,
            },
            false,
        ),
        (
            "invalid_response",
            SendOutcome::OutcomeUnknown {
                class: Some(ErrorClass::InvalidResponse),
            },
            true,
        ),
    ];
    for (class, recorded, may_have_been_sent) in cases {
        let harness = Harness::new(failing_gateway(class));

        let error = harness.send.send(&request()).await.expect_err(class);

        assert!(
            matches!(&error, SendCodeError::Gateway(_)),
            "{class}: {error:?}"
        );
        assert_eq!(error.may_have_been_sent(), may_have_been_sent, "{class}");
        let send = harness.only_send().await;
        assert_eq!(send.outcome(), recorded, "{class}");
        assert!(
            matches!(send.state, SendState::Finished { .. }),
            "{class}: the outcome is recorded"
        );
    }
}

#[tokio::test]
async fn a_send_that_delivered_nothing_does_not_start_a_cooldown() {
    let mut gateway = MockVerificationGateway::new();
    let mut calls = 0;
    gateway.expect_send_code().times(2).returning(move |_| {
        calls += 1;
        if calls == 1 {
            Err(gateway_error("not_sent"))
        } else {
            Ok(receipt(reference(2)))
        }
    });
    let harness = Harness::new(gateway);
    harness.send.send(&request()).await.expect_err("not sent");
    harness
        .send
        .send(&request())
        .await
        .expect("an immediate second try passes");
}

#[tokio::test]
async fn a_failed_first_write_keeps_the_provider_uncalled() {
    let mut gateway = MockVerificationGateway::new();
    gateway.expect_send_code().never();
    let store = Arc::new(FailingStore::failing(&[Op::ReserveSend]));
    let harness = Harness::with(gateway, store.clone(), SendPolicy::default());

    let error = harness
        .send
        .send(&request())
        .await
        .expect_err("not recorded");

    assert!(
        matches!(error, SendCodeError::Store(StoreError::Unavailable { .. })),
        "{error:?}"
    );
    assert!(!error.may_have_been_sent());
    store.recover();
    assert!(harness.recorded().await.is_empty());
}

#[tokio::test]
async fn a_failed_second_write_after_a_send_returns_the_reference_and_leaves_outcome_unknown() {
    let store = Arc::new(FailingStore::failing(&[Op::FinishSend]));
    let harness = Harness::with(accepting_gateway(1), store, SendPolicy::default());

    let error = harness
        .send
        .send(&request())
        .await
        .expect_err("not recorded");

    let SendCodeError::SentButNotRecorded {
        attempt,
        receipt,
        source,
    } = &error
    else {
        panic!("expected SentButNotRecorded, got {error:?}");
    };
    assert_eq!(receipt.reference.as_str(), REFERENCE);
    assert!(matches!(source, StoreError::Unavailable { .. }));
    assert!(error.may_have_been_sent());
    let send = harness.only_send().await;
    assert_eq!(send.id, *attempt);
    assert_eq!(send.state, SendState::InFlight);
    assert_eq!(send.outcome(), SendOutcome::OutcomeUnknown { class: None });
}

#[tokio::test]
async fn a_failed_second_write_after_a_failed_send_returns_the_gateway_error() {
    let mut gateway = MockVerificationGateway::new();
    gateway
        .expect_send_code()
        .times(1)
        .returning(|_| Err(gateway_error("outcome_unknown")));
    let store = Arc::new(FailingStore::failing(&[Op::FinishSend]));
    let harness = Harness::with(gateway, store, SendPolicy::default());

    let error = harness.send.send(&request()).await.expect_err("failed");

    let SendCodeError::FailedAndNotRecorded { gateway, .. } = &error else {
        panic!("expected FailedAndNotRecorded, got {error:?}");
    };
    assert_eq!(gateway.class(), ErrorClass::OutcomeUnknown);
    assert!(error.may_have_been_sent());
    assert_eq!(
        harness.only_send().await.outcome(),
        SendOutcome::OutcomeUnknown { class: None }
    );
}

#[test]
fn fifty_concurrent_sends_to_one_number_reach_the_provider_once() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let harness = Harness::new(accepting_gateway(1));
        let tasks: Vec<_> = (0..50)
            .map(|n| {
                let send = harness.send.clone();
                tokio::spawn(
                    async move { send.send(&request_to(phone(), &format!("tv-{n}"))).await },
                )
            })
            .collect();
        let mut sent = 0;
        for task in tasks {
            match task.await.expect("the task completes") {
                Ok(_) => sent += 1,
                Err(SendCodeError::Refused(SendRefusal::CoolingDown { retry_at })) => {
                    assert_eq!(retry_at, t0() + secs(30));
                }
                Err(other) => panic!("unexpected error {other:?}"),
            }
        }
        assert_eq!(sent, 1);
    });
}
