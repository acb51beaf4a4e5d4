//! The entry point an embedding back end holds: send, check, history.

use std::sync::Arc;
use std::time::Duration;

use phone_verify_app::{
    AttemptRecord, CheckCode, CheckCodeError, CheckedCode, Clock, HistoryError, Page, PageRequest,
    PurgeError, PurgeMode, PurgeRecords, PurgeReport, ReconcileError, ReconcileInFlight,
    ReconcileReport, SendCode, SendCodeError, SentCode, VerificationHistory, VerificationStore,
};
use phone_verify_domain::{OtpCode, PhoneNumber, SendCodeRequest, TrustValidationId};

use crate::PhoneVerificationBuilder;

/// Phone verification, wired: sends codes, checks them and reads the record of both.
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
/// use phone_verify::{PageRequest, PhoneNumber, PhoneVerification, SendCodeRequest, TrustFlowId, TrustValidationId};
/// use phone_verify::testing::sim;
///
/// let sim = sim::start(sim::SimConfig::default()).await?;
/// let verification = PhoneVerification::builder().simulator(&sim).build().await?;
/// let phone = PhoneNumber::parse("+60182258491")?;
/// let request = SendCodeRequest {
///     phone: phone.clone(),
///     trust_validation: TrustValidationId::parse("tv-1")?,
/// };
/// let for_a_handler = verification.clone();
/// for_a_handler.send_code(&request).await?;
/// let history = verification.history_of_number(&phone, PageRequest::first(10)).await?;
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
    pub(crate) history: VerificationHistory,
    /// The retention policy, under the guards this handle sends and checks with.
    pub(crate) purge: PurgeRecords,
    /// The record of attempts.
    pub(crate) store: Arc<dyn VerificationStore>,
    /// The clock the use cases read.
    pub(crate) clock: Arc<dyn Clock>,
    /// The SQL store the builder opened, closed by [`PhoneVerification::close`].
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) sql: Option<crate::sql::SqlVerificationStore>,
}

impl PhoneVerification {
    /// Deletes (or, with [`PurgeMode::DryRun`], counts) the records of every trust validation
    /// whose attempts all finished more than `older_than` ago, in short batches, never what
    /// this handle's guards still need ([`PurgeRecords::purge`]; `docs/operations.md`,
    /// "Retention and reconciliation").
    ///
    /// # Errors
    ///
    /// [`PurgeError::TooRecent`] for an age the guards still need (nothing deleted);
    /// [`PurgeError::Store`] when the store fails (what was deleted before is in it).
    pub async fn purge(
        &self,
        older_than: Duration,
        mode: PurgeMode,
    ) -> Result<PurgeReport, PurgeError> {
        self.purge.purge(older_than, mode).await
    }

    /// Closes the sends and checks a crash left in flight for longer than `older_than` as
    /// "outcome unknown (abandoned)" ([`ReconcileInFlight`]); at least
    /// [`crate::MIN_ABANDONED_AFTER`], [`crate::DEFAULT_ABANDONED_AFTER`] is the usual age.
    ///
    /// # Errors
    ///
    /// [`ReconcileError::TooRecent`] for an age a live call may still last (nothing
    /// closed); [`ReconcileError::Store`] when the store fails.
    pub async fn reconcile(&self, older_than: Duration) -> Result<ReconcileReport, ReconcileError> {
        ReconcileInFlight::new(Arc::clone(&self.store), Arc::clone(&self.clock), older_than)
            .reconcile()
            .await
    }

