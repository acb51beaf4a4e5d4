//! What to tell the end user after a send or a check: every answer and every error reduced to
//! one small, exhaustive enum whose names are stable, so an embedder maps it once (to an HTTP
//! status, a screen, a message) instead of writing a table over five error types.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use phone_verify_domain::{CheckVerdict, GatewayError, RateLimitKind, RejectionKind};

use crate::{CheckCodeError, CheckRefusal, CheckedCode, SendCodeError, SendRefusal, SentCode};

/// How long [`NextStep::Wait`] asks for when a provider rate-limited a request without saying
/// how long (a bare 429): a minute, a common window of the providers' own limits.
pub const DEFAULT_PROVIDER_WAIT: Duration = Duration::from_secs(60);

/// What the end user (or the caller on their behalf) should do next, after a send or a check.
///
/// Every outcome of [`crate::SendCode::send`] and [`crate::CheckCode::check`] maps to exactly
/// one step ([`TellsNextStep::next_step`]); the mapping is documented on each variant and is
/// the one the library's own command line and example use. The enum is exhaustive on
/// purpose: a new step is a compile error in the embedder's mapping, never a silent fallback.
/// [`NextStep::as_str`] gives each a stable snake-case name for logs, metrics and JSON.
///
/// ```
/// use std::time::Duration;
/// use phone_verify_app::{NextStep, SendCodeError, SendRefusal, TellsNextStep};
/// use chrono::{TimeDelta, Utc};
///
/// let now = Utc::now();
/// let refused = SendCodeError::Refused(SendRefusal::CoolingDown { retry_at: now + TimeDelta::seconds(30) });
/// assert_eq!(refused.next_step(now), NextStep::Wait { wait: Duration::from_secs(30) });
/// assert_eq!(refused.next_step(now).as_str(), "wait");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NextStep {
    /// A code is on its way or with the end user: enter it, do not ask for another. A send
    /// that succeeded; a send that succeeded but could not be recorded; a provider that
    /// refused a new send because the code it sent is still live (Twilio's 60203).
    UseCodeSent,
    /// The number is verified: carry on with the sign-up or login.
    Verified,
    /// Wait `wait`, then try again: a guard's cooldown or cap (computed from its `retry_at`
    /// on the library's clock), or the provider's rate limit (its `Retry-After`, else
    /// [`DEFAULT_PROVIDER_WAIT`]).
    Wait {
        /// How long to wait, zero when the moment has already passed.
        wait: Duration,
    },
    /// A code may be on its way although the send failed (its outcome is unknown): wait for
    /// it; a new send would void it. Never resent automatically.
    CodeMayBeOnItsWay,
    /// This number cannot receive codes: its country, prefix or kind is not served, or the
    /// provider refused it. Ask for another number.
    NumberCannotReceive,
    /// The code is not the one sent: try again.
    WrongCode {
        /// How many more checks this code allows under the local guard
        /// ([`crate::CheckPolicy::max_attempts`]), when known; the provider may allow fewer.
        tries_left: Option<u32>,
    },
    /// The code is gone (never sent, expired, used up, not pending at the provider, or its
    /// check was answered in a way that does not say whether it matched): ask for a new
    /// code.
    CodeGone,
    /// This verification (trust validation) has had all the codes or checks it may have:
    /// start it again under a new trust validation.
    StartOver,
    /// No provider sends codes on the channel asked for (a call, WhatsApp): offer another
    /// channel (SMS), and stop offering this one. Nothing was sent.
    ChannelUnavailable,
    /// The service is misconfigured: the provider refused its credentials or its request,
    /// or a check lacked the number a provider needs. Not the end user's fault; an operator
    /// must act. Retrying will not help.
    ServiceMisconfigured,
    /// The provider is down or unreachable and nothing was sent (or the check was not
    /// answered): try again later, after `retry_after` when the provider said.
    ProviderDown {
        /// The provider's `Retry-After`, when it gave one.
        retry_after: Option<Duration>,
    },
    /// The record of attempts cannot be written or read, so nothing was sent or checked: try
    /// again later.
    StoreDown,
}

