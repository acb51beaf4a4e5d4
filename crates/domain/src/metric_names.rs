//! The names of every metric phone-verify emits and of their labels: the one list, used by the
//! crates that emit (the use cases, the adapters' retry loops), so a rename is a change here
//! that every emitter and test sees. `docs/operations.md` documents each one; the label
//! *values* are the stable names of the enums they come from ([`crate::ErrorClass::as_str`],
//! [`crate::CheckVerdict::as_str`], ...), never a number, a code, a token or an id.
//!
//! The domain emits nothing and depends on no metrics crate: these are strings.

/// Counter: sends by `provider`, `outcome`, and for refusals `reason` (with `country_code`
/// for the guards' refusals).
pub const SENDS_TOTAL: &str = "phone_verify_sends_total";
/// Counter: checks by `provider`, `outcome`, and `verdict` (answered) or `reason` (refused).
pub const CHECKS_TOTAL: &str = "phone_verify_checks_total";
/// Histogram, seconds: each provider call (its retries included) by `operation`, `provider`
/// and `class` (`ok` or the failure's [`crate::ErrorClass`]).
pub const PROVIDER_CALL_SECONDS: &str = "phone_verify_provider_call_seconds";
/// Counter: retries inside an adapter by `provider` and `class` (the failure retried).
pub const RETRIES_TOTAL: &str = "phone_verify_retries_total";
/// Histogram, seconds: each store operation by `operation` and `engine`.
pub const STORE_OPERATION_SECONDS: &str = "phone_verify_store_operation_seconds";
/// Counter: failed store operations by `operation`, `engine` and `kind`.
pub const STORE_ERRORS_TOTAL: &str = "phone_verify_store_errors_total";
/// Gauge: provider calls under way (recorded in flight, outcome not yet recorded) by `kind`
/// and `provider`.
pub const CALLS_IN_FLIGHT: &str = "phone_verify_calls_in_flight";
/// Counter: records this process left in flight (their outcome never written) by `kind`,
/// `provider` and `cause`.
pub const RECORDS_LEFT_IN_FLIGHT_TOTAL: &str = "phone_verify_records_left_in_flight_total";

/// Every metric name above, for the tests that check the documentation lists them all.
pub const ALL: [&str; 8] = [
    SENDS_TOTAL,
    CHECKS_TOTAL,
    PROVIDER_CALL_SECONDS,
    RETRIES_TOTAL,
    STORE_OPERATION_SECONDS,
    STORE_ERRORS_TOTAL,
    CALLS_IN_FLIGHT,
    RECORDS_LEFT_IN_FLIGHT_TOTAL,
];

/// The label names.
pub mod label {
    /// The provider's configured name (`ProviderName` of the use cases, `idmeta` in its adapter).
    pub const PROVIDER: &str = "provider";
    /// What became of a send or a check.
    pub const OUTCOME: &str = "outcome";
    /// Why a send or a check was refused (a guard's or the provider's stable name).
    pub const REASON: &str = "reason";
    /// The country calling code of a number a guard refused (`60`, `44`): at most ~200 values.
    pub const COUNTRY_CODE: &str = "country_code";
    /// A check's verdict ([`crate::CheckVerdict::as_str`]).
    pub const VERDICT: &str = "verdict";
    /// `ok` or a failure's [`crate::ErrorClass::as_str`].
    pub const CLASS: &str = "class";
    /// A provider operation (`send_code`, `check_code`) or a store operation.
    pub const OPERATION: &str = "operation";
    /// The store's engine (`memory`, `sqlite`, `postgres`, `custom`).
    pub const ENGINE: &str = "engine";
    /// A store error's kind, or the kind of attempt (`send`, `check`).
    pub const KIND: &str = "kind";
    /// Why a record was left in flight (`store_failed`, `cancelled`).
    pub const CAUSE: &str = "cause";
}

/// The `class` of a provider call that succeeded (the failures use [`crate::ErrorClass`]).
pub const CLASS_OK: &str = "ok";
