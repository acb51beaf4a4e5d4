//! Configuration of the client: where IDMeta is, how to authenticate, and the safety limits.

use std::fmt;

use phone_verify_http::{BaseUrlError, HttpOptions, validate_base_url};
use reqwest::Url;
use secrecy::SecretString;

/// Why a configuration was refused. Never contains the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientConfigError {
    /// Neither an environment subdomain nor a base URL was given.
    #[error("no IDMeta location: set an environment subdomain or a base URL")]
    MissingLocation,
    /// Both an environment subdomain and a base URL were given.
    #[error("set either an environment subdomain or a base URL, not both")]
    ConflictingLocation,
    /// No API token was given.
    #[error("no API token was given")]
    MissingToken,
    /// The token is empty or holds characters not allowed in an HTTP header.
    #[error("the API token is empty or contains characters not allowed in an HTTP header")]
    InvalidToken,
    /// The subdomain is not one DNS label (1 to 63 of `a-z`, `0-9`, `-`, not at either end).
    #[error("the environment subdomain must be one DNS label (letters, digits, '-')")]
    InvalidSubdomain,
    /// The base URL could not be parsed, or has user info, a query or a fragment.
    #[error("the base URL is not valid: {reason}")]
    InvalidBaseUrl {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The base URL is plain `http` and plain HTTP was not explicitly allowed.
    #[error("the base URL is not HTTPS; plain HTTP must be allowed explicitly")]
    InsecureScheme,
    /// A timeout or limit is zero.
    #[error("{what} must be greater than zero")]
    ZeroLimit {
        /// Which setting.
        what: &'static str,
    },
    /// The HTTP client could not be built (TLS backend initialisation).
    #[error("the HTTP client could not be built")]
    Client(#[source] reqwest::Error),
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
///     .environment("integrate")
///     .token(SecretString::from("my-api-token"))
///     .build()?;
/// assert_eq!(client.base_url().as_str(), "https://integrate.idmetagroup.com/");
/// assert!(!format!("{client:?}").contains("my-api-token"));
/// # Ok::<(), idmeta_adapter::ClientConfigError>(())
/// ```
#[derive(Clone)]
pub struct IdmetaClientBuilder {
    subdomain: Option<String>,
    base_url: Option<String>,
    token: Option<SecretString>,
    pub(crate) http: HttpOptions,
    pub(crate) user_agent: String,
}

impl Default for IdmetaClientBuilder {
    fn default() -> Self {
        Self {
            subdomain: None,
            base_url: None,
            token: None,
            http: HttpOptions::default(),
            user_agent: concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
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

    phone_verify_http::http_option_setters!(http);

    /// Validates the settings and builds the client (one connection pool, built once).
    ///
    /// # Errors
    ///
    /// A [`ClientConfigError`] naming the first invalid setting.
    pub fn build(self) -> Result<crate::IdmetaClient, ClientConfigError> {
        let location = match (self.subdomain.clone(), self.base_url.clone()) {
            (Some(_), Some(_)) => return Err(ClientConfigError::ConflictingLocation),
            (Some(sub), None) => Location::Subdomain(sub),
            (None, Some(url)) => Location::BaseUrl(url),
            (None, None) => return Err(ClientConfigError::MissingLocation),
        };
        let base_url = resolve_base_url(&location, self.http.allow_plain_http)?;
        let token = self.token.clone().ok_or(ClientConfigError::MissingToken)?;
        self.http
            .limits
            .validate()
            .map_err(|zero| ClientConfigError::ZeroLimit { what: zero.what })?;
        crate::IdmetaClient::from_config(self, base_url, &token)
    }
}

impl fmt::Debug for IdmetaClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdmetaClientBuilder")
            .field("subdomain", &self.subdomain)
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
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

fn resolve_base_url(location: &Location, allow_plain_http: bool) -> Result<Url, ClientConfigError> {
    let raw = match location {
        Location::Subdomain(sub) => {
            let sub = sub.to_ascii_lowercase();
            if !is_dns_label(&sub) {
                return Err(ClientConfigError::InvalidSubdomain);
            }
            format!("https://{sub}.idmetagroup.com/")
        }
        Location::BaseUrl(raw) => raw.clone(),
    };
    // A base path is kept (a proxy prefix); endpoint paths are joined below it.
    validate_base_url(&raw, allow_plain_http).map_err(|error| match error {
        BaseUrlError::InsecureScheme => ClientConfigError::InsecureScheme,
        BaseUrlError::Invalid { reason } => ClientConfigError::InvalidBaseUrl { reason },
    })
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
    fn base_url_refusals_keep_their_idmeta_config_errors() {
        let location = |raw: &str| Location::BaseUrl(raw.into());
        assert!(matches!(
            resolve_base_url(&location("http://127.0.0.1:1"), false),
            Err(ClientConfigError::InsecureScheme)
        ));
        assert!(matches!(
            resolve_base_url(&location("https://x.example/?a=1"), false),
            Err(ClientConfigError::InvalidBaseUrl { .. })
        ));
        let url = resolve_base_url(&Location::Subdomain("Integrate".into()), false).expect("valid");
        assert_eq!(url.as_str(), "https://integrate.idmetagroup.com/");
    }
}
