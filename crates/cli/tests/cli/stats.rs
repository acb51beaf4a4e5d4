//! `phone-verify stats`: the figures per country an operator reads in the middle of an
//! SMS-pumping attack, from the records the sends and checks of other processes wrote.

use crate::support::{CODE, Workspace, assert_no_number, binary, check, run, send, simulator};

fn stats(ws: &Workspace, extra: &[&str]) -> std::process::Command {
    let mut command = binary();
    command
        .args([
            "stats",
            "--since",
            "1h",
            "--database-url",
            &ws.database_url(),
        ])
        .args(extra);
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_count_sends_verified_codes_and_refusals_by_country_and_reason() {
    let sim = simulator().await;
    let ws = Workspace::new();
    // A bot walks one block of a thousand numbers: the default guard of ranges lets three
    // numbers of it through within the hour and refuses the fourth (exit 4).
    for n in 0..4 {
        let number = format!("+6012345670{n}");
        let sent = run(&mut send(
            &sim.base_url(),
            &ws.db(),
            &number,
            &format!("tv-bot-{n}"),
        ))
        .await;
        assert_eq!(sent.code, if n < 3 { 0 } else { 4 }, "{}", sent.all());
    }
    // An end user in the UK verifies the code.
    let uk = run(&mut send(
        &sim.base_url(),
        &ws.db(),
        "+447911123456",
        "tv-uk",
    ))
    .await;
    assert_eq!(uk.code, 0, "{}", uk.all());
    let checked = run(&mut check(&sim.base_url(), &ws.db(), "tv-uk", CODE)).await;
    assert_eq!(checked.code, 0, "{}", checked.all());

    let json = run(&mut stats(&ws, &["--json"])).await;
    assert_eq!(json.code, 0, "{}", json.all());
    let document = json.json();
    assert_eq!(
        document["countries"],
        serde_json::json!([
            {"calling_code": "+44", "sent": 1, "verified": 1, "conversion_percent": 100.0, "refused": {}},
            {"calling_code": "+60", "sent": 3, "verified": 0, "conversion_percent": 0.0,
             "refused": {"number_range_busy": 1}},
        ]),
        "{document}"
    );

    let table = run(&mut stats(&ws, &[])).await;
    assert_eq!(table.code, 0, "{}", table.all());
    let lines: Vec<Vec<&str>> = table
        .stdout
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert!(
        lines.contains(&vec![
            "+60",
            "3",
            "0",
            "0.0",
            "%",
            "1",
            "number_range_busy",
            "1"
        ]),
        "{}",
        table.stdout
    );
    assert!(
        lines.contains(&vec![
            "total",
            "4",
            "1",
            "25.0",
            "%",
            "1",
            "number_range_busy",
            "1"
        ]),
        "{}",
        table.stdout
    );
    assert_no_number(&table.all(), "stats");
}

#[tokio::test]
async fn stats_of_a_missing_store_create_nothing() {
    let ws = Workspace::new();
    let refused = run(&mut stats(&ws, &[])).await;
    assert_ne!(refused.code, 0, "{}", refused.all());
    assert!(!ws.db().exists(), "a read creates no store");
}
