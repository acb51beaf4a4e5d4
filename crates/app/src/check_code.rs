//! Use case: check a code, refusing locally what must not reach the provider.

use std::sync::Arc;

use phone_verify_domain::{
    CheckCodeRequest, CheckResult, CheckVerdict, CodeScope, ErrorClass, GatewayError, OtpCode,
    PhoneNumber, ProviderName, TrustValidationId,
};
use tracing::field::{Empty, display};
use tracing::{Span, error, info, warn};

use crate::store::CheckReservation;
use crate::telemetry::{self, CheckCounted, InFlight, ProviderOperation};
use crate::{
    AttemptId, CheckOutcome, CheckPolicy, CheckRefusal, CheckTarget, NewCheck, StoreError,
    StoreOperation, Wiring,
};

/// What a check answered by the provider returns, whatever the verdict: a wrong code is an
/// answer, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCode {
    /// The recorded check.
    pub attempt: AttemptId,
    /// The send whose code was checked: the one the provider's answer names when it names
    /// one of the trust validation's sends, otherwise the one the check was reserved
    /// against.
    pub send: AttemptId,
    /// What the provider answered.
    pub result: CheckResult,
    /// How many more checks of this code the local guard allows after this one
    /// ([`crate::CheckPolicy::max_attempts`] less the checks counted so far, this one
    /// included); `None` when the answer moved the check to another send than the one
    /// reserved (its count was not read). The provider may allow fewer.
    pub tries_left: Option<u32>,
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
///
/// Not `#[non_exhaustive]`, for the same reason as [`crate::SendCodeError`].
#[derive(Debug, thiserror::Error)]
pub enum CheckCodeError {
    /// A guard refused before the provider was called, and nothing was recorded: no code
    /// that may have been delivered is recorded for this trust validation, or the code
    /// expired, or it has been tried too often. The end user needs a new code.
    #[error("the check was refused before reaching the provider")]
    Refused(#[from] CheckRefusal),
    /// The provider holds no pending code for this trust validation (it answered 404): the
    /// code expired or was used there, or a newer send replaced it. The check is recorded
    /// ([`CheckOutcome::NoPendingCode`]) and counts as no attempt. The end user needs a new
    /// code.
    #[error("the provider holds no pending code for this trust validation")]
    NoPendingCode {
        /// The recorded check.
        attempt: AttemptId,
    },
    /// The code's provider finds codes by number ([`CodeScope::Number`]), the send's
    /// reference is unknown (its answer was lost, so the check cannot name it), and the store
    /// keeps no clear number (`docs/security.md`, "No clear numbers at rest"): check again
    /// with the number ([`CheckCode::check_with_number`]). The provider was not called; the
    /// check is recorded as not checked and counts as no attempt.
    #[error("the provider finds this code by number: check it with the number")]
    NumberNeeded {
        /// The recorded check.
        attempt: AttemptId,
    },
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
            Self::Refused(_)
            | Self::Store(_)
            | Self::NoPendingCode { .. }
            | Self::NumberNeeded { .. } => false,
            Self::Gateway(gateway) | Self::FailedAndNotRecorded { gateway, .. } => {
                gateway.may_have_been_sent()
            }
            Self::CheckedButNotRecorded { .. } => true,
        }
    }
}

/// Checks a code against the current send of a trust validation (see
/// [`crate::CheckPolicy::choose_send`]).
///
/// The code lifetime and the attempt limit are enforced here, from the record, so guessing
/// never reaches the provider. Cheap to clone and shareable across tasks.
#[derive(Debug, Clone)]
pub struct CheckCode {
    wiring: Wiring,
    policy: Arc<CheckPolicy>,
}

impl CheckCode {
    /// The use case over `wiring`, guarded by `policy`, with the rules each wired provider's
    /// adapter declares ([`CheckPolicy::providers`]; an entry the policy already holds wins).
    pub fn new(wiring: Wiring, mut policy: CheckPolicy) -> Self {
        for (name, rules) in wiring.providers.rules() {
            if !policy.providers.iter().any(|(listed, _)| *listed == name) {
                policy.providers.push((name, rules));
            }
        }
        Self {
            wiring,
            policy: Arc::new(policy),
        }
    }

