//! # phone-verify-app
//!
//! The use cases of phone-verify, the layer an embedding system calls. It sits in the middle
//! of the hexagon: it depends on [`phone_verify_domain`] (the types and the
//! `VerificationGateway` port) and defines the ports it needs besides, so the provider, the
//! storage, the clock and the id source can all be swapped or faked. It depends on no
//! adapter.
//!
//! - Use cases: [`SendCode`], [`CheckCode`], [`VerificationHistory`], and for the records'
//!   lifecycle [`PurgeRecords`] and [`ReconcileInFlight`] (`docs/operations.md`). Each holds
//!   `Arc<dyn …>` ports, bundled in a [`Wiring`], is cheap to clone, and has one error enum
//!   ([`SendCodeError`], [`CheckCodeError`], [`HistoryError`]).
//! - Ports: [`VerificationStore`] (with [`StoreError`]), [`Clock`], [`IdSource`].
//! - Numbers at rest: a store keeps numbers in clear or, with a [`NumberKeyring`], as a keyed
//!   digest (HMAC-SHA256) and the masked form ([`NumberProtection`], [`StoredNumber`]); the use
//!   cases hand a store only what its [`VerificationStore::numbers`] says
//!   (`docs/security.md`, "No clear numbers at rest").
//! - Metrics: every send, check, provider call and store operation is counted and timed
//!   through the `metrics` facade, labelled with the provider's [`ProviderName`] and the
//!   store's engine; the embedder installs the exporter (names in
//!   [`domain::metric_names`], the table in `docs/operations.md`).
//! - Providers: [`Providers`] wires one or more named gateways, routes each number to one
//!   ([`Route`]) and fails a send over to the next only when [`fails_over`] says the one
//!   before provably sent nothing; every send record names its provider, and a check goes
//!   to it (`docs/architecture.md`, "Routing and failover").
//! - Shipped implementations: [`InMemoryVerificationStore`], [`SystemClock`], [`RandomIds`].
//! - With the `test-util` feature, the fakes for tests: `ManualClock` (time moves only when
//!   told), `SequentialIds` (ids 1, 2, 3, ...) and `FailingStore` (the in-memory store with
//!   chosen operations failing as if the database were down).
//! - Guards: [`SendPolicy`] (with [`SendLimits`]) and [`CheckPolicy`], refusing with
//!   [`SendRefusal`] / [`CheckRefusal`], which say when to try again.
//! - With the `store-contract` feature, `store_contract` is the test suite every
//!   [`VerificationStore`] must pass.
//! - With the `log-guard` feature, `PhoneLogGuard` is a `tracing-subscriber` layer that keeps
//!   the numbering-plan library's logs (numbers in clear) out of a subscriber, whatever its
//!   filter says (`docs/operations.md`).
//!
//! Every provider call leaves exactly one record: written "in flight" before the call and
//! finished after it, so a crash in between reads as "outcome unknown", never as nothing. See
//! `docs/architecture.md` for the lifecycle and the reasoning behind the guard defaults.
//!
//! ```
//! use std::sync::Arc;
//! use phone_verify_app::{
//!     CheckCode, CheckPolicy, InMemoryVerificationStore, SendCode, SendPolicy, Wiring,
//! };
//! use phone_verify_domain::{
//!     MockVerificationGateway, PhoneNumber, ReferenceId, SendCodeRequest, SendReceipt,
//!     TrustValidationId, Utc,
//! };
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let mut gateway = MockVerificationGateway::new();
//! gateway.expect_send_code().returning(|_| {
//!     let reference = ReferenceId::parse("0123456789ABCDEF0123456789ABCDEF").unwrap();
//!     Ok(SendReceipt::accepted(reference, Utc::now()))
//! });
//! let wiring = Wiring::new(Arc::new(gateway), Arc::new(InMemoryVerificationStore::new()));
//! let send = SendCode::new(wiring.clone(), SendPolicy::default());
//! let sent = send
//!     .send(&SendCodeRequest::new(
//!         PhoneNumber::parse("+60 18-225 8491")?,
//!         TrustValidationId::parse("tv-1")?,
//!     ))
//!     .await?;
//! assert_eq!(sent.receipt.reference.as_str(), "0123456789ABCDEF0123456789ABCDEF");
//! let _check = CheckCode::new(wiring, CheckPolicy::default());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "test-util")]
mod captured_logs;
mod check_code;
mod clock;
mod current_send;
#[cfg(feature = "test-util")]
mod failing;
mod guards;
mod history;
mod ids;
mod in_memory;
#[cfg(feature = "log-guard")]
mod log_guard;
mod next_step;
mod numbers;
mod providers;
mod purge;
mod reconcile;
mod record;
mod send_code;
mod stats;
mod store;
#[cfg(feature = "store-contract")]
pub mod store_contract;
mod telemetry;
mod test_numbers;
mod time;
mod wiring;

