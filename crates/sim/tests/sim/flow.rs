//! Send → read the inbox → verify, and the life of a code: attempts, expiry, reuse, resends.

use std::time::Duration;

use phone_verify_sim::{IDMETA_VERIFY_PATH, SimConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{PHONE, config, harness, harness_with, json_of, verdict};

#[tokio::test]
async fn a_code_read_from_the_inbox_over_http_verifies_the_phone() {
    let h = harness().await;
    let (status, sent) = json_of(h.send("tv-flow").await).await;
    assert_eq!(status, StatusCode::OK);

    let inbox: Vec<Value> = h
        .client
        .get(h.url("/__sim/inbox?phone=%2B60182258491"))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0]["phone"], PHONE);
    assert_eq!(inbox[0]["trust_validation_id"], "tv-flow");
    assert_eq!(inbox[0]["reference_id"], sent["data"]["referenceId"]);
    let code = inbox[0]["code"].as_str().expect("a code").to_owned();
    assert_eq!(code.len(), 6);

    let (status, body) = json_of(h.verify("tv-flow", &code).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verdict(&body), ("VALID".into(), "VERIFIED".into(), 3));
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "Phone verification processed successfully");
    assert_eq!(
        body["data"]["status"],
        json!({"code": 200, "description": "Verify success"})
    );
    assert_eq!(body["data"]["referenceId"], sent["data"]["referenceId"]);
}

#[tokio::test]
async fn the_handle_shows_what_was_delivered_to_whom() {
    let h = harness_with(config().fixed_code("4242")).await;
    h.send_ok("tv-a").await;
    let inbox = h.sim.inbox();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].phone, PHONE);
    assert_eq!(inbox[0].code, "4242");
    assert_eq!(inbox[0].trust_validation_id, "tv-a");
    assert_eq!(inbox[0].trust_flow_id, 147);
    assert_eq!(inbox[0].sent_at, crate::support::start_time());
    assert_eq!(h.sim.inbox_for("+60100000000"), vec![]);
    assert_eq!(h.sim.last_code_for("+60100000000"), None);
}

#[tokio::test]
async fn random_codes_have_the_configured_length() {
    let h = harness_with(config().code_length(8)).await;
    let code = h.send_ok("tv-len").await;
    assert_eq!(code.len(), 8);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
}

#[tokio::test]
async fn a_wrong_code_is_invalid_and_the_verification_stays_pending() {
    let h = harness_with(config().fixed_code("123456")).await;
    h.send_ok("tv-wrong").await;
    let (status, body) = json_of(h.verify("tv-wrong", "000000").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verdict(&body), ("INVALID".into(), "PENDING".into(), 0));
    // The right code still works afterwards.
    let (_, body) = json_of(h.verify("tv-wrong", "123456").await).await;
    assert_eq!(verdict(&body).0, "VALID");
}

#[tokio::test]
async fn the_last_allowed_wrong_attempt_exceeds_the_attempt_limit() {
    let h = harness_with(config().fixed_code("123456").idmeta_max_attempts(3)).await;
    h.send_ok("tv-attempts").await;
    for _ in 0..2 {
        let (_, body) = json_of(h.verify("tv-attempts", "000000").await).await;
        assert_eq!(verdict(&body).0, "INVALID");
    }
    let (_, body) = json_of(h.verify("tv-attempts", "000000").await).await;
    assert_eq!(
        verdict(&body),
        ("MAX_ATTEMPTS_EXCEEDED".into(), "REJECTED".into(), 1)
    );
    // The code is burnt: even the right one is refused now.
    let (_, body) = json_of(h.verify("tv-attempts", "123456").await).await;
    assert_eq!(verdict(&body).0, "MAX_ATTEMPTS_EXCEEDED");
}

#[tokio::test]
async fn the_right_code_on_the_last_allowed_attempt_verifies() {
    let h = harness_with(config().fixed_code("123456").idmeta_max_attempts(2)).await;
    h.send_ok("tv-last").await;
    let _ = h.verify("tv-last", "000000").await;
    let (_, body) = json_of(h.verify("tv-last", "123456").await).await;
    assert_eq!(verdict(&body).0, "VALID");
}

#[tokio::test]
async fn a_code_expires_after_its_lifetime() {
    let h = harness_with(config().fixed_code("123456")).await;
    h.send_ok("tv-expiry").await;
    h.clock.advance(Duration::from_secs(300));
    let (status, body) = json_of(h.verify("tv-expiry", "123456").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verdict(&body), ("EXPIRED".into(), "REJECTED".into(), 1));
}

