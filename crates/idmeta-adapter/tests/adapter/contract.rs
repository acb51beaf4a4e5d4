//! The adapter under the gateway contract (`phone_verify_sim::contract`), one test per case,
//! each against a simulator of its own playing IDMeta.

use std::time::Duration;

use idmeta_adapter::{IdmetaClient, RetryPolicy, SecretString};
use phone_verify_domain::VerificationGateway;
use phone_verify_sim::contract::{
    ContractTarget, Credentials, ErrorBody, GatewaySetup, Retries, ServerAnswer, SimulatedProvider,
};

/// `IdmetaClient` as the contract builds it.
struct Idmeta;

impl ContractTarget for Idmeta {
    fn provider(&self) -> SimulatedProvider {
        SimulatedProvider::Idmeta
    }

    /// IDMeta's own JSON 503: its reference counts an answer its API produced before
    /// processing as "not sent" (`docs/provider-api.md`, "503 by evidence").
    fn documented_unprocessed(&self) -> &'static [ServerAnswer] {
        &[ServerAnswer {
            status: 503,
            body: ErrorBody::Provider,
        }]
    }

    fn gateway(&self, setup: &GatewaySetup<'_>) -> Box<dyn VerificationGateway> {
        let token = match setup.credentials {
            Credentials::Accepted => setup.sim.idmeta_token(),
            Credentials::Refused => "not-the-token",
        };
        let retry = match setup.retries {
            Retries::AsShipped => RetryPolicy::default(),
            Retries::RetryAfterUpTo(ceiling) => RetryPolicy::default().retry_after_ceiling(ceiling),
        };
        Box::new(
            IdmetaClient::builder()
                .trust_flow(idmeta_adapter::TrustFlowId::new(147))
                .base_url(setup.base_url.as_str())
                .allow_plain_http(true)
                .token(SecretString::from(token))
                .request_timeout(setup.request_timeout)
                .retry_policy(retry.delays(Duration::from_millis(1), Duration::from_millis(5)))
                .build()
                .expect("a valid configuration"),
        )
    }
}

phone_verify_sim::gateway_contract_tests!(Idmeta);
