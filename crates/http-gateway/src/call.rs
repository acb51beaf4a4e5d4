//! The one call loop of every provider adapter: a request encoded once, sent under the retry
//! policy within the call's budget, each attempt logged, the answer's status (and the
//! provider's error code) recorded into the call's span, the answer classified by the
//! adapter's pure function, and the span closed with the outcome.
//!
//! An adapter supplies only what is its provider's: who it is ([`Adapter`]: its name in
//! metrics, its user agent, where its error code is), its credentials (the `Authorization`
//! header, given to [`crate::HttpOptions::caller`]), how each request is encoded
//! ([`RequestBody`]) and how each answer is classified (a closure over [`Answer`]).

use std::fmt;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use phone_verify_domain::{
    CancelCodeRequest, CheckCodeRequest, CheckResult, GatewayError, PhoneNumber, SendCodeRequest,
    SendReceipt,
};
use reqwest::Url;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Serialize;
use tracing::{Instrument, Span, field};

use crate::config::HttpConfigError;
use crate::retry::{record_outcome, retrying};
use crate::transport::{Answer, Limits, RawAnswer, Transport};
use crate::{BaseUrlError, RetryPolicy};

/// What an adapter tells the call loop about itself, declared once as a `const`.
///
/// ```
/// use phone_verify_http::{Adapter, ErrorCode};
///
/// fn code_of(_body: &[u8]) -> Option<u32> {
///     None
/// }
///
/// const ADAPTER: Adapter = Adapter {
///     provider: "example",
///     user_agent: phone_verify_http::user_agent!(),
///     error_code: Some(ErrorCode { field: "example.error_code", read: code_of }),
/// };
/// assert!(ADAPTER.user_agent.starts_with("phone-verify-http/"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Adapter {
    /// The provider's name in metrics (the `provider` label of
    /// `phone_verify_retries_total`) and logs: `idmeta`, `twilio`.
    pub provider: &'static str,
    /// The `User-Agent` of every request: the adapter's crate and version
    /// ([`user_agent!`](crate::user_agent)).
    pub user_agent: &'static str,
    /// Where the provider's own error code is, when it has one.
    pub error_code: Option<ErrorCode>,
}

/// The provider's error code of an answer outside 2xx, recorded into the call's span.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode {
    /// The span field it is recorded in (`twilio.error_code`); every call span of the adapter
    /// declares it (`field::Empty`).
    pub field: &'static str,
    /// Reads it from the body, best effort: `None` when the body holds none.
    pub read: fn(&[u8]) -> Option<u32>,
}

/// `name/version` of the crate that expands it, for [`Adapter::user_agent`].
///
/// ```
/// assert_eq!(
///     phone_verify_http::user_agent!(),
///     concat!("phone-verify-http/", env!("CARGO_PKG_VERSION"))
/// );
/// ```
#[macro_export]
macro_rules! user_agent {
    () => {
        concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"))
    };
}

/// Opens the `info` span of one provider call, named `provider.operation` (`idmeta.send_code`),
/// with every field a call's span has, declared here once so that no adapter can leave one out
/// or log one its own way: `operation`; what the request says ([`Recorded`], recorded at once:
/// the number masked, the trust validation, the reference); what the answer says
/// (`reference`, `code_state`); what the call loop records ([`Caller::post`]: `http.status`,
/// `attempts`, `latency_ms`); then the adapter's own fields, a provider with an [`ErrorCode`]
/// declaring its field among them. Never the full number, never the code.
///
/// ```
/// use phone_verify_domain::{CancelCodeRequest, ReferenceId};
///
/// let request = CancelCodeRequest {
///     reference: ReferenceId::parse("VE0123")?,
///     phone: None,
/// };
/// let span = phone_verify_http::call_span!(
///     "example",
///     "cancel_code",
///     &request,
///     example.error_code = tracing::field::Empty,
/// );
/// # let _ = span;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[macro_export]
macro_rules! call_span {
    ($provider:literal, $operation:literal, $request:expr $(, $($field:tt)*)?) => {{
        let span = $crate::__private::tracing::info_span!(
            concat!($provider, ".", $operation),
            operation = $operation,
            phone = $crate::__private::tracing::field::Empty,
            trust_validation = $crate::__private::tracing::field::Empty,
            reference = $crate::__private::tracing::field::Empty,
            code_state = $crate::__private::tracing::field::Empty,
            http.status = $crate::__private::tracing::field::Empty,
            attempts = $crate::__private::tracing::field::Empty,
            latency_ms = $crate::__private::tracing::field::Empty,
            $($($field)*)?
        );
        $crate::Recorded::record($request, &span);
        span
    }};
}

