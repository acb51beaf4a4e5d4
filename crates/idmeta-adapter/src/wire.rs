//! IDMeta's JSON, as private structs, and the one place where it becomes domain types.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use phone_verify_domain::{
    CheckCodeRequest, CheckResult, CodeState, DeliveryState, DeliveryStatus, FieldErrors,
    PhoneNumber, ReferenceId, SendCodeRequest, SendReceipt, TrustFlowId, VerificationStatus,
};

use crate::vocabulary;
use phone_verify_http::{Unreadable, parse_timestamp};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

/// Body of `POST …/send`. The mixed casing is IDMeta's own.
#[derive(Serialize)]
pub(crate) struct SendBody<'a> {
    country_code: &'a str,
    phone_number: &'a str,
    #[serde(rename = "trustFlowId")]
    trust_flow_id: u64,
    #[serde(rename = "trustValidationId")]
    trust_validation_id: &'a str,
}

impl<'a> SendBody<'a> {
    /// The body of `request`, in the client's Trust Flow.
    pub(crate) fn new(request: &'a SendCodeRequest, flow: TrustFlowId) -> Self {
        Self {
            country_code: request.phone.country_calling_code(),
            phone_number: request.phone.national_number(),
            trust_flow_id: flow.get(),
            trust_validation_id: request.trust_validation.as_str(),
        }
    }
}

/// Body of `POST …/verify`; the optional fields are omitted when absent.
#[derive(Serialize)]
pub(crate) struct VerifyBody<'a> {
    otp: &'a str,
    #[serde(rename = "trustFlowId")]
    trust_flow_id: u64,
    #[serde(rename = "trustValidationId")]
    trust_validation_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ref_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<&'a str>,
}

impl<'a> VerifyBody<'a> {
    /// The body of `request`, in the client's Trust Flow.
    pub(crate) fn new(request: &'a CheckCodeRequest, flow: TrustFlowId) -> Self {
        Self {
            otp: request.code.expose(),
            trust_flow_id: flow.get(),
            trust_validation_id: request.trust_validation.as_str(),
            ref_id: request.reference.as_ref().map(ReferenceId::as_str),
            country_code: request.phone.as_ref().map(|p| p.country_calling_code()),
            phone_number: request.phone.as_ref().map(|p| p.national_number()),
        }
    }
}

/// The envelope of every answer. Only what we use is declared: unknown fields, `metadata`
/// (any JSON) and the `trustFlowId` echo (a number or a numeric string) are ignored. Strings
/// borrow from the body where they can (no escapes), so decoding allocates little.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Envelope<'a> {
    pub(crate) success: Option<bool>,
    #[serde(borrow)]
    pub(crate) message: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) data: Option<Data<'a>>,
    #[serde(borrow)]
    pub(crate) verification_status: Option<Cow<'a, str>>,
    pub(crate) verification_status_code: Option<i64>,
    /// The echo of the trust validation asked, read on a verify only to hold the answer to it.
    #[serde(borrow)]
    trust_validation_id: Option<Echo<'a>>,
    #[serde(default)]
    pub(crate) errors: Option<BTreeMap<String, Messages>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Data<'a> {
    #[serde(borrow)]
    reference_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    submit_time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<WireStatus<'a>>,
    #[serde(borrow)]
    verify: Option<Verify<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireStatus<'a> {
    #[serde(borrow)]
    updated_on: Option<Cow<'a, str>>,
    code: Option<i64>,
    #[serde(default, borrow)]
    description: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Verify<'a> {
    #[serde(borrow)]
    code_state: Option<Cow<'a, str>>,
    /// The number the answer is about (E.164), read on a verify only to hold the answer to
    /// the number asked.
    #[serde(borrow)]
    input_phone_number: Option<Echo<'a>>,
}

/// An echo of what a request named, which no result needs: its text when it is the string
/// documented; any other JSON value is no echo at all (so its type never makes an answer
/// unreadable), as is an empty string.
#[derive(Deserialize)]
#[serde(untagged)]
enum Echo<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Other(IgnoredAny),
}

