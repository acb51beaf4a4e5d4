//! Why a simulator could not start.

use std::io;
use std::net::SocketAddr;

/// Why [`start`](crate::start) or [`start_on`](crate::start_on) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The configuration has a knob the simulator cannot work with.
    #[error("invalid simulator configuration")]
    Config(#[from] SimConfigError),
    /// The address could not be bound (in use, not local, no permission).
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
}

/// A configuration knob out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimConfigError {
    /// The token IDMeta's routes accept is empty.
    #[error("the idmeta token is empty")]
    EmptyIdmetaToken,
    /// The Twilio routes' Basic user or secret is empty.
    #[error("the twilio credentials are empty")]
    EmptyTwilioCredentials,
    /// Random codes must have 4 to 10 digits.
    #[error("a code length of {digits} digits is outside 4..=10")]
    CodeLength {
        /// The length asked for.
        digits: usize,
    },
    /// A fixed code must be 4 to 10 ASCII digits, as a verify's `otp` must.
    #[error("the fixed code is not 4 to 10 digits")]
    FixedCode,
    /// An IDMeta code must allow at least one attempt.
    #[error("idmeta max attempts is zero")]
    ZeroIdmetaAttempts,
    /// IDMeta's send limit must allow at least one code per window.
    #[error("the idmeta send limit allows no code at all")]
    ZeroIdmetaSendLimit,
    /// The request body limit must be at least one byte.
    #[error("the request body limit is zero")]
    ZeroBodyLimit,
    /// The time allowed to read a request body must be more than zero.
    #[error("the body read timeout is zero")]
    ZeroBodyReadTimeout,
    /// A Twilio verification lives from 2 minutes to 24 hours, as Twilio support can set it.
    #[error("a twilio verification lifetime of {lifetime:?} is outside 2 minutes to 24 hours")]
    TwilioVerificationLifetime {
        /// The lifetime asked for.
        lifetime: std::time::Duration,
    },
}
