//! A raw TCP server that records the bytes the client sends, for assertions the simulator does
//! not expose: the exact request, and that redirects are not followed.

use std::time::Duration;

use idmeta_adapter::{IdmetaClient, RetryPolicy, SecretString};
use phone_verify_domain::{GatewayError, OtpCode, PhoneNumber, ReferenceId, VerificationGateway};
use tokio::net::TcpListener;

use crate::support::{check_request, send_request};

const SEND_OK: &str = include_str!("../fixtures/send_response.json");
pub(crate) const VERIFY_OK: &str = include_str!("../fixtures/verify_response.json");

pub(crate) use phone_verify_sim::one_shot_server;

/// The documented verify answer, its `trustValidationId` echoing `trust_validation` as the
/// documented one echoes the caller's (a check refuses an answer about another one).
pub(crate) fn verify_ok_for(trust_validation: &str) -> String {
    VERIFY_OK.replace("{your_trust_validation_id}", trust_validation)
}

pub(crate) fn ok(body: &str) -> String {
    phone_verify_sim::raw_answer("200 OK", "application/json", body)
}

pub(crate) fn client(url: &str) -> IdmetaClient {
    IdmetaClient::builder()
        .trust_flow(idmeta_adapter::TrustFlowId::new(147))
        .base_url(url)
        .allow_plain_http(true)
        .token(SecretString::from("exact-token"))
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_secs(5))
        .build()
        .expect("valid")
}

fn split(request: &str) -> (Vec<String>, serde_json::Value) {
    let (head, body) = request.split_once("\r\n\r\n").expect("a head and a body");
    let lines = head.lines().map(str::to_owned).collect();
    (lines, serde_json::from_str(body).expect("a JSON body"))
}

fn header<'a>(lines: &'a [String], name: &str) -> Option<&'a str> {
    lines.iter().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[tokio::test]
async fn the_send_request_is_exactly_as_documented() {
    let (url, request) = one_shot_server(ok(SEND_OK)).await;
    client(&url)
        .send_code(&send_request("+60182258491", "7f0c-tv"))
        .await
        .expect("the fixture is a success");
    let (lines, body) = split(&request.await.expect("a request"));
    assert_eq!(
        lines[0],
        "POST /api/v3/verifications/phone-verification/send HTTP/1.1"
    );
    assert_eq!(header(&lines, "authorization"), Some("Bearer exact-token"));
    assert_eq!(header(&lines, "content-type"), Some("application/json"));
    assert_eq!(header(&lines, "accept"), Some("application/json"));
    let agent = header(&lines, "user-agent").expect("a user agent");
    assert!(agent.starts_with("idmeta-adapter/"), "{agent}");
    assert_eq!(
        body,
        serde_json::json!({
            "country_code": "+60",
            "phone_number": "182258491",
            "trustFlowId": 147,
            "trustValidationId": "7f0c-tv"
        })
    );
}

#[tokio::test]
async fn the_verify_request_omits_absent_fields_and_keeps_leading_zeros() {
    let (url, request) = one_shot_server(ok(&verify_ok_for("tv-v"))).await;
    client(&url)
        .check_code(&check_request("012345", "tv-v"))
        .await
        .expect("success");
    let (lines, body) = split(&request.await.expect("a request"));
    assert_eq!(
        lines[0],
        "POST /api/v3/verifications/phone-verification/verify HTTP/1.1"
    );
    assert_eq!(
        body,
        serde_json::json!({"otp": "012345", "trustFlowId": 147, "trustValidationId": "tv-v"})
    );

    let (url, request) = one_shot_server(ok(&verify_ok_for("tv-v"))).await;
    let mut full = check_request("0042", "tv-v");
    full.code = OtpCode::parse("0042").expect("valid");
    full.reference = Some(ReferenceId::parse("0123456789ABCDEF0123456789ABCDEF").expect("valid"));
    full.phone = Some(PhoneNumber::parse("+60182258491").expect("valid"));
    client(&url).check_code(&full).await.expect("success");
    let (_, body) = split(&request.await.expect("a request"));
    assert_eq!(
        body,
        serde_json::json!({
            "otp": "0042", "trustFlowId": 147, "trustValidationId": "tv-v",
            "ref_id": "0123456789ABCDEF0123456789ABCDEF", "country_code": "+60", "phone_number": "182258491"
        })
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed_so_the_token_goes_nowhere_else() {
    // The redirect target would record any request; it must see none.
    let target = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let target_url = format!("http://{}/steal", target.local_addr().expect("addr"));
    let answer = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nlocation: {target_url}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    let (url, request) = one_shot_server(answer).await;
    let error = client(&url)
        .send_code(&send_request("+60182258491", "tv-r"))
        .await
        .expect_err("a redirect is an error");
    assert!(
        matches!(error, GatewayError::InvalidResponse { status: 307, .. }),
        "{error:?}"
    );
    request.await.expect("the first server saw the request");
    let followed = tokio::time::timeout(Duration::from_millis(200), target.accept()).await;
    assert!(
        followed.is_err(),
        "the client connected to the redirect target"
    );
}

#[tokio::test]
async fn an_answer_in_several_chunks_is_joined_before_decoding() {
    let (head, tail) = SEND_OK.split_at(SEND_OK.len() / 3);
    let (middle, last) = tail.split_at(tail.len() / 2);
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n\
         {:x}\r\n{head}\r\n{:x}\r\n{middle}\r\n{:x}\r\n{last}\r\n0\r\n\r\n",
        head.len(),
        middle.len(),
        last.len()
    );
    let (url, _request) = one_shot_server(answer).await;
    let receipt = client(&url)
        .send_code(&send_request("+60182258491", "tv-chunks"))
        .await
        .expect("a chunked answer decodes");
    assert_eq!(
        receipt.reference.as_str(),
        "0123456789ABCDEF0123456789ABCDEF"
    );
}
