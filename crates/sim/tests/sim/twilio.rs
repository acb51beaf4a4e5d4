//! Twilio Verify's routes: Basic auth, form bodies, and Twilio's rules (a resend while pending
//! keeps the `sid` and the code; 10-minute lifetime; the check after 5 is 60202, and no new
//! verification starts before the exhausted one expires; an ended verification answers 404;
//! 5 sends within one verification's life, then 60203).

use std::time::Duration;

use phone_verify_sim::{
    DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN, DEFAULT_TWILIO_SERVICE_SID, Fault,
    FaultScope,
};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::support::{Harness, config, harness, harness_with};

pub(crate) const TO: &str = "+15017122661";

/// A code that is not `code`.
pub(crate) fn wrong(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

impl Harness {
    pub(crate) async fn twilio(&self, operation: &str, form: &[(&str, &str)]) -> Response {
        self.twilio_as(
            DEFAULT_TWILIO_AUTH_TOKEN,
            DEFAULT_TWILIO_SERVICE_SID,
            operation,
            form,
        )
        .await
    }

    async fn twilio_as(
        &self,
        secret: &str,
        service: &str,
        operation: &str,
        form: &[(&str, &str)],
    ) -> Response {
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace('+', "%2B")))
            .collect::<Vec<_>>()
            .join("&");
        self.client
            .post(self.url(&format!("/v2/Services/{service}/{operation}")))
            .basic_auth(DEFAULT_TWILIO_ACCOUNT_SID, Some(secret))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("the simulator answers")
    }

    /// The status and JSON body of a Twilio request.
    pub(crate) async fn twilio_json(
        &self,
        operation: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let response = self.twilio(operation, form).await;
        (response.status(), response.json().await.expect("json"))
    }

    pub(crate) async fn twilio_send(&self) -> (StatusCode, Value) {
        self.twilio_json("Verifications", &[("To", TO), ("Channel", "sms")])
            .await
    }

    /// Sends to `TO`, expects 201, and returns the verification's `sid` and the code delivered.
    pub(crate) async fn twilio_sent(&self) -> (String, String) {
        let (status, sent) = self.twilio_send().await;
        assert_eq!(status, StatusCode::CREATED, "{sent}");
        let sid = sent["sid"].as_str().expect("a sid").to_owned();
        (
            sid,
            self.sim.last_code_for(TO).expect("a code was delivered"),
        )
    }

    /// Sends to `TO` the 5 times one verification allows, each answered 201.
    pub(crate) async fn twilio_send_five_times(&self) {
        for _ in 0..5 {
            assert_eq!(self.twilio_send().await.0, StatusCode::CREATED);
        }
    }

    pub(crate) async fn twilio_check(&self, by: (&str, &str), code: &str) -> (StatusCode, Value) {
        self.twilio_json("VerificationCheck", &[("Code", code), by])
            .await
    }

    /// Checks `code` and expects 200 `status: approved`, `valid: true`.
    pub(crate) async fn twilio_approves(&self, by: (&str, &str), code: &str) {
        let (status, checked) = self.twilio_check(by, code).await;
        assert_eq!(
            (
                status,
                checked["status"].as_str(),
                checked["valid"].as_bool()
            ),
            (StatusCode::OK, Some("approved"), Some(true)),
            "{checked}"
        );
    }
}

#[tokio::test]
async fn a_send_answers_201_with_a_verification_and_delivers_the_code() {
    let h = harness().await;
    let (status, body) = h.twilio_send().await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["status"], "pending");
    assert_eq!(body["valid"], false);
    assert_eq!(body["to"], TO);
    assert_eq!(body["service_sid"], DEFAULT_TWILIO_SERVICE_SID);
    assert_eq!(body["date_created"], "2026-05-14T10:00:00Z");
    let sid = body["sid"].as_str().expect("sid");
    assert!(sid.starts_with("VE") && sid.len() == 34, "{sid}");
    let inbox = h.sim.inbox_for(TO);
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].provider, "twilio");
    assert_eq!(inbox[0].reference_id, sid);
    let counters = h.sim.counters();
    assert_eq!(
        (counters.twilio_send_requests, counters.twilio_codes_sent),
        (1, 1)
    );
    assert_eq!(counters.idmeta_send_requests, 0);
}

