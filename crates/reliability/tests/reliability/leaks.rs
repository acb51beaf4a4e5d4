//! The most verbose logs of full sends and checks, successful and failing, through the
//! library set up as `docs/security.md` prescribes (a `tracing` subscriber with the `log`
//! bridge and `PhoneLogGuard`), hold no token, no full number and no code, whatever the
//! filter: the most verbose level, span and field directives, and every module path of the
//! numbering library. And without the guard they do: the test can fail, and the guard is
//! needed.

use phone_verify_reliability::fixture::TOKEN;

use crate::support::run_to_end;

const LEAK_PROBE: &str = env!("CARGO_BIN_EXE_leak_probe");

/// Filters besides `trace` (the tests below) that enable the numbering library's records one
/// way or another: inside the use-case spans, by the `phone` field, and by each of its modules
/// that logs. With each, whether the probe's runs make the library log under it at all
/// (nothing it does parses a number inside `send_code`, and only finding numbers in text uses
/// the matcher module).
const FILTERS: &[(&str, bool)] = &[
    ("[send_code]=trace", false),
    ("[check_code]=trace", true),
    ("[{phone}]=trace", true),
    ("rlibphonenumber=trace", true),
    ("rlibphonenumber::phonenumberutil=trace", true),
    (
        "rlibphonenumber::phonenumberutil::phonenumberutil_internal=trace",
        true,
    ),
    (
        "rlibphonenumber::phonenumber_matcher::matcher_internal=trace",
        false,
    ),
];

/// The probe's logs (stderr) and the secrets it used (stdout, one per line).
async fn probe(mode: &'static str, filter: &str) -> (String, Vec<String>) {
    let output = run_to_end(LEAK_PROBE, vec![mode.to_owned(), filter.to_owned()]).await;
    let logs = String::from_utf8_lossy(&output.stderr).into_owned();
    let secrets = String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect();
    (logs, secrets)
}

/// The secrets found in the logs.
fn leaked<'a>(logs: &str, secrets: &'a [String]) -> Vec<&'a String> {
    secrets
        .iter()
        .filter(|secret| logs.contains(secret.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn trace_logs_with_the_log_bridge_and_the_guard_hold_no_secret() {
    let (logs, secrets) = probe("documented", "trace").await;

    assert!(secrets.iter().any(|secret| secret == TOKEN), "{secrets:?}");
    assert!(
        secrets.len() > 20,
        "numbers and codes to look for: {secrets:?}"
    );
    for traced in ["send_code", "check_code", "+60*****6512", "outcome_unknown"] {
        assert!(logs.contains(traced), "{traced:?} is traced:\n{logs}");
    }
    let leaked = leaked(&logs, &secrets);
    assert!(leaked.is_empty(), "leaked {leaked:?}:\n{logs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_guard_the_numbering_plan_library_logs_numbers_in_clear() {
    let (logs, secrets) = probe("unfiltered", "trace").await;

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

#[tokio::test(flavor = "multi_thread")]
async fn no_span_field_or_module_filter_lets_a_secret_through_the_guard() {
    for &(filter, _) in FILTERS {
        let (logs, secrets) = probe("documented", filter).await;
        assert!(
            secrets.len() > 20,
            "{filter:?}: numbers and codes to look for: {secrets:?}"
        );
        let leaked = leaked(&logs, &secrets);
        assert!(leaked.is_empty(), "{filter:?} leaked {leaked:?}:\n{logs}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_guard_span_field_and_module_filters_let_numbers_through() {
    for &(filter, _) in FILTERS.iter().filter(|(_, library_logs)| *library_logs) {
        let (logs, secrets) = probe("unfiltered", filter).await;
        assert!(
            !leaked(&logs, &secrets).is_empty(),
            "{filter:?} lets rlibphonenumber log a number:\n{logs}"
        );
    }
}
