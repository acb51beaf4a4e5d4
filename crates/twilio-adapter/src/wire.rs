//! Twilio Verify's wire format, private: form-encoded PascalCase requests, snake_case JSON
//! answers, and the one place where an answer becomes domain types.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use phone_verify_domain::{
    CheckCodeRequest, CodeState, DeliveryState, DeliveryStatus, ReferenceId, SendCodeRequest,
    VerificationStatus,
};
use phone_verify_http::{Unreadable, parse_timestamp};
use serde::Deserialize;

/// The only channel the port offers.
const CHANNEL: &str = "sms";

/// `To=<E.164>&Channel=sms`. The Trust Flow and Trust Validation have no Twilio meaning and are
/// not sent.
pub(crate) fn send_form(request: &SendCodeRequest) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("To", request.phone.e164())
        .append_pair("Channel", CHANNEL)
        .finish()
}

/// A check with neither the send's reference nor the number: Twilio has nothing to find the
/// verification by, so the request cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a check needs the send's reference or the phone number")]
pub(crate) struct Unaddressed;

/// `Code=…&VerificationSid=VE…` when the send's reference is known, else `Code=…&To=<E.164>`.
pub(crate) fn check_form(request: &CheckCodeRequest) -> Result<String, Unaddressed> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Code", request.code.expose());
    match (&request.reference, &request.phone) {
        (Some(reference), _) => form.append_pair("VerificationSid", reference.as_str()),
        (None, Some(phone)) => form.append_pair("To", phone.e164()),
        (None, None) => return Err(Unaddressed),
    };
    Ok(form.finish())
}

/// A verification (send) or verification check resource. Only what we use is declared; strings
/// borrow from the body where they can.
#[derive(Deserialize)]
pub(crate) struct Verification<'a> {
    #[serde(borrow)]
    sid: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
    valid: Option<bool>,
    #[serde(borrow)]
    date_created: Option<Cow<'a, str>>,
    #[serde(borrow)]
    date_updated: Option<Cow<'a, str>>,
}

/// Twilio's error body: `{"code", "message", "more_info", "status"}`, decoded best effort.
#[derive(Deserialize, Default)]
pub(crate) struct ErrorBody {
    pub(crate) code: Option<u32>,
    pub(crate) message: Option<String>,
}

/// The port's reading of a verification's `status`.
pub(crate) struct Reading {
    pub(crate) code_state: CodeState,
    pub(crate) verification_status: VerificationStatus,
}

/// What a decoded resource says, in domain terms.
pub(crate) struct Resource {
    pub(crate) reference: ReferenceId,
    pub(crate) status: String,
    pub(crate) valid: Option<bool>,
    pub(crate) created: DateTime<Utc>,
    pub(crate) updated: Option<DateTime<Utc>>,
}

impl Verification<'_> {
    /// Checks the fields every resource must have. The error never quotes the body.
    pub(crate) fn into_resource(self) -> Result<Resource, Unreadable> {
        let sid = self.sid.ok_or(Unreadable::Missing("sid"))?;
        let reference = ReferenceId::parse(&sid).map_err(|source| Unreadable::Reference {
            field: "sid",
            source,
        })?;
        let status = self
            .status
            .ok_or(Unreadable::Missing("status"))?
            .into_owned();
        let created = self
            .date_created
            .as_deref()
            .ok_or(Unreadable::Missing("date_created"))
            .and_then(|raw| parse_timestamp("date_created", raw))?;
        let updated = self
            .date_updated
            .as_deref()
            .map(|raw| parse_timestamp("date_updated", raw))
            .transpose()?;
        Ok(Resource {
            reference,
            status,
            valid: self.valid,
            created,
            updated,
        })
    }
}

impl Resource {
    /// The delivery status the port asks for. A verification resource says nothing of the
    /// SMS's delivery (its `status` is the verification's, read by [`reading`]), so the state
    /// is [`DeliveryState::NotReported`], as of `date_updated`.
    pub(crate) fn delivery(&self) -> DeliveryStatus {
        DeliveryStatus {
            state: DeliveryState::NotReported,
            updated_on: self.updated,
        }
    }
}

/// Reads a verification's `status` onto the domain's meanings: Twilio's vocabulary stays here
/// (`failed` is handled by the classifier, as a refusal; `canceled`, `deleted` and anything
/// unlisted are kept raw as `Other`).
pub(crate) fn reading(status: &str) -> Reading {
    let (code_state, verification_status) = match status {
        "pending" => (CodeState::Invalid, VerificationStatus::Pending),
        "approved" => (CodeState::Valid, VerificationStatus::Verified),
        "expired" => (CodeState::Expired, VerificationStatus::Rejected),
        "max_attempts_reached" => (CodeState::MaxAttemptsExceeded, VerificationStatus::Rejected),
        other => (
            CodeState::Other(other.to_owned()),
            VerificationStatus::Other {
                name: other.to_owned(),
                code: None,
            },
        ),
    };
    Reading {
        code_state,
        verification_status,
    }
}

#[cfg(test)]
mod tests {
    use phone_verify_domain::{OtpCode, PhoneNumber, TrustFlowId, TrustValidationId};

    use super::*;

    fn check(reference: Option<&str>, phone: Option<&str>) -> CheckCodeRequest {
        CheckCodeRequest {
            code: OtpCode::parse("123456").expect("code"),
            trust_flow: TrustFlowId::new(0),
            trust_validation: TrustValidationId::parse("tv").expect("id"),
            reference: reference.map(|r| ReferenceId::parse(r).expect("reference")),
            phone: phone.map(|p| PhoneNumber::parse(p).expect("phone")),
        }
    }

    #[test]
    fn a_check_goes_by_the_reference_when_known_else_by_the_number() {
        let sid = "VEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        assert_eq!(
            check_form(&check(Some(sid), Some("+15017122661"))).as_deref(),
            Ok("Code=123456&VerificationSid=VEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        );
        assert_eq!(
            check_form(&check(None, Some("+15017122661"))).as_deref(),
            Ok("Code=123456&To=%2B15017122661")
        );
        assert_eq!(check_form(&check(None, None)), Err(Unaddressed));
    }
}
