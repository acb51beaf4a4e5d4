//! The port to the verification provider, and its error type.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::{
    CancelCodeRequest, CheckCodeRequest, CheckResult, ProviderRules, SendCodeRequest, SendReceipt,
};

/// A boxed transport error, kept as the `source` of a [`GatewayError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Per-field messages from the provider, keyed by its field name (`phone_number`, ...).
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Why the provider refused a request it understood.
///
/// Not `#[non_exhaustive]`: the use cases map every kind to what they record, and a new kind
/// must be a compile error there, not fall into a catch-all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectionKind {
    /// A field was invalid (HTTP 422); see the field errors.
    InvalidRequest,
    /// The trust validation, trust flow or reference is unknown to the provider (HTTP 404).
    /// On a check, the provider holds no pending code: how a gateway says so
    /// ([`VerificationGateway::check_code`], "No pending code").
    NotFound,
    /// The token is valid but not allowed to do this (HTTP 403).
    Forbidden,
    /// The provider answered but said `success: false` without a more specific reason.
    Unsuccessful,
}

crate::stable_names!(RejectionKind, "rejection kind", {
    InvalidRequest => "invalid_request",
    NotFound => "not_found",
    Forbidden => "forbidden",
    Unsuccessful => "unsuccessful",
});

/// What a provider's rate limit is about, as far as its answer says: what the caller should
/// do differs (use the code already sent; retry in a moment; back off).
///
/// Not `#[non_exhaustive]`, for the same reason as [`GatewayError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateLimitKind {
    /// The answer does not say (a bare 429): wait as asked, or a while.
    Unspecified,
    /// The end user already holds a live code for this number (Twilio's 60203: too many sends
    /// within one verification's life): tell them to use the code already sent; a new send is
    /// refused until that verification is checked, cancelled or expires.
    CodeAlreadySent,
    /// Too many requests for this number at the same moment (Twilio's 60212): retry shortly.
    NumberBusy,
    /// The account's request rate (Twilio's 20429): back off, whichever number.
    Account,
}

crate::stable_names!(RateLimitKind, "rate limit kind", {
    Unspecified => "unspecified",
    CodeAlreadySent => "code_already_sent",
    NumberBusy => "number_busy",
    Account => "account",
});

/// The class of a [`GatewayError`]: its variant without the details, as records and metrics
/// name it ([`GatewayError::class`]). `as_str` and `FromStr` give the stable names.
///
/// Not `#[non_exhaustive]`, for the same reason as [`GatewayError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// `not_sent`: the request never left.
    NotSent,
    /// `request_not_built`: the request could not be built, so it never left.
    RequestNotBuilt,
    /// `rejected`: the provider refused the request.
    Rejected,
    /// `unauthorized`: the provider refused the token.
    Unauthorized,
    /// `rate_limited`: the provider asked to wait.
    RateLimited,
    /// `outcome_unknown`: no answer after the request went out.
    OutcomeUnknown,
    /// `provider_fault`: HTTP 5xx that may have been processed.
    ProviderFault,
    /// `unavailable`: the provider's own API said it turned the request away unprocessed.
    Unavailable,
    /// `invalid_response`: an answer that could not be read.
    InvalidResponse,
    /// `abandoned`: no answer was ever recorded. A send or check left in flight (its process
    /// died mid-call) that reconciliation closed as outcome unknown. Never a
    /// [`GatewayError::class`]: only a record holds it.
    Abandoned,
}

crate::stable_names!(ErrorClass, "error class", {
    NotSent => "not_sent",
    RequestNotBuilt => "request_not_built",
    Rejected => "rejected",
    Unauthorized => "unauthorized",
    RateLimited => "rate_limited",
    OutcomeUnknown => "outcome_unknown",
    ProviderFault => "provider_fault",
    Unavailable => "unavailable",
    InvalidResponse => "invalid_response",
    Abandoned => "abandoned",
});

