use std::process::Command;
use std::time::Duration;

use phone_verify_sim::{Fault, FaultScope};

use crate::support::{
    CODE, NUMBER, TOKEN, Workspace, binary, check, fails_with, run, send, simulator, with_twilio,
};

/// The outcome `history` shows for the latest attempt of a trust validation.
async fn latest_outcome(ws: &Workspace, trust_validation: &str) -> String {
    let listed = run(binary().args([
        "history",
        "--json",
        "--trust-validation",
        trust_validation,
        "--database-url",
        &ws.database_url(),
    ]))
    .await;
    let outcome = &listed.json()["attempts"][0]["outcome"];
    outcome
        .as_str()
        .unwrap_or_else(|| panic!("no outcome in {}", listed.stdout))
        .to_owned()
}

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
    fails_with(&mut check(&url, &ws.db(), "tv", "12ab"), 2, "--code").await;
    fails_with(binary().args(["send", "--bogus"]), 2, "--bogus").await;
    // A budget for all the attempts shorter than one of them.
    let mut short_budget = binary();
    short_budget
        .env("IDMETA_API_TOKEN", TOKEN)
        .args([
            "send",
            "--idmeta-base-url",
            &url,
            "--allow-plain-http",
            "--phone",
            NUMBER,
        ])
        .args(["--trust-flow", "1", "--trust-validation", "tv"])
        .args(["--timeout-secs", "10", "--total-timeout-secs", "5"])
        .args(["--database-url", &ws.database_url()]);
    fails_with(
        &mut short_budget,
        2,
        "--total-timeout-secs: expected at least --timeout-secs",
    )
    .await;
    assert_eq!(sim.counters().requests_total, 0, "nothing was sent");
    sim.shutdown().await;
}

/// `command` (`send` or `check`) against the simulator at `url`, with `timeouts` as its only
/// timeouts and both providers configured.
fn with_timeouts(command: &str, url: &str, ws: &Workspace, timeouts: &[&str]) -> Command {
    let mut binary = binary();
    binary
        .env("IDMETA_API_TOKEN", TOKEN)
        .env("IDMETA_TRUST_FLOW", "147")
        .args([command, "--idmeta-base-url", url, "--allow-plain-http"])
        .args(timeouts)
        .args(["--database-url", &ws.database_url()]);
    with_twilio(&mut binary, url);
    binary
}

/// `reconcile` takes an attempt still in flight after `MIN_ABANDONED_AFTER` (7 minutes) for
/// abandoned, and so assumes a send's provider calls take at most `MAX_PROVIDER_TIME` (2
/// minutes) in all: timeouts that allow more are a usage error before anything is sent, each
/// provider's budget (default twice `--timeout-secs`) counted once per provider a send may
/// try. What fits runs.
#[tokio::test]
async fn timeouts_a_live_call_could_outlast_the_reconcile_floor_with_are_refused() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let url = sim.base_url();
    for (timeouts, says) in [
        (
            vec!["--timeout-secs", "61"],
            "--timeout-secs: a send may take up to 122s at its providers, more than 120s",
        ),
        (
            vec!["--total-timeout-secs", "61", "--failover-to", "twilio"],
            "--total-timeout-secs: a send may take up to 122s at its providers, more than 120s",
        ),
    ] {
        let mut sending = with_timeouts("send", &url, &ws, &timeouts);
        sending.args(["--phone", NUMBER, "--trust-validation", "tv-long"]);
        let line = fails_with(&mut sending, 2, says).await;
        assert!(line.contains(says), "{line}");
        let mut checking = with_timeouts("check", &url, &ws, &timeouts);
        checking.args(["--trust-validation", "tv-long", "--code", CODE]);
        fails_with(&mut checking, 2, "at most").await;
    }
    assert_eq!(sim.counters().requests_total, 0, "nothing was sent");

    for (n, timeouts) in [
        vec!["--timeout-secs", "60"],
        vec!["--total-timeout-secs", "120"],
        vec!["--total-timeout-secs", "60", "--failover-to", "twilio"],
    ]
    .into_iter()
    .enumerate()
    {
        // A number each: the cooldown of the one before holds its number back.
        let number = format!("+6018225849{}", n + 5);
        let mut sending = with_timeouts("send", &url, &ws, &timeouts);
        sending.args([
            "--phone",
            &number,
            "--trust-validation",
            &format!("tv-fits-{n}"),
        ]);
        let sent = run(&mut sending).await;
        assert_eq!(sent.code, 0, "{timeouts:?}: {}", sent.all());
    }
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
            .arg("--idmeta-token-file")
            .arg(&missing),
        3,
        "cannot read the token file",
    )
    .await;
    let empty = ws.file("empty-token", b"\n");
    fails_with(
        send(&url, &ws.db(), NUMBER, "tv")
            .env_remove("IDMETA_API_TOKEN")
            .arg("--idmeta-token-file")
            .arg(&empty),
        3,
        "empty",
    )
    .await;
    // A plain-HTTP URL without --allow-plain-http, and a subdomain holding URL syntax.
    for (location, says) in [
        (["--idmeta-base-url", url.as_str()], "HTTPS"),
        (["--idmeta-environment", "evil.com/x"], "subdomain"),
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
        sim.counters().idmeta_send_requests,
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
        .arg("--idmeta-token-file")
        .arg(&token_file);
    let line = fails_with(&mut command, 5, "token").await;
    assert!(!line.contains("not-the-right-token"), "{line}");
    sim.shutdown().await;
}

