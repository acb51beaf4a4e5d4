//! # phone-verify-domain
//!
//! The centre of phone-verify's hexagon: the types a phone verification is made of and the
//! port to the provider, with no HTTP, no async runtime and no database.
//!
//! - Validated values: [`PhoneNumber`] (real numbering-plan metadata, masked in `Debug` and
//!   `Display`), [`TrustFlowId`], [`TrustValidationId`], [`ReferenceId`], [`OtpCode`]
//!   (redacted in `Debug`), [`ProviderName`]. Each has one validating constructor and a typed error that never
//!   echoes its input.
//! - What a provider says, in the domain's words: [`VerificationStatus`], [`CodeState`],
//!   [`DeliveryStatus`] ([`DeliveryState`]). Each names the meanings the domain knows, with
//!   stable lowercase names, and keeps a value no adapter maps as `Other`, raw; the providers'
//!   wire vocabularies are the adapters' own.
//! - The two operations: [`SendCodeRequest`] → [`SendReceipt`], [`CheckCodeRequest`] →
//!   [`CheckResult`], each answer with constructors for a gateway of your own
//!   ([`SendReceipt::accepted`], [`CheckResult::verified`], ...) and its time types
//!   ([`DateTime`], [`Utc`]) re-exported from `chrono`.
//! - The port: [`VerificationGateway`], whose [`GatewayError`] says what happened to the side
//!   effect ([`GatewayError::may_have_been_sent`]) and has a class ([`ErrorClass`]).
//! - Stable names: [`ErrorClass`], [`RejectionKind`], [`CheckVerdict`] and the three
//!   vocabularies above each have `as_str` and `FromStr` from one list (an unknown name is
//!   [`UnknownName`]), for records and metrics.
//! - [`metric_names`]: the name of every metric phone-verify emits and of its labels.
//!
//! Adapters (`idmeta-adapter`) implement the port; the use cases (`phone-verify-app`) call it.
//! With the `mocks` feature, `MockVerificationGateway` is a mockall double of the port.
//!
//! ```
//! use phone_verify_domain::{PhoneNumber, RegionCode, SendCodeRequest, TrustFlowId, TrustValidationId};
//!
//! let request = SendCodeRequest::new(
//!     PhoneNumber::parse_national("018-225 8491", RegionCode::parse("MY")?)?,
//!     TrustValidationId::parse("7f0c2a4e-9d1b-4c52-8f3a-1b2c3d4e5f60")?,
//! );
//! assert_eq!(request.phone.e164(), "+60182258491");
//! assert!(!format!("{request:?}").contains("182258491"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod channel;
mod client;
mod error_chain;
mod gateway;
mod ids;
pub mod metric_names;
mod names;
mod otp;
mod phone;
mod provider;
mod rules;
mod status;
mod verification;

pub use channel::{
    APP_HASH_LEN, AppHash, AppHashError, Channel, Channels, Locale, LocaleError, MAX_LOCALE_LEN,
};
/// The time types of the port's answers ([`SendReceipt::submitted_at`],
/// [`CheckResult::checked_at`]), re-exported from `chrono` so that a gateway of your own needs
/// no `chrono` dependency of its own (nor one of the same version).
pub use chrono::{DateTime, Utc};
pub use client::{ClientKey, ClientKeyError, MAX_CLIENT_KEY_LEN};
pub use error_chain::error_chain;
#[cfg(feature = "mocks")]
pub use gateway::MockVerificationGateway;
pub use gateway::{
    BoxError, CancelNotSupported, ErrorClass, FieldErrors, GatewayError, RateLimitKind,
    RejectionKind, VerificationGateway,
};
pub use ids::{IdError, MAX_ID_LEN, ReferenceId, TrustFlowId, TrustValidationId};
pub use names::UnknownName;
pub use otp::{MAX_OTP_LEN, MIN_OTP_LEN, OtpCode, OtpCodeError};
pub use phone::{
    MAX_PHONE_INPUT_LEN, NumberKind, PHONE_LOGGING_TARGETS, PhoneNumber, PhoneNumberError,
    RegionCode,
};
pub use provider::{MAX_PROVIDER_NAME_LEN, ProviderName, ProviderNameError};
pub use rules::{AttemptScope, CodeScope, ProviderRules};
pub use status::{
    CodeState, DeliveryState, DeliveryStatus, MAX_UNLISTED_LEN, UNLISTED, VerificationStatus,
    unlisted_token,
};
pub use verification::{
    CancelCodeRequest, CheckCodeRequest, CheckResult, CheckVerdict, SendCodeRequest, SendReceipt,
};