/// What went wrong in a call to the provider, and above all what happened to its side effect.
///
/// A send costs money and there is no idempotency key, so the first question after a failure
/// is [`GatewayError::may_have_been_sent`]: if it is `true`, a repeat may deliver a second SMS
/// and void the first code. [`GatewayError::is_retryable`] is `true` only where a retry cannot
/// duplicate anything.
///
/// `Display` never includes provider free text (which may echo personal data); read it through
/// the variant's fields.
///
/// Not `#[non_exhaustive]`: every layer (the use cases, the command line, an embedder) must
/// decide what a new failure means for the side effect, so a new variant is meant to break
/// every `match` on this type instead of falling into a wildcard arm.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The request never left: the connection could not be made (refused, DNS failure, TLS
    /// handshake failed before the request was written). Nothing was sent; safe to retry.
    #[error("the request was not sent: could not reach the provider")]
    NotSent {
        /// The transport error.
        #[source]
        source: BoxError,
    },
    /// The request could not be built (its body could not be serialised): a fault of this
    /// side, not of the network. Nothing was sent; a retry fails the same way.
    #[error("the request was not sent: it could not be built")]
    RequestNotBuilt {
        /// Why it could not be built.
        #[source]
        source: BoxError,
    },
    /// The provider understood the request and refused it (422, 404, 403, or a 200 with
    /// `success: false`). Nothing was sent; repeating the same request will fail the same way.
    #[error("the provider refused the request ({kind})")]
    Rejected {
        /// Why it refused.
        kind: RejectionKind,
        /// The HTTP status of the answer.
        status: u16,
        /// The provider's message, verbatim (may echo input: do not log it).
        message: Option<String>,
        /// Per-field messages, for 422.
        field_errors: FieldErrors,
    },
    /// The token is missing, wrong or revoked (401). Nothing was sent; fix the configuration.
    #[error("the provider did not accept the API token")]
    Unauthorized,
    /// The provider refused because of rate limits (429). Nothing was sent; it may be retried
    /// after `retry_after`, when the provider said.
    #[error("the provider rate-limited the request")]
    RateLimited {
        /// How long the provider asked to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
        /// What the limit is about, as the provider's answer says.
        kind: RateLimitKind,
        /// The provider's own error code, when its answer had one (Twilio's 60203, ...): for
        /// logs and support, never to branch on (that is `kind`'s job).
        provider_code: Option<u32>,
    },
    /// The request may have reached the provider but no answer came: a timeout, or the
    /// connection was cut after the request was written. The SMS may or may not have gone
    /// out: record it as such and never resend automatically.
    #[error("the outcome is unknown: the request may have reached the provider")]
    OutcomeUnknown {
        /// The transport error.
        #[source]
        source: BoxError,
    },
    /// The provider failed (HTTP 5xx) without proving that it left the request unprocessed:
    /// the request may have been processed before the failure, whatever the status. A 503 is
    /// no proof: a proxy or load balancer in front of the provider answers 503 after the
    /// origin received the request, and Twilio documents that a 5xx on a send may have
    /// delivered. The SMS may have gone out: never resend automatically.
    #[error("the provider failed with HTTP {status}")]
    ProviderFault {
        /// The HTTP status.
        status: u16,
        /// How long the provider asked to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// The provider's own API answered that it is unavailable and turned the request away
    /// unprocessed: an answer the adapter documents as such (IDMeta's JSON 503; Twilio
    /// documents none, `docs/provider-api.md`). Nothing was sent; safe to retry after
    /// `retry_after`, and a send may fail over to another provider.
    #[error("the provider is unavailable (HTTP {status}) and did not process the request")]
    Unavailable {
        /// The HTTP status (503).
        status: u16,
        /// How long the provider asked to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// The provider answered in a way we cannot read (not JSON, missing fields, a body over the
    /// size cap). If the status was a success the request was most likely processed.
    #[error("the provider's answer could not be understood (HTTP {status})")]
    InvalidResponse {
        /// The HTTP status of the answer.
        status: u16,
        /// What was wrong with it (the adapter's own error type), without any of its content.
        #[source]
        reason: BoxError,
    },
}

impl GatewayError {
    /// Whether the provider may have acted on the request (sent the SMS, or counted a check
    /// attempt). `true` means a blind retry risks a duplicate.
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            Self::NotSent { .. }
            | Self::RequestNotBuilt { .. }
            | Self::Rejected { .. }
            | Self::Unauthorized
            | Self::RateLimited { .. }
            | Self::Unavailable { .. } => false,
            Self::ProviderFault { .. }
            | Self::OutcomeUnknown { .. }
            | Self::InvalidResponse { .. } => true,
        }
    }

    /// Whether the provider accepted the request although its answer could not be read in
    /// full: an unreadable answer with a 2xx status. The 2xx proves the send was taken (the
    /// code is on its way) or the check counted; only its details are lost.
    pub fn was_accepted(&self) -> bool {
        matches!(self, Self::InvalidResponse { status, .. } if (200..=299).contains(status))
    }

    /// Whether repeating the same request is safe (cannot duplicate a side effect) and may
    /// succeed: not sent, rate limited, or unavailable by the provider's own word. Honour
    /// [`GatewayError::retry_after`] first.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::NotSent { .. } | Self::RateLimited { .. } | Self::Unavailable { .. } => true,
            Self::ProviderFault { .. }
            | Self::RequestNotBuilt { .. }
            | Self::Rejected { .. }
            | Self::Unauthorized
            | Self::OutcomeUnknown { .. }
            | Self::InvalidResponse { .. } => false,
        }
    }

    /// How long the provider asked to wait before a retry, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. }
            | Self::ProviderFault { retry_after, .. }
            | Self::Unavailable { retry_after, .. } => *retry_after,
            Self::NotSent { .. }
            | Self::RequestNotBuilt { .. }
            | Self::Rejected { .. }
            | Self::Unauthorized
            | Self::OutcomeUnknown { .. }
            | Self::InvalidResponse { .. } => None,
        }
    }

    /// A rate limit the provider did not explain: a bare 429, with its wait when it gave one.
    pub fn rate_limited(retry_after: Option<Duration>) -> Self {
        Self::RateLimited {
            retry_after,
            kind: RateLimitKind::Unspecified,
            provider_code: None,
        }
    }

    /// The variant without its details, for records and metrics; its stable name is
    /// [`ErrorClass::as_str`].
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::NotSent { .. } => ErrorClass::NotSent,
            Self::RequestNotBuilt { .. } => ErrorClass::RequestNotBuilt,
            Self::Rejected { .. } => ErrorClass::Rejected,
            Self::Unauthorized => ErrorClass::Unauthorized,
            Self::RateLimited { .. } => ErrorClass::RateLimited,
            Self::OutcomeUnknown { .. } => ErrorClass::OutcomeUnknown,
            Self::ProviderFault { .. } => ErrorClass::ProviderFault,
            Self::Unavailable { .. } => ErrorClass::Unavailable,
            Self::InvalidResponse { .. } => ErrorClass::InvalidResponse,
        }
    }
}

