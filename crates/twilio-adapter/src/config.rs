//! Configuration of the client: where Twilio is, which Verify Service, how to authenticate, and
//! the safety limits.

use std::fmt;
use std::time::Duration;

use phone_verify_domain::{AppHash, Locale};
use phone_verify_http::{HttpConfigError, HttpOptions};
use secrecy::{ExposeSecret, SecretString};

use crate::wire::SendDefaults;

/// Twilio Verify's base URL.
pub const DEFAULT_BASE_URL: &str = "https://verify.twilio.com/";

/// How long a verification stays checkable by default: 10 minutes from its creation, not
/// extended by a resend (Twilio's documentation).
pub const DEFAULT_VERIFICATION_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The shortest and longest verification lifetimes Twilio support can set on a Service.
pub const VERIFICATION_LIFETIME_RANGE: (Duration, Duration) = (
    Duration::from_secs(2 * 60),
    Duration::from_secs(24 * 60 * 60),
);

/// Why a configuration was refused. Never contains a SID or a secret.
///
/// Its HTTP part (base URL, limits, the client) is [`HttpConfigError`], shared with every
/// adapter: [`TwilioConfigError::Http`].
///
/// ```
/// use twilio_verify_adapter::{BaseUrlError, HttpConfigError, SecretString, TwilioClient, TwilioConfigError};
///
/// let error = TwilioClient::builder()
///     .service_sid("VA0123456789abcdef0123456789abcdef")
///     .api_key(
///         SecretString::from("SK0123456789abcdef0123456789abcdef"),
///         SecretString::from("my-key-secret"),
///     )
///     .base_url("http://127.0.0.1:8080")
///     .build()
///     .unwrap_err();
/// assert!(matches!(
///     error,
///     TwilioConfigError::Http(HttpConfigError::BaseUrl(BaseUrlError::InsecureScheme))
/// ));
/// assert!(error.to_string().contains("allow_plain_http(true)"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TwilioConfigError {
    /// No Verify Service SID was given.
    #[error("no Verify Service SID was given")]
    MissingServiceSid,
    /// The Service SID is not `VA` followed by 32 hexadecimal characters.
    #[error("the Verify Service SID must be 'VA' followed by 32 hexadecimal characters")]
    InvalidServiceSid,
    /// Neither account credentials nor an API key were given.
    #[error("no credentials were given: set an Account SID and Auth Token, or an API key")]
    MissingCredentials,
    /// Both account credentials and an API key were given.
    #[error("set either an Account SID and Auth Token or an API key, not both")]
    ConflictingCredentials,
    /// The Account SID is not `AC` followed by 32 hexadecimal characters.
    #[error("the Account SID must be 'AC' followed by 32 hexadecimal characters")]
    InvalidAccountSid,
    /// The API key SID is not `SK` followed by 32 hexadecimal characters.
    #[error("the API key SID must be 'SK' followed by 32 hexadecimal characters")]
    InvalidApiKeySid,
    /// The Auth Token or API key secret is empty or holds whitespace or control characters.
    #[error("the Auth Token or API key secret is empty or holds whitespace or control characters")]
    InvalidSecret,
    /// The verification lifetime is outside what Twilio can set
    /// ([`VERIFICATION_LIFETIME_RANGE`]).
    #[error("the verification lifetime must be from 2 minutes to 24 hours")]
    VerificationLifetime,
    /// The HTTP settings every adapter shares were refused: the base URL (malformed, or plain
    /// HTTP without `allow_plain_http(true)`), a zero limit, or the client itself.
    #[error(transparent)]
    Http(#[from] HttpConfigError),
}

/// The two ways Twilio accepts HTTP Basic credentials. Both halves are secrets.
#[derive(Clone)]
pub(crate) enum Credentials {
    /// The Account SID and its Auth Token.
    Account {
        account_sid: SecretString,
        auth_token: SecretString,
    },
    /// An API key SID and its secret (revocable: the recommended way).
    ApiKey {
        key_sid: SecretString,
        secret: SecretString,
    },
}

impl Credentials {
    /// Validates both halves and gives `user:password` for the Basic header.
    pub(crate) fn basic_pair(&self) -> Result<SecretString, TwilioConfigError> {
        let (user, secret, prefix, wrong_user) = match self {
            Self::Account {
                account_sid,
                auth_token,
            } => (
                account_sid,
                auth_token,
                "AC",
                TwilioConfigError::InvalidAccountSid,
            ),
            Self::ApiKey { key_sid, secret } => {
                (key_sid, secret, "SK", TwilioConfigError::InvalidApiKeySid)
            }
        };
        let user = user.expose_secret().trim();
        if !is_sid(prefix, user) {
            return Err(wrong_user);
        }
        let secret = secret.expose_secret().trim();
        if secret.is_empty() || !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(TwilioConfigError::InvalidSecret);
        }
        Ok(SecretString::from(format!("{user}:{secret}")))
    }
}

