//! The client: IDMeta's endpoints, its Bearer token and JSON bodies, and the span of each
//! call, over the shared call loop of `phone-verify-http`.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use phone_verify_domain::{
    CheckCodeRequest, CheckResult, GatewayError, SendCodeRequest, SendReceipt, TrustFlowId,
    VerificationGateway,
};
use phone_verify_http::{Adapter, Answer, Caller, Recorded, RequestBody, call_span};
use reqwest::Url;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use tracing::Span;

use crate::classify::{classify_check, classify_send};
use crate::config::{IdmetaClientBuilder, IdmetaConfigError};
use crate::wire::{Asked, SendBody, VerifyBody};

/// The path of the send endpoint, below the base URL.
pub const SEND_PATH: &str = "api/v3/verifications/phone-verification/send";
/// The path of the verify endpoint, below the base URL.
pub const VERIFY_PATH: &str = "api/v3/verifications/phone-verification/verify";

/// This adapter to the shared call loop: IDMeta's error codes are not recorded.
const ADAPTER: Adapter = Adapter {
    provider: crate::PROVIDER,
    user_agent: phone_verify_http::user_agent!(),
    error_code: None,
};

/// IDMeta's phone verification API v3 as a [`VerificationGateway`].
///
/// Cheap to clone (one `Arc`); every clone shares one connection pool. `Debug` never shows the
/// token. Build it with [`IdmetaClient::builder`].
#[derive(Clone)]
pub struct IdmetaClient {
    inner: Arc<Inner>,
}

struct Inner {
    /// The call loop, holding `Bearer <token>` (never printed).
    caller: Caller,
    send_url: Url,
    verify_url: Url,
    /// The Trust Flow every request names.
    trust_flow: TrustFlowId,
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
        trust_flow: TrustFlowId,
    ) -> Result<Self, IdmetaConfigError> {
        let secret = token.expose_secret().trim();
        if secret.is_empty() {
            return Err(IdmetaConfigError::InvalidToken);
        }
        let authorization = HeaderValue::from_str(&format!("Bearer {secret}"))
            .map_err(|_| IdmetaConfigError::InvalidToken)?;
        let caller = config.http.caller(ADAPTER, base_url, authorization)?;
        Ok(Self {
            inner: Arc::new(Inner {
                send_url: caller.endpoint(SEND_PATH)?,
                verify_url: caller.endpoint(VERIFY_PATH)?,
                caller,
                trust_flow,
            }),
        })
    }

    /// The Trust Flow every send and check names ([`IdmetaClientBuilder::trust_flow`]).
    pub fn trust_flow(&self) -> TrustFlowId {
        self.inner.trust_flow
    }

    /// The base URL every endpoint is joined to (always ends with `/`).
    pub fn base_url(&self) -> &Url {
        self.inner.caller.base_url()
    }

    /// Posts `body` as JSON through the call loop, inside `span`; classifies the answer.
    async fn call<T: Recorded>(
        &self,
        url: &Url,
        body: &impl Serialize,
        classify: impl Fn(Answer<'_>) -> Result<T, GatewayError>,
        span: Span,
    ) -> Result<T, GatewayError> {
        let body = RequestBody::json(body)?;
        self.inner.caller.post(url, body, classify, span).await
    }
}

#[async_trait]
impl VerificationGateway for IdmetaClient {
    async fn send_code(&self, request: &SendCodeRequest) -> Result<SendReceipt, GatewayError> {
        let flow = self.inner.trust_flow;
        let span = call_span!("idmeta", "send_code", request, trust_flow = flow.get());
        let body = SendBody::new(request, flow);
        self.call(&self.inner.send_url, &body, classify_send, span)
            .await
    }

    async fn check_code(&self, request: &CheckCodeRequest) -> Result<CheckResult, GatewayError> {
        let flow = self.inner.trust_flow;
        let span = call_span!("idmeta", "check_code", request, trust_flow = flow.get());
        let asked = Asked::from(request);
        let body = VerifyBody::new(request, flow);
        let classify = |answer: Answer<'_>| classify_check(answer, asked);
        self.call(&self.inner.verify_url, &body, classify, span)
            .await
    }
}

impl fmt::Debug for IdmetaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdmetaClient")
            .field("token", &"<redacted>")
            .field("trust_flow", &self.inner.trust_flow)
            .field("http", &self.inner.caller)
            .finish_non_exhaustive()
    }
}
