//! What is asked of the provider and what it answered, for the two operations.

use chrono::{DateTime, Utc};

use crate::{
    AppHash, Channel, ClientKey, CodeState, DeliveryState, DeliveryStatus, Locale, OtpCode,
    PhoneNumber, ReferenceId, TrustValidationId, VerificationStatus,
};

/// Ask the provider to send a code: to whom, for which trust validation, on which channel,
/// in which language.
///
/// Every field is already validated, so a request that exists is well formed. `Debug` masks the
/// phone number. Made with [`SendCodeRequest::new`] (an SMS in the number's language) and
/// the `with_…` methods; `#[non_exhaustive]`, so a new option does not break a caller.
///
/// ```
/// use phone_verify_domain::{Channel, Locale, PhoneNumber, SendCodeRequest, TrustValidationId};
///
/// let phone = PhoneNumber::parse("+60 18-225 8491")?;
/// let tv = TrustValidationId::parse("signup-42")?;
/// let sms = SendCodeRequest::new(phone.clone(), tv.clone());
/// assert_eq!(sms.channel, Channel::Sms);
/// // "No SMS? Call me instead", in English although the number is Malaysian:
/// let call = SendCodeRequest::new(phone, tv)
///     .with_channel(Channel::Call)
///     .with_locale(Locale::parse("en")?);
/// assert_eq!(call.locale.as_ref().map(|l| l.as_str()), Some("en"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendCodeRequest {
    /// Who receives the code.
    pub phone: PhoneNumber,
    /// The Trust Validation (one run of the flow for one end user).
    pub trust_validation: TrustValidationId,
    /// How the code reaches the end user ([`Channel::Sms`] unless asked). Only a provider
    /// that offers it is called ([`crate::ProviderRules::channels`]).
    pub channel: Channel,
    /// The language of the message; `None` leaves it to the provider (Twilio: the number's
    /// country). Ignored by a provider that does not honour it
    /// ([`crate::ProviderRules::honours_locale`]).
    pub locale: Option<Locale>,
    /// The Android app hash an SMS ends with, for the SMS Retriever; sent with SMS only, and
    /// ignored by a provider that does not honour it.
    pub app_hash: Option<AppHash>,
    /// The end user's client, when the application names one: what the guard of clients
    /// counts sends by. Never sent to a provider.
    pub client: Option<ClientKey>,
}

impl SendCodeRequest {
    /// An SMS to `phone` for `trust_validation`, in the language the provider picks.
    pub fn new(phone: PhoneNumber, trust_validation: TrustValidationId) -> Self {
        Self {
            phone,
            trust_validation,
            channel: Channel::Sms,
            locale: None,
            app_hash: None,
            client: None,
        }
    }

    /// This request on `channel`.
    #[must_use]
    pub fn with_channel(self, channel: Channel) -> Self {
        Self { channel, ..self }
    }

    /// This request in `locale`.
    #[must_use]
    pub fn with_locale(self, locale: Locale) -> Self {
        Self {
            locale: Some(locale),
            ..self
        }
    }

    /// This request with the Android app hash `app_hash` (SMS only).
    #[must_use]
    pub fn with_app_hash(self, app_hash: AppHash) -> Self {
        Self {
            app_hash: Some(app_hash),
            ..self
        }
    }

    /// This request from the end user's `client` (an IP address, a device, a session).
    #[must_use]
    pub fn with_client(self, client: ClientKey) -> Self {
        Self {
            client: Some(client),
            ..self
        }
    }
}

/// What the provider answered to a send it accepted.
///
/// A gateway of your own builds one with [`SendReceipt::accepted`] (the values of a fresh
/// send) and, when its provider reports delivery, [`SendReceipt::with_delivery`]; the fields
/// stay public for an adapter that reads every one of them from its provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    /// The provider's id of this send; pass it to the check.
    pub reference: ReferenceId,
    /// When the provider accepted the send.
    pub submitted_at: DateTime<Utc>,
    /// The SMS delivery status at the time of the answer.
    pub delivery: DeliveryStatus,
    /// The code's state (normally [`CodeState::Unknown`] right after a send).
    pub code_state: CodeState,
    /// The Trust Validation's status (normally [`VerificationStatus::Pending`]).
    pub verification_status: VerificationStatus,
}

