//! The exact bytes the adapter sends, recorded by a raw TCP server that answers with the
//! reference's own examples (`tests/fixtures/`, copied byte for byte).

use phone_verify_domain::{ReferenceId, VerificationGateway};
use phone_verify_sim::{one_shot_server, raw_answer};
use twilio_verify_adapter::{RetryPolicy, SecretString, TwilioClient};

use crate::support::{check_request, send_request};

pub(crate) const SEND_OK: &str = include_str!("../fixtures/verification.json");
pub(crate) const CHECK_OK: &str = include_str!("../fixtures/verification_check.json");
const SERVICE: &str = "VA0123456789abcdef0123456789abcdef";
const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const API_KEY: &str = "SK0123456789abcdef0123456789abcdef";

pub(crate) fn client(url: &str) -> TwilioClient {
    TwilioClient::builder()
        .base_url(url)
        .allow_plain_http(true)
        .service_sid(SERVICE)
        .account_credentials(
            SecretString::from(ACCOUNT),
            SecretString::from("exact-auth-token"),
        )
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("valid")
}

/// The request line, the headers, and the body.
fn split(request: &str) -> (Vec<String>, String) {
    let (head, body) = request.split_once("\r\n\r\n").expect("a head and a body");
    (head.lines().map(str::to_owned).collect(), body.to_owned())
}

fn header<'a>(lines: &'a [String], name: &str) -> Option<&'a str> {
    lines.iter().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[tokio::test]
async fn the_send_request_is_a_pascal_case_form_with_basic_auth() {
    let (url, request) =
        one_shot_server(raw_answer("201 Created", "application/json", SEND_OK)).await;
    let receipt = client(&url)
        .send_code(&send_request("+15017122661"))
        .await
        .expect("the reference's example is a success");
    assert_eq!(
        receipt.reference.as_str(),
        "VEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    );
    let (lines, body) = split(&request.await.expect("a request"));
    assert_eq!(
        lines[0],
        format!("POST /v2/Services/{SERVICE}/Verifications HTTP/1.1")
    );
    // base64("AC0123456789abcdef0123456789abcdef:exact-auth-token")
    assert_eq!(
        header(&lines, "authorization"),
        Some("Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjpleGFjdC1hdXRoLXRva2Vu")
    );
    assert_eq!(
        header(&lines, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(header(&lines, "accept"), Some("application/json"));
    assert_eq!(header(&lines, "content-length"), Some("29"));
    let agent = header(&lines, "user-agent").expect("a user agent");
    assert!(agent.starts_with("twilio-verify-adapter/"), "{agent}");
    // The trust flow and validation are not sent.
    assert_eq!(body, "To=%2B15017122661&Channel=sms");
}

#[tokio::test]
async fn a_check_goes_by_the_verification_sid_when_the_reference_is_known() {
    let (url, request) = one_shot_server(raw_answer("200 OK", "application/json", CHECK_OK)).await;
    let reference = ReferenceId::parse("VEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").expect("valid");
    let result = client(&url)
        .check_code(&check_request("012345", Some(&reference)))
        .await
        .expect("the reference's example is a success");
    assert!(result.is_verified());
    let (lines, body) = split(&request.await.expect("a request"));
    assert_eq!(
        lines[0],
        format!("POST /v2/Services/{SERVICE}/VerificationCheck HTTP/1.1")
    );
    assert_eq!(
        body,
        "Code=012345&VerificationSid=VEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    );
}

#[tokio::test]
async fn a_check_without_a_reference_goes_by_the_number() {
    let (url, request) = one_shot_server(raw_answer("200 OK", "application/json", CHECK_OK)).await;
    client(&url)
        .check_code(&check_request("0042", None))
        .await
        .expect("success");
    let (_, body) = split(&request.await.expect("a request"));
    assert_eq!(body, "Code=0042&To=%2B15017122661");
}

#[tokio::test]
async fn an_api_key_authenticates_as_its_sid_and_secret() {
    let (url, request) =
        one_shot_server(raw_answer("201 Created", "application/json", SEND_OK)).await;
    TwilioClient::builder()
        .base_url(&url)
        .allow_plain_http(true)
        .service_sid(SERVICE)
        .api_key(
            SecretString::from(API_KEY),
            SecretString::from("exact-key-secret"),
        )
        .build()
        .expect("valid")
        .send_code(&send_request("+15017122661"))
        .await
        .expect("success");
    let (lines, _) = split(&request.await.expect("a request"));
    // base64("SK0123456789abcdef0123456789abcdef:exact-key-secret")
    assert_eq!(
        header(&lines, "authorization"),
        Some("Basic U0swMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjpleGFjdC1rZXktc2VjcmV0")
    );
}
