//! The pooled HTTP client of one adapter: no redirects, timeouts, capped reads, and the one
//! place that decides whether a failed request may have reached the provider.

use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use phone_verify_domain::GatewayError;
use reqwest::header::RETRY_AFTER;
use reqwest::{RequestBuilder, redirect};

use crate::config::ClientBuildError;
use crate::handover::Handover;
use crate::retry::CallBudget;
use crate::unreadable::Unreadable;

/// Default time one attempt may take to open its connection (TCP and TLS). A request whose
/// connection never completed is `NotSent` whether this or the request timeout fires first.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time one attempt may take, from opening its connection to the last byte of the
/// answer. A call retries (see [`crate::RetryPolicy`]), so it may take several of these, within
/// its [`Limits::total_timeout`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Default cap on a response body. The providers' answers are under 2 KiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// The safety limits of a [`Transport`].
///
/// ```
/// use phone_verify_http::Limits;
///
/// assert!(Limits::default().validate().is_ok());
/// let none = Limits { max_response_bytes: 0, ..Limits::default() };
/// assert_eq!(none.validate().unwrap_err().to_string(), "the response size cap must be greater than zero");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time one attempt may take to open its connection (TCP and TLS). Default
    /// [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
    /// Time one attempt may take, from opening its connection to the last byte of the answer.
    /// Default [`DEFAULT_REQUEST_TIMEOUT`].
    pub request_timeout: Duration,
    /// Time one call may take in all: its attempts and the waits between them. A retry starts
    /// only when a whole `request_timeout` still fits before this runs out (the first attempt
    /// always starts), so a call ends within it when it is at least `request_timeout`. `None`,
    /// the default: twice `request_timeout` (room for quick retries of a connection refused,
    /// none for a second attempt after one that took its whole timeout).
    pub total_timeout: Option<Duration>,
    /// Cap on a response body. Default [`DEFAULT_MAX_RESPONSE_BYTES`].
    pub max_response_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            total_timeout: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// A limit that is zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{what} must be greater than zero")]
pub struct LimitsError {
    /// Which setting.
    pub what: &'static str,
}

impl Limits {
    /// Checks that no limit is zero.
    ///
    /// # Errors
    ///
    /// A [`LimitsError`] naming the first zero limit.
    pub fn validate(&self) -> Result<(), LimitsError> {
        for (what, zero) in [
            ("the connect timeout", self.connect_timeout.is_zero()),
            ("the request timeout", self.request_timeout.is_zero()),
            (
                "the total timeout",
                self.total_timeout.is_some_and(|total| total.is_zero()),
            ),
            ("the response size cap", self.max_response_bytes == 0),
        ] {
            if zero {
                return Err(LimitsError { what });
            }
        }
        Ok(())
    }

    /// The time budget of one call under these limits, for [`crate::retrying`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use phone_verify_http::{CallBudget, Limits};
    ///
    /// let limits = Limits { request_timeout: Duration::from_secs(3), ..Limits::default() };
    /// let twice = CallBudget::new(Duration::from_secs(6), Duration::from_secs(3));
    /// assert_eq!(limits.budget(), twice);
    /// ```
    pub fn budget(&self) -> CallBudget {
        let total = self
            .total_timeout
            .unwrap_or_else(|| self.request_timeout.saturating_mul(2));
        CallBudget::new(total, self.request_timeout)
    }
}

/// An HTTP answer, fully read under the cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The raw `Retry-After` header, if any (parse it with [`parse_retry_after`]).
    pub retry_after: Option<String>,
    /// The body.
    pub body: Bytes,
}

impl RawAnswer {
    /// The answer as a classifier reads it, received at `received_at`.
    pub fn at(&self, received_at: SystemTime) -> Answer<'_> {
        Answer {
            status: self.status,
            retry_after: self.retry_after.as_deref(),
            body: &self.body,
            received_at,
        }
    }
}

/// An HTTP answer as a pure classifier reads it: borrowed, and stamped with when it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer<'a> {
    /// The HTTP status.
    pub status: u16,
    /// The raw `Retry-After` header, if any.
    pub retry_after: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
    /// When the answer arrived: an HTTP-date `Retry-After` is a wait from then.
    pub received_at: SystemTime,
}

impl Answer<'_> {
    /// The `Retry-After` hint as a wait from when the answer arrived.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
            .and_then(|raw| parse_retry_after(raw, self.received_at))
    }
}

/// One pooled `reqwest` client (built once; clones of it share the pool) and the body cap.
#[derive(Debug, Clone)]
pub struct Transport {
    http: reqwest::Client,
    max_response_bytes: usize,
    budget: CallBudget,
}

