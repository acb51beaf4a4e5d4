//! What the binary reads besides its flags is bounded (a code on stdin, the token file), a
//! token file others can read is warned about, and every refused command line, clap's
//! included, gets the documented exit code and, with `--json`, the error document.

use crate::support::{
    CODE, NUMBER, TOKEN, Workspace, assert_no_number, binary, check, fails_with, run,
    run_with_stdin, send, simulator,
};

#[tokio::test]
async fn a_code_on_stdin_is_read_up_to_a_bound() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let url = sim.base_url();
    assert_eq!(
        run(&mut send(&url, &ws.db(), NUMBER, "tv-stdin"))
            .await
            .code,
        0
    );

    let flood = run_with_stdin(
        &mut check(&url, &ws.db(), "tv-stdin", "-"),
        vec![b'1'; 1 << 20],
    )
    .await;
    assert_eq!(flood.code, 3, "{}", flood.all());
    assert!(
        flood.stderr.contains("longer than 64 bytes"),
        "{}",
        flood.stderr
    );
    assert_eq!(
        sim.counters().idmeta_verify_requests,
        0,
        "the provider was not asked"
    );

    let typed = run_with_stdin(
        &mut check(&url, &ws.db(), "tv-stdin", "-"),
        format!(" {CODE}\n").into_bytes(),
    )
    .await;
    assert_eq!(typed.code, 0, "{}", typed.all());
    assert!(typed.stdout.contains("verified"), "{}", typed.stdout);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_token_file_is_read_up_to_a_bound() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let big = ws.file("big-token", &[b'a'; 4097]);
    let mut files = vec![big];
    if cfg!(unix) {
        // Endless: without a bound, the read grows until memory runs out.
        files.push("/dev/zero".into());
    }
    for file in files {
        let mut command = send(&sim.base_url(), &ws.db(), NUMBER, "tv-big");
        command
            .env_remove("IDMETA_API_TOKEN")
            .arg("--idmeta-token-file")
            .arg(&file);
        fails_with(&mut command, 3, "more than 4096 bytes").await;
    }
    let largest = ws.file("largest-token", &[b'a'; 4096]);
    let accepted = run(send(&sim.base_url(), &ws.db(), NUMBER, "tv-big")
        .env_remove("IDMETA_API_TOKEN")
        .arg("--idmeta-token-file")
        .arg(&largest))
    .await;
    assert_eq!(
        accepted.code,
        5,
        "read, sent, and refused by the simulator: {}",
        accepted.all()
    );
    assert_eq!(sim.counters().idmeta_send_requests, 1);
    sim.shutdown().await;
}