    /// Checks `code` against the current send of `trust_validation`, chosen by the store
    /// inside the check's reservation ([`crate::CheckPolicy::choose_send`]: the send the
    /// provider accepted last, or the provider's live code when that order is unknown), at
    /// the provider of that send. The code is passed to the provider and stored nowhere. Every
    /// check is counted once in `phone_verify_checks_total` by what became of it, and the
    /// provider call and the store operations are timed (`docs/operations.md`).
    ///
    /// # Errors
    ///
    /// - [`CheckCodeError::Refused`]: no code sent, expired or too many attempts; the
    ///   provider was not called.
    /// - [`CheckCodeError::Store`]: the reservation failed; the provider was not called.
    /// - [`CheckCodeError::NoPendingCode`]: the provider has no code to check; recorded.
    /// - [`CheckCodeError::Gateway`]: the provider call failed; the failure is recorded.
    /// - [`CheckCodeError::CheckedButNotRecorded`], [`CheckCodeError::FailedAndNotRecorded`]:
    ///   the second write failed; the error carries the provider's answer.
    pub async fn check(
        &self,
        trust_validation: TrustValidationId,
        code: OtpCode,
    ) -> Result<CheckedCode, CheckCodeError> {
        self.check_reserved(trust_validation, code, None).await
    }

    /// [`CheckCode::check`], for a caller that knows the number the code went to. A store
    /// that keeps numbers in clear names the send's own number to the provider on a narrowed
    /// check, and `phone` changes nothing. A protected store does not have the number
    /// (`docs/security.md`, "No clear numbers at rest"): the narrowed check then names `phone`
    /// to the provider, once the store's keys confirm it is the send's
    /// ([`crate::NumberProtection::confirms`]), and only the send's reference otherwise (the
    /// provider finds the send by it; a number that is not the send's is never sent).
    ///
    /// # Errors
    ///
    /// As [`CheckCode::check`].
    pub async fn check_with_number(
        &self,
        trust_validation: TrustValidationId,
        code: OtpCode,
        phone: &PhoneNumber,
    ) -> Result<CheckedCode, CheckCodeError> {
        self.check_reserved(trust_validation, code, Some(phone))
            .await
    }

    /// The number a check names to the provider: the send's when the store keeps it, else
    /// the caller's when the store's keys confirm it. For a provider that keeps one code per
    /// trust validation, none unless the check is narrowed to the send; for one that keeps a
    /// code per number ([`CodeScope::Number`]), always when known: without the send's
    /// reference, the number is the only way to the code.
    fn number_to_name(
        &self,
        target: &CheckTarget,
        given: Option<&PhoneNumber>,
    ) -> Option<PhoneNumber> {
        let by_number = self.policy.rules_of(&target.send.provider).code_scope == CodeScope::Number;
        let named = target.narrowed || by_number;
        if let Some(kept) = target.send.number.clear().filter(|_| named) {
            return Some(kept.clone());
        }
        let given = given.filter(|_| named)?;
        if self
            .wiring
            .store
            .numbers()
            .confirms(given, &target.send.number)
        {
            Some(given.clone())
        } else {
            warn!("the number given is not the send's: the check names the send's reference only");
            None
        }
    }

    /// Records `outcome` as the end of check `attempt`, and counts the check by what the
    /// write did. Returns the send the check is recorded against.
    async fn finish(
        &self,
        provider: &ProviderName,
        attempt: AttemptId,
        outcome: CheckOutcome,
        calling_code: &str,
    ) -> Result<AttemptId, StoreError> {
        // Counted by what the write does: the outcome moves into it.
        let if_recorded = CheckCounted::after_call(&outcome, true);
        let if_not_recorded = CheckCounted::after_call(&outcome, false);
        let store = &*self.wiring.store;
        let recorded = telemetry::store_call(
            store,
            StoreOperation::FinishCheck,
            store.finish_check(attempt, outcome, self.wiring.clock.now()),
        )
        .await;
        let (counted, verdict) = if recorded.is_ok() {
            if_recorded
        } else {
            if_not_recorded
        };
        telemetry::count_check(provider, counted, verdict, None, Some(calling_code));
        recorded
    }

