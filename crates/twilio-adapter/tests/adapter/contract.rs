//! The adapter under the gateway contract (`phone_verify_sim::contract`), one test per case,
//! each against a simulator of its own playing Twilio Verify.

use std::time::Duration;

use phone_verify_domain::VerificationGateway;
use phone_verify_sim::contract::{
    ContractTarget, Credentials, GatewaySetup, Retries, ServerAnswer, SimulatedProvider,
};
use twilio_verify_adapter::{RetryPolicy, SecretString, TwilioClient};

/// `TwilioClient` as the contract builds it.
struct Twilio;

impl ContractTarget for Twilio {
    fn provider(&self) -> SimulatedProvider {
        SimulatedProvider::Twilio
    }

    /// None: Twilio documents only a 429 as never processed, and says a 5xx on a send may have
    /// delivered (`docs/provider-api.md`, "503 by evidence").
    fn documented_unprocessed(&self) -> &'static [ServerAnswer] {
        &[]
    }

    fn gateway(&self, setup: &GatewaySetup<'_>) -> Box<dyn VerificationGateway> {
        let (user, secret) = setup.sim.twilio_credentials();
        let secret = match setup.credentials {
            Credentials::Accepted => secret,
            Credentials::Refused => "not-the-auth-token",
        };
        let retry = match setup.retries {
            Retries::AsShipped => RetryPolicy::default(),
            Retries::RetryAfterUpTo(ceiling) => RetryPolicy::default().retry_after_ceiling(ceiling),
        };
        Box::new(
            TwilioClient::builder()
                .base_url(setup.base_url.as_str())
                .allow_plain_http(true)
                .service_sid(setup.sim.twilio_service_sid())
                .account_credentials(SecretString::from(user), SecretString::from(secret))
                .request_timeout(setup.request_timeout)
                .retry_policy(retry.delays(Duration::from_millis(1), Duration::from_millis(5)))
                .build()
                .expect("a valid configuration"),
        )
    }
}

phone_verify_sim::gateway_contract_tests!(Twilio);