#[tokio::test]
async fn a_resend_while_pending_re_sends_the_same_code_on_the_same_sid() {
    let h = harness().await;
    let (_, first) = h.twilio_send().await;
    h.clock.advance(Duration::from_secs(30));
    let (status, again) = h.twilio_send().await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["sid"], first["sid"]);
    assert_eq!(
        again["send_code_attempts"].as_array().map(Vec::len),
        Some(2)
    );
    let inbox = h.sim.inbox_for(TO);
    assert_eq!(inbox.len(), 2);
    assert_eq!(inbox[0].code, inbox[1].code);
    // The first code still works.
    h.twilio_approves(("To", TO), &inbox[0].code).await;
}

#[tokio::test]
async fn the_check_after_five_wrong_ones_is_60202_even_with_the_right_code_then_404() {
    let h = harness().await;
    let (sid, code) = h.twilio_sent().await;
    for _ in 0..5 {
        let (status, body) = h
            .twilio_check(("VerificationSid", &sid), wrong(&code))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (body["status"].as_str(), body["valid"].as_bool()),
            (Some("pending"), Some(false))
        );
    }
    let (status, body) = h.twilio_check(("VerificationSid", &sid), &code).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        (body["code"].as_u64(), body["status"].as_u64()),
        (Some(60202), Some(429))
    );
    for by in [("VerificationSid", sid.as_str()), ("To", TO)] {
        let (status, body) = h.twilio_check(by, &code).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{by:?}");
        assert_eq!(body["code"], 20404);
        assert_eq!(
            body["more_info"],
            "https://www.twilio.com/docs/errors/20404"
        );
    }
}

#[tokio::test]
async fn after_60202_a_send_is_60203_until_the_verification_expires_then_starts_a_new_one() {
    let h = harness().await;
    let (sid, code) = h.twilio_sent().await;
    for _ in 0..6 {
        h.twilio_check(("VerificationSid", &sid), wrong(&code))
            .await;
    }
    h.clock.advance(Duration::from_secs(599));
    let (status, body) = h.twilio_send().await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (StatusCode::TOO_MANY_REQUESTS, Some(60203))
    );
    assert_eq!(h.sim.counters().twilio_codes_sent, 1, "nothing was sent");
    h.clock.advance(Duration::from_secs(1));
    let (status, body) = h.twilio_send().await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(body["sid"], sid.as_str(), "a new verification");
    assert_eq!(h.sim.counters().twilio_codes_sent, 2);
}

#[tokio::test]
async fn an_approved_or_expired_verification_answers_404() {
    let h = harness().await;
    h.twilio_send().await;
    let code = h.sim.last_code_for(TO).expect("delivered");
    assert_eq!(h.twilio_check(("To", TO), &code).await.0, StatusCode::OK);
    assert_eq!(
        h.twilio_check(("To", TO), &code).await.0,
        StatusCode::NOT_FOUND
    );
    h.twilio_send().await;
    let code = h.sim.last_code_for(TO).expect("delivered");
    h.clock.advance(Duration::from_secs(600));
    assert_eq!(
        h.twilio_check(("To", TO), &code).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_verification_lives_its_configured_lifetime_from_creation_whatever_the_resends() {
    let h = harness_with(config().twilio_verification_lifetime(Duration::from_secs(120))).await;
    let (sid, code) = h.twilio_sent().await;
    h.clock.advance(Duration::from_secs(60));
    let (_, resent) = h.twilio_send().await;
    assert_eq!(resent["sid"], sid.as_str());
    h.clock.advance(Duration::from_secs(59));
    let (status, body) = h
        .twilio_check(("VerificationSid", &sid), wrong(&code))
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("pending"))
    );
    h.clock.advance(Duration::from_secs(1));
    let (status, body) = h.twilio_check(("VerificationSid", &sid), &code).await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (StatusCode::NOT_FOUND, Some(20404)),
        "expired 120 s after its creation, not after the resend"
    );
}

