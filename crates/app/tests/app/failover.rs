//! Routing and failover: a send moves on to the next provider only when the one before
//! provably sent nothing and the failure was the provider's; each attempt is its own record;
//! a check goes to the provider of the send it checks.

use std::sync::Arc;

use phone_verify_app::{
    AttemptRecord, NumberPrefix, Providers, Route, SendCodeError, SendOutcome, SendRecord,
};
use phone_verify_domain::{MockVerificationGateway, ProviderName};

use crate::support::*;

fn twilio() -> ProviderName {
    ProviderName::twilio()
}

/// IDMeta first, failing over to Twilio.
fn failing_over(
    idmeta: MockVerificationGateway,
    twilio_gateway: MockVerificationGateway,
) -> Harness {
    let providers = Providers::new(ProviderName::idmeta(), Arc::new(idmeta))
        .with(twilio(), Arc::new(twilio_gateway))
        .and_then(|providers| providers.failover_to(twilio()))
        .expect("known names");
    Harness::with_providers(providers)
}

/// A gateway whose one send fails with the gateway error named `class`.
fn failing_once(class: &'static str) -> MockVerificationGateway {
    let mut gateway = MockVerificationGateway::new();
    gateway
        .expect_send_code()
        .times(1)
        .returning(move |_| Err(gateway_error(class)));
    gateway
}

/// A gateway that is never called.
fn untouched() -> MockVerificationGateway {
    MockVerificationGateway::new()
}

async fn sends(harness: &Harness) -> Vec<SendRecord> {
    harness
        .recorded()
        .await
        .into_iter()
        .filter_map(|record| match record {
            AttemptRecord::Send(send) => Some(send),
            AttemptRecord::Check(_) => None,
        })
        .collect()
}

#[tokio::test]
async fn a_send_the_first_provider_provably_did_not_make_goes_to_the_next_and_its_check_follows() {
    for class in ["not_sent", "unavailable", "unauthorized"] {
        let mut second = accepting_gateway(1);
        second
            .expect_check_code()
            .times(1)
            .returning(|_| Ok(verified()));
        let harness = failing_over(failing_once(class), second);

        let sent = harness.send.send(&request()).await.expect("sent by twilio");
        assert_eq!(sent.provider, twilio(), "{class}");

        let recorded = sends(&harness).await;
        let [by_twilio, by_idmeta] = recorded.as_slice() else {
            panic!("both attempts are recorded, got {recorded:?}");
        };
        assert_eq!(by_idmeta.provider, ProviderName::idmeta(), "{class}");
        assert!(
            matches!(
                by_idmeta.outcome(),
                SendOutcome::NotSent { .. } | SendOutcome::Refused { .. }
            ),
            "{class}: {:?}",
            by_idmeta.outcome()
        );
        assert_eq!(by_twilio.provider, twilio(), "{class}");
        assert_eq!(by_twilio.id, sent.attempt, "{class}");
        assert!(
            matches!(by_twilio.outcome(), SendOutcome::Sent { .. }),
            "{class}"
        );

        let checked = harness.check.check(tv(), code()).await.expect("answered");
        assert!(checked.is_verified(), "{class}");
        assert_eq!(checked.send, sent.attempt, "{class}: checked at twilio");
    }
}

#[tokio::test]
async fn a_send_that_may_have_gone_out_or_that_the_request_failed_never_fails_over() {
    for class in [
        "outcome_unknown",
        "provider_fault_500",
        "provider_fault_503",
        "invalid_response",
        "rejected",
        "rate_limited",
    ] {
        let harness = failing_over(failing_once(class), untouched());

        let error = harness.send.send(&request()).await.expect_err("not sent");
        assert!(
            matches!(error, SendCodeError::Gateway(_)),
            "{class}: {error:?}"
        );
        let recorded = sends(&harness).await;
        assert_eq!(recorded.len(), 1, "{class}: one attempt");
        assert_eq!(recorded[0].provider, ProviderName::idmeta(), "{class}");
    }
}

#[tokio::test]
async fn a_send_the_guards_refuse_reaches_no_provider_whatever_the_failover() {
    let harness = failing_over(accepting_gateway(1), untouched());
    harness.send.send(&request()).await.expect("sent by idmeta");

    let error = harness.send.send(&request()).await.expect_err("cooldown");
    assert!(matches!(error, SendCodeError::Refused(_)), "{error:?}");
    assert_eq!(sends(&harness).await.len(), 1);
}

#[tokio::test]
async fn when_every_provider_provably_failed_the_last_failure_is_returned() {
    let harness = failing_over(failing_once("not_sent"), failing_once("unauthorized"));

    let error = harness.send.send(&request()).await.expect_err("not sent");
    assert!(
        matches!(
            error,
            SendCodeError::Gateway(phone_verify_domain::GatewayError::Unauthorized)
        ),
        "{error:?}"
    );
    assert!(!error.may_have_been_sent());
    let providers: Vec<ProviderName> = sends(&harness)
        .await
        .into_iter()
        .map(|s| s.provider)
        .collect();
    assert_eq!(providers, [twilio(), ProviderName::idmeta()]);
}

#[tokio::test]
async fn a_number_routed_to_a_provider_is_sent_and_checked_there() {
    let mut routed = accepting_gateway(1);
    routed
        .expect_check_code()
        .times(1)
        .returning(|_| Ok(wrong()));
    let providers = Providers::new(ProviderName::idmeta(), Arc::new(untouched()))
        .with(twilio(), Arc::new(routed))
        .and_then(|providers| {
            providers.route(
                Route::Prefix(NumberPrefix::parse("+60").expect("a prefix")),
                twilio(),
            )
        })
        .expect("known names");
    let harness = Harness::with_providers(providers);

    let sent = harness.send.send(&request()).await.expect("sent");
    assert_eq!(sent.provider, twilio());
    let checked = harness.check.check(tv(), code()).await.expect("answered");
    assert!(!checked.is_verified());
    assert_eq!(
        sends(&harness)
            .await
            .into_iter()
            .map(|s| s.provider)
            .collect::<Vec<_>>(),
        [twilio()]
    );
}
