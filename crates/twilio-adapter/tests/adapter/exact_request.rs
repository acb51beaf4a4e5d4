//! The exact bytes the adapter sends, recorded by a raw TCP server that answers with the
//! reference's own examples (`tests/fixtures/`, copied byte for byte).

use phone_verify_domain::{
    AppHash, Channel, Locale, ReferenceId, SendCodeRequest, VerificationGateway,
};
use phone_verify_sim::{one_shot_server, raw_answer};
use twilio_verify_adapter::{RetryPolicy, SecretString, TwilioClient, TwilioClientBuilder};

use crate::support::{check_request, send_request};

pub(crate) const SEND_OK: &str = include_str!("../fixtures/verification.json");
pub(crate) const CHECK_OK: &str = include_str!("../fixtures/verification_check.json");
const SERVICE: &str = "VA0123456789abcdef0123456789abcdef";
const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const API_KEY: &str = "SK0123456789abcdef0123456789abcdef";

pub(crate) fn client(url: &str) -> TwilioClient {
    builder(url).build().expect("valid")
}

fn builder(url: &str) -> TwilioClientBuilder {
    TwilioClient::builder()
        .base_url(url)
        .allow_plain_http(true)
        .service_sid(SERVICE)
        .account_credentials(
            SecretString::from(ACCOUNT),
            SecretString::from("exact-auth-token"),
        )
        .retry_policy(RetryPolicy::none())
}

/// The body a client, as `configure` sets it up, sends for `request`.
async fn sent_body(
    configure: impl FnOnce(TwilioClientBuilder) -> TwilioClientBuilder,
    request: &SendCodeRequest,
) -> String {
    let (url, recorded) =
        one_shot_server(raw_answer("201 Created", "application/json", SEND_OK)).await;
    let gateway = configure(builder(&url)).build().expect("valid");
    gateway.send_code(request).await.expect("a success");
    split(&recorded.await.expect("a request")).1
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

fn locale(tag: &str) -> Locale {
    Locale::parse(tag).expect("a valid locale")
}

fn app_hash(hash: &str) -> AppHash {
    AppHash::parse(hash).expect("a valid app hash")
}

#[tokio::test]
async fn a_call_and_a_whatsapp_send_name_their_channel() {
    for (channel, body) in [
        (Channel::Call, "To=%2B15017122661&Channel=call"),
        (Channel::WhatsApp, "To=%2B15017122661&Channel=whatsapp"),
    ] {
        let request = send_request("+15017122661").with_channel(channel);
        assert_eq!(sent_body(|builder| builder, &request).await, body);
    }
}

#[tokio::test]
async fn the_client_s_locale_and_app_hash_go_with_a_send_that_asks_for_none() {
    let configured = |builder: TwilioClientBuilder| {
        builder
            .locale(locale("ms"))
            .app_hash(app_hash("KRkY+kXZhTh"))
    };
    assert_eq!(
        sent_body(configured, &send_request("+15017122661")).await,
        "To=%2B15017122661&Channel=sms&Locale=ms&AppHash=KRkY%2BkXZhTh"
    );
}

#[tokio::test]
async fn the_request_s_locale_and_app_hash_win_over_the_client_s() {
    let configured = |builder: TwilioClientBuilder| {
        builder
            .locale(locale("ms"))
            .app_hash(app_hash("KRkY+kXZhTh"))
    };
    let request = send_request("+15017122661")
        .with_locale(locale("en-GB"))
        .with_app_hash(app_hash("He42w354ol9"));
    assert_eq!(
        sent_body(configured, &request).await,
        "To=%2B15017122661&Channel=sms&Locale=en-GB&AppHash=He42w354ol9"
    );
}

#[tokio::test]
async fn a_call_goes_out_in_the_asked_locale_without_the_app_hash() {
    let configured = |builder: TwilioClientBuilder| builder.app_hash(app_hash("KRkY+kXZhTh"));
    let request = send_request("+15017122661")
        .with_channel(Channel::Call)
        .with_locale(locale("en"))
        .with_app_hash(app_hash("He42w354ol9"));
    assert_eq!(
        sent_body(configured, &request).await,
        "To=%2B15017122661&Channel=call&Locale=en"
    );
}

#[test]
fn the_client_shows_its_locale_and_keeps_its_credentials_hidden() {
    let configured = builder("http://127.0.0.1:1")
        .locale(locale("pt-BR"))
        .build()
        .expect("valid");
    let shown = format!("{configured:?}");
    assert!(shown.contains("pt-BR"), "{shown}");
    assert!(!shown.contains("exact-auth-token"), "{shown}");
}