#[tokio::test]
async fn a_sixth_send_within_one_verification_is_60203_and_an_approval_ends_the_limit() {
    let h = harness().await;
    h.twilio_send_five_times().await;
    let response = h
        .twilio("Verifications", &[("To", TO), ("Channel", "sms")])
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("retry-after").is_none());
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], 60203);
    assert_eq!(h.sim.counters().twilio_codes_sent, 5);
    let code = h.sim.last_code_for(TO).expect("delivered");
    assert_eq!(h.twilio_check(("To", TO), &code).await.0, StatusCode::OK);
    let (status, _) = h.twilio_send().await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the approval ended the verification's life"
    );
}

#[tokio::test]
async fn a_sixth_send_is_refused_until_the_verification_expires() {
    let h = harness().await;
    h.twilio_send_five_times().await;
    h.clock.advance(Duration::from_secs(599));
    assert_eq!(h.twilio_send().await.0, StatusCode::TOO_MANY_REQUESTS);
    h.clock.advance(Duration::from_secs(1));
    assert_eq!(h.twilio_send().await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn wrong_credentials_an_unknown_service_and_a_bad_number_are_twilio_errors() {
    let h = harness().await;
    let form = [("To", TO), ("Channel", "sms")];
    let response = h
        .twilio_as("wrong", DEFAULT_TWILIO_SERVICE_SID, "Verifications", &form)
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        (body["code"].as_u64(), body["status"].as_u64()),
        (Some(20003), Some(401))
    );
    let other = "VA11111111111111111111111111111111";
    let response = h
        .twilio_as(DEFAULT_TWILIO_AUTH_TOKEN, other, "Verifications", &form)
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = h
        .twilio("Verifications", &[("To", "0182258491"), ("Channel", "sms")])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], 60200);
    assert_eq!(h.sim.counters().twilio_codes_sent, 0);
}

#[tokio::test]
async fn the_simulator_says_which_twilio_account_and_service_it_serves() {
    let h = harness().await;
    assert_eq!(
        h.sim.twilio_credentials(),
        (DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN)
    );
    assert_eq!(h.sim.twilio_service_sid(), DEFAULT_TWILIO_SERVICE_SID);

    let key = "SK0123456789abcdef0123456789abcdef";
    let service = "VAffffffffffffffffffffffffffffffff";
    let other = crate::support::harness_with(
        crate::support::config()
            .twilio_credentials(key, "key-secret")
            .twilio_service_sid(service),
    )
    .await;
    assert_eq!(other.sim.twilio_credentials(), (key, "key-secret"));
    assert_eq!(other.sim.twilio_service_sid(), service);
}

#[tokio::test]
async fn a_server_error_fault_on_a_twilio_route_is_twilio_error_json_20503_or_20500() {
    let h = harness().await;
    for (status, code, message) in [
        (503, 20503, "Service Unavailable"),
        (500, 20500, "Internal Server Error"),
        (502, 20500, "Internal Server Error"),
        (504, 20500, "Internal Server Error"),
    ] {
        h.sim.inject(
            Fault::ServerError {
                status,
                html: false,
            },
            FaultScope::Next(1),
        );
        let response = h
            .twilio("Verifications", &[("To", TO), ("Channel", "sms")])
            .await;
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.expect("json");
        assert_eq!(
            body,
            serde_json::json!({
                "code": code,
                "message": message,
                "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
                "status": status,
            })
        );
    }
    assert!(h.sim.inbox().is_empty(), "a faulted send delivers nothing");
}

