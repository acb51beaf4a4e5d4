//! The HTTP client: Basic authentication, form bodies, retries and the tracing span of each
//! call, over the shared transport of `phone-verify-http`.

use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use phone_verify_domain::{
    CancelCodeRequest, CheckCodeRequest, CheckResult, GatewayError, PhoneNumber, ProviderRules,
    SendCodeRequest, SendReceipt, VerificationGateway,
};
use phone_verify_http::{
    Answer, BaseUrlError, HttpConfigError, Transport, record_check, record_outcome, record_send,
    retrying,
};
use reqwest::Url;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use secrecy::ExposeSecret;
use tracing::{Instrument, Span, field};

use crate::RetryPolicy;
use crate::classify::{classify_cancel, classify_check, classify_send, error_code};
use crate::config::{TwilioClientBuilder, TwilioConfigError, Validated, is_sid};
use crate::wire::{Asked, cancel_form, check_form, send_form};

/// Twilio Verify v2 as a [`VerificationGateway`].
///
/// Cheap to clone (one `Arc`); every clone shares one connection pool. `Debug` never shows the
/// credentials. Build it with [`TwilioClient::builder`].
#[derive(Clone)]
pub struct TwilioClient {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    base_url: Url,
    service_sid: String,
    send_url: Url,
    check_url: Url,
    /// The Service's base for one verification: `…/Verifications/` (its sid is appended).
    verifications_url: Url,
    rules: ProviderRules,
    /// `Basic <base64(user:secret)>`, marked sensitive so `reqwest` and `http` never print it.
    authorization: HeaderValue,
    retry: RetryPolicy,
}

impl TwilioClient {
    /// Starts a builder. See [`TwilioClientBuilder`].
    pub fn builder() -> TwilioClientBuilder {
        TwilioClientBuilder::default()
    }

    pub(crate) fn from_config(
        config: &TwilioClientBuilder,
        validated: Validated,
    ) -> Result<Self, TwilioConfigError> {
        let Validated {
            service_sid,
            base_url,
            basic_pair,
        } = validated;
        let encoded = STANDARD.encode(basic_pair.expose_secret());
        let mut authorization = HeaderValue::from_str(&format!("Basic {encoded}"))
            .map_err(|_| TwilioConfigError::InvalidSecret)?;
        authorization.set_sensitive(true);
        let transport = Transport::new(
            config.http.limits,
            &config.user_agent,
            base_url.scheme() == "https",
        )
        .map_err(HttpConfigError::from)?;
        let join = |operation: &str| {
            base_url
                .join(&format!("v2/Services/{service_sid}/{operation}"))
                .map_err(|_| {
                    HttpConfigError::BaseUrl(BaseUrlError::Invalid {
                        reason: "the endpoint path cannot be joined to it",
                    })
                })
        };
        Ok(Self {
            inner: Arc::new(Inner {
                send_url: join("Verifications")?,
                check_url: join("VerificationCheck")?,
                verifications_url: join("Verifications/")?,
                rules: ProviderRules::per_number(config.verification_lifetime),
                transport,
                base_url,
                service_sid,
                authorization,
                retry: config.http.retry,
            }),
        })
    }

    /// The base URL every endpoint is joined to (always ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The Verify Service every call goes to.
    pub fn service_sid(&self) -> &str {
        &self.inner.service_sid
    }

