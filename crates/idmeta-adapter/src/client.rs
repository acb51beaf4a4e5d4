//! The HTTP client: one pooled `reqwest` client, the transport-failure classification, retries
//! and the tracing span of each call.

use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use phone_verify_domain::{
    CheckCodeRequest, CheckResult, GatewayError, SendCodeRequest, SendReceipt, VerificationGateway,
};
use phone_verify_http::{
    Answer, BaseUrlError, HttpConfigError, RawAnswer, Transport, record_check, record_outcome,
    record_send, retrying,
};
use reqwest::Url;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use tracing::{Instrument, Span, field};

use crate::RetryPolicy;
use crate::classify::{classify_check, classify_send};
use crate::config::{ClientConfigError, IdmetaClientBuilder};
use crate::wire::{Asked, SendBody, VerifyBody};

/// The path of the send endpoint, below the base URL.
pub const SEND_PATH: &str = "api/v3/verifications/phone-verification/send";
/// The path of the verify endpoint, below the base URL.
pub const VERIFY_PATH: &str = "api/v3/verifications/phone-verification/verify";

/// IDMeta's phone verification API v3 as a [`VerificationGateway`].
///
/// Cheap to clone (one `Arc`); every clone shares one connection pool. `Debug` never shows the
/// token. Build it with [`IdmetaClient::builder`].
#[derive(Clone)]
pub struct IdmetaClient {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    base_url: Url,
    send_url: Url,
    verify_url: Url,
    /// `Bearer <token>`, marked sensitive so `reqwest` and `http` never print it.
    authorization: HeaderValue,
    retry: RetryPolicy,
    max_response_bytes: usize,
}

/// The operation of a call, for spans and logs.
#[derive(Debug, Clone, Copy)]
enum Operation {
    SendCode,
    CheckCode,
}

impl IdmetaClient {
    /// Starts a builder. See [`IdmetaClientBuilder`].
    pub fn builder() -> IdmetaClientBuilder {
        IdmetaClientBuilder::default()
    }

