use std::time::Duration;

use idmeta_sim::{Fault, FaultScope};

use crate::support::{NUMBER, TOKEN, Workspace, binary, fails_with, run, send, simulator};

#[tokio::test]
async fn malformed_arguments_exit_with_two() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let url = sim.base_url();
    fails_with(
        &mut send(&url, &ws.db(), "+60 18-225 84911", "tv"),
        2,
        "--phone",
    )
    .await;
    fails_with(
        &mut send(&url, &ws.db(), "018-225 8491", "tv"),
        2,
        "--region",
    )
    .await;
    fails_with(
        &mut send(&url, &ws.db(), NUMBER, "has space"),
        2,
        "--trust-validation",
    )
    .await;
    fails_with(
        &mut crate::support::check(&url, &ws.db(), "tv", "12ab"),
        2,
        "--code",
    )
    .await;
    fails_with(binary().args(["send", "--bogus"]), 2, "--bogus").await;
    sim.shutdown().await;
}

#[tokio::test]
async fn configuration_errors_exit_with_three() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let url = sim.base_url();
    fails_with(
        send(&url, &ws.db(), NUMBER, "tv").env_remove("IDMETA_API_TOKEN"),
        3,
        "IDMETA_API_TOKEN",
    )
    .await;
    let missing = ws.dir.path().join("no-such-token-file");
    fails_with(
        send(&url, &ws.db(), NUMBER, "tv")
            .env_remove("IDMETA_API_TOKEN")
            .arg("--token-file")
            .arg(&missing),
        3,
        "cannot read the token file",
    )
    .await;
    let empty = ws.file("empty-token", b"\n");
    fails_with(
        send(&url, &ws.db(), NUMBER, "tv")
            .env_remove("IDMETA_API_TOKEN")
            .arg("--token-file")
            .arg(&empty),
        3,
        "empty",
    )
    .await;
    // A plain-HTTP URL without --allow-plain-http, and a subdomain holding URL syntax.
    for (location, says) in [
        (["--base-url", url.as_str()], "HTTPS"),
        (["--environment", "evil.com/x"], "subdomain"),
    ] {
        let mut command = crate::support::binary();
        command
            .env("IDMETA_API_TOKEN", TOKEN)
            .arg("send")
            .args(location)
            .args([
                "--phone",
                NUMBER,
                "--trust-flow",
                "1",
                "--trust-validation",
                "tv",
            ])
            .args(["--database-url", &ws.database_url()]);
        fails_with(&mut command, 3, says).await;
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn a_second_send_inside_the_cooldown_is_refused_locally_with_four() {
    let sim = simulator().await;
    let ws = Workspace::new();
    assert_eq!(
        run(&mut send(&sim.base_url(), &ws.db(), NUMBER, "tv-c"))
            .await
            .code,
        0
    );
    fails_with(
        &mut send(&sim.base_url(), &ws.db(), NUMBER, "tv-c"),
        4,
        "try again after",
    )
    .await;
    assert_eq!(
        sim.counters().send_requests,
        1,
        "the provider was not asked twice"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_token_exits_with_five() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let token_file = ws.file("token", b"not-the-right-token\n");
    let mut command = send(&sim.base_url(), &ws.db(), NUMBER, "tv-t");
    command
        .env_remove("IDMETA_API_TOKEN")
        .arg("--token-file")
        .arg(&token_file);
    let line = fails_with(&mut command, 5, "token").await;
    assert!(!line.contains("not-the-right-token"), "{line}");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_provider_exits_with_six() {
    let ws = Workspace::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    fails_with(
        &mut send(
            &format!("http://127.0.0.1:{port}"),
            &ws.db(),
            NUMBER,
            "tv-d",
        ),
        6,
        "safe to try again",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_outcome_exits_with_seven_and_says_what_to_do() {
    let sim = simulator().await;
    let ws = Workspace::new();
    sim.inject(Fault::Delay(Duration::from_secs(5)), FaultScope::Next(1));
    fails_with(
        &mut send(&sim.base_url(), &ws.db(), NUMBER, "tv-u"),
        7,
        "do not send again blindly",
    )
    .await;
    let listed = run(binary().args([
        "history",
        "--json",
        "--trust-validation",
        "tv-u",
        "--database-url",
        &ws.database_url(),
    ]))
    .await;
    assert_eq!(
        listed.json()["attempts"][0]["outcome"],
        "outcome unknown",
        "{}",
        listed.stdout
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_corrupt_database_file_exits_with_eight() {
    let sim = simulator().await;
    let ws = Workspace::new();
    std::fs::write(
        ws.db(),
        b"this is not a SQLite database, just bytes ".repeat(200),
    )
    .expect("write");
    fails_with(
        &mut send(&sim.base_url(), &ws.db(), NUMBER, "tv-x"),
        8,
        "store",
    )
    .await;
    assert_eq!(sim.counters().send_requests, 0, "nothing was sent");
    sim.shutdown().await;
}

#[tokio::test]
async fn json_mode_reports_errors_as_a_document_too() {
    let ws = Workspace::new();
    let run = run(send("http://127.0.0.1:9", &ws.db(), NUMBER, "tv")
        .env_remove("IDMETA_API_TOKEN")
        .arg("--json"))
    .await;
    assert_eq!(run.code, 3);
    let doc = run.json();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["error"]["class"], "config");
    assert_eq!(doc["error"]["exit_code"], 3);
}