impl Transport {
    /// Builds the client: rustls, never following a redirect (credentials would follow it),
    /// HTTPS only when `https_only`, the limits' timeouts (those of one attempt; the total is
    /// the retry loop's, [`Transport::budget`]).
    ///
    /// # Errors
    ///
    /// [`ClientBuildError`] when the TLS backend cannot be initialised.
    pub fn new(
        limits: Limits,
        user_agent: &str,
        https_only: bool,
    ) -> Result<Self, ClientBuildError> {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(https_only)
            .redirect(redirect::Policy::none())
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.request_timeout)
            .user_agent(user_agent)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(ClientBuildError::new)?;
        Ok(Self {
            http,
            max_response_bytes: limits.max_response_bytes,
            budget: limits.budget(),
        })
    }

    /// The time budget of each call made with this transport ([`Limits::budget`]), to hand to
    /// [`crate::retrying`].
    pub fn budget(&self) -> CallBudget {
        self.budget
    }

    /// The client, to start requests with (`post`, `get`); send them with
    /// [`Transport::exchange`].
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends `request` with `body` and reads the answer up to the cap.
    ///
    /// # Errors
    ///
    /// - [`GatewayError::NotSent`]: no connection was made, or the body was never handed to one
    ///   (whichever timeout fired first): the provider cannot have seen the request.
    /// - [`GatewayError::OutcomeUnknown`]: a failure once the body may have been written (a
    ///   timeout, a cut connection, an answer cut short).
    /// - [`GatewayError::InvalidResponse`]: the answer is larger than the cap
    ///   ([`Unreadable::TooBig`]).
    pub async fn exchange(
        &self,
        request: RequestBuilder,
        body: Bytes,
    ) -> Result<RawAnswer, GatewayError> {
        let (handover, body) = Handover::of(body);
        let mut response = request
            .body(reqwest::Body::wrap(body))
            .send()
            .await
            .map_err(|error| transport_error(error, handover.withhold()))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let cap = self.max_response_bytes;
        let too_big = || Unreadable::TooBig { cap }.at(status);
        if response
            .content_length()
            .is_some_and(|len| len > cap as u64)
        {
            return Err(too_big());
        }
        // A small answer arrives as one chunk: keep it as it is; copy only to join several.
        let mut first: Option<Bytes> = None;
        let mut joined: Option<BytesMut> = None;
        let mut len = 0usize;
        // An answer is arriving: the request was handed over.
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| transport_error(error, true))?
        {
            len += chunk.len();
            if len > cap {
                return Err(too_big());
            }
            match (&mut joined, first.take()) {
                (Some(buffer), _) => buffer.extend_from_slice(&chunk),
                (None, None) => first = Some(chunk),
                (None, Some(previous)) => {
                    let mut buffer = BytesMut::with_capacity(len);
                    buffer.extend_from_slice(&previous);
                    buffer.extend_from_slice(&chunk);
                    joined = Some(buffer);
                }
            }
        }
        let body = joined.map(BytesMut::freeze).or(first).unwrap_or_default();
        Ok(RawAnswer {
            status,
            retry_after,
            body,
        })
    }
}

/// A transport failure: "not sent" when no connection was ever made or the request body was
/// never handed to one (whichever timeout fired first); anything later (a timeout, a connection
/// cut once the request may have been written, a body cut short) is "outcome unknown".
fn transport_error(error: reqwest::Error, handed_over: bool) -> GatewayError {
    if error.is_connect() || !handed_over {
        GatewayError::NotSent {
            source: Box::new(error),
        }
    } else {
        GatewayError::OutcomeUnknown {
            source: Box::new(error),
        }
    }
}

/// `Retry-After` (RFC 9110, 10.2.3) as a wait from `now`: delay-seconds, or an HTTP-date (any of
/// its three formats), a date already past giving no wait at all. Garbage gives `None` (no hint).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use phone_verify_http::parse_retry_after;
///
/// assert_eq!(parse_retry_after("30", SystemTime::now()), Some(Duration::from_secs(30)));
/// assert_eq!(parse_retry_after("soon", SystemTime::now()), None);
/// ```
pub fn parse_retry_after(raw: &str, now: SystemTime) -> Option<Duration> {
    let raw = raw.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = httpdate::parse_http_date(raw).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::received_at;

    #[test]
    fn retry_after_is_read_in_seconds_and_as_an_http_date() {
        let cases: &[(&str, Option<u64>)] = &[
            ("0", Some(0)),
            ("120", Some(120)),
            (" 7 ", Some(7)),
            // The three HTTP-date formats, 90 s after the answer arrived.
            ("Wed, 21 Oct 2026 07:29:30 GMT", Some(90)),
            ("Wednesday, 21-Oct-26 07:29:30 GMT", Some(90)),
            ("Wed Oct 21 07:29:30 2026", Some(90)),
            ("Wed, 21 Oct 2026 07:28:00 GMT", Some(0)),
            // A date already past means "now", not "no hint".
            ("Tue, 20 Oct 2026 07:28:00 GMT", Some(0)),
            ("Thu, 01 Jan 1970 00:00:00 GMT", Some(0)),
            ("-5", None),
            ("1.5", None),
            ("", None),
            ("soon", None),
            ("Wed, 21 Oct 2026 25:00:00 GMT", None),
        ];
        for (raw, expected) in cases {
            let got = parse_retry_after(raw, received_at()).map(|wait| wait.as_secs());
            assert_eq!(got, *expected, "{raw:?}");
        }
    }
}
