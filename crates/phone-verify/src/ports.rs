//! The ports, to plug in a provider, a store, a clock or an id source of your own, and the
//! values that cross them.
//!
//! - [`VerificationGateway`]: a provider. It answers a send with a [`SendReceipt`] and a check
//!   with a [`CheckResult`] (each with constructors), or fails with a [`GatewayError`] whose
//!   variant says whether a code may have been sent. Its docs say how to report "no pending
//!   code". [`ProviderRules`] declares how the provider keeps codes.
//! - [`VerificationStore`]: the record of attempts, failing with [`StoreError`]; the shipped
//!   ones are [`InMemoryVerificationStore`] and `sql::SqlVerificationStore`. Every store must
//!   pass the app's store contract (`phone-verify-app`, feature `store-contract`).
//! - [`Clock`] ([`SystemClock`]) and [`IdSource`] ([`RandomIds`]).
//!
//! Implement them with [`macro@async_trait`]; an `Arc<T>` of an implementation implements
//! the port too. The time type is [`DateTime`]`<`[`Utc`]`>`, re-exported here.

/// Implements the ports as the layers underneath do.
pub use async_trait::async_trait;

/// The time type of the ports: `DateTime<Utc>` (from `chrono`, so a port of your own needs
/// no dependency of its own on it).
pub use chrono::{DateTime, Utc};
pub use phone_verify_app::{
    AttemptCounts, CheckReservation, CheckTarget, Clock, ConflictKind, HistorySubject, IdSource,
    InMemoryVerificationStore, NewCheck, NewSend, PurgeBatch, PurgePosition, RandomIds,
    Reservation, StoreError, StoreOperation, SystemClock, VerificationStore,
};
pub use phone_verify_domain::{
    AttemptScope, BoxError, CancelCodeRequest, CancelNotSupported, CheckCodeRequest, CheckResult,
    CheckVerdict, CodeScope, CodeState, DeliveryState, DeliveryStatus, ErrorClass, FieldErrors,
    GatewayError, ProviderRules, RateLimitKind, ReferenceId, RejectionKind, SendReceipt,
    VerificationGateway, VerificationStatus,
};
