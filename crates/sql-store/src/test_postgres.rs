//! The PostgreSQL server of the tests (feature `test-support`): where it is, and what a test
//! does without one.

use std::io::Write;

/// The variable the tests read their PostgreSQL URL from.
pub const TEST_POSTGRES_URL_VAR: &str = "PHONE_VERIFY_TEST_POSTGRES_URL";

/// The PostgreSQL URL for `test`, from [`TEST_POSTGRES_URL_VAR`]. Without it (unset or empty),
/// outside CI: `None`, after telling the terminal (not the captured test output) that `test`
/// was skipped.
///
/// # Panics
///
/// Without the URL in CI (`CI=true`): there a missing PostgreSQL is a failure, never a skip.
pub fn test_postgres_url(test: &str) -> Option<String> {
    let url = std::env::var(TEST_POSTGRES_URL_VAR)
        .ok()
        .filter(|url| !url.is_empty());
    if url.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{TEST_POSTGRES_URL_VAR} is not set and CI=true, so {test} cannot run: \
             in CI a missing PostgreSQL is a failure"
        );
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {TEST_POSTGRES_URL_VAR} not set, so {test} did not run"
        );
    }
    url
}
