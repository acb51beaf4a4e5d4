//! Why an answer could not be read: the adapters' own error, boxed as the reason of a
//! [`GatewayError::InvalidResponse`]. It names the kind of fault and where, never the answer's
//! content (which may echo a phone number or a code).

use chrono::{DateTime, Utc};
use phone_verify_domain::{GatewayError, IdError};

/// What was wrong with an answer, for every provider adapter and the shared transport.
///
/// It is the `reason` of a [`GatewayError::InvalidResponse`] (build one with
/// [`Unreadable::at`]); a caller that wants the kind downcasts the reason to it.
/// `#[non_exhaustive]`: a new adapter may add a kind, and nothing maps it variant by variant
/// (it is read through `Display`, or downcast to test one kind).
///
/// ```
/// use phone_verify_domain::GatewayError;
/// use phone_verify_http::Unreadable;
///
/// let error = Unreadable::Disagree("status", "valid").at(200);
/// let GatewayError::InvalidResponse { status, reason } = &error else { unreachable!() };
/// assert_eq!(*status, 200);
/// assert_eq!(reason.to_string(), "`status` and `valid` disagree");
/// assert!(reason.downcast_ref::<Unreadable>().is_some());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Unreadable {
    /// The body could not be decoded as the documented shape ([`Unreadable::body`]).
    #[error("the body {fault} (line {line}, column {column})")]
    Body {
        /// How it failed.
        fault: BodyFault,
        /// The line of the fault, from 1.
        line: usize,
        /// The column of the fault, from 1.
        column: usize,
    },
    /// A field every answer of this kind has is absent.
    #[error("`{0}` is missing")]
    Missing(&'static str),
    /// A timestamp field is not RFC 3339 ([`parse_timestamp`]).
    #[error("`{0}` is not an RFC 3339 time")]
    Timestamp(&'static str),
    /// A field that holds the send's reference does not hold a valid one.
    #[error("`{field}` is not a valid reference")]
    Reference {
        /// The field.
        field: &'static str,
        /// Why the reference was refused.
        #[source]
        source: IdError,
    },
    /// Two fields contradict each other (Twilio's `status` and `valid` on a check), so the
    /// answer is believed neither way.
    #[error("`{0}` and `{1}` disagree")]
    Disagree(&'static str, &'static str),
    /// The answer is about another request than the one asked (a check answered for another
    /// verification or number than the one it named), so it is no answer to this one.
    #[error("`{0}` names another verification than the one asked")]
    Foreign(&'static str),
    /// A 3xx answer: redirects are never followed (the credentials would follow them).
    #[error("a redirect, which is never followed")]
    Redirect,
    /// A status outside the ones HTTP defines.
    #[error("an unexpected HTTP status")]
    UnexpectedStatus,
    /// The body is larger than the transport's cap; reading stopped there.
    #[error("the body exceeds the cap of {cap} bytes")]
    TooBig {
        /// The cap, in bytes.
        cap: usize,
    },
}

/// How a body failed to decode, from serde's classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyFault {
    /// Reading the body failed.
    #[error("could not be read")]
    Io,
    /// The body is not JSON.
    #[error("is not valid JSON")]
    Syntax,
    /// The body is JSON, but not of the documented shape.
    #[error("does not have the documented shape")]
    Shape,
    /// The body ends in the middle of a value.
    #[error("ends early (truncated JSON)")]
    Truncated,
}

impl Unreadable {
    /// The decoding failure of `error`, without serde's message (it can quote values).
    ///
    /// ```
    /// use phone_verify_http::{BodyFault, Unreadable};
    ///
    /// let error = serde_json::from_str::<u32>("\"+60182258491\"").unwrap_err();
    /// let reason = Unreadable::body(&error);
    /// assert!(matches!(reason, Unreadable::Body { fault: BodyFault::Shape, .. }));
    /// assert!(!reason.to_string().contains("182258491"));
    /// ```
    pub fn body(error: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let fault = match error.classify() {
            Category::Io => BodyFault::Io,
            Category::Syntax => BodyFault::Syntax,
            Category::Data => BodyFault::Shape,
            Category::Eof => BodyFault::Truncated,
        };
        Self::Body {
            fault,
            line: error.line(),
            column: error.column(),
        }
    }

    /// The [`GatewayError::InvalidResponse`] of an answer with `status`, this as its reason.
    pub fn at(self, status: u16) -> GatewayError {
        GatewayError::InvalidResponse {
            status,
            reason: Box::new(self),
        }
    }

    /// Why `error`'s answer could not be read, when it is an [`GatewayError::InvalidResponse`]
    /// an adapter gave this reason: the inverse of [`Unreadable::at`].
    ///
    /// ```
    /// use phone_verify_domain::GatewayError;
    /// use phone_verify_http::Unreadable;
    ///
    /// let error = Unreadable::Foreign("sid").at(200);
    /// assert!(matches!(Unreadable::of(&error), Some(Unreadable::Foreign("sid"))));
    /// assert!(Unreadable::of(&GatewayError::Unauthorized).is_none());
    /// ```
    pub fn of(error: &GatewayError) -> Option<&Self> {
        match error {
            GatewayError::InvalidResponse { reason, .. } => reason.downcast_ref(),
            _ => None,
        }
    }
}

/// Parses the RFC 3339 timestamp of `field` (any number of fractional digits), into UTC.
///
/// ```
/// use phone_verify_http::{Unreadable, parse_timestamp};
///
/// let at = parse_timestamp("date_created", "2015-07-30T20:00:00Z").expect("RFC 3339");
/// assert_eq!(at.to_rfc3339(), "2015-07-30T20:00:00+00:00");
/// assert!(matches!(
///     parse_timestamp("date_created", "yesterday"),
///     Err(Unreadable::Timestamp("date_created"))
/// ));
/// ```
///
/// # Errors
///
/// [`Unreadable::Timestamp`] naming `field` (never the raw text).
pub fn parse_timestamp(field: &'static str, raw: &str) -> Result<DateTime<Utc>, Unreadable> {
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| Unreadable::Timestamp(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_that_does_not_decode_is_described_without_quoting_it() {
        let error = serde_json::from_str::<u32>("\"+60182258491\"").expect_err("not a number");
        let reason = Unreadable::body(&error).to_string();
        assert!(reason.contains("documented shape"), "{reason}");
        assert!(!reason.contains("182258491"), "{reason}");
        let truncated = serde_json::from_str::<Vec<u32>>("[1,").expect_err("truncated");
        assert!(matches!(
            Unreadable::body(&truncated),
            Unreadable::Body {
                fault: BodyFault::Truncated,
                line: 1,
                ..
            }
        ));
    }

    #[test]
    fn an_unreadable_answer_is_the_typed_reason_of_an_invalid_response() {
        let error = Unreadable::TooBig { cap: 64 }.at(200);
        assert_eq!(
            error.to_string(),
            "the provider's answer could not be understood (HTTP 200)"
        );
        let reason = std::error::Error::source(&error).expect("a reason");
        assert!(matches!(
            reason.downcast_ref::<Unreadable>(),
            Some(Unreadable::TooBig { cap: 64 })
        ));
        assert_eq!(reason.to_string(), "the body exceeds the cap of 64 bytes");
    }
}
