//! The guards in front of the provider: what may be sent to whom and how often, what may be
//! checked, and the typed refusals that tell the caller when to try again.
//!
//! The defaults and the reasoning behind each are in `docs/architecture.md`.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use phone_verify_domain::{
    Channel, NumberKind, PhoneNumber, ProviderName, ProviderRules, RegionCode,
};

use crate::time::{add, sub};

/// The guards that depend on the sends already recorded. A store checks them and records the
/// new send in one atomic step ([`crate::VerificationStore::reserve_send`]), so two
/// concurrent sends cannot both slip through.
///
/// Only sends that may have delivered a code count (sent, in flight, outcome unknown): a send
/// the provider refused, rate-limited or never received cost nothing and does not use up the
/// end user's allowance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendLimits {
    /// Least time between two sends to one number; zero switches it off. Default 30 s.
    pub cooldown: Duration,
    /// Most sends to one number within [`SendLimits::window`]. Default 5. Zero refuses every
    /// send (with `now` as the retry time: configuration, not a wait, has to change).
    pub max_per_number: u32,
    /// The rolling window of [`SendLimits::max_per_number`]. Default 1 hour.
    pub window: Duration,
    /// Most sends for one trust validation, ever. Default 10.
    pub max_per_trust_validation: u32,
    /// Most sends to one country within a rolling window, per country (its calling code)
    /// with a default for the rest ([`CountryBudgets`]). Default: none, every country
    /// unbounded (only the embedder knows its traffic).
    pub country_budgets: CountryBudgets,
    /// At most so many distinct numbers of one range (the numbers sharing all but their last
    /// digits) within a rolling window ([`NumberRanges`]): SMS pumping walks consecutive
    /// numbers. Default: 3 numbers of a block of 1,000 an hour ([`NumberRanges::default`]);
    /// `None` switches it off.
    pub number_ranges: Option<NumberRanges>,
    /// Refuses sends to a country, or a number prefix, whose codes are not being verified
    /// ([`ConversionBreaker`]). Default: on, per country ([`ConversionBreaker::default`]);
    /// `None` switches it off.
    pub conversion: Option<ConversionBreaker>,
    /// A cooldown and a cap per end user's client ([`ClientLimits`]), for the sends whose
    /// request names one (`SendCodeRequest::with_client`); needs number keys, since a client
    /// is kept only as its keyed digest. Default: none.
    pub clients: Option<ClientLimits>,
}

/// A cooldown and a cap on the sends from one end user's client (an IP address, a device, a
/// session, as the application names it in `SendCodeRequest::client`), whatever the numbers:
/// a bot reuses its clients across numbers. The client is kept as its keyed digest only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientLimits {
    /// Least time between two sends from one client; zero switches it off.
    pub cooldown: Duration,
    /// Most sends from one client within the window; zero refuses every send from a client.
    pub max_sends: u32,
    /// The rolling window of the cap.
    pub window: Duration,
}

impl ClientLimits {
    /// How far back the client's sends matter: the longer of the window and the cooldown.
    pub fn horizon(&self) -> Duration {
        self.window.max(self.cooldown)
    }

    /// The earliest start of a send that matters at `now`: `now - horizon()`, saturating.
    pub fn horizon_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        sub(now, self.horizon())
    }

    /// Decides a new send at `now` from the start times of the client's earlier counted sends
    /// (those older than the horizon are ignored).
    ///
    /// # Errors
    ///
    /// [`SendRefusal::ClientLimitReached`] or [`SendRefusal::ClientCoolingDown`], the later
    /// retry time when both.
    ///
    /// ```
    /// use std::time::Duration;
    /// use chrono::{TimeZone, Utc};
    /// use phone_verify_app::{ClientLimits, SendRefusal};
    ///
    /// let limits = ClientLimits { cooldown: Duration::from_secs(10), max_sends: 2, window: Duration::from_secs(3600) };
    /// let now = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
    /// let a_minute_ago = now - Duration::from_secs(60);
    /// assert_eq!(limits.evaluate([a_minute_ago], now), Ok(()));
    /// assert!(matches!(
    ///     limits.evaluate([a_minute_ago, now - Duration::from_secs(5)], now),
    ///     Err(SendRefusal::ClientLimitReached { limit: 2, .. })
    /// ));
    /// ```
    pub fn evaluate(
        &self,
        earlier: impl IntoIterator<Item = DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), SendRefusal> {
        let (cap, cooldown) = waits(earlier, self.max_sends, self.window, self.cooldown, now);
        let capped = cap.map_or(Ok(()), |retry_at| {
            Err(SendRefusal::ClientLimitReached {
                limit: self.max_sends,
                window: self.window,
                retry_at,
            })
        });
        let cooling = cooldown.map_or(Ok(()), |retry_at| {
            Err(SendRefusal::ClientCoolingDown { retry_at })
        });
        SendLimits::binding(capped, cooling)
    }
}

