//! Twilio's update route, `POST /v2/Services/{ServiceSid}/Verifications/{Sid}`: `Status=canceled`
//! or `approved` ends a pending verification (the reference's Other operations).

use phone_verify_sim::{Fault, FaultScope};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Harness, harness};
use crate::twilio::{TO, wrong};

impl Harness {
    async fn twilio_update(&self, sid: &str, status: &str) -> (StatusCode, Value) {
        self.twilio_json(&format!("Verifications/{sid}"), &[("Status", status)])
            .await
    }
}

#[tokio::test]
async fn a_cancel_answers_the_canceled_verification_and_a_check_then_finds_nothing() {
    let h = harness().await;
    let (sid, code) = h.twilio_sent().await;
    let (status, body) = h.twilio_update(&sid, "canceled").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            body["sid"].as_str(),
            body["to"].as_str(),
            body["status"].as_str(),
            body["valid"].as_bool()
        ),
        (Some(sid.as_str()), Some(TO), Some("canceled"), Some(false))
    );
    assert_eq!(body["send_code_attempts"].as_array().map(Vec::len), Some(1));
    assert!(
        body["url"].as_str().is_some_and(|url| url.ends_with(&sid)),
        "{body}"
    );
    for by in [("VerificationSid", sid.as_str()), ("To", TO)] {
        let (status, body) = h.twilio_check(by, &code).await;
        assert_eq!(
            (status, body["code"].as_u64()),
            (StatusCode::NOT_FOUND, Some(20404)),
            "{by:?}"
        );
    }
    let counters = h.sim.counters();
    assert_eq!(
        (
            counters.twilio_update_requests,
            counters.twilio_verifications_canceled
        ),
        (1, 1)
    );
}

#[tokio::test]
async fn after_a_cancel_the_next_send_starts_a_new_verification_with_its_own_five_sends() {
    let h = harness().await;
    h.twilio_send_five_times().await;
    assert_eq!(h.twilio_send().await.0, StatusCode::TOO_MANY_REQUESTS);
    let old = h.sim.inbox_for(TO)[0].reference_id.clone();
    assert_eq!(h.twilio_update(&old, "canceled").await.0, StatusCode::OK);
    let (sid, code) = h.twilio_sent().await;
    assert_ne!(sid, old, "a new verification");
    let newest = h.sim.inbox_for(TO).pop().expect("delivered");
    assert_eq!(newest.reference_id, sid, "its code was delivered");
    h.twilio_approves(("VerificationSid", &sid), &code).await;
}

#[tokio::test]
async fn an_update_of_an_unknown_or_ended_verification_is_404_20404() {
    let h = harness().await;
    let (status, body) = h
        .twilio_update("VE0123456789abcdef0123456789abcdef", "canceled")
        .await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (StatusCode::NOT_FOUND, Some(20404))
    );
    let (sid, code) = h.twilio_sent().await;
    assert_eq!(h.twilio_check(("To", TO), &code).await.0, StatusCode::OK);
    let (status, body) = h.twilio_update(&sid, "canceled").await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (StatusCode::NOT_FOUND, Some(20404)),
        "an approved verification cannot be cancelled"
    );
    assert_eq!(h.sim.counters().twilio_verifications_canceled, 0);
}

#[tokio::test]
async fn an_exhausted_verification_cannot_be_cancelled_to_send_again() {
    let h = harness().await;
    let (sid, code) = h.twilio_sent().await;
    for _ in 0..6 {
        h.twilio_check(("VerificationSid", &sid), wrong(&code))
            .await;
    }
    assert_eq!(
        h.twilio_update(&sid, "canceled").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(h.twilio_send().await.0, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_update_to_approved_approves_and_ends_the_verification() {
    let h = harness().await;
    let (sid, code) = h.twilio_sent().await;
    let (status, body) = h.twilio_update(&sid, "approved").await;
    assert_eq!(
        (status, body["status"].as_str(), body["valid"].as_bool()),
        (StatusCode::OK, Some("approved"), Some(true))
    );
    assert_eq!(
        h.twilio_check(("VerificationSid", &sid), &code).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(h.sim.counters().twilio_verifications_canceled, 0);
}

#[tokio::test]
async fn an_update_to_any_other_status_is_60200_and_changes_nothing() {
    let h = harness().await;
    let (sid, code) = h.twilio_sent().await;
    for status in ["pending", "Canceled", ""] {
        let (answered, body) = h.twilio_update(&sid, status).await;
        assert_eq!(
            (answered, body["code"].as_u64()),
            (StatusCode::BAD_REQUEST, Some(60200)),
            "{status:?}"
        );
    }
    let response = h.twilio(&format!("Verifications/{sid}"), &[]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        h.twilio_check(("VerificationSid", &sid), &code).await.0,
        StatusCode::OK,
        "still pending"
    );
}

#[tokio::test]
async fn process_then_fail_on_a_cancel_cancels_behind_the_503() {
    let h = harness().await;
    let (sid, code) = h.twilio_sent().await;
    h.sim.inject(
        Fault::ProcessThenFail {
            status: 503,
            html: false,
            retry_after_secs: None,
        },
        FaultScope::Phone(TO.into()),
    );
    let (status, body) = h.twilio_update(&sid, "canceled").await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (StatusCode::SERVICE_UNAVAILABLE, Some(20503))
    );
    h.sim.clear_faults();
    assert_eq!(
        h.twilio_check(("VerificationSid", &sid), &code).await.0,
        StatusCode::NOT_FOUND,
        "the failed cancel ended the verification"
    );
    assert_eq!(h.sim.counters().twilio_verifications_canceled, 1);
}
