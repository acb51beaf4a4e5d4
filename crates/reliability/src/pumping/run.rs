//! Replays the traffic through the facade, against the simulator, on a manual clock, and
//! counts what got through and what it cost.

use std::collections::BTreeMap;

use anyhow::Context as _;
use chrono::{DateTime, TimeDelta, TimeZone as _, Utc};
use phone_verify::policy::SendPolicy;
use phone_verify::testing::{ManualClock, sim};
use phone_verify::{OtpCode, PhoneNumber, PhoneVerification, SendCodeError};

use super::countries::country;
use super::traffic::{Action, PumpingScenario, Sender};

/// What happened to one side's sends (the legitimate end users', or the attack's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendTally {
    /// Sends asked for.
    pub attempted: u64,
    /// Sends the provider accepted: an SMS went out and is billed.
    pub delivered: u64,
    /// Sends a guard refused before the provider, by the guard's name
    /// ([`SendRefusal::as_str`](phone_verify::policy::SendRefusal::as_str)).
    pub refused: BTreeMap<&'static str, u64>,
    /// Sends that failed otherwise (the provider or the store); none in this scenario.
    pub failed: u64,
    /// Delivered sends by calling code (`"+63"`).
    pub delivered_by_country: BTreeMap<&'static str, u64>,
    /// Refused sends by calling code: where a guard's refusals fell.
    pub refused_by_country: BTreeMap<&'static str, u64>,
    /// The SMS bill of the delivered sends, in millionths of a US dollar, at the assumed
    /// prices of [`super::COUNTRIES`].
    pub bill_micros: u64,
}

impl SendTally {
    /// Sends refused, whatever the guard.
    pub fn refused_total(&self) -> u64 {
        self.refused.values().sum()
    }

    /// Refused sends as a percentage of the attempted ones (0 when none was attempted).
    pub fn refused_percent(&self) -> f64 {
        percent(self.refused_total(), self.attempted)
    }

    fn delivered(&mut self, calling_code: &'static str, price_micros: u64) {
        self.delivered += 1;
        *self.delivered_by_country.entry(calling_code).or_default() += 1;
        self.bill_micros += price_micros;
    }
}

/// What one run of the scenario counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PumpingReport {
    /// The legitimate end users' sends.
    pub legit: SendTally,
    /// The attack's sends.
    pub attack: SendTally,
    /// Legitimate end users in the traffic.
    pub legit_users: u64,
    /// Checks of a delivered code the end users made.
    pub legit_checks: u64,
    /// Of those, the ones that verified.
    pub legit_verified: u64,
    /// Checks not made because none of the end user's sends was delivered.
    pub checks_without_a_code: u64,
    /// Send requests the simulator received (both sides), from its own counters.
    pub provider_send_requests: u64,
    /// SMS the simulator delivered to its inbox (both sides), from its own counters.
    pub provider_codes_sent: u64,
}

impl PumpingReport {
    /// The whole SMS bill, both sides, in millionths of a US dollar.
    pub fn bill_micros(&self) -> u64 {
        self.legit.bill_micros + self.attack.bill_micros
    }

    /// Legitimate end users whose code verified, as a percentage of all of them.
    pub fn conversion_percent(&self) -> f64 {
        percent(self.legit_verified, self.legit_users)
    }
}

