//! The entry point an embedding back end holds: send, check, what to tell the end user.

use phone_verify_app::{
    CheckCode, CheckCodeError, CheckedCode, NextStep, SendCode, SendCodeError, SentCode,
    TellsNextStep,
};
use phone_verify_domain::{OtpCode, PhoneNumber, SendCodeRequest, TrustValidationId};

use crate::{PhoneVerificationBuilder, VerificationRecords};

/// Phone verification, wired: sends codes, checks them, says what to tell the end user, and
/// holds the record of both ([`PhoneVerification::records`]).
///
/// Built by [`PhoneVerification::builder`]. Cheap to clone (a few `Arc`s) and shareable across
/// tasks: keep one per process, in your application state. Every send and every check is
/// recorded before the provider is called and finished after, and every error says what
/// happened to the SMS.
///
/// ```
/// # #[cfg(feature = "test-util")]
/// # {
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// use phone_verify::{PhoneNumber, PhoneVerification, SendCodeRequest, TrustValidationId};
/// use phone_verify::records::PageRequest;
/// use phone_verify::testing::sim;
///
/// let sim = sim::start(sim::SimConfig::default()).await?;
/// let verification = PhoneVerification::builder().simulator(&sim).build().await?;
/// let phone = PhoneNumber::parse("+60182258491")?;
/// let request = SendCodeRequest::new(
///     phone.clone(),
///     TrustValidationId::parse("tv-1")?,
/// );
/// let for_a_handler = verification.clone();
/// for_a_handler.send_code(&request).await?;
/// let history = verification.records().history_of_number(&phone, PageRequest::first(10)).await?;
/// assert_eq!(history.items.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PhoneVerification {
    pub(crate) send: SendCode,
    pub(crate) check: CheckCode,
    pub(crate) records: VerificationRecords,
}

impl PhoneVerification {
    /// The builder: choose a provider or several (`idmeta`, `twilio`, `gateway`, `provider`,
    /// `simulator`), with routes and failover between them, optionally a store and policies,
    /// then `build`.
    ///
    /// ```
    /// use phone_verify::PhoneVerification;
    ///
    /// let builder = PhoneVerification::builder();
    /// # let _ = builder;
    /// ```
    pub fn builder() -> PhoneVerificationBuilder {
        PhoneVerificationBuilder::new()
    }

    /// Sends a code to `request.phone` for its trust validation, after the send guards
    /// ([`crate::policy::SendPolicy`]) and with the attempt recorded before and after the
    /// provider call. Nothing is retried once it may have reached the provider.
    ///
    /// # Errors
    ///
    /// [`SendCodeError`]; [`PhoneVerification::next_step`] says what to tell the end user
    /// (never "try again" when a code may be on its way), and
    /// [`SendCodeError::may_have_been_sent`] whether a code may be on its way.
    ///
    /// ```
    /// # #[cfg(feature = "test-util")]
    /// # {
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use std::time::Duration;
    /// use phone_verify::{NextStep, PhoneNumber, PhoneVerification, SendCodeRequest, TrustValidationId};
    /// use phone_verify::testing::{ManualClock, sim};
    ///
    /// let sim = sim::start(sim::SimConfig::default()).await?;
    /// let verification = PhoneVerification::builder()
    ///     .simulator(&sim)
    ///     .clock(ManualClock::new("2026-05-14T10:00:00Z".parse()?))
    ///     .build()
    ///     .await?;
    /// let request = SendCodeRequest::new(
    ///     PhoneNumber::parse("+60182258491")?,
    ///     TrustValidationId::parse("tv-1")?,
    /// );
    /// let sent = verification.send_code(&request).await;
    /// assert_eq!(verification.next_step(&sent), NextStep::UseCodeSent);
    /// // At once again: the cooldown (30 s by default) refuses, and says how long to wait.
    /// let again = verification.send_code(&request).await;
    /// assert_eq!(verification.next_step(&again), NextStep::Wait { wait: Duration::from_secs(30) });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn send_code(&self, request: &SendCodeRequest) -> Result<SentCode, SendCodeError> {
        self.send.send(request).await
    }

    /// Checks `code` against the current send of `trust_validation`, after the check guards
    /// ([`crate::policy::CheckPolicy`]: lifetime, attempts), with the check recorded. A wrong
    /// code is an answer ([`CheckedCode::is_verified`] is false), not an error.
    ///
    /// `phone` is the number the code went to, when the caller knows it: a store that keeps
    /// numbers protected has no number to name to a provider that finds codes by number
    /// (Twilio), and names this one once its keys confirm it is the send's. Without it such a
    /// check may fail with [`CheckCodeError::NumberNeeded`]; with a store that keeps numbers
    /// in clear, or IDMeta, it changes nothing.
    ///
    /// # Errors
    ///
    /// [`CheckCodeError`]: refused locally ([`CheckCodeError::Refused`]), no pending code at
    /// the provider ([`CheckCodeError::NoPendingCode`]), the provider or the store failing;
    /// [`PhoneVerification::next_step`] says what to tell the end user.
    ///
    /// ```
    /// # #[cfg(feature = "test-util")]
    /// # {
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use phone_verify::{NextStep, OtpCode, PhoneVerification, TrustValidationId};
    /// use phone_verify::testing::sim;
    ///
    /// let sim = sim::start(sim::SimConfig::default()).await?;
    /// let verification = PhoneVerification::builder().simulator(&sim).build().await?;
    /// let never_sent = TrustValidationId::parse("tv-without-a-send")?;
    /// let checked = verification.check_code(never_sent, OtpCode::parse("123456")?, None).await;
    /// assert_eq!(verification.next_step(&checked), NextStep::CodeGone);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn check_code(
        &self,
        trust_validation: TrustValidationId,
        code: OtpCode,
        phone: Option<&PhoneNumber>,
    ) -> Result<CheckedCode, CheckCodeError> {
        match phone {
            Some(phone) => {
                self.check
                    .check_with_number(trust_validation, code, phone)
                    .await
            }
            None => self.check.check(trust_validation, code).await,
        }
    }

    /// What to tell the end user after `outcome`: a send's or a check's answer or error, or
    /// the `Result` of either. A wait is computed on this handle's clock, so a guard's
    /// `retry_at` turns into the right `Retry-After` under a manual clock too.
    pub fn next_step(&self, outcome: &impl TellsNextStep) -> NextStep {
        outcome.next_step(self.records.now())
    }

    /// The record of attempts: history, purge, reconcile, number conversion, and closing
    /// the store.
    pub fn records(&self) -> &VerificationRecords {
        &self.records
    }
}