/// A pending code could not be ended because the provider's adapter offers no way to: it
/// declares its provider keeps trust validations apart ([`ProviderRules`]), so nothing asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this provider's adapter cannot cancel a pending code")]
pub struct CancelNotSupported;

/// The port to a phone verification provider: send a code by SMS, check a code, and end a
/// pending code where the provider needs it; with what the adapter declares about how its
/// provider keeps codes ([`VerificationGateway::rules`]).
///
/// Implemented by `idmeta-adapter` and `twilio-verify-adapter` over HTTP; with the `mocks`
/// feature, `MockVerificationGateway` (mockall; its `rules` are the default, IDMeta's model)
/// serves the unit tests of the layers above. Usable as `Arc<dyn VerificationGateway>`; an
/// `Arc` or a `Box` of a gateway is a gateway too, forwarding every method (the provided
/// [`VerificationGateway::rules`] and [`VerificationGateway::cancel_code`] included).
/// `Debug` is required, as of every port, so whatever holds one can show it (an
/// implementation's `Debug` must not show its token).
///
/// # A gateway of your own
///
/// Implement the two required methods with `#[async_trait]` (re-exported by the
/// `phone-verify` crate), building the answers with [`SendReceipt::accepted`] and
/// [`CheckResult::verified`], [`CheckResult::wrong_code`] or [`CheckResult::new`]; their times
/// are `DateTime<Utc>` ([`crate::DateTime`], [`crate::Utc`], re-exported). A wrong, expired or
/// exhausted code is an `Ok` answer. A check the provider holds **no pending code** for
/// (never sent, used, expired and forgotten, replaced, cancelled) is the error
/// [`GatewayError::Rejected`] with [`RejectionKind::NotFound`], and nothing else: the use
/// cases record it as "no pending code", count it as no attempt, and tell the caller a new
/// code is needed ([`VerificationGateway::check_code`], "No pending code"). Override
/// [`VerificationGateway::rules`] (and [`VerificationGateway::cancel_code`]) when the
/// provider does not keep one code per trust validation.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// use async_trait::async_trait;
/// use phone_verify_domain::{
///     CheckCodeRequest, CheckResult, CheckVerdict, FieldErrors, GatewayError, OtpCode,
///     PhoneNumber, ReferenceId, RejectionKind, SendCodeRequest, SendReceipt, TrustValidationId,
///     Utc, VerificationGateway,
/// };
///
/// /// A provider whose one code is 918273, pending once sent (a stand-in for yours).
/// #[derive(Debug, Default)]
/// struct OneCode {
///     sent: AtomicBool,
/// }
///
/// #[async_trait]
/// impl VerificationGateway for OneCode {
///     async fn send_code(&self, _request: &SendCodeRequest) -> Result<SendReceipt, GatewayError> {
///         self.sent.store(true, Ordering::SeqCst);
///         let reference = ReferenceId::parse("sms-1").expect("a valid reference");
///         // The time the provider accepted the send, when it says.
///         Ok(SendReceipt::accepted(reference, Utc::now()))
///     }
///
///     async fn check_code(&self, request: &CheckCodeRequest) -> Result<CheckResult, GatewayError> {
///         if !self.sent.load(Ordering::SeqCst) {
///             // No pending code: the one way to say it.
///             return Err(GatewayError::Rejected {
///                 kind: RejectionKind::NotFound,
///                 status: 404,
///                 message: None,
///                 field_errors: FieldErrors::new(),
///             });
///         }
///         Ok(match request.code.expose() {
///             "918273" => CheckResult::verified(Utc::now()),
///             _ => CheckResult::wrong_code(Utc::now()),
///         })
///     }
/// }
/// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
/// #     let mut future = std::pin::pin!(future);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop {
/// #         if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
/// #             return output;
/// #         }
/// #     }
/// # }
///
/// let gateway = OneCode::default();
/// let trust_validation = TrustValidationId::parse("tv-1")?;
/// let check = CheckCodeRequest {
///     code: OtpCode::parse("918273")?,
///     trust_validation: trust_validation.clone(),
///     reference: None,
///     phone: None,
/// };
/// let before = block_on(gateway.check_code(&check));
/// assert!(matches!(
///     before,
///     Err(GatewayError::Rejected { kind: RejectionKind::NotFound, .. })
/// ));
/// let send = SendCodeRequest::new(PhoneNumber::parse("+60182258491")?, trust_validation);
/// block_on(gateway.send_code(&send))?;
/// assert_eq!(block_on(gateway.check_code(&check))?.verdict(), CheckVerdict::Verified);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[async_trait]
pub trait VerificationGateway: Send + Sync + fmt::Debug {
    /// Asks the provider to send a code by SMS.
    ///
    /// # Errors
    ///
    /// - [`GatewayError::NotSent`]: no SMS went out; safe to retry.
    /// - [`GatewayError::RequestNotBuilt`]: no SMS went out; a retry fails the same way.
    /// - [`GatewayError::Rejected`], [`GatewayError::Unauthorized`]: no SMS went out; a retry
    ///   fails the same way.
    /// - [`GatewayError::RateLimited`]: no SMS went out; retry after the wait.
    /// - [`GatewayError::OutcomeUnknown`]: an SMS may have gone out. Record it; do not resend
    ///   without the end user asking.
    /// - [`GatewayError::ProviderFault`]: an SMS may have gone out (any 5xx, 503 included,
    ///   unless the provider's own API said otherwise).
    /// - [`GatewayError::Unavailable`]: the provider's own API said it did not process the
    ///   request; no SMS went out.
    /// - [`GatewayError::InvalidResponse`]: most likely sent; the answer was unreadable.
    async fn send_code(&self, request: &SendCodeRequest) -> Result<SendReceipt, GatewayError>;

