//! # idmeta-adapter
//!
//! The adapter that implements the domain's [`VerificationGateway`] port over HTTP against
//! IDMeta's phone verification API (v3). It is an outer ring of the hexagon: it depends on
//! [`phone_verify_domain`], and nothing depends on it except composition roots (the CLI,
//! examples, tests).
//!
//! What it promises:
//! - The token is a [`secrecy::SecretString`], sent only over HTTPS (plain HTTP only when
//!   explicitly allowed, for a local simulator), never to a redirect target, and never shown by
//!   `Debug` or in traces.
//! - Every failure is a [`GatewayError`] that says whether the SMS may have gone out: a
//!   connection never made or never completed (whichever timeout fired) is `NotSent`, a timeout
//!   or a cut after the request was handed to a connection is `OutcomeUnknown`. Only the former
//!   is retried by default ([`RetryPolicy`]).
//! - Answers are read up to a size cap and classified by one pure function per operation.
//! - The HTTP plumbing (base-URL rules, the client, capped reads, the "never left" decision,
//!   retries) is `phone-verify-http`'s, shared with the other provider adapters.
//! - One `tracing` span per call with the operation, masked phone, trust flow and validation,
//!   reference, HTTP status, attempts and latency; never the token, the full number or the code.
//! - Each retry is counted through the `metrics` facade, as
//!   `phone_verify_retries_total{provider="idmeta", class}` (`docs/operations.md`); the use
//!   cases time the calls themselves.
//!
//! ```no_run
//! use std::sync::Arc;
//! use idmeta_adapter::IdmetaClient;
//! use phone_verify_domain::VerificationGateway;
//! use secrecy::SecretString;
//!
//! # fn main() -> Result<(), idmeta_adapter::IdmetaConfigError> {
//! let gateway: Arc<dyn VerificationGateway> = Arc::new(
//!     IdmetaClient::builder()
//!         .trust_flow(idmeta_adapter::TrustFlowId::new(147))
//!         .environment("integrate")
//!         .token(SecretString::from(std::env::var("IDMETA_API_TOKEN").unwrap_or_default()))
//!         .build()?,
//! );
//! # Ok(()) }
//! ```
//!
//! [`VerificationGateway`]: phone_verify_domain::VerificationGateway
//! [`GatewayError`]: phone_verify_domain::GatewayError

mod classify;
mod client;

/// The provider's name in the metrics this adapter emits (the `provider` label of
/// `phone_verify_retries_total`), and the name to give the use cases' `Wiring` for it.
pub const PROVIDER: &str = "idmeta";
mod config;
mod vocabulary;
mod wire;

/// The pure answer decoder, for the fuzz targets in `fuzz/` (feature `fuzzing`); not a stable
/// API.
#[cfg(feature = "fuzzing")]
pub mod fuzzing {
    use std::time::SystemTime;

    use phone_verify_domain::{CheckResult, GatewayError, SendReceipt};

    use phone_verify_http::Answer;

    use crate::classify::{classify_check, classify_send};

    /// Classifies an answer to a send, as the client does, as if it arrived at the Unix epoch
    /// (a `Retry-After` date is a wait from then).
    ///
    /// # Errors
    ///
    /// The [`GatewayError`] the answer stands for.
    pub fn decode_send(
        status: u16,
        retry_after: Option<&str>,
        body: &[u8],
    ) -> Result<SendReceipt, GatewayError> {
        classify_send(Answer {
            status,
            retry_after,
            body,
            received_at: SystemTime::UNIX_EPOCH,
        })
    }

    /// Classifies an answer to a check, as the client does, as if it arrived at the Unix epoch.
    ///
    /// # Errors
    ///
    /// The [`GatewayError`] the answer stands for.
    pub fn decode_check(
        status: u16,
        retry_after: Option<&str>,
        body: &[u8],
    ) -> Result<CheckResult, GatewayError> {
        let answer = Answer {
            status,
            retry_after,
            body,
            received_at: SystemTime::UNIX_EPOCH,
        };
        classify_check(answer, crate::wire::Asked::NOTHING)
    }
}

pub use client::{IdmetaClient, SEND_PATH, VERIFY_PATH};
pub use config::{IdmetaClientBuilder, IdmetaConfigError};

/// The former name of [`IdmetaConfigError`], from before IDMeta's names said so.
#[deprecated(since = "0.1.0", note = "renamed IdmetaConfigError")]
pub type ClientConfigError = IdmetaConfigError;
pub use phone_verify_domain::TrustFlowId;
pub use phone_verify_http::{
    BaseUrlError, ClientBuildError, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_REQUEST_TIMEOUT, HttpConfigError, LimitsError, RetryPolicy,
};
pub use secrecy::SecretString;
