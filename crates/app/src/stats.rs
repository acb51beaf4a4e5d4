//! What an operator reads in the middle of an SMS-pumping attack: per country, the codes
//! sent, the codes verified and the sends refused, by reason (`phone-verify stats`,
//! `docs/cli.md`).
//!
//! The sends and checks come from the records; a refused send has no record (nothing was
//! sent), so each store keeps a count of refusals per minute, country and reason
//! ([`crate::VerificationStore::count_refusal`]): no number, and a size bounded by minutes
//! × countries × reasons however many requests an attack makes.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use crate::time::sub;
use crate::{Clock, StoreError, VerificationStore};

/// One country's figures over a period ([`crate::VerificationStore::send_stats`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountryStats {
    /// The country's calling code (`+60`).
    pub calling_code: String,
    /// Sends that may have delivered a code (sent, in flight, outcome unknown: what the
    /// guards count) started within the period.
    pub sent: u64,
    /// Checks that verified a code started within the period.
    pub verified: u64,
    /// Sends refused before the provider, by the refusal's stable name
    /// (`SendRefusal::as_str`: `number_range_busy`, `conversion_too_low`, …), counted per
    /// minute from the minute the period starts in ([`refusal_minute`]).
    pub refused: BTreeMap<String, u64>,
}

impl CountryStats {
    /// A country with nothing counted yet.
    pub fn new(calling_code: impl Into<String>) -> Self {
        Self {
            calling_code: calling_code.into(),
            ..Self::default()
        }
    }

    /// Every refusal, whatever its reason.
    pub fn refused_total(&self) -> u64 {
        self.refused
            .values()
            .fold(0, |total, count| total.saturating_add(*count))
    }

    /// The share of codes sent that were verified, in percent; `None` without a send. Checks
    /// of codes sent just before the period count, so a quiet country can read above 100.
    ///
    /// ```
    /// use phone_verify_app::CountryStats;
    ///
    /// let mut country = CountryStats::new("+60");
    /// assert_eq!(country.conversion_percent(), None);
    /// (country.sent, country.verified) = (8, 6);
    /// assert_eq!(country.conversion_percent(), Some(75.0));
    /// ```
    pub fn conversion_percent(&self) -> Option<f64> {
        // Counts of sends stay far below 2^52: the conversion to f64 is exact.
        #[allow(clippy::cast_precision_loss)]
        (self.sent > 0).then(|| self.verified as f64 * 100.0 / self.sent as f64)
    }
}

/// The figures of every country with a counted send, a verified check or a refusal in a
/// period: what [`crate::VerificationStore::send_stats`] gives over `since` to `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendStats {
    /// The start of the period (excluded).
    pub since: DateTime<Utc>,
    /// Its end (included): the store's shared clock when it has one, else the library's.
    pub until: DateTime<Utc>,
    /// By calling code, in its order.
    pub countries: Vec<CountryStats>,
}

impl SendStats {
    /// The figures of the last `period`, ending now on the store's shared clock when it has
    /// one ([`VerificationStore::shared_now`]), else on `clock`.
    ///
    /// # Errors
    ///
    /// The store's error; nothing changes.
    pub async fn read(
        store: &dyn VerificationStore,
        clock: &dyn Clock,
        period: Duration,
    ) -> Result<Self, StoreError> {
        let until = match store.shared_now().await? {
            Some(now) => now,
            None => clock.now(),
        };
        let since = sub(until, period);
        let countries = store.send_stats(since, until).await?;
        Ok(Self {
            since,
            until,
            countries,
        })
    }
}

/// The minute `at` falls in: the unit a store counts refusals in.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use phone_verify_app::refusal_minute;
///
/// let at = Utc.with_ymd_and_hms(2026, 12, 7, 10, 41, 59).unwrap();
/// assert_eq!(refusal_minute(at), Utc.with_ymd_and_hms(2026, 12, 7, 10, 41, 0).unwrap());
/// ```
pub fn refusal_minute(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::minutes(1)).unwrap_or(at)
}

/// Gathers a store's counts into [`CountryStats`] by calling code: the one shape every store
/// returns from [`crate::VerificationStore::send_stats`].
#[derive(Debug, Default)]
pub struct StatsByCountry(BTreeMap<String, CountryStats>);

impl StatsByCountry {
    /// The figures of `calling_code`, created empty on first use.
    pub fn country(&mut self, calling_code: &str) -> &mut CountryStats {
        self.0
            .entry(calling_code.to_owned())
            .or_insert_with(|| CountryStats::new(calling_code))
    }

    /// Adds `count` refusals of `reason` to the country of `calling_code`.
    pub fn refused(&mut self, calling_code: &str, reason: &str, count: u64) {
        let refused = self
            .country(calling_code)
            .refused
            .entry(reason.to_owned())
            .or_default();
        *refused = refused.saturating_add(count);
    }

    /// The countries with anything counted, by calling code.
    pub fn into_countries(self) -> Vec<CountryStats> {
        self.0
            .into_values()
            .filter(|country| {
                country.sent > 0 || country.verified > 0 || !country.refused.is_empty()
            })
            .collect()
    }
}