    pub(crate) fn from_config(
        config: &IdmetaClientBuilder,
        base_url: Url,
        token: &SecretString,
    ) -> Result<Self, ClientConfigError> {
        let secret = token.expose_secret().trim();
        if secret.is_empty() {
            return Err(ClientConfigError::InvalidToken);
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {secret}"))
            .map_err(|_| ClientConfigError::InvalidToken)?;
        authorization.set_sensitive(true);
        let transport = Transport::new(
            config.http.limits,
            &config.user_agent,
            base_url.scheme() == "https",
        )
        .map_err(HttpConfigError::from)?;
        let join = |path| {
            base_url.join(path).map_err(|_| {
                HttpConfigError::BaseUrl(BaseUrlError::Invalid {
                    reason: "the endpoint path cannot be joined to it",
                })
            })
        };
        Ok(Self {
            inner: Arc::new(Inner {
                send_url: join(SEND_PATH)?,
                verify_url: join(VERIFY_PATH)?,
                base_url,
                transport,
                authorization,
                retry: config.http.retry,
                max_response_bytes: config.http.limits.max_response_bytes,
            }),
        })
    }

    /// The base URL every endpoint is joined to (always ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// Sends one body, retrying under the policy, inside `span`; classifies the answer.
    async fn call<T>(
        &self,
        operation: Operation,
        url: &Url,
        body: &impl Serialize,
        classify: impl Fn(Answer<'_>) -> Result<T, GatewayError>,
        span: Span,
    ) -> Result<T, GatewayError> {
        let started = Instant::now();
        let classify = &classify;
        // Serialised once; every attempt shares the buffer.
        let body = Bytes::from(serde_json::to_vec(body).map_err(|error| {
            GatewayError::RequestNotBuilt {
                source: Box::new(error),
            }
        })?);
        let budget = self.inner.transport.budget();
        let (result, attempts) = retrying(self.inner.retry, budget, crate::PROVIDER, |attempt| {
            let body = body.clone();
            async move {
                let outcome = self.attempt(url, body).await;
                let status = outcome.as_ref().map(|answer| answer.status).ok();
                tracing::debug!(
                    ?operation,
                    attempt,
                    http.status = status,
                    "attempt finished"
                );
                let answer = outcome?;
                Span::current().record("http.status", answer.status);
                classify(answer.at(SystemTime::now()))
            }
        })
        .instrument(span.clone())
        .await;
        record_outcome(&span, started, attempts, &result);
        result
    }

    /// One HTTP exchange: status, `Retry-After`, and the body read up to the cap.
    async fn attempt(&self, url: &Url, body: Bytes) -> Result<RawAnswer, GatewayError> {
        let inner = &self.inner;
        let request = inner
            .transport
            .http()
            .post(url.clone())
            .header(AUTHORIZATION, inner.authorization.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json");
        inner.transport.exchange(request, body).await
    }
}

#[async_trait]
impl VerificationGateway for IdmetaClient {
    async fn send_code(&self, request: &SendCodeRequest) -> Result<SendReceipt, GatewayError> {
        let span = tracing::info_span!(
            "idmeta.send_code",
            operation = "send_code",
            phone = %request.phone,
            trust_flow = request.trust_flow.get(),
            trust_validation = %request.trust_validation,
            reference = field::Empty,
            http.status = field::Empty,
            attempts = field::Empty,
            latency_ms = field::Empty,
        );
        let result = self
            .call(
                Operation::SendCode,
                &self.inner.send_url,
                &SendBody::from(request),
                classify_send,
                span.clone(),
            )
            .await;
        record_send(&span, &result);
        result
    }

    async fn check_code(&self, request: &CheckCodeRequest) -> Result<CheckResult, GatewayError> {
        let span = tracing::info_span!(
            "idmeta.check_code",
            operation = "check_code",
            phone = request.phone.as_ref().map(|p| p.masked()),
            trust_flow = request.trust_flow.get(),
            trust_validation = %request.trust_validation,
            reference = request.reference.as_ref().map(|r| r.as_str()),
            code_state = field::Empty,
            http.status = field::Empty,
            attempts = field::Empty,
            latency_ms = field::Empty,
        );
        let result = self
            .call(
                Operation::CheckCode,
                &self.inner.verify_url,
                &VerifyBody::from(request),
                |answer| classify_check(answer, Asked::from(request)),
                span.clone(),
            )
            .await;
        record_check(&span, &result);
        result
    }
}

impl fmt::Debug for IdmetaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdmetaClient")
            .field("base_url", &self.inner.base_url.as_str())
            .field("token", &"<redacted>")
            .field("retry", &self.inner.retry)
            .field("max_response_bytes", &self.inner.max_response_bytes)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use phone_verify_sim::UnvisitedPort;
    use serde::Serializer;

    use super::*;
    use crate::classify::classify_send;

    /// A body whose serialisation fails, as a bug in a wire type would.
    struct Unserialisable;

    impl Serialize for Unserialisable {
        fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom(
                "a wire type that cannot be written",
            ))
        }
    }

    #[tokio::test]
    async fn a_body_that_cannot_be_serialised_is_not_built_and_never_opens_a_connection() {
        let port = UnvisitedPort::bind();
        let client = IdmetaClient::builder()
            .base_url(port.url())
            .allow_plain_http(true)
            .token(SecretString::from("token"))
            .build()
            .expect("a valid configuration");
        let url = client.inner.send_url.clone();
        let error = client
            .call(
                Operation::SendCode,
                &url,
                &Unserialisable,
                classify_send,
                Span::none(),
            )
            .await
            .expect_err("the body cannot be written");
        assert!(
            matches!(error, GatewayError::RequestNotBuilt { .. }),
            "{error:?}"
        );
        assert!(!error.may_have_been_sent() && !error.is_retryable());
        assert!(!error.to_string().contains("reach"), "{error}");
        port.assert_unvisited();
    }
}
