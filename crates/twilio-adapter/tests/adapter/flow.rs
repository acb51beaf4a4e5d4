//! Send and check against the simulator's Twilio routes: every answer a check can get maps
//! onto the port's meanings.

use phone_verify_domain::{
    CheckVerdict, GatewayError, RejectionKind, SendReceipt, VerificationGateway, VerificationStatus,
};
use phone_verify_sim::Simulator;
use twilio_verify_adapter::TwilioClient;

use crate::support::{TO, check_request, client, send_request, simulator, wrong};

async fn sent(sim: &Simulator) -> (TwilioClient, SendReceipt, String) {
    let gateway = client(sim);
    let receipt = gateway.send_code(&send_request(TO)).await.expect("sent");
    let code = sim.last_code_for(TO).expect("delivered");
    (gateway, receipt, code)
}

#[tokio::test]
async fn a_sent_code_checks_as_verified_by_its_reference_then_no_code_is_pending() {
    let sim = simulator().await;
    let (gateway, receipt, code) = sent(&sim).await;
    assert!(receipt.reference.as_str().starts_with("VE"));
    assert_eq!(receipt.verification_status, VerificationStatus::Pending);
    assert_eq!(
        receipt.submitted_at.to_rfc3339(),
        "2026-05-14T10:00:00+00:00"
    );
    let request = check_request(&code, Some(&receipt.reference));
    let result = gateway.check_code(&request).await.expect("checked");
    assert_eq!(result.verdict(), CheckVerdict::Verified);
    assert_eq!(result.reference, Some(receipt.reference.clone()));
    // Approved verifications are deleted: the app reads this as "no pending code".
    let error = gateway.check_code(&request).await.expect_err("deleted");
    assert!(
        matches!(
            error,
            GatewayError::Rejected {
                kind: RejectionKind::NotFound,
                status: 404,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.may_have_been_sent());
}

#[tokio::test]
async fn a_resend_while_pending_gives_the_same_reference_and_the_code_still_works() {
    let sim = simulator().await;
    let (gateway, first, code) = sent(&sim).await;
    let again = gateway.send_code(&send_request(TO)).await.expect("re-sent");
    assert_eq!(again.reference, first.reference);
    assert_eq!(sim.counters().twilio_codes_sent, 2);
    let result = gateway
        .check_code(&check_request(&code, None))
        .await
        .expect("checked by number");
    assert!(result.is_verified());
}

#[tokio::test]
async fn wrong_codes_are_answers_until_the_sixth_check_which_is_too_many_attempts() {
    let sim = simulator().await;
    let (gateway, receipt, code) = sent(&sim).await;
    let request = check_request(wrong(&code), Some(&receipt.reference));
    // Twilio refuses with 60202 after more than 5 checks of one verification.
    for _ in 0..5 {
        let result = gateway.check_code(&request).await.expect("an answer");
        assert_eq!(result.verdict(), CheckVerdict::WrongCode);
    }
    let result = gateway
        .check_code(&request)
        .await
        .expect("an answer, not an error");
    assert_eq!(result.verdict(), CheckVerdict::TooManyAttempts);
    assert_eq!(result.reference, Some(receipt.reference.clone()));
    let error = gateway
        .check_code(&check_request(&code, Some(&receipt.reference)))
        .await
        .expect_err("exhausted and deleted");
    assert!(matches!(
        error,
        GatewayError::Rejected {
            kind: RejectionKind::NotFound,
            ..
        }
    ));
}

#[tokio::test]
async fn an_expired_code_has_no_pending_verification() {
    let sim = simulator().await;
    let (gateway, receipt, code) = sent(&sim).await;
    sim.clock().advance(std::time::Duration::from_secs(600));
    let error = gateway
        .check_code(&check_request(&code, Some(&receipt.reference)))
        .await
        .expect_err("expired and deleted");
    assert!(matches!(
        error,
        GatewayError::Rejected {
            kind: RejectionKind::NotFound,
            ..
        }
    ));
}

#[tokio::test]
async fn the_sixth_send_in_ten_minutes_is_rate_limited_and_sends_nothing() {
    let sim = simulator().await;
    let gateway = client(&sim);
    for _ in 0..5 {
        gateway
            .send_code(&send_request(TO))
            .await
            .expect("within the limit");
    }
    let error = gateway
        .send_code(&send_request(TO))
        .await
        .expect_err("60203");
    assert!(
        matches!(error, GatewayError::RateLimited { .. }),
        "{error:?}"
    );
    assert!(!error.may_have_been_sent());
    assert_eq!(sim.counters().twilio_codes_sent, 5);
}

#[tokio::test]
async fn wrong_credentials_and_an_unknown_service_send_nothing() {
    let sim = simulator().await;
    let wrong_token = crate::support::builder(&sim.base_url())
        .account_credentials(
            twilio_verify_adapter::SecretString::from(phone_verify_sim::DEFAULT_TWILIO_ACCOUNT_SID),
            twilio_verify_adapter::SecretString::from("not-the-token"),
        )
        .build()
        .expect("valid");
    let error = wrong_token
        .send_code(&send_request(TO))
        .await
        .expect_err("401");
    assert!(matches!(error, GatewayError::Unauthorized), "{error:?}");
    let other_service = crate::support::builder(&sim.base_url())
        .service_sid("VA11111111111111111111111111111111")
        .build()
        .expect("valid");
    let error = other_service
        .send_code(&send_request(TO))
        .await
        .expect_err("404");
    assert!(matches!(
        error,
        GatewayError::Rejected {
            kind: RejectionKind::NotFound,
            ..
        }
    ));
    assert_eq!(sim.counters().codes_sent, 0);
}