/// A circuit breaker per country, or per number prefix ([`BreakerScope`]), on the share of
/// codes verified: of the latest counted sends to a country (or to the numbers of a prefix)
/// started within the window (leaving out the last `grace`, too recent to be verified yet; at
/// most [`ConversionBreaker::sample`] of them), when there are at least `min_sends` and fewer
/// than `min_conversion_percent` of them had a check that verified, new sends there are
/// refused for `cool_off`, after which the share decides again. Its state is the records'
/// (nothing kept beside them, nothing to lose in a crash). An operator pins a country open or
/// closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionBreaker {
    /// The fewest sends in the window for the share to decide (below it, the country passes).
    pub min_sends: u32,
    /// The least share of codes verified, in percent (0 to 100).
    pub min_conversion_percent: u8,
    /// The rolling window the share is measured over.
    pub window: Duration,
    /// The most recent sends left out of the share: not yet verified by an honest end user.
    pub grace: Duration,
    /// How long a tripped country is refused before the share decides again.
    pub cool_off: Duration,
    /// Countries (calling codes, `+60`) the operator pinned: open (never refused by the
    /// breaker) or closed (always refused), whatever the scope.
    pub pinned: Vec<(String, Pinned)>,
    /// What a share is measured over: a whole country (the default), or each prefix of a
    /// length the operator chooses, so that a tripped prefix refuses its own numbers only.
    pub scope: BreakerScope,
}

/// What the [`ConversionBreaker`] measures a share of codes verified over, and so what a
/// refusal closes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BreakerScope {
    /// The whole country of the number (its calling code): one share a country. A pumped
    /// country's cool-off refuses its honest users too.
    #[default]
    Country,
    /// The numbers sharing the calling code and the first `national_digits` digits of the
    /// national number (`+63 917`: `national_digits: 3`, a mobile operator's prefix): one
    /// share a prefix, so that an attack on a few prefixes closes those only and the rest of
    /// the country is served. A prefix longer than a number's national number is the whole
    /// number. Each send records its prefix (in a protected store, its keyed digest only).
    Prefix {
        /// How many digits of the national number after the calling code make the prefix.
        national_digits: u8,
    },
}

impl BreakerScope {
    /// What the scope names in a refusal's message: `this country` or `this number's
    /// prefix`.
    fn subject(self) -> &'static str {
        match self {
            Self::Country => "this country",
            Self::Prefix { .. } => "this number's prefix",
        }
    }

    /// How many last digits of `phone` lie outside its prefix, for a prefix scope: the
    /// digits [`crate::NumberProtection::range_of`] hides to give the prefix's key.
    ///
    /// ```
    /// use phone_verify_app::BreakerScope;
    /// use phone_verify_domain::PhoneNumber;
    ///
    /// let phone = PhoneNumber::parse("+639171234567")?; // +63 917 123 4567
    /// assert_eq!(BreakerScope::Prefix { national_digits: 3 }.hidden_digits(&phone), Some(7));
    /// assert_eq!(BreakerScope::Prefix { national_digits: 20 }.hidden_digits(&phone), Some(0));
    /// assert_eq!(BreakerScope::Country.hidden_digits(&phone), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hidden_digits(self, phone: &PhoneNumber) -> Option<u8> {
        let Self::Prefix { national_digits } = self else {
            return None;
        };
        let national = phone.national_number().len();
        let hidden = national.saturating_sub(usize::from(national_digits));
        Some(u8::try_from(hidden).unwrap_or(u8::MAX))
    }
}

/// How many of a country's latest sends the [`ConversionBreaker`] judges it on, unless its
/// `min_sends` is more ([`ConversionBreaker::sample`]): enough that the share is within a
/// few points of the truth, few enough to read in a fraction of a millisecond.
pub const CONVERSION_SAMPLE: u32 = 200;

/// How an operator pinned a country in the [`ConversionBreaker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pinned {
    /// Never refused by the breaker.
    Open,
    /// Always refused by the breaker, whatever the share.
    Closed,
}

/// What the conversion breaker reads of a country: its latest counted sends within the window
/// before the grace (at most [`ConversionBreaker::sample`]), and how many of those sends a
/// check verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryConversion {
    /// Counted sends started within the window, the grace left out: the latest of them, at
    /// most [`ConversionBreaker::sample`].
    pub sends: u64,
    /// How many of those sends a check verified.
    pub verified: u64,
}

/// The breaker `SendLimits::default()` turns on: a country with at least 20 counted sends in
/// the last hour (the last 10 minutes left out, for codes still on their way to being
/// entered) of which fewer than 20 % were verified is refused for 15 minutes; no country
/// pinned. Honest sign-ups verify 60 to 90 % of their codes (`docs/architecture.md`, "The
/// conversion breaker").
impl Default for ConversionBreaker {
    fn default() -> Self {
        Self {
            min_sends: 20,
            min_conversion_percent: 20,
            window: Duration::from_secs(60 * 60),
            grace: Duration::from_secs(10 * 60),
            cool_off: Duration::from_secs(15 * 60),
            pinned: Vec::new(),
            scope: BreakerScope::Country,
        }
    }
}

impl ConversionBreaker {
    /// How the operator pinned the country of `calling_code`, if at all.
    pub fn pinned(&self, calling_code: &str) -> Option<Pinned> {
        self.pinned
            .iter()
            .find(|(code, _)| code == calling_code)
            .map(|(_, pin)| *pin)
    }

    /// The most sends the breaker reads of a country: the latest [`CONVERSION_SAMPLE`] of its
    /// window (before the grace), or `min_sends` if more. Bounded, so that the breaker costs
    /// each send the same however busy the country: a count of a whole hour's sends would
    /// cost a send to a country sent to 100,000 times an hour 100,000 index entries.
    pub fn sample(&self) -> u32 {
        self.min_sends.max(CONVERSION_SAMPLE)
    }

    /// The instants a store reads sends between at `now`: started after the first and not
    /// after the second.
    pub fn bounds(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (sub(now, self.window), sub(now, self.grace))
    }

