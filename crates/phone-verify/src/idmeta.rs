//! The IDMeta v3 adapter (feature `idmeta`, on by default): the [`crate::VerificationGateway`]
//! over HTTPS that [`crate::PhoneVerificationBuilder::idmeta`] builds.
//!
//! Configure it with [`IdmetaClient::builder`]: the environment (`integrate` for IDMeta's
//! staging), the token as a [`SecretString`], timeouts, the response size cap and the
//! [`RetryPolicy`] (only requests that provably never left are retried).
//!
//! ```
//! use phone_verify::idmeta::{IdmetaClient, SecretString};
//!
//! let client = IdmetaClient::builder()
//!     .trust_flow(phone_verify::idmeta::TrustFlowId::new(147))
//!     .environment("integrate")
//!     .token(SecretString::from("token-from-your-secret-store"));
//! # let _ = client;
//! ```

pub use idmeta_adapter::*;
