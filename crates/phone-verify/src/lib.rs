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
//! use phone_verify::{OtpCode, PhoneNumber, PhoneVerification, SendCodeRequest, TrustValidationId, testing::sim};
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let sim = sim::start(sim::SimConfig::default()).await?;
//! let verification = PhoneVerification::builder().simulator(&sim).build().await?;
//! let request = SendCodeRequest::new(
//!     PhoneNumber::parse("+60 18-225 8491")?,
//!     TrustValidationId::parse("7f0c2a4e-9d1b-4c52-8f3a-1b2c3d4e5f60")?,
//! );
//! verification.send_code(&request).await?;
//! let code = sim.last_code_for("+60182258491").ok_or("no code delivered")?;
//! let checked = verification.check_code(request.trust_validation, OtpCode::parse(&code)?, None).await?;
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
//! use phone_verify::PhoneVerification;
//! use phone_verify::idmeta::{IdmetaClient, SecretString, TrustFlowId};
//!
//! let token = SecretString::from(std::env::var("IDMETA_API_TOKEN").unwrap_or_default());
//! let verification = PhoneVerification::builder()
//!     .idmeta(IdmetaClient::builder()
//!         .trust_flow(TrustFlowId::new(147)).environment("integrate").token(token))
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
//! let twilio = ProviderName::twilio();
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
//! The root holds what a handler sends, checks and wires with:
//! - [`PhoneVerification::builder`] ([`PhoneVerificationBuilder`], failing with
//!   [`BuildError`]), then [`PhoneVerification::send_code`] and
//!   [`PhoneVerification::check_code`]; providers are named ([`ProviderName`]) and routed
//!   ([`Route`], [`NumberPrefix`]).
//! - The values: [`PhoneNumber`], [`TrustValidationId`], [`OtpCode`] (each with its parse
//!   error), [`SendCodeRequest`] (its options, channel, language, app hash and client, are in
//!   [`request`]), and the answers [`SentCode`] and [`CheckedCode`].
//! - One error per operation, [`SendCodeError`] and [`CheckCodeError`], whose variants say
//!   what happened to the SMS and to its record, and [`NextStep`]: what to tell the end user
//!   after any answer or error ([`PhoneVerification::next_step`], [`TellsNextStep`]).
//! - [`VerificationRecords`]: the record of attempts and the store's life (history, purge,
//!   reconcile, number conversion, close), part of every handle
//!   ([`PhoneVerification::records`]) or built alone
//!   ([`PhoneVerificationBuilder::build_records`]).
//! - [`PhoneLogGuard`] (feature `log-guard`, default): keeps the numbering library's logs,
//!   which print numbers in clear, out of your subscriber.
//! - [`metric_names`]: the metrics, emitted through the `metrics` facade (install the
//!   exporter you run); the provider label is the provider's name (`idmeta`, `twilio`,
//!   `default` for [`PhoneVerificationBuilder::gateway`], or the one given to
//!   [`PhoneVerificationBuilder::provider`]).
//!
//! The rest is in modules:
//! - [`request`]: the options of a send ([`request::Channel`], [`request::Locale`],
//!   [`request::AppHash`], [`request::ClientKey`]).
//! - [`policy`]: the guards ([`policy::SendPolicy`], [`policy::CheckPolicy`]) and their
//!   refusals.
//! - [`records`]: history records, pages, purge and reconcile reports.
//! - [`numbers`]: regions, kinds, the keys that keep numbers protected at rest, and test
//!   numbers ([`numbers::TestNumbers`]), which verify with a fixed code and reach no provider.
//! - [`ports`]: the gateway, store, clock and id ports, to plug in your own, the values that
//!   cross them (with constructors: [`ports::SendReceipt::accepted`],
//!   [`ports::CheckResult::verified`], ...; times are [`ports::DateTime`]`<`[`ports::Utc`]`>`),
//!   and [`macro@ports::async_trait`] to implement them: no other dependency is needed. An
//!   `Arc` of a port is that port, so the builder can be given one you keep a handle on.
//! - Behind features, one module each: `idmeta` (the IDMeta v3 adapter, default), `twilio`
//!   (the Twilio Verify v2 adapter), `sql` (SQLite by default, PostgreSQL with `postgres`),
//!   `testing` (`mocks`: the mockall gateway; `test-util`: the simulator of both providers, a
//!   manual clock, sequential ids, a failing store).
//!
//! With `default-features = false` the crate is the use cases and the in-memory store over a
//! gateway of your own. Underneath are the layered crates (`phone-verify-domain`,
//! `phone-verify-app`, `idmeta-adapter`, `twilio-verify-adapter`, `phone-verify-sql-store`);
//! this crate only composes them, and `docs/architecture.md` says what the builder wires.
//!
//! The root's names besides its modules, all of them (a test keeps this list and the root in
//! step):
//!
//! ```
//! #[allow(unused_imports)]
//! use phone_verify::{
//!     BuildError, CheckCodeError, CheckedCode, IdError, NextStep, NumberPrefix, OtpCode,
//!     OtpCodeError, PhoneNumber, PhoneVerification, PhoneVerificationBuilder, ProviderName,
//!     ProviderNameError, Route, SendCodeError, SendCodeRequest, SentCode, TellsNextStep,
//!     TrustValidationId, VerificationRecords, metric_names,
//! };
//! #[cfg(feature = "log-guard")]
//! #[allow(unused_imports)]
//! use phone_verify::PhoneLogGuard;
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod error;
#[cfg(feature = "idmeta")]
pub mod idmeta;
pub mod numbers;
pub mod policy;
pub mod ports;
pub mod records;
pub mod request;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sql;
#[cfg(any(feature = "mocks", feature = "test-util"))]
pub mod testing;
#[cfg(feature = "twilio")]
pub mod twilio;
mod verification;

pub use builder::PhoneVerificationBuilder;
pub use error::BuildError;
pub use records::VerificationRecords;
pub use verification::PhoneVerification;

/// A country calling code that routes numbers to a provider ([`Route::Prefix`]).
pub use phone_verify_app::NumberPrefix;
pub use phone_verify_app::{
    CheckCodeError, CheckedCode, NextStep, ProviderName, ProviderNameError, Route, SendCodeError,
    SentCode, TellsNextStep,
};
pub use phone_verify_domain::{
    IdError, OtpCode, OtpCodeError, PhoneNumber, SendCodeRequest, TrustValidationId,
};

/// Keeps the numbering library's logs, which print phone numbers in clear, out of every
/// subscriber: add it to yours first (README, "Logging"). Feature `log-guard` (default).
#[cfg(feature = "log-guard")]
pub use phone_verify_app::PhoneLogGuard;

/// The names of the metrics the library emits and of their labels (`docs/operations.md`).
pub use phone_verify_domain::metric_names;

/// The README's Rust blocks, compiled and run as doctests of this crate (the quick start needs
/// the simulator: `cargo test --workspace --all-features`).
#[cfg(all(doctest, feature = "test-util", feature = "mocks"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
