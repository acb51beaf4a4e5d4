//! Twilio Verify's wire format, private: form-encoded PascalCase requests, snake_case JSON
//! answers, and the one place where an answer becomes domain types.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use phone_verify_domain::{
    AppHash, Channel, CheckCodeRequest, CodeState, DeliveryState, DeliveryStatus, Locale,
    ReferenceId, SendCodeRequest, VerificationStatus,
};
use phone_verify_http::{Unreadable, parse_timestamp};
use serde::Deserialize;

/// What a client sends when a request does not say: its configured locale and app hash
/// (`TwilioClientBuilder::locale`, `TwilioClientBuilder::app_hash`).
#[derive(Debug, Clone, Default)]
pub(crate) struct SendDefaults {
    pub(crate) locale: Option<Locale>,
    pub(crate) app_hash: Option<AppHash>,
}

/// Twilio's `Channel` value for each of the port's channels. Exhaustive on purpose: a new
/// channel does not compile until its wire value is chosen here.
fn channel_value(channel: Channel) -> &'static str {
    match channel {
        Channel::Sms => "sms",
        Channel::Call => "call",
        Channel::WhatsApp => "whatsapp",
    }
}

/// `To=<E.164>&Channel=<channel>`, then `Locale=<tag>` and `AppHash=<hash>` when there is one,
/// always in that order. The request's locale and app hash win over the client's defaults.
/// `AppHash` goes with SMS only: Twilio refuses it on any other channel (its error 60602, "App
/// hash can only be used with SMS channel"), and a call or WhatsApp message has no SMS Retriever
/// to read it, so it is left out rather than failing the send. The Trust Flow and Trust
/// Validation have no Twilio meaning and are not sent.
pub(crate) fn send_form(request: &SendCodeRequest, defaults: &SendDefaults) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("To", request.phone.e164())
        .append_pair("Channel", channel_value(request.channel));
    if let Some(locale) = request.locale.as_ref().or(defaults.locale.as_ref()) {
        form.append_pair("Locale", locale.as_str());
    }
    let app_hash = request.app_hash.as_ref().or(defaults.app_hash.as_ref());
    if let (Channel::Sms, Some(app_hash)) = (request.channel, app_hash) {
        form.append_pair("AppHash", app_hash.as_str());
    }
    form.finish()
}

/// `Status=canceled`: the update that ends a pending verification.
pub(crate) fn cancel_form() -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("Status", "canceled")
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
/// borrow from the body where they can. Twilio's OpenAPI description marks every field
/// nullable, so each is optional here, and each operation requires only what its result needs
/// ([`Verification::into_send`], [`Verification::into_check`]).
#[derive(Deserialize)]
pub(crate) struct Verification<'a> {
    #[serde(borrow)]
    sid: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
    valid: Option<bool>,
    #[serde(borrow)]
    to: Option<Cow<'a, str>>,
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

/// What a decoded send resource says, in domain terms.
pub(crate) struct SendResource {
    pub(crate) reference: ReferenceId,
    /// `pending` when the answer does not say: a 2xx to a send created the verification.
    pub(crate) status: String,
    /// `date_created`, or when the answer arrived if it does not say.
    pub(crate) created: DateTime<Utc>,
    pub(crate) updated: Option<DateTime<Utc>>,
}

/// What a decoded check resource says, in domain terms.
pub(crate) struct CheckResource {
    /// The verification checked: the answer's `sid`, else the one the check named.
    pub(crate) reference: Option<ReferenceId>,
    pub(crate) status: String,
    /// `date_updated`, else `date_created`, else when the answer arrived.
    pub(crate) checked_at: DateTime<Utc>,
}

/// What a check asked about, to hold its answer to it.
#[derive(Clone, Copy)]
pub(crate) struct Asked<'a> {
    /// The `VerificationSid` the check named.
    pub(crate) reference: Option<&'a ReferenceId>,
    /// The number the check named (`To`), E.164.
    pub(crate) to: Option<&'a str>,
}

/// A timestamp the result can do without: unreadable or absent, it is `None`.
fn optional_time(field: &'static str, raw: Option<&str>) -> Option<DateTime<Utc>> {
    raw.and_then(|raw| parse_timestamp(field, raw).ok())
}

impl Verification<'_> {
    /// A send's receipt needs the verification's `sid` (the reference every later check
    /// names), nothing else: a 2xx proves the send was accepted. The error never quotes the
    /// body.
    pub(crate) fn into_send(self, received_at: DateTime<Utc>) -> Result<SendResource, Unreadable> {
        let sid = self.sid.ok_or(Unreadable::Missing("sid"))?;
        let reference = ReferenceId::parse(&sid).map_err(|source| Unreadable::Reference {
            field: "sid",
            source,
        })?;
        Ok(SendResource {
            reference,
            status: self
                .status
                .map_or_else(|| "pending".to_owned(), Cow::into_owned),
            created: optional_time("date_created", self.date_created.as_deref())
                .unwrap_or(received_at),
            updated: optional_time("date_updated", self.date_updated.as_deref()),
        })
    }

    /// A check's verdict needs `status`, nothing else: `valid` (a legacy field) only rejects
    /// an answer it contradicts, and the `sid` falls back to the one the check named. Twilio
    /// deletes an approved verification, so an approval refused for a missing field would be
    /// lost for good. An answer about another verification or number than the one asked is
    /// no verdict.
    pub(crate) fn into_check(
        self,
        asked: Asked<'_>,
        received_at: DateTime<Utc>,
    ) -> Result<CheckResource, Unreadable> {
        let status = self
            .status
            .ok_or(Unreadable::Missing("status"))?
            .into_owned();
        if self
            .valid
            .is_some_and(|valid| valid != (status == "approved"))
        {
            return Err(Unreadable::Disagree("status", "valid"));
        }
        let answered = self
            .sid
            .as_deref()
            .and_then(|sid| ReferenceId::parse(sid).ok());
        if let (Some(answered), Some(asked)) = (&answered, asked.reference)
            && answered != asked
        {
            return Err(Unreadable::Foreign("sid"));
        }
        if let (Some(answered), Some(asked)) = (self.to.as_deref(), asked.to)
            && answered != asked
        {
            return Err(Unreadable::Foreign("to"));
        }
        let updated = optional_time("date_updated", self.date_updated.as_deref());
        let created = optional_time("date_created", self.date_created.as_deref());
        Ok(CheckResource {
            reference: answered.or_else(|| asked.reference.cloned()),
            status,
            checked_at: updated.or(created).unwrap_or(received_at),
        })
    }
}