#[cfg(unix)]
#[tokio::test]
async fn a_token_file_readable_by_others_is_warned_about_on_one_line() {
    use std::os::unix::fs::PermissionsExt;
    let sim = simulator().await;
    let ws = Workspace::new();
    let token = ws.file("token", format!("{TOKEN}\n").as_bytes());
    for (mode, number, warned) in [(0o644, NUMBER, true), (0o600, "+60123456789", false)] {
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let sent = run(
            send(&sim.base_url(), &ws.db(), number, &format!("tv-{mode:o}"))
                .env_remove("IDMETA_API_TOKEN")
                .arg("--idmeta-token-file")
                .arg(&token),
        )
        .await;
        assert_eq!(sent.code, 0, "{}", sent.all());
        let warnings: Vec<&str> = sent
            .stderr
            .lines()
            .filter(|line| line.contains("warning: the token file"))
            .collect();
        assert_eq!(
            warnings.len(),
            usize::from(warned),
            "mode {mode:o}: {}",
            sent.stderr
        );
        if warned {
            assert!(
                warnings[0].contains("readable by group or others"),
                "{}",
                warnings[0]
            );
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_command_line_in_json_mode_is_an_error_document_too() {
    let ws = Workspace::new();
    let db = ws.database_url();
    let cases: [&[&str]; 4] = [
        &["send", "--json"],
        &[
            "--json",
            "history",
            "--trust-validation",
            "tv",
            "--limit",
            "abc",
        ],
        &[
            "history",
            "--json",
            "--trust-validation",
            "tv",
            "--database-url",
            &db,
            "--bogus",
        ],
        &["--json"],
    ];
    for args in cases {
        let refused = run(binary().args(args)).await;
        assert_eq!(refused.code, 2, "{args:?}: {}", refused.all());
        let doc = refused.json();
        assert_eq!(doc["ok"], false, "{args:?}");
        assert_eq!(doc["error"]["class"], "usage", "{args:?}");
        assert_eq!(doc["error"]["exit_code"], 2, "{args:?}");
        let message = doc["error"]["message"].as_str().expect("a message");
        assert!(
            !message.is_empty() && !message.starts_with("error:"),
            "{message}"
        );
        assert!(
            refused.stderr.contains("error: "),
            "clap's text too: {}",
            refused.stderr
        );
    }
    let missing = run(binary().args(["send", "--json", "--phone", NUMBER])).await;
    let message = missing.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("--trust-validation"),
        "names what is missing: {message}"
    );

    let text = run(binary().args(["history", "--limit", "abc"])).await;
    assert_eq!(text.code, 2);
    assert_eq!(text.stdout, "", "no document without --json");

    for help in [
        &["--help", "--json"][..],
        &["history", "--json", "--help"],
        &["--version"],
    ] {
        let shown = run(binary().args(help)).await;
        assert_eq!(shown.code, 0, "{help:?}: {}", shown.all());
        assert!(shown.stdout.contains("phone-verify"), "{}", shown.stdout);
    }
}

#[tokio::test]
async fn a_refused_command_line_names_the_argument_but_never_shows_the_values_typed() {
    let ws = Workspace::new();
    let db = ws.database_url();
    let glued = format!("--phone{CODE}");
    // A code and a number typed into the wrong flag, a malformed or out-of-range value, a value
    // given to a flag that takes none, an unknown flag carrying a value, a stray value, an
    // unknown subcommand; and the command line's own checks of a value clap took.
    let cases: [(&[&str], &str); 12] = [
        (
            &["history", "--trust-validation", "tv", "--limit", CODE],
            "--limit",
        ),
        (
            &["history", "--trust-validation", "tv", "--limit", NUMBER],
            "--limit",
        ),
        (&["send", "--provider", NUMBER], "--provider"),
        (&["check", "--timeout-secs", CODE], "--timeout-secs"),
        (&["purge", "--older-than", CODE], "--older-than"),
        (&["send", "--allow-plain-http=482913"], "--allow-plain-http"),
        (&["send", "--code", CODE], "unexpected argument '--code'"),
        (&["check", &glued], "unexpected argument"),
        (&["send", NUMBER], "unexpected argument"),
        (&[CODE], "unrecognized subcommand"),
        (&["sim", "--port", CODE], "--port"),
        (
            &[
                "check",
                "--trust-validation",
                "tv",
                "--code",
                NUMBER,
                "--database-url",
                &db,
            ],
            "--code",
        ),
    ];
    for (args, names) in cases {
        for json in [false, true] {
            let mut command = binary();
            command.args(args);
            if json {
                command.arg("--json");
            }
            let refused = run(&mut command).await;
            let context = format!("{args:?} (json: {json})");
            assert_eq!(refused.code, 2, "{context}: {}", refused.all());
            assert_no_number(&refused.all(), &context);
            assert!(
                !refused.all().contains(CODE),
                "{context}: {}",
                refused.all()
            );
            let said = if json {
                refused.json()["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            } else {
                refused.stderr.clone()
            };
            assert!(said.contains(names), "{context} names {names}: {said}");
        }
    }
}

#[tokio::test]
async fn out_of_range_numbers_are_refused_with_their_range() {
    let ws = Workspace::new();
    for (args, says) in [
        (
            vec!["history", "--trust-validation", "tv", "--limit", "0"],
            "--limit: expected a whole number from 1 to 100",
        ),
        (
            vec!["history", "--trust-validation", "tv", "--limit", "101"],
            "--limit: expected a whole number from 1 to 100",
        ),
        (
            vec!["send", "--timeout-secs", "0"],
            "--timeout-secs: expected a whole number from 1 to 120",
        ),
        (
            vec!["check", "--timeout-secs", "121"],
            "--timeout-secs: expected a whole number from 1 to 120",
        ),
        (
            vec!["send", "--total-timeout-secs", "121"],
            "--total-timeout-secs: expected a whole number from 1 to 120",
        ),
    ] {
        let mut command = binary();
        command
            .args(&args)
            .args(["--database-url", &ws.database_url()]);
        fails_with(&mut command, 2, says).await;
    }
}

#[tokio::test]
async fn a_malformed_database_url_is_a_configuration_error_and_opens_nothing() {
    let ws = Workspace::new();
    let bad_sqlite = format!("{}?mode=bogus", ws.database_url());
    for (url, says) in [
        ("records.db", "names no backend"),
        ("mysql://db/app", "names no backend"),
        ("sqlite://", "names no file"),
        (bad_sqlite.as_str(), "not a SQLite URL"),
        ("postgres://app:s3cret@db:port/app", "not a PostgreSQL URL"),
        (
            "postgres://app:s3cret@db/app?sslmode=bogus",
            "sslmode is none of disable, allow, prefer, require, verify-ca, verify-full",
        ),
    ] {
        let refused = run(binary().args([
            "history",
            "--json",
            "--trust-validation",
            "tv",
            "--database-url",
            url,
        ]))
        .await;
        assert_eq!(refused.code, 3, "{url}: {}", refused.all());
        assert_eq!(refused.json()["error"]["class"], "config");
        assert!(
            refused.stderr.contains("--database-url: "),
            "{}",
            refused.stderr
        );
        assert!(refused.stderr.contains(says), "{url}: {}", refused.stderr);
        assert!(!refused.all().contains("s3cret"), "{}", refused.all());
    }
    assert!(!ws.db().exists());
}
