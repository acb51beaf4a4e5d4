//! The `/__sim/` control routes not covered elsewhere: inbox filters, clock, reset, health.

use std::time::Duration;

use phone_verify_sim::SimConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{PHONE, TOKEN, config, harness_with};

async fn get_json(h: &crate::support::Harness, path: &str) -> (StatusCode, Value) {
    crate::support::json_of(h.client.get(h.url(path)).send().await.expect("an answer")).await
}

#[tokio::test]
async fn the_inbox_route_filters_by_phone_written_with_a_raw_plus() {
    let h = harness_with(config().idmeta_resend_cooldown(Duration::ZERO)).await;
    h.send_ok("tv-1").await;
    let other = crate::support::send_body("+44", "7700900123", "tv-2");
    assert_eq!(
        h.post(phone_verify_sim::IDMETA_SEND_PATH, &other)
            .await
            .status(),
        StatusCode::OK
    );

    let (_, all) = get_json(&h, "/__sim/inbox").await;
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    let (_, mine) = get_json(&h, "/__sim/inbox?phone=+60182258491").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    assert_eq!(mine[0]["phone"], PHONE);
    assert_eq!(mine[0]["sent_at"], "2026-05-14T10:00:00Z");
}

#[tokio::test]
async fn the_clock_moves_over_http_when_it_is_manual() {
    let h = harness_with(config().fixed_code("123456")).await;
    h.send_ok("tv-clock").await;
    let response = h
        .client
        .post(h.url("/__sim/clock/advance"))
        .json(&json!({"secs": 300}))
        .send()
        .await
        .expect("an answer");
    let (status, body) = crate::support::json_of(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["now"], "2026-05-14T10:05:00.000Z");
    let (_, clock) = get_json(&h, "/__sim/clock").await;
    assert_eq!(
        clock,
        json!({"now": "2026-05-14T10:05:00.000Z", "manual": true})
    );
    let (_, verified) = crate::support::json_of(h.verify("tv-clock", "123456").await).await;
    assert_eq!(verified["data"]["verify"]["codeState"], "EXPIRED");
}

#[tokio::test]
async fn the_system_clock_refuses_to_move() {
    let h = harness_with(SimConfig::default().idmeta_token(TOKEN)).await;
    let response = h
        .client
        .post(h.url("/__sim/clock/advance"))
        .json(&json!({"secs": 1}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn reset_forgets_codes_inboxes_faults_and_counters() {
    let h = harness_with(config()).await;
    h.send_ok("tv-reset").await;
    h.sim.inject(
        phone_verify_sim::Fault::SuccessFalse,
        phone_verify_sim::FaultScope::Next(5),
    );
    let response = h
        .client
        .post(h.url("/__sim/reset"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(h.sim.inbox().is_empty());
    assert!(h.sim.pending_faults().is_empty());
    assert_eq!(h.sim.counters().idmeta_send_requests, 0);
    // The cooldown was forgotten too.
    assert_eq!(h.send("tv-reset").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn health_answers_ok_and_unknown_control_routes_are_404() {
    let h = harness_with(config()).await;
    assert_eq!(
        get_json(&h, "/__sim/health").await,
        (StatusCode::OK, json!({"status": "ok"}))
    );
    assert_eq!(
        get_json(&h, "/__sim/nothing").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(h.sim.counters().requests_total, 0);
}