impl NextStep {
    /// The step's stable name: `use_code_sent`, `verified`, `wait`, `code_may_be_on_its_way`,
    /// `number_cannot_receive`, `wrong_code`, `code_gone`, `start_over`,
    /// `channel_unavailable`, `service_misconfigured`, `provider_down`, `store_down`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::UseCodeSent => "use_code_sent",
            Self::Verified => "verified",
            Self::Wait { .. } => "wait",
            Self::CodeMayBeOnItsWay => "code_may_be_on_its_way",
            Self::NumberCannotReceive => "number_cannot_receive",
            Self::WrongCode { .. } => "wrong_code",
            Self::CodeGone => "code_gone",
            Self::StartOver => "start_over",
            Self::ChannelUnavailable => "channel_unavailable",
            Self::ServiceMisconfigured => "service_misconfigured",
            Self::ProviderDown { .. } => "provider_down",
            Self::StoreDown => "store_down",
        }
    }

    /// How long to wait before trying again, when the step says: [`NextStep::Wait`]'s wait,
    /// or [`NextStep::ProviderDown`]'s `Retry-After`. What an HTTP answer's `Retry-After`
    /// carries.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Wait { wait } => Some(*wait),
            Self::ProviderDown { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// The step for a provider's failure on a send that did not go out, or on a check that
    /// was not answered (`may_have_been_sent` already ruled out by the caller for a send).
    fn after_gateway(gateway: &GatewayError) -> Self {
        match gateway {
            GatewayError::RateLimited {
                kind: RateLimitKind::CodeAlreadySent,
                ..
            } => Self::UseCodeSent,
            GatewayError::RateLimited { retry_after, .. } => Self::Wait {
                wait: retry_after.unwrap_or(DEFAULT_PROVIDER_WAIT),
            },
            GatewayError::Rejected {
                kind: RejectionKind::InvalidRequest | RejectionKind::Unsuccessful,
                ..
            } => Self::NumberCannotReceive,
            GatewayError::Rejected {
                kind: RejectionKind::NotFound | RejectionKind::Forbidden,
                ..
            }
            | GatewayError::Unauthorized
            | GatewayError::RequestNotBuilt { .. } => Self::ServiceMisconfigured,
            GatewayError::NotSent { .. }
            | GatewayError::OutcomeUnknown { .. }
            | GatewayError::ProviderFault { .. }
            | GatewayError::Unavailable { .. }
            | GatewayError::InvalidResponse { .. } => Self::ProviderDown {
                retry_after: gateway.retry_after(),
            },
        }
    }

    /// The step for a send's provider failure: a code may be on its way unless the failure
    /// proves otherwise.
    fn after_send_failure(gateway: &GatewayError) -> Self {
        if gateway.may_have_been_sent() {
            Self::CodeMayBeOnItsWay
        } else {
            Self::after_gateway(gateway)
        }
    }

    /// The step for a check's provider failure. A refused check (`Rejected`) is about the
    /// code, not the number: the code is gone.
    fn after_check_failure(gateway: &GatewayError) -> Self {
        match gateway {
            GatewayError::Rejected {
                kind: RejectionKind::InvalidRequest | RejectionKind::Unsuccessful,
                ..
            } => Self::CodeGone,
            other => Self::after_gateway(other),
        }
    }

    /// The step for a check's verdict.
    fn after_verdict(verdict: CheckVerdict, tries_left: Option<u32>) -> Self {
        match verdict {
            CheckVerdict::Verified => Self::Verified,
            CheckVerdict::WrongCode => Self::WrongCode { tries_left },
            CheckVerdict::Expired | CheckVerdict::TooManyAttempts | CheckVerdict::Undetermined => {
                Self::CodeGone
            }
        }
    }
}

