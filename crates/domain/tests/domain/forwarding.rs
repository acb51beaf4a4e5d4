//! An `Arc` or a `Box` of a gateway is a gateway that forwards every method, the provided
//! ones (`rules`, `cancel_code`) too.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use phone_verify_domain::{
    CancelCodeRequest, CheckCodeRequest, CheckResult, CheckVerdict, DateTime, GatewayError,
    OtpCode, PhoneNumber, ProviderRules, ReferenceId, SendCodeRequest, SendReceipt,
    TrustValidationId, Utc, VerificationGateway,
};

use crate::support::block_on;

/// A gateway whose every provided method differs from the default: one code per number, and
/// a cancel that works.
#[derive(Debug)]
struct PerNumberGateway;

const LIFETIME: Duration = Duration::from_secs(600);

fn at() -> DateTime<Utc> {
    "2026-05-14T10:00:00Z".parse().expect("a valid instant")
}

fn reference() -> ReferenceId {
    ReferenceId::parse("ref-1").expect("a valid reference")
}

#[async_trait]
impl VerificationGateway for PerNumberGateway {
    async fn send_code(&self, _request: &SendCodeRequest) -> Result<SendReceipt, GatewayError> {
        Ok(SendReceipt::accepted(reference(), at()))
    }

    async fn check_code(&self, _request: &CheckCodeRequest) -> Result<CheckResult, GatewayError> {
        Ok(CheckResult::verified(at()))
    }

    async fn cancel_code(&self, _request: &CancelCodeRequest) -> Result<(), GatewayError> {
        Ok(())
    }

    fn rules(&self) -> ProviderRules {
        ProviderRules::per_number(LIFETIME)
    }
}

/// What a caller of `gateway` observes of each of its methods.
#[derive(Debug, PartialEq)]
struct Observed {
    rules: ProviderRules,
    cancelled: bool,
    sent: SendReceipt,
    verdict: CheckVerdict,
}

fn observe(gateway: &impl VerificationGateway) -> Observed {
    let trust_validation = TrustValidationId::parse("tv-1").expect("a valid id");
    let send = SendCodeRequest::new(
        PhoneNumber::parse("+60182258491").expect("a valid number"),
        trust_validation.clone(),
    );
    let check = CheckCodeRequest {
        code: OtpCode::parse("918273").expect("a valid code"),
        trust_validation,
        reference: None,
        phone: None,
    };
    let cancel = CancelCodeRequest {
        reference: reference(),
        phone: None,
    };
    Observed {
        rules: gateway.rules(),
        cancelled: block_on(gateway.cancel_code(&cancel)).is_ok(),
        sent: block_on(gateway.send_code(&send)).expect("accepted"),
        verdict: block_on(gateway.check_code(&check))
            .expect("an answer")
            .verdict(),
    }
}

#[test]
fn a_wrapped_gateway_keeps_its_rules_its_cancel_and_its_answers() {
    let expected = observe(&PerNumberGateway);
    assert_eq!(
        expected,
        Observed {
            rules: ProviderRules::per_number(LIFETIME),
            cancelled: true,
            sent: SendReceipt::accepted(reference(), at()),
            verdict: CheckVerdict::Verified,
        },
        "the gateway itself"
    );
    assert_eq!(observe(&Arc::new(PerNumberGateway)), expected, "in an Arc");
    assert_eq!(observe(&Box::new(PerNumberGateway)), expected, "in a Box");
    let shared: Arc<dyn VerificationGateway> = Arc::new(PerNumberGateway);
    assert_eq!(
        observe(&shared),
        expected,
        "as Arc<dyn VerificationGateway>"
    );
    let boxed: Box<dyn VerificationGateway> = Box::new(Arc::clone(&shared));
    assert_eq!(observe(&boxed), expected, "a Box of an Arc, as Box<dyn …>");
    assert_eq!(observe(&Arc::new(shared)), expected, "an Arc of an Arc");
}