pub use phone_verify_domain as domain;
/// The class of a provider failure, as a record holds it (defined in the domain, next to
/// [`domain::GatewayError`]).
pub use phone_verify_domain::ErrorClass;

#[cfg(feature = "test-util")]
pub use captured_logs::CapturedLogs;
pub use check_code::{CheckCode, CheckCodeError, CheckedCode};
#[cfg(feature = "test-util")]
pub use clock::ManualClock;
pub use clock::{Clock, SystemClock};
pub use current_send::CheckTarget;
#[cfg(feature = "test-util")]
pub use failing::FailingStore;
pub use guards::{
    BreakerScope, CONVERSION_SAMPLE, CallingCodeError, CheckPolicy, CheckRefusal, ClientLimits,
    ConversionBreaker, CountryBudget, CountryBudgets, CountryConversion, NumberPrefix,
    NumberPrefixError, NumberRanges, Pinned, SendLimits, SendPolicy, SendRefusal,
    minimum_retention,
};
pub use history::{HistoryError, VerificationHistory};
#[cfg(feature = "test-util")]
pub use ids::SequentialIds;
pub use ids::{AttemptId, AttemptIdError, IdSource, RandomIds};
pub use in_memory::InMemoryVerificationStore;
#[cfg(feature = "log-guard")]
pub use log_guard::PhoneLogGuard;
pub use next_step::{DEFAULT_PROVIDER_WAIT, NextStep, TellsNextStep};
pub use numbers::{
    GuardKey, MAX_NUMBER_KEY_BYTES, MAX_NUMBER_KEY_ID_LEN, MIN_NUMBER_KEY_BYTES, MaskedNumber,
    NumberDigest, NumberKey, NumberKeyError, NumberKeyId, NumberKeyIdError, NumberKeyring,
    NumberKeyringError, NumberLookup, NumberProtection, ProtectedNumber, StoredNumber,
    StoredNumberError,
};
pub use phone_verify_domain::{MAX_PROVIDER_NAME_LEN, ProviderName, ProviderNameError};
pub use providers::{ProviderNotWired, Providers, ProvidersError, Route, fails_over};
pub use purge::{
    CLOCK_MARGIN, DEFAULT_PURGE_BATCH, PurgeError, PurgeMode, PurgeRecords, PurgeReport,
};
pub use reconcile::{
    DEFAULT_ABANDONED_AFTER, MAX_PROVIDER_TIME, MIN_ABANDONED_AFTER, ReconcileError,
    ReconcileInFlight, ReconcileReport,
};
pub use record::{
    AttemptRecord, CheckOutcome, CheckRecord, CheckState, NewCheck, NewSend, RefusalReason,
    SendOutcome, SendRecord, SendState,
};
pub use send_code::{SendCode, SendCodeError, SentCode};
pub use stats::{CountryStats, SendStats, StatsByCountry, refusal_minute};
pub use store::{
    AttemptCounts, CheckReservation, ConflictKind, HistorySubject, MAX_PAGE_SIZE, Page, PageCursor,
    PageRequest, PurgeBatch, PurgePosition, Reservation, StoreError, StoreOperation,
    VerificationStore,
};
pub use test_numbers::{MAX_TEST_NUMBER_ENTRIES, TestNumbers, TestNumbersError};
pub use wiring::Wiring;
