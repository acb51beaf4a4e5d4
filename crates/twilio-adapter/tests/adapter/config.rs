//! The builder refuses every invalid setting with a typed error, and never shows a secret.

use std::time::Duration;

use twilio_verify_adapter::{
    BaseUrlError, HttpConfigError, SecretString, TwilioClient, TwilioClientBuilder,
    TwilioConfigError,
};

const SERVICE: &str = "VA0123456789abcdef0123456789abcdef";
const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const API_KEY: &str = "SK0123456789abcdef0123456789abcdef";

fn secret(value: &str) -> SecretString {
    SecretString::from(value)
}

fn valid() -> TwilioClientBuilder {
    TwilioClient::builder()
        .service_sid(SERVICE)
        .account_credentials(secret(ACCOUNT), secret("auth-token-5e1f"))
}

/// Whether an error is the one a case expects.
type Expected = fn(&TwilioConfigError) -> bool;

#[test]
fn every_invalid_setting_is_refused_with_its_own_error() {
    let cases: Vec<(TwilioClientBuilder, Expected)> = vec![
        (
            TwilioClient::builder().account_credentials(secret(ACCOUNT), secret("t")),
            |e| matches!(e, TwilioConfigError::MissingServiceSid),
        ),
        (valid().service_sid("VA123"), |e| {
            matches!(e, TwilioConfigError::InvalidServiceSid)
        }),
        (valid().service_sid(API_KEY), |e| {
            matches!(e, TwilioConfigError::InvalidServiceSid)
        }),
        (TwilioClient::builder().service_sid(SERVICE), |e| {
            matches!(e, TwilioConfigError::MissingCredentials)
        }),
        (valid().api_key(secret(API_KEY), secret("s")), |e| {
            matches!(e, TwilioConfigError::ConflictingCredentials)
        }),
        (
            TwilioClient::builder()
                .service_sid(SERVICE)
                .account_credentials(secret(API_KEY), secret("t")),
            |e| matches!(e, TwilioConfigError::InvalidAccountSid),
        ),
        (
            TwilioClient::builder()
                .service_sid(SERVICE)
                .api_key(secret(ACCOUNT), secret("s")),
            |e| matches!(e, TwilioConfigError::InvalidApiKeySid),
        ),
        (
            TwilioClient::builder()
                .service_sid(SERVICE)
                .account_credentials(secret(ACCOUNT), secret("  ")),
            |e| matches!(e, TwilioConfigError::InvalidSecret),
        ),
        (
            TwilioClient::builder()
                .service_sid(SERVICE)
                .account_credentials(secret(ACCOUNT), secret("two words")),
            |e| matches!(e, TwilioConfigError::InvalidSecret),
        ),
        (valid().base_url("http://127.0.0.1:1"), |e| {
            matches!(
                e,
                TwilioConfigError::Http(HttpConfigError::BaseUrl(BaseUrlError::InsecureScheme))
            )
        }),
        (valid().base_url("https://user:pw@proxy.example"), |e| {
            matches!(
                e,
                TwilioConfigError::Http(HttpConfigError::BaseUrl(BaseUrlError::Invalid { .. }))
            )
        }),
        (valid().request_timeout(Duration::ZERO), |e| {
            matches!(e, TwilioConfigError::Http(HttpConfigError::ZeroLimit(_)))
        }),
        (valid().max_response_bytes(0), |e| {
            matches!(e, TwilioConfigError::Http(HttpConfigError::ZeroLimit(_)))
        }),
    ];
    for (builder, expected) in cases {
        let shown = format!("{builder:?}");
        let error = builder.build().expect_err(&shown);
        assert!(expected(&error), "{shown}: {error:?}");
        let text = format!("{error} {error:?} {shown}");
        assert!(!text.contains("auth-token-5e1f"), "{text}");
        assert!(!text.contains(ACCOUNT), "{text}");
    }
}

#[test]
fn a_valid_configuration_builds_and_hides_its_credentials() {
    let client = valid()
        .base_url("https://proxy.example/twilio")
        .build()
        .expect("valid");
    assert_eq!(client.base_url().as_str(), "https://proxy.example/twilio/");
    assert_eq!(client.service_sid(), SERVICE);
    let shown = format!("{client:?}");
    assert!(
        !shown.contains("auth-token-5e1f") && !shown.contains(ACCOUNT),
        "{shown}"
    );
    // Plain HTTP only when allowed.
    assert!(
        valid()
            .base_url("http://127.0.0.1:1")
            .allow_plain_http(true)
            .build()
            .is_ok()
    );
}

#[test]
fn the_rules_offer_sms_call_and_whatsapp_and_honour_the_locale() {
    use phone_verify_domain::{Channel, VerificationGateway};
    let rules = valid().build().expect("valid").rules();
    assert_eq!(
        rules.channels.iter().collect::<Vec<_>>(),
        [Channel::Sms, Channel::Call, Channel::WhatsApp]
    );
    assert!(rules.honours_locale);
}
