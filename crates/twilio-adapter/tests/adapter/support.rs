use std::time::Duration;

use chrono::{TimeZone, Utc};
use phone_verify_domain::{
    CheckCodeRequest, OtpCode, PhoneNumber, ReferenceId, SendCodeRequest, TrustValidationId,
};
use phone_verify_sim::{
    DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_SERVICE_SID, SimClock, SimConfig, Simulator,
};
use twilio_verify_adapter::{RetryPolicy, SecretString, TwilioClient};

pub(crate) const AUTH_TOKEN: &str = "twilio-test-token-7c41";
pub(crate) const TO: &str = "+15017122661";
pub(crate) const TIMEOUT: Duration = Duration::from_millis(400);

/// A simulator on a manual clock that accepts our credentials.
pub(crate) async fn simulator() -> Simulator {
    let start = Utc
        .with_ymd_and_hms(2026, 5, 14, 10, 0, 0)
        .single()
        .expect("a time");
    phone_verify_sim::start(
        SimConfig::default()
            .twilio_credentials(DEFAULT_TWILIO_ACCOUNT_SID, AUTH_TOKEN)
            .clock(SimClock::manual(start)),
    )
    .await
    .expect("the simulator starts")
}

pub(crate) fn client(sim: &Simulator) -> TwilioClient {
    builder(&sim.base_url())
        .retry_policy(
            RetryPolicy::default().delays(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .expect("a valid configuration")
}

/// A builder for `base_url` with the simulator's Service and our credentials.
pub(crate) fn builder(base_url: &str) -> twilio_verify_adapter::TwilioClientBuilder {
    TwilioClient::builder()
        .base_url(base_url)
        .allow_plain_http(true)
        .service_sid(DEFAULT_TWILIO_SERVICE_SID)
        .account_credentials(
            SecretString::from(DEFAULT_TWILIO_ACCOUNT_SID),
            SecretString::from(AUTH_TOKEN),
        )
        .request_timeout(TIMEOUT)
}

pub(crate) fn send_request(e164: &str) -> SendCodeRequest {
    SendCodeRequest::new(
        PhoneNumber::parse(e164).expect("a valid number"),
        TrustValidationId::parse("tv-twilio").expect("a valid id"),
    )
}

/// A check by the send's reference, or by the number when there is none.
pub(crate) fn check_request(code: &str, reference: Option<&ReferenceId>) -> CheckCodeRequest {
    CheckCodeRequest {
        code: OtpCode::parse(code).expect("a valid code"),
        trust_validation: TrustValidationId::parse("tv-twilio").expect("a valid id"),
        reference: reference.cloned(),
        phone: Some(PhoneNumber::parse(TO).expect("a valid number")),
    }
}

/// A code that is not `code`.
pub(crate) fn wrong(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}
