//! The guards a send and a check pass before a provider is called, with their documented
//! defaults, and what they refuse with.
//!
//! [`SendPolicy`] (with [`SendLimits`]: cooldown, caps per number and per trust validation,
//! budgets per country ([`CountryBudgets`]), distinct numbers per range ([`NumberRanges`]), a
//! breaker on the share of codes verified per country or per prefix ([`ConversionBreaker`],
//! [`BreakerScope`]), a cooldown and a
//! cap per end user's client ([`ClientLimits`]),
//! countries, prefixes and kinds of number) refuses
//! with a [`SendRefusal`]; [`CheckPolicy`]
//! (lifetime, attempts, checks) refuses with a [`CheckRefusal`]. Give them to the builder
//! (`send_policy`, `check_policy`). Each refusal says what to do next through
//! [`crate::NextStep`]; [`DEFAULT_PROVIDER_WAIT`] is the wait a provider's rate limit without
//! a `Retry-After` asks for.

pub use phone_verify_app::{
    BreakerScope, CLOCK_MARGIN, CallingCodeError, CheckPolicy, CheckRefusal, ClientLimits,
    ConversionBreaker, CountryBudget, CountryBudgets, CountryConversion, DEFAULT_PROVIDER_WAIT,
    NumberPrefixError, NumberRanges, Pinned, ProvidersError, SendLimits, SendPolicy, SendRefusal,
    minimum_retention,
};
