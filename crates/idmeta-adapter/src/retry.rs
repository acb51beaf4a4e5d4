//! The retry policy: which failures are retried, how often, and how long to wait.
//!
//! There is no idempotency key in IDMeta's API, so a repeated send most likely delivers a
//! second SMS. The policy therefore retries only what provably did not reach the provider
//! ([`GatewayError::NotSent`]), and, when the caller opts in, a 429 or 503 that came with a
//! `Retry-After` no longer than a ceiling. An "outcome unknown" failure is never retried.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use phone_verify_domain::GatewayError;

/// How failed calls are retried. Backoff is exponential with full jitter (via `backon`).
///
/// ```
/// use std::time::Duration;
/// use idmeta_adapter::RetryPolicy;
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

    /// Opt in: retry a 429, or a 503, that came with a `Retry-After` of at most `ceiling`,
    /// after waiting that long. Neither was processed by the provider, so no SMS is doubled.
    pub fn retry_after_ceiling(mut self, ceiling: Duration) -> Self {
        self.retry_after_ceiling = Some(ceiling);
        self
    }

    /// Whether `error` is retried under this policy (the number of retries aside).
    pub fn should_retry(&self, error: &GatewayError) -> bool {
        match error {
            GatewayError::NotSent { .. } => true,
            GatewayError::RateLimited { .. } | GatewayError::ProviderFault { status: 503, .. } => {
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
    pub(crate) fn delay_for(&self, error: &GatewayError, backoff: Duration) -> Duration {
        self.allowed_wait(error).unwrap_or(backoff)
    }

    pub(crate) fn backoff(&self) -> impl BackoffBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_jitter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            GatewayError::RateLimited {
                retry_after: Some(Duration::from_secs(1)),
            },
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
        assert!(policy.should_retry(&GatewayError::RateLimited {
            retry_after: wait(5)
        }));
        assert!(!policy.should_retry(&GatewayError::RateLimited {
            retry_after: wait(6)
        }));
        assert!(!policy.should_retry(&GatewayError::RateLimited { retry_after: None }));
        assert!(policy.should_retry(&GatewayError::ProviderFault {
            status: 503,
            retry_after: wait(1)
        }));
        assert!(!policy.should_retry(&GatewayError::ProviderFault {
            status: 500,
            retry_after: wait(1)
        }));
        let error = GatewayError::RateLimited {
            retry_after: wait(3),
        };
        assert_eq!(
            policy.delay_for(&error, Duration::from_millis(1)),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.delay_for(&refused(), Duration::from_millis(7)),
            Duration::from_millis(7)
        );
    }
}