    /// Decides a send at `now` to the country of `calling_code` from what the records say of
    /// its country, or of its prefix in a prefix scope (`None` when the country is pinned and
    /// nothing was read).
    ///
    /// # Errors
    ///
    /// [`SendRefusal::ConversionTooLow`] when the country is pinned closed, or had
    /// `min_sends` sends and verified fewer than `min_conversion_percent` of them.
    ///
    /// ```
    /// use std::time::Duration;
    /// use chrono::{TimeZone, Utc};
    /// use phone_verify_app::{BreakerScope, ConversionBreaker, CountryConversion, SendRefusal};
    ///
    /// let breaker = ConversionBreaker {
    ///     min_sends: 50,
    ///     min_conversion_percent: 20,
    ///     window: Duration::from_secs(3600),
    ///     grace: Duration::from_secs(600),
    ///     cool_off: Duration::from_secs(900),
    ///     pinned: Vec::new(),
    ///     scope: BreakerScope::Country,
    /// };
    /// let now = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
    /// let honest = CountryConversion { sends: 200, verified: 150 };
    /// let pumped = CountryConversion { sends: 200, verified: 3 };
    /// assert_eq!(breaker.evaluate("+63", Some(honest), now), Ok(()));
    /// assert!(matches!(
    ///     breaker.evaluate("+63", Some(pumped), now),
    ///     Err(SendRefusal::ConversionTooLow { conversion_percent: Some(1), .. })
    /// ));
    /// ```
    pub fn evaluate(
        &self,
        calling_code: &str,
        read: Option<CountryConversion>,
        now: DateTime<Utc>,
    ) -> Result<(), SendRefusal> {
        let refusal = |conversion_percent: Option<u8>| SendRefusal::ConversionTooLow {
            calling_code: calling_code.to_owned(),
            scope: if conversion_percent.is_some() {
                self.scope
            } else {
                BreakerScope::Country
            },
            conversion_percent,
            retry_at: add(now, self.cool_off),
        };
        match (self.pinned(calling_code), read) {
            (Some(Pinned::Open), _) | (None, None) => Ok(()),
            (Some(Pinned::Closed), _) => Err(refusal(None)),
            (None, Some(read)) => {
                if read.sends < u64::from(self.min_sends) || read.sends == 0 {
                    return Ok(());
                }
                let percent = read.verified.saturating_mul(100) / read.sends;
                if percent >= u64::from(self.min_conversion_percent) {
                    return Ok(());
                }
                Err(refusal(Some(u8::try_from(percent).unwrap_or(100))))
            }
        }
    }
}

/// At most `max_numbers` distinct numbers sharing all but their last `hidden_digits` digits
/// may be sent to within the rolling `window`; a send to a further number of the range is
/// refused ([`SendRefusal::NumberRangeBusy`]). A number already sent to in the window is not
/// a further one (its own guards decide). Two end users of one app a hundred numbers apart
/// within an hour are rare; a bot walking `…0000`, `…0001`, … meets it at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberRanges {
    /// How many last digits the numbers of a range differ in: 1 to 6 (2: blocks of 100).
    pub hidden_digits: u8,
    /// The most distinct numbers of one range within the window; zero refuses every send.
    pub max_numbers: u32,
    /// The rolling window.
    pub window: Duration,
}

/// At most 3 distinct numbers of one block of 1,000 (all but the last 3 digits shared)
/// within an hour: the guard `SendLimits::default()` turns on. Honest sign-ups land in a
/// block of a thousand numbers three times an hour only when an app sends to about a twentieth
/// of a percent of a country's numbers every hour (`docs/architecture.md`, "Number ranges");
/// an app that busy chooses blocks of 100 instead.
impl Default for NumberRanges {
    fn default() -> Self {
        Self {
            hidden_digits: 3,
            max_numbers: 3,
            window: Duration::from_secs(60 * 60),
        }
    }
}

impl NumberRanges {
    /// Decides a new send at `now` to the number `this`, from the earlier counted sends to
    /// numbers of its range, each as (the number as the store keeps it, start time); those
    /// older than the window are ignored.
    ///
    /// # Errors
    ///
    /// [`SendRefusal::NumberRangeBusy`] when `this` is not among the range's numbers in the
    /// window and they are already `max_numbers`; it passes once enough of them have had no
    /// send within the window.
    ///
    /// ```
    /// use std::time::Duration;
    /// use chrono::{TimeZone, Utc};
    /// use phone_verify_app::{NumberRanges, SendRefusal};
    ///
    /// let ranges = NumberRanges { hidden_digits: 2, max_numbers: 2, window: Duration::from_secs(3600) };
    /// let now = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
    /// let earlier = [("…00", now - Duration::from_secs(60)), ("…01", now - Duration::from_secs(30))];
    /// assert_eq!(ranges.evaluate(earlier, &"…01", now), Ok(()), "not a further number");
    /// assert!(matches!(
    ///     ranges.evaluate(earlier, &"…02", now),
    ///     Err(SendRefusal::NumberRangeBusy { limit: 2, .. })
    /// ));
    /// ```
    pub fn evaluate<K: PartialEq>(
        &self,
        earlier: impl IntoIterator<Item = (K, DateTime<Utc>)>,
        this: &K,
        now: DateTime<Utc>,
    ) -> Result<(), SendRefusal> {
        let window_start = sub(now, self.window);
        // Each number of the range with its latest send in the window.
        let mut latest: Vec<(K, DateTime<Utc>)> = Vec::new();
        for (number, at) in earlier {
            if at <= window_start {
                continue;
            }
            if number == *this {
                return Ok(());
            }
            match latest.iter_mut().find(|(seen, _)| *seen == number) {
                Some((_, seen_at)) => *seen_at = (*seen_at).max(at),
                None => latest.push((number, at)),
            }
        }
        // A cap on the numbers' latest sends: it passes once all but `max_numbers - 1` of
        // the numbers have left the window.
        let latest_sends = latest.into_iter().map(|(_, at)| at);
        let (cap, _) = waits(
            latest_sends,
            self.max_numbers,
            self.window,
            Duration::ZERO,
            now,
        );
        cap.map_or(Ok(()), |retry_at| {
            Err(SendRefusal::NumberRangeBusy {
                limit: self.max_numbers,
                window: self.window,
                retry_at,
            })
        })
    }

