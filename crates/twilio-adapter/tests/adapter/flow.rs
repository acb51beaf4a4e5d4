//! What the gateway contract (`contract.rs`) leaves to this adapter's flow against the
//! simulator's Twilio routes: a Verify Service the account does not have.

use phone_verify_domain::{GatewayError, RejectionKind, VerificationGateway};

use crate::support::{TO, send_request, simulator};

#[tokio::test]
async fn an_unknown_service_is_a_not_found_rejection_and_sends_nothing() {
    let sim = simulator().await;
    let other_service = crate::support::builder(&sim.base_url())
        .service_sid("VA11111111111111111111111111111111")
        .build()
        .expect("valid");
    let error = other_service
        .send_code(&send_request(TO))
        .await
        .expect_err("404");
    assert!(
        matches!(
            error,
            GatewayError::Rejected {
                kind: RejectionKind::NotFound,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.may_have_been_sent());
    assert_eq!(sim.counters().codes_sent, 0);
}
