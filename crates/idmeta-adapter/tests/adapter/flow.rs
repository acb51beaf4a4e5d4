use phone_verify_domain::{
    CheckVerdict, CodeState, GatewayError, RejectionKind, VerificationGateway, VerificationStatus,
};

use crate::support::{check_request, client, phone, send_request, simulator};

#[tokio::test]
async fn a_code_sent_through_the_adapter_verifies_with_the_code_from_the_inbox() {
    let sim = simulator().await;
    let gateway = client(&sim);
    let receipt = gateway
        .send_code(&send_request("+60182258491", "tv-flow-1"))
        .await
        .expect("the send succeeds");
    assert_eq!(receipt.code_state, CodeState::Unknown);
    assert_eq!(receipt.verification_status, VerificationStatus::Pending);
    assert_eq!(receipt.reference.as_str().len(), 32);

    let code = sim
        .last_code_for("+60182258491")
        .expect("the handset got a code");
    let mut check = check_request(&code, "tv-flow-1");
    check.reference = Some(receipt.reference.clone());
    check.phone = Some(phone("+60182258491"));
    let result = gateway
        .check_code(&check)
        .await
        .expect("the check succeeds");
    assert_eq!(result.verdict(), CheckVerdict::Verified);
    assert_eq!(result.verification_status, VerificationStatus::Verified);
    assert_eq!(result.reference, Some(receipt.reference));
    let counters = sim.counters();
    assert_eq!((counters.send_requests, counters.verify_requests), (1, 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_code_is_an_answer_not_an_error() {
    let sim = simulator().await;
    let gateway = client(&sim);
    gateway
        .send_code(&send_request("+447400123456", "tv-wrong"))
        .await
        .expect("sent");
    let code = sim.last_code_for("+447400123456").expect("delivered");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let result = gateway
        .check_code(&check_request(wrong, "tv-wrong"))
        .await
        .expect("an answer");
    assert_eq!(result.verdict(), CheckVerdict::WrongCode);
    assert_eq!(result.verification_status, VerificationStatus::Pending);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_second_send_inside_the_cooldown_is_rate_limited_with_the_wait() {
    let sim = simulator().await;
    let gateway = client(&sim);
    gateway
        .send_code(&send_request("+6581234567", "tv-cool"))
        .await
        .expect("first send");
    let error = gateway
        .send_code(&send_request("+6581234567", "tv-cool"))
        .await
        .expect_err("inside the cooldown");
    let GatewayError::RateLimited { retry_after, .. } = &error else {
        panic!("expected RateLimited, got {error:?}");
    };
    let wait = retry_after.expect("the simulator sends Retry-After");
    assert!(wait.as_secs() >= 1 && wait.as_secs() <= 30, "{wait:?}");
    assert!(!error.may_have_been_sent());
    assert_eq!(
        sim.counters().send_requests,
        2,
        "a 429 is not retried by default"
    );
    assert_eq!(sim.counters().codes_sent, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized_and_sends_nothing() {
    let sim = simulator().await;
    let gateway = idmeta_adapter::IdmetaClient::builder()
        .base_url(sim.base_url())
        .allow_plain_http(true)
        .token(idmeta_adapter::SecretString::from("not-the-token"))
        .build()
        .expect("valid configuration");
    let error = gateway
        .send_code(&send_request("+60182258491", "tv-auth"))
        .await
        .expect_err("wrong token");
    assert!(matches!(error, GatewayError::Unauthorized), "{error:?}");
    assert_eq!(sim.counters().codes_sent, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unknown_trust_validation_is_a_not_found_rejection() {
    let sim = simulator().await;
    sim.mark_unknown_trust_validation("tv-unknown");
    let error = client(&sim)
        .send_code(&send_request("+60182258491", "tv-unknown"))
        .await
        .expect_err("unknown id");
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
    sim.shutdown().await;
}

#[tokio::test]
async fn connections_are_reused_across_a_hundred_calls() {
    let sim =
        crate::support::simulator_with(phone_verify_sim::SimConfig::default().no_send_limit())
            .await;
    let gateway = client(&sim);
    for i in 0..100 {
        // Distinct trust validations, one number each: no cooldown in the way.
        let number = format!("+601822{:05}", 10_000 + i);
        let receipt = gateway
            .send_code(&send_request(&number, &format!("tv-reuse-{i}")))
            .await;
        assert!(receipt.is_ok(), "call {i}: {receipt:?}");
    }
    let counters = sim.counters();
    assert_eq!(counters.send_requests, 100);
    assert!(
        counters.connections_accepted <= 2,
        "{} connections",
        counters.connections_accepted
    );
    sim.shutdown().await;
}