    /// The earliest start of a send that counts at `now`.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        sub(now, self.window)
    }
}

/// At most `max_sends` sends to one country within the rolling `window`: a bound on what SMS
/// pumping can cost there, whatever the numbers and trust validations it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryBudget {
    /// The cap. Zero refuses every send to the country (with `now` as the retry time).
    pub max_sends: u32,
    /// The rolling window of the cap.
    pub window: Duration,
}

/// The budget of each country, by calling code, and one for every other country.
///
/// ```
/// use std::time::Duration;
/// use phone_verify_app::{CountryBudget, CountryBudgets};
///
/// let hour = Duration::from_secs(3600);
/// let budgets = CountryBudgets::default()
///     .otherwise(CountryBudget { max_sends: 200, window: hour })
///     .country("+60", CountryBudget { max_sends: 5_000, window: hour })?;
/// assert_eq!(budgets.of("+60").map(|b| b.max_sends), Some(5_000));
/// assert_eq!(budgets.of("+44").map(|b| b.max_sends), Some(200));
/// assert!(CountryBudgets::default().of("+44").is_none());
/// # Ok::<(), phone_verify_app::CallingCodeError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountryBudgets {
    /// The budget of a country with none of its own; `None`: unbounded.
    pub default: Option<CountryBudget>,
    /// Budgets by calling code (`"+60"`), each replacing the default for its country.
    per_country: Vec<(String, CountryBudget)>,
}

/// Why a string is not a country calling code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a country calling code is a `+` followed by 1 to 3 digits, the first not 0")]
pub struct CallingCodeError;

impl CountryBudgets {
    /// These budgets with `budget` for every country without one of its own.
    #[must_use]
    pub fn otherwise(mut self, budget: CountryBudget) -> Self {
        self.default = Some(budget);
        self
    }

    /// These budgets with `budget` for the country of `calling_code` (`"+60"`), replacing
    /// an earlier one for it.
    ///
    /// # Errors
    ///
    /// [`CallingCodeError`] when `calling_code` is not `+` and 1 to 3 digits, the first not 0.
    pub fn country(
        mut self,
        calling_code: &str,
        budget: CountryBudget,
    ) -> Result<Self, CallingCodeError> {
        let digits = calling_code.strip_prefix('+').ok_or(CallingCodeError)?;
        if digits.is_empty()
            || digits.len() > 3
            || digits.starts_with('0')
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(CallingCodeError);
        }
        self.per_country.retain(|(code, _)| code != calling_code);
        self.per_country.push((calling_code.to_owned(), budget));
        Ok(self)
    }

    /// The budget of the country of `calling_code` (`"+60"`), if any.
    pub fn of(&self, calling_code: &str) -> Option<CountryBudget> {
        self.per_country
            .iter()
            .find(|(code, _)| code == calling_code)
            .map(|(_, budget)| *budget)
            .or(self.default)
    }
}

impl CountryBudget {
    /// Decides a new send to the country at `now`, from how many counted sends to it started
    /// after `now - window` (`in_window`) and, when that reaches the cap, the start of the one
    /// whose leaving the window lets a send pass (the `in_window - max_sends + 1`-th oldest
    /// of them: a store reads it only then).
    ///
    /// # Errors
    ///
    /// [`SendRefusal::CountryBudgetSpent`] once `in_window` reaches the cap.
    ///
    /// ```
    /// use std::time::Duration;
    /// use chrono::{TimeZone, Utc};
    /// use phone_verify_app::{CountryBudget, SendRefusal};
    ///
    /// let budget = CountryBudget { max_sends: 2, window: Duration::from_secs(3600) };
    /// let now = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
    /// let oldest = now - Duration::from_secs(600);
    /// assert_eq!(budget.evaluate("+60", 1, None, now), Ok(()));
    /// assert_eq!(
    ///     budget.evaluate("+60", 2, Some(oldest), now),
    ///     Err(SendRefusal::CountryBudgetSpent {
    ///         calling_code: "+60".into(),
    ///         limit: 2,
    ///         window: Duration::from_secs(3600),
    ///         retry_at: oldest + Duration::from_secs(3600),
    ///     }),
    /// );
    /// ```
    pub fn evaluate(
        &self,
        calling_code: &str,
        in_window: u64,
        leaving_first: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), SendRefusal> {
        if in_window < u64::from(self.max_sends) {
            return Ok(());
        }
        Err(self.spent(
            calling_code,
            leaving_first.map_or(now, |start| add(start, self.window).max(now)),
        ))
    }

    /// The refusal of a spent budget, which passes again at `retry_at`.
    fn spent(&self, calling_code: &str, retry_at: DateTime<Utc>) -> SendRefusal {
        SendRefusal::CountryBudgetSpent {
            calling_code: calling_code.to_owned(),
            limit: self.max_sends,
            window: self.window,
            retry_at,
        }
    }

