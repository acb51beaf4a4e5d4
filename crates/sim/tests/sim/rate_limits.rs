//! The resend cooldown, the per-number window limit, and concurrent sends to one number.

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::StatusCode;

use crate::support::{PHONE, config, harness, harness_with, json_of};

fn retry_after(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

#[tokio::test]
async fn a_second_send_inside_the_cooldown_is_rate_limited() {
    let h = harness().await;
    h.send_ok("tv-cool-1").await;
    let response = h.send("tv-cool-2").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&response), Some(30));
    let (_, body) = json_of(response).await;
    assert!(body["message"].is_string());
    assert_eq!(h.sim.inbox().len(), 1, "no second SMS");
}

#[tokio::test]
async fn retry_after_counts_down_with_the_clock_and_the_send_goes_through_after_it() {
    let h = harness().await;
    h.send_ok("tv-cool").await;
    h.clock.advance(Duration::from_millis(10_500));
    assert_eq!(retry_after(&h.send("tv-cool").await), Some(20));
    h.clock.advance(Duration::from_millis(19_500));
    assert_eq!(h.send("tv-cool").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_cooldown_is_per_number() {
    let h = harness().await;
    h.send_ok("tv-n1").await;
    let other = crate::support::send_body("+60", "123456789", "tv-n2");
    assert_eq!(
        h.post(phone_verify_sim::IDMETA_SEND_PATH, &other)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn sends_beyond_the_window_limit_are_rate_limited_until_the_oldest_leaves_the_window() {
    let h = harness_with(
        config()
            .idmeta_resend_cooldown(Duration::from_secs(1))
            .idmeta_send_limit(3, Duration::from_secs(600)),
    )
    .await;
    for _ in 0..3 {
        h.send_ok("tv-window").await;
        h.clock.advance(Duration::from_secs(10));
    }
    let response = h.send("tv-window").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // The first send left at t=0, the window is 600 s, the clock is at t=30.
    assert_eq!(retry_after(&response), Some(570));
    h.clock.advance(Duration::from_secs(570));
    assert_eq!(h.send("tv-window").await.status(), StatusCode::OK);
    assert_eq!(h.sim.counters().sends_rate_limited, 1);
}

#[tokio::test]
async fn concurrent_sends_to_one_number_deliver_exactly_one_code_inside_the_cooldown() {
    let h = harness().await;
    let ids: Vec<String> = (0..24).map(|i| format!("tv-race-{i}")).collect();
    let statuses: Vec<StatusCode> = join_all(ids.iter().map(|id| h.send(id)))
        .await
        .iter()
        .map(reqwest::Response::status)
        .collect();
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((ok, limited), (1, 23));
    assert_eq!(h.sim.inbox().len(), 1);
    assert_eq!(h.sim.counters().codes_sent_per_number.get(PHONE), Some(&1));
}

#[tokio::test]
async fn concurrent_sends_to_one_number_without_limits_each_deliver_a_code() {
    let h = harness_with(
        config()
            .idmeta_resend_cooldown(Duration::ZERO)
            .idmeta_no_send_limit(),
    )
    .await;
    let ids: Vec<String> = (0..24).map(|i| format!("tv-burst-{i}")).collect();
    let responses = join_all(ids.iter().map(|id| h.send(id))).await;
    assert!(responses.iter().all(|r| r.status() == StatusCode::OK));
    let inbox = h.sim.inbox();
    assert_eq!(inbox.len(), 24);
    // Each trust validation got its own code, and each verifies.
    for id in &ids {
        let message = inbox
            .iter()
            .find(|m| &m.trust_validation_id == id)
            .expect("delivered");
        let (_, body) = json_of(h.verify(id, &message.code).await).await;
        assert_eq!(body["verificationStatus"], "VERIFIED", "{id}");
    }
}
