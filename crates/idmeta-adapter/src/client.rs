//! The HTTP client: one pooled `reqwest` client, the transport-failure classification, retries
//! and the tracing span of each call.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Instant, SystemTime};

use async_trait::async_trait;
use backon::Retryable;
use bytes::{Bytes, BytesMut};
use phone_verify_domain::{
    CheckCodeRequest, CheckResult, CodeState, GatewayError, SendCodeRequest, SendReceipt,
    VerificationGateway, metric_names,
};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Url, redirect};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use tracing::{Instrument, Span, field};

use crate::RetryPolicy;
use crate::classify::{Answer, classify_check, classify_send};
use crate::config::{ClientConfigError, IdmetaClientBuilder};
use crate::handover::Handover;
use crate::unreadable::Unreadable;
use crate::wire::{SendBody, VerifyBody};

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
    http: reqwest::Client,
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
        config: IdmetaClientBuilder,
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
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(base_url.scheme() == "https")
            .redirect(redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(config.user_agent.clone())
            .pool_idle_timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(ClientConfigError::Client)?;
        let join = |path| {
            base_url
                .join(path)
                .map_err(|_| ClientConfigError::InvalidBaseUrl {
                    reason: "the endpoint path cannot be joined to it",
                })
        };
        Ok(Self {
            inner: Arc::new(Inner {
                send_url: join(SEND_PATH)?,
                verify_url: join(VERIFY_PATH)?,
                base_url,
                http,
                authorization,
                retry: config.retry,
                max_response_bytes: config.max_response_bytes,
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
        classify: fn(Answer<'_>) -> Result<T, GatewayError>,
        span: Span,
    ) -> Result<T, GatewayError> {
        let started = Instant::now();
        // Serialised once; every attempt shares the buffer.
        let body = Bytes::from(serde_json::to_vec(body).map_err(|error| {
            GatewayError::RequestNotBuilt {
                source: Box::new(error),
            }
        })?);
        let attempts = AtomicU32::new(0);
        let retry = self.inner.retry;
        let result = (|| async {
            let attempt = attempts.fetch_add(1, Ordering::Relaxed) + 1;
            let outcome = self.attempt(url, body.clone()).await;
            let status = outcome.as_ref().map(|(status, _, _)| *status).ok();
            tracing::debug!(
                ?operation,
                attempt,
                http.status = status,
                "attempt finished"
            );
            let (status, retry_after, bytes) = outcome?;
            Span::current().record("http.status", status);
            classify(Answer {
                status,
                retry_after: retry_after.as_deref(),
                body: &bytes,
                received_at: SystemTime::now(),
            })
        })
        .retry(retry.backoff())
        .sleep(tokio::time::sleep)
        .when(|error| retry.should_retry(error))
        .adjust(|error, backoff| backoff.map(|wait| retry.delay_for(error, wait)))
        .notify(|error, wait| {
            metrics::counter!(
                metric_names::RETRIES_TOTAL,
                metric_names::label::PROVIDER => crate::PROVIDER,
                metric_names::label::CLASS => error.class().as_str(),
            )
            .increment(1);
            tracing::warn!(
                error.class = error.class().as_str(),
                wait_ms = wait.as_millis() as u64,
                "retrying"
            );
        })
        .instrument(span.clone())
        .await;
        span.record("attempts", attempts.load(Ordering::Relaxed));
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        let _entered = span.enter();
        match &result {
            Ok(_) => tracing::info!(outcome = "ok", "idmeta call succeeded"),
            Err(error) => tracing::warn!(
                outcome = error.class().as_str(),
                may_have_been_sent = error.may_have_been_sent(),
                // As an error, so a subscriber also shows its sources (an unreadable
                // answer's reason is one), none of which holds the answer's content.
                error = error as &(dyn std::error::Error + 'static),
                "idmeta call failed"
            ),
        }
        result
    }

    /// One HTTP exchange: status, `Retry-After`, and the body read up to the cap.
    async fn attempt(
        &self,
        url: &Url,
        body: Bytes,
    ) -> Result<(u16, Option<String>, Bytes), GatewayError> {
        let inner = &self.inner;
        let (handover, body) = Handover::of(body);
        let mut response = inner
            .http
            .post(url.clone())
            .header(AUTHORIZATION, inner.authorization.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
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
        let cap = inner.max_response_bytes;
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
        let bytes = joined.map(BytesMut::freeze).or(first).unwrap_or_default();
        Ok((status, retry_after, bytes))
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
        if let Ok(receipt) = &result {
            span.record("reference", receipt.reference.as_str());
        }
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
                classify_check,
                span.clone(),
            )
            .await;
        if let Ok(check) = &result {
            // An unlisted state is the provider's free text (it could echo the number): the
            // span says only that it was unlisted; the caller gets it whole.
            let code_state = match &check.code_state {
                CodeState::Other(_) => "OTHER",
                listed => listed.as_str(),
            };
            span.record("code_state", code_state);
        }
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
    use std::net::TcpListener;

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
        let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
        listener.set_nonblocking(true).expect("non-blocking");
        let client = IdmetaClient::builder()
            .base_url(format!("http://{}", listener.local_addr().expect("bound")))
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
        let accepted = listener.accept();
        assert!(
            accepted
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock),
            "no connection was opened: {accepted:?}"
        );
    }
}