    /// The earliest start of a send that counts against the budget at `now`.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        sub(now, self.window)
    }
}

impl Default for SendLimits {
    fn default() -> Self {
        Self {
            cooldown: Duration::from_secs(30),
            max_per_number: 5,
            window: Duration::from_secs(60 * 60),
            max_per_trust_validation: 10,
            country_budgets: CountryBudgets::default(),
            number_ranges: Some(NumberRanges::default()),
            conversion: Some(ConversionBreaker::default()),
            clients: None,
        }
    }
}

impl SendLimits {
    /// The guards per number and per trust validation of [`SendLimits::default`], and none
    /// of the guards against SMS pumping (no guard of ranges, no conversion breaker, no
    /// country budget, no guard of clients): for synthetic traffic, which walks consecutive
    /// numbers and verifies few codes as a pumping bot does, never for end users.
    ///
    /// ```
    /// use phone_verify_app::SendLimits;
    ///
    /// let limits = SendLimits::without_pumping_guards();
    /// assert!(limits.number_ranges.is_none() && limits.conversion.is_none());
    /// assert_eq!(limits.cooldown, SendLimits::default().cooldown);
    /// ```
    pub fn without_pumping_guards() -> Self {
        Self {
            country_budgets: CountryBudgets::default(),
            number_ranges: None,
            conversion: None,
            clients: None,
            ..Self::default()
        }
    }

    /// How far back sends matter: the longest of the window, the cooldown and the country
    /// budgets' windows. A store passes [`SendLimits::evaluate`] the sends to the number
    /// started after `now - horizon()`, and keeps every send at least this long.
    pub fn horizon(&self) -> Duration {
        let countries = self
            .country_budgets
            .default
            .iter()
            .chain(
                self.country_budgets
                    .per_country
                    .iter()
                    .map(|(_, budget)| budget),
            )
            .map(|budget| budget.window)
            .chain(self.number_ranges.map(|ranges| ranges.window))
            .chain(self.conversion.as_ref().map(|breaker| breaker.window))
            .chain(self.clients.map(|clients| clients.horizon()))
            .max()
            .unwrap_or(Duration::ZERO);
        self.window.max(self.cooldown).max(countries)
    }

    /// The refusal of two guards' decisions that tells the caller the truth: a refusal that
    /// waiting does not lift (no `retry_at`) over one that it does, else the later
    /// `retry_at`, so the time given is one at which the send passes both.
    pub fn binding(
        first: Result<(), SendRefusal>,
        second: Result<(), SendRefusal>,
    ) -> Result<(), SendRefusal> {
        match (first, second) {
            (Ok(()), other) | (other, Ok(())) => other,
            (Err(first), Err(second)) => match (first.retry_at(), second.retry_at()) {
                (None, _) => Err(first),
                (_, None) => Err(second),
                (Some(a), Some(b)) if b > a => Err(second),
                _ => Err(first),
            },
        }
    }

    /// [`SendLimits::binding`] of every guard's decision: `Ok` when none refused.
    pub fn most_binding(
        decisions: impl IntoIterator<Item = Result<(), SendRefusal>>,
    ) -> Result<(), SendRefusal> {
        decisions.into_iter().fold(Ok(()), Self::binding)
    }

    /// The earliest start of a send that matters to a new send at `now`: `now - horizon()`,
    /// saturating at the earliest instant. What a store searches from.
    pub fn horizon_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        sub(now, self.horizon())
    }

    /// Decides a new send at `now` from the start times of the earlier sends to the same
    /// number (any order; those older than [`SendLimits::horizon`] are ignored) and the number of earlier
    /// sends for the same trust validation. Only sends that may have delivered a code are to
    /// be passed.
    ///
    /// This is the one implementation of the rules: every store calls it inside its atomic
    /// step. When several guards refuse, the refusal with the latest retry time wins, so the
    /// caller is told a time at which the send will pass.
    ///
    /// # Errors
    ///
    /// [`SendRefusal::TrustValidationLimitReached`], [`SendRefusal::NumberLimitReached`] or
    /// [`SendRefusal::CoolingDown`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use chrono::{TimeZone, Utc};
    /// use phone_verify_app::{SendLimits, SendRefusal};
    ///
    /// let limits = SendLimits::default();
    /// let first = Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 0).unwrap();
    /// let ten_seconds_later = first + Duration::from_secs(10);
    /// assert_eq!(
    ///     limits.evaluate([first], 1, ten_seconds_later),
    ///     Err(SendRefusal::CoolingDown { retry_at: first + Duration::from_secs(30) }),
    /// );
    /// ```
    pub fn evaluate(
        &self,
        sends_to_number: impl IntoIterator<Item = DateTime<Utc>>,
        sends_for_trust_validation: u64,
        now: DateTime<Utc>,
    ) -> Result<(), SendRefusal> {
        if sends_for_trust_validation >= u64::from(self.max_per_trust_validation) {
            return Err(SendRefusal::TrustValidationLimitReached {
                limit: self.max_per_trust_validation,
            });
        }
        let (cap, cooldown) = waits(
            sends_to_number,
            self.max_per_number,
            self.window,
            self.cooldown,
            now,
        );
        let capped = cap.map_or(Ok(()), |retry_at| {
            Err(SendRefusal::NumberLimitReached {
                limit: self.max_per_number,
                window: self.window,
                retry_at,
            })
        });
        let cooling = cooldown.map_or(Ok(()), |retry_at| {
            Err(SendRefusal::CoolingDown { retry_at })
        });
        Self::binding(capped, cooling)
    }
}

