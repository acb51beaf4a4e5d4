//! What the store keeps of each attempt: who, which trust flow and validation, when, the
//! provider's reference, and the outcome. Never the code. Each record shows as one line for
//! operators (`Display`, in `display`), its number masked.

use std::time::Duration;

use chrono::{DateTime, Utc};
use phone_verify_domain::{
    Channel, CheckVerdict, ErrorClass, GatewayError, ProviderName, ReferenceId, RejectionKind,
    TrustValidationId, VerificationStatus,
};

use crate::{AttemptId, CheckTarget, GuardKey, NumberLookup, StoredNumber};

mod display;

/// Why the provider refused a send or a check it understood.
///
/// Not `#[non_exhaustive]`: stores record every reason by its stable name (`as_str`, read back
/// with `FromStr`), and a new reason must be a compile error where it is mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalReason {
    /// A field was invalid (HTTP 422).
    InvalidRequest,
    /// The trust validation, trust flow or reference is unknown to the provider (HTTP 404).
    NotFound,
    /// The token may not do this (HTTP 403).
    Forbidden,
    /// The provider said `success: false` without a more specific reason.
    Unsuccessful,
    /// The provider refused the token (HTTP 401).
    Unauthorized,
}

phone_verify_domain::stable_names!(RefusalReason, "refusal reason", {
    InvalidRequest => "invalid_request",
    NotFound => "not_found",
    Forbidden => "forbidden",
    Unsuccessful => "unsuccessful",
    Unauthorized => "unauthorized",
});

impl RefusalReason {
    fn of(kind: RejectionKind) -> Self {
        match kind {
            RejectionKind::InvalidRequest => Self::InvalidRequest,
            RejectionKind::NotFound => Self::NotFound,
            RejectionKind::Forbidden => Self::Forbidden,
            RejectionKind::Unsuccessful => Self::Unsuccessful,
        }
    }
}

/// How a send ended. A send whose outcome was never recorded reads as
/// [`SendOutcome::OutcomeUnknown`] without a class (see [`SendRecord::outcome`]).
///
/// Not `#[non_exhaustive]`: every store maps every outcome to what it writes, and a new
/// outcome must be a compile error there, not a run-time "unrepresentable".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The provider accepted the send.
    Sent {
        /// The provider's id of the send.
        reference: ReferenceId,
        /// When the provider says it accepted the send (its `submitTime`), on the provider's
        /// clock: the order in which the provider processed sends, which decides whose code
        /// is live. `None` when the send was closed from a check's answer (the process died
        /// before recording the provider's receipt) or recorded before this was kept.
        submitted_at: Option<DateTime<Utc>>,
    },
    /// The provider refused the send; nothing went out.
    Refused {
        /// Why.
        reason: RefusalReason,
    },
    /// The provider rate-limited the send; nothing went out.
    RateLimited {
        /// How long the provider asked to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// The request provably did not reach the provider (or its own API said it turned it away
    /// unprocessed, [`GatewayError::Unavailable`]); nothing went out.
    NotSent {
        /// The failure.
        class: ErrorClass,
    },
    /// A code may or may not have gone out.
    OutcomeUnknown {
        /// The failure; `None` when the outcome was never recorded (a crash or a store
        /// failure after the provider call).
        class: Option<ErrorClass>,
    },
}

impl SendOutcome {
    /// The outcome a gateway answer leads to: a failure that may have sent anything is
    /// "outcome unknown", whatever its class.
    pub fn from_gateway(answer: &Result<phone_verify_domain::SendReceipt, GatewayError>) -> Self {
        match answer {
            Ok(receipt) => Self::Sent {
                reference: receipt.reference.clone(),
                submitted_at: Some(receipt.submitted_at),
            },
            Err(error) if error.may_have_been_sent() => Self::OutcomeUnknown {
                class: Some(error.class()),
            },
            Err(GatewayError::Rejected { kind, .. }) => Self::Refused {
                reason: RefusalReason::of(*kind),
            },
            Err(GatewayError::Unauthorized) => Self::Refused {
                reason: RefusalReason::Unauthorized,
            },
            Err(GatewayError::RateLimited { retry_after, .. }) => Self::RateLimited {
                retry_after: *retry_after,
            },
            // Every variant, not a wildcard: a new one must be placed here by hand. The ones
            // that may have sent never get this far (the first arm).
            Err(
                error @ (GatewayError::NotSent { .. }
                | GatewayError::RequestNotBuilt { .. }
                | GatewayError::ProviderFault { .. }
                | GatewayError::Unavailable { .. }
                | GatewayError::OutcomeUnknown { .. }
                | GatewayError::InvalidResponse { .. }),
            ) => Self::NotSent {
                class: error.class(),
            },
        }
    }

