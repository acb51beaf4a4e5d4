//! The retry policy: which failures are retried, how often, and how long to wait.
//!
//! Neither IDMeta's nor Twilio Verify's API has an idempotency key, so a repeated send most
//! likely delivers a second SMS. The policy therefore retries only what provably did not reach
//! the provider ([`GatewayError::NotSent`]), and, when the caller opts in, a 429 or 503 that came
//! with a `Retry-After` no longer than a ceiling. An "outcome unknown" failure is never retried.
//! And no retry starts that could not end within the call's time budget ([`CallBudget`]): a
//! provider that cannot be reached is given up in time for another one to be asked.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use phone_verify_domain::{GatewayError, metric_names};

/// How failed calls are retried. Backoff is exponential with full jitter (via `backon`).
///
/// ```
/// use std::time::Duration;
/// use phone_verify_http::RetryPolicy;
///
/// let policy = RetryPolicy::default().retry_after_ceiling(Duration::from_secs(10));
/// assert_ne!(policy, RetryPolicy::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: usize,
    min_delay: Duration,
    max_delay: Duration,
    retry_after_ceiling: Option<Duration>,
}

impl Default for RetryPolicy {
    /// Two retries of "not sent" failures, 100 ms doubling to at most 2 s, jittered;
    /// `Retry-After` not honoured.
    fn default() -> Self {
        Self {
            max_retries: 2,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            retry_after_ceiling: None,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// At most this many retries after the first attempt.
    pub fn max_retries(mut self, retries: usize) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first backoff delay and the largest one.
    pub fn delays(mut self, min: Duration, max: Duration) -> Self {
        self.min_delay = min;
        self.max_delay = max.max(min);
        self
    }

    /// Opt in: retry a 429, or an answer the provider's own API marks unprocessed
    /// ([`GatewayError::Unavailable`]), that came with a `Retry-After` of at most `ceiling`,
    /// after waiting that long. Neither was processed by the provider, so no SMS is doubled. A
    /// 503 of unknown origin ([`GatewayError::ProviderFault`]) is never retried: it may have
    /// been processed.
    pub fn retry_after_ceiling(mut self, ceiling: Duration) -> Self {
        self.retry_after_ceiling = Some(ceiling);
        self
    }

    /// Whether `error` is retried under this policy (the number of retries aside).
    pub fn should_retry(&self, error: &GatewayError) -> bool {
        match error {
            GatewayError::NotSent { .. } => true,
            GatewayError::RateLimited { .. } | GatewayError::Unavailable { .. } => {
                self.allowed_wait(error).is_some()
            }
            // Named, not a wildcard: a new variant must be decided on here.
            GatewayError::RequestNotBuilt { .. }
            | GatewayError::Rejected { .. }
            | GatewayError::Unauthorized
            | GatewayError::OutcomeUnknown { .. }
            | GatewayError::ProviderFault { .. }
            | GatewayError::InvalidResponse { .. } => false,
        }
    }

    /// The provider's `Retry-After`, when honoured and under the ceiling.
    fn allowed_wait(&self, error: &GatewayError) -> Option<Duration> {
        let ceiling = self.retry_after_ceiling?;
        error.retry_after().filter(|wait| *wait <= ceiling)
    }

    /// The wait before the next attempt: the provider's hint when honoured, else the backoff.
    fn delay_for(&self, error: &GatewayError, backoff: Duration) -> Duration {
        self.allowed_wait(error).unwrap_or(backoff)
    }

    fn backoff(&self) -> impl BackoffBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_jitter()
    }
}

/// How long one call to a provider may take in all: its attempts and the waits between them.
///
/// An attempt in flight is never cut short (its request timeout decides whether it reached the
/// provider, and cutting it would turn "not sent" into "outcome unknown"); instead a retry starts
/// only when, after its wait, a whole attempt still fits in what is left. The first attempt
/// always starts, so a call ends within `total` whenever `total` is at least `attempt`. Made from
/// the transport's limits by [`crate::Limits::budget`].
///
/// ```
/// use std::time::Duration;
/// use phone_verify_http::CallBudget;
///
/// let budget = CallBudget::new(Duration::from_secs(10), Duration::from_secs(4));
/// assert!(budget.leaves_room_after(Duration::from_secs(6)));
/// assert!(!budget.leaves_room_after(Duration::from_millis(6_001)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallBudget {
    total: Duration,
    attempt: Duration,
}

impl CallBudget {
    /// A budget of `total` for a call whose attempts take up to `attempt` each (the request
    /// timeout).
    pub fn new(total: Duration, attempt: Duration) -> Self {
        Self { total, attempt }
    }