impl SendReceipt {
    /// A send the provider accepted under `reference` at `submitted_at`, with the values of a
    /// fresh send: nothing checked yet ([`CodeState::Unknown`]), the verification
    /// [`VerificationStatus::Pending`], and delivery [`DeliveryState::NotReported`] (the
    /// answer said nothing of it; see [`SendReceipt::with_delivery`]).
    ///
    /// ```
    /// use phone_verify_domain::{
    ///     CodeState, DateTime, DeliveryState, ReferenceId, SendReceipt, Utc, VerificationStatus,
    /// };
    ///
    /// let submitted_at: DateTime<Utc> = "2026-05-14T10:00:00Z".parse()?;
    /// let receipt = SendReceipt::accepted(ReferenceId::parse("ref-1")?, submitted_at);
    /// assert_eq!(receipt.reference.as_str(), "ref-1");
    /// assert_eq!(receipt.code_state, CodeState::Unknown);
    /// assert_eq!(receipt.verification_status, VerificationStatus::Pending);
    /// assert_eq!(receipt.delivery.state, DeliveryState::NotReported);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accepted(reference: ReferenceId, submitted_at: DateTime<Utc>) -> Self {
        Self {
            reference,
            submitted_at,
            delivery: not_reported(),
            code_state: CodeState::Unknown,
            verification_status: VerificationStatus::Pending,
        }
    }

    /// The same receipt with what the provider said of the SMS's delivery.
    ///
    /// ```
    /// use phone_verify_domain::{
    ///     DateTime, DeliveryState, DeliveryStatus, ReferenceId, SendReceipt, Utc,
    /// };
    ///
    /// let at: DateTime<Utc> = "2026-05-14T10:00:00Z".parse()?;
    /// let receipt = SendReceipt::accepted(ReferenceId::parse("ref-1")?, at).with_delivery(
    ///     DeliveryStatus { state: DeliveryState::InProgress, updated_on: Some(at) },
    /// );
    /// assert_eq!(receipt.delivery.state, DeliveryState::InProgress);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_delivery(self, delivery: DeliveryStatus) -> Self {
        Self { delivery, ..self }
    }
}

/// A delivery the provider's answer said nothing of.
fn not_reported() -> DeliveryStatus {
    DeliveryStatus {
        state: DeliveryState::NotReported,
        updated_on: None,
    }
}

/// Ask the provider whether a code is the one it sent.
///
/// `Debug` masks the phone number and redacts the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckCodeRequest {
    /// The code the end user typed.
    pub code: OtpCode,
    /// The Trust Validation of the send.
    pub trust_validation: TrustValidationId,
    /// The send's reference, when known (narrows the check to that send).
    pub reference: Option<ReferenceId>,
    /// The number the code went to, when known.
    pub phone: Option<PhoneNumber>,
}

/// Ask the provider to end a pending code ([`crate::VerificationGateway::cancel_code`]).
///
/// `Debug` masks the phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelCodeRequest {
    /// The reference of the send whose code is to end.
    pub reference: ReferenceId,
    /// The number the code went to, when known.
    pub phone: Option<PhoneNumber>,
}

/// How a check ended, read from the code state and the verification status together.
///
/// Not `#[non_exhaustive]`: stores record every verdict by its stable name, and a new verdict
/// must be a compile error where it is mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckVerdict {
    /// The code matched: the end user holds the number.
    Verified,
    /// The code did not match; the end user may try again.
    WrongCode,
    /// The code's lifetime is over: send a new one.
    Expired,
    /// Too many wrong codes: send a new one (or give up).
    TooManyAttempts,
    /// The provider's answer does not say (an undocumented state): treat as not verified.
    Undetermined,
}

crate::stable_names!(CheckVerdict, "check verdict", {
    Verified => "verified",
    WrongCode => "wrong_code",
    Expired => "expired",
    TooManyAttempts => "too_many_attempts",
    Undetermined => "undetermined",
});

/// What the provider answered to a check. A wrong code is a result, not an error.
///
/// A gateway of your own builds one with [`CheckResult::verified`],
/// [`CheckResult::wrong_code`] or, for any other answer, [`CheckResult::new`], then names the
/// send with [`CheckResult::with_reference`] when its provider says which one it checked; the
/// fields stay public for an adapter that reads every one of them from its provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The state of the code after this check.
    pub code_state: CodeState,
    /// The Trust Validation's status after this check.
    pub verification_status: VerificationStatus,
    /// What the provider says of the SMS's delivery.
    pub delivery: DeliveryStatus,
    /// The reference of the send the check applied to, when the provider gave it.
    pub reference: Option<ReferenceId>,
    /// The provider's timestamp of the answer.
    pub checked_at: DateTime<Utc>,
}

