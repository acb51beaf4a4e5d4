//! # phone-verify-http
//!
//! The HTTP plumbing that every provider adapter of phone-verify shares, so that each adapter
//! (`idmeta-adapter`, `twilio-verify-adapter`) holds only its provider's wire format and
//! classification. It sits beside the adapters in the outer ring of the hexagon: it depends on
//! [`phone_verify_domain`] for [`GatewayError`], and `domain` stays free of HTTP.
//!
//! What it gives an adapter:
//! - [`Caller`]: the one call loop of every adapter. [`Caller::post`] sends a body encoded
//!   once ([`RequestBody`]: JSON or a form) with the adapter's credentials, retries under the
//!   policy within the call's budget, logs each attempt, records the status (and the
//!   provider's error code, [`ErrorCode`]) into the call's span, classifies the answer with
//!   the adapter's pure function, and closes the span with the outcome. Every call's span is
//!   opened by [`call_span!`], which declares its fields once and records what the request
//!   says (and the loop what the answer says, [`Recorded`]: a send's reference, a check's
//!   code state), the number always masked. An adapter declares itself once ([`Adapter`]:
//!   its name, [`user_agent!`], its error code).
//! - [`HttpOptions`] and [`http_option_setters!`]: the builder settings every adapter offers,
//!   with one set of setters and one default; [`HttpOptions::base_url`] and
//!   [`HttpOptions::caller`] check them and build the [`Caller`], every refusal an
//!   [`HttpConfigError`] that each adapter's configuration error wraps whole.
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
//! - `testing` (feature `test-util`): what the table tests of every adapter's classifier share.
//!
//! [`GatewayError`]: phone_verify_domain::GatewayError
//! [`GatewayError::NotSent`]: phone_verify_domain::GatewayError::NotSent
//! [`GatewayError::OutcomeUnknown`]: phone_verify_domain::GatewayError::OutcomeUnknown
//! [`GatewayError::InvalidResponse`]: phone_verify_domain::GatewayError::InvalidResponse

mod base_url;
mod call;
mod config;
mod handover;
mod options;
mod retry;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;
mod transport;
mod unreadable;

pub use base_url::{BaseUrlError, validate_base_url};
pub use call::{Adapter, Caller, ErrorCode, Recorded, RequestBody};
pub use config::{ClientBuildError, HttpConfigError};
pub use options::HttpOptions;
pub use retry::{CallBudget, RetryPolicy, retrying};
pub use transport::{
    Answer, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT, Limits,
    LimitsError, RawAnswer, Transport, parse_retry_after,
};
pub use unreadable::{BodyFault, Unreadable, parse_timestamp};

/// What this crate's macros expand to; not part of its API.
#[doc(hidden)]
pub mod __private {
    pub use tracing;
}