impl Echo<'_> {
    /// The text of an echo, if there is one.
    fn text(echo: Option<&Self>) -> Option<&str> {
        match echo {
            Some(Echo::Text(text)) if !text.is_empty() => Some(text),
            _ => None,
        }
    }
}

/// What a verify asked about, to hold its answer to it: an answer about another send, number
/// or trust validation is no answer to this verify.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asked<'a> {
    /// The `ref_id` the verify named.
    pub(crate) reference: Option<&'a ReferenceId>,
    /// The number the verify named.
    pub(crate) phone: Option<&'a PhoneNumber>,
    /// The `trustValidationId` the verify named.
    pub(crate) trust_validation: Option<&'a str>,
}

impl Asked<'static> {
    /// A verify that named nothing to hold its answer to (the fuzzing entry point's).
    #[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code))]
    pub(crate) const NOTHING: Self = Self {
        reference: None,
        phone: None,
        trust_validation: None,
    };
}

impl<'a> From<&'a CheckCodeRequest> for Asked<'a> {
    fn from(request: &'a CheckCodeRequest) -> Self {
        Self {
            reference: request.reference.as_ref(),
            phone: request.phone.as_ref(),
            trust_validation: Some(request.trust_validation.as_str()),
        }
    }
}

/// Whether two spellings of a number are one number: the same digits, whatever the plus sign
/// and separators around them.
fn same_number(answered: &str, asked: &PhoneNumber) -> bool {
    let digits = |text: &str| {
        text.chars()
            .filter(char::is_ascii_digit)
            .collect::<Vec<_>>()
    };
    digits(answered) == digits(asked.e164())
}

/// A field's messages: a list, as documented for 422, or a lone string, tolerated.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Messages {
    Many(Vec<String>),
    One(String),
}

/// The error bodies of 401/404/422/429/5xx: everything optional, decoded best effort.
pub(crate) fn field_errors(envelope: &Envelope<'_>) -> FieldErrors {
    envelope
        .errors
        .iter()
        .flatten()
        .map(|(field, messages)| {
            let list = match messages {
                Messages::Many(list) => list.clone(),
                Messages::One(one) => vec![one.clone()],
            };
            (field.clone(), list)
        })
        .collect()
}

