//! What the use cases emit through the `metrics` facade: every send and check by what became
//! of it, every provider call and store operation timed, the calls in flight and the records
//! left in flight. The names are [`phone_verify_domain::metric_names`]; the label values are
//! the stable names here and of the enums they come from; `docs/operations.md` has the table.
//!
//! Nothing here carries a number, a code, a token or an id: the only label that comes from the
//! request is the country calling code of a number a guard refused.

mod keys;

use std::future::Future;
use std::time::Instant;

use metrics::{Label, SharedString};
use phone_verify_domain::metric_names::{self as name, CLASS_OK, label};
use phone_verify_domain::{CheckVerdict, GatewayError, PhoneNumber};
use smallvec::{SmallVec, smallvec};

use crate::{
    CheckOutcome, CheckRefusal, ProviderName, SendOutcome, SendRefusal, StoreError, StoreOperation,
    VerificationStore,
};

/// What became of a send: the `outcome` of `phone_verify_sends_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendCounted {
    /// The provider accepted it and it is recorded.
    Sent,
    /// A guard refused it (`reason`, `country_code`); nothing was sent or recorded.
    Refused,
    /// The first write failed; the provider was not called.
    StoreFailed,
    /// The provider refused it (`reason`: its [`crate::RefusalReason`]).
    Rejected,
    /// The provider rate-limited it.
    RateLimited,
    /// It provably did not reach the provider.
    NotSent,
    /// A code may or may not have gone out.
    OutcomeUnknown,
    /// Sent, but its outcome could not be recorded (the record reads in flight).
    SentNotRecorded,
    /// Failed, and that could not be recorded either.
    FailedNotRecorded,
}

impl SendCounted {
    /// The stable name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Refused => "refused",
            Self::StoreFailed => "store_failed",
            Self::Rejected => "rejected",
            Self::RateLimited => "rate_limited",
            Self::NotSent => "not_sent",
            Self::OutcomeUnknown => "outcome_unknown",
            Self::SentNotRecorded => "sent_not_recorded",
            Self::FailedNotRecorded => "failed_not_recorded",
        }
    }
}

/// What became of a check: the `outcome` of `phone_verify_checks_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckCounted {
    /// The provider answered (`verdict`) and the answer is recorded.
    Answered,
    /// A guard refused it (`reason`); nothing was recorded.
    Refused,
    /// The reservation failed; the provider was not called.
    StoreFailed,
    /// The provider holds no pending code.
    NoPendingCode,
    /// It provably did not reach the provider, or was refused unprocessed.
    NotChecked,
    /// The provider may have counted the attempt without answering.
    OutcomeUnknown,
    /// Answered (`verdict`), but the answer could not be recorded.
    CheckedNotRecorded,
    /// Failed, and that could not be recorded either.
    FailedNotRecorded,
}

impl CheckCounted {
    /// The stable name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Refused => "refused",
            Self::StoreFailed => "store_failed",
            Self::NoPendingCode => "no_pending_code",
            Self::NotChecked => "not_checked",
            Self::OutcomeUnknown => "outcome_unknown",
            Self::CheckedNotRecorded => "checked_not_recorded",
            Self::FailedNotRecorded => "failed_not_recorded",
        }
    }
}

/// The provider operations: the `operation` of `phone_verify_provider_call_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProviderOperation {
    SendCode,
    CheckCode,
}

impl ProviderOperation {
    /// The stable name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::SendCode => "send_code",
            Self::CheckCode => "check_code",
        }
    }

    /// The kind of attempt it records: the `kind` of the in-flight metrics.
    fn attempt_kind(self) -> &'static str {
        match self {
            Self::SendCode => "send",
            Self::CheckCode => "check",
        }
    }
}

impl SendCounted {
    /// What became of a send whose provider call ended in `outcome`, its write `recorded` or
    /// not; with the provider's refusal reason for [`SendCounted::Rejected`].
    pub(crate) fn after_call(
        outcome: &SendOutcome,
        recorded: bool,
    ) -> (Self, Option<&'static str>) {
        match (outcome, recorded) {
            (SendOutcome::Sent { .. }, true) => (Self::Sent, None),
            (SendOutcome::Sent { .. }, false) => (Self::SentNotRecorded, None),
            (_, false) => (Self::FailedNotRecorded, None),
            (SendOutcome::Refused { reason }, true) => (Self::Rejected, Some(reason.as_str())),
            (SendOutcome::RateLimited { .. }, true) => (Self::RateLimited, None),
            (SendOutcome::NotSent { .. }, true) => (Self::NotSent, None),
            (SendOutcome::OutcomeUnknown { .. }, true) => (Self::OutcomeUnknown, None),
        }
    }
}

impl CheckCounted {
    /// What became of a check whose provider call ended in `outcome`, its write `recorded`
    /// or not; with the verdict when the provider answered.
    pub(crate) fn after_call(
        outcome: &CheckOutcome,
        recorded: bool,
    ) -> (Self, Option<CheckVerdict>) {
        match (outcome, recorded) {
            (CheckOutcome::Answered { verdict, .. }, true) => (Self::Answered, Some(*verdict)),
            (CheckOutcome::Answered { verdict, .. }, false) => {
                (Self::CheckedNotRecorded, Some(*verdict))
            }
            (_, false) => (Self::FailedNotRecorded, None),
            (CheckOutcome::NoPendingCode, true) => (Self::NoPendingCode, None),
            (CheckOutcome::NotChecked { .. }, true) => (Self::NotChecked, None),
            (CheckOutcome::OutcomeUnknown { .. }, true) => (Self::OutcomeUnknown, None),
        }
    }
}