    /// Asks the provider whether a code matches. A wrong, expired or exhausted code is an
    /// `Ok` result with the matching [`crate::CodeState`], not an error.
    ///
    /// # No pending code
    ///
    /// When the provider answers that it holds no pending code for the request (it never
    /// sent one for this trust validation, reference or number, or the code was used,
    /// replaced by a newer send, cancelled, or expired and forgotten), return
    /// [`GatewayError::Rejected`] with [`RejectionKind::NotFound`]: `status` the answer's HTTP
    /// status (404; 404 too for a provider not reached over HTTP), `message` the provider's
    /// text if any, `field_errors` empty. That error, and only it, is what the use cases read
    /// as "no pending code": they record the check as such (`CheckOutcome::NoPendingCode` in
    /// `phone-verify-app`), count it as no attempt, and answer `CheckCodeError::NoPendingCode`
    /// (the end user needs a new code). Both shipped adapters map their provider's answer so
    /// (IDMeta's own 404, Twilio's 20404).
    ///
    /// Not for it: a 404 that is not the provider's own answer (a proxy's, a wrong base
    /// path) says nothing about the request, so it is [`GatewayError::InvalidResponse`]; and
    /// a code the provider still holds but reports expired or exhausted is an `Ok` answer
    /// ([`crate::CodeState::Expired`], [`crate::CodeState::MaxAttemptsExceeded`]).
    ///
    /// # Errors
    ///
    /// The same variants as [`VerificationGateway::send_code`], where "sent" means the provider
    /// may have counted the attempt; [`GatewayError::Rejected`] with
    /// [`RejectionKind::NotFound`] means no pending code (above).
    async fn check_code(&self, request: &CheckCodeRequest) -> Result<CheckResult, GatewayError>;