    /// Posts one form, retrying under the policy, inside `span`; classifies the answer.
    async fn call<T>(
        &self,
        url: &Url,
        form: String,
        classify: impl Fn(Answer<'_>) -> Result<T, GatewayError>,
        span: Span,
    ) -> Result<T, GatewayError> {
        let started = Instant::now();
        // Encoded once; every attempt shares the buffer.
        let body = Bytes::from(form);
        let classify = &classify;
        let budget = self.inner.transport.budget();
        let (result, attempts) = retrying(self.inner.retry, budget, crate::PROVIDER, |attempt| {
            let body = body.clone();
            async move {
                let request = self
                    .inner
                    .transport
                    .http()
                    .post(url.clone())
                    .header(AUTHORIZATION, self.inner.authorization.clone())
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(ACCEPT, "application/json");
                let outcome = self.inner.transport.exchange(request, body).await;
                let status = outcome.as_ref().map(|answer| answer.status).ok();
                tracing::debug!(attempt, http.status = status, "attempt finished");
                let answer = outcome?;
                let current = Span::current();
                current.record("http.status", answer.status);
                if !(200..=299).contains(&answer.status) {
                    current.record("twilio.error_code", error_code(&answer.body));
                }
                classify(answer.at(SystemTime::now()))
            }
        })
        .instrument(span.clone())
        .await;
        record_outcome(&span, started, attempts, &result);
        result
    }
}

#[async_trait]
impl VerificationGateway for TwilioClient {
    /// Posts `To` and `Channel=sms` to the Service's `Verifications`. While a verification of the
    /// number is pending, Twilio re-sends the same code on the same `sid`.
    async fn send_code(&self, request: &SendCodeRequest) -> Result<SendReceipt, GatewayError> {
        let span = tracing::info_span!(
            "twilio.send_code",
            operation = "send_code",
            phone = %request.phone,
            trust_validation = %request.trust_validation,
            reference = field::Empty,
            http.status = field::Empty,
            twilio.error_code = field::Empty,
            attempts = field::Empty,
            latency_ms = field::Empty,
        );
        let result = self
            .call(
                &self.inner.send_url,
                send_form(request),
                classify_send,
                span.clone(),
            )
            .await;
        record_send(&span, &result);
        result
    }

    /// Posts `Code` and the send's `VerificationSid` (or, without a reference, `To`) to the
    /// Service's `VerificationCheck`. A 404 (the verification was approved, expired or
    /// exhausted, and deleted) is
    /// [`RejectionKind::NotFound`](phone_verify_domain::RejectionKind::NotFound): "no pending
    /// code". A check with neither a reference nor a number is
    /// [`GatewayError::RequestNotBuilt`].
    async fn check_code(&self, request: &CheckCodeRequest) -> Result<CheckResult, GatewayError> {
        let span = tracing::info_span!(
            "twilio.check_code",
            operation = "check_code",
            phone = request.phone.as_ref().map(|p| p.masked()),
            trust_validation = %request.trust_validation,
            reference = request.reference.as_ref().map(|r| r.as_str()),
            code_state = field::Empty,
            http.status = field::Empty,
            twilio.error_code = field::Empty,
            attempts = field::Empty,
            latency_ms = field::Empty,
        );
        // Nothing to address the check to: not built, so nothing is sent.
        let form = check_form(request).map_err(|unaddressed| GatewayError::RequestNotBuilt {
            source: Box::new(unaddressed),
        })?;
        let asked = Asked {
            reference: request.reference.as_ref(),
            to: request.phone.as_ref().map(PhoneNumber::e164),
        };
        let result = self
            .call(
                &self.inner.check_url,
                form,
                |answer| classify_check(answer, asked),
                span.clone(),
            )
            .await;
        record_check(&span, &result);
        result
    }

    /// Posts `Status=canceled` to the verification (`…/Verifications/{Sid}`): its code then
    /// verifies nothing, and the next send to the number starts a new verification with a new
    /// code. A verification Twilio no longer holds (20404: approved, expired or cancelled) is
    /// `Ok`. A reference that is not a verification sid (`VE` + 32 hex) is
    /// [`GatewayError::RequestNotBuilt`]: nothing is sent.
    async fn cancel_code(&self, request: &CancelCodeRequest) -> Result<(), GatewayError> {
        let span = tracing::info_span!(
            "twilio.cancel_code",
            operation = "cancel_code",
            phone = request.phone.as_ref().map(|p| p.masked()),
            reference = %request.reference,
            http.status = field::Empty,
            twilio.error_code = field::Empty,
            attempts = field::Empty,
            latency_ms = field::Empty,
        );
        let sid = request.reference.as_str();
        let url = is_sid("VE", sid)
            .then(|| self.inner.verifications_url.join(sid).ok())
            .flatten()
            .ok_or_else(|| GatewayError::RequestNotBuilt {
                source: Box::new(NotAVerificationSid),
            })?;
        self.call(&url, cancel_form(), classify_cancel, span).await
    }

    fn rules(&self) -> ProviderRules {
        self.inner.rules.clone()
    }
}

/// A cancel was asked for a reference that is not a Twilio verification sid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the reference is not a Twilio verification sid")]
struct NotAVerificationSid;

impl fmt::Debug for TwilioClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioClient")
            .field("base_url", &self.inner.base_url.as_str())
            .field("service_sid", &self.inner.service_sid)
            .field("credentials", &"<redacted>")
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}
