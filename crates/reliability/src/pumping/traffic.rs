//! The traffic of the scenario, drawn from a seed: legitimate end users and a pumping attack,
//! merged into one timeline.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::Context as _;
use phone_verify::{PhoneNumber, TrustValidationId};
use rand::{Rng, SeedableRng as _};
use rand_chacha::ChaCha8Rng;

use super::countries::{COUNTRIES, Country};

/// The shape of the traffic: how many end users, how many of them verify, and how hard the
/// attack pushes. [`PumpingScenario::default`] is the scenario of `docs/reliability.md`
/// (promise 6); the same seed always draws the same traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct PumpingScenario {
    /// The seed of the draw (ChaCha8, so a seed means the same traffic on every platform and
    /// `rand` version).
    pub seed: u64,
    /// How long the traffic lasts, in simulated time.
    pub duration: Duration,
    /// Legitimate end users, each signing up once, arriving uniformly over `duration`.
    pub legit_users: u32,
    /// Share of them who read their code and check it, in percent.
    pub conversion_percent: u32,
    /// Share of them who ask for a second code after the cooldown, in percent.
    pub resend_percent: u32,
    /// The calling codes the attack pumps (`"+63"`), each one of [`super::COUNTRIES`].
    pub attacked: Vec<&'static str>,
    /// Attack bursts, at uniform times over `duration`, each to one attacked country.
    pub bursts: u32,
    /// Sends per burst, to consecutive numbers, each under a fresh trust validation.
    pub burst_sends: u32,
    /// Time between two sends of a burst.
    pub burst_spacing: Duration,
    /// Which numbers a burst walks.
    pub pattern: AttackPattern,
}

/// Which numbers an attack burst sends to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttackPattern {
    /// Consecutive numbers of one block under a mobile prefix (`…0000`, `…0001`, …): the
    /// walk a range shares its fee on.
    Consecutive,
    /// Random valid mobile numbers of the country, as legitimate end users' are: nothing
    /// but the country and the missing checks gives it away.
    Spread,
    /// Random numbers under one mobile prefix of the country a burst (`+63 917 …`), as an
    /// attack on the ranges one operator shares its fee on: no walk to give it away, but its
    /// prefix's codes are never verified.
    SpreadInPrefix,
}

impl Default for PumpingScenario {
    /// Six hours: 1,000 legitimate sign-ups from 18 countries, 75 % checking their code and
    /// 5 % asking for a second one; 12 bursts of 120 sends (one every 2 s) to consecutive
    /// numbers in the Philippines (`+63`) and Indonesia (`+62`), never checked.
    fn default() -> Self {
        Self {
            seed: 27,
            duration: Duration::from_secs(6 * 3600),
            legit_users: 1_000,
            conversion_percent: 75,
            resend_percent: 5,
            attacked: vec!["+63", "+62"],
            bursts: 12,
            burst_sends: 120,
            burst_spacing: Duration::from_secs(2),
            pattern: AttackPattern::Consecutive,
        }
    }
}

/// Who makes a send: an end user of the legitimate traffic (by index) or the attack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// The legitimate end user with this index.
    Legit(usize),
    /// The pumping bot.
    Attack,
}

/// One step of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A send of a code to `phone` for `trust_validation`.
    Send {
        /// Who sends.
        sender: Sender,
        /// The number (personal data in form: never logged).
        phone: PhoneNumber,
        /// The sign-up it is for.
        trust_validation: TrustValidationId,
    },
    /// The legitimate end user with this index reads the newest code their phone received and
    /// checks it.
    Check {
        /// The end user's index.
        user: usize,
    },
}

/// An action at a time from the start of the traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When, from the start.
    pub at: Duration,
    /// What.
    pub action: Action,
}

/// A legitimate end user: their number and sign-up, which the checks refer to.
#[derive(Debug, Clone, PartialEq)]
pub struct LegitUser {
    /// The end user's number.
    pub phone: PhoneNumber,
    /// Their sign-up.
    pub trust_validation: TrustValidationId,
}

/// The drawn traffic: the end users and the timeline, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    /// The legitimate end users, by index.
    pub users: Vec<LegitUser>,
    /// Every send and check, ordered by time (ties keep the order they were drawn in).
    pub events: Vec<Event>,
}

