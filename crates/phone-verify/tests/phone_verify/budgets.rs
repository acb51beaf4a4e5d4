//! Country budgets through the builder, over the simulator and a SQLite file: a country's
//! sends are capped whatever the numbers and sign-ups, others keep theirs, and the refusal
//! says when to try again without reaching the provider.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use phone_verify::policy::{CountryBudget, CountryBudgets, SendLimits, SendPolicy, SendRefusal};
use phone_verify::testing::ManualClock;
use phone_verify::{
    NextStep, PhoneNumber, PhoneVerification, SendCodeError, SendCodeRequest, TrustValidationId,
};

use crate::support::simulator;

fn request(number: &str, trust_validation: &str) -> SendCodeRequest {
    SendCodeRequest::new(
        PhoneNumber::parse(number).expect("a valid number"),
        TrustValidationId::parse(trust_validation).expect("a valid id"),
    )
}

#[tokio::test]
async fn a_country_that_spent_its_budget_is_refused_until_its_oldest_send_ages_out() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let hour = Duration::from_secs(3600);
    let start = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
    let clock = ManualClock::new(start);
    let budgets = CountryBudgets::default()
        .otherwise(CountryBudget {
            max_sends: 100,
            window: hour,
        })
        .country(
            "+60",
            CountryBudget {
                max_sends: 2,
                window: hour,
            },
        )
        .expect("a calling code");
    let verification = PhoneVerification::builder()
        .simulator(&sim)
        .sqlite(dir.path().join("records.db"))
        .clock(clock.clone())
        .send_policy(SendPolicy {
            limits: SendLimits {
                country_budgets: budgets,
                ..SendLimits::default()
            },
            ..SendPolicy::default()
        })
        .build()
        .await
        .expect("builds");

    // A bot's pattern: a fresh number and a fresh sign-up for every send.
    for n in 1..=2 {
        verification
            .send_code(&request(&format!("+6018225849{n}"), &format!("bot-{n}")))
            .await
            .expect("within the budget");
        clock.advance(Duration::from_secs(60));
    }
    let refused = verification
        .send_code(&request("+60182258493", "bot-3"))
        .await
        .expect_err("the budget is spent");
    let SendCodeError::Refused(SendRefusal::CountryBudgetSpent {
        ref calling_code,
        limit,
        retry_at,
        ..
    }) = refused
    else {
        panic!("{refused:?}");
    };
    assert_eq!((calling_code.as_str(), limit), ("+60", 2));
    assert_eq!(
        retry_at,
        start + hour,
        "when the first send leaves the window"
    );
    assert_eq!(
        verification.next_step(&refused),
        NextStep::Wait {
            wait: hour - Duration::from_secs(120)
        }
    );
    assert!(
        !format!("{refused} {refused:?}").contains("8493"),
        "{refused:?}"
    );
    assert_eq!(
        sim.counters().idmeta_send_requests,
        2,
        "the provider never saw it"
    );

    // Another country keeps its own budget.
    verification
        .send_code(&request("+447911123456", "uk-1"))
        .await
        .expect("the default budget");

    // The first +60 send leaves the window: one more passes.
    clock.set(start + hour + Duration::from_secs(1));
    verification
        .send_code(&request("+60182258494", "bot-4"))
        .await
        .expect("the budget has room again");
    verification.records().close().await;
}
