//! The JSON of IDMeta's two routes: request validation (with Laravel-style per-field messages, as
//! we assume IDMeta answers) and the response envelope, field for field as documented.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::{MAX_CODE_LENGTH, MIN_CODE_LENGTH};

/// Per-field validation messages, the `errors` of a 422 answer.
pub(crate) type FieldErrors = BTreeMap<&'static str, Vec<String>>;

/// A valid send request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendRequest {
    pub(crate) e164: String,
    pub(crate) trust_flow_id: i64,
    pub(crate) trust_validation_id: String,
}

/// A valid verify request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VerifyRequest {
    pub(crate) otp: String,
    pub(crate) trust_flow_id: i64,
    pub(crate) trust_validation_id: String,
    pub(crate) ref_id: Option<String>,
    pub(crate) e164: Option<String>,
}

/// The longest trust validation id accepted.
const MAX_TRUST_VALIDATION_ID: usize = 255;

pub(crate) fn parse_send(body: &[u8]) -> Result<SendRequest, FieldErrors> {
    let object = parse_object(body)?;
    let mut errors = FieldErrors::new();
    let country_code = required_string(&object, "country_code", &mut errors);
    let phone_number = required_string(&object, "phone_number", &mut errors);
    let trust_flow_id = required_integer(&object, "trustFlowId", &mut errors);
    let trust_validation_id = trust_validation_id(&object, &mut errors);
    let e164 = phone(country_code, phone_number, &mut errors);
    match (e164, trust_flow_id, trust_validation_id) {
        (Some(e164), Some(trust_flow_id), Some(trust_validation_id)) if errors.is_empty() => {
            Ok(SendRequest {
                e164,
                trust_flow_id,
                trust_validation_id,
            })
        }
        _ => Err(errors),
    }
}

pub(crate) fn parse_verify(body: &[u8]) -> Result<VerifyRequest, FieldErrors> {
    let object = parse_object(body)?;
    let mut errors = FieldErrors::new();
    let otp = required_string(&object, "otp", &mut errors).and_then(|otp| {
        let digits = otp.bytes().all(|b| b.is_ascii_digit());
        if digits && (MIN_CODE_LENGTH..=MAX_CODE_LENGTH).contains(&otp.len()) {
            Some(otp)
        } else {
            push(&mut errors, "otp", "The otp must be 4 to 10 digits.");
            None
        }
    });
    let trust_flow_id = required_integer(&object, "trustFlowId", &mut errors);
    let trust_validation_id = trust_validation_id(&object, &mut errors);
    let ref_id = optional_string(&object, "ref_id", &mut errors);
    let country_code = optional_string(&object, "country_code", &mut errors);
    let phone_number = optional_string(&object, "phone_number", &mut errors);
    let e164 = match (&country_code, &phone_number) {
        (None, None) => None,
        (Some(_), None) => {
            push(
                &mut errors,
                "phone_number",
                "The phone number field is required when country code is present.",
            );
            None
        }
        (None, Some(_)) => {
            push(
                &mut errors,
                "country_code",
                "The country code field is required when phone number is present.",
            );
            None
        }
        (Some(_), Some(_)) => phone(country_code, phone_number, &mut errors),
    };
    match (otp, trust_flow_id, trust_validation_id) {
        (Some(otp), Some(trust_flow_id), Some(trust_validation_id)) if errors.is_empty() => {
            Ok(VerifyRequest {
                otp,
                trust_flow_id,
                trust_validation_id,
                ref_id,
                e164,
            })
        }
        _ => Err(errors),
    }
}

/// The `trustFlowId` and `trustValidationId` of a body, when it has them, for echoing in a fault's
/// answer. Never fails.
pub(crate) fn echo_ids(body: &[u8]) -> (i64, String) {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let flow = value
        .get("trustFlowId")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let validation = value
        .get("trustValidationId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    (flow, validation)
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, FieldErrors> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => {
            let mut errors = FieldErrors::new();
            push(
                &mut errors,
                "body",
                "The request body must be a JSON object.",
            );
            Err(errors)
        }
    }
}

/// "trustFlowId" → "trust flow id", "country_code" → "country code", as Laravel words them.
fn label(field: &str) -> String {
    let mut out = String::with_capacity(field.len() + 4);
    for c in field.chars() {
        if c == '_' {
            out.push(' ');
        } else if c.is_ascii_uppercase() {
            out.push(' ');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn push(errors: &mut FieldErrors, field: &'static str, message: impl Into<String>) {
    errors.entry(field).or_default().push(message.into());
}

fn required_string(
    object: &Map<String, Value>,
    field: &'static str,
    errors: &mut FieldErrors,
) -> Option<String> {
    match object.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            push(
                errors,
                field,
                format!("The {} field is required.", label(field)),
            );
            None
        }
        Some(_) => {
            push(
                errors,
                field,
                format!("The {} must be a string.", label(field)),
            );
            None
        }
    }
}

fn optional_string(
    object: &Map<String, Value>,
    field: &'static str,
    errors: &mut FieldErrors,
) -> Option<String> {
    match object.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            push(
                errors,
                field,
                format!("The {} must be a string.", label(field)),
            );
            None
        }
    }
}