/// The `country_code` label of a calling code: its digits, without `+` (`60`).
fn country_label(calling_code: &str) -> Label {
    Label::new(label::COUNTRY_CODE, keys::calling_code(calling_code))
}

/// The labels of one key, on the stack.
type Labels = SmallVec<[Label; 5]>;

/// Counts one send, with the country calling code of its number.
pub(crate) fn count_send(
    provider: &ProviderName,
    outcome: SendCounted,
    reason: Option<&'static str>,
    calling_code: &str,
) {
    let mut labels: Labels = smallvec![
        Label::new(label::PROVIDER, label_of(provider)),
        Label::new(label::OUTCOME, outcome.as_str()),
        country_label(calling_code),
    ];
    if let Some(reason) = reason {
        labels.push(Label::new(label::REASON, reason));
    }
    keys::counter(name::SENDS_TOTAL, &labels).increment(1);
}

/// Counts one send a guard refused, with the guard and the number's country calling code.
pub(crate) fn count_send_refusal(
    provider: &ProviderName,
    refusal: &SendRefusal,
    phone: &PhoneNumber,
) {
    count_send(
        provider,
        SendCounted::Refused,
        Some(refusal.as_str()),
        phone.country_calling_code(),
    );
}

/// Counts one check: its verdict when answered, the guard when refused, and the country
/// calling code of its send's number once the store chose the send.
pub(crate) fn count_check(
    provider: &ProviderName,
    outcome: CheckCounted,
    verdict: Option<CheckVerdict>,
    refusal: Option<&CheckRefusal>,
    calling_code: Option<&str>,
) {
    let mut labels: Labels = smallvec![
        Label::new(label::PROVIDER, label_of(provider)),
        Label::new(label::OUTCOME, outcome.as_str()),
    ];
    if let Some(calling_code) = calling_code {
        labels.push(country_label(calling_code));
    }
    if let Some(verdict) = verdict {
        labels.push(Label::new(label::VERDICT, verdict.as_str()));
    }
    if let Some(refusal) = refusal {
        labels.push(Label::new(label::REASON, refusal.as_str()));
    }
    keys::counter(name::CHECKS_TOTAL, &labels).increment(1);
}

/// Runs one provider call, timed by operation, provider and outcome class. The time includes
/// the adapter's own retries: it is what the end user waits for.
pub(crate) async fn provider_call<T>(
    provider: &ProviderName,
    operation: ProviderOperation,
    call: impl Future<Output = Result<T, GatewayError>>,
) -> Result<T, GatewayError> {
    let started = Instant::now();
    let answer = call.await;
    let class = answer
        .as_ref()
        .map_or_else(|error| error.class().as_str(), |_| CLASS_OK);
    keys::histogram(
        name::PROVIDER_CALL_SECONDS,
        &[
            Label::new(label::OPERATION, operation.as_str()),
            Label::new(label::PROVIDER, label_of(provider)),
            Label::new(label::CLASS, class),
        ],
    )
    .record(started.elapsed());
    answer
}

/// Runs one store operation, timed by operation and engine; a failure is counted by kind.
pub(crate) async fn store_call<T>(
    store: &dyn VerificationStore,
    operation: StoreOperation,
    call: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let started = Instant::now();
    let result = call.await;
    let engine = store.engine();
    keys::histogram(
        name::STORE_OPERATION_SECONDS,
        &[
            Label::new(label::OPERATION, operation.as_str()),
            Label::new(label::ENGINE, engine),
        ],
    )
    .record(started.elapsed());
    if let Err(error) = &result {
        keys::counter(
            name::STORE_ERRORS_TOTAL,
            &[
                Label::new(label::OPERATION, operation.as_str()),
                Label::new(label::ENGINE, engine),
                Label::new(label::KIND, error.kind_name()),
            ],
        )
        .increment(1);
    }
    result
}

/// A provider call between its reservation and the recording of its outcome: counted in
/// `phone_verify_calls_in_flight` while it lasts. Ended by [`InFlight::recorded`]; dropped
/// without it (the use case's future was cancelled), the record stays in flight and is
/// counted as left so.
pub(crate) struct InFlight {
    operation: ProviderOperation,
    provider: SharedString,
    ended: bool,
}

impl InFlight {
    /// A call reserved in the store, about to be made.
    pub(crate) fn start(provider: &ProviderName, operation: ProviderOperation) -> Self {
        let call = Self {
            operation,
            provider: label_of(provider),
            ended: false,
        };
        call.gauge().increment(1.0);
        call
    }

    /// The outcome write returned: `written` or not (the record stays in flight).
    pub(crate) fn recorded(mut self, written: bool) {
        self.end((!written).then_some("store_failed"));
    }

    fn gauge(&self) -> metrics::Gauge {
        keys::gauge(
            name::CALLS_IN_FLIGHT,
            &[
                Label::new(label::KIND, self.operation.attempt_kind()),
                Label::new(label::PROVIDER, self.provider.clone()),
            ],
        )
    }

    fn end(&mut self, left_in_flight: Option<&'static str>) {
        self.ended = true;
        self.gauge().decrement(1.0);
        if let Some(cause) = left_in_flight {
            keys::counter(
                name::RECORDS_LEFT_IN_FLIGHT_TOTAL,
                &[
                    Label::new(label::KIND, self.operation.attempt_kind()),
                    Label::new(label::PROVIDER, self.provider.clone()),
                    Label::new(label::CAUSE, cause),
                ],
            )
            .increment(1);
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.ended {
            self.end(Some("cancelled"));
        }
    }
}

/// A provider's name as a label value (no copy for the names the program spells).
fn label_of(provider: &ProviderName) -> metrics::SharedString {
    provider.to_cow().into()
}
