//! What is asked of the provider and what it answered, for the two operations.

use chrono::{DateTime, Utc};

use crate::{
    CodeState, DeliveryStatus, OtpCode, PhoneNumber, ReferenceId, TrustValidationId,
    VerificationStatus,
};

/// Ask the provider to send a code by SMS.
///
/// Every field is already validated, so a request that exists is well formed. `Debug` masks the
/// phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendCodeRequest {
    /// Who receives the SMS.
    pub phone: PhoneNumber,
    /// The Trust Validation (one run of the flow for one end user).
    pub trust_validation: TrustValidationId,
}

/// What the provider answered to a send it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    /// The provider's id of this send; pass it to the check.
    pub reference: ReferenceId,
    /// When the provider accepted the send.
    pub submitted_at: DateTime<Utc>,
    /// The SMS delivery status at the time of the answer.
    pub delivery: DeliveryStatus,
    /// The code's state (normally [`CodeState::Unknown`] right after a send).
    pub code_state: CodeState,
    /// The Trust Validation's status (normally [`VerificationStatus::Pending`]).
    pub verification_status: VerificationStatus,
}

/// Ask the provider whether a code is the one it sent.
///
/// `Debug` masks the phone number and redacts the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckCodeRequest {
    /// The code the end user typed.
    pub code: OtpCode,
    /// The Trust Validation of the send.
    pub trust_validation: TrustValidationId,
    /// The send's reference, when known (narrows the check to that send).
    pub reference: Option<ReferenceId>,
    /// The number the code went to, when known.
    pub phone: Option<PhoneNumber>,
}

/// Ask the provider to end a pending code ([`crate::VerificationGateway::cancel_code`]).
///
/// `Debug` masks the phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelCodeRequest {
    /// The reference of the send whose code is to end.
    pub reference: ReferenceId,
    /// The number the code went to, when known.
    pub phone: Option<PhoneNumber>,
}

/// How a check ended, read from the code state and the verification status together.
///
/// Not `#[non_exhaustive]`: stores record every verdict by its stable name, and a new verdict
/// must be a compile error where it is mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckVerdict {
    /// The code matched: the end user holds the number.
    Verified,
    /// The code did not match; the end user may try again.
    WrongCode,
    /// The code's lifetime is over: send a new one.
    Expired,
    /// Too many wrong codes: send a new one (or give up).
    TooManyAttempts,
    /// The provider's answer does not say (an undocumented state): treat as not verified.
    Undetermined,
}

crate::stable_names!(CheckVerdict, "check verdict", {
    Verified => "verified",
    WrongCode => "wrong_code",
    Expired => "expired",
    TooManyAttempts => "too_many_attempts",
    Undetermined => "undetermined",
});

/// What the provider answered to a check. A wrong code is a result, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The state of the code after this check.
    pub code_state: CodeState,
    /// The Trust Validation's status after this check.
    pub verification_status: VerificationStatus,
    /// What the provider says of the SMS's delivery.
    pub delivery: DeliveryStatus,
    /// The reference of the send the check applied to, when the provider gave it.
    pub reference: Option<ReferenceId>,
    /// The provider's timestamp of the answer.
    pub checked_at: DateTime<Utc>,
}

impl CheckResult {
    /// The verdict: [`CheckVerdict::Verified`] only when the code state is
    /// [`CodeState::Valid`] and the status is not [`VerificationStatus::Rejected`] or
    /// [`VerificationStatus::Failed`]; any other combination, or a state kept as `Other`, is
    /// [`CheckVerdict::Undetermined`], never a success.
    pub fn verdict(&self) -> CheckVerdict {
        match (&self.code_state, &self.verification_status) {
            (_, VerificationStatus::Rejected | VerificationStatus::Failed)
                if self.code_state == CodeState::Valid =>
            {
                CheckVerdict::Undetermined
            }
            (CodeState::Valid, _) => CheckVerdict::Verified,
            (CodeState::Invalid, _) => CheckVerdict::WrongCode,
            (CodeState::Expired, _) => CheckVerdict::Expired,
            (CodeState::MaxAttemptsExceeded, _) => CheckVerdict::TooManyAttempts,
            _ => CheckVerdict::Undetermined,
        }
    }

    /// Whether the end user proved they hold the number.
    pub fn is_verified(&self) -> bool {
        self.verdict() == CheckVerdict::Verified
    }
}