    /// Whether a code may have reached the end user: sent or outcome unknown. Only these
    /// count against the send limits, and only these can be checked.
    pub fn may_have_delivered(&self) -> bool {
        matches!(self, Self::Sent { .. } | Self::OutcomeUnknown { .. })
    }

    /// What a store records when the send's outcome arrives after a check already closed the
    /// send as sent with `reference` (see [`VerificationStore::finish_check`]): the provider's
    /// receipt of that same send completes the record (its submit time); an unknown outcome
    /// (the call timed out although the code arrived) leaves the record as the check wrote it.
    /// `None` for any other outcome: it contradicts the record, a conflict.
    ///
    /// [`VerificationStore::finish_check`]: crate::VerificationStore::finish_check
    pub fn after_closed_by_check(&self, reference: &ReferenceId) -> Option<SendOutcome> {
        match self {
            Self::Sent {
                reference: answered,
                ..
            } if answered == reference => Some(self.clone()),
            Self::OutcomeUnknown { .. } => Some(Self::Sent {
                reference: reference.clone(),
                submitted_at: None,
            }),
            Self::Sent { .. }
            | Self::Refused { .. }
            | Self::RateLimited { .. }
            | Self::NotSent { .. } => None,
        }
    }
}

/// Where a send stands: in flight between the provider call and the recording of its
/// outcome, or finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendState {
    /// Recorded before the provider call; no outcome yet. Reads as outcome unknown.
    InFlight,
    /// The outcome is recorded.
    Finished {
        /// When the outcome was recorded.
        at: DateTime<Utc>,
        /// The outcome.
        outcome: SendOutcome,
    },
}

/// A send to be recorded, before the provider is called.
///
/// It holds the number as the store keeps it, never more: in clear for a store that keeps
/// numbers in clear, its digest and masked form for a protected one. The use case makes both
/// fields from the store's own [`crate::NumberProtection`] ([`NumberProtection::at_rest`],
/// [`NumberProtection::lookup`]).
///
/// [`NumberProtection::at_rest`]: crate::NumberProtection::at_rest
/// [`NumberProtection::lookup`]: crate::NumberProtection::lookup
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSend {
    /// The attempt's id.
    pub id: AttemptId,
    /// Who receives the code, as the record keeps it (`Debug` masks it).
    pub number: StoredNumber,
    /// How the earlier sends to the same number are found: the guards per number count the
    /// sends whose number this lookup matches ([`StoredNumber::matches`]).
    pub lookup: NumberLookup,
    /// The trust validation.
    pub trust_validation: TrustValidationId,
    /// The provider the send goes to.
    pub provider: ProviderName,
    /// How the code goes out (the request's channel).
    pub channel: Channel,
    /// The number's range, when the guard of ranges is on ([`crate::SendLimits::number_ranges`]).
    pub range: Option<GuardKey>,
    /// The number's prefix, when the conversion breaker measures prefixes
    /// ([`crate::BreakerScope::Prefix`]): the range of the numbers sharing it, kept as a
    /// range is ([`crate::NumberProtection::range_of`]).
    pub prefix: Option<GuardKey>,
    /// The keyed digest of the end user's client, when the request names one and the guard of
    /// clients is on ([`crate::SendLimits::clients`]).
    pub client: Option<GuardKey>,
    /// When the attempt started.
    pub started_at: DateTime<Utc>,
}

/// One recorded send. `Debug` masks the phone number; `Display` is one line for operators,
/// the number masked (`send … to +60*****8491 via idmeta for tv-1: sent (reference …) at …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRecord {
    /// The attempt's id.
    pub id: AttemptId,
    /// Who receives the code, as the store keeps it: in full, or protected (a digest and the
    /// masked form); `Debug` masks it either way.
    pub number: StoredNumber,
    /// The trust validation.
    pub trust_validation: TrustValidationId,
    /// The provider the send went to: the one that holds its code, so the one a check of it
    /// goes to. Records written before providers were named read as
    /// [`ProviderName::idmeta`].
    pub provider: ProviderName,
    /// How the code went out. Records written before channels were recorded read as
    /// [`Channel::Sms`], the only channel there was.
    pub channel: Channel,
    /// When the attempt started (before the provider call).
    pub started_at: DateTime<Utc>,
    /// In flight or finished.
    pub state: SendState,
}

