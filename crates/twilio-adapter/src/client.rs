//! The client: Twilio's endpoints, Basic authentication and form bodies, and the span of each
//! call, over the shared call loop of `phone-verify-http`.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use phone_verify_domain::{
    AppHash, CancelCodeRequest, Channel, Channels, CheckCodeRequest, CheckResult, GatewayError,
    Locale, PhoneNumber, ProviderRules, SendCodeRequest, SendReceipt, VerificationGateway,
};
use phone_verify_http::{Adapter, Answer, Caller, ErrorCode, RequestBody, call_span};
use reqwest::Url;
use reqwest::header::HeaderValue;
use secrecy::ExposeSecret;
use tracing::field::Empty;

use crate::classify::{classify_cancel, classify_check, classify_send, error_code};
use crate::config::{TwilioClientBuilder, TwilioConfigError, Validated, is_sid};
use crate::wire::{Asked, SendDefaults, cancel_form, check_form, send_form};

/// The channels Twilio Verify delivers a phone code on that the port names (Twilio's `email`,
/// `sna` and `auto` have no counterpart in [`Channel`]).
const CHANNELS: Channels = Channels::of(&[Channel::Sms, Channel::Call, Channel::WhatsApp]);

/// This adapter to the shared call loop: Twilio's error code of an answer outside 2xx goes
/// into the span as `twilio.error_code`.
const ADAPTER: Adapter = Adapter {
    provider: crate::PROVIDER,
    user_agent: phone_verify_http::user_agent!(),
    error_code: Some(ErrorCode {
        field: "twilio.error_code",
        read: error_code,
    }),
};

/// Twilio Verify v2 as a [`VerificationGateway`].
///
/// Cheap to clone (one `Arc`); every clone shares one connection pool. `Debug` never shows the
/// credentials. Build it with [`TwilioClient::builder`].
#[derive(Clone)]
pub struct TwilioClient {
    inner: Arc<Inner>,
}

struct Inner {
    /// The call loop, holding `Basic <base64(user:secret)>` (never printed).
    caller: Caller,
    service_sid: String,
    send_url: Url,
    check_url: Url,
    /// The Service's base for one verification: `…/Verifications/` (its sid is appended).
    verifications_url: Url,
    /// The locale and app hash of a send that asks for none.
    send_defaults: SendDefaults,
    rules: ProviderRules,
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
        let authorization = HeaderValue::from_str(&format!("Basic {encoded}"))
            .map_err(|_| TwilioConfigError::InvalidSecret)?;
        let caller = config.http.caller(ADAPTER, base_url, authorization)?;
        let service =
            |operation: &str| caller.endpoint(&format!("v2/Services/{service_sid}/{operation}"));
        Ok(Self {
            inner: Arc::new(Inner {
                send_url: service("Verifications")?,
                check_url: service("VerificationCheck")?,
                verifications_url: service("Verifications/")?,
                send_defaults: config.send_defaults.clone(),
                rules: ProviderRules::per_number(config.verification_lifetime)
                    .offering(CHANNELS)
                    .honouring_locale(),
                caller,
                service_sid,
            }),
        })
    }

    /// The base URL every endpoint is joined to (always ends with `/`).
    pub fn base_url(&self) -> &Url {
        self.inner.caller.base_url()
    }

    /// The Verify Service every call goes to.
    pub fn service_sid(&self) -> &str {
        &self.inner.service_sid
    }

    /// The locale of a send that asks for none ([`TwilioClientBuilder::locale`]).
    pub fn locale(&self) -> Option<&Locale> {
        self.inner.send_defaults.locale.as_ref()
    }

    /// The app hash of an SMS whose send asks for none ([`TwilioClientBuilder::app_hash`]).
    pub fn app_hash(&self) -> Option<&AppHash> {
        self.inner.send_defaults.app_hash.as_ref()
    }
}

#[async_trait]
impl VerificationGateway for TwilioClient {
    /// Posts `To` and `Channel` (`sms`, `call` or `whatsapp`) to the Service's
    /// `Verifications`, with `Locale` when the request or the client has one, and `AppHash`
    /// when the request or the client has one and the channel is SMS (the request's values
    /// win). While a verification of the number is pending, Twilio re-sends the same code on
    /// the same `sid`, on the channel this send names.
    async fn send_code(&self, request: &SendCodeRequest) -> Result<SendReceipt, GatewayError> {
        let span = call_span!("twilio", "send_code", request, twilio.error_code = Empty);
        let form = RequestBody::form(send_form(request, &self.inner.send_defaults));
        let url = &self.inner.send_url;
        self.inner.caller.post(url, form, classify_send, span).await
    }

    /// Posts `Code` and the send's `VerificationSid` (or, without a reference, `To`) to the
    /// Service's `VerificationCheck`. A 404 (the verification was approved, expired or
    /// exhausted, and deleted) is
    /// [`RejectionKind::NotFound`](phone_verify_domain::RejectionKind::NotFound): "no pending
    /// code". A check with neither a reference nor a number is
    /// [`GatewayError::RequestNotBuilt`].
    async fn check_code(&self, request: &CheckCodeRequest) -> Result<CheckResult, GatewayError> {
        let span = call_span!("twilio", "check_code", request, twilio.error_code = Empty);
        // Nothing to address the check to: not built, so nothing is sent.
        let form = check_form(request).map_err(|unaddressed| GatewayError::RequestNotBuilt {
            source: Box::new(unaddressed),
        })?;
        let asked = Asked {
            reference: request.reference.as_ref(),
            to: request.phone.as_ref().map(PhoneNumber::e164),
        };
        let classify = |answer: Answer<'_>| classify_check(answer, asked);
        let url = &self.inner.check_url;
        self.inner
            .caller
            .post(url, RequestBody::form(form), classify, span)
            .await
    }

    /// Posts `Status=canceled` to the verification (`…/Verifications/{Sid}`): its code then
    /// verifies nothing, and the next send to the number starts a new verification with a new
    /// code. A verification Twilio no longer holds (20404: approved, expired or cancelled) is
    /// `Ok`. A reference that is not a verification sid (`VE` + 32 hex) is
    /// [`GatewayError::RequestNotBuilt`]: nothing is sent.
    async fn cancel_code(&self, request: &CancelCodeRequest) -> Result<(), GatewayError> {
        let span = call_span!("twilio", "cancel_code", request, twilio.error_code = Empty);
        let sid = request.reference.as_str();
        let url = is_sid("VE", sid)
            .then(|| self.inner.verifications_url.join(sid).ok())
            .flatten()
            .ok_or_else(|| GatewayError::RequestNotBuilt {
                source: Box::new(NotAVerificationSid),
            })?;
        let form = RequestBody::form(cancel_form());
        self.inner
            .caller
            .post(&url, form, classify_cancel, span)
            .await
    }

    /// One pending verification per number ([`ProviderRules::per_number`], the configured
    /// lifetime), offering SMS, voice calls and WhatsApp, and honouring a send's locale and app
    /// hash.
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
            .field("service_sid", &self.inner.service_sid)
            .field("credentials", &"<redacted>")
            .field("locale", &self.locale().map(Locale::as_str))
            .field("http", &self.inner.caller)
            .finish_non_exhaustive()
    }
}
