//! Without a PostgreSQL URL a PostgreSQL test is skipped on a developer's machine and fails in
//! CI (`CI=true`), so that CI never passes without having run it. Each test runs one
//! PostgreSQL case of this test binary in a process of its own, with the URL unset.

use std::process::{Command, Output};

use phone_verify_sql_store::TEST_POSTGRES_URL_VAR;

/// Runs the contract case `an_attempt_id_is_stored_once` on PostgreSQL without a URL, with
/// `CI` set to `ci` (or unset).
fn a_postgres_case_without_a_url(ci: Option<&str>) -> Output {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args([
            "--exact",
            "contract::postgres::an_attempt_id_is_stored_once",
            "--test-threads=1",
        ])
        .env_remove(TEST_POSTGRES_URL_VAR)
        .env_remove("CI");
    if let Some(ci) = ci {
        command.env("CI", ci);
    }
    command.output().expect("the test binary runs")
}

/// Standard output and error, together.
fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_postgres_test_without_a_url_fails_in_ci() {
    let output = a_postgres_case_without_a_url(Some("true"));
    let said = said(&output);
    assert!(!output.status.success(), "{said}");
    assert!(
        said.contains("in CI a missing PostgreSQL is a failure"),
        "{said}"
    );
    assert!(said.contains("1 failed"), "the case ran and failed: {said}");
}

#[test]
fn a_postgres_test_without_a_url_is_skipped_outside_ci() {
    let output = a_postgres_case_without_a_url(None);
    let said = said(&output);
    assert!(output.status.success(), "{said}");
    assert!(
        said.contains(&format!("skipped: {TEST_POSTGRES_URL_VAR} not set")),
        "{said}"
    );
    assert!(said.contains("1 passed"), "the case ran: {said}");
}
