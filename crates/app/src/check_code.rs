//! Use case: check a code, refusing locally what must not reach the provider.

use std::sync::Arc;

use phone_verify_domain::{
    CheckCodeRequest, CheckResult, CheckVerdict, GatewayError, OtpCode, TrustValidationId,
};
use tracing::field::{Empty, display};
use tracing::{Span, error, info, warn};

use crate::store::Reservation;
use crate::time::add;
use crate::{AttemptId, CheckOutcome, CheckPolicy, CheckRefusal, NewCheck, Ports, StoreError};

/// What a check answered by the provider returns, whatever the verdict: a wrong code is an
/// answer, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCode {
    /// The recorded check.
    pub attempt: AttemptId,
    /// The send the code belongs to.
    pub send: AttemptId,
    /// What the provider answered.
    pub result: CheckResult,
}

impl CheckedCode {
    /// What the answer means ([`CheckResult::verdict`]).
    pub fn verdict(&self) -> CheckVerdict {
        self.result.verdict()
    }

    /// Whether the end user proved they hold the number.
    pub fn is_verified(&self) -> bool {
        self.result.is_verified()
    }
}

/// Why a check has no answer, and what happened to its record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckCodeError {
    /// No code that may have been delivered is recorded for this trust validation: there is
    /// nothing to check. The provider was not called.
    #[error("no code was sent for this trust validation")]
    NoCodeSent,
    /// The code expired or has been tried too often; the provider was not called and nothing
    /// was recorded. The end user needs a new code.
    #[error("the check was refused before reaching the provider")]
    Refused(#[from] CheckRefusal),
    /// The send could not be read or the check recorded before the call, so the provider was
    /// not called.
    #[error("the check could not be recorded, so it was not made")]
    Store(#[from] StoreError),
    /// The provider call failed; the failure is recorded. If
    /// [`GatewayError::may_have_been_sent`], the provider may have counted the attempt.
    #[error("the provider did not answer the check")]
    Gateway(#[from] GatewayError),
    /// The provider answered but recording the answer failed: the check may still read "in
    /// flight". The answer is here; do not ask again to learn it.
    #[error("the code was checked but the answer could not be recorded")]
    CheckedButNotRecorded {
        /// The check left without an outcome.
        attempt: AttemptId,
        /// What the provider answered.
        result: CheckResult,
        /// Why the answer could not be recorded.
        #[source]
        source: StoreError,
    },
    /// The provider call failed and recording that failed too.
    #[error("the check failed and its outcome could not be recorded")]
    FailedAndNotRecorded {
        /// The check left without an outcome.
        attempt: AttemptId,
        /// What the provider call returned.
        gateway: GatewayError,
        /// Why the outcome could not be recorded.
        #[source]
        source: StoreError,
    },
}

impl CheckCodeError {
    /// Whether the provider may have counted this check as an attempt despite the error: if
    /// so, repeating it may use up one more of the code's attempts.
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            Self::NoCodeSent | Self::Refused(_) | Self::Store(_) => false,
            Self::Gateway(gateway) | Self::FailedAndNotRecorded { gateway, .. } => {
                gateway.may_have_been_sent()
            }
            Self::CheckedButNotRecorded { .. } => true,
        }
    }
}

/// Checks a code against the latest send of a trust validation.
///
/// The code lifetime and the attempt limit are enforced here, from the record, so guessing
/// never reaches the provider. Cheap to clone and shareable across tasks.
#[derive(Debug, Clone)]
pub struct CheckCode {
    ports: Ports,
    policy: Arc<CheckPolicy>,
}

impl CheckCode {
    /// The use case over `ports`, guarded by `policy`.
    pub fn new(ports: Ports, policy: CheckPolicy) -> Self {
        Self {
            ports,
            policy: Arc::new(policy),
        }
    }

