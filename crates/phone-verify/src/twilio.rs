//! The Twilio Verify v2 adapter (feature `twilio`): the [`crate::VerificationGateway`] over
//! HTTPS that [`crate::PhoneVerificationBuilder::twilio`] builds.
//!
//! Configure it with [`TwilioClient::builder`]: the Verify Service SID, an API key (or the
//! Account SID and Auth Token), each half a [`SecretString`], timeouts, the response size cap
//! and the [`RetryPolicy`] (only requests that provably never left are retried).
//!
//! ```
//! use phone_verify::twilio::{SecretString, TwilioClient};
//!
//! let client = TwilioClient::builder()
//!     .service_sid("VA0123456789abcdef0123456789abcdef")
//!     .api_key(
//!         SecretString::from("SK0123456789abcdef0123456789abcdef"),
//!         SecretString::from("key-secret-from-your-secret-store"),
//!     );
//! # let _ = client;
//! ```

pub use twilio_verify_adapter::*;