impl SendRecord {
    /// A send just reserved: in flight.
    pub fn in_flight(send: NewSend) -> Self {
        Self {
            id: send.id,
            number: send.number,
            trust_validation: send.trust_validation,
            provider: send.provider,
            channel: send.channel,
            started_at: send.started_at,
            state: SendState::InFlight,
        }
    }

    /// The outcome as a reader should take it: a send still in flight (its outcome never
    /// recorded) reads as [`SendOutcome::OutcomeUnknown`] without a class, never as nothing.
    pub fn outcome(&self) -> SendOutcome {
        match &self.state {
            SendState::InFlight => SendOutcome::OutcomeUnknown { class: None },
            SendState::Finished { outcome, .. } => outcome.clone(),
        }
    }

    /// The provider's reference, once the send is recorded as sent.
    pub fn reference(&self) -> Option<&ReferenceId> {
        match &self.state {
            SendState::Finished {
                outcome: SendOutcome::Sent { reference, .. },
                ..
            } => Some(reference),
            _ => None,
        }
    }

    /// When the provider says it accepted the send, when it said and it was recorded.
    pub fn submitted_at(&self) -> Option<DateTime<Utc>> {
        match &self.state {
            SendState::Finished {
                outcome: SendOutcome::Sent { submitted_at, .. },
                ..
            } => *submitted_at,
            _ => None,
        }
    }

    /// When the outcome was recorded; `None` in flight.
    pub fn finished_at(&self) -> Option<DateTime<Utc>> {
        match &self.state {
            SendState::InFlight => None,
            SendState::Finished { at, .. } => Some(*at),
        }
    }

    /// Whether a code may have reached the end user (in flight, sent or outcome unknown).
    pub fn may_have_delivered(&self) -> bool {
        // Read in place, not through `outcome()`: the guards ask it of every earlier send,
        // and a copy of the outcome was an allocation (its reference) each time.
        match &self.state {
            SendState::InFlight => true,
            SendState::Finished { outcome, .. } => outcome.may_have_delivered(),
        }
    }
}

/// How a check ended. The code itself is never recorded.
///
/// Not `#[non_exhaustive]`, for the same reason as [`SendOutcome`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The provider answered; a wrong code is an answer too.
    Answered {
        /// What the answer means.
        verdict: CheckVerdict,
        /// The trust validation's status after the check.
        status: VerificationStatus,
        /// The reference of the send the provider checked the code against, when it said:
        /// the store records it on the check (and on a send still in flight, which it closes
        /// as sent), and moves the check to the send of that reference. Read back, it is the
        /// check's reference ([`CheckRecord::reference`]): the one the check named when the
        /// provider did not say.
        reference: Option<ReferenceId>,
    },
    /// The provider holds no pending code for the trust validation (HTTP 404 on a check): the
    /// send is unknown to it, was replaced by a newer send, or expired or was used. Nothing
    /// was checked, so the attempt does not count; the end user needs a new code.
    NoPendingCode,
    /// The request provably did not reach the provider, or it refused it unprocessed: the
    /// attempt was not counted there and is not counted here.
    NotChecked {
        /// The failure.
        class: ErrorClass,
    },
    /// The provider may have counted the attempt without us learning the answer.
    OutcomeUnknown {
        /// The failure; `None` when the outcome was never recorded.
        class: Option<ErrorClass>,
    },
}

impl CheckOutcome {
    /// The outcome a gateway answer leads to.
    pub fn from_gateway(answer: &Result<phone_verify_domain::CheckResult, GatewayError>) -> Self {
        match answer {
            Ok(result) => Self::Answered {
                verdict: result.verdict(),
                status: result.verification_status.clone(),
                reference: result.reference.clone(),
            },
            Err(error) if error.may_have_been_sent() => Self::OutcomeUnknown {
                class: Some(error.class()),
            },
            Err(GatewayError::Rejected {
                kind: RejectionKind::NotFound,
                ..
            }) => Self::NoPendingCode,
            // Every variant, not a wildcard, as for a send.
            Err(
                error @ (GatewayError::NotSent { .. }
                | GatewayError::RequestNotBuilt { .. }
                | GatewayError::Rejected { .. }
                | GatewayError::Unauthorized
                | GatewayError::RateLimited { .. }
                | GatewayError::ProviderFault { .. }
                | GatewayError::Unavailable { .. }
                | GatewayError::OutcomeUnknown { .. }
                | GatewayError::InvalidResponse { .. }),
            ) => Self::NotChecked {
                class: error.class(),
            },
        }
    }