/// The instant the simulated traffic starts.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 6, 0, 0)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// Replays `scenario`'s traffic through a [`PhoneVerification`] guarded by `policy`: the
/// simulator's IDMeta routes, the in-memory store, and one manual time that the library's
/// clock and the simulator's share, moved to each event in turn (nothing sleeps). End users
/// read their code from the simulator's inbox.
///
/// # Errors
///
/// When the traffic cannot be drawn, the simulator does not start, the handle does not build,
/// or a check fails other than by an answer (the provider or the store failing: not part of
/// this scenario, so a sign that something else broke).
pub async fn run(scenario: &PumpingScenario, policy: SendPolicy) -> anyhow::Result<PumpingReport> {
    let traffic = scenario.traffic()?;
    let start = start();
    let sim_clock = sim::SimClock::manual(start);
    let sim = sim::start(sim::SimConfig::default().clock(sim_clock.clone()))
        .await
        .context("starting the simulator")?;
    let clock = ManualClock::new(start);
    // Numbers kept protected, as the guard of clients needs (a client is kept only as its
    // keyed digest); nothing else of the scenario depends on it.
    let keys = phone_verify::numbers::NumberKeyring::parse(&format!("k1:{}", "5a".repeat(32)))
        .context("the scenario's number key")?;
    let verification = PhoneVerification::builder()
        .simulator(&sim)
        .clock(clock.clone())
        .protect_numbers(keys)
        .send_policy(policy)
        .build()
        .await
        .context("building the handle")?;

    let mut report = PumpingReport {
        legit_users: traffic.users.len() as u64,
        ..PumpingReport::default()
    };
    let mut has_code = vec![false; traffic.users.len()];
    for event in &traffic.events {
        let now = start + TimeDelta::from_std(event.at).context("a time within the scenario")?;
        clock.set(now);
        sim_clock.set(now);
        match &event.action {
            Action::Send {
                sender,
                phone,
                trust_validation,
            } => {
                let request =
                    phone_verify::SendCodeRequest::new(phone.clone(), trust_validation.clone())
                        .with_client(client_of(*sender, trust_validation)?);
                let tally = match sender {
                    Sender::Legit(_) => &mut report.legit,
                    Sender::Attack => &mut report.attack,
                };
                tally.attempted += 1;
                let (calling_code, price) = price_of(phone)?;
                match verification.send_code(&request).await {
                    Ok(_) => {
                        tally.delivered(calling_code, price);
                        if let Sender::Legit(user) = sender {
                            has_code[*user] = true;
                        }
                    }
                    Err(SendCodeError::Refused(refusal)) => {
                        *tally.refused.entry(refusal.as_str()).or_default() += 1;
                        *tally.refused_by_country.entry(calling_code).or_default() += 1;
                    }
                    Err(_) => tally.failed += 1,
                }
            }
            Action::Check { user } => {
                if !has_code[*user] {
                    report.checks_without_a_code += 1;
                    continue;
                }
                let user = &traffic.users[*user];
                let code = sim
                    .last_code_for(user.phone.e164())
                    .context("a delivered code is in the inbox")?;
                let code = OtpCode::parse(&code).context("the simulator's code parses")?;
                let checked = verification
                    .check_code(user.trust_validation.clone(), code, Some(&user.phone))
                    .await
                    .context("an end user's check")?;
                report.legit_checks += 1;
                if checked.is_verified() {
                    report.legit_verified += 1;
                }
            }
        }
    }
    let counters = sim.counters();
    report.provider_send_requests = counters.idmeta_send_requests;
    report.provider_codes_sent = counters.codes_sent;
    verification.records().close().await;
    Ok(report)
}

/// The calling code of `phone` and the assumed price of an SMS to it.
fn price_of(phone: &PhoneNumber) -> anyhow::Result<(&'static str, u64)> {
    let country = country(phone.country_calling_code())
        .context("every number of the traffic is of a scenario country")?;
    Ok((country.calling_code, country.price_micros))
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    // Counts stay far below 2^52: the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let ratio = part as f64 / whole as f64;
    ratio * 100.0
}

/// `micros` millionths of a dollar as dollars and cents (`"$1,234.56"`).
pub fn dollars(micros: u64) -> String {
    let cents = (micros + 5_000) / 10_000;
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("${grouped}.{:02}", cents % 100)
}

/// How many clients (addresses, devices) the attack rotates through: an assumption of the
/// scenario, a botnet's handful of exits.
pub const ATTACK_CLIENTS: u64 = 8;

/// The client a send comes from: each legitimate end user its own; the attack's sends
/// round-robin over [`ATTACK_CLIENTS`] clients (by the send's index, `bot-<n>`).
fn client_of(
    sender: Sender,
    trust_validation: &phone_verify::TrustValidationId,
) -> anyhow::Result<phone_verify::request::ClientKey> {
    let key = match sender {
        Sender::Legit(user) => format!("user-{user}"),
        Sender::Attack => {
            let index: u64 = trust_validation
                .as_str()
                .strip_prefix("bot-")
                .context("an attack send's trust validation is bot-<n>")?
                .parse()
                .context("an attack send's index")?;
            format!("bot-client-{}", index % ATTACK_CLIENTS)
        }
    };
    Ok(phone_verify::request::ClientKey::parse(&key)?)
}
