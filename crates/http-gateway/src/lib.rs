//! # phone-verify-http
//!
//! The HTTP plumbing that every provider adapter of phone-verify shares, so that each adapter
//! (`idmeta-adapter`, `twilio-verify-adapter`) holds only its provider's wire format and
//! classification. It sits beside the adapters in the outer ring of the hexagon: it depends on
//! [`phone_verify_domain`] for [`GatewayError`], and `domain` stays free of HTTP.
//!
//! What it gives an adapter:
//! - [`HttpOptions`] and [`http_option_setters!`]: the builder settings every adapter offers,
//!   with one set of setters; [`HttpOptions::base_url`] checks a base URL under them, and
//!   every refusal of them is an [`HttpConfigError`] that each adapter's configuration error
//!   wraps whole. [`record_outcome`], [`record_send`] and [`record_check`]: the end of every
//!   call's span.
//! - [`validate_base_url`]: the base-URL rules (HTTPS only unless plain HTTP is allowed, no
//!   user info, query or fragment, a trailing `/` so endpoint paths join below it).
//! - [`Transport`]: one pooled `reqwest` client that never follows a redirect, with a connect
//!   and a request timeout, whose [`Transport::exchange`] reads the answer under a size cap and
//!   says, on a transport failure, whether the request body ever reached a connection
//!   ([`GatewayError::NotSent`] when it provably did not, [`GatewayError::OutcomeUnknown`]
//!   otherwise).
//! - [`RetryPolicy`] and [`retrying`]: retries of only what provably never left (and, opt-in,
//!   of a rate limit with a short `Retry-After`), with jittered exponential backoff, within the
//!   call's time budget ([`CallBudget`], from [`Limits::total_timeout`]): no retry starts that
//!   could not end before it.
//! - [`Unreadable`]: why an answer could not be read (a body that does not decode, a field
//!   missing or contradicting another, a redirect, a body over the cap), the typed reason of
//!   every [`GatewayError::InvalidResponse`] the adapters and the transport return; it never
//!   quotes the answer.
//! - [`parse_retry_after`] and [`parse_timestamp`]: `Retry-After` in both of its forms, and an
//!   RFC 3339 field.
//!
//! [`GatewayError`]: phone_verify_domain::GatewayError
//! [`GatewayError::NotSent`]: phone_verify_domain::GatewayError::NotSent
//! [`GatewayError::OutcomeUnknown`]: phone_verify_domain::GatewayError::OutcomeUnknown
//! [`GatewayError::InvalidResponse`]: phone_verify_domain::GatewayError::InvalidResponse

mod base_url;
mod config;
mod handover;
mod options;
mod retry;
mod transport;
mod unreadable;

pub use base_url::{BaseUrlError, validate_base_url};
pub use config::{ClientBuildError, HttpConfigError};
pub use options::HttpOptions;
pub use retry::{CallBudget, RetryPolicy, record_check, record_outcome, record_send, retrying};
pub use transport::{
    Answer, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT, Limits,
    LimitsError, RawAnswer, Transport, parse_retry_after,
};
pub use unreadable::{BodyFault, Unreadable, parse_timestamp};
