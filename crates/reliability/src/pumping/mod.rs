//! The SMS-pumping scenario of issue 27: legitimate sign-ups from many countries mixed with a
//! pumping attack, replayed through the facade against the simulator on a manual clock, under
//! a [`SendPolicy`] of the caller's choice. It says how much of the attack got through, how
//! many legitimate sends were refused, and what the SMS bill came to (`docs/reliability.md`,
//! promise 6; the `pumping` program prints it as a table).
//!
//! - [`PumpingScenario`]: the traffic's shape and seed; [`PumpingScenario::traffic`] draws it.
//! - [`run`]: replays it under a policy, giving a [`PumpingReport`].
//! - [`pumping_guards`]: the policy the scenario measures the guards with
//!   ([`hourly_budget`]: its budget per country).
//! - [`COUNTRIES`]: the countries, their mobile ranges, and the assumed SMS prices.
//!
//! ```no_run
//! # async fn measure() -> anyhow::Result<()> {
//! use phone_verify::policy::SendPolicy;
//! use phone_verify_reliability::pumping::{PumpingScenario, run};
//!
//! let report = run(&PumpingScenario::default(), SendPolicy::without_pumping_guards()).await?;
//! println!("{} of {} attack sends delivered", report.attack.delivered, report.attack.attempted);
//! # Ok(())
//! # }
//! ```

mod countries;
mod run;
mod traffic;

use std::time::Duration;

use phone_verify::policy::{
    BreakerScope, ClientLimits, ConversionBreaker, CountryBudget, CountryBudgets, SendLimits,
    SendPolicy,
};

pub use countries::{COUNTRIES, Country, country};
pub use run::{ATTACK_CLIENTS, PumpingReport, SendTally, dollars, run};
pub use traffic::{Action, AttackPattern, Event, LegitUser, PumpingScenario, Sender, Traffic};

/// The window of [`pumping_guards`]' country budgets.
pub const BUDGET_WINDOW: Duration = Duration::from_secs(3600);

/// Country budgets alone, as an embedder who knows its traffic would set them: the guards per
/// number and per trust validation ([`SendPolicy::without_pumping_guards`]) with a budget per
/// country (`SendLimits::country_budgets`, `docs/architecture.md`, "Country budgets").
///
/// Each country of [`COUNTRIES`] gets three times the sends its legitimate end users make in
/// an hour of [`PumpingScenario::default`] (its share of 1,000 sign-ups over six hours, plus
/// 5 % resends), and at least 10: room for an hour twice as busy as the average, and for
/// chance. A country outside the table gets 10 an hour.
///
/// # Panics
///
/// Never: the table's calling codes are valid.
pub fn pumping_guards() -> SendPolicy {
    let scenario = PumpingScenario::default();
    let mut budgets = CountryBudgets::default().otherwise(CountryBudget {
        max_sends: MIN_BUDGET,
        window: BUDGET_WINDOW,
    });
    for country in &COUNTRIES {
        let max_sends = hourly_budget(&scenario, country);
        budgets = budgets
            .country(
                country.calling_code,
                CountryBudget {
                    max_sends,
                    window: BUDGET_WINDOW,
                },
            )
            .expect("the table's calling codes are valid");
    }
    SendPolicy {
        limits: SendLimits {
            country_budgets: budgets,
            ..SendLimits::without_pumping_guards()
        },
        ..SendPolicy::default()
    }
}

/// The defaults (`SendPolicy::default()`: the guard of ranges and the conversion breaker) with
/// the guard of clients: at most 5 sends an hour from one
/// client, 30 s apart.
pub fn all_guards() -> SendPolicy {
    let mut policy = SendPolicy::default();
    policy.limits.clients = Some(ClientLimits {
        cooldown: Duration::from_secs(30),
        max_sends: 5,
        window: Duration::from_secs(60 * 60),
    });
    policy
}

/// The defaults with the conversion breaker measuring prefixes of the calling code and 3
/// national digits (`+63 917`, `BreakerScope::Prefix`) instead of whole countries: an attack
/// on one operator's prefix closes that prefix only.
pub fn prefix_breaker() -> SendPolicy {
    let mut policy = SendPolicy::default();
    policy.limits.conversion = Some(ConversionBreaker {
        scope: BreakerScope::Prefix { national_digits: 3 },
        ..ConversionBreaker::default()
    });
    policy
}

/// The smallest budget of [`pumping_guards`], sends per [`BUDGET_WINDOW`].
const MIN_BUDGET: u32 = 10;

/// The budget [`pumping_guards`] gives `country` (with `scenario` the default): three times
/// its legitimate sends in an hour of `scenario`, rounded up, and at least 10. Computed in
/// integers, so that a budget is what the arithmetic says (`3 × 1,000 × 12 % × 1.05 / 6` is
/// 63, where floating point makes it 64).
///
/// ```
/// use phone_verify_reliability::pumping::{PumpingScenario, country, hourly_budget};
///
/// let india = country("+91").expect("in the table");
/// assert_eq!(hourly_budget(&PumpingScenario::default(), india), 63);
/// ```
pub fn hourly_budget(scenario: &PumpingScenario, country: &Country) -> u32 {
    let sends_times_10k = 3
        * u64::from(scenario.legit_users)
        * u64::from(country.share_percent)
        * (100 + u64::from(scenario.resend_percent))
        * BUDGET_WINDOW.as_secs();
    let per = 100 * 100 * scenario.duration.as_secs().max(1);
    u32::try_from(sends_times_10k.div_ceil(per))
        .unwrap_or(u32::MAX)
        .max(MIN_BUDGET)
}

/// The table of `docs/reliability.md` (promise 6), in Markdown: one row per named run.
pub fn table(rows: &[(&str, &PumpingReport)]) -> String {
    let mut out = String::from(
        "| policy | attack sends | attack delivered | attack refused | legit sends | legit refused | legit conversion | SMS bill (attack) | SMS bill |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (name, report) in rows {
        out.push_str(&format!(
            "| {name} | {} | {} | {:.1} % | {} | {} ({:.1} %) | {:.1} % | {} | {} |\n",
            report.attack.attempted,
            report.attack.delivered,
            report.attack.refused_percent(),
            report.legit.attempted,
            report.legit.refused_total(),
            report.legit.refused_percent(),
            report.conversion_percent(),
            dollars(report.attack.bill_micros),
            dollars(report.bill_micros()),
        ));
    }
    out
}