impl fmt::Display for NextStep {
    /// The stable name ([`NextStep::as_str`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An outcome that says what to do next: the answers and errors of sends and checks, and a
/// `Result` of them.
///
/// `now` is the library's clock (the one the guards read, so a `retry_at` turns into the
/// wait a manual clock expects); `phone_verify::PhoneVerification::next_step` passes its own.
pub trait TellsNextStep {
    /// What to do next, as of `now`.
    fn next_step(&self, now: DateTime<Utc>) -> NextStep;
}

/// How long from `now` until `at`, zero when it has passed.
fn wait_until(at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (at - now).to_std().unwrap_or(Duration::ZERO)
}

impl TellsNextStep for SendRefusal {
    /// Wait for the cooldown or the number's cap; start over when the trust validation has
    /// had its codes; another number when this one is not served; another channel when
    /// none sends on this one.
    fn next_step(&self, now: DateTime<Utc>) -> NextStep {
        match self {
            Self::CoolingDown { retry_at }
            | Self::NumberLimitReached { retry_at, .. }
            | Self::CountryBudgetSpent { retry_at, .. }
            | Self::NumberRangeBusy { retry_at, .. }
            | Self::ClientCoolingDown { retry_at }
            | Self::ClientLimitReached { retry_at, .. } => NextStep::Wait {
                wait: wait_until(*retry_at, now),
            },
            Self::ConversionTooLow {
                conversion_percent: Some(_),
                retry_at,
                ..
            } => NextStep::Wait {
                wait: wait_until(*retry_at, now),
            },
            Self::ConversionTooLow {
                conversion_percent: None,
                ..
            } => NextStep::NumberCannotReceive,
            Self::TrustValidationLimitReached { .. } => NextStep::StartOver,
            Self::CountryNotAllowed | Self::PrefixDenied | Self::NumberKindDenied { .. } => {
                NextStep::NumberCannotReceive
            }
            Self::ChannelNotOffered { .. } => NextStep::ChannelUnavailable,
        }
    }
}

impl TellsNextStep for SendCodeError {
    /// A code that may have gone out is never "try again": [`NextStep::CodeMayBeOnItsWay`]
    /// (or [`NextStep::UseCodeSent`] when it went out and only its record failed).
    fn next_step(&self, now: DateTime<Utc>) -> NextStep {
        match self {
            Self::Refused(refusal) => refusal.next_step(now),
            Self::Store(_) => NextStep::StoreDown,
            Self::SentButNotRecorded { .. } => NextStep::UseCodeSent,
            Self::Gateway(gateway) | Self::FailedAndNotRecorded { gateway, .. } => {
                NextStep::after_send_failure(gateway)
            }
            // The cancel failed, so no send was made, whatever the cancel's failure says.
            Self::PendingElsewhere { source, .. } => NextStep::after_gateway(source),
        }
    }
}

impl TellsNextStep for CheckRefusal {
    /// A new code, unless the whole verification has had its checks.
    fn next_step(&self, _now: DateTime<Utc>) -> NextStep {
        match self {
            Self::NoCodeSent | Self::CodeExpired { .. } | Self::TooManyAttempts { .. } => {
                NextStep::CodeGone
            }
            Self::TooManyChecks { .. } => NextStep::StartOver,
        }
    }
}

impl TellsNextStep for CheckCodeError {
    /// A check the provider answered says what its verdict says, recorded or not.
    fn next_step(&self, now: DateTime<Utc>) -> NextStep {
        match self {
            Self::Refused(refusal) => refusal.next_step(now),
            Self::NoPendingCode { .. } => NextStep::CodeGone,
            Self::NumberNeeded { .. } => NextStep::ServiceMisconfigured,
            Self::Store(_) => NextStep::StoreDown,
            Self::CheckedButNotRecorded { result, .. } => {
                NextStep::after_verdict(result.verdict(), None)
            }
            Self::Gateway(gateway) | Self::FailedAndNotRecorded { gateway, .. } => {
                NextStep::after_check_failure(gateway)
            }
        }
    }
}

impl TellsNextStep for SentCode {
    /// [`NextStep::UseCodeSent`].
    fn next_step(&self, _now: DateTime<Utc>) -> NextStep {
        NextStep::UseCodeSent
    }
}

impl TellsNextStep for CheckedCode {
    /// [`NextStep::Verified`], [`NextStep::WrongCode`] with the tries left, or
    /// [`NextStep::CodeGone`].
    fn next_step(&self, _now: DateTime<Utc>) -> NextStep {
        NextStep::after_verdict(self.verdict(), self.tries_left)
    }
}

impl<T: TellsNextStep, E: TellsNextStep> TellsNextStep for Result<T, E> {
    /// The step of the answer or of the error.
    fn next_step(&self, now: DateTime<Utc>) -> NextStep {
        match self {
            Ok(answer) => answer.next_step(now),
            Err(error) => error.next_step(now),
        }
    }
}

impl<T: TellsNextStep + ?Sized> TellsNextStep for &T {
    fn next_step(&self, now: DateTime<Utc>) -> NextStep {
        (**self).next_step(now)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone};
    use phone_verify_domain::{
        CheckResult, CodeState, DeliveryState, DeliveryStatus, FieldErrors, NumberKind,
        VerificationStatus,
    };

