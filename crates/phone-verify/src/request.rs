//! The options of a send, beyond the number and the trust validation that
//! [`crate::SendCodeRequest::new`] takes: the channel ([`Channel`], SMS by default), the
//! language of the message ([`Locale`]), the Android app hash for the SMS Retriever
//! ([`AppHash`]), and the end user's client, which the per-client guards count
//! ([`ClientKey`]).
//!
//! ```
//! use phone_verify::request::{Channel, ClientKey, Locale};
//! use phone_verify::{PhoneNumber, SendCodeRequest, TrustValidationId};
//!
//! let request = SendCodeRequest::new(
//!     PhoneNumber::parse("+60182258491")?,
//!     TrustValidationId::parse("tv-1")?,
//! )
//! .with_channel(Channel::Call)
//! .with_locale(Locale::parse("ms")?)
//! .with_client(ClientKey::parse("203.0.113.7")?);
//! assert_eq!(request.channel, Channel::Call);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use phone_verify_domain::{
    AppHash, AppHashError, Channel, ClientKey, ClientKeyError, Locale, LocaleError,
};
