//! `purge` and `reconcile` on a SQLite file whose records were written long ago (through
//! the store itself, with old timestamps: the binary runs on the real clock).

use std::time::Duration;

use chrono::{DateTime, Utc};
use phone_verify_app::{
    AttemptId, CheckOutcome, CheckPolicy, CheckReservation, NewCheck, NewSend, Reservation,
    SendLimits, SendOutcome, VerificationStore,
};
use phone_verify_domain::{
    CheckVerdict, PhoneNumber, ReferenceId, TrustValidationId, VerificationStatus,
};
use phone_verify_sql_store::{SqlVerificationStore, SqliteOptions};

use crate::support::{NUMBER, Workspace, binary, fails_with, run};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

fn days_ago(days: u32) -> DateTime<Utc> {
    Utc::now() - DAY * days
}

fn validation(name: &str) -> TrustValidationId {
    TrustValidationId::parse(name).expect("a valid id")
}

/// Records a send to `NUMBER` for `tv` at `at` (finished a second later as sent, unless
/// `in_flight`), and, when finished, a wrong-code check of it.
async fn seed(
    store: &SqlVerificationStore,
    id: u128,
    tv: &str,
    at: DateTime<Utc>,
    in_flight: bool,
) {
    let send = AttemptId::from_u128(id);
    let phone = PhoneNumber::parse(NUMBER).expect("a number");
    let new_send = NewSend {
        id: send,
        number: store.numbers().at_rest(&phone),
        lookup: store.numbers().lookup(&phone),
        trust_validation: validation(tv),
        provider: phone_verify_domain::ProviderName::idmeta(),
        channel: phone_verify::request::Channel::Sms,
        range: None,
        prefix: None,
        client: None,
        started_at: at,
    };
    let reserved = store
        .reserve_send(new_send, &SendLimits::default())
        .await
        .expect("reserves");
    assert_eq!(reserved, Reservation::Reserved);
    if in_flight {
        return;
    }
    let reference = ReferenceId::parse("0123456789ABCDEF0123456789ABCDEF").expect("a ref");
    let sent = SendOutcome::Sent {
        reference,
        submitted_at: None,
    };
    let done = at + Duration::from_secs(1);
    store.finish_send(send, sent, done).await.expect("finishes");
    let check = AttemptId::from_u128(id + 1);
    let new_check = NewCheck {
        id: check,
        trust_validation: validation(tv),
        started_at: done,
    };
    let reserved = store
        .reserve_check(new_check, &CheckPolicy::default())
        .await
        .expect("reserves");
    assert!(
        matches!(reserved, CheckReservation::Reserved(_)),
        "{reserved:?}"
    );
    let wrong = CheckOutcome::Answered {
        verdict: CheckVerdict::WrongCode,
        status: VerificationStatus::Pending,
        reference: None,
    };
    store
        .finish_check(check, wrong, done)
        .await
        .expect("finishes");
}

async fn store(ws: &Workspace) -> SqlVerificationStore {
    SqlVerificationStore::open_sqlite(ws.db(), SqliteOptions::default())
        .await
        .expect("the store opens")
}

fn command(ws: &Workspace, args: &[&str]) -> std::process::Command {
    let mut command = binary();
    command
        .args(args)
        .args(["--database-url", &ws.database_url()]);
    command
}

fn history(ws: &Workspace, tv: &str) -> std::process::Command {
    command(ws, &["history", "--trust-validation", tv, "--json"])
}

async fn attempts(ws: &Workspace, tv: &str) -> Vec<serde_json::Value> {
    let listed = run(&mut history(ws, tv)).await;
    assert_eq!(listed.code, 0, "{}", listed.all());
    listed.json()["attempts"]
        .as_array()
        .expect("a list")
        .clone()
}

/// `purge --older-than 90d --json` with `extra`: whether a dry run, sends and checks.
async fn purge_json(ws: &Workspace, extra: &[&str]) -> (bool, u64, u64) {
    let mut purge = command(ws, &["purge", "--older-than", "90d", "--json"]);
    let done = run(purge.args(extra)).await;
    assert_eq!(done.code, 0, "{}", done.all());
    let report = done.json();
    let number = |key: &str| report[key].as_u64().unwrap_or_else(|| panic!("{report}"));
    let dry_run = report["dry_run"]
        .as_bool()
        .unwrap_or_else(|| panic!("{report}"));
    (dry_run, number("sends"), number("checks"))
}

#[tokio::test]
async fn purge_counts_what_would_go_and_deletes_it_only_when_told() {
    let ws = Workspace::new();
    let seeded = store(&ws).await;
    seed(&seeded, 10, "tv-old", days_ago(100), false).await;
    seed(&seeded, 20, "tv-recent", days_ago(10), false).await;
    seeded.close().await;

    assert_eq!(purge_json(&ws, &[]).await, (true, 1, 1));
    assert_eq!(
        attempts(&ws, "tv-old").await.len(),
        2,
        "a dry run deletes nothing"
    );
    let text = run(&mut command(&ws, &["purge", "--older-than", "90d"])).await;
    assert!(
        text.stdout.contains("dry run: nothing deleted"),
        "{}",
        text.all()
    );
    assert!(text.stdout.contains("--delete"), "{}", text.all());

    assert_eq!(purge_json(&ws, &["--delete"]).await, (false, 1, 1));
    assert!(attempts(&ws, "tv-old").await.is_empty());
    assert_eq!(attempts(&ws, "tv-recent").await.len(), 2);
}

#[tokio::test]
async fn purge_refuses_an_age_the_guards_still_need_and_a_malformed_one() {
    let ws = Workspace::new();
    store(&ws).await.close().await;
    fails_with(
        &mut command(&ws, &["purge", "--older-than", "10m", "--delete"]),
        2,
        "still needed by the guards",
    )
    .await;
    fails_with(
        &mut command(&ws, &["purge", "--older-than", "90 days"]),
        2,
        "expected a whole number and s, m, h or d",
    )
    .await;
}

#[tokio::test]
async fn reconcile_closes_a_send_left_in_flight_as_abandoned() {
    let ws = Workspace::new();
    let seeded = store(&ws).await;
    seed(&seeded, 10, "tv-crashed", days_ago(1), true).await;
    seeded.close().await;

    let done = run(&mut command(&ws, &["reconcile", "--json"])).await;
    assert_eq!(done.code, 0, "{}", done.all());
    assert_eq!(done.json()["sends"], 1, "{}", done.stdout);
    let listed = attempts(&ws, "tv-crashed").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0]["outcome"], "outcome unknown (abandoned)",
        "{listed:?}"
    );
    assert_eq!(listed[0]["in_flight"], false);

    let again = run(&mut command(&ws, &["reconcile", "--json"])).await;
    assert_eq!(again.json()["sends"], 0, "{}", again.stdout);
}