    /// Ends a pending code, so that it no longer verifies anything (Twilio: the verification
    /// is cancelled). The use cases call it only for a provider that does not keep trust
    /// validations apart ([`ProviderRules::isolates_trust_validations`]), before a send for
    /// one trust validation to a number whose code is pending for another. The default, for
    /// an adapter whose provider keeps them apart, is [`GatewayError::RequestNotBuilt`] with
    /// [`CancelNotSupported`]: nothing is sent.
    ///
    /// # Errors
    ///
    /// As [`VerificationGateway::check_code`]; a code the provider no longer holds (already
    /// used, expired or cancelled) is `Ok`: it verifies nothing either way.
    async fn cancel_code(&self, request: &CancelCodeRequest) -> Result<(), GatewayError> {
        let _ = request;
        Err(GatewayError::RequestNotBuilt {
            source: Box::new(CancelNotSupported),
        })
    }

    /// How the provider keeps codes: what a check that names no send reaches, the code's
    /// lifetime, whether a resend reuses the code, what the attempt limit counts. The use
    /// cases apply these rules to the sends this provider made. The default is
    /// [`ProviderRules::per_trust_validation`] (IDMeta's model); an adapter whose provider
    /// differs must say so.
    fn rules(&self) -> ProviderRules {
        ProviderRules::default()
    }
}

/// Implements [`VerificationGateway`] for a smart pointer to one, forwarding every method,
/// the provided ones too: a wrapper that fell back to a default would lose its adapter's
/// [`VerificationGateway::rules`] or its [`VerificationGateway::cancel_code`] without a word.
macro_rules! forward_gateway {
    ($($pointer:ident)::+) => {
        /// Forwards every method, the provided ones too, to the gateway pointed to.
        #[async_trait]
        impl<T: VerificationGateway + ?Sized> VerificationGateway for $($pointer)::+<T> {
            async fn send_code(
                &self,
                request: &SendCodeRequest,
            ) -> Result<SendReceipt, GatewayError> {
                (**self).send_code(request).await
            }

            async fn check_code(
                &self,
                request: &CheckCodeRequest,
            ) -> Result<CheckResult, GatewayError> {
                (**self).check_code(request).await
            }

            async fn cancel_code(&self, request: &CancelCodeRequest) -> Result<(), GatewayError> {
                (**self).cancel_code(request).await
            }

            fn rules(&self) -> ProviderRules {
                (**self).rules()
            }
        }
    };
}

forward_gateway!(std::sync::Arc);
forward_gateway!(Box);

#[cfg(feature = "mocks")]
mockall::mock! {
    /// A mockall double of [`VerificationGateway`] (feature `mocks`): `send_code`,
    /// `check_code` and `cancel_code` are driven by expectations; `rules` is the default
    /// ([`ProviderRules::per_trust_validation`]).
    pub VerificationGateway {}

    #[async_trait]
    impl VerificationGateway for VerificationGateway {
        async fn send_code(&self, request: &SendCodeRequest) -> Result<SendReceipt, GatewayError>;
        async fn check_code(&self, request: &CheckCodeRequest) -> Result<CheckResult, GatewayError>;
        async fn cancel_code(&self, request: &CancelCodeRequest) -> Result<(), GatewayError>;
    }
}

#[cfg(feature = "mocks")]
impl fmt::Debug for MockVerificationGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MockVerificationGateway")
    }
}