impl CheckResult {
    /// An answer with this code state and verification status at `checked_at`, naming no
    /// send and reporting no delivery ([`DeliveryState::NotReported`]). The verdict reads
    /// both ([`CheckResult::verdict`]).
    ///
    /// ```
    /// use phone_verify_domain::{
    ///     CheckResult, CheckVerdict, CodeState, DateTime, Utc, VerificationStatus,
    /// };
    ///
    /// let at: DateTime<Utc> = "2026-05-14T10:00:00Z".parse()?;
    /// let expired = CheckResult::new(CodeState::Expired, VerificationStatus::Rejected, at);
    /// assert_eq!(expired.verdict(), CheckVerdict::Expired);
    /// assert_eq!(expired.reference, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        code_state: CodeState,
        verification_status: VerificationStatus,
        checked_at: DateTime<Utc>,
    ) -> Self {
        Self {
            code_state,
            verification_status,
            delivery: not_reported(),
            reference: None,
            checked_at,
        }
    }

    /// The code matched: [`CodeState::Valid`] and [`VerificationStatus::Verified`].
    ///
    /// ```
    /// use phone_verify_domain::{CheckResult, CheckVerdict, DateTime, Utc};
    ///
    /// let at: DateTime<Utc> = "2026-05-14T10:00:00Z".parse()?;
    /// let result = CheckResult::verified(at);
    /// assert_eq!(result.verdict(), CheckVerdict::Verified);
    /// assert!(result.is_verified());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verified(checked_at: DateTime<Utc>) -> Self {
        Self::new(CodeState::Valid, VerificationStatus::Verified, checked_at)
    }

    /// The code did not match and the end user may try again: [`CodeState::Invalid`], the
    /// verification still [`VerificationStatus::Pending`].
    ///
    /// ```
    /// use phone_verify_domain::{CheckResult, CheckVerdict, DateTime, Utc};
    ///
    /// let at: DateTime<Utc> = "2026-05-14T10:00:00Z".parse()?;
    /// let result = CheckResult::wrong_code(at);
    /// assert_eq!(result.verdict(), CheckVerdict::WrongCode);
    /// assert!(!result.is_verified());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wrong_code(checked_at: DateTime<Utc>) -> Self {
        Self::new(CodeState::Invalid, VerificationStatus::Pending, checked_at)
    }

    /// The same answer naming the send it applied to: the use cases record the check against
    /// the send of that reference.
    ///
    /// ```
    /// use phone_verify_domain::{CheckResult, DateTime, ReferenceId, Utc};
    ///
    /// let at: DateTime<Utc> = "2026-05-14T10:00:00Z".parse()?;
    /// let result = CheckResult::verified(at).with_reference(ReferenceId::parse("ref-1")?);
    /// assert_eq!(result.reference.as_ref().map(ReferenceId::as_str), Some("ref-1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_reference(self, reference: ReferenceId) -> Self {
        Self {
            reference: Some(reference),
            ..self
        }
    }

    /// The same answer with what the provider said of the SMS's delivery.
    ///
    /// ```
    /// use phone_verify_domain::{CheckResult, DateTime, DeliveryState, DeliveryStatus, Utc};
    ///
    /// let at: DateTime<Utc> = "2026-05-14T10:00:00Z".parse()?;
    /// let result = CheckResult::verified(at)
    ///     .with_delivery(DeliveryStatus { state: DeliveryState::Delivered, updated_on: None });
    /// assert_eq!(result.delivery.state, DeliveryState::Delivered);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_delivery(self, delivery: DeliveryStatus) -> Self {
        Self { delivery, ..self }
    }

    /// The verdict: [`CheckVerdict::Verified`] only when the code state is
    /// [`CodeState::Valid`] and the status is not [`VerificationStatus::Rejected`] or
    /// [`VerificationStatus::Failed`]; any other combination, or a state kept as `Other`, is
    /// [`CheckVerdict::Undetermined`], never a success.
    pub fn verdict(&self) -> CheckVerdict {
        match (&self.code_state, &self.verification_status) {
            (_, VerificationStatus::Rejected | VerificationStatus::Failed)
                if self.code_state == CodeState::Valid =>
            {
                CheckVerdict::Undetermined
            }
            (CodeState::Valid, _) => CheckVerdict::Verified,
            (CodeState::Invalid, _) => CheckVerdict::WrongCode,
            (CodeState::Expired, _) => CheckVerdict::Expired,
            (CodeState::MaxAttemptsExceeded, _) => CheckVerdict::TooManyAttempts,
            _ => CheckVerdict::Undetermined,
        }
    }

    /// Whether the end user proved they hold the number.
    pub fn is_verified(&self) -> bool {
        self.verdict() == CheckVerdict::Verified
    }
}