    /// The time a whole call may take.
    pub fn total(&self) -> Duration {
        self.total
    }

    /// Whether an attempt that starts once `spent` has passed since the call began can end
    /// within the budget.
    pub fn leaves_room_after(&self, spent: Duration) -> bool {
        spent.saturating_add(self.attempt) <= self.total
    }
}

/// Runs `attempt` (given its number, from 1) until it succeeds, fails in a way `policy` does not
/// retry, the retries are used up, or a retry could not end within `budget`, sleeping the
/// backoff (or the honoured `Retry-After`) in between. Returns the last result and the number of
/// attempts made. Each retry is counted as `phone_verify_retries_total{provider, class}`
/// (`docs/operations.md`), `provider` being the adapter's name for its provider.
///
/// ```
/// use std::time::Duration;
/// use phone_verify_domain::GatewayError;
/// use phone_verify_http::{CallBudget, RetryPolicy, retrying};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let budget = CallBudget::new(Duration::from_secs(30), Duration::from_secs(15));
/// let (result, attempts) = retrying(RetryPolicy::default(), budget, "example", |_| async {
///     Err::<(), _>(GatewayError::Unauthorized)
/// })
/// .await;
/// assert!(result.is_err());
/// assert_eq!(attempts, 1); // a refusal is never retried
/// # }
/// ```
pub async fn retrying<T, F, Fut>(
    policy: RetryPolicy,
    budget: CallBudget,
    provider: &'static str,
    mut attempt: F,
) -> (Result<T, GatewayError>, u32)
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, GatewayError>>,
{
    // Tokio's clock, the one the waits sleep on.
    let started = tokio::time::Instant::now();
    let attempts = AtomicU32::new(0);
    let result = (|| attempt(attempts.fetch_add(1, Ordering::Relaxed) + 1))
        .retry(policy.backoff())
        .sleep(tokio::time::sleep)
        .when(|error| policy.should_retry(error))
        .adjust(|error, backoff| {
            let wait = policy.delay_for(error, backoff?);
            if budget.leaves_room_after(started.elapsed().saturating_add(wait)) {
                return Some(wait);
            }
            tracing::warn!(
                error.class = error.class().as_str(),
                budget_ms = budget.total().as_millis() as u64,
                "not retried: the attempt could not end within the call's time budget"
            );
            None
        })
        .notify(|error, wait| {
            metrics::counter!(
                metric_names::RETRIES_TOTAL,
                metric_names::label::PROVIDER => provider,
                metric_names::label::CLASS => error.class().as_str(),
            )
            .increment(1);
            tracing::warn!(
                error.class = error.class().as_str(),
                wait_ms = wait.as_millis() as u64,
                "retrying"
            );
        })
        .await;
    (result, attempts.load(Ordering::Relaxed))
}