    /// A check reserved against a send of a provider that finds codes by number, whose
    /// reference is unknown (its answer was lost) and whose number the store does not keep in
    /// clear, without the caller's number: it cannot be addressed. It is closed as not checked
    /// (nothing was asked), and the caller is told to give the number.
    async fn unaddressable(
        &self,
        attempt: AttemptId,
        provider: &ProviderName,
        calling_code: &str,
    ) -> Result<CheckedCode, CheckCodeError> {
        warn!("check not made: the provider finds this code by number, and none was given");
        let outcome = CheckOutcome::NotChecked {
            class: ErrorClass::RequestNotBuilt,
        };
        match self.finish(provider, attempt, outcome, calling_code).await {
            Ok(_) => Err(CheckCodeError::NumberNeeded { attempt }),
            Err(source) => Err(CheckCodeError::Store(source)),
        }
    }

    /// Reserves, calls the provider and records: the work of both public methods, `given`
    /// the caller's number if any.
    #[tracing::instrument(
        name = "check_code",
        skip_all,
        fields(
            trust_validation = %trust_validation,
            phone = Empty,
            provider = Empty,
            narrowed = Empty,
            reference = Empty,
            attempt = Empty,
        ),
    )]
    async fn check_reserved(
        &self,
        trust_validation: TrustValidationId,
        code: OtpCode,
        given: Option<&PhoneNumber>,
    ) -> Result<CheckedCode, CheckCodeError> {
        let attempt = self.wiring.ids.next_id();
        let span = Span::current();
        span.record("attempt", display(attempt));
        let new_check = NewCheck {
            id: attempt,
            trust_validation: trust_validation.clone(),
            started_at: self.wiring.clock.now(),
        };
        // Before the store chose the send, a check is counted under the default provider.
        let provider = self.wiring.providers.default_provider();
        let store = &*self.wiring.store;
        let reservation = telemetry::store_call(
            store,
            StoreOperation::ReserveCheck,
            store.reserve_check(new_check, &self.policy),
        )
        .await
        .inspect_err(|error| {
            error!(%error, "check not recorded, provider not called");
            telemetry::count_check(provider, CheckCounted::StoreFailed, None, None, None);
        })?;
        let target = match reservation {
            CheckReservation::Reserved(target) => target,
            CheckReservation::Refused(refusal) => {
                warn!(%refusal, "check refused");
                telemetry::count_check(provider, CheckCounted::Refused, None, Some(&refusal), None);
                return Err(refusal.into());
            }
        };
        span.record("phone", display(&target.send.number));
        span.record("provider", display(&target.send.provider));
        span.record("narrowed", target.narrowed);
        if let Some(reference) = target.reference() {
            span.record("reference", display(reference));
        }

        let request = CheckCodeRequest {
            code,
            trust_validation,
            reference: target.reference().cloned(),
            phone: self.number_to_name(&target, given),
        };
        let provider = &target.send.provider;
        if request.reference.is_none()
            && request.phone.is_none()
            && self.policy.rules_of(provider).code_scope == CodeScope::Number
        {
            return self
                .unaddressable(attempt, provider, target.send.number.calling_code())
                .await;
        }
        let in_flight = InFlight::start(provider, ProviderOperation::CheckCode);
        let answer = telemetry::provider_call(
            provider,
            ProviderOperation::CheckCode,
            self.wiring.providers.check_code(provider, &request),
        )
        .await;
        let outcome = CheckOutcome::from_gateway(&answer);
        let no_pending_code = outcome == CheckOutcome::NoPendingCode;
        let recorded = self
            .finish(
                provider,
                attempt,
                outcome,
                target.send.number.calling_code(),
            )
            .await;
        in_flight.recorded(recorded.is_ok());

        match (answer, recorded) {
            (Ok(result), Ok(send)) => {
                info!(verdict = ?result.verdict(), "code checked");
                let tries_left = (send == target.send.id).then(|| {
                    self.policy
                        .max_attempts
                        .saturating_sub(target.attempts_before.saturating_add(1))
                });
                Ok(CheckedCode {
                    attempt,
                    send,
                    result,
                    tries_left,
                })
            }
            (Err(_), Ok(_)) if no_pending_code => {
                warn!("check answered: the provider holds no pending code");
                Err(CheckCodeError::NoPendingCode { attempt })
            }
            (Err(gateway), Ok(_)) => {
                warn!(error = %gateway, class = gateway.class().as_str(), "check failed");
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
                    class = gateway.class().as_str(),
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
