use phone_verify_sim::{Fault, FaultScope};

use crate::support::{CODE, NUMBER, TOKEN, Workspace, binary, check, run, send, simulator};

#[tokio::test]
async fn the_demo_succeeds_and_shows_every_step() {
    let ws = Workspace::new();
    let run = run(binary().args(["demo", "--database"]).arg(ws.db())).await;
    assert_eq!(run.code, 0, "{}", run.all());
    for step in [
        "1. start the simulator",
        "2. open the SQLite store",
        "3. send a code",
        "4. read the handset's inbox",
        "5. check the code",
        "6. the recorded history",
        "verified",
        "+60*****8491",
    ] {
        assert!(
            run.stdout.contains(step),
            "missing {step:?} in:\n{}",
            run.stdout
        );
    }
    assert!(ws.db().exists(), "the SQLite file was written");
    assert!(
        !run.all().contains("182258491"),
        "the full number leaked:\n{}",
        run.all()
    );
}

#[tokio::test]
async fn the_demo_in_json_is_one_parseable_document() {
    let ws = Workspace::new();
    let run = run(binary().args(["demo", "--json", "--database"]).arg(ws.db())).await;
    assert_eq!(run.code, 0, "{}", run.all());
    let doc = run.json();
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["check"]["verdict"], "verified");
    let attempts = doc["history"]["attempts"].as_array().expect("a list");
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0]["kind"], "check");
    assert_eq!(attempts[1]["kind"], "send");
}

