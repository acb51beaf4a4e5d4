//! Counters that let a test prove what a client did.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{PHONE, config, harness_with};

#[tokio::test]
async fn a_client_that_reuses_connections_opens_only_one() {
    let h = harness_with(config().idmeta_resend_cooldown(Duration::ZERO)).await;
    for i in 0..5 {
        assert_eq!(
            h.send(&format!("tv-reuse-{i}")).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(h.sim.counters().connections_accepted, 1);
}

#[tokio::test]
async fn a_client_without_a_pool_opens_a_connection_per_request() {
    let h = harness_with(config().idmeta_resend_cooldown(Duration::ZERO)).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("a client");
    for i in 0..3 {
        let response = client
            .post(h.url(phone_verify_sim::IDMETA_SEND_PATH))
            .bearer_auth(crate::support::TOKEN)
            .json(&crate::support::send_body(
                "+60",
                "182258491",
                &format!("tv-{i}"),
            ))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(h.sim.counters().connections_accepted, 3);
}

#[tokio::test]
async fn connections_used_only_for_control_routes_are_not_counted() {
    let h = harness_with(config()).await;
    // A client of its own, so its connection carries nothing but control routes.
    let harness_client = reqwest::Client::new();
    for path in ["/__sim/health", "/__sim/counters", "/__sim/inbox"] {
        let response = harness_client
            .get(h.url(path))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    assert_eq!(h.sim.counters().connections_accepted, 0);
    assert_eq!(h.send("tv-after-control").await.status(), StatusCode::OK);
    assert_eq!(h.sim.counters().connections_accepted, 1);
}

#[tokio::test]
async fn counters_count_requests_per_route_and_codes_per_number() {
    let h = harness_with(config().fixed_code("123456")).await;
    h.send_ok("tv-count").await;
    let _ = h.send("tv-count").await; // rate limited, still a send request
    let _ = h.verify("tv-count", "000000").await;
    let _ = h.client.get(h.url("/nowhere")).send().await;
    let _ = h.client.get(h.url("/__sim/health")).send().await; // not counted

    let counters = h.sim.counters();
    assert_eq!(counters.idmeta_send_requests, 2);
    assert_eq!(counters.idmeta_verify_requests, 1);
    assert_eq!(counters.other_requests, 1);
    assert_eq!(counters.requests_total, 4);
    assert_eq!(counters.codes_sent, 1);
    assert_eq!(counters.sends_rate_limited, 1);
    assert_eq!(counters.codes_sent_per_number.get(PHONE), Some(&1));

    let over_http: Value = h
        .client
        .get(h.url("/__sim/counters"))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(over_http["idmeta_send_requests"], 2);
    assert_eq!(over_http["requests_total"], 4);
    assert_eq!(over_http["codes_sent_per_number"][PHONE], 1);
    assert_eq!(over_http["connections_accepted"], 1);
}