/// A cap of `max` sends within a rolling `window` and a `cooldown` between sends, over the
/// start times of the earlier sends (any order): when the cap lets a send pass again, if it
/// is reached (once enough sends of the window have aged out of it), and when the cooldown is
/// over, if it runs. A send stamped later than `now` (another process's clock runs ahead)
/// counts as recent; a zero cooldown is off. The guards per number and per client.
fn waits(
    earlier: impl IntoIterator<Item = DateTime<Utc>>,
    max: u32,
    window: Duration,
    cooldown: Duration,
    now: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let horizon_start = sub(now, window.max(cooldown));
    let mut recent: Vec<DateTime<Utc>> = earlier
        .into_iter()
        .filter(|at| *at > horizon_start)
        .collect();
    recent.sort_unstable();
    let window_start = sub(now, window);
    let in_window: Vec<DateTime<Utc>> = recent
        .iter()
        .copied()
        .filter(|at| *at > window_start)
        .collect();
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let cap = (in_window.len() >= max).then(|| {
        in_window
            .get(in_window.len() - max)
            .map_or(now, |oldest| add(*oldest, window))
    });
    let cooling = recent
        .last()
        .copied()
        .filter(|latest| !cooldown.is_zero() && *latest > sub(now, cooldown))
        .map(|latest| add(latest, cooldown));
    (cap, cooling)
}

/// Why a send was refused before it reached the provider, and when it may be tried again.
///
/// `Display` names the guard, never the number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendRefusal {
    /// A code went to this number less than the cooldown ago.
    #[error("a code was sent to this number too recently")]
    CoolingDown {
        /// When the cooldown is over.
        retry_at: DateTime<Utc>,
    },
    /// The number received its allowance of codes within the rolling window.
    #[error("this number has received {limit} codes within the window")]
    NumberLimitReached {
        /// The cap.
        limit: u32,
        /// The rolling window.
        window: Duration,
        /// When enough sends have aged out of the window.
        retry_at: DateTime<Utc>,
    },
    /// The trust validation has had its allowance of codes; start a new one.
    #[error("this trust validation has had {limit} codes")]
    TrustValidationLimitReached {
        /// The cap.
        limit: u32,
    },
    /// The number's country is not on the allow-list (or it belongs to no country).
    #[error("codes are not sent to this country")]
    CountryNotAllowed,
    /// The number starts with a denied prefix.
    #[error("codes are not sent to numbers with this prefix")]
    PrefixDenied,
    /// The number is of a denied kind (premium-rate, shared-cost, ...).
    #[error("codes are not sent to {kind} numbers")]
    NumberKindDenied {
        /// The number's kind.
        kind: NumberKind,
    },
    /// The number's country had its budget of sends within the window
    /// ([`SendLimits::country_budgets`]): what SMS pumping to it can cost is capped.
    #[error("codes to this country reached their budget of {limit} within the window")]
    CountryBudgetSpent {
        /// The country's calling code (`"+60"`).
        calling_code: String,
        /// The cap.
        limit: u32,
        /// The rolling window.
        window: Duration,
        /// When enough sends to the country have aged out of the window.
        retry_at: DateTime<Utc>,
    },
    /// The number's range (the numbers sharing all but its last digits) had sends to its
    /// allowance of distinct numbers within the window ([`SendLimits::number_ranges`]): the
    /// pattern of SMS pumping walking consecutive numbers.
    #[error("codes went to {limit} numbers of this number's range within the window")]
    NumberRangeBusy {
        /// The cap of distinct numbers.
        limit: u32,
        /// The rolling window.
        window: Duration,
        /// When enough of the range's numbers have left the window.
        retry_at: DateTime<Utc>,
    },
    /// The codes sent to the number's country, or to its prefix ([`BreakerScope`]), are not
    /// being verified ([`SendLimits::conversion`]): the mark of SMS pumping. Refused for a
    /// cool-off, after which the share decides again.
    #[error("codes sent to {} are not being verified", scope.subject())]
    ConversionTooLow {
        /// The country's calling code (`"+60"`).
        calling_code: String,
        /// What the share was measured over: the country, or the number's prefix (a country
        /// pinned closed is refused as a country).
        scope: BreakerScope,
        /// The share of codes verified in the window, in percent; `None` when the operator
        /// pinned the country closed.
        conversion_percent: Option<u8>,
        /// When the breaker decides again.
        retry_at: DateTime<Utc>,
    },
    /// A send from the same client (`SendCodeRequest::client`) went out less than the
    /// client cooldown ago ([`SendLimits::clients`]).
    #[error("a code was asked from this client too recently")]
    ClientCoolingDown {
        /// When the cooldown is over.
        retry_at: DateTime<Utc>,
    },
    /// The client had its allowance of sends within the window ([`SendLimits::clients`]).
    #[error("this client has asked for {limit} codes within the window")]
    ClientLimitReached {
        /// The cap.
        limit: u32,
        /// The rolling window.
        window: Duration,
        /// When enough of the client's sends have aged out of the window.
        retry_at: DateTime<Utc>,
    },
    /// No wired provider offers the channel the send asked for
    /// ([`ProviderRules::channels`](phone_verify_domain::ProviderRules::channels)): no
    /// request was made. Another channel may be offered.
    #[error("no provider sends codes by {channel}")]
    ChannelNotOffered {
        /// The channel asked for.
        channel: Channel,
    },
}