/// What a call's request, or its answer once read, adds to the call's span, into the fields
/// [`call_span!`](crate::call_span) declares: the request's when the span opens, a successful
/// answer's in [`Caller::post`]. The number is always masked; the code never recorded.
pub trait Recorded {
    /// Records this request or answer into `span`.
    fn record(&self, span: &Span);
}

/// The number (masked, its `Display`) and the trust validation.
impl Recorded for SendCodeRequest {
    fn record(&self, span: &Span) {
        span.record("phone", field::display(&self.phone));
        span.record("trust_validation", field::display(&self.trust_validation));
    }
}

/// The number (masked) when it names one, the trust validation, and the reference when it
/// names one.
impl Recorded for CheckCodeRequest {
    fn record(&self, span: &Span) {
        record_masked(span, self.phone.as_ref());
        span.record("trust_validation", field::display(&self.trust_validation));
        if let Some(reference) = &self.reference {
            span.record("reference", reference.as_str());
        }
    }
}

/// The number (masked) when it names one, and the reference.
impl Recorded for CancelCodeRequest {
    fn record(&self, span: &Span) {
        record_masked(span, self.phone.as_ref());
        span.record("reference", self.reference.as_str());
    }
}

/// Records the number a request may name, masked; nothing when it names none (a `None` would
/// still leave an empty entry in some subscribers' output).
fn record_masked(span: &Span, phone: Option<&PhoneNumber>) {
    if let Some(phone) = phone {
        span.record("phone", phone.masked());
    }
}

/// The send's reference, once it is known.
impl Recorded for SendReceipt {
    fn record(&self, span: &Span) {
        span.record("reference", self.reference.as_str());
    }
}

/// The check's code state, by its stable name. A state kept as `CodeState::Other` is the
/// provider's free text (it could echo the number): the span says only `other`; the caller
/// gets it whole.
impl Recorded for CheckResult {
    fn record(&self, span: &Span) {
        span.record(
            "code_state",
            self.code_state.stable_name().unwrap_or("other"),
        );
    }
}

/// An answer that says nothing more (a cancel's).
impl Recorded for () {
    fn record(&self, _span: &Span) {}
}

/// A request's body, encoded once (every attempt sends the same bytes), with its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestBody {
    content_type: &'static str,
    bytes: Bytes,
}

impl RequestBody {
    /// `value` as JSON (`application/json`).
    ///
    /// ```
    /// use phone_verify_http::RequestBody;
    ///
    /// let body = RequestBody::json(&serde_json::json!({"otp": "012345"}))?;
    /// assert_eq!(body.content_type(), "application/json");
    /// assert_eq!(body.bytes(), br#"{"otp":"012345"}"#);
    /// # Ok::<(), phone_verify_domain::GatewayError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`GatewayError::RequestNotBuilt`] when `value` cannot be serialised (a bug of a wire
    /// type): nothing is sent, and a retry would fail the same way.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, GatewayError> {
        let bytes = serde_json::to_vec(value).map_err(|error| GatewayError::RequestNotBuilt {
            source: Box::new(error),
        })?;
        Ok(Self {
            content_type: "application/json",
            bytes: Bytes::from(bytes),
        })
    }

    /// An encoded form (`application/x-www-form-urlencoded`).
    ///
    /// ```
    /// use phone_verify_http::RequestBody;
    ///
    /// let body = RequestBody::form("To=%2B15017122661&Channel=sms".to_owned());
    /// assert_eq!(body.content_type(), "application/x-www-form-urlencoded");
    /// ```
    pub fn form(encoded: String) -> Self {
        Self {
            content_type: "application/x-www-form-urlencoded",
            bytes: Bytes::from(encoded),
        }
    }

    /// The `Content-Type` it is sent with.
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }

    /// The bytes sent.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// One adapter's HTTP calls: its transport (one connection pool), base URL, retry policy and
/// credentials, and the call loop every operation goes through ([`Caller::post`]). Built by
/// [`crate::HttpOptions::caller`]. `Debug` never shows the credentials.
#[derive(Clone)]
pub struct Caller {
    adapter: Adapter,
    transport: Transport,
    limits: Limits,
    base_url: Url,
    retry: RetryPolicy,
    /// Marked sensitive, so `reqwest` and `http` never print it either.
    authorization: HeaderValue,
}

impl Caller {
    pub(crate) fn new(
        adapter: Adapter,
        limits: Limits,
        retry: RetryPolicy,
        base_url: Url,
        mut authorization: HeaderValue,
    ) -> Result<Self, HttpConfigError> {
        authorization.set_sensitive(true);
        let transport = Transport::new(limits, adapter.user_agent, base_url.scheme() == "https")?;
        Ok(Self {
            adapter,
            transport,
            limits,
            base_url,
            retry,
            authorization,
        })
    }