#[tokio::test]
async fn a_code_is_still_valid_just_before_it_expires() {
    let h = harness_with(
        config()
            .fixed_code("123456")
            .idmeta_code_lifetime(Duration::from_secs(60)),
    )
    .await;
    h.send_ok("tv-fresh").await;
    h.clock.advance(Duration::from_millis(59_999));
    let (_, body) = json_of(h.verify("tv-fresh", "123456").await).await;
    assert_eq!(verdict(&body).0, "VALID");
}

#[tokio::test]
async fn a_verified_code_cannot_be_used_again() {
    let h = harness_with(config().fixed_code("123456")).await;
    h.send_ok("tv-reuse").await;
    let (_, body) = json_of(h.verify("tv-reuse", "123456").await).await;
    assert_eq!(verdict(&body).0, "VALID");
    let (status, body) = json_of(h.verify("tv-reuse", "123456").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["success"], false);
}

#[tokio::test]
async fn a_resend_voids_the_previous_code_and_reference() {
    let h = harness_with(config().idmeta_resend_cooldown(Duration::ZERO)).await;
    let (_, first) = json_of(h.send("tv-resend").await).await;
    let old_reference = first["data"]["referenceId"]
        .as_str()
        .expect("a reference")
        .to_owned();
    let (_, second) = json_of(h.send("tv-resend").await).await;
    assert_ne!(second["data"]["referenceId"], first["data"]["referenceId"]);
    assert_eq!(h.sim.inbox().len(), 2);
    let new_code = h.sim.last_code_for(PHONE).expect("a code");

    let stale = json!({"otp": new_code, "trustFlowId": 147, "trustValidationId": "tv-resend", "ref_id": old_reference});
    assert_eq!(
        h.post(IDMETA_VERIFY_PATH, &stale).await.status(),
        StatusCode::NOT_FOUND
    );
    let (_, body) = json_of(h.verify("tv-resend", &new_code).await).await;
    assert_eq!(verdict(&body).0, "VALID");
}

#[tokio::test]
async fn a_verify_without_a_send_is_not_found() {
    let h = harness().await;
    let (status, body) = json_of(h.verify("tv-never-sent", "123456").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["success"], false);
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn a_verify_in_another_trust_flow_is_not_found() {
    let h = harness_with(config().fixed_code("123456")).await;
    h.send_ok("tv-flowid").await;
    let body = json!({"otp": "123456", "trustFlowId": 148, "trustValidationId": "tv-flowid"});
    assert_eq!(
        h.post(IDMETA_VERIFY_PATH, &body).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_verify_naming_the_right_number_and_reference_verifies_and_a_wrong_number_is_not_found() {
    let h = harness_with(config().fixed_code("123456")).await;
    let (_, sent) = json_of(h.send("tv-match").await).await;
    let wrong_number = json!({"otp": "123456", "trustFlowId": 147, "trustValidationId": "tv-match",
        "country_code": "+60", "phone_number": "199999999"});
    assert_eq!(
        h.post(IDMETA_VERIFY_PATH, &wrong_number).await.status(),
        StatusCode::NOT_FOUND
    );
    let right = json!({"otp": "123456", "trustFlowId": 147, "trustValidationId": "tv-match",
        "country_code": "+60", "phone_number": "182258491", "ref_id": sent["data"]["referenceId"]});
    let (_, body) = json_of(h.post(IDMETA_VERIFY_PATH, &right).await).await;
    assert_eq!(verdict(&body).0, "VALID");
}

#[tokio::test]
async fn ids_marked_unknown_are_not_found_for_send_and_verify() {
    let h = harness_with(SimConfig::default().idmeta_token(crate::support::TOKEN)).await;
    h.sim.mark_unknown_trust_validation("tv-unknown");
    let (status, body) = json_of(h.send("tv-unknown").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["success"], false);
    assert_eq!(
        h.verify("tv-unknown", "123456").await.status(),
        StatusCode::NOT_FOUND
    );

    h.sim.mark_unknown_trust_flow(147);
    assert_eq!(h.send("tv-other").await.status(), StatusCode::NOT_FOUND);
    assert!(h.sim.inbox().is_empty(), "nothing was delivered");
}

#[tokio::test]
async fn ids_can_be_marked_unknown_over_http() {
    let h = harness().await;
    let response = h
        .client
        .post(h.url("/__sim/unknown"))
        .json(&json!({"trust_validation_ids": ["tv-http-unknown"], "trust_flow_ids": [9]}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        h.send("tv-http-unknown").await.status(),
        StatusCode::NOT_FOUND
    );
    let mut other_flow = crate::support::send_body("+60", "182258491", "tv-fine");
    other_flow["trustFlowId"] = 9.into();
    assert_eq!(
        h.post(phone_verify_sim::IDMETA_SEND_PATH, &other_flow)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(h.send("tv-fine").await.status(), StatusCode::OK);
}