impl SendRefusal {
    /// When the same send may be tried again; `None` when waiting will not help (a new trust
    /// validation or another number is needed).
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::CoolingDown { retry_at }
            | Self::NumberLimitReached { retry_at, .. }
            | Self::CountryBudgetSpent { retry_at, .. }
            | Self::NumberRangeBusy { retry_at, .. }
            | Self::ClientCoolingDown { retry_at }
            | Self::ClientLimitReached { retry_at, .. } => Some(*retry_at),
            Self::ConversionTooLow {
                conversion_percent,
                retry_at,
                ..
            } => conversion_percent.map(|_| *retry_at),
            Self::TrustValidationLimitReached { .. }
            | Self::CountryNotAllowed
            | Self::PrefixDenied
            | Self::NumberKindDenied { .. }
            | Self::ChannelNotOffered { .. } => None,
        }
    }

    /// The guard's stable name, as metrics label the refusal: `cooling_down`,
    /// `number_limit_reached`, `trust_validation_limit_reached`, `country_not_allowed`,
    /// `prefix_denied`, `number_kind_denied`, `country_budget_spent`, `number_range_busy`,
    /// `conversion_too_low`, `client_cooling_down`, `client_limit_reached` or
    /// `channel_not_offered`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::CoolingDown { .. } => "cooling_down",
            Self::NumberLimitReached { .. } => "number_limit_reached",
            Self::TrustValidationLimitReached { .. } => "trust_validation_limit_reached",
            Self::CountryNotAllowed => "country_not_allowed",
            Self::PrefixDenied => "prefix_denied",
            Self::NumberKindDenied { .. } => "number_kind_denied",
            Self::CountryBudgetSpent { .. } => "country_budget_spent",
            Self::NumberRangeBusy { .. } => "number_range_busy",
            Self::ConversionTooLow { .. } => "conversion_too_low",
            Self::ClientCoolingDown { .. } => "client_cooling_down",
            Self::ClientLimitReached { .. } => "client_limit_reached",
            Self::ChannelNotOffered { .. } => "channel_not_offered",
        }
    }
}

/// A denied number prefix in E.164 form: `+` and 1 to 15 digits (`"+882"`, `"+4470"`).
///
/// ```
/// use phone_verify_app::NumberPrefix;
/// assert!(NumberPrefix::parse("+882").is_ok());
/// assert!(NumberPrefix::parse("882").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NumberPrefix(String);

/// Why a string is not a [`NumberPrefix`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a number prefix is a `+` followed by 1 to 15 digits")]
pub struct NumberPrefixError;

impl NumberPrefix {
    /// Validates a prefix: `+` and 1 to 15 ASCII digits.
    ///
    /// # Errors
    ///
    /// [`NumberPrefixError`] for anything else.
    pub fn parse(input: &str) -> Result<Self, NumberPrefixError> {
        let digits = input.strip_prefix('+').ok_or(NumberPrefixError)?;
        if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NumberPrefixError);
        }
        Ok(Self(input.to_owned()))
    }

    /// The prefix, `+` included.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `phone` starts with this prefix.
    pub fn matches(&self, phone: &PhoneNumber) -> bool {
        phone.e164().starts_with(&self.0)
    }
}

impl fmt::Debug for NumberPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NumberPrefix({})", self.0)
    }
}

impl FromStr for NumberPrefix {
    type Err = NumberPrefixError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Every guard of the send use case.
///
/// ```
/// use phone_verify_app::{NumberPrefix, SendPolicy};
/// use phone_verify_domain::RegionCode;
///
/// let policy = SendPolicy {
///     allowed_regions: Some([RegionCode::parse("MY")?].into()),
///     denied_prefixes: vec![NumberPrefix::parse("+881")?],
///     ..SendPolicy::default()
/// };
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendPolicy {
    /// The guards checked against the recorded sends.
    pub limits: SendLimits,
    /// When set, codes go only to numbers of these regions. Default: no allow-list.
    pub allowed_regions: Option<BTreeSet<RegionCode>>,
    /// Numbers starting with any of these prefixes are refused. Default: none.
    pub denied_prefixes: Vec<NumberPrefix>,
    /// Numbers of these kinds are refused. Default: premium-rate and shared-cost, where
    /// SMS-pumping fraud pays and no end user expects a code.
    pub denied_kinds: Vec<NumberKind>,
}

impl Default for SendPolicy {
    fn default() -> Self {
        Self {
            limits: SendLimits::default(),
            allowed_regions: None,
            denied_prefixes: Vec::new(),
            denied_kinds: vec![NumberKind::PremiumRate, NumberKind::SharedCost],
        }
    }
}

impl SendPolicy {
    /// [`SendPolicy::default`] with [`SendLimits::without_pumping_guards`]: for synthetic
    /// traffic (a load test walking consecutive numbers, checking no code), never for end
    /// users.
    pub fn without_pumping_guards() -> Self {
        Self {
            limits: SendLimits::without_pumping_guards(),
            ..Self::default()
        }
    }

