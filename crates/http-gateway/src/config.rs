//! Why an adapter's HTTP settings were refused: the part of every adapter's configuration error
//! that this crate checks, one shape for all of them.

use crate::{BaseUrlError, LimitsError};

/// Why the HTTP settings of an adapter's builder were refused: its base URL, a limit, or the
/// client itself. Each adapter's configuration error wraps it whole, as its `Http` variant
/// (shown as this is), so the shared settings fail the same way at every provider.
///
/// `#[non_exhaustive]`: read through `Display` or matched with a wildcard, never mapped
/// variant by variant.
///
/// ```
/// use phone_verify_http::{BaseUrlError, HttpConfigError, HttpOptions};
///
/// let error = HttpOptions::default().base_url("http://127.0.0.1:8080").unwrap_err();
/// assert!(matches!(error, HttpConfigError::BaseUrl(BaseUrlError::InsecureScheme)));
/// assert!(error.to_string().contains("allow_plain_http(true)"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpConfigError {
    /// The base URL is malformed, not one credentials may be sent to, or plain HTTP without
    /// the opt-in.
    #[error(transparent)]
    BaseUrl(#[from] BaseUrlError),
    /// A timeout or limit is zero.
    #[error(transparent)]
    ZeroLimit(#[from] LimitsError),
    /// The HTTP client could not be built (TLS backend initialisation).
    #[error(transparent)]
    Client(#[from] ClientBuildError),
}

/// The HTTP client could not be built (the TLS backend could not be initialised). The HTTP
/// library's own error is its [`source`](std::error::Error::source), not part of this crate's
/// API.
#[derive(Debug, thiserror::Error)]
#[error("the HTTP client could not be built")]
pub struct ClientBuildError {
    #[source]
    source: reqwest::Error,
}

impl ClientBuildError {
    pub(crate) fn new(source: reqwest::Error) -> Self {
        Self { source }
    }
}
