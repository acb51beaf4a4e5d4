//! # phone-verify
//!
//! Send and check SMS one-time passcodes through IDMeta's phone verification API (v3) and
//! Twilio Verify (v2), with a record of every attempt. This is the one crate a sign-up, KYC or
//! login back end adds: one builder wires the providers (with routing by number and failover
//! between them), the store, the guards, the clock and the ids, and [`PhoneVerification`]
//! sends and checks codes and reads their history.
//!
//! Its promises, each kept by the layers underneath:
//! - **never send a duplicate SMS by accident**: a failure says whether a code may have been
//!   sent ([`SendCodeError::may_have_been_sent`]), and nothing whose outcome is unknown is
//!   resent automatically;
//! - **never lose the record of a send**: every provider call is recorded *before* it is made
//!   and finished after, so a crash leaves "outcome unknown", never nothing;
//! - **never leak a token or a phone number into a log**: numbers are masked in `Debug`,
//!   `Display` and traces, codes are redacted, the token is a `secrecy::SecretString`;
//! - **never make the caller guess**: one typed error per operation, each variant documented.
//!
//! ## Quick start
//!
//! A send and a check against the simulator's IDMeta routes (feature `test-util`), whose inbox stands in
//! for the end user's phone:
//!
//! ```
//! # #[cfg(feature = "test-util")]
//! # {
//! use phone_verify::{OtpCode, PhoneNumber, PhoneVerification, SendCodeRequest, TrustFlowId, TrustValidationId, testing::sim};
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let sim = sim::start(sim::SimConfig::default()).await?;
//! let verification = PhoneVerification::builder().simulator(&sim).build().await?;
//! let request = SendCodeRequest {
//!     phone: PhoneNumber::parse("+60 18-225 8491")?,
//!     trust_validation: TrustValidationId::parse("7f0c2a4e-9d1b-4c52-8f3a-1b2c3d4e5f60")?,
//! };
//! verification.send_code(&request).await?;
//! let code = sim.last_code_for("+60182258491").ok_or("no code delivered")?;
//! let checked = verification.check_code(request.trust_validation, OtpCode::parse(&code)?).await?;
//! assert!(checked.is_verified());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! In production, give the builder the IDMeta environment and token instead, and a database:
//!
//! ```no_run
//! # #[cfg(all(feature = "idmeta", feature = "sqlite"))]
//! # async fn wire() -> Result<(), phone_verify::BuildError> {
//! use phone_verify::{PhoneVerification, idmeta::{IdmetaClient, SecretString}};
//!
//! let token = SecretString::from(std::env::var("IDMETA_API_TOKEN").unwrap_or_default());
//! let verification = PhoneVerification::builder()
//!     .idmeta(IdmetaClient::builder()
//!         .trust_flow(phone_verify::idmeta::TrustFlowId::new(147)).environment("integrate").token(token))
//!     .sqlite("phone-verify.db")
//!     .build()
//!     .await?;
//! # let _ = verification;
//! # Ok(())
//! # }
//! ```
//!
//! With a second provider (feature `twilio`), route numbers by country calling code and fail
//! over when a provider provably sent nothing; a check goes to the provider that sent:
//!
//! ```no_run
//! # #[cfg(all(feature = "idmeta", feature = "twilio"))]
//! # async fn wire() -> Result<(), Box<dyn std::error::Error>> {
//! use phone_verify::idmeta::IdmetaClient;
//! use phone_verify::twilio::{SecretString, TwilioClient};
//! use phone_verify::{NumberPrefix, PhoneVerification, ProviderName, Route};
//!
//! let secret = |name| SecretString::from(std::env::var(name).unwrap_or_default());
//! let twilio = ProviderName::parse("twilio")?;
//! let verification = PhoneVerification::builder()
//!     .idmeta(IdmetaClient::builder()
//!         .trust_flow(phone_verify::idmeta::TrustFlowId::new(147)).environment("integrate").token(secret("IDMETA_API_TOKEN")))
//!     .twilio(
//!         TwilioClient::builder()
//!             .service_sid(std::env::var("TWILIO_VERIFY_SERVICE_SID")?)
//!             .api_key(secret("TWILIO_API_KEY_SID"), secret("TWILIO_API_KEY_SECRET")),
//!     )
//!     .route(Route::Prefix(NumberPrefix::parse("+1")?), twilio.clone())
//!     .failover_to(twilio)
//!     .build()
//!     .await?;
//! # let _ = verification;
//! # Ok(())
//! # }
//! ```
//!
//! ## What is in the crate
//!
//! - The entry point: [`PhoneVerification::builder`] ([`PhoneVerificationBuilder`], failing
//!   with [`BuildError`]), then [`PhoneVerification::send_code`],
//!   [`PhoneVerification::check_code`] and the history. Several providers are named
//!   ([`ProviderName`]) and routed ([`Route`]) through the app's `Providers`.
//! - The values an embedder touches: [`PhoneNumber`], [`TrustFlowId`], [`TrustValidationId`],
//!   [`OtpCode`], [`ReferenceId`], [`AttemptId`], and what each operation returns
//!   ([`SentCode`], [`CheckedCode`], [`AttemptRecord`]).
//! - One error per operation: [`SendCodeError`], [`CheckCodeError`], [`HistoryError`], whose
//!   variants say what happened to the SMS and to its record; refusals by the guards
//!   ([`SendRefusal`], [`CheckRefusal`]) say when to try again.
//! - The guards: [`SendPolicy`] (with [`SendLimits`]) and [`CheckPolicy`], with documented
//!   defaults.
//! - The ports, to plug in your own provider or storage: [`VerificationGateway`] (failing with
//!   [`GatewayError`]; its answers built with [`SendReceipt::accepted`],
//!   [`CheckResult::verified`], ..., its times [`DateTime`]`<Utc>`, what it declares
//!   [`ProviderRules`]), [`VerificationStore`] (failing with [`StoreError`]), [`Clock`],
//!   [`IdSource`], and [`macro@async_trait`] to implement them: no other dependency is needed.
//!   An `Arc` of a port is that port, so the builder can be given one you keep a handle on.
//! - Metrics through the `metrics` facade (install the exporter you run): every send and check
//!   by outcome, provider and store latency, store errors, retries; the names are in
//!   [`metric_names`], the provider label is the provider's name (`idmeta`, `twilio`, or the
//!   one given to [`PhoneVerificationBuilder::provider`]).
//! - Behind features, one module each: `idmeta` (the IDMeta v3 adapter, default), `twilio`
//!   (the Twilio Verify v2 adapter), `sql` (SQLite by default, PostgreSQL with `postgres`),
//!   `testing` (`mocks`: the mockall gateway; `test-util`: the simulator of both providers, a
//!   manual clock, sequential ids, a failing store).
//!
//! With `default-features = false` the crate is the use cases and the in-memory store over a
//! gateway of your own. Underneath are the layered crates (`phone-verify-domain`,
//! `phone-verify-app`, `idmeta-adapter`, `twilio-verify-adapter`, `phone-verify-sql-store`);
//! this crate only composes
//! them, and `docs/architecture.md` says what the builder wires.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod error;
#[cfg(feature = "idmeta")]
pub mod idmeta;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sql;
#[cfg(any(feature = "mocks", feature = "test-util"))]
pub mod testing;
#[cfg(feature = "twilio")]
pub mod twilio;
mod verification;