    /// Checks `code` against the newest send of `trust_validation` that may have delivered a
    /// code. The code is passed to the provider and stored nowhere.
    ///
    /// # Errors
    ///
    /// - [`CheckCodeError::NoCodeSent`]: nothing to check against.
    /// - [`CheckCodeError::Refused`]: expired or too many attempts; the provider was not
    ///   called.
    /// - [`CheckCodeError::Store`]: reading the send or the first write failed; the provider
    ///   was not called.
    /// - [`CheckCodeError::Gateway`]: the provider call failed; the failure is recorded.
    /// - [`CheckCodeError::CheckedButNotRecorded`], [`CheckCodeError::FailedAndNotRecorded`]:
    ///   the second write failed; the error carries the provider's answer.
    #[tracing::instrument(
        name = "check_code",
        skip_all,
        fields(
            trust_validation = %trust_validation,
            phone = Empty,
            trust_flow = Empty,
            reference = Empty,
            attempt = Empty,
        ),
    )]
    pub async fn check(
        &self,
        trust_validation: TrustValidationId,
        code: OtpCode,
    ) -> Result<CheckedCode, CheckCodeError> {
        let Some(send) = self.ports.store.latest_send(&trust_validation).await? else {
            warn!("check refused: no code was sent");
            return Err(CheckCodeError::NoCodeSent);
        };
        let span = Span::current();
        span.record("phone", display(&send.phone));
        span.record("trust_flow", display(send.trust_flow));
        if let Some(reference) = send.reference() {
            span.record("reference", display(reference));
        }

        let now = self.ports.clock.now();
        let expires_at = add(send.started_at, self.policy.code_lifetime);
        if now >= expires_at {
            let refusal = CheckRefusal::CodeExpired {
                expired_at: expires_at,
            };
            warn!(%refusal, "check refused");
            return Err(refusal.into());
        }

        let attempt = self.ports.ids.next_id();
        span.record("attempt", display(attempt));
        let reference = send.reference().cloned();
        let new_check = NewCheck {
            id: attempt,
            send: send.id,
            phone: send.phone.clone(),
            trust_flow: send.trust_flow,
            trust_validation: trust_validation.clone(),
            reference: reference.clone(),
            started_at: now,
        };
        let reservation = self
            .ports
            .store
            .reserve_check(new_check, self.policy.max_attempts)
            .await
            .inspect_err(|error| error!(%error, "check not recorded, provider not called"))?;
        if let Reservation::Refused(refusal) = reservation {
            warn!(%refusal, "check refused");
            return Err(refusal.into());
        }

        let request = CheckCodeRequest {
            code,
            trust_flow: send.trust_flow,
            trust_validation,
            reference,
            phone: Some(send.phone),
        };
        let answer = self.ports.gateway.check_code(&request).await;
        let outcome = CheckOutcome::from_gateway(&answer);
        let recorded = self
            .ports
            .store
            .finish_check(attempt, outcome, self.ports.clock.now())
            .await;

        match (answer, recorded) {
            (Ok(result), Ok(())) => {
                info!(verdict = ?result.verdict(), "code checked");
                Ok(CheckedCode {
                    attempt,
                    send: send.id,
                    result,
                })
            }
            (Err(gateway), Ok(())) => {
                warn!(error = %gateway, class = gateway.class(), "check failed");
                Err(gateway.into())
            }
            (Ok(result), Err(source)) => {
                error!(
                    error = %source,
                    verdict = ?result.verdict(),
                    "code checked but the answer could not be recorded"
                );
                Err(CheckCodeError::CheckedButNotRecorded {
                    attempt,
                    result,
                    source,
                })
            }
            (Err(gateway), Err(source)) => {
                error!(
                    error = %source,
                    class = gateway.class(),
                    "check failed and its outcome could not be recorded"
                );
                Err(CheckCodeError::FailedAndNotRecorded {
                    attempt,
                    gateway,
                    source,
                })
            }
        }
    }
}