    use super::*;
    use crate::{AttemptId, StoreError};

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1_778_752_800, 0)
            .single()
            .expect("a valid instant")
    }

    fn secs(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
    }

    fn store_down() -> StoreError {
        StoreError::unavailable("the database is down")
    }

    fn rejected(kind: RejectionKind) -> GatewayError {
        GatewayError::Rejected {
            kind,
            status: 422,
            message: None,
            field_errors: FieldErrors::default(),
        }
    }

    fn rate_limited(kind: RateLimitKind, retry_after: Option<Duration>) -> GatewayError {
        GatewayError::RateLimited {
            retry_after,
            kind,
            provider_code: None,
        }
    }

    fn answer(code_state: CodeState) -> CheckResult {
        CheckResult {
            code_state,
            verification_status: VerificationStatus::Pending,
            delivery: DeliveryStatus {
                state: DeliveryState::NotReported,
                updated_on: None,
            },
            reference: None,
            checked_at: now(),
        }
    }

    const ATTEMPT: AttemptId = AttemptId::from_u128(7);

    #[test]
    fn every_send_error_says_what_now_and_a_possible_send_is_never_retried() {
        let in_30s = now() + TimeDelta::seconds(30);
        let cases = [
            (
                SendCodeError::Refused(SendRefusal::CoolingDown { retry_at: in_30s }),
                NextStep::Wait { wait: secs(30) },
            ),
            (
                SendCodeError::Refused(SendRefusal::NumberLimitReached {
                    limit: 5,
                    window: secs(3600),
                    retry_at: now() - TimeDelta::seconds(1),
                }),
                NextStep::Wait { wait: secs(0) },
            ),
            (
                SendCodeError::Refused(SendRefusal::CountryBudgetSpent {
                    calling_code: "+60".into(),
                    limit: 1000,
                    window: secs(3600),
                    retry_at: in_30s,
                }),
                NextStep::Wait { wait: secs(30) },
            ),
            (
                SendCodeError::Refused(SendRefusal::NumberRangeBusy {
                    limit: 3,
                    window: secs(3600),
                    retry_at: in_30s,
                }),
                NextStep::Wait { wait: secs(30) },
            ),
            (
                SendCodeError::Refused(SendRefusal::ConversionTooLow {
                    calling_code: "+63".into(),
                    scope: crate::BreakerScope::Prefix { national_digits: 3 },
                    conversion_percent: Some(2),
                    retry_at: in_30s,
                }),
                NextStep::Wait { wait: secs(30) },
            ),
            (
                SendCodeError::Refused(SendRefusal::ConversionTooLow {
                    calling_code: "+63".into(),
                    scope: crate::BreakerScope::Country,
                    conversion_percent: None,
                    retry_at: in_30s,
                }),
                NextStep::NumberCannotReceive,
            ),
            (
                SendCodeError::Refused(SendRefusal::ClientCoolingDown { retry_at: in_30s }),
                NextStep::Wait { wait: secs(30) },
            ),
            (
                SendCodeError::Refused(SendRefusal::ClientLimitReached {
                    limit: 10,
                    window: secs(3600),
                    retry_at: in_30s,
                }),
                NextStep::Wait { wait: secs(30) },
            ),
            (
                SendCodeError::Refused(SendRefusal::TrustValidationLimitReached { limit: 5 }),
                NextStep::StartOver,
            ),
            (
                SendCodeError::Refused(SendRefusal::CountryNotAllowed),
                NextStep::NumberCannotReceive,
            ),
            (
                SendCodeError::Refused(SendRefusal::PrefixDenied),
                NextStep::NumberCannotReceive,
            ),
            (
                SendCodeError::Refused(SendRefusal::NumberKindDenied {
                    kind: NumberKind::Voip,
                }),
                NextStep::NumberCannotReceive,
            ),
            (
                SendCodeError::Refused(SendRefusal::ChannelNotOffered {
                    channel: phone_verify_domain::Channel::WhatsApp,
                }),
                NextStep::ChannelUnavailable,
            ),
            (SendCodeError::Store(store_down()), NextStep::StoreDown),
            (
                SendCodeError::Gateway(GatewayError::OutcomeUnknown {
                    source: "timed out".into(),
                }),
                NextStep::CodeMayBeOnItsWay,
            ),
            (
                SendCodeError::Gateway(GatewayError::ProviderFault {
                    status: 503,
                    retry_after: Some(secs(5)),
                }),
                NextStep::CodeMayBeOnItsWay,
            ),
            (
                SendCodeError::Gateway(GatewayError::Unavailable {
                    status: 503,
                    retry_after: Some(secs(5)),
                }),
                NextStep::ProviderDown {
                    retry_after: Some(secs(5)),
                },
            ),
            (
                SendCodeError::Gateway(GatewayError::NotSent {
                    source: "refused".into(),
                }),
                NextStep::ProviderDown { retry_after: None },
            ),
            (
                SendCodeError::Gateway(GatewayError::Unauthorized),
                NextStep::ServiceMisconfigured,
            ),
            (
                SendCodeError::Gateway(rejected(RejectionKind::InvalidRequest)),
                NextStep::NumberCannotReceive,
            ),
            (
                SendCodeError::Gateway(rejected(RejectionKind::NotFound)),
                NextStep::ServiceMisconfigured,
            ),
            (
                SendCodeError::Gateway(rate_limited(RateLimitKind::CodeAlreadySent, None)),
                NextStep::UseCodeSent,
            ),
            (
                SendCodeError::Gateway(rate_limited(RateLimitKind::Account, Some(secs(9)))),
                NextStep::Wait { wait: secs(9) },
            ),
            (
                SendCodeError::Gateway(rate_limited(RateLimitKind::Unspecified, None)),
                NextStep::Wait {
                    wait: DEFAULT_PROVIDER_WAIT,
                },
            ),
            (
                SendCodeError::FailedAndNotRecorded {
                    attempt: ATTEMPT,
                    gateway: GatewayError::OutcomeUnknown {
                        source: "reset".into(),
                    },
                    source: store_down(),
                },
                NextStep::CodeMayBeOnItsWay,
            ),
            (
                SendCodeError::PendingElsewhere {
                    attempt: ATTEMPT,
                    source: GatewayError::OutcomeUnknown {
                        source: "timed out".into(),
                    },
                },
                NextStep::ProviderDown { retry_after: None },
            ),
        ];
        for (error, expected) in cases {
            let step = error.next_step(now());
            assert_eq!(step, expected, "{error:?}");
            if error.may_have_been_sent() {
                assert!(
                    matches!(step, NextStep::CodeMayBeOnItsWay | NextStep::UseCodeSent),
                    "a send that may have gone out must not be retried: {error:?} -> {step}"
                );
            }
        }
    }

    #[test]
    fn every_check_error_and_verdict_says_what_now() {
        let cases = [
            (
                CheckCodeError::Refused(CheckRefusal::NoCodeSent),
                NextStep::CodeGone,
            ),
            (
                CheckCodeError::Refused(CheckRefusal::CodeExpired { expired_at: now() }),
                NextStep::CodeGone,
            ),
            (
                CheckCodeError::Refused(CheckRefusal::TooManyAttempts { limit: 5 }),
                NextStep::CodeGone,
            ),
            (
                CheckCodeError::Refused(CheckRefusal::TooManyChecks { limit: 20 }),
                NextStep::StartOver,
            ),
            (
                CheckCodeError::NoPendingCode { attempt: ATTEMPT },
                NextStep::CodeGone,
            ),
            (
                CheckCodeError::NumberNeeded { attempt: ATTEMPT },
                NextStep::ServiceMisconfigured,
            ),
            (CheckCodeError::Store(store_down()), NextStep::StoreDown),
            (
                CheckCodeError::Gateway(GatewayError::OutcomeUnknown {
                    source: "timed out".into(),
                }),
                NextStep::ProviderDown { retry_after: None },
            ),
            (
                CheckCodeError::Gateway(rejected(RejectionKind::InvalidRequest)),
                NextStep::CodeGone,
            ),
            (
                CheckCodeError::Gateway(GatewayError::Unauthorized),
                NextStep::ServiceMisconfigured,
            ),
            (
                CheckCodeError::CheckedButNotRecorded {
                    attempt: ATTEMPT,
                    result: answer(CodeState::Valid),
                    source: store_down(),
                },
                NextStep::Verified,
            ),
            (
                CheckCodeError::FailedAndNotRecorded {
                    attempt: ATTEMPT,
                    gateway: rate_limited(RateLimitKind::NumberBusy, Some(secs(2))),
                    source: store_down(),
                },
                NextStep::Wait { wait: secs(2) },
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.next_step(now()), expected, "{error:?}");
        }
        let checked = |code_state, tries_left| CheckedCode {
            attempt: ATTEMPT,
            send: ATTEMPT,
            result: answer(code_state),
            tries_left,
        };
        for (checked, expected) in [
            (checked(CodeState::Valid, Some(4)), NextStep::Verified),
            (
                checked(CodeState::Invalid, Some(2)),
                NextStep::WrongCode {
                    tries_left: Some(2),
                },
            ),
            (checked(CodeState::Expired, None), NextStep::CodeGone),
            (
                checked(CodeState::MaxAttemptsExceeded, None),
                NextStep::CodeGone,
            ),
            (
                checked(CodeState::Other("weird".into()), None),
                NextStep::CodeGone,
            ),
        ] {
            assert_eq!(checked.next_step(now()), expected, "{checked:?}");
            let answer: Result<CheckedCode, CheckCodeError> = Ok(checked);
            assert_eq!(answer.next_step(now()), expected);
        }
    }

    #[test]
    fn the_names_are_stable_and_distinct() {
        let steps = [
            NextStep::UseCodeSent,
            NextStep::Verified,
            NextStep::Wait { wait: secs(1) },
            NextStep::CodeMayBeOnItsWay,
            NextStep::NumberCannotReceive,
            NextStep::WrongCode { tries_left: None },
            NextStep::CodeGone,
            NextStep::StartOver,
            NextStep::ChannelUnavailable,
            NextStep::ServiceMisconfigured,
            NextStep::ProviderDown { retry_after: None },
            NextStep::StoreDown,
        ];
        let names: Vec<String> = steps.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "use_code_sent",
                "verified",
                "wait",
                "code_may_be_on_its_way",
                "number_cannot_receive",
                "wrong_code",
                "code_gone",
                "start_over",
                "channel_unavailable",
                "service_misconfigured",
                "provider_down",
                "store_down"
            ]
        );
        assert_eq!(steps[2].retry_after(), Some(secs(1)));
        assert_eq!(steps[0].retry_after(), None);
    }
}
