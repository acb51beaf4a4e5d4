//! The SMS-pumping scenario (`docs/reliability.md`, promise 6), run twice: with no guard
//! against pumping (`SendPolicy::without_pumping_guards()`) and with `pumping_guards()`. Prints the table of
//! the document; numbers and codes are never printed.
//!
//! ```sh
//! cargo run --release -p phone-verify-reliability --bin pumping
//! ```

use std::time::Instant;

use phone_verify::policy::SendPolicy;
use phone_verify_reliability::pumping::{
    AttackPattern, COUNTRIES, PumpingScenario, all_guards, hourly_budget, prefix_breaker,
    pumping_guards, run, table,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let scenario = PumpingScenario::default();
    let started = Instant::now();
    let unguarded = run(&scenario, SendPolicy::without_pumping_guards()).await?;
    let guarded = run(&scenario, pumping_guards()).await?;
    let ranges = run(&scenario, SendPolicy::default()).await?;
    let spread_scenario = PumpingScenario {
        pattern: AttackPattern::Spread,
        ..scenario.clone()
    };
    let spread_unguarded = run(&spread_scenario, SendPolicy::without_pumping_guards()).await?;
    let spread = run(&spread_scenario, SendPolicy::default()).await?;
    let spread_all = run(&spread_scenario, all_guards()).await?;
    let consecutive_all = run(&scenario, all_guards()).await?;
    let in_prefix_scenario = PumpingScenario {
        pattern: AttackPattern::SpreadInPrefix,
        ..scenario.clone()
    };
    let in_prefix = run(&in_prefix_scenario, SendPolicy::default()).await?;
    let in_prefix_by_prefix = run(&in_prefix_scenario, prefix_breaker()).await?;
    let spread_by_prefix = run(&spread_scenario, prefix_breaker()).await?;
    println!(
        "{}",
        table(&[
            (
                "no pumping guards (`SendPolicy::without_pumping_guards()`)",
                &unguarded
            ),
            ("`pumping_guards()`: country budgets", &guarded),
            (
                "the defaults (`SendPolicy::default()`): ranges and the conversion breaker",
                &ranges
            ),
            ("spread attack, no pumping guards", &spread_unguarded),
            ("spread attack, `SendPolicy::default()`", &spread),
            (
                "`all_guards()`: ranges, breaker and clients",
                &consecutive_all
            ),
            ("spread attack, `all_guards()`", &spread_all),
            (
                "spread attack, breaker per prefix (`prefix_breaker()`)",
                &spread_by_prefix
            ),
            (
                "attack spread in one prefix a burst, `SendPolicy::default()`",
                &in_prefix
            ),
            (
                "attack spread in one prefix a burst, breaker per prefix (`prefix_breaker()`)",
                &in_prefix_by_prefix
            ),
        ])
    );
    for (name, report) in [
        ("no pumping guards", &unguarded),
        ("pumping_guards()", &guarded),
        ("SendPolicy::default()", &ranges),
        ("spread attack, SendPolicy::default()", &spread),
        ("all_guards()", &consecutive_all),
        ("spread attack, all_guards()", &spread_all),
        ("spread attack, prefix_breaker()", &spread_by_prefix),
        ("in one prefix, SendPolicy::default()", &in_prefix),
        ("in one prefix, prefix_breaker()", &in_prefix_by_prefix),
    ] {
        println!(
            "{name}: legit refused by reason {:?}, by country {:?}; attack refused by reason {:?}, by country {:?}",
            report.legit.refused,
            report.legit.refused_by_country,
            report.attack.refused,
            report.attack.refused_by_country
        );
    }
    let budgets: Vec<String> = COUNTRIES
        .iter()
        .map(|country| {
            format!(
                "{} {}",
                country.calling_code,
                hourly_budget(&scenario, country)
            )
        })
        .collect();
    println!("pumping_guards() budgets per hour: {}", budgets.join(", "));
    println!(
        "seed {}, both runs in {:.1} s",
        scenario.seed,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