/// Whether `sid` is `prefix` followed by 32 hexadecimal characters, as every Twilio SID is.
pub(crate) fn is_sid(prefix: &str, sid: &str) -> bool {
    sid.len() == prefix.len() + 32
        && sid.starts_with(prefix)
        && sid[prefix.len()..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Builds a [`crate::TwilioClient`]. Every setting has a safe default except the Service SID
/// and the credentials; [`TwilioClientBuilder::build`] validates everything and never panics.
///
/// ```
/// use twilio_verify_adapter::{SecretString, TwilioClient};
///
/// let client = TwilioClient::builder()
///     .service_sid("VA0123456789abcdef0123456789abcdef")
///     .api_key(
///         SecretString::from("SK0123456789abcdef0123456789abcdef"),
///         SecretString::from("my-key-secret"),
///     )
///     .build()?;
/// assert_eq!(client.base_url().as_str(), "https://verify.twilio.com/");
/// assert!(!format!("{client:?}").contains("my-key-secret"));
/// # Ok::<(), twilio_verify_adapter::TwilioConfigError>(())
/// ```
#[derive(Clone)]
pub struct TwilioClientBuilder {
    service_sid: Option<String>,
    account: Option<Credentials>,
    api_key: Option<Credentials>,
    base_url: Option<String>,
    pub(crate) verification_lifetime: Duration,
    pub(crate) send_defaults: SendDefaults,
    pub(crate) http: HttpOptions,
}

impl Default for TwilioClientBuilder {
    fn default() -> Self {
        Self {
            service_sid: None,
            account: None,
            api_key: None,
            base_url: None,
            verification_lifetime: DEFAULT_VERIFICATION_LIFETIME,
            send_defaults: SendDefaults::default(),
            http: HttpOptions::default(),
        }
    }
}

/// What [`TwilioClientBuilder::build`] hands the client.
pub(crate) struct Validated {
    pub(crate) service_sid: String,
    pub(crate) base_url: reqwest::Url,
    pub(crate) basic_pair: SecretString,
}

impl TwilioClientBuilder {
    /// The Verify Service SID (`VA` + 32 hex), made in Twilio's console. It holds the code
    /// length, the name in the SMS and the service's rate limits.
    pub fn service_sid(mut self, sid: impl Into<String>) -> Self {
        self.service_sid = Some(sid.into());
        self
    }

    /// Authenticate with the Account SID (`AC` + 32 hex) and its Auth Token.
    pub fn account_credentials(
        mut self,
        account_sid: SecretString,
        auth_token: SecretString,
    ) -> Self {
        self.account = Some(Credentials::Account {
            account_sid,
            auth_token,
        });
        self
    }

    /// Authenticate with an API key SID (`SK` + 32 hex) and its secret: revocable, the way
    /// Twilio recommends.
    pub fn api_key(mut self, key_sid: SecretString, secret: SecretString) -> Self {
        self.api_key = Some(Credentials::ApiKey { key_sid, secret });
        self
    }

    /// A base URL instead of [`DEFAULT_BASE_URL`], e.g. the simulator's `http://127.0.0.1:PORT`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// How long the Verify Service keeps a verification checkable, from its creation: 10
    /// minutes unless Twilio support set the Service otherwise (from 2 minutes to 24 hours).
    /// The use cases refuse a check of an older code locally, and count its lifetime from the
    /// first send (a resend re-sends the same code without extending it).
    pub fn verification_lifetime(mut self, lifetime: Duration) -> Self {
        self.verification_lifetime = lifetime;
        self
    }

    /// The language of every message whose send asks for none
    /// ([`SendCodeRequest::locale`](phone_verify_domain::SendCodeRequest::locale) wins), sent as
    /// `Locale` on every channel. Without it, and without one in the request, Twilio picks the
    /// language from the number's country. Which tags Twilio supports is its own list.
    ///
    /// ```
    /// use phone_verify_domain::Locale;
    /// use twilio_verify_adapter::{SecretString, TwilioClient};
    ///
    /// let client = TwilioClient::builder()
    ///     .service_sid("VA0123456789abcdef0123456789abcdef")
    ///     .api_key(
    ///         SecretString::from("SK0123456789abcdef0123456789abcdef"),
    ///         SecretString::from("my-key-secret"),
    ///     )
    ///     .locale(Locale::parse("en-GB")?)
    ///     .build()?;
    /// assert_eq!(client.locale().map(Locale::as_str), Some("en-GB"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn locale(mut self, locale: Locale) -> Self {
        self.send_defaults.locale = Some(locale);
        self
    }

    /// The Android app hash of every SMS whose send asks for none
    /// ([`SendCodeRequest::app_hash`](phone_verify_domain::SendCodeRequest::app_hash) wins),
    /// sent as `AppHash` so that the SMS Retriever hands the code to the app. SMS only: a call
    /// or WhatsApp send goes out without it (Twilio refuses an app hash on another channel).
    ///
    /// ```
    /// use phone_verify_domain::AppHash;
    /// use twilio_verify_adapter::{SecretString, TwilioClient};
    ///
    /// let client = TwilioClient::builder()
    ///     .service_sid("VA0123456789abcdef0123456789abcdef")
    ///     .api_key(
    ///         SecretString::from("SK0123456789abcdef0123456789abcdef"),
    ///         SecretString::from("my-key-secret"),
    ///     )
    ///     .app_hash(AppHash::parse("He42w354ol9")?)
    ///     .build()?;
    /// assert_eq!(client.app_hash().map(AppHash::as_str), Some("He42w354ol9"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn app_hash(mut self, app_hash: AppHash) -> Self {
        self.send_defaults.app_hash = Some(app_hash);
        self
    }

    phone_verify_http::http_option_setters!(http);

    /// Validates the settings and builds the client (one connection pool, built once).
    ///
    /// # Errors
    ///
    /// A [`TwilioConfigError`] naming the first invalid setting.
    pub fn build(self) -> Result<crate::TwilioClient, TwilioConfigError> {
        let service_sid = self
            .service_sid
            .as_deref()
            .map(str::trim)
            .ok_or(TwilioConfigError::MissingServiceSid)?;
        if !is_sid("VA", service_sid) {
            return Err(TwilioConfigError::InvalidServiceSid);
        }
        let credentials = match (&self.account, &self.api_key) {
            (Some(_), Some(_)) => return Err(TwilioConfigError::ConflictingCredentials),
            (Some(credentials), None) | (None, Some(credentials)) => credentials,
            (None, None) => return Err(TwilioConfigError::MissingCredentials),
        };
        let basic_pair = credentials.basic_pair()?;
        let raw = self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let base_url = self.http.base_url(raw)?;
        let (shortest, longest) = VERIFICATION_LIFETIME_RANGE;
        if !(shortest..=longest).contains(&self.verification_lifetime) {
            return Err(TwilioConfigError::VerificationLifetime);
        }
        let validated = Validated {
            service_sid: service_sid.to_owned(),
            base_url,
            basic_pair,
        };
        crate::TwilioClient::from_config(&self, validated)
    }
}