fn required_integer(
    object: &Map<String, Value>,
    field: &'static str,
    errors: &mut FieldErrors,
) -> Option<i64> {
    match object.get(field) {
        None | Some(Value::Null) => {
            push(
                errors,
                field,
                format!("The {} field is required.", label(field)),
            );
            None
        }
        Some(Value::Number(n)) if n.as_i64().is_some_and(|n| n < 0) => {
            push(
                errors,
                field,
                format!("The {} must be at least 0.", label(field)),
            );
            None
        }
        Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
        Some(_) => {
            push(
                errors,
                field,
                format!("The {} must be an integer.", label(field)),
            );
            None
        }
    }
}

fn trust_validation_id(object: &Map<String, Value>, errors: &mut FieldErrors) -> Option<String> {
    let id = required_string(object, "trustValidationId", errors)?;
    if id.chars().count() > MAX_TRUST_VALIDATION_ID {
        push(
            errors,
            "trustValidationId",
            "The trust validation id may not be greater than 255 characters.",
        );
        return None;
    }
    Some(id)
}

/// Checks a country code and national number and joins them to E.164.
fn phone(
    country_code: Option<String>,
    phone_number: Option<String>,
    errors: &mut FieldErrors,
) -> Option<String> {
    // Up to 4 digits: country pickers send a NANP area with its code (`+1684`, American Samoa).
    // No calling code starts with 0.
    let country_code = country_code.filter(|cc| {
        let digits = cc.strip_prefix('+').unwrap_or("");
        let ok = (1..=4).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !ok {
            push(
                errors,
                "country_code",
                "The country code must be a plus sign followed by 1 to 4 digits, the first not 0.",
            );
        }
        ok
    });
    let phone_number = phone_number.filter(|number| {
        if !number.bytes().all(|b| b.is_ascii_digit()) {
            push(
                errors,
                "phone_number",
                "The phone number must contain digits only.",
            );
            false
        } else if !(4..=14).contains(&number.len()) {
            push(
                errors,
                "phone_number",
                "The phone number must be between 4 and 14 digits.",
            );
            false
        } else {
            true
        }
    });
    let (country_code, phone_number) = (country_code?, phone_number?);
    if country_code.len() - 1 + phone_number.len() > 15 {
        push(
            errors,
            "phone_number",
            "The phone number is too long for an E.164 number.",
        );
        return None;
    }
    Some(format!("{country_code}{phone_number}"))
}

/// The response of both API routes, fields in the documented order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Envelope<'a> {
    pub(crate) success: bool,
    pub(crate) message: &'a str,
    pub(crate) data: Option<Data<'a>>,
    pub(crate) verification_status: &'a str,
    pub(crate) verification_status_code: u8,
    pub(crate) trust_flow_id: i64,
    pub(crate) trust_validation_id: &'a str,
    pub(crate) verification_type: &'a str,
    pub(crate) metadata: Option<Value>,
}

/// `data` of the envelope.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Data<'a> {
    pub(crate) reference_id: &'a str,
    pub(crate) submit_time: String,
    pub(crate) status: DeliveryStatus<'a>,
    pub(crate) verify: VerifyState<'a>,
}

/// `data.status`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeliveryStatus<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) updated_on: Option<String>,
    pub(crate) code: u16,
    pub(crate) description: &'a str,
}

/// `data.verify`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VerifyState<'a> {
    pub(crate) code_state: &'a str,
    pub(crate) input_phone_number: &'a str,
}

/// `verificationType` of phone verification.
pub(crate) const VERIFICATION_TYPE: &str = "sms_verification";

#[cfg(test)]
mod tests {
    use super::*;

    fn send_errors(body: &str) -> FieldErrors {
        parse_send(body.as_bytes()).expect_err("the body should be invalid")
    }

    #[test]
    fn a_documented_send_body_is_valid() {
        let request = parse_send(
            br#"{"country_code":"+60","phone_number":"182258491","trustFlowId":0,"trustValidationId":"tv"}"#,
        );
        assert_eq!(
            request,
            Ok(SendRequest {
                e164: "+60182258491".into(),
                trust_flow_id: 0,
                trust_validation_id: "tv".into(),
            })
        );
    }