pub use builder::PhoneVerificationBuilder;
pub use error::BuildError;
pub use verification::PhoneVerification;

/// Implements the ports ([`VerificationGateway`], [`VerificationStore`]) as the layers
/// underneath do.
pub use async_trait::async_trait;

pub use phone_verify_domain::{
    AttemptScope, BoxError, CancelCodeRequest, CancelNotSupported, CheckCodeRequest, CheckResult,
    CheckVerdict, CodeScope, CodeState, DateTime, DeliveryState, DeliveryStatus, FieldErrors,
    GatewayError, IdError, NumberKind, OtpCode, OtpCodeError, PhoneNumber, PhoneNumberError,
    ProviderRules, RateLimitKind, ReferenceId, RegionCode, RejectionKind, SendCodeRequest,
    SendReceipt, TrustFlowId, TrustValidationId, Utc, VerificationGateway, VerificationStatus,
};

/// Keeps the numbering library's logs, which print phone numbers in clear, out of every
/// subscriber: add it to yours first (README, "Logging"). Feature `log-guard` (default).
#[cfg(feature = "log-guard")]
pub use phone_verify_app::PhoneLogGuard;

pub use phone_verify_app::{
    AttemptCounts, AttemptId, AttemptIdError, AttemptRecord, CLOCK_MARGIN, CheckCodeError,
    CheckOutcome, CheckPolicy, CheckRecord, CheckRefusal, CheckReservation, CheckState,
    CheckTarget, CheckedCode, Clock, ConflictKind, DEFAULT_ABANDONED_AFTER, DEFAULT_PURGE_BATCH,
    ErrorClass, HistoryError, HistorySubject, IdSource, InMemoryVerificationStore, MAX_PAGE_SIZE,
    MIN_ABANDONED_AFTER, MaskedNumber, NewCheck, NewSend, NumberDigest, NumberKey, NumberKeyError,
    NumberKeyId, NumberKeyIdError, NumberKeyring, NumberKeyringError, NumberLookup, NumberPrefix,
    NumberPrefixError, NumberProtection, Page, PageCursor, PageRequest, ProtectedNumber,
    ProviderName, ProviderNameError, ProvidersError, PurgeError, PurgeMode, PurgeRecords,
    PurgeReport, RandomIds, ReconcileError, ReconcileInFlight, ReconcileReport, RefusalReason,
    Reservation, Route, SendCodeError, SendLimits, SendOutcome, SendPolicy, SendRecord,
    SendRefusal, SendState, SentCode, StoreError, StoreOperation, StoredNumber, StoredNumberError,
    SystemClock, VerificationStore, minimum_retention,
};

/// The names of the metrics the library emits and of their labels (`docs/operations.md`).
pub use phone_verify_domain::metric_names;

/// The README's Rust blocks, compiled and run as doctests of this crate (the quick start needs
/// the simulator: `cargo test --workspace --all-features`).
#[cfg(all(doctest, feature = "test-util", feature = "mocks"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
