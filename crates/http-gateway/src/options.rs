//! The settings every adapter's builder shares, the setters that write them, and the checks
//! that turn them into a [`Caller`].

use reqwest::Url;
use reqwest::header::HeaderValue;

use crate::{Adapter, Caller, HttpConfigError, Limits, RetryPolicy, validate_base_url};

/// The HTTP settings of an adapter's builder: limits, the plain-HTTP opt-in, the retry policy.
/// An adapter's builder holds one (its default is every adapter's default), gets its setters
/// from [`http_option_setters!`], and at `build()` checks its base URL with
/// [`HttpOptions::base_url`] and makes its [`Caller`] with [`HttpOptions::caller`], so no
/// adapter re-implements a default or a check.
///
/// ```
/// use phone_verify_http::{Adapter, HttpOptions};
/// use reqwest::header::HeaderValue;
///
/// const ADAPTER: Adapter = Adapter {
///     provider: "example",
///     user_agent: phone_verify_http::user_agent!(),
///     error_code: None,
/// };
/// let options = HttpOptions::default();
/// let base_url = options.base_url("https://api.example/v1")?;
/// let caller = options.caller(ADAPTER, base_url, HeaderValue::from_static("Bearer t0k3n"))?;
/// assert_eq!(caller.endpoint("send")?.as_str(), "https://api.example/v1/send");
/// assert!(!format!("{caller:?}").contains("t0k3n"));
/// # Ok::<(), phone_verify_http::HttpConfigError>(())
/// ```
///
/// [`http_option_setters!`]: crate::http_option_setters
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HttpOptions {
    /// Timeouts and the response size cap.
    pub limits: Limits,
    /// Whether a plain `http://` base URL is allowed (a local simulator only).
    pub allow_plain_http: bool,
    /// The retry policy.
    pub retry: RetryPolicy,
}

impl HttpOptions {
    /// Checks `raw` as a base URL under these options ([`validate_base_url`], plain HTTP only
    /// when allowed), normalised with a trailing `/`.
    ///
    /// # Errors
    ///
    /// [`HttpConfigError::BaseUrl`] naming the problem.
    pub fn base_url(&self, raw: &str) -> Result<Url, HttpConfigError> {
        Ok(validate_base_url(raw, self.allow_plain_http)?)
    }

    /// Checks the limits and builds the adapter's [`Caller`]: its connection pool (HTTPS only
    /// unless `base_url` is plain HTTP, which [`HttpOptions::base_url`] allowed), under
    /// `adapter`'s user agent, sending `authorization` (marked sensitive: never printed) with
    /// every request.
    ///
    /// # Errors
    ///
    /// [`HttpConfigError::ZeroLimit`] naming the first zero limit, or
    /// [`HttpConfigError::Client`] when the TLS backend cannot be initialised.
    pub fn caller(
        &self,
        adapter: Adapter,
        base_url: Url,
        authorization: HeaderValue,
    ) -> Result<Caller, HttpConfigError> {
        self.limits.validate()?;
        Caller::new(adapter, self.limits, self.retry, base_url, authorization)
    }
}

/// Writes, inside an adapter builder's `impl` block, the setters of its [`HttpOptions`] field
/// (`connect_timeout`, `request_timeout`, `total_timeout`, `max_response_bytes`,
/// `allow_plain_http`, `retry_policy`), so every adapter offers the same ones with the same documentation. The
/// adapter must have `DEFAULT_CONNECT_TIMEOUT`, `DEFAULT_REQUEST_TIMEOUT`,
/// `DEFAULT_MAX_RESPONSE_BYTES` and `RetryPolicy` at its root, for the documentation's links.
///
/// [`HttpOptions`]: crate::HttpOptions
#[macro_export]
macro_rules! http_option_setters {
    ($field:ident) => {
        /// Time one attempt may take to open its connection (TCP and TLS). Default
        /// [`DEFAULT_CONNECT_TIMEOUT`].
        ///
        /// [`DEFAULT_CONNECT_TIMEOUT`]: crate::DEFAULT_CONNECT_TIMEOUT
        pub fn connect_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$field.limits.connect_timeout = timeout;
            self
        }

        /// Time one attempt may take, from opening its connection to the last byte of the
        /// answer. A call may make several attempts (the retry policy), within
        /// [`total_timeout`](Self::total_timeout). Default [`DEFAULT_REQUEST_TIMEOUT`].
        ///
        /// [`DEFAULT_REQUEST_TIMEOUT`]: crate::DEFAULT_REQUEST_TIMEOUT
        pub fn request_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$field.limits.request_timeout = timeout;
            self
        }

        /// Time one call may take in all: its attempts and the waits between them. A retry
        /// starts only when a whole request timeout still fits in what is left (the first
        /// attempt always starts), so a call that cannot reach the provider gives up within
        /// this when it is at least the request timeout. Default: twice the request timeout.
        pub fn total_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$field.limits.total_timeout = ::std::option::Option::Some(timeout);
            self
        }

        /// Cap on a response body; reading stops there with
        /// [`phone_verify_domain::GatewayError::InvalidResponse`]. Default
        /// [`DEFAULT_MAX_RESPONSE_BYTES`].
        ///
        /// [`DEFAULT_MAX_RESPONSE_BYTES`]: crate::DEFAULT_MAX_RESPONSE_BYTES
        pub fn max_response_bytes(mut self, bytes: usize) -> Self {
            self.$field.limits.max_response_bytes = bytes;
            self
        }

        /// Allows a plain `http://` base URL. Only for a local simulator: the credentials
        /// would travel in clear text.
        pub fn allow_plain_http(mut self, allow: bool) -> Self {
            self.$field.allow_plain_http = allow;
            self
        }

        /// The retry policy. Default [`RetryPolicy::default`]: only requests that provably
        /// never left are retried.
        ///
        /// [`RetryPolicy::default`]: crate::RetryPolicy::default
        pub fn retry_policy(mut self, policy: $crate::RetryPolicy) -> Self {
            self.$field.retry = policy;
            self
        }
    };
}
