//! Why an answer could not be read: the adapter's own error, boxed as the reason of a
//! [`GatewayError::InvalidResponse`](phone_verify_domain::GatewayError::InvalidResponse). It
//! names the kind of fault and where, never the answer's content (which may echo a number).

use phone_verify_domain::IdError;

/// What was wrong with an answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unreadable {
    /// The body could not be decoded as the documented envelope.
    #[error("the body {fault} (line {line}, column {column})")]
    Body {
        fault: BodyFault,
        line: usize,
        column: usize,
    },
    /// A field every answer of this kind has is absent.
    #[error("`{0}` is missing")]
    Missing(&'static str),
    #[error("a timestamp is not RFC 3339")]
    Timestamp,
    #[error("`data.referenceId` is not a valid reference")]
    Reference(#[source] IdError),
    #[error("a redirect, which is never followed")]
    Redirect,
    #[error("an unexpected HTTP status")]
    UnexpectedStatus,
    #[error("the body exceeds the cap of {cap} bytes")]
    TooBig { cap: usize },
}

/// How a body failed to decode, from serde's classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BodyFault {
    #[error("could not be read")]
    Io,
    #[error("is not valid JSON")]
    Syntax,
    #[error("does not have the documented shape")]
    Shape,
    #[error("ends early (truncated JSON)")]
    Truncated,
}

impl Unreadable {
    /// The decoding failure of `error`, without serde's message (it can quote values).
    pub(crate) fn body(error: &serde_json::Error) -> Self {
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

    /// The [`GatewayError::InvalidResponse`](phone_verify_domain::GatewayError::InvalidResponse)
    /// of an answer with `status`.
    pub(crate) fn at(self, status: u16) -> phone_verify_domain::GatewayError {
        phone_verify_domain::GatewayError::InvalidResponse {
            status,
            reason: Box::new(self),
        }
    }
}
