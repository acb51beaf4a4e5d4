//! The most verbose logs of full sends and checks, successful and failing, through the
//! library set up as `docs/security.md` prescribes (a `tracing` subscriber at `trace` with the
//! `log` bridge, and `PHONE_LOGGING_TARGETS` off), hold no token, no full number and no
//! code. And without that filter they do: the test can fail, and the filter is needed.

use phone_verify_reliability::fixture::TOKEN;

use crate::support::run_to_end;

const LEAK_PROBE: &str = env!("CARGO_BIN_EXE_leak_probe");

/// The probe's logs (stderr) and the secrets it used (stdout, one per line).
async fn probe(mode: &'static str) -> (String, Vec<String>) {
    let output = run_to_end(LEAK_PROBE, vec![mode.to_owned()]).await;
    let logs = String::from_utf8_lossy(&output.stderr).into_owned();
    let secrets = String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect();
    (logs, secrets)
}

#[tokio::test(flavor = "multi_thread")]
async fn trace_logs_with_the_log_bridge_and_the_documented_filter_hold_no_secret() {
    let (logs, secrets) = probe("documented").await;

    assert!(secrets.iter().any(|secret| secret == TOKEN), "{secrets:?}");
    assert!(
        secrets.len() > 20,
        "numbers and codes to look for: {secrets:?}"
    );
    for traced in ["send_code", "check_code", "+60*****6512", "outcome_unknown"] {
        assert!(logs.contains(traced), "{traced:?} is traced:\n{logs}");
    }
    let leaked: Vec<&String> = secrets
        .iter()
        .filter(|secret| logs.contains(secret.as_str()))
        .collect();
    assert!(leaked.is_empty(), "leaked {leaked:?}:\n{logs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_documented_filter_the_numbering_plan_library_logs_numbers_in_clear() {
    let (logs, secrets) = probe("unfiltered").await;

    let leaking_lines: Vec<&str> = logs
        .lines()
        .filter(|line| secrets.iter().any(|secret| line.contains(secret.as_str())))
        .collect();
    assert!(
        !leaking_lines.is_empty(),
        "the bridge carries rlibphonenumber's logs:\n{logs}"
    );
    assert!(
        leaking_lines
            .iter()
            .all(|line| line.contains("rlibphonenumber")),
        "only the filtered targets leak: {leaking_lines:#?}"
    );
}