#[tokio::test]
async fn process_then_fail_on_a_twilio_send_delivers_the_code_behind_twilio_503_json() {
    let h = harness().await;
    h.sim.inject(
        Fault::ProcessThenFail {
            status: 503,
            html: false,
            retry_after_secs: Some(5),
        },
        FaultScope::Next(1),
    );
    let response = h
        .twilio("Verifications", &[("To", TO), ("Channel", "sms")])
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "5");
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        (body["code"].as_u64(), body["status"].as_u64()),
        (Some(20503), Some(503))
    );
    let code = h
        .sim
        .last_code_for(TO)
        .expect("the failed send delivered a code");
    // The client's retry re-sends the same code on the verification the failed send created.
    let (status, again) = h.twilio_send().await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        again["send_code_attempts"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(h.sim.counters().twilio_codes_sent, 2);
    h.twilio_approves(("To", TO), &code).await;
}

#[tokio::test]
async fn process_then_fail_on_a_twilio_check_approves_behind_a_proxy_page() {
    let h = harness().await;
    let (sid, code) = h.twilio_sent().await;
    h.sim.inject(
        Fault::ProcessThenFail {
            status: 502,
            html: true,
            retry_after_secs: None,
        },
        FaultScope::PhoneNext(TO.into(), 1),
    );
    let response = h
        .twilio(
            "VerificationCheck",
            &[("Code", &code), ("VerificationSid", &sid)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(response.headers()["content-type"], "text/html");
    let (status, body) = h.twilio_check(("VerificationSid", &sid), &code).await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (StatusCode::NOT_FOUND, Some(20404)),
        "the failed check approved the verification, which is gone"
    );
}

#[tokio::test]
async fn foreign_answer_on_a_twilio_check_approves_another_verification_of_another_number() {
    let h = harness().await;
    // Not the reference's number, which answers about no number fall back to.
    let to = "+15017122699";
    let (_, sent) = h
        .twilio_json("Verifications", &[("To", to), ("Channel", "sms")])
        .await;
    let sid = sent["sid"].as_str().expect("a sid").to_owned();
    let code = h.sim.last_code_for(to).expect("delivered");
    h.sim.inject(Fault::ForeignAnswer, FaultScope::Next(1));
    // By sid: the other number is derived from the verification's, approved and gone.
    let (status, body) = h.twilio_check(("VerificationSid", &sid), &code).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["status"].as_str(), body["valid"].as_bool()),
        (Some("approved"), Some(true))
    );
    let answered = body["sid"].as_str().expect("a sid");
    assert!(answered.starts_with("VE") && answered != sid, "{body}");
    assert_eq!(body["to"], "+15017122690");
    let (status, _) = h.twilio_check(("VerificationSid", &sid), &code).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the faulted check approved the verification asked"
    );
}

#[tokio::test]
async fn foreign_answer_on_a_twilio_send_delivers_the_code_and_answers_another_sid() {
    let h = harness().await;
    h.sim.inject(Fault::ForeignAnswer, FaultScope::Next(1));
    let (status, body) = h.twilio_send().await;
    assert_eq!(status, StatusCode::CREATED);
    let delivered = h.sim.inbox_for(TO);
    assert_eq!(delivered.len(), 1, "the send was processed");
    assert_ne!(body["sid"], delivered[0].reference_id.as_str());
    assert_eq!(
        (body["to"].as_str(), body["status"].as_str()),
        (Some("+15017122662"), Some("pending"))
    );
}

#[tokio::test]
async fn status_echo_on_a_twilio_check_puts_the_number_and_control_characters_in_status() {
    let h = harness().await;
    let (sid, code) = h.twilio_sent().await;
    h.sim
        .inject(Fault::StatusEcho, FaultScope::PhoneNext(TO.into(), 1));
    let (status, body) = h
        .twilio_check(("VerificationSid", &sid), wrong(&code))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = body["status"].as_str().expect("a status");
    assert!(text.contains(TO) && text.contains('\u{1b}') && text.len() > 4096);
    assert_eq!(
        (
            body["sid"].as_str(),
            body["to"].as_str(),
            body["valid"].as_bool()
        ),
        (Some(sid.as_str()), Some(TO), Some(false))
    );
}
