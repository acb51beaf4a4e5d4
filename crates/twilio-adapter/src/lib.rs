//! # twilio-verify-adapter
//!
//! The adapter that implements the domain's [`VerificationGateway`] port over HTTP against
//! Twilio Verify v2: the port's second implementation, beside `idmeta-adapter`. It is an outer
//! ring of the hexagon: it depends on [`phone_verify_domain`] and on `phone-verify-http` (the
//! HTTP plumbing both adapters share), and nothing depends on it except composition roots.
//!
//! What it promises:
//! - Requests are `application/x-www-form-urlencoded` with Twilio's PascalCase fields. A send
//!   is `To` and `Channel` (the request's [`Channel`]: `sms`, `call` or `whatsapp`), then
//!   `Locale` when the request or the client ([`TwilioClientBuilder::locale`]) has one, and
//!   `AppHash` when the request or the client ([`TwilioClientBuilder::app_hash`]) has one and
//!   the channel is SMS (Twilio refuses it on another channel, so a call or WhatsApp send goes
//!   out without it); the request's values win over the client's. A check is `Code` with
//!   `VerificationSid`, or `To` when the send's reference is unknown. The Trust Flow and Trust
//!   Validation are not sent: the Verify Service plays the flow's role, and the validation
//!   stays the application's own correlation key.
//! - Its [`ProviderRules`] declare one pending verification per number, the channels SMS,
//!   call and WhatsApp, and that the locale and app hash are honoured.
//! - HTTP Basic with an Account SID + Auth Token or an API key SID + secret, both halves
//!   [`secrecy::SecretString`], sent only over HTTPS (plain HTTP only when explicitly allowed,
//!   for a local simulator), never to a redirect target, never shown by `Debug` or in traces.
//! - Every failure is a [`GatewayError`] that says whether the SMS may have gone out; only what
//!   provably never left is retried by default ([`RetryPolicy`]).
//! - The mapping onto the port (`docs/provider-api.md`): the reference is the verification's
//!   `sid`, `submitted_at` its `date_created`; a wrong code is an `Ok` answer with
//!   [`CodeState::Invalid`]; 60202 on a check is an `Ok` answer with
//!   [`CodeState::MaxAttemptsExceeded`]; a 404 on a check is [`RejectionKind::NotFound`], which
//!   the application reads as "no pending code"; 60203, 60212 and 20429 are
//!   [`GatewayError::RateLimited`] with `Retry-After` honoured when the policy opts in.
//! - One `tracing` span per call with the operation, masked phone, trust validation,
//!   reference, HTTP status, Twilio error code, attempts and latency; never the credentials, the
//!   full number or the code.
//!
//! ```no_run
//! use std::sync::Arc;
//! use phone_verify_domain::VerificationGateway;
//! use twilio_verify_adapter::{SecretString, TwilioClient};
//!
//! # fn main() -> Result<(), twilio_verify_adapter::TwilioConfigError> {
//! let env = |name| SecretString::from(std::env::var(name).unwrap_or_default());
//! let gateway: Arc<dyn VerificationGateway> = Arc::new(
//!     TwilioClient::builder()
//!         .service_sid(std::env::var("TWILIO_VERIFY_SERVICE_SID").unwrap_or_default())
//!         .api_key(env("TWILIO_API_KEY_SID"), env("TWILIO_API_KEY_SECRET"))
//!         .build()?,
//! );
//! # Ok(()) }
//! ```
//!
//! [`VerificationGateway`]: phone_verify_domain::VerificationGateway
//! [`Channel`]: phone_verify_domain::Channel
//! [`ProviderRules`]: phone_verify_domain::ProviderRules
//! [`GatewayError`]: phone_verify_domain::GatewayError
//! [`GatewayError::RateLimited`]: phone_verify_domain::GatewayError::RateLimited
//! [`RejectionKind::NotFound`]: phone_verify_domain::RejectionKind::NotFound
//! [`CodeState::Invalid`]: phone_verify_domain::CodeState::Invalid
//! [`CodeState::MaxAttemptsExceeded`]: phone_verify_domain::CodeState::MaxAttemptsExceeded

mod classify;
mod client;
mod config;
mod wire;

/// The provider's name in metrics (`provider` label) and logs: `twilio`.
pub const PROVIDER: &str = "twilio";

pub use client::TwilioClient;
pub use config::{
    DEFAULT_BASE_URL, DEFAULT_VERIFICATION_LIFETIME, TwilioClientBuilder, TwilioConfigError,
    VERIFICATION_LIFETIME_RANGE,
};
pub use phone_verify_http::{
    BaseUrlError, ClientBuildError, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_REQUEST_TIMEOUT, HttpConfigError, LimitsError, RetryPolicy,
};
pub use secrecy::SecretString;
