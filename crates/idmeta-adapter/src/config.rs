//! Configuration of the client: where IDMeta is, how to authenticate, and the safety limits.

use std::fmt;

use phone_verify_domain::TrustFlowId;
use phone_verify_http::{HttpConfigError, HttpOptions};
use secrecy::SecretString;

/// Why a configuration was refused. Never contains the token.
///
/// Its HTTP part (base URL, limits, the client) is [`HttpConfigError`], shared with every
/// adapter: [`IdmetaConfigError::Http`].
///
/// ```
/// use idmeta_adapter::{BaseUrlError, IdmetaConfigError, HttpConfigError, IdmetaClient, SecretString};
///
/// let error = IdmetaClient::builder()
///     .trust_flow(idmeta_adapter::TrustFlowId::new(147))
///     .base_url("http://127.0.0.1:8080")
///     .token(SecretString::from("t0k3n"))
///     .build()
///     .unwrap_err();
/// assert!(matches!(
///     error,
///     IdmetaConfigError::Http(HttpConfigError::BaseUrl(BaseUrlError::InsecureScheme))
/// ));
/// assert!(error.to_string().contains("allow_plain_http(true)"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdmetaConfigError {
    /// Neither an environment subdomain nor a base URL was given.
    #[error("no IDMeta location: set an environment subdomain or a base URL")]
    MissingLocation,
    /// Both an environment subdomain and a base URL were given.
    #[error("set either an environment subdomain or a base URL, not both")]
    ConflictingLocation,
    /// No API token was given.
    #[error("no API token was given")]
    MissingToken,
    /// No Trust Flow was given: IDMeta asks for one on every request.
    #[error("no IDMeta Trust Flow was given")]
    MissingTrustFlow,
    /// The token is empty or holds characters not allowed in an HTTP header.
    #[error("the API token is empty or contains characters not allowed in an HTTP header")]
    InvalidToken,
    /// The subdomain is not one DNS label (1 to 63 of `a-z`, `0-9`, `-`, not at either end).
    #[error("the environment subdomain must be one DNS label (letters, digits, '-')")]
    InvalidSubdomain,
    /// The HTTP settings every adapter shares were refused: the base URL (malformed, or plain
    /// HTTP without `allow_plain_http(true)`), a zero limit, or the client itself.
    #[error(transparent)]
    Http(#[from] HttpConfigError),
}

/// Where IDMeta is.
#[derive(Clone, PartialEq, Eq)]
enum Location {
    Subdomain(String),
    BaseUrl(String),
}

/// Builds an [`crate::IdmetaClient`]. Every setting has a safe default except the location
/// and the token; [`IdmetaClientBuilder::build`] validates everything and never panics.
///
/// ```
/// use idmeta_adapter::IdmetaClient;
/// use secrecy::SecretString;
///
/// let client = IdmetaClient::builder()
///     .trust_flow(idmeta_adapter::TrustFlowId::new(147))
///     .environment("integrate")
///     .token(SecretString::from("my-api-token"))
///     .build()?;
/// assert_eq!(client.base_url().as_str(), "https://integrate.idmetagroup.com/");
/// assert!(!format!("{client:?}").contains("my-api-token"));
/// # Ok::<(), idmeta_adapter::IdmetaConfigError>(())
/// ```
#[derive(Clone, Default)]
pub struct IdmetaClientBuilder {
    subdomain: Option<String>,
    base_url: Option<String>,
    token: Option<SecretString>,
    pub(crate) trust_flow: Option<TrustFlowId>,
    pub(crate) http: HttpOptions,
}

impl IdmetaClientBuilder {
    /// The IDMeta environment subdomain: `integrate` gives `https://integrate.idmetagroup.com`.
    pub fn environment(mut self, subdomain: impl Into<String>) -> Self {
        self.subdomain = Some(subdomain.into());
        self
    }

    /// A whole base URL instead of a subdomain, e.g. the simulator's `http://127.0.0.1:PORT`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The API token created in IDMeta's dashboard.
    pub fn token(mut self, token: SecretString) -> Self {
        self.token = Some(token);
        self
    }

    /// The Trust Flow (built in IDMeta's dashboard) every send and check of this client
    /// belongs to: IDMeta asks for it on every request, and no other provider has one, so it
    /// is this client's setting rather than the request's. A service that runs several flows
    /// builds one client per flow (`docs/provider-api.md`, "The Trust Flow").
    pub fn trust_flow(mut self, flow: TrustFlowId) -> Self {
        self.trust_flow = Some(flow);
        self
    }

    phone_verify_http::http_option_setters!(http);

    /// Validates the settings and builds the client (one connection pool, built once).
    ///
    /// # Errors
    ///
    /// A [`IdmetaConfigError`] naming the first invalid setting.
    pub fn build(self) -> Result<crate::IdmetaClient, IdmetaConfigError> {
        let location = match (self.subdomain.clone(), self.base_url.clone()) {
            (Some(_), Some(_)) => return Err(IdmetaConfigError::ConflictingLocation),
            (Some(sub), None) => Location::Subdomain(sub),
            (None, Some(url)) => Location::BaseUrl(url),
            (None, None) => return Err(IdmetaConfigError::MissingLocation),
        };
        let base_url = self.http.base_url(&location.base_url()?)?;
        let token = self.token.as_ref().ok_or(IdmetaConfigError::MissingToken)?;
        let trust_flow = self.trust_flow.ok_or(IdmetaConfigError::MissingTrustFlow)?;
        crate::IdmetaClient::from_config(&self, base_url, token, trust_flow)
    }
}

impl fmt::Debug for IdmetaClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdmetaClientBuilder")
            .field("subdomain", &self.subdomain)
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("trust_flow", &self.trust_flow)
            .field("http", &self.http)
            .finish()
    }
}

/// Checks that a subdomain is exactly one DNS label, so nothing can be smuggled into the host
/// (`evil.com/`, `user@`, `:8080`, ...).
fn is_dns_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

impl Location {
    /// The base URL it stands for, not yet checked: a subdomain of IDMeta's domain, or the URL
    /// given (whose path is kept, a proxy prefix).
    fn base_url(&self) -> Result<String, IdmetaConfigError> {
        match self {
            Self::Subdomain(sub) => {
                let sub = sub.to_ascii_lowercase();
                if !is_dns_label(&sub) {
                    return Err(IdmetaConfigError::InvalidSubdomain);
                }
                Ok(format!("https://{sub}.idmetagroup.com/"))
            }
            Self::BaseUrl(raw) => Ok(raw.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_must_be_one_dns_label() {
        for good in ["integrate", "eu-1", "a", "x9"] {
            assert!(is_dns_label(good), "{good}");
        }
        let long = "a".repeat(64);
        for bad in [
            "",
            "-a",
            "a-",
            "a.b",
            "evil.com/",
            "user@host",
            "host:8080",
            "a b",
            "a/b",
            "a?b",
            "a#b",
            "é",
            &long,
        ] {
            assert!(!is_dns_label(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_subdomain_stands_for_its_idmeta_base_url() {
        let url = Location::Subdomain("Integrate".into()).base_url();
        assert_eq!(
            url.expect("one label"),
            "https://integrate.idmetagroup.com/"
        );
        assert!(matches!(
            Location::Subdomain("evil.com/".into()).base_url(),
            Err(IdmetaConfigError::InvalidSubdomain)
        ));
    }
}
