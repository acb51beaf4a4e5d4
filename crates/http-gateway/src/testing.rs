//! What the table tests of every adapter's classifier share (feature `test-util`): answers as
//! they arrive at one fixed instant, and the check that an error never quotes the answer.

use std::time::{Duration, SystemTime};

use phone_verify_domain::GatewayError;

use crate::Answer;

/// When every answer of the tables arrived: Wed, 21 Oct 2026 07:28:00 GMT, so that an
/// HTTP-date `Retry-After` is a known wait.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use phone_verify_http::parse_retry_after;
/// use phone_verify_http::testing::received_at;
///
/// let wait = parse_retry_after("Wed, 21 Oct 2026 07:29:30 GMT", received_at());
/// assert_eq!(wait, Some(Duration::from_secs(90)));
/// ```
pub fn received_at() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_792_567_680)
}

/// An answer with `status`, the raw `Retry-After` if any, and `body`, received at
/// [`received_at`].
///
/// ```
/// use std::time::Duration;
/// use phone_verify_http::testing::answer;
///
/// let limited = answer(429, Some("30"), "{}");
/// assert_eq!(limited.retry_after(), Some(Duration::from_secs(30)));
/// ```
pub fn answer<'a>(status: u16, retry_after: Option<&'a str>, body: &'a str) -> Answer<'a> {
    Answer {
        status,
        retry_after,
        body: body.as_bytes(),
        received_at: received_at(),
    }
}

/// Asserts that neither the `Display` nor the `Debug` of `error` holds `quoted`: an error
/// describes what was wrong with an answer, never its content (which may echo a number).
///
/// ```
/// use phone_verify_http::Unreadable;
/// use phone_verify_http::testing::assert_does_not_quote;
///
/// assert_does_not_quote(&Unreadable::Missing("sid").at(200), "+15017122661");
/// ```
///
/// # Panics
///
/// When either holds `quoted`, with the text.
pub fn assert_does_not_quote(error: &GatewayError, quoted: &str) {
    let text = format!("{error} {error:?}");
    assert!(!text.contains(quoted), "{quoted:?} is quoted in: {text}");
}