    /// The guards that need nothing but the number: allow-list of regions, deny-lists of
    /// prefixes and kinds.
    ///
    /// # Errors
    ///
    /// [`SendRefusal::CountryNotAllowed`], [`SendRefusal::PrefixDenied`] or
    /// [`SendRefusal::NumberKindDenied`].
    pub fn check_number(&self, phone: &PhoneNumber) -> Result<(), SendRefusal> {
        if let Some(allowed) = &self.allowed_regions
            && !phone
                .region()
                .is_some_and(|region| allowed.contains(&region))
        {
            return Err(SendRefusal::CountryNotAllowed);
        }
        if self
            .denied_prefixes
            .iter()
            .any(|prefix| prefix.matches(phone))
        {
            return Err(SendRefusal::PrefixDenied);
        }
        let kind = phone.kind();
        if self.denied_kinds.contains(&kind) {
            return Err(SendRefusal::NumberKindDenied { kind });
        }
        Ok(())
    }
}

/// The guards of the check use case, enforced locally so that brute force never reaches the
/// provider.
///
/// The provider of each send has the last word on its code's lifetime and on what the
/// attempt limit counts ([`ProviderRules`], as its adapter declares them): [`CheckCode`]
/// fills [`CheckPolicy::providers`] from the providers it is wired to.
///
/// [`CheckCode`]: crate::CheckCode
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckPolicy {
    /// Most checks against one code (of one send, or of every send that delivered the same
    /// code, as the provider's [`ProviderRules::attempts`](phone_verify_domain::ProviderRules::attempts) says). Default 5.
    pub max_attempts: u32,
    /// How long a code stays valid after the send started, for a provider whose adapter does
    /// not declare a lifetime ([`ProviderRules::code_lifetime`](phone_verify_domain::ProviderRules::code_lifetime)). Default 5 minutes.
    pub code_lifetime: Duration,
    /// Most checks of one send, whatever the provider answered (a check of a code already
    /// used, expired or unknown to the provider included): bounds the provider calls and
    /// the rows one code can cause once [`CheckPolicy::max_attempts`] no longer applies.
    /// Default 10.
    pub max_checks_per_send: u32,
    /// Most checks of one trust validation, whatever the provider answered, over all its
    /// sends. Default 20.
    pub max_checks_per_trust_validation: u32,
    /// What each provider's adapter declared; a provider not listed has the default rules
    /// ([`ProviderRules::per_trust_validation`](phone_verify_domain::ProviderRules::per_trust_validation)). Filled by [`CheckCode::new`] from its
    /// providers: leave it empty.
    ///
    /// [`CheckCode::new`]: crate::CheckCode::new
    pub providers: Vec<(ProviderName, ProviderRules)>,
}

impl Default for CheckPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            code_lifetime: Duration::from_secs(5 * 60),
            max_checks_per_send: 10,
            max_checks_per_trust_validation: 20,
            providers: Vec::new(),
        }
    }
}

/// The rules of a provider no adapter declared.
static DEFAULT_RULES: ProviderRules = ProviderRules::per_trust_validation();

impl CheckPolicy {
    /// The rules `provider`'s adapter declared, or the default ones.
    pub fn rules_of(&self, provider: &ProviderName) -> &ProviderRules {
        self.providers
            .iter()
            .find(|(name, _)| name == provider)
            .map_or(&DEFAULT_RULES, |(_, rules)| rules)
    }

    /// How long a code of `provider` stays checkable: its adapter's declared lifetime, else
    /// [`CheckPolicy::code_lifetime`].
    pub fn lifetime_of(&self, provider: &ProviderName) -> Duration {
        self.rules_of(provider)
            .code_lifetime
            .unwrap_or(self.code_lifetime)
    }

    /// The longest lifetime a code of any provider may have.
    pub fn longest_lifetime(&self) -> Duration {
        self.providers
            .iter()
            .filter_map(|(_, rules)| rules.code_lifetime)
            .fold(self.code_lifetime, Duration::max)
    }
}

/// Why a check was refused before it reached the provider. Either way, the end user needs a
/// new code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckRefusal {
    /// No send of the trust validation may have delivered a code: there is nothing to check.
    #[error("no code was sent for this trust validation")]
    NoCodeSent,
    /// The code's lifetime is over.
    #[error("the code has expired")]
    CodeExpired {
        /// When it expired.
        expired_at: DateTime<Utc>,
    },
    /// The send has had its allowance of checks.
    #[error("the code has been checked {limit} times already")]
    TooManyAttempts {
        /// The cap.
        limit: u32,
    },
    /// The send, or the trust validation, has had its allowance of checks of any outcome
    /// ([`CheckPolicy::max_checks_per_send`], [`CheckPolicy::max_checks_per_trust_validation`]):
    /// checks the provider answered "no pending code" (a used or expired code) count here.
    #[error("this verification has been checked {limit} times already")]
    TooManyChecks {
        /// The cap that was reached.
        limit: u32,
    },
}

/// How long the guards need an attempt after it started: the longer of the send limits'
/// horizon ([`SendLimits::horizon`]) and the code lifetime. Records younger than this are
/// never evicted or purged; the cap per trust validation is kept by keeping (or purging)
/// a trust validation's records together instead.
///
/// ```
/// use std::time::Duration;
/// use phone_verify_app::{CheckPolicy, SendLimits, minimum_retention};
///
/// let needed = minimum_retention(&SendLimits::default(), &CheckPolicy::default());
/// assert_eq!(needed, Duration::from_secs(60 * 60));
/// ```
pub fn minimum_retention(limits: &SendLimits, check: &CheckPolicy) -> Duration {
    limits.horizon().max(check.longest_lifetime())
}

impl CheckRefusal {
    /// The guard's stable name, as metrics label the refusal: `no_code_sent`, `code_expired`,
    /// `too_many_attempts` or `too_many_checks`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::NoCodeSent => "no_code_sent",
            Self::CodeExpired { .. } => "code_expired",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::TooManyChecks { .. } => "too_many_checks",
        }
    }
}