impl<'a> Envelope<'a> {
    fn data(&self) -> Result<&Data<'a>, Unreadable> {
        self.data.as_ref().ok_or(Unreadable::Missing("data"))
    }

    fn status(&self) -> Result<VerificationStatus, Unreadable> {
        let name = self
            .verification_status
            .as_deref()
            .ok_or(Unreadable::Missing("verificationStatus"))?;
        Ok(vocabulary::verification_status(
            name,
            self.verification_status_code,
        ))
    }

    fn delivery(data: &Data<'a>) -> Result<DeliveryStatus, Unreadable> {
        let status = data
            .status
            .as_ref()
            .ok_or(Unreadable::Missing("data.status"))?;
        let code = status.code.ok_or(Unreadable::Missing("data.status.code"))?;
        Ok(DeliveryStatus {
            state: vocabulary::delivery_state(code, &status.description),
            updated_on: status
                .updated_on
                .as_deref()
                .map(|raw| parse_timestamp("data.status.updatedOn", raw))
                .transpose()?,
        })
    }

    /// The delivery a verify reports, when it does: a verdict does not need it, so an answer
    /// without a readable `data.status` reports none.
    fn reported_delivery(data: &Data<'a>) -> DeliveryStatus {
        let Some((status, code)) = data
            .status
            .as_ref()
            .and_then(|status| Some((status, status.code?)))
        else {
            return DeliveryStatus {
                state: DeliveryState::NotReported,
                updated_on: None,
            };
        };
        DeliveryStatus {
            state: vocabulary::delivery_state(code, &status.description),
            updated_on: status
                .updated_on
                .as_deref()
                .and_then(|raw| parse_timestamp("data.status.updatedOn", raw).ok()),
        }
    }

    fn code_state(data: &Data<'a>) -> Result<CodeState, Unreadable> {
        data.verify
            .as_ref()
            .and_then(|v| v.code_state.as_deref())
            .map(vocabulary::code_state)
            .ok_or(Unreadable::Missing("data.verify.codeState"))
    }

    fn submit_time(data: &Data<'a>) -> Result<DateTime<Utc>, Unreadable> {
        let raw = data
            .submit_time
            .as_deref()
            .ok_or(Unreadable::Missing("data.submitTime"))?;
        parse_timestamp("data.submitTime", raw)
    }

    fn reference(data: &Data<'a>) -> Result<Option<ReferenceId>, Unreadable> {
        data.reference_id
            .as_deref()
            .map(|raw| {
                ReferenceId::parse(raw).map_err(|source| Unreadable::Reference {
                    field: "data.referenceId",
                    source,
                })
            })
            .transpose()
    }

    /// The answer to a send, as a domain receipt. An `Err` never holds content.
    pub(crate) fn into_send_receipt(self) -> Result<SendReceipt, Unreadable> {
        let data = self.data()?;
        Ok(SendReceipt {
            reference: Self::reference(data)?.ok_or(Unreadable::Missing("data.referenceId"))?,
            submitted_at: Self::submit_time(data)?,
            delivery: Self::delivery(data)?,
            code_state: Self::code_state(data)?,
            verification_status: self.status()?,
        })
    }

    /// The answer to a verify that asked about `asked`, as a domain result. An answer about
    /// another send, number or trust validation than the one asked is no verdict
    /// ([`Unreadable::Foreign`]). The verdict needs `success`, `data.verify.codeState` and
    /// `verificationStatus` (which can veto a valid code), nothing else: the reference falls
    /// back to the one asked, the time to when the answer arrived (`received_at`), and an
    /// unreadable `data.status` reports no delivery. A verify uses the code up, so an answer
    /// refused for a field the verdict does not need would lose a success for good.
    pub(crate) fn into_check_result(
        self,
        asked: Asked<'_>,
        received_at: DateTime<Utc>,
    ) -> Result<CheckResult, Unreadable> {
        let data = self.data()?;
        let reference = self.answered_about(data, asked)?;
        Ok(CheckResult {
            code_state: Self::code_state(data)?,
            verification_status: self.status()?,
            delivery: Self::reported_delivery(data),
            reference,
            checked_at: data
                .submit_time
                .as_deref()
                .and_then(|raw| parse_timestamp("data.submitTime", raw).ok())
                .unwrap_or(received_at),
        })
    }

    /// The send a verify's answer is about, once its echoes are held to what the verify
    /// asked: [`Unreadable::Foreign`] naming the first echo that names another send, number or
    /// trust validation. The send is the one asked, else the answer's when it is a valid
    /// reference.
    fn answered_about(
        &self,
        data: &Data<'a>,
        asked: Asked<'_>,
    ) -> Result<Option<ReferenceId>, Unreadable> {
        let answered = data.reference_id.as_deref().filter(|raw| !raw.is_empty());
        let reference = match (answered, asked.reference) {
            (Some(answered), Some(asked)) if answered != asked.as_str() => {
                return Err(Unreadable::Foreign("data.referenceId"));
            }
            (_, Some(asked)) => Some(asked.clone()),
            (answered, None) => answered.and_then(|raw| ReferenceId::parse(raw).ok()),
        };
        let number = data
            .verify
            .as_ref()
            .and_then(|v| v.input_phone_number.as_ref());
        if let (Some(answered), Some(asked)) = (Echo::text(number), asked.phone)
            && !same_number(answered, asked)
        {
            return Err(Unreadable::Foreign("data.verify.inputPhoneNumber"));
        }
        let trust_validation = Echo::text(self.trust_validation_id.as_ref());
        if let (Some(answered), Some(asked)) = (trust_validation, asked.trust_validation)
            && answered != asked
        {
            return Err(Unreadable::Foreign("trustValidationId"));
        }
        Ok(reference)
    }
}
