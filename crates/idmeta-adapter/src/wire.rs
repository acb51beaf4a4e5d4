//! IDMeta's JSON, as private structs, and the one place where it becomes domain types.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use phone_verify_domain::{
    CheckCodeRequest, CheckResult, CodeState, DeliveryStatus, FieldErrors, ReferenceId,
    SendCodeRequest, SendReceipt, VerificationStatus,
};

use crate::vocabulary;
use phone_verify_http::{Unreadable, parse_timestamp};
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

impl<'a> From<&'a SendCodeRequest> for SendBody<'a> {
    fn from(request: &'a SendCodeRequest) -> Self {
        Self {
            country_code: request.phone.country_calling_code(),
            phone_number: request.phone.national_number(),
            trust_flow_id: request.trust_flow.get(),
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

impl<'a> From<&'a CheckCodeRequest> for VerifyBody<'a> {
    fn from(request: &'a CheckCodeRequest) -> Self {
        Self {
            otp: request.code.expose(),
            trust_flow_id: request.trust_flow.get(),
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
    code: i64,
    #[serde(default, borrow)]
    description: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Verify<'a> {
    #[serde(borrow)]
    code_state: Option<Cow<'a, str>>,
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
        Ok(DeliveryStatus {
            state: vocabulary::delivery_state(status.code, &status.description),
            updated_on: status
                .updated_on
                .as_deref()
                .map(|raw| parse_timestamp("data.status.updatedOn", raw))
                .transpose()?,
        })
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

    /// The answer to a check, as a domain result.
    pub(crate) fn into_check_result(self) -> Result<CheckResult, Unreadable> {
        let data = self.data()?;
        Ok(CheckResult {
            code_state: Self::code_state(data)?,
            verification_status: self.status()?,
            delivery: Self::delivery(data)?,
            reference: Self::reference(data)?,
            checked_at: Self::submit_time(data)?,
        })
    }
}
