//! Country budgets through the builder, over the simulator and a SQLite file: a country's
//! sends are capped whatever the numbers and sign-ups, others keep theirs, and the refusal
//! says when to try again without reaching the provider.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use phone_verify::numbers::NumberKeyring;
use phone_verify::policy::{
    ClientLimits, CountryBudget, CountryBudgets, SendLimits, SendPolicy, SendRefusal,
};
use phone_verify::request::ClientKey;
use phone_verify::testing::ManualClock;
use phone_verify::{
    BuildError, NextStep, PhoneNumber, PhoneVerification, SendCodeError, SendCodeRequest,
    TrustValidationId,
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

#[tokio::test]
async fn a_client_that_asks_again_for_another_number_is_told_to_wait_and_needs_number_keys() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let policy = || SendPolicy {
        limits: SendLimits {
            clients: Some(ClientLimits {
                cooldown: Duration::from_secs(60),
                max_sends: 5,
                window: Duration::from_secs(3600),
            }),
            ..SendLimits::default()
        },
        ..SendPolicy::default()
    };
    // A client is kept only as its keyed digest: without number keys, no guard of clients.
    let refused = PhoneVerification::builder()
        .simulator(&sim)
        .send_policy(policy())
        .build()
        .await
        .expect_err("needs number keys");
    assert!(
        matches!(refused, BuildError::ClientsWithoutNumberKeys),
        "{refused:?}"
    );

    let keyring = NumberKeyring::parse(&format!("k1:{}", "6d".repeat(32))).expect("keys");
    let verification = PhoneVerification::builder()
        .simulator(&sim)
        .sqlite(dir.path().join("records.db"))
        .protect_numbers(keyring)
        .send_policy(policy())
        .build()
        .await
        .expect("builds");
    let bot = ClientKey::parse("203.0.113.7").expect("a client key");
    verification
        .send_code(&request("+60182258491", "bot-1").with_client(bot.clone()))
        .await
        .expect("the client's first send");
    let again = verification
        .send_code(&request("+60182258492", "bot-2").with_client(bot))
        .await
        .expect_err("the same client, another number, at once");
    assert!(
        matches!(
            again,
            SendCodeError::Refused(SendRefusal::ClientCoolingDown { .. })
        ),
        "{again:?}"
    );
    // The system clock: the wait is the cooldown less the time since the first send.
    let NextStep::Wait { wait } = verification.next_step(&again) else {
        panic!("{again:?}");
    };
    assert!(
        wait > Duration::from_secs(30) && wait <= Duration::from_secs(60),
        "{wait:?}"
    );
    let other = ClientKey::parse("198.51.100.1").expect("a client key");
    verification
        .send_code(&request("+60182258492", "user-2").with_client(other))
        .await
        .expect("another client");
    assert_eq!(sim.counters().idmeta_send_requests, 2);
    // Nothing of the client key reaches the records in clear.
    drop(verification);
    let bytes = std::fs::read(dir.path().join("records.db")).expect("the file");
    let wal = std::fs::read(dir.path().join("records.db-wal")).unwrap_or_default();
    for file in [&bytes, &wal] {
        let text = String::from_utf8_lossy(file);
        assert!(!text.contains("203.0.113.7"), "the client key in clear");
    }
}