impl PumpingScenario {
    /// Draws the traffic from the seed.
    ///
    /// # Errors
    ///
    /// When an attacked calling code is not one of [`super::COUNTRIES`], or a drawn number or
    /// id does not parse (a wrong range in the country table).
    pub fn traffic(&self) -> anyhow::Result<Traffic> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut taken = HashSet::new();
        let mut events = Vec::new();
        self.draw_attack(&mut rng, &mut taken, &mut events)?;
        let users = self.draw_legit(&mut rng, &mut taken, &mut events)?;
        // Stable: a user's send stays before their check at the same instant.
        events.sort_by_key(|event| event.at);
        Ok(Traffic { users, events })
    }

    fn draw_attack(
        &self,
        rng: &mut ChaCha8Rng,
        taken: &mut HashSet<String>,
        events: &mut Vec<Event>,
    ) -> anyhow::Result<()> {
        let targets = self
            .attacked
            .iter()
            .map(|code| {
                super::country(code).with_context(|| format!("{code} is not a scenario country"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        if targets.is_empty() {
            return Ok(());
        }
        let mut send = 0u64;
        // The spread numbers come from a draw of their own, so that the rest of the traffic
        // (the bursts' times, the legitimate users) is the same whatever the pattern.
        let mut spread = ChaCha8Rng::seed_from_u64(self.seed.wrapping_add(1));
        for burst in 0..self.bursts {
            let target = targets[burst as usize % targets.len()];
            let start = uniform(rng, self.duration);
            // A block of consecutive numbers under one of the country's mobile prefixes,
            // walked from its first number: +63 917 123 0000, 0001, ...
            let prefix = rng.random_range(0..target.prefix_count());
            let block = rng.random_range(0..target.blocks());
            for index in 0..u64::from(self.burst_sends) {
                let e164 = match self.pattern {
                    AttackPattern::Consecutive => target.consecutive(prefix, block, index),
                    AttackPattern::Spread | AttackPattern::SpreadInPrefix => loop {
                        let drawn = if self.pattern == AttackPattern::Spread {
                            target.draw(&mut spread)
                        } else {
                            target.draw_under(prefix, &mut spread)
                        };
                        if !taken.contains(&drawn) {
                            break drawn;
                        }
                    },
                };
                taken.insert(e164.clone());
                events.push(Event {
                    at: start + self.burst_spacing * u32::try_from(index)?,
                    action: Action::Send {
                        sender: Sender::Attack,
                        phone: parse(&e164)?,
                        trust_validation: TrustValidationId::parse(&format!("bot-{send}"))?,
                    },
                });
                send += 1;
            }
        }
        Ok(())
    }

    fn draw_legit(
        &self,
        rng: &mut ChaCha8Rng,
        taken: &mut HashSet<String>,
        events: &mut Vec<Event>,
    ) -> anyhow::Result<Vec<LegitUser>> {
        let total_share: u32 = COUNTRIES.iter().map(|c| c.share_percent).sum();
        let mut users = Vec::new();
        for user in 0..self.legit_users as usize {
            let country = pick(rng, total_share);
            let e164 = loop {
                let e164 = country.draw(rng);
                if taken.insert(e164.clone()) {
                    break e164;
                }
            };
            let phone = parse(&e164)?;
            let trust_validation = TrustValidationId::parse(&format!("user-{user}"))?;
            let mut at = uniform(rng, self.duration);
            let send = |at| Event {
                at,
                action: Action::Send {
                    sender: Sender::Legit(user),
                    phone: phone.clone(),
                    trust_validation: trust_validation.clone(),
                },
            };
            events.push(send(at));
            // A second code, asked for after the 30 s cooldown: the first is slow to come.
            if rng.random_range(0..100) < self.resend_percent {
                at += Duration::from_secs(rng.random_range(35..=120));
                events.push(send(at));
            }
            // The code is read from the phone and typed in some seconds after it arrived.
            if rng.random_range(0..100) < self.conversion_percent {
                at += Duration::from_secs(rng.random_range(10..=90));
                events.push(Event {
                    at,
                    action: Action::Check { user },
                });
            }
            users.push(LegitUser {
                phone,
                trust_validation,
            });
        }
        Ok(users)
    }
}

/// A time drawn uniformly within `duration`, to the millisecond.
fn uniform(rng: &mut ChaCha8Rng, duration: Duration) -> Duration {
    let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rng.random_range(0..millis.max(1)))
}

/// A country drawn by its share of the legitimate sign-ups.
fn pick(rng: &mut ChaCha8Rng, total_share: u32) -> &'static Country {
    let mut ticket = rng.random_range(0..total_share);
    for country in &COUNTRIES {
        if ticket < country.share_percent {
            return country;
        }
        ticket -= country.share_percent;
    }
    &COUNTRIES[COUNTRIES.len() - 1]
}

fn parse(e164: &str) -> anyhow::Result<PhoneNumber> {
    // The error never echoes the number; neither does this message.
    PhoneNumber::parse(e164).context("a drawn number is not valid on the numbering plan")
}