    /// Whether the check counts against the attempt limit: everything that may have reached
    /// the provider and been counted there (not a check that never arrived, nor one the
    /// provider had no code for).
    pub fn counts_as_attempt(&self) -> bool {
        !matches!(self, Self::NotChecked { .. } | Self::NoPendingCode)
    }
}

/// Where a check stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckState {
    /// Recorded before the provider call; no outcome yet. Reads as outcome unknown.
    InFlight,
    /// The outcome is recorded.
    Finished {
        /// When the outcome was recorded.
        at: DateTime<Utc>,
        /// The outcome.
        outcome: CheckOutcome,
    },
}

/// A check to be recorded, before the provider is called. Which send it goes to is chosen
/// by the store inside the reservation ([`crate::VerificationStore::reserve_check`]), from the
/// sends recorded at that moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheck {
    /// The attempt's id.
    pub id: AttemptId,
    /// The trust validation whose code is checked.
    pub trust_validation: TrustValidationId,
    /// When the attempt started.
    pub started_at: DateTime<Utc>,
}

/// One recorded check. `Debug` masks the phone number; the code is not in it. `Display` is
/// one line for operators, the number masked (`check … of send … to +60*****8491 for tv-1:
/// wrong_code at …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRecord {
    /// The attempt's id.
    pub id: AttemptId,
    /// The send the code belongs to.
    pub send: AttemptId,
    /// The number of that send, as the store keeps it.
    pub number: StoredNumber,
    /// The trust validation.
    pub trust_validation: TrustValidationId,
    /// The provider's reference of the send, when known.
    pub reference: Option<ReferenceId>,
    /// When the attempt started (before the provider call).
    pub started_at: DateTime<Utc>,
    /// In flight or finished.
    pub state: CheckState,
}

impl CheckRecord {
    /// A check just reserved against `target`: in flight, with the send's number (as the
    /// send keeps it) and trust flow, and the reference the check names (none when it is not
    /// narrowed to the send).
    pub fn in_flight(check: NewCheck, target: &CheckTarget) -> Self {
        Self {
            id: check.id,
            send: target.send.id,
            number: target.send.number.clone(),
            trust_validation: check.trust_validation,
            reference: target.reference().cloned(),
            started_at: check.started_at,
            state: CheckState::InFlight,
        }
    }

    /// The outcome as a reader should take it: in flight reads as
    /// [`CheckOutcome::OutcomeUnknown`] without a class.
    pub fn outcome(&self) -> CheckOutcome {
        match &self.state {
            CheckState::InFlight => CheckOutcome::OutcomeUnknown { class: None },
            CheckState::Finished { outcome, .. } => outcome.clone(),
        }
    }

    /// Whether the check counts against the attempt limit.
    pub fn counts_as_attempt(&self) -> bool {
        self.outcome().counts_as_attempt()
    }
}

/// One recorded attempt of either kind, as history lists them. `Display` is the line of
/// the send or of the check, the number masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptRecord {
    /// A send.
    Send(SendRecord),
    /// A check.
    Check(CheckRecord),
}

impl AttemptRecord {
    /// The attempt's id.
    pub fn id(&self) -> AttemptId {
        match self {
            Self::Send(send) => send.id,
            Self::Check(check) => check.id,
        }
    }

    /// When the attempt started.
    pub fn started_at(&self) -> DateTime<Utc> {
        match self {
            Self::Send(send) => send.started_at,
            Self::Check(check) => check.started_at,
        }
    }

    /// The number, as the store keeps it (`Debug` and `Display` mask it).
    pub fn number(&self) -> &StoredNumber {
        match self {
            Self::Send(send) => &send.number,
            Self::Check(check) => &check.number,
        }
    }

    /// The trust validation.
    pub fn trust_validation(&self) -> &TrustValidationId {
        match self {
            Self::Send(send) => &send.trust_validation,
            Self::Check(check) => &check.trust_validation,
        }
    }

    /// The provider's reference of the send involved, when known.
    pub fn reference(&self) -> Option<&ReferenceId> {
        match self {
            Self::Send(send) => send.reference(),
            Self::Check(check) => check.reference.as_ref(),
        }
    }

    /// Whether the outcome was never recorded.
    pub fn is_in_flight(&self) -> bool {
        matches!(
            self,
            Self::Send(SendRecord {
                state: SendState::InFlight,
                ..
            }) | Self::Check(CheckRecord {
                state: CheckState::InFlight,
                ..
            })
        )
    }
}