/// The delivery status the port asks for. A verification resource says nothing of the SMS's
/// delivery (its `status` is the verification's, read by [`reading`]), so the state is
/// [`DeliveryState::NotReported`], as of `updated`.
pub(crate) fn not_reported(updated: Option<DateTime<Utc>>) -> DeliveryStatus {
    DeliveryStatus {
        state: DeliveryState::NotReported,
        updated_on: updated,
    }
}

/// Reads a verification's `status` onto the domain's meanings: Twilio's vocabulary stays here
/// (`failed` is handled by the classifier, as a refusal; `canceled`, `deleted` and anything
/// unlisted are kept as `Other`, made fit to keep by [`VerificationStatus::unlisted`]).
pub(crate) fn reading(status: &str) -> Reading {
    let (code_state, verification_status) = match status {
        "pending" => (CodeState::Invalid, VerificationStatus::Pending),
        "approved" => (CodeState::Valid, VerificationStatus::Verified),
        "expired" => (CodeState::Expired, VerificationStatus::Rejected),
        "max_attempts_reached" => (CodeState::MaxAttemptsExceeded, VerificationStatus::Rejected),
        other => (
            CodeState::unlisted(other),
            VerificationStatus::unlisted(other, None),
        ),
    };
    Reading {
        code_state,
        verification_status,
    }
}

#[cfg(test)]
mod tests {
    use phone_verify_domain::{OtpCode, PhoneNumber, TrustValidationId};

    use super::*;

    fn send(channel: Channel) -> SendCodeRequest {
        SendCodeRequest::new(
            PhoneNumber::parse("+15017122661").expect("phone"),
            TrustValidationId::parse("tv").expect("id"),
        )
        .with_channel(channel)
    }

    fn locale(tag: &str) -> Locale {
        Locale::parse(tag).expect("locale")
    }

    fn app_hash(hash: &str) -> AppHash {
        AppHash::parse(hash).expect("app hash")
    }

    #[test]
    fn a_send_names_its_channel_by_twilio_s_value() {
        let none = SendDefaults::default();
        for (channel, form) in [
            (Channel::Sms, "To=%2B15017122661&Channel=sms"),
            (Channel::Call, "To=%2B15017122661&Channel=call"),
            (Channel::WhatsApp, "To=%2B15017122661&Channel=whatsapp"),
        ] {
            assert_eq!(send_form(&send(channel), &none), form);
        }
    }

    #[test]
    fn the_request_s_locale_and_app_hash_win_over_the_client_s() {
        let defaults = SendDefaults {
            locale: Some(locale("ms")),
            app_hash: Some(app_hash("KRkY+kXZhTh")),
        };
        assert_eq!(
            send_form(&send(Channel::Sms), &defaults),
            "To=%2B15017122661&Channel=sms&Locale=ms&AppHash=KRkY%2BkXZhTh"
        );
        let asked = send(Channel::Sms)
            .with_locale(locale("pt-BR"))
            .with_app_hash(app_hash("He42w354ol9"));
        assert_eq!(
            send_form(&asked, &defaults),
            "To=%2B15017122661&Channel=sms&Locale=pt-BR&AppHash=He42w354ol9"
        );
        assert_eq!(
            send_form(&asked, &SendDefaults::default()),
            "To=%2B15017122661&Channel=sms&Locale=pt-BR&AppHash=He42w354ol9"
        );
    }

    #[test]
    fn an_app_hash_goes_with_sms_only_and_the_locale_with_every_channel() {
        let defaults = SendDefaults {
            locale: None,
            app_hash: Some(app_hash("KRkY+kXZhTh")),
        };
        let call = send(Channel::Call)
            .with_locale(locale("en-GB"))
            .with_app_hash(app_hash("He42w354ol9"));
        assert_eq!(
            send_form(&call, &defaults),
            "To=%2B15017122661&Channel=call&Locale=en-GB"
        );
        assert_eq!(
            send_form(&send(Channel::WhatsApp), &defaults),
            "To=%2B15017122661&Channel=whatsapp"
        );
    }

    fn check(reference: Option<&str>, phone: Option<&str>) -> CheckCodeRequest {
        CheckCodeRequest {
            code: OtpCode::parse("123456").expect("code"),
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