/// Ends a call's span: records `attempts` and `latency_ms` into it, and logs the outcome inside
/// it (the error's class, whether it may have been sent, and the error with its sources, none
/// of which holds provider free text or the answer's content). [`crate::Caller::post`] is its
/// one caller.
pub(crate) fn record_outcome<T>(
    span: &tracing::Span,
    started: Instant,
    attempts: u32,
    result: &Result<T, GatewayError>,
) {
    span.record("attempts", attempts);
    span.record("latency_ms", started.elapsed().as_millis() as u64);
    let _entered = span.enter();
    match result {
        Ok(_) => tracing::info!(outcome = "ok", "provider call succeeded"),
        Err(error) => tracing::warn!(
            outcome = error.class().as_str(),
            may_have_been_sent = error.may_have_been_sent(),
            // As an error, so a subscriber also shows its sources (an unreadable answer's
            // reason is one).
            error = error as &(dyn std::error::Error + 'static),
            "provider call failed"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A budget no test here runs out of.
    fn ample() -> CallBudget {
        CallBudget::new(Duration::from_secs(3600), Duration::from_secs(1))
    }

    fn refused() -> GatewayError {
        GatewayError::NotSent {
            source: Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        }
    }

    #[test]
    fn by_default_only_requests_that_never_left_are_retried() {
        let policy = RetryPolicy::default();
        assert!(policy.should_retry(&refused()));
        let never = [
            GatewayError::OutcomeUnknown {
                source: Box::new(std::io::Error::from(std::io::ErrorKind::TimedOut)),
            },
            GatewayError::rate_limited(Some(Duration::from_secs(1))),
            GatewayError::ProviderFault {
                status: 503,
                retry_after: Some(Duration::from_secs(1)),
            },
            GatewayError::ProviderFault {
                status: 500,
                retry_after: None,
            },
            GatewayError::Unauthorized,
            GatewayError::RequestNotBuilt {
                source: "unserialisable".into(),
            },
            GatewayError::InvalidResponse {
                status: 200,
                reason: "unreadable".into(),
            },
        ];
        for error in &never {
            assert!(!policy.should_retry(error), "{error:?}");
        }
    }

    #[test]
    fn retry_after_is_honoured_only_when_allowed_and_under_the_ceiling() {
        let policy = RetryPolicy::default().retry_after_ceiling(Duration::from_secs(5));
        let wait = |secs| Some(Duration::from_secs(secs));
        assert!(policy.should_retry(&GatewayError::rate_limited(wait(5))));
        assert!(!policy.should_retry(&GatewayError::rate_limited(wait(6))));
        assert!(!policy.should_retry(&GatewayError::rate_limited(None)));
        assert!(policy.should_retry(&GatewayError::Unavailable {
            status: 503,
            retry_after: wait(1)
        }));
        // A 503 of unknown origin may have been processed: never retried.
        assert!(!policy.should_retry(&GatewayError::ProviderFault {
            status: 503,
            retry_after: wait(1)
        }));
        assert!(!policy.should_retry(&GatewayError::ProviderFault {
            status: 500,
            retry_after: wait(1)
        }));
        let error = GatewayError::rate_limited(wait(3));
        assert_eq!(
            policy.delay_for(&error, Duration::from_millis(1)),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.delay_for(&refused(), Duration::from_millis(7)),
            Duration::from_millis(7)
        );
    }

    #[tokio::test]
    async fn a_failure_that_never_left_is_retried_until_the_retries_are_used_up() {
        let policy = RetryPolicy::default()
            .max_retries(3)
            .delays(Duration::from_millis(1), Duration::from_millis(1));
        let (result, attempts) = retrying(policy, ample(), "test", |_| async {
            Err::<(), _>(refused())
        })
        .await;
        assert!(matches!(result, Err(GatewayError::NotSent { .. })));
        assert_eq!(attempts, 4);
        let (result, attempts) = retrying(policy, ample(), "test", |n| async move {
            if n < 2 { Err(refused()) } else { Ok(n) }
        })
        .await;
        assert_eq!(result.ok(), Some(2));
        assert_eq!(attempts, 2);
    }

    /// An attempt that fails as "not sent" once `takes` has passed (on tokio's paused clock:
    /// nothing waits for real).
    async fn not_sent_after(takes: Duration) -> Result<(), GatewayError> {
        tokio::time::sleep(takes).await;
        Err(refused())
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_that_could_not_end_within_the_budget_is_not_started() {
        let policy = RetryPolicy::default()
            .max_retries(5)
            .delays(Duration::from_millis(100), Duration::from_millis(100));
        let attempt = Duration::from_secs(4);
        let budget = CallBudget::new(Duration::from_secs(10), attempt);
        let started = tokio::time::Instant::now();
        let (result, attempts) =
            retrying(policy, budget, "test", |_| not_sent_after(attempt)).await;
        assert!(matches!(result, Err(GatewayError::NotSent { .. })));
        // 0 to 4 s, 4.1 to 8.1 s; a third would end at 12.2 s.
        assert_eq!(attempts, 2);
        assert!(
            started.elapsed() <= budget.total(),
            "{:?}",
            started.elapsed()
        );

        // Failures that come at once are retried while a whole attempt still fits.
        let (_, attempts) =
            retrying(policy, budget, "test", |_| not_sent_after(Duration::ZERO)).await;
        assert_eq!(attempts, 6);
        // A budget shorter than an attempt: the first attempt alone.
        let short = CallBudget::new(Duration::from_secs(1), attempt);
        let (_, attempts) =
            retrying(policy, short, "test", |_| not_sent_after(Duration::ZERO)).await;
        assert_eq!(attempts, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_that_would_outlast_the_budget_is_not_waited_for() {
        let policy = RetryPolicy::default().retry_after_ceiling(Duration::from_secs(60));
        let budget = CallBudget::new(Duration::from_secs(30), Duration::from_secs(15));
        let limited = |wait| GatewayError::rate_limited(Some(Duration::from_secs(wait)));
        let started = tokio::time::Instant::now();
        let (result, attempts) = retrying(policy, budget, "test", |_| async {
            Err::<(), _>(limited(20))
        })
        .await;
        assert_eq!(attempts, 1);
        assert!(matches!(result, Err(GatewayError::RateLimited { .. })));
        assert_eq!(started.elapsed(), Duration::ZERO, "nothing was waited for");
        let (_, attempts) = retrying(policy, budget, "test", |n| async move {
            if n < 2 { Err(limited(10)) } else { Ok(()) }
        })
        .await;
        assert_eq!(attempts, 2);
    }
}
