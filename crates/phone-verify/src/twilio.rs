//! The Twilio Verify v2 adapter (feature `twilio`): the [`crate::ports::VerificationGateway`]
//! over HTTPS that [`crate::PhoneVerificationBuilder::twilio`] builds, as the provider named
//! `twilio`.
//!
//! Configure it with [`TwilioClient::builder`]: the Verify Service SID, then either an API key
//! (`api_key(sid, secret)`, recommended: revocable on its own) or the account's own
//! credentials (`account_credentials(account_sid, auth_token)`), each half a
//! [`SecretString`]; timeouts, the response size cap, the [`RetryPolicy`] (only requests that
//! provably never left are retried) and the Verify Service's code lifetime
//! (`verification_lifetime`, [`DEFAULT_VERIFICATION_LIFETIME`]).
//!
//! ```
//! use phone_verify::twilio::{SecretString, TwilioClient};
//!
//! let with_api_key = TwilioClient::builder()
//!     .service_sid("VA0123456789abcdef0123456789abcdef")
//!     .api_key(
//!         SecretString::from("SK0123456789abcdef0123456789abcdef"),
//!         SecretString::from("key-secret-from-your-secret-store"),
//!     );
//! let with_account = TwilioClient::builder()
//!     .service_sid("VA0123456789abcdef0123456789abcdef")
//!     .account_credentials(
//!         SecretString::from("AC0123456789abcdef0123456789abcdef"),
//!         SecretString::from("auth-token-from-your-secret-store"),
//!     );
//! # let _ = (with_api_key, with_account);
//! ```

pub use twilio_verify_adapter::{
    BaseUrlError, ClientBuildError, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_VERIFICATION_LIFETIME, HttpConfigError, LimitsError,
    RetryPolicy, SecretString, TwilioClient, TwilioClientBuilder, TwilioConfigError,
    VERIFICATION_LIFETIME_RANGE,
};
