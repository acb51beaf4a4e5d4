//! 401, 413, 422, 404 and 405, as the shared reference assumes.

use phone_verify_sim::{IDMETA_SEND_PATH, IDMETA_VERIFY_PATH};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{harness, json_of};

#[tokio::test]
async fn a_missing_or_wrong_bearer_token_is_unauthenticated() {
    let h = harness().await;
    let body = crate::support::send_body("+60", "182258491", "tv-auth");
    let cases: [Option<&str>; 5] = [
        None,
        Some("Bearer wrong"),
        Some("bearer test-token"),
        Some("test-token"),
        Some("Bearer test-token2"),
    ];
    for authorization in cases {
        for path in [IDMETA_SEND_PATH, IDMETA_VERIFY_PATH] {
            let mut request = h.client.post(h.url(path)).json(&body);
            if let Some(value) = authorization {
                request = request.header("Authorization", value);
            }
            let (status, answer) = json_of(request.send().await.expect("an answer")).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{authorization:?} {path}");
            assert_eq!(answer, json!({"message": "Unauthenticated."}));
        }
    }
    assert!(h.sim.inbox().is_empty());
}

#[tokio::test]
async fn malformed_send_bodies_are_answered_422_with_per_field_messages() {
    let h = harness().await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"phone_number": "182258491", "trustFlowId": 0, "trustValidationId": "t"}),
            "country_code",
        ),
        (
            json!({"country_code": "60", "phone_number": "182258491", "trustFlowId": 0, "trustValidationId": "t"}),
            "country_code",
        ),
        (
            json!({"country_code": "+60", "phone_number": "18225abc1", "trustFlowId": 0, "trustValidationId": "t"}),
            "phone_number",
        ),
        (
            json!({"country_code": "+60", "phone_number": 182258491, "trustFlowId": 0, "trustValidationId": "t"}),
            "phone_number",
        ),
        (
            json!({"country_code": "+60", "phone_number": "182258491", "trustFlowId": "0", "trustValidationId": "t"}),
            "trustFlowId",
        ),
        (
            json!({"country_code": "+60", "phone_number": "182258491", "trustValidationId": "t"}),
            "trustFlowId",
        ),
        (
            json!({"country_code": "+60", "phone_number": "182258491", "trustFlowId": 0, "trustValidationId": 5}),
            "trustValidationId",
        ),
        (
            json!({"country_code": "+0", "phone_number": "182258491", "trustFlowId": 0, "trustValidationId": "t"}),
            "country_code",
        ),
        (
            json!({"country_code": "+60", "phone_number": "182258491", "trustFlowId": -1, "trustValidationId": "t"}),
            "trustFlowId",
        ),
        (json!(["not", "an", "object"]), "body"),
    ];
    for (body, field) in cases {
        let (status, answer) = json_of(h.post(IDMETA_SEND_PATH, &body).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(answer["message"], "The given data was invalid.");
        let messages = answer["errors"][field]
            .as_array()
            .expect("messages for the field");
        assert!(
            !messages.is_empty() && messages.iter().all(Value::is_string),
            "{answer}"
        );
        assert_eq!(
            answer["errors"].as_object().map(|o| o.len()),
            Some(1),
            "{answer}"
        );
    }
    assert!(h.sim.inbox().is_empty());
}

#[tokio::test]
async fn malformed_verify_bodies_are_answered_422_with_per_field_messages() {
    let h = harness().await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"trustFlowId": 0, "trustValidationId": "t"}), "otp"),
        (
            json!({"otp": 123456, "trustFlowId": 0, "trustValidationId": "t"}),
            "otp",
        ),
        (
            json!({"otp": "12 456", "trustFlowId": 0, "trustValidationId": "t"}),
            "otp",
        ),
        (
            json!({"otp": "123", "trustFlowId": 0, "trustValidationId": "t"}),
            "otp",
        ),
        (
            json!({"otp": "12345678901", "trustFlowId": 0, "trustValidationId": "t"}),
            "otp",
        ),
        (
            json!({"otp": "123456", "trustFlowId": -147, "trustValidationId": "t"}),
            "trustFlowId",
        ),
        (
            json!({"otp": "123456", "trustFlowId": 0.5, "trustValidationId": "t"}),
            "trustFlowId",
        ),
        (
            json!({"otp": "123456", "trustFlowId": 0, "trustValidationId": "t", "country_code": "+60"}),
            "phone_number",
        ),
        (
            json!({"otp": "123456", "trustFlowId": 0, "trustValidationId": "t", "ref_id": 7}),
            "ref_id",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = json_of(h.post(IDMETA_VERIFY_PATH, &body).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(answer["errors"][field].is_array(), "{answer}");
    }
}

#[tokio::test]
async fn a_four_digit_dialling_code_from_a_country_picker_gets_its_code() {
    let h = harness().await;
    let body = crate::support::send_body("+1684", "6330000", "tv-samoa");
    assert_eq!(
        h.post(IDMETA_SEND_PATH, &body).await.status(),
        StatusCode::OK
    );
    assert!(h.sim.last_code_for("+16846330000").is_some());
}

#[tokio::test]
async fn an_otp_of_the_wrong_length_counts_no_attempt() {
    let h = crate::support::harness_with(crate::support::config().idmeta_max_attempts(1)).await;
    let code = h.send_ok("tv-length").await;
    for otp in ["123", "12345678901"] {
        let (status, _) = json_of(h.verify("tv-length", otp).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{otp}");
    }
    // The one attempt is still there.
    let (_, body) = json_of(h.verify("tv-length", &code).await).await;
    assert_eq!(body["data"]["verify"]["codeState"], "VALID");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_answered_422() {
    let h = harness().await;
    let response = h
        .client
        .post(h.url(IDMETA_SEND_PATH))
        .bearer_auth(crate::support::TOKEN)
        .header("Content-Type", "application/json")
        .body("{\"country_code\": ")
        .send()
        .await
        .expect("an answer");
    let (status, answer) = json_of(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer["errors"]["body"].is_array());
}

#[tokio::test]
async fn a_body_over_the_limit_is_answered_413() {
    let h = crate::support::harness_with(crate::support::config().max_body_bytes(1024)).await;
    let mut body = crate::support::send_body("+60", "182258491", "tv-big");
    body["padding"] = "x".repeat(2048).into();
    let (status, answer) = json_of(h.post(IDMETA_SEND_PATH, &body).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(answer["message"].is_string());
}

#[tokio::test]
async fn unknown_routes_and_methods_are_answered_404_and_405_in_json() {
    let h = harness().await;
    let response = h
        .client
        .post(h.url("/api/v3/verifications/phone-verification/resend"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.headers()["content-type"], "application/json");
    let (status, answer) = json_of(response).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(answer["message"].is_string());

    for path in [IDMETA_SEND_PATH, IDMETA_VERIFY_PATH] {
        let response = h.client.get(h.url(path)).send().await.expect("an answer");
        assert_eq!(response.headers()["allow"], "POST");
        let (status, answer) = json_of(response).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(answer["message"].is_string());
    }
    let response = h
        .client
        .put(h.url(IDMETA_SEND_PATH))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}
