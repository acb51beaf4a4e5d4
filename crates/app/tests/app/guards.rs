//! The pure guards: the number checks and `SendLimits::evaluate`.

use std::collections::BTreeSet;
use std::time::Duration;

use phone_verify_app::{NumberPrefix, SendLimits, SendPolicy, SendRefusal};
use phone_verify_domain::{PhoneNumber, RegionCode};

use crate::support::{phone, secs, t0};

#[test]
fn the_default_policy_lets_an_ordinary_mobile_number_through() {
    assert_eq!(SendPolicy::default().check_number(&phone()), Ok(()));
}

#[test]
fn an_allow_list_refuses_numbers_that_belong_to_no_country() {
    let policy = SendPolicy {
        allowed_regions: Some(BTreeSet::from([RegionCode::parse("MY").expect("region")])),
        ..SendPolicy::default()
    };
    assert_eq!(policy.check_number(&phone()), Ok(()));
    // +800: international freephone, no region.
    let global = PhoneNumber::parse("+800 1234 5678").expect("a valid number");
    assert_eq!(global.region(), None);
    assert_eq!(
        policy.check_number(&global),
        Err(SendRefusal::CountryNotAllowed)
    );
}

#[test]
fn a_number_prefix_is_a_plus_and_digits() {
    for good in ["+1", "+882", "+447000"] {
        assert!(NumberPrefix::parse(good).is_ok(), "{good}");
    }
    for bad in ["", "+", "882", "+88 2", "+12345678901234567", "+８８２"] {
        assert!(NumberPrefix::parse(bad).is_err(), "{bad:?}");
    }
    let prefix = NumberPrefix::parse("+6018").expect("prefix");
    assert!(prefix.matches(&phone()));
    assert!(
        !NumberPrefix::parse("+6019")
            .expect("prefix")
            .matches(&phone())
    );
}

#[test]
fn the_first_send_passes_every_limit() {
    assert_eq!(SendLimits::default().evaluate([], 0, t0()), Ok(()));
}

#[test]
fn when_several_limits_refuse_the_latest_retry_time_is_reported() {
    let limits = SendLimits {
        max_per_number: 2,
        ..SendLimits::default()
    };
    // Two sends, the last 10 s ago: both the cap (until the first leaves the hour) and the
    // cooldown (20 s more) refuse; the cap's time is the one at which a send will pass.
    let sends = [t0(), t0() + secs(50)];
    assert_eq!(
        limits.evaluate(sends, 0, t0() + secs(60)),
        Err(SendRefusal::NumberLimitReached {
            limit: 2,
            window: limits.window,
            retry_at: t0() + secs(3600),
        })
    );
}

#[test]
fn a_cooldown_longer_than_the_window_still_applies() {
    let limits = SendLimits {
        cooldown: secs(7200),
        ..SendLimits::default()
    };
    assert_eq!(
        limits.evaluate([t0()], 0, t0() + secs(3700)),
        Err(SendRefusal::CoolingDown {
            retry_at: t0() + secs(7200)
        })
    );
}

#[test]
fn absurd_durations_mean_forever_rather_than_a_panic() {
    let limits = SendLimits {
        cooldown: Duration::MAX,
        window: Duration::MAX,
        ..SendLimits::default()
    };
    let refusal = limits
        .evaluate([t0()], 0, t0() + secs(1))
        .expect_err("refused");
    assert!(refusal.retry_at().is_some_and(|at| at > t0()));
}
