//! The IDMeta v3 adapter (feature `idmeta`, on by default): the
//! [`crate::ports::VerificationGateway`] over HTTPS that
//! [`crate::PhoneVerificationBuilder::idmeta`] builds.
//!
//! Configure it with [`IdmetaClient::builder`]: the Trust Flow ([`TrustFlowId`], required),
//! the environment (`integrate` for IDMeta's staging), the token as a [`SecretString`],
//! timeouts, the response size cap and the [`RetryPolicy`] (only requests that provably never
//! left are retried).
//!
//! ```
//! use phone_verify::idmeta::{IdmetaClient, SecretString, TrustFlowId};
//!
//! let client = IdmetaClient::builder()
//!     .trust_flow(TrustFlowId::new(147))
//!     .environment("integrate")
//!     .token(SecretString::from("token-from-your-secret-store"));
//! # let _ = client;
//! ```

pub use idmeta_adapter::{
    BaseUrlError, ClientBuildError, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_REQUEST_TIMEOUT, HttpConfigError, IdmetaClient, IdmetaClientBuilder, IdmetaConfigError,
    LimitsError, RetryPolicy, SecretString, TrustFlowId,
};