    #[test]
    fn each_malformed_send_field_gets_its_own_message() {
        let cases: &[(&str, &str, &str)] = &[
            (
                r#"{"phone_number":"182258491","trustFlowId":0,"trustValidationId":"t"}"#,
                "country_code",
                "The country code field is required.",
            ),
            (
                r#"{"country_code":"+60","phone_number":"182258491","trustFlowId":-1,"trustValidationId":"t"}"#,
                "trustFlowId",
                "The trust flow id must be at least 0.",
            ),
            (
                r#"{"country_code":"+60","phone_number":"18225849x","trustFlowId":0,"trustValidationId":"t"}"#,
                "phone_number",
                "The phone number must contain digits only.",
            ),
            (
                r#"{"country_code":"+60","phone_number":"123","trustFlowId":0,"trustValidationId":"t"}"#,
                "phone_number",
                "The phone number must be between 4 and 14 digits.",
            ),
            (
                r#"{"country_code":"+60","phone_number":182258491,"trustFlowId":0,"trustValidationId":"t"}"#,
                "phone_number",
                "The phone number must be a string.",
            ),
            (
                r#"{"country_code":"+60","phone_number":"182258491","trustFlowId":"0","trustValidationId":"t"}"#,
                "trustFlowId",
                "The trust flow id must be an integer.",
            ),
            (
                r#"{"country_code":"+60","phone_number":"182258491","trustFlowId":1.5,"trustValidationId":"t"}"#,
                "trustFlowId",
                "The trust flow id must be an integer.",
            ),
            (
                r#"{"country_code":"+60","phone_number":"182258491","trustFlowId":0}"#,
                "trustValidationId",
                "The trust validation id field is required.",
            ),
            (
                r#"{"country_code":"+999","phone_number":"1234567890123","trustFlowId":0,"trustValidationId":"t"}"#,
                "phone_number",
                "The phone number is too long for an E.164 number.",
            ),
        ];
        for (body, field, message) in cases {
            let errors = send_errors(body);
            assert_eq!(
                errors.get(field).map(Vec::as_slice),
                Some(&[message.to_string()][..]),
                "{body}"
            );
            assert_eq!(errors.len(), 1, "{body}: {errors:?}");
        }
    }

    #[test]
    fn a_country_code_is_a_plus_and_1_to_4_digits_the_first_not_0() {
        let send = |country_code: &str| {
            parse_send(format!(
                r#"{{"country_code":"{country_code}","phone_number":"6330000","trustFlowId":0,"trustValidationId":"t"}}"#
            ).as_bytes())
        };
        let refusal =
            "The country code must be a plus sign followed by 1 to 4 digits, the first not 0.";
        for country_code in ["60", "+", "+6a", "+0", "+01", "+16841", "60+"] {
            let errors = send(country_code).expect_err(country_code);
            assert_eq!(
                errors["country_code"],
                vec![refusal.to_string()],
                "{country_code}"
            );
        }
        for country_code in ["+1", "+60", "+852"] {
            assert!(send(country_code).is_ok(), "{country_code}");
        }
        // Country pickers send a NANP area with its code: American Samoa.
        let samoa = send("+1684").expect("valid");
        assert_eq!(samoa.e164, "+16846330000");
    }

    #[test]
    fn a_body_that_is_not_a_json_object_is_reported_as_such() {
        for body in ["", "not json", "[1,2]", "\"x\"", "{\"country_code\":"] {
            assert!(send_errors(body).contains_key("body"), "{body}");
        }
    }

    #[test]
    fn an_otp_must_be_a_string_of_digits() {
        let verify = |otp: &str| {
            parse_verify(
                format!(r#"{{"otp":{otp},"trustFlowId":0,"trustValidationId":"t"}}"#).as_bytes(),
            )
        };
        assert_eq!(
            verify(r#""012345""#).map(|r| r.otp),
            Ok("012345".to_string())
        );
        let otp_errors = |otp: &str| verify(otp).expect_err("invalid otp")["otp"].clone();
        assert_eq!(
            otp_errors("12345"),
            vec!["The otp must be a string.".to_string()]
        );
        for bad in [r#""12a456""#, r#""123""#, r#""12345678901""#] {
            assert_eq!(
                otp_errors(bad),
                vec!["The otp must be 4 to 10 digits.".to_string()],
                "{bad}"
            );
        }
        assert!(verify(r#""1234""#).is_ok());
        assert!(verify(r#""1234567890""#).is_ok());
        assert_eq!(
            otp_errors(r#""""#),
            vec!["The otp field is required.".to_string()]
        );
    }

    #[test]
    fn a_verify_phone_needs_both_halves() {
        let errors = parse_verify(
            br#"{"otp":"1234","trustFlowId":0,"trustValidationId":"t","country_code":"+60"}"#,
        )
        .expect_err("half a number");
        assert!(errors.contains_key("phone_number"));
        let request = parse_verify(
            br#"{"otp":"1234","trustFlowId":0,"trustValidationId":"t","country_code":"+60","phone_number":"182258491","ref_id":"R"}"#,
        )
        .expect("valid");
        assert_eq!(request.e164.as_deref(), Some("+60182258491"));
        assert_eq!(request.ref_id.as_deref(), Some("R"));
    }
}
