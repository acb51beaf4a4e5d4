//! Every fault, armed from the handle or over HTTP, for the next requests or for one number.

use std::time::{Duration, Instant};

use phone_verify_sim::{Fault, FaultScope, IDMETA_SEND_PATH, IDMETA_VERIFY_PATH};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{PHONE, config, harness, harness_with, json_of, send_body};

#[tokio::test]
async fn a_server_error_fault_answers_json_once_then_requests_are_answered_normally() {
    let h = harness().await;
    h.sim.inject(
        Fault::ServerError {
            status: 503,
            html: false,
        },
        FaultScope::Next(1),
    );
    let response = h.send("tv-503").await;
    assert_eq!(response.headers()["content-type"], "application/json");
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body["message"].is_string());
    assert!(h.sim.inbox().is_empty(), "a faulted send delivers nothing");
    assert_eq!(h.send("tv-503").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_server_error_fault_can_answer_an_html_page() {
    let h = harness().await;
    for status in [500, 502, 503] {
        h.sim.inject(
            Fault::ServerError { status, html: true },
            FaultScope::Next(1),
        );
        let response = h.send("tv-html").await;
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(response.headers()["content-type"], "text/html");
        let text = response.text().await.expect("a body");
        assert!(
            text.starts_with("<html>") && text.contains(&status.to_string()),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_fault_for_the_next_n_requests_applies_to_sends_and_verifies_alike() {
    let h = harness().await;
    h.sim.inject(
        Fault::ServerError {
            status: 500,
            html: false,
        },
        FaultScope::Next(2),
    );
    assert_eq!(
        h.send("tv-n").await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(
        h.verify("tv-n", "1").await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(h.send("tv-n").await.status(), StatusCode::OK);
    assert!(h.sim.pending_faults().is_empty());
}

#[tokio::test]
async fn a_rate_limited_fault_answers_429_with_retry_after() {
    let h = harness().await;
    h.sim.inject(
        Fault::RateLimited {
            retry_after_secs: Some(7),
        },
        FaultScope::Next(1),
    );
    h.sim.inject(
        Fault::RateLimited {
            retry_after_secs: None,
        },
        FaultScope::Next(1),
    );
    let first = h.send("tv-429").await;
    assert_eq!(first.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(first.headers()["retry-after"], "7");
    let second = h.send("tv-429").await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(second.headers().get("retry-after").is_none());
}

#[tokio::test]
async fn a_success_false_fault_answers_200_with_success_false() {
    let h = harness().await;
    h.sim.inject(Fault::SuccessFalse, FaultScope::Next(1));
    let (status, body) = json_of(h.send("tv-false").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["success"], false);
    assert_eq!(body["trustValidationId"], "tv-false");
    assert_eq!(body["trustFlowId"], 147);
    assert!(h.sim.inbox().is_empty());
}

#[tokio::test]
async fn malformed_and_truncated_json_faults_answer_200_with_bodies_that_do_not_parse() {
    let h = harness().await;
    for fault in [Fault::MalformedJson, Fault::TruncatedJson] {
        h.sim.inject(fault.clone(), FaultScope::Next(1));
        let response = h.send("tv-bad-json").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let text = response.text().await.expect("a complete HTTP body");
        assert!(text.starts_with('{'), "{fault:?}: {text}");
        assert!(
            serde_json::from_str::<Value>(&text).is_err(),
            "{fault:?}: {text}"
        );
    }
}

#[tokio::test]
async fn an_oversized_fault_sends_exactly_that_many_bytes_of_json() {
    let h = harness().await;
    for bytes in [83, 64 * 1024, 3 * 1024 * 1024 + 17] {
        h.sim
            .inject(Fault::Oversized { bytes }, FaultScope::Next(1));
        let response = h.send("tv-huge").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.content_length(), Some(bytes as u64));
        let body = response.bytes().await.expect("the whole body");
        assert_eq!(body.len(), bytes);
        let parsed: Value = serde_json::from_slice(&body).expect("valid JSON");
        assert_eq!(parsed["success"], true);
    }
    h.sim
        .inject(Fault::Oversized { bytes: 10 }, FaultScope::Next(1));
    let body = h.send("tv-small").await.bytes().await.expect("a body");
    assert_eq!(&body[..], b"{\"success\"");
}

#[tokio::test]
async fn a_delay_fault_holds_the_answer_past_a_client_timeout() {
    let h = harness().await;
    h.sim
        .inject(Fault::Delay(Duration::from_secs(30)), FaultScope::Next(1));
    let error = h
        .client
        .post(h.url(IDMETA_SEND_PATH))
        .timeout(Duration::from_millis(100))
        .bearer_auth(crate::support::TOKEN)
        .json(&send_body("+60", "182258491", "tv-slow"))
        .send()
        .await
        .expect_err("the client gives up first");
    assert!(error.is_timeout(), "{error}");
}

#[tokio::test]
async fn a_delay_fault_then_answers_normally() {
    let h = harness().await;
    h.sim.inject(
        Fault::Delay(Duration::from_millis(150)),
        FaultScope::Next(1),
    );
    let started = Instant::now();
    let response = h.send("tv-delay").await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(h.sim.inbox().len(), 1);
}

#[tokio::test]
async fn a_trickle_fault_sends_headers_and_never_finishes_the_body() {
    let h = harness_with(config().trickle_interval(Duration::from_secs(10))).await;
    h.sim.inject(Fault::Trickle, FaultScope::Next(1));
    let mut response = h.send("tv-trickle").await;
    assert_eq!(response.status(), StatusCode::OK);
    let first = response
        .chunk()
        .await
        .expect("a first byte")
        .expect("not the end");
    assert_eq!(&first[..], b"{");
    let next = tokio::time::timeout(Duration::from_millis(200), response.chunk()).await;
    assert!(next.is_err(), "no more bytes within the interval");
    // Shutting down does not wait for the endless body.
    let shutdown = tokio::time::timeout(Duration::from_secs(5), h.sim.shutdown()).await;
    assert!(shutdown.is_ok(), "shutdown returned");
}

async fn closed_without_an_answer(h: &crate::support::Harness, path: &str, body: &Value) {
    let error = h.try_post(path, body).await.expect_err("no answer");
    assert!(!error.is_timeout() && error.status().is_none(), "{error}");
}

#[tokio::test]
async fn close_before_read_closes_the_connection_without_an_answer_or_a_code() {
    let h = harness().await;
    h.sim.inject(Fault::CloseBeforeRead, FaultScope::Next(1));
    closed_without_an_answer(
        &h,
        IDMETA_SEND_PATH,
        &send_body("+60", "182258491", "tv-cbr"),
    )
    .await;
    assert!(h.sim.inbox().is_empty());
    assert_eq!(
        h.send("tv-cbr").await.status(),
        StatusCode::OK,
        "the next request is fine"
    );
}

#[tokio::test]
async fn close_after_read_closes_the_connection_without_an_answer_or_a_code() {
    let h = harness().await;
    h.sim.inject(Fault::CloseAfterRead, FaultScope::Next(1));
    closed_without_an_answer(
        &h,
        IDMETA_SEND_PATH,
        &send_body("+60", "182258491", "tv-car"),
    )
    .await;
    assert!(h.sim.inbox().is_empty());
    assert_eq!(h.sim.counters().faults_applied, 1);
}

#[tokio::test]
async fn close_after_processing_delivers_the_code_but_no_answer() {
    let h = harness_with(config().fixed_code("123456")).await;
    h.sim
        .inject(Fault::CloseAfterProcessing, FaultScope::Next(1));
    closed_without_an_answer(
        &h,
        IDMETA_SEND_PATH,
        &send_body("+60", "182258491", "tv-cap"),
    )
    .await;
    assert_eq!(h.sim.last_code_for(PHONE).as_deref(), Some("123456"));
    let (_, body) = json_of(h.verify("tv-cap", "123456").await).await;
    assert_eq!(body["verificationStatus"], "VERIFIED");
}

#[tokio::test]
async fn process_then_fail_delivers_the_code_then_answers_a_json_5xx_with_retry_after() {
    let h = harness_with(config().fixed_code("123456")).await;
    h.sim.inject(
        Fault::ProcessThenFail {
            status: 503,
            html: false,
            retry_after_secs: Some(30),
        },
        FaultScope::Next(1),
    );
    let response = h.send("tv-ptf").await;
    assert_eq!(response.headers()["retry-after"], "30");
    assert_eq!(response.headers()["content-type"], "application/json");
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, json!({"message": "Server Error"}));
    assert_eq!(
        h.sim.last_code_for(PHONE).as_deref(),
        Some("123456"),
        "the failed send delivered its code"
    );
    let (_, body) = json_of(h.verify("tv-ptf", "123456").await).await;
    assert_eq!(body["verificationStatus"], "VERIFIED");
}

#[tokio::test]
async fn process_then_fail_on_verify_uses_the_code_behind_an_html_page() {
    let h = harness_with(config().fixed_code("123456")).await;
    h.send_ok("tv-ptf-html").await;
    h.sim.inject(
        Fault::ProcessThenFail {
            status: 502,
            html: true,
            retry_after_secs: None,
        },
        FaultScope::PhoneNext(PHONE.into(), 1),
    );
    let response = h.verify("tv-ptf-html", "123456").await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert!(response.headers().get("retry-after").is_none());
    assert!(response.text().await.expect("a page").starts_with("<html>"));
    let (status, body) = json_of(h.verify("tv-ptf-html", "123456").await).await;
    assert_eq!(
        (status, body["success"].as_bool()),
        (StatusCode::NOT_FOUND, Some(false)),
        "the failed verify used the code: {body}"
    );
}

#[tokio::test]
async fn process_then_fail_with_a_status_outside_5xx_answers_500_from_the_handle_and_422_over_http()
{
    let h = harness().await;
    h.sim.inject(
        Fault::ProcessThenFail {
            status: 200,
            html: false,
            retry_after_secs: None,
        },
        FaultScope::Next(1),
    );
    assert_eq!(
        h.send("tv-ptf-500").await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(h.sim.inbox().len(), 1, "and the code went out");
    let refused = h
        .client
        .post(h.url("/__sim/faults"))
        .json(&json!({"fault": {"type": "process_then_fail", "status": 404}}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(h.sim.pending_faults().is_empty());
}

#[tokio::test]
async fn a_phone_fault_applies_only_to_that_number_until_cleared() {
    let h = harness_with(
        config()
            .idmeta_resend_cooldown(Duration::ZERO)
            .idmeta_no_send_limit(),
    )
    .await;
    h.sim.inject(
        Fault::ServerError {
            status: 502,
            html: false,
        },
        FaultScope::Phone(PHONE.into()),
    );
    let other = send_body("+60", "123456789", "tv-other");
    assert_eq!(
        h.post(IDMETA_SEND_PATH, &other).await.status(),
        StatusCode::OK
    );
    assert_eq!(h.send("tv-phone").await.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(h.send("tv-phone").await.status(), StatusCode::BAD_GATEWAY);
    h.sim.clear_faults();
    assert_eq!(h.send("tv-phone").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_phone_fault_with_a_count_runs_out() {
    let h = harness_with(config().idmeta_resend_cooldown(Duration::ZERO)).await;
    h.sim
        .inject(Fault::SuccessFalse, FaultScope::PhoneNext(PHONE.into(), 1));
    let (_, body) = json_of(h.send("tv-once").await).await;
    assert_eq!(body["success"], false);
    let (_, body) = json_of(h.send("tv-once").await).await;
    assert_eq!(body["success"], true);
}

#[tokio::test]
async fn a_phone_fault_on_verify_finds_the_number_from_the_trust_validation() {
    let h = harness_with(config().fixed_code("123456")).await;
    h.send_ok("tv-vphone").await;
    h.sim.inject(
        Fault::ServerError {
            status: 503,
            html: false,
        },
        FaultScope::PhoneNext(PHONE.into(), 1),
    );
    let (status, _) = json_of(h.verify("tv-vphone", "123456").await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (_, body) = json_of(h.verify("tv-vphone", "123456").await).await;
    assert_eq!(
        body["verificationStatus"], "VERIFIED",
        "the faulted verify used no attempt"
    );
}

#[tokio::test]
async fn faults_can_be_armed_listed_and_cleared_over_http() {
    let h = harness().await;
    let arm = |fault: Value, scope: Value| {
        h.client
            .post(h.url("/__sim/faults"))
            .json(&json!({"fault": fault, "scope": scope}))
            .send()
    };
    let armed = arm(
        json!({"type": "server_error", "status": 503}),
        json!({"next": 1}),
    )
    .await
    .expect("an answer");
    assert_eq!(armed.status(), StatusCode::CREATED);
    let armed = arm(
        json!({"type": "delay", "millis": 10}),
        json!({"phone": "+60182258491", "times": 2}),
    )
    .await
    .expect("an answer");
    assert_eq!(armed.status(), StatusCode::CREATED);
    let armed = arm(
        json!({"type": "process_then_fail", "status": 502, "retry_after_secs": 9}),
        json!({"phone": "+60182258491"}),
    )
    .await
    .expect("an answer");
    assert_eq!(armed.status(), StatusCode::CREATED);
    let bad = arm(json!({"type": "server_error", "status": 404}), json!({}))
        .await
        .expect("an answer");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = arm(json!({"type": "no_such_fault"}), json!({}))
        .await
        .expect("an answer");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let listed: Value = h
        .client
        .get(h.url("/__sim/faults"))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        listed,
        json!([
            {"fault": {"type": "server_error", "status": 503, "html": false}, "scope": {"next": 1}},
            {"fault": {"type": "delay", "millis": 10}, "scope": {"phone": "+60182258491", "times": 2}},
            {"fault": {"type": "process_then_fail", "status": 502, "html": false, "retry_after_secs": 9}, "scope": {"phone": "+60182258491"}},
        ])
    );
    assert_eq!(
        h.send("tv-http").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    let cleared = h
        .client
        .delete(h.url("/__sim/faults"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert!(h.sim.pending_faults().is_empty());
}

#[tokio::test]
async fn a_fault_armed_over_http_closes_the_connection_like_one_armed_from_the_handle() {
    let h = harness().await;
    h.client
        .post(h.url("/__sim/faults"))
        .json(&json!({"fault": {"type": "close_before_read"}}))
        .send()
        .await
        .expect("an answer");
    closed_without_an_answer(&h, IDMETA_VERIFY_PATH, &json!({"otp": "1"})).await;
}

#[tokio::test]
async fn foreign_answer_uses_the_code_then_approves_another_send_of_another_number() {
    let h = harness_with(config().fixed_code("123456")).await;
    // Not the documentation's number, which answers about no number fall back to.
    let sent = h
        .post(
            IDMETA_SEND_PATH,
            &send_body("+60", "123456789", "tv-foreign"),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let sent = h.sim.inbox_for("+60123456789")[0].reference_id.clone();
    h.sim.inject(Fault::ForeignAnswer, FaultScope::Next(1));
    // The verify names no number: the other one is derived from the trust validation's.
    let (status, body) = json_of(h.verify("tv-foreign", "123456").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        crate::support::verdict(&body),
        ("VALID".into(), "VERIFIED".into(), 3)
    );
    let reference = body["data"]["referenceId"].as_str().expect("a reference");
    assert!(reference.len() == 32 && reference != sent, "{body}");
    assert_eq!(body["data"]["verify"]["inputPhoneNumber"], "+60123456780");
    assert_eq!(body["trustValidationId"], "tv-foreign");
    let (status, _) = json_of(h.verify("tv-foreign", "123456").await).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the faulted verify used the code"
    );
}

#[tokio::test]
async fn foreign_answer_on_a_send_delivers_the_code_and_answers_another_reference() {
    let h = harness().await;
    h.sim.inject(Fault::ForeignAnswer, FaultScope::Next(1));
    let (status, body) = json_of(h.send("tv-foreign-send").await).await;
    assert_eq!(status, StatusCode::OK);
    let delivered = h.sim.inbox_for(PHONE);
    assert_eq!(delivered.len(), 1, "the send was processed");
    assert_ne!(
        body["data"]["referenceId"],
        delivered[0].reference_id.as_str()
    );
    assert_eq!(body["data"]["verify"]["inputPhoneNumber"], "+60182258492");
    assert_eq!(body["verificationStatus"], "PENDING");
}

#[tokio::test]
async fn status_echo_puts_the_number_and_control_characters_in_both_status_fields() {
    let h = harness_with(config().fixed_code("123456")).await;
    h.send_ok("tv-echo").await;
    let sent = h.sim.inbox_for(PHONE)[0].reference_id.clone();
    h.sim
        .inject(Fault::StatusEcho, FaultScope::PhoneNext(PHONE.into(), 1));
    let (status, body) = json_of(h.verify("tv-echo", "123456").await).await;
    assert_eq!(status, StatusCode::OK);
    for field in ["/verificationStatus", "/data/verify/codeState"] {
        let text = body.pointer(field).and_then(Value::as_str).expect(field);
        assert!(text.contains(PHONE), "{field}");
        assert!(text.contains('\u{1b}') && text.contains('\0'), "{field}");
        assert!(text.len() > 4096, "{field}: {} bytes", text.len());
    }
    // The rest is the normal answer about the send asked.
    assert_eq!(body["data"]["referenceId"], sent.as_str());
    assert_eq!(body["data"]["status"]["description"], "Verify success");
    assert_eq!(body["verificationStatusCode"], 3);
}

#[tokio::test]
async fn status_echo_leaves_an_error_answer_as_it_was() {
    let h = harness().await;
    h.sim.inject(Fault::StatusEcho, FaultScope::Next(1));
    let (status, body) = json_of(h.verify("tv-never-sent", "123456").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["success"], false);
    assert!(body.get("verificationStatus").is_none(), "{body}");
}

#[tokio::test]
async fn the_two_wrong_answer_faults_can_be_armed_over_http() {
    let h = harness().await;
    for fault in ["foreign_answer", "status_echo"] {
        let armed = h
            .client
            .post(h.url("/__sim/faults"))
            .json(&json!({"fault": {"type": fault}, "scope": {"phone": PHONE}}))
            .send()
            .await
            .expect("an answer");
        assert_eq!(armed.status(), StatusCode::CREATED, "{fault}");
    }
    assert_eq!(
        h.sim.pending_faults(),
        vec![
            (Fault::ForeignAnswer, FaultScope::Phone(PHONE.into())),
            (Fault::StatusEcho, FaultScope::Phone(PHONE.into())),
        ]
    );
}
