//! IDMeta's answers: the response envelope of its two routes, the Laravel-style errors we assume
//! it sends, and the bodies of the faults only its routes give that shape. Answers every route
//! shares are in `respond.rs`.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::idmeta_api::IdmetaRoute;
use crate::idmeta_state::{CheckOutcome, Rejection};
use crate::idmeta_wire::{
    Data, DeliveryStatus, Envelope, FieldErrors, VERIFICATION_TYPE, VerifyState,
};
use crate::respond::{
    html_page, json, json_bytes, message, server_status, timestamp, with_retry_after,
};

/// 401, as Laravel's API guard answers.
pub(crate) fn unauthenticated() -> Response {
    message(StatusCode::UNAUTHORIZED, "Unauthenticated.")
}

/// 422 with per-field messages.
pub(crate) fn invalid(errors: &FieldErrors) -> Response {
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({ "message": "The given data was invalid.", "errors": errors }),
    )
}

/// 404 `{"success": false, "message": …}` for ids the simulator does not know.
pub(crate) fn not_found(message: &str) -> Response {
    json(
        StatusCode::NOT_FOUND,
        &json!({ "success": false, "message": message }),
    )
}

/// 429, with `Retry-After` when given.
pub(crate) fn too_many(retry_after_secs: Option<u64>) -> Response {
    with_retry_after(
        message(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts."),
        retry_after_secs,
    )
}

/// A 5xx, as JSON or as the HTML page a proxy in front of the API would send.
pub(crate) fn server_error(status: u16, html: bool) -> Response {
    if !html {
        return message(server_status(status), "Server Error");
    }
    html_page(status)
}

/// The number of IDMeta's documented examples, for answers about no number the request named.
pub(crate) const EXAMPLE_NUMBER: &str = "+60182258491";

/// The ids and number an API answer echoes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Echo<'a> {
    pub(crate) reference_id: &'a str,
    pub(crate) e164: &'a str,
    pub(crate) trust_flow_id: i64,
    pub(crate) trust_validation_id: &'a str,
    pub(crate) now: DateTime<Utc>,
}

/// A verify's verdict as the answer words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) status_code: u16,
    pub(crate) status_description: &'static str,
    pub(crate) code_state: &'static str,
    pub(crate) verification_status: &'static str,
    pub(crate) verification_status_code: u8,
}

impl Verdict {
    pub(crate) fn of(outcome: CheckOutcome) -> Self {
        let (status_code, status_description, code_state, verification_status, code) = match outcome
        {
            CheckOutcome::Valid => (200, "Verify success", "VALID", "VERIFIED", 3),
            CheckOutcome::Invalid => (400, "Invalid code", "INVALID", "PENDING", 0),
            CheckOutcome::Rejected(Rejection::Expired) => {
                (410, "Code expired", "EXPIRED", "REJECTED", 1)
            }
            CheckOutcome::Rejected(Rejection::MaxAttempts) => (
                429,
                "Too many attempts",
                "MAX_ATTEMPTS_EXCEEDED",
                "REJECTED",
                1,
            ),
        };
        Self {
            status_code,
            status_description,
            code_state,
            verification_status,
            verification_status_code: code,
        }
    }
}

/// The envelope of a send that went out.
pub(crate) fn send_envelope(echo: Echo<'_>) -> Envelope<'_> {
    let at = timestamp(echo.now);
    Envelope {
        success: true,
        message: SEND_MESSAGE,
        data: Some(Data {
            reference_id: echo.reference_id,
            submit_time: at.clone(),
            status: DeliveryStatus {
                updated_on: Some(at),
                code: 103,
                description: "Call in progress",
            },
            verify: VerifyState {
                code_state: "UNKNOWN",
                input_phone_number: echo.e164,
            },
        }),
        verification_status: "PENDING",
        verification_status_code: 0,
        trust_flow_id: echo.trust_flow_id,
        trust_validation_id: echo.trust_validation_id,
        verification_type: VERIFICATION_TYPE,
        metadata: None,
    }
}

/// The envelope of a processed verify.
pub(crate) fn verify_envelope(echo: Echo<'_>, verdict: Verdict) -> Envelope<'_> {
    Envelope {
        success: true,
        message: VERIFY_MESSAGE,
        data: Some(Data {
            reference_id: echo.reference_id,
            submit_time: timestamp(echo.now),
            status: DeliveryStatus {
                updated_on: None,
                code: verdict.status_code,
                description: verdict.status_description,
            },
            verify: VerifyState {
                code_state: verdict.code_state,
                input_phone_number: echo.e164,
            },
        }),
        verification_status: verdict.verification_status,
        verification_status_code: verdict.verification_status_code,
        trust_flow_id: echo.trust_flow_id,
        trust_validation_id: echo.trust_validation_id,
        verification_type: VERIFICATION_TYPE,
        metadata: None,
    }
}

const SEND_MESSAGE: &str = "Phone verification code sent successfully";
const VERIFY_MESSAGE: &str = "Phone verification processed successfully";

/// The `SuccessFalse` fault: the envelope with `success: false` and no data.
pub(crate) fn success_false(
    route: IdmetaRoute,
    trust_flow_id: i64,
    trust_validation_id: &str,
) -> Response {
    let message = match route {
        IdmetaRoute::Send => "Phone verification code could not be sent",
        IdmetaRoute::Verify => "Phone verification could not be processed",
    };
    json(
        StatusCode::OK,
        &Envelope {
            success: false,
            message,
            data: None,
            verification_status: "PENDING",
            verification_status_code: 0,
            trust_flow_id,
            trust_validation_id,
            verification_type: VERIFICATION_TYPE,
            metadata: None,
        },
    )
}

/// The `TruncatedJson` fault: a plausible answer of the route, cut in half.
pub(crate) fn truncated_json(
    route: IdmetaRoute,
    trust_flow_id: i64,
    trust_validation_id: &str,
    now: DateTime<Utc>,
) -> Response {
    let echo = Echo {
        reference_id: "0123456789ABCDEF0123456789ABCDEF",
        e164: EXAMPLE_NUMBER,
        trust_flow_id,
        trust_validation_id,
        now,
    };
    let full = match route {
        IdmetaRoute::Send => serde_json::to_vec(&send_envelope(echo)),
        IdmetaRoute::Verify => {
            serde_json::to_vec(&verify_envelope(echo, Verdict::of(CheckOutcome::Valid)))
        }
    }
    .unwrap_or_default();
    let mut half = full;
    half.truncate(half.len() / 2);
    json_bytes(StatusCode::OK, half)
}