/// The hint of a refusal by the provider, after checking that `command()` exits with five and
/// that with `--json` the document holds the same hint.
async fn refusal_hint(command: impl Fn() -> Command) -> String {
    let text = run(&mut command()).await;
    assert_eq!(text.code, 5, "{}", text.all());
    let hint = text
        .stderr
        .lines()
        .find_map(|line| line.trim().strip_prefix("hint: "))
        .unwrap_or_else(|| panic!("no hint in:\n{}", text.stderr))
        .to_owned();
    let document = run(command().arg("--json")).await.json();
    assert_eq!(document["error"]["hint"], hint.as_str(), "{document}");
    hint
}

/// Fails unless `hint` names each of `named` and none of `never`.
fn assert_names(hint: &str, named: &[&str], never: &[&str]) {
    for name in named {
        assert!(hint.contains(name), "{name} is not in: {hint}");
    }
    for name in never {
        assert!(!hint.contains(name), "{name} is in: {hint}");
    }
}

#[tokio::test]
async fn idmeta_refusing_its_token_is_hinted_with_where_that_token_came_from() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let url = sim.base_url();
    let hint = refusal_hint(|| {
        let mut command = send(&url, &ws.db(), NUMBER, "tv-env");
        command.env("IDMETA_API_TOKEN", "not-the-right-token");
        command
    })
    .await;
    assert_names(
        &hint,
        &["IDMETA_API_TOKEN", "--idmeta-token-file"],
        &["TWILIO"],
    );

    let token_file = ws.file("token", b"not-the-right-token\n");
    let hint = refusal_hint(|| {
        let mut command = send(&url, &ws.db(), NUMBER, "tv-file");
        command
            .env_remove("IDMETA_API_TOKEN")
            .arg("--idmeta-token-file")
            .arg(&token_file);
        command
    })
    .await;
    assert_names(
        &hint,
        &["--idmeta-token-file"],
        &["TWILIO", "IDMETA_API_TOKEN"],
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn twilio_refusing_its_credentials_is_hinted_with_twilio_settings_never_idmeta_token() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let url = sim.base_url();
    // `command` with Twilio's settings, its secret (an Auth Token, or an API key's) wrong.
    let twilio_refuses = |mut command: Command, api_key: bool| {
        with_twilio(&mut command, &url);
        command.env("TWILIO_AUTH_TOKEN", "not-the-right-auth-token");
        if api_key {
            command
                .env("TWILIO_API_KEY_SID", "SK0123456789abcdef0123456789abcdef")
                .env("TWILIO_API_KEY_SECRET", "not-the-right-key-secret");
        }
        command
    };
    let twilio_send = |tv: &str, provider: [&str; 2]| {
        let mut command = send(&url, &ws.db(), NUMBER, tv);
        command.args(provider);
        command
    };
    let account = [
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "--twilio-secret-file",
    ];
    let hint =
        refusal_hint(|| twilio_refuses(twilio_send("tv-account", ["--provider", "twilio"]), false))
            .await;
    assert_names(&hint, &account, &["IDMETA"]);

    let hint =
        refusal_hint(|| twilio_refuses(twilio_send("tv-key", ["--provider", "twilio"]), true))
            .await;
    assert_names(
        &hint,
        &["TWILIO_API_KEY_SID", "TWILIO_API_KEY_SECRET"],
        &["IDMETA", "TWILIO_AUTH_TOKEN"],
    );

    // IDMeta refuses its token, the send fails over to Twilio, which refuses its own: the
    // failure is Twilio's, and so is the hint.
    let hint = refusal_hint(|| {
        let mut command =
            twilio_refuses(twilio_send("tv-both", ["--failover-to", "twilio"]), false);
        command.env("IDMETA_API_TOKEN", "not-the-right-token");
        command
    })
    .await;
    assert_names(&hint, &account, &["IDMETA"]);

    // A check goes to the provider of its send: Twilio, which refuses.
    let mut sending = twilio_send("tv-check", ["--provider", "twilio"]);
    with_twilio(&mut sending, &url);
    let sent = run(&mut sending).await;
    assert_eq!(sent.code, 0, "{}", sent.all());
    let hint = refusal_hint(|| {
        let mut command = check(&url, &ws.db(), "tv-check", CODE);
        command.args(["--provider", "twilio"]);
        twilio_refuses(command, false)
    })
    .await;
    assert_names(&hint, &account, &["IDMETA"]);
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
async fn a_handshake_that_never_completes_exits_with_six_and_does_not_block_the_number() {
    let ws = Workspace::new();
    // Never accepted: the kernel completes TCP, nobody ever answers the TLS handshake. The
    // request timeout (1 s) fires before the connect timeout (5 s by default).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    fails_with(
        &mut send(
            &format!("https://127.0.0.1:{port}"),
            &ws.db(),
            NUMBER,
            "tv-silent",
        ),
        6,
        "safe to try again",
    )
    .await;
    drop(silent);
    assert_eq!(latest_outcome(&ws, "tv-silent").await, "not sent");
    // Nothing went out, so no cooldown holds the number back.
    let sim = simulator().await;
    let sent = run(&mut send(&sim.base_url(), &ws.db(), NUMBER, "tv-silent")).await;
    assert_eq!(sent.code, 0, "{}", sent.all());
    sim.shutdown().await;
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
    assert_eq!(latest_outcome(&ws, "tv-u").await, "outcome unknown");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_corrupt_database_file_exits_with_eight() {
    let sim = simulator().await;
    let ws = Workspace::new();
    // SQLite's header, then damage: a database, but not one that can be read. (A file that
    // does not even start as SQLite is not a store at all: exit 3, `read_only.rs`.)
    let mut damaged = b"SQLite format 3\0".to_vec();
    damaged.extend(b"this is not a SQLite database, just bytes ".repeat(200));
    std::fs::write(ws.db(), damaged).expect("write");
    fails_with(
        &mut send(&sim.base_url(), &ws.db(), NUMBER, "tv-x"),
        8,
        "the file is not a database or the database is damaged",
    )
    .await;
    assert_eq!(sim.counters().idmeta_send_requests, 0, "nothing was sent");
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

#[tokio::test]
async fn a_check_the_provider_has_no_code_for_exits_with_ten_and_says_to_send_a_new_one() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let elsewhere = Workspace::new();
    assert_eq!(
        run(&mut send(&sim.base_url(), &ws.db(), NUMBER, "tv-n"))
            .await
            .code,
        0
    );
    // Another instance, with a store of its own, sends for the same trust validation: the
    // provider's live code is now that one, and the first send's reference is void there.
    assert_eq!(
        run(&mut send(
            &sim.base_url(),
            &elsewhere.db(),
            "+60 12-345 6789",
            "tv-n"
        ))
        .await
        .code,
        0
    );
    fails_with(
        &mut check(&sim.base_url(), &ws.db(), "tv-n", CODE),
        10,
        "send a new code",
    )
    .await;
    let listed = run(binary().args([
        "history",
        "--json",
        "--trust-validation",
        "tv-n",
        "--database-url",
        &ws.database_url(),
    ]))
    .await;
    assert_eq!(
        listed.json()["attempts"][0]["outcome"],
        "no pending code",
        "{}",
        listed.stdout
    );
    let json = run(check(&sim.base_url(), &ws.db(), "tv-n", CODE).arg("--json")).await;
    assert_eq!(json.code, 10);
    assert_eq!(json.json()["error"]["class"], "no_pending_code");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_database_url_that_requires_tls_of_a_server_without_it_says_so_with_a_hint() {
    // A server without TLS, as PostgreSQL's protocol has it: `N` to the request for TLS.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let port = listener.local_addr().expect("an address").port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0; 8];
            if tokio::io::AsyncReadExt::read_exact(&mut socket, &mut request)
                .await
                .is_ok()
            {
                let _ = tokio::io::AsyncWriteExt::write_all(&mut socket, b"N").await;
            }
        }
    });
    let mut history = binary();
    history
        .args(["history", "--trust-validation", "tv-tls"])
        .args([
            "--database-url",
            &format!("postgres://app:secret@127.0.0.1:{port}/db?sslmode=require"),
        ]);
    let ran = run(&mut history).await;
    assert_eq!(ran.code, 8, "{}", ran.all());
    assert!(
        ran.stderr.contains("the server offers no TLS")
            && ran.stderr.contains("switch TLS on at the server"),
        "{}",
        ran.stderr
    );
    assert!(
        !ran.all().contains("secret"),
        "the URL is never quoted: {}",
        ran.all()
    );
}