    /// The base URL every endpoint is joined to (always ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The URL of an endpoint, `path` joined below the base URL.
    ///
    /// # Errors
    ///
    /// [`BaseUrlError::Invalid`] (as an [`HttpConfigError`]) when `path` cannot be joined to
    /// the base URL.
    pub fn endpoint(&self, path: &str) -> Result<Url, HttpConfigError> {
        self.base_url.join(path).map_err(|_| {
            HttpConfigError::BaseUrl(BaseUrlError::Invalid {
                reason: "the endpoint path cannot be joined to it",
            })
        })
    }

    /// Posts `body` to `url` inside `span` (opened with [`call_span!`](crate::call_span)), and
    /// classifies the answer with `classify`, the adapter's pure function.
    ///
    /// Each attempt is sent with the adapter's `Authorization`, the body's `Content-Type` and
    /// `Accept: application/json`, over the shared [`Transport`] (which tells whether a failed
    /// attempt's body ever left), and logged at `debug` (`attempt finished`, with its number
    /// and status). The answer's status is recorded as `http.status`, and outside 2xx the
    /// provider's error code ([`Adapter::error_code`]); the answer is classified as received
    /// now. Failures are retried under the policy within the transport's budget
    /// ([`crate::retrying`], which counts each retry as `phone_verify_retries_total`); then the
    /// span gets what a successful answer says ([`Recorded`]), `attempts` and `latency_ms`,
    /// and the outcome is logged inside it.
    ///
    /// # Errors
    ///
    /// The last attempt's [`GatewayError`]: from the transport ([`Transport::exchange`]) or
    /// from `classify`.
    pub async fn post<T: Recorded>(
        &self,
        url: &Url,
        body: RequestBody,
        classify: impl Fn(Answer<'_>) -> Result<T, GatewayError>,
        span: Span,
    ) -> Result<T, GatewayError> {
        let started = Instant::now();
        let classify = &classify;
        let body = &body;
        let budget = self.transport.budget();
        let (result, attempts) = retrying(
            self.retry,
            budget,
            self.adapter.provider,
            |attempt| async move {
                let outcome = self.attempt(url, body).await;
                let status = outcome.as_ref().map(|answer| answer.status).ok();
                tracing::debug!(attempt, http.status = status, "attempt finished");
                let answer = outcome?;
                self.record_answer(&Span::current(), &answer);
                classify(answer.at(SystemTime::now()))
            },
        )
        .instrument(span.clone())
        .await;
        if let Ok(answer) = &result {
            answer.record(&span);
        }
        record_outcome(&span, started, attempts, &result);
        result
    }

    /// One HTTP exchange: status, `Retry-After`, and the body read up to the cap.
    async fn attempt(&self, url: &Url, body: &RequestBody) -> Result<RawAnswer, GatewayError> {
        let request = self
            .transport
            .http()
            .post(url.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(CONTENT_TYPE, body.content_type)
            .header(ACCEPT, "application/json");
        // The bytes are shared, not copied: every attempt hands over the same buffer.
        self.transport.exchange(request, body.bytes.clone()).await
    }

    /// Records what an answer says about the call into its span: the status, and outside 2xx
    /// the provider's error code.
    fn record_answer(&self, span: &Span, answer: &RawAnswer) {
        span.record("http.status", answer.status);
        if let Some(code) = self.adapter.error_code
            && !(200..=299).contains(&answer.status)
            && let Some(value) = (code.read)(&answer.body)
        {
            span.record(code.field, value);
        }
    }
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("provider", &self.adapter.provider)
            .field("base_url", &self.base_url.as_str())
            .field("authorization", &"<redacted>")
            .field("retry", &self.retry)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use serde::Serializer;

    use super::*;

    /// A body whose serialisation fails, as a bug in a wire type would.
    struct Unserialisable;

    impl Serialize for Unserialisable {
        fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom(
                "a wire type that cannot be written",
            ))
        }
    }

    #[test]
    fn a_body_that_cannot_be_serialised_is_a_request_not_built() {
        let error = RequestBody::json(&Unserialisable).expect_err("the body cannot be written");
        assert!(
            matches!(error, GatewayError::RequestNotBuilt { .. }),
            "{error:?}"
        );
        assert!(!error.may_have_been_sent() && !error.is_retryable());
        assert!(!error.to_string().contains("reach"), "{error}");
    }

    #[test]
    fn a_form_is_sent_as_it_was_encoded() {
        let body = RequestBody::form("Code=0042&To=%2B15017122661".to_owned());
        assert_eq!(body.bytes(), b"Code=0042&To=%2B15017122661");
        assert_eq!(body.content_type(), "application/x-www-form-urlencoded");
    }
}