#[tokio::test]
async fn send_check_and_history_work_against_a_simulator() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let sent =
        run(send(&sim.base_url(), &ws.db(), "+60 18-225 8491", "tv-cli-1").arg("--json")).await;
    assert_eq!(sent.code, 0, "{}", sent.all());
    let doc = sent.json();
    assert_eq!(doc["result"], "sent");
    assert_eq!(doc["phone"], "+60*****8491");
    assert_eq!(sim.last_code_for(NUMBER).as_deref(), Some(CODE));

    let checked = run(&mut check(&sim.base_url(), &ws.db(), "tv-cli-1", CODE)).await;
    assert_eq!(checked.code, 0, "{}", checked.all());
    assert!(checked.stdout.contains("verified"), "{}", checked.stdout);

    let listed = run(binary().args([
        "history",
        "--json",
        "--trust-validation",
        "tv-cli-1",
        "--database-url",
        &ws.database_url(),
    ]))
    .await;
    assert_eq!(listed.code, 0, "{}", listed.all());
    let attempts = listed.json()["attempts"]
        .as_array()
        .expect("a list")
        .clone();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[1]["outcome"], "sent");

    let by_number = run(binary().args([
        "history",
        "--phone",
        "018-225 8491",
        "--region",
        "MY",
        "--database-url",
        &ws.database_url(),
    ]))
    .await;
    assert_eq!(by_number.code, 0, "{}", by_number.all());
    assert!(by_number.stdout.contains("sent"), "{}", by_number.stdout);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_code_exits_with_one() {
    let sim = simulator().await;
    let ws = Workspace::new();
    assert_eq!(
        run(&mut send(&sim.base_url(), &ws.db(), NUMBER, "tv-wrong"))
            .await
            .code,
        0
    );
    let checked = run(check(&sim.base_url(), &ws.db(), "tv-wrong", "000000").arg("--json")).await;
    assert_eq!(checked.code, 1, "{}", checked.all());
    assert_eq!(checked.json()["verdict"], "wrong_code");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_token_number_and_code_never_appear_even_at_trace_level() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let url = sim.base_url();
    let mut runs = Vec::new();
    // Success paths.
    runs.push(run(send(&url, &ws.db(), NUMBER, "tv-trace").env("RUST_LOG", "trace")).await);
    runs.push(run(check(&url, &ws.db(), "tv-trace", CODE).env("RUST_LOG", "trace")).await);
    // Failure paths: a wrong code, a provider fault, a lost answer.
    let other = "+60123456789";
    runs.push(run(send(&url, &ws.db(), other, "tv-trace-2").env("RUST_LOG", "trace")).await);
    runs.push(run(check(&url, &ws.db(), "tv-trace-2", "999999").env("RUST_LOG", "trace")).await);
    sim.inject(
        Fault::ServerError {
            status: 500,
            html: true,
        },
        FaultScope::Next(1),
    );
    runs.push(
        run(send(&url, &ws.db(), "+60133456789", "tv-trace-3").env("RUST_LOG", "trace")).await,
    );
    sim.inject(Fault::CloseAfterProcessing, FaultScope::Next(1));
    runs.push(
        run(send(&url, &ws.db(), "+60143456789", "tv-trace-4").env("RUST_LOG", "trace")).await,
    );
    let codes: Vec<i32> = runs.iter().map(|r| r.code).collect();
    assert_eq!(codes, [0, 0, 0, 1, 7, 7], "exit codes");
    for output in runs.iter().map(|r| r.all()) {
        assert!(
            output.contains("*****"),
            "a masked number is logged:\n{output}"
        );
        for secret in [
            TOKEN,
            "182258491",
            "123456789",
            "133456789",
            "143456789",
            CODE,
        ] {
            assert!(!output.contains(secret), "{secret:?} leaked:\n{output}");
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn every_command_has_help_with_an_example() {
    for command in ["demo", "send", "check", "history", "sim"] {
        let help = run(binary().args([command, "--help"])).await;
        assert_eq!(help.code, 0, "{command}: {}", help.all());
        assert!(
            help.stdout.contains("Example"),
            "{command}:\n{}",
            help.stdout
        );
    }
    let top = run(binary().arg("--help")).await;
    assert!(top.stdout.contains("Exit codes"), "{}", top.stdout);
}

#[tokio::test]
async fn the_sim_command_logs_one_masked_line_per_request_by_default() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let ws = Workspace::new();
    // No RUST_LOG: `binary()` removes it, so this is the default level.
    let mut server = binary()
        .args([
            "sim",
            "--port",
            "0",
            "--idmeta-token",
            TOKEN,
            "--fixed-code",
            CODE,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the simulator starts");
    let mut first_line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut first_line)
        .expect("a first line");
    let url = first_line
        .trim()
        .strip_prefix("phone-verify-sim listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"))
        .to_owned();
    let sent = run(&mut send(&url, &ws.db(), NUMBER, "tv-sim-log")).await;
    assert_eq!(sent.code, 0, "{}", sent.all());

    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let stopped = tokio::task::spawn_blocking(move || server.wait_with_output())
        .await
        .expect("joins")
        .expect("the simulator exits");
    let log = String::from_utf8_lossy(&stopped.stderr);
    assert!(stopped.status.success(), "{log}");
    let answered: Vec<&str> = log.lines().filter(|l| l.contains("answered")).collect();
    assert_eq!(answered.len(), 1, "one line for the one request:\n{log}");
    assert!(answered[0].contains("INFO"), "{log}");
    assert!(answered[0].contains("+*********91"), "{log}");
    assert!(!log.contains("182258491") && !log.contains(CODE), "{log}");
}

#[tokio::test]
async fn the_former_idmeta_flags_still_work_for_a_release_and_are_hidden_from_help() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let token = ws.file("token", TOKEN.as_bytes());
    let formerly = |command: &str| {
        let mut binary = binary();
        binary
            .args([command, "--base-url", &sim.base_url(), "--allow-plain-http"])
            .arg("--token-file")
            .arg(&token)
            .args(["--database-url", &ws.database_url()]);
        binary
    };
    let send_args = |trust_validation: &'static str| {
        [
            "--phone",
            NUMBER,
            "--trust-flow",
            "147",
            "--trust-validation",
            trust_validation,
        ]
    };
    let sent = run(formerly("send").args(send_args("tv-former"))).await;
    assert_eq!(sent.code, 0, "{}", sent.all());
    // `--trust-flow` is `--idmeta-trust-flow` now, a setting of IDMeta's that a check needs too.
    let checked = run(formerly("check").args([
        "--trust-flow",
        "147",
        "--trust-validation",
        "tv-former",
        "--code",
        CODE,
    ]))
    .await;
    assert_eq!(checked.code, 0, "{}", checked.all());
    let counters = sim.counters();
    assert_eq!(
        (
            counters.idmeta_send_requests,
            counters.idmeta_verify_requests
        ),
        (1, 1)
    );
    // `--environment` is `--idmeta-environment`: refused beside a base URL, by its new name.
    let both = run(formerly("send")
        .args(["--environment", "integrate"])
        .args(send_args("tv-both")))
    .await;
    assert_eq!(both.code, 2, "{}", both.all());
    assert!(
        both.stderr.contains("--idmeta-environment"),
        "{}",
        both.stderr
    );

    for command in ["send", "check"] {
        let help = run(binary().args([command, "--help"])).await;
        for (former, current) in [
            ("--base-url", "--idmeta-base-url"),
            ("--environment", "--idmeta-environment"),
            ("--token-file", "--idmeta-token-file"),
            ("--trust-flow", "--idmeta-trust-flow"),
        ] {
            assert!(help.stdout.contains(current), "{command} {current}");
            assert!(!help.stdout.contains(former), "{command} {former}");
        }
    }
    sim.shutdown().await;
}