impl fmt::Debug for TwilioClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match (&self.account, &self.api_key) {
            (Some(_), None) => Some("account <redacted>"),
            (None, Some(_)) => Some("api key <redacted>"),
            (Some(_), Some(_)) => Some("both <redacted>"),
            (None, None) => None,
        };
        f.debug_struct("TwilioClientBuilder")
            .field("service_sid", &self.service_sid)
            .field("credentials", &kind)
            .field("base_url", &self.base_url)
            .field("verification_lifetime", &self.verification_lifetime)
            .field(
                "locale",
                &self.send_defaults.locale.as_ref().map(Locale::as_str),
            )
            .field(
                "app_hash",
                &self.send_defaults.app_hash.as_ref().map(AppHash::as_str),
            )
            .field("http", &self.http)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sid_is_its_prefix_and_32_hexadecimal_characters() {
        let hex = "0123456789abcdef0123456789ABCDEF";
        assert!(is_sid("VA", &format!("VA{hex}")));
        assert!(is_sid("AC", &format!("AC{hex}")));
        for bad in [
            format!("AC{hex}"),
            format!("VA{}", &hex[1..]),
            format!("VA{hex}0"),
            format!("va{hex}"),
            format!("VA{}g", &hex[1..]),
            "VA".to_owned(),
            String::new(),
            format!("VA{}é", &hex[2..]),
        ] {
            assert!(!is_sid("VA", &bad), "{bad:?}");
        }
    }
}
