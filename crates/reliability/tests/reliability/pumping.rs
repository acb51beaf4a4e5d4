//! The SMS-pumping scenario (`docs/reliability.md`, promise 6) with no guard against pumping:
//! every attack send is delivered and billed, no legitimate end user is refused, and the
//! runner's counts add up and agree with the simulator's.

use phone_verify::numbers::NumberKind;
use phone_verify::policy::SendPolicy;
use phone_verify_reliability::pumping::{Action, COUNTRIES, PumpingScenario, Sender, country, run};
use rand::SeedableRng as _;

#[test]
fn every_country_draws_valid_mobile_numbers() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    for country in &COUNTRIES {
        for _ in 0..500 {
            let drawn = country.draw(&mut rng);
            let phone = phone_verify::PhoneNumber::parse(&drawn).unwrap_or_else(|error| {
                // The region names the table's row; no form of a number is printed.
                panic!("{}: {error}", country.region)
            });
            assert_eq!(phone.country_calling_code(), country.calling_code);
            assert!(
                matches!(
                    phone.kind(),
                    NumberKind::Mobile | NumberKind::FixedLineOrMobile
                ),
                "{}: {:?}",
                country.region,
                phone.kind()
            );
        }
    }
}

/// The numbers of the scenario's sends by `sender`, in E.164.
fn numbers_of(traffic: &phone_verify_reliability::pumping::Traffic, attack: bool) -> Vec<String> {
    traffic
        .events
        .iter()
        .filter_map(|event| match &event.action {
            Action::Send { sender, phone, .. } if (*sender == Sender::Attack) == attack => {
                Some(phone.e164().to_owned())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn the_traffic_is_drawn_from_its_seed_in_the_documented_shape() {
    let scenario = PumpingScenario::default();
    let traffic = scenario.traffic().expect("the traffic draws");
    assert_eq!(
        traffic,
        scenario.traffic().expect("again"),
        "one seed, one traffic"
    );
    let other = PumpingScenario {
        seed: scenario.seed + 1,
        ..scenario.clone()
    };
    assert_ne!(traffic, other.traffic().expect("another seed"));
    assert!(
        traffic
            .events
            .windows(2)
            .all(|pair| pair[0].at <= pair[1].at),
        "in time order"
    );

    // The attack: bursts to consecutive numbers in the attacked countries only.
    let attack = numbers_of(&traffic, true);
    assert_eq!(
        attack.len() as u64,
        u64::from(scenario.bursts * scenario.burst_sends)
    );
    assert!(
        attack
            .iter()
            .all(|e164| { scenario.attacked.iter().any(|code| e164.starts_with(code)) })
    );
    let attacked: std::collections::HashSet<u64> = attack
        .iter()
        .map(|e164| e164[1..].parse().expect("digits"))
        .collect();
    let follow_another = attacked
        .iter()
        .filter(|n| attacked.contains(&(**n - 1)))
        .count();
    assert!(
        follow_another + scenario.bursts as usize >= attack.len(),
        "each burst walks consecutive numbers: {follow_another} of {}",
        attack.len()
    );

    // The end users: one number each, random, from many countries, none the attack's.
    let legit: std::collections::HashSet<&str> =
        traffic.users.iter().map(|user| user.phone.e164()).collect();
    assert_eq!(legit.len(), traffic.users.len(), "one number per end user");
    assert!(attack.iter().all(|e164| !legit.contains(e164.as_str())));
    let countries: std::collections::HashSet<&str> = traffic
        .users
        .iter()
        .map(|user| user.phone.country_calling_code())
        .collect();
    assert!(countries.len() >= 15, "{} countries", countries.len());
    let checks = traffic
        .events
        .iter()
        .filter(|event| matches!(event.action, Action::Check { .. }))
        .count();
    assert!(
        (700..=800).contains(&checks),
        "{checks} of 1,000 end users check their code"
    );
    assert!(
        numbers_of(&traffic, false).len() > traffic.users.len(),
        "a few resends"
    );
}

#[tokio::test]
async fn without_pumping_guards_every_attack_send_is_delivered_and_billed_and_no_end_user_is_refused()
 {
    let scenario = PumpingScenario::default();
    let traffic = scenario.traffic().expect("the traffic draws");
    let report = run(&scenario, SendPolicy::without_pumping_guards())
        .await
        .expect("the scenario runs");

    // What the traffic asked for was all attempted.
    assert_eq!(
        report.attack.attempted,
        numbers_of(&traffic, true).len() as u64
    );
    assert_eq!(
        report.legit.attempted,
        numbers_of(&traffic, false).len() as u64
    );
    assert_eq!(report.legit_users, traffic.users.len() as u64);

    // No guard against pumping: the whole attack got through, and it was billed.
    assert_eq!(report.attack.delivered, report.attack.attempted);
    assert_eq!(
        report.attack.refused_total(),
        0,
        "{:?}",
        report.attack.refused
    );
    assert!(
        report.attack.bill_micros > report.legit.bill_micros,
        "{report:?}"
    );

    // End users are refused only by the guards per number, and (as every resend waits out
    // the cooldown) not at all.
    let per_number = [
        "cooling_down",
        "number_limit_reached",
        "trust_validation_limit_reached",
    ];
    assert!(
        report
            .legit
            .refused
            .keys()
            .all(|reason| per_number.contains(reason)),
        "{:?}",
        report.legit.refused
    );
    assert_eq!(
        report.legit.refused_total(),
        0,
        "{:?}",
        report.legit.refused
    );

    // Every code an end user read verified: the conversion is the traffic's.
    assert_eq!(report.checks_without_a_code, 0);
    assert_eq!(report.legit_verified, report.legit_checks);
    assert!(
        (70.0..=80.0).contains(&report.conversion_percent()),
        "{:.1} %",
        report.conversion_percent()
    );

    // The counts add up, and agree with what the simulator saw and delivered.
    for tally in [&report.legit, &report.attack] {
        assert_eq!(tally.failed, 0);
        assert_eq!(
            tally.attempted,
            tally.delivered + tally.refused_total() + tally.failed
        );
        assert_eq!(
            tally.delivered_by_country.values().sum::<u64>(),
            tally.delivered
        );
        assert_eq!(
            tally.refused_by_country.values().sum::<u64>(),
            tally.refused_total()
        );
        let bill: u64 = tally
            .delivered_by_country
            .iter()
            .map(|(code, sends)| sends * country(code).expect("a scenario country").price_micros)
            .sum();
        assert_eq!(tally.bill_micros, bill);
    }
    let delivered = report.legit.delivered + report.attack.delivered;
    assert_eq!(report.provider_send_requests, delivered);
    assert_eq!(report.provider_codes_sent, delivered);
}

/// With the defaults (`SendPolicy::default()`: the guard of ranges and the conversion breaker), the
/// issue's targets: at least 95 % of the attack refused, at most 1 % of legitimate sends, and
/// the attack's bill cut accordingly. The counts are exact (seeded traffic, manual clocks):
/// integers are compared, no time is measured.
#[tokio::test]
async fn the_default_guards_refuse_the_attack_and_almost_no_end_user() {
    let scenario = PumpingScenario::default();
    let unguarded = run(&scenario, SendPolicy::without_pumping_guards())
        .await
        .expect("the scenario runs");
    let guarded = run(&scenario, SendPolicy::default())
        .await
        .expect("the scenario runs");
    let attack_refused = guarded.attack.refused_total();
    assert!(
        attack_refused * 100 >= guarded.attack.attempted * 95,
        "attack refused {attack_refused} of {}",
        guarded.attack.attempted
    );
    let legit_refused = guarded.legit.refused_total();
    assert!(
        legit_refused * 100 <= guarded.legit.attempted,
        "legitimate sends refused {legit_refused} of {}: {:?}",
        guarded.legit.attempted,
        guarded.legit.refused
    );
    assert!(
        guarded.bill_micros() * 4 < unguarded.bill_micros(),
        "the bill: {} guarded, {} unguarded",
        guarded.bill_micros(),
        unguarded.bill_micros()
    );
    for reason in guarded.attack.refused.keys() {
        assert!(
            ["number_range_busy", "conversion_too_low"].contains(reason),
            "{reason}"
        );
    }
}

/// A spread attack (`AttackPattern::Spread`) changes the attack's numbers only: the bursts'
/// times and the legitimate traffic are the consecutive scenario's, so the two compare.
#[test]
fn a_spread_attack_changes_only_the_attacks_numbers() {
    let consecutive = PumpingScenario::default();
    let spread = PumpingScenario {
        pattern: phone_verify_reliability::pumping::AttackPattern::Spread,
        ..consecutive.clone()
    };
    let (a, b) = (
        consecutive.traffic().expect("draws"),
        spread.traffic().expect("draws"),
    );
    assert_eq!(
        numbers_of(&a, false),
        numbers_of(&b, false),
        "the same end users"
    );
    let times = |traffic: &phone_verify_reliability::pumping::Traffic| {
        traffic
            .events
            .iter()
            .filter(|event| {
                matches!(&event.action, Action::Send { sender, .. } if *sender == Sender::Attack)
            })
            .map(|event| event.at)
            .collect::<Vec<_>>()
    };
    assert_eq!(times(&a), times(&b), "the same bursts");
    let attacked = numbers_of(&b, true);
    let in_one_block = attacked
        .windows(2)
        .filter(|pair| pair[0][..pair[0].len() - 3] == pair[1][..pair[1].len() - 3])
        .count();
    assert!(
        in_one_block * 10 < attacked.len(),
        "spread numbers rarely share a block of 1000: {in_one_block} of {}",
        attacked.len()
    );
}

/// The breaker per prefix (`prefix_breaker()`) against the breaker per country on an attack
/// spread within one prefix a burst (`docs/reliability.md`): it refuses fewer honest users
/// (those of the attacked prefixes only) and, its prefixes tripping only when a burst comes
/// back to them, less of the attack. Seeded traffic, manual clocks: integers compared.
#[tokio::test]
async fn a_breaker_per_prefix_refuses_fewer_end_users_and_less_of_the_attack() {
    let scenario = PumpingScenario {
        pattern: phone_verify_reliability::pumping::AttackPattern::SpreadInPrefix,
        ..PumpingScenario::default()
    };
    let by_country = run(&scenario, SendPolicy::default())
        .await
        .expect("the scenario runs");
    let by_prefix = run(
        &scenario,
        phone_verify_reliability::pumping::prefix_breaker(),
    )
    .await
    .expect("the scenario runs");
    let legit =
        |report: &phone_verify_reliability::pumping::PumpingReport| report.legit.refused_total();
    let attack =
        |report: &phone_verify_reliability::pumping::PumpingReport| report.attack.refused_total();
    assert!(
        legit(&by_prefix) * 2 < legit(&by_country),
        "honest refused: {} per prefix, {} per country",
        legit(&by_prefix),
        legit(&by_country)
    );
    assert!(
        0 < attack(&by_prefix) && attack(&by_prefix) < attack(&by_country),
        "attack refused: {} per prefix, {} per country",
        attack(&by_prefix),
        attack(&by_country)
    );
}
