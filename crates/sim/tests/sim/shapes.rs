//! The answers have the documented shapes, byte for byte where the documentation shows bytes.

use chrono::{DateTime, Utc};
use phone_verify_sim::{IDMETA_SEND_PATH, IDMETA_VERIFY_PATH, SimConfig};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{PHONE, TOKEN, config, fixture, harness, harness_with, skeleton, start_time};

#[tokio::test]
async fn a_send_answer_has_the_documented_shape_field_for_field() {
    let h = harness().await;
    let response = h.send("tv-shape").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "JSON content type"
    );
    let text = response.text().await.expect("a body");
    assert_eq!(skeleton(&text), skeleton(&fixture("send_response.json")));
}

#[tokio::test]
async fn a_verify_answer_has_the_documented_shape_field_for_field() {
    let h = harness_with(config().fixed_code("123456")).await;
    h.send_ok("tv-shape").await;
    let text = h
        .verify("tv-shape", "123456")
        .await
        .text()
        .await
        .expect("a body");
    assert_eq!(skeleton(&text), skeleton(&fixture("verify_response.json")));
}

#[tokio::test]
async fn the_documented_example_responses_are_reproduced_byte_for_byte_on_the_documented_inputs() {
    // With the documentation's own clock, ids and number, only the random reference differs.
    let h = harness_with(config().fixed_code("123456")).await;
    let mut send = crate::support::send_body("+60", "182258491", "{your_trust_validation_id}");
    send["trustFlowId"] = 0.into();
    let sent = h
        .post(IDMETA_SEND_PATH, &send)
        .await
        .text()
        .await
        .expect("a body");
    let reference = h.sim.inbox()[0].reference_id.clone();
    let expected =
        fixture("send_response.json").replace("0123456789ABCDEF0123456789ABCDEF", &reference);
    assert_eq!(sent, expected);

    h.clock.advance(std::time::Duration::from_secs(60));
    let mut verify = crate::support::verify_body("{your_trust_validation_id}", "123456");
    verify["trustFlowId"] = 0.into();
    let verified = h
        .post(IDMETA_VERIFY_PATH, &verify)
        .await
        .text()
        .await
        .expect("a body");
    let expected =
        fixture("verify_response.json").replace("0123456789ABCDEF0123456789ABCDEF", &reference);
    assert_eq!(verified, expected);
}

#[tokio::test]
async fn send_answer_values_follow_the_documented_formats() {
    let h = harness().await;
    let body: Value = h.send("tv-formats").await.json().await.expect("JSON");
    let reference = body["data"]["referenceId"].as_str().expect("a string");
    assert_eq!(reference.len(), 32);
    assert!(
        reference
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    );
    for at in [
        &body["data"]["submitTime"],
        &body["data"]["status"]["updatedOn"],
    ] {
        let at = at.as_str().expect("a string");
        assert_eq!(at, "2026-05-14T10:00:00.000Z");
        assert!(at.parse::<DateTime<Utc>>().is_ok());
    }
    assert_eq!(start_time().to_rfc3339(), "2026-05-14T10:00:00+00:00");
    assert_eq!(body["data"]["verify"]["inputPhoneNumber"], PHONE);
    assert_eq!(body["trustFlowId"], 147);
    assert_eq!(body["trustValidationId"], "tv-formats");
    assert_eq!(body["metadata"], Value::Null);
}

/// The documented curl example: URL, headers and `--data` body.
struct Curl {
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

fn parse_curl(text: &str) -> Curl {
    let mut path = String::new();
    let mut headers = Vec::new();
    let mut body = String::new();
    let mut in_data = false;
    for line in text.lines() {
        let line = line.trim().trim_end_matches('\\').trim();
        if in_data {
            if line == "'" {
                in_data = false;
            } else {
                body.push_str(line);
                body.push('\n');
            }
        } else if let Some(url) = line.strip_prefix("--url ") {
            let after_host = url
                .split(".idmetagroup.com")
                .nth(1)
                .expect("a documented URL");
            path = after_host.to_owned();
        } else if let Some(header) = line.strip_prefix("--header ") {
            let header = header.trim_matches('\'');
            let (name, value) = header.split_once(": ").expect("Name: value");
            headers.push((name.to_owned(), value.to_owned()));
        } else if line.starts_with("--data '") {
            in_data = true;
        }
    }
    Curl {
        path,
        headers,
        body,
    }
}

async fn replay(h: &crate::support::Harness, curl: &Curl, strings: &[&str]) -> reqwest::Response {
    let mut body = curl.body.clone();
    for value in strings {
        body = body.replacen("<string>", value, 1);
    }
    let mut request = h.client.post(h.url(&curl.path)).body(body);
    for (name, value) in &curl.headers {
        request = request.header(name, value.replace("<token>", TOKEN));
    }
    request.send().await.expect("an answer")
}

#[tokio::test]
async fn the_documented_curl_examples_get_answers_of_the_documented_shape() {
    let h = harness_with(config().fixed_code("123456")).await;
    let send = parse_curl(&fixture("send_curl.txt"));
    assert_eq!(send.path, IDMETA_SEND_PATH);
    let response = replay(&h, &send, &["+60", "182258491"]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("a body");
    assert_eq!(skeleton(&text), skeleton(&fixture("send_response.json")));

    let verify = parse_curl(&fixture("verify_curl.txt"));
    assert_eq!(verify.path, IDMETA_VERIFY_PATH);
    let response = replay(&h, &verify, &["123456"]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("a body");
    assert_eq!(skeleton(&text), skeleton(&fixture("verify_response.json")));
    let body: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(body["verificationStatus"], "VERIFIED");
}

#[tokio::test]
async fn the_curl_program_itself_gets_the_documented_shape_when_installed() {
    // The same example through the real curl binary, where the machine has one.
    let Ok(_) = std::process::Command::new("curl").arg("--version").output() else {
        return;
    };
    let h = harness_with(SimConfig::default().idmeta_token(TOKEN)).await;
    let curl = parse_curl(&fixture("send_curl.txt"));
    let body = curl
        .body
        .replacen("<string>", "+60", 1)
        .replacen("<string>", "182258491", 1);
    let url = h.url(&curl.path);
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(["--silent", "--request", "POST", "--url", &url])
            .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
            .args(["--header", "Content-Type: application/json"])
            .args(["--data", &body])
            .output()
    })
    .await
    .expect("joins")
    .expect("curl runs");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert_eq!(skeleton(&text), skeleton(&fixture("send_response.json")));
}