    /// Closes the store this handle's builder opened (`sqlite`, `postgres`): the writes
    /// handed over are answered first, then the connections close, and the last SQLite
    /// connection to close checkpoints the WAL into the database file (so a backup that
    /// copies the `.db` has everything). Any clone of the handle used afterwards finds the
    /// store closed. Nothing to do for a store given with `store(..)` (close it yourself) or
    /// the in-memory one.
    pub async fn close(&self) {
        #[cfg(any(feature = "sqlite", feature = "postgres"))]
        if let Some(sql) = &self.sql {
            sql.close().await;
        }
    }

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
    /// ([`crate::SendPolicy`]) and with the attempt recorded before and after the provider
    /// call. Nothing is retried once it may have reached the provider.
    ///
    /// # Errors
    ///
    /// [`SendCodeError`]; [`SendCodeError::may_have_been_sent`] says whether a code may be on
    /// its way despite the error, and [`SendCodeError::Refused`] carries when to try again.
    ///
    /// ```
    /// # #[cfg(feature = "test-util")]
    /// # {
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use phone_verify::{PhoneNumber, PhoneVerification, SendCodeError, SendCodeRequest, TrustFlowId, TrustValidationId};
    /// use phone_verify::testing::sim;
    ///
    /// let sim = sim::start(sim::SimConfig::default()).await?;
    /// let verification = PhoneVerification::builder().simulator(&sim).build().await?;
    /// let request = SendCodeRequest {
    ///     phone: PhoneNumber::parse("+60182258491")?,
    ///     trust_validation: TrustValidationId::parse("tv-1")?,
    /// };
    /// let sent = verification.send_code(&request).await?;
    /// println!("sent, reference {}", sent.receipt.reference);
    /// // At once again: the cooldown refuses, and says until when.
    /// match verification.send_code(&request).await {
    ///     Err(SendCodeError::Refused(refusal)) => assert!(refusal.retry_at().is_some()),
    ///     other => panic!("expected a refusal, got {other:?}"),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn send_code(&self, request: &SendCodeRequest) -> Result<SentCode, SendCodeError> {
        self.send.send(request).await
    }

    /// Checks `code` against the current send of `trust_validation`, after the check guards
    /// ([`crate::CheckPolicy`]: lifetime, attempts), with the check recorded. A wrong code is
    /// an answer ([`CheckedCode::is_verified`] is false), not an error.
    ///
    /// # Errors
    ///
    /// [`CheckCodeError`]: refused locally ([`CheckCodeError::Refused`]), no pending code at
    /// the provider ([`CheckCodeError::NoPendingCode`]), the provider or the store failing.
    ///
    /// ```
    /// # #[cfg(feature = "test-util")]
    /// # {
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use phone_verify::{CheckCodeError, CheckRefusal, OtpCode, PhoneVerification, TrustValidationId};
    /// use phone_verify::testing::sim;
    ///
    /// let sim = sim::start(sim::SimConfig::default()).await?;
    /// let verification = PhoneVerification::builder().simulator(&sim).build().await?;
    /// let never_sent = TrustValidationId::parse("tv-without-a-send")?;
    /// let error = verification.check_code(never_sent, OtpCode::parse("123456")?).await.unwrap_err();
    /// assert!(matches!(error, CheckCodeError::Refused(CheckRefusal::NoCodeSent)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn check_code(
        &self,
        trust_validation: TrustValidationId,
        code: OtpCode,
    ) -> Result<CheckedCode, CheckCodeError> {
        self.check.check(trust_validation, code).await
    }

    /// [`PhoneVerification::check_code`] for a caller that knows the number the code went to:
    /// a store that keeps numbers protected has no number to name to the provider, and names
    /// this one once its keys confirm it is the send's (`CheckCode::check_with_number` in `phone-verify-app`).
    ///
    /// # Errors
    ///
    /// As [`PhoneVerification::check_code`].
    pub async fn check_code_with_number(
        &self,
        trust_validation: TrustValidationId,
        code: OtpCode,
        phone: &PhoneNumber,
    ) -> Result<CheckedCode, CheckCodeError> {
        self.check
            .check_with_number(trust_validation, code, phone)
            .await
    }

    /// The sends to `phone` and the checks of those sends, newest first, one page at a time.
    /// An attempt whose outcome was never recorded reads as "outcome unknown".
    ///
    /// # Errors
    ///
    /// [`HistoryError::Store`] when the store fails.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # #[cfg(feature = "mocks")]
    /// # {
    /// use phone_verify::testing::MockVerificationGateway;
    /// use phone_verify::{PageRequest, PhoneNumber, PhoneVerification};
    ///
    /// let verification = PhoneVerification::builder().gateway(MockVerificationGateway::new()).build().await?;
    /// let phone = PhoneNumber::parse("+60182258491")?;
    /// let page = verification.history_of_number(&phone, PageRequest::first(20)).await?;
    /// assert!(page.items.is_empty() && page.next.is_none());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn history_of_number(
        &self,
        phone: &PhoneNumber,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, HistoryError> {
        self.history.of_number(phone, page).await
    }

    /// The sends and checks of `trust_validation`, newest first, one page at a time.
    ///
    /// # Errors
    ///
    /// [`HistoryError::Store`] when the store fails.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # #[cfg(feature = "mocks")]
    /// # {
    /// use phone_verify::testing::MockVerificationGateway;
    /// use phone_verify::{PageRequest, PhoneVerification, TrustValidationId};
    ///
    /// let verification = PhoneVerification::builder().gateway(MockVerificationGateway::new()).build().await?;
    /// let trust_validation = TrustValidationId::parse("tv-1")?;
    /// let page = verification
    ///     .history_of_trust_validation(&trust_validation, PageRequest::first(20))
    ///     .await?;
    /// assert!(page.items.is_empty());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn history_of_trust_validation(
        &self,
        trust_validation: &TrustValidationId,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, HistoryError> {
        self.history
            .of_trust_validation(trust_validation, page)
            .await
    }
}
