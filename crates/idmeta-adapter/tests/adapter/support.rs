use std::time::Duration;

use idmeta_adapter::{IdmetaClient, RetryPolicy, SecretString};
use phone_verify_domain::{
    CheckCodeRequest, OtpCode, PhoneNumber, SendCodeRequest, TrustValidationId,
};
use phone_verify_sim::{SimConfig, Simulator};

pub(crate) const TOKEN: &str = "adapter-test-token-5f2c";
pub(crate) const TIMEOUT: Duration = Duration::from_millis(400);

pub(crate) async fn simulator() -> Simulator {
    simulator_with(SimConfig::default()).await
}

pub(crate) async fn simulator_with(config: SimConfig) -> Simulator {
    phone_verify_sim::start(config.idmeta_token(TOKEN))
        .await
        .expect("the simulator starts")
}

pub(crate) fn client(sim: &Simulator) -> IdmetaClient {
    IdmetaClient::builder()
        .trust_flow(idmeta_adapter::TrustFlowId::new(147))
        .base_url(sim.base_url())
        .allow_plain_http(true)
        .token(SecretString::from(TOKEN))
        .request_timeout(TIMEOUT)
        .retry_policy(
            RetryPolicy::default().delays(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .expect("a valid configuration")
}

fn phone(e164: &str) -> PhoneNumber {
    PhoneNumber::parse(e164).expect("a valid number")
}

pub(crate) fn send_request(e164: &str, trust_validation: &str) -> SendCodeRequest {
    SendCodeRequest::new(
        phone(e164),
        TrustValidationId::parse(trust_validation).expect("a valid id"),
    )
}

pub(crate) fn check_request(code: &str, trust_validation: &str) -> CheckCodeRequest {
    CheckCodeRequest {
        code: OtpCode::parse(code).expect("a valid code"),
        trust_validation: TrustValidationId::parse(trust_validation).expect("a valid id"),
        reference: None,
        phone: None,
    }
}
