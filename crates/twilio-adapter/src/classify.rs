//! Classifying an answer (status, `Retry-After`, body) into a domain result or error: one pure
//! function per operation, tested as a table covering every error code of the reference.

use chrono::{DateTime, Utc};
use phone_verify_domain::{
    CheckResult, CodeState, DeliveryState, DeliveryStatus, GatewayError, ReferenceId,
    RejectionKind, SendReceipt, VerificationStatus,
};
use phone_verify_http::{Answer, Unreadable};

use crate::wire::{ErrorBody, Resource, Verification, reading};

/// Twilio's "max check attempts reached": on a check, an answer (too many attempts), not an
/// error.
pub(crate) const MAX_CHECK_ATTEMPTS: u32 = 60202;

/// Twilio's "the requested resource was not found": on a check, no pending code.
const NOT_FOUND: u32 = 20404;

/// Classifies the answer to a send.
pub(crate) fn classify_send(answer: Answer<'_>) -> Result<SendReceipt, GatewayError> {
    let resource = resource(answer)?;
    let reading = reading(&resource.status);
    Ok(SendReceipt {
        delivery: resource.delivery(),
        // Right after a send nothing was checked yet.
        code_state: match reading.verification_status {
            VerificationStatus::Pending => CodeState::Unknown,
            _ => reading.code_state,
        },
        verification_status: reading.verification_status,
        submitted_at: resource.created,
        reference: resource.reference,
    })
}

/// Classifies the answer to a check. `reference` is the request's (the 60202 answer carries no
/// resource to read it from).
pub(crate) fn classify_check(
    answer: Answer<'_>,
    reference: Option<&ReferenceId>,
) -> Result<CheckResult, GatewayError> {
    if answer.status == 429 && error_body(answer.body).code == Some(MAX_CHECK_ATTEMPTS) {
        return Ok(CheckResult {
            code_state: CodeState::MaxAttemptsExceeded,
            verification_status: VerificationStatus::Rejected,
            delivery: DeliveryStatus {
                state: DeliveryState::NotReported,
                updated_on: None,
            },
            reference: reference.cloned(),
            checked_at: DateTime::<Utc>::from(answer.received_at),
        });
    }
    let status = answer.status;
    let resource = resource(answer)?;
    let valid = resource
        .valid
        .ok_or_else(|| Unreadable::Missing("valid").at(status))?;
    // A success is claimed only when both fields say so.
    if valid != (resource.status == "approved") {
        return Err(Unreadable::Disagree("status", "valid").at(status));
    }
    let reading = reading(&resource.status);
    Ok(CheckResult {
        code_state: reading.code_state,
        verification_status: reading.verification_status,
        delivery: resource.delivery(),
        checked_at: resource.updated.unwrap_or(resource.created),
        reference: Some(resource.reference),
    })
}

/// The resource of a 2xx answer, or the error any other answer stands for. A verification
/// whose `status` is `failed` is a refusal, like IDMeta's `success: false`.
fn resource(answer: Answer<'_>) -> Result<Resource, GatewayError> {
    let status = answer.status;
    if !(200..=299).contains(&status) {
        return Err(refusal(answer));
    }
    let resource = serde_json::from_slice::<Verification<'_>>(answer.body)
        .map_err(|error| Unreadable::body(&error))
        .and_then(Verification::into_resource)
        .map_err(|reason| reason.at(status))?;
    if resource.status == "failed" {
        return Err(GatewayError::Rejected {
            kind: RejectionKind::Unsuccessful,
            status,
            message: None,
            field_errors: Default::default(),
        });
    }
    Ok(resource)
}

/// The error of a non-2xx answer. The HTTP status decides; Twilio's `code` is kept for the span
/// ([`error_code`]) and decides only 60202 on a check.
fn refusal(answer: Answer<'_>) -> GatewayError {
    let status = answer.status;
    let rejected = |kind| GatewayError::Rejected {
        kind,
        status,
        message: error_body(answer.body).message,
        field_errors: Default::default(),
    };
    match status {
        401 => GatewayError::Unauthorized,
        403 => rejected(RejectionKind::Forbidden),
        // 20404: on a check, "no pending code" (approved, expired or exhausted, then deleted).
        // Only Twilio's own error says so: a proxy's 404 (a wrong base path) is no answer
        // about the request.
        404 if error_body(answer.body).code == Some(NOT_FOUND) => rejected(RejectionKind::NotFound),
        404 => Unreadable::UnexpectedStatus.at(status),
        429 => GatewayError::RateLimited {
            retry_after: answer.retry_after(),
        },
        500..=599 => GatewayError::ProviderFault {
            status,
            retry_after: answer.retry_after(),
        },
        300..=399 => Unreadable::Redirect.at(status),
        400..=499 => rejected(RejectionKind::InvalidRequest),
        _ => Unreadable::UnexpectedStatus.at(status),
    }
}

/// Twilio's error code in a body, when there is one (for spans: a code is no personal data).
pub(crate) fn error_code(body: &[u8]) -> Option<u32> {
    error_body(body).code
}

fn error_body(body: &[u8]) -> ErrorBody {
    serde_json::from_slice(body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    const SEND_OK: &str = include_str!("../tests/fixtures/verification.json");
    const CHECK_OK: &str = include_str!("../tests/fixtures/verification_check.json");

    /// Wed, 21 Oct 2026 07:28:00 GMT: when every answer of the tables arrived.
    fn received_at() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_792_567_680)
    }

    fn answer<'a>(status: u16, retry_after: Option<&'a str>, body: &'a str) -> Answer<'a> {
        Answer {
            status,
            retry_after,
            body: body.as_bytes(),
            received_at: received_at(),
        }
    }

    /// Twilio's error body for `code`.
    fn twilio_error(status: u16, code: u32, message: &str) -> String {
        format!(
            r#"{{"code":{code},"message":"{message}","more_info":"https://www.twilio.com/docs/errors/{code}","status":{status}}}"#
        )
    }

    /// What a classification must produce, stated independently of the code under test.
    #[derive(Debug, PartialEq)]
    enum Expect {
        Ok,
        /// A check answered with this code state.
        Answer(CodeState),
        Unauthorized,
        Rejected(RejectionKind),
        RateLimited(Option<u64>),
        Fault(u16, Option<u64>),
        Invalid,
    }

    fn observed_error(error: &GatewayError) -> Expect {
        match error {
            GatewayError::Unauthorized => Expect::Unauthorized,
            GatewayError::Rejected { kind, .. } => Expect::Rejected(*kind),
            GatewayError::RateLimited { retry_after } => {
                Expect::RateLimited(retry_after.map(|d| d.as_secs()))
            }
            GatewayError::ProviderFault {
                status,
                retry_after,
            } => Expect::Fault(*status, retry_after.map(|d| d.as_secs())),
            GatewayError::InvalidResponse { .. } => Expect::Invalid,
            other => panic!("not produced by classification: {other:?}"),
        }
    }

    /// Every error code of the reference, on both operations, and every status class.
    #[test]
    fn answers_are_classified_as_the_table_says() {
        use Expect::*;
        let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
        let pending_check = CHECK_OK
            .replace("\"approved\"", "\"pending\"")
            .replace("\"valid\":true", "\"valid\":false");
        // (status, Retry-After, body, expected on send, expected on check)
        let cases: Vec<(u16, Option<&str>, String, Expect, Expect)> = vec![
            (201, None, SEND_OK.into(), Ok, Answer(CodeState::Invalid)),
            (200, None, CHECK_OK.into(), Ok, Answer(CodeState::Valid)),
            (200, None, pending_check, Ok, Answer(CodeState::Invalid)),
            (
                400,
                None,
                twilio_error(400, 60200, "Invalid parameter"),
                Rejected(RejectionKind::InvalidRequest),
                Rejected(RejectionKind::InvalidRequest),
            ),
            (
                400,
                None,
                twilio_error(400, 60205, "SMS is not supported by landline phone number"),
                Rejected(RejectionKind::InvalidRequest),
                Rejected(RejectionKind::InvalidRequest),
            ),
            (
                401,
                None,
                twilio_error(401, 20003, "Authenticate"),
                Unauthorized,
                Unauthorized,
            ),
            (
                403,
                None,
                twilio_error(403, 60410, "Verification delivery attempt blocked"),
                Rejected(RejectionKind::Forbidden),
                Rejected(RejectionKind::Forbidden),
            ),
            (
                404,
                None,
                twilio_error(404, 20404, "The requested resource was not found"),
                Rejected(RejectionKind::NotFound),
                Rejected(RejectionKind::NotFound),
            ),
            (404, None, html.into(), Invalid, Invalid),
            (404, None, String::new(), Invalid, Invalid),
            (
                429,
                None,
                twilio_error(429, 60202, "Max check attempts reached"),
                RateLimited(None),
                Answer(CodeState::MaxAttemptsExceeded),
            ),
            (
                429,
                Some("600"),
                twilio_error(429, 60203, "Max send attempts reached"),
                RateLimited(Some(600)),
                RateLimited(Some(600)),
            ),
            (
                429,
                None,
                twilio_error(429, 60212, "Too many concurrent requests for phone number"),
                RateLimited(None),
                RateLimited(None),
            ),
            (
                429,
                Some("Wed, 21 Oct 2026 07:28:30 GMT"),
                twilio_error(429, 20429, "Too Many Requests"),
                RateLimited(Some(30)),
                RateLimited(Some(30)),
            ),
            (
                429,
                Some("soon"),
                String::new(),
                RateLimited(None),
                RateLimited(None),
            ),
            (
                500,
                None,
                twilio_error(500, 20500, "Internal Server Error"),
                Fault(500, None),
                Fault(500, None),
            ),
            (502, None, html.into(), Fault(502, None), Fault(502, None)),
            (
                503,
                Some("5"),
                html.into(),
                Fault(503, Some(5)),
                Fault(503, Some(5)),
            ),
            (
                422,
                None,
                "garbage".into(),
                Rejected(RejectionKind::InvalidRequest),
                Rejected(RejectionKind::InvalidRequest),
            ),
            (
                201,
                None,
                SEND_OK.replace("\"pending\"", "\"failed\""),
                Rejected(RejectionKind::Unsuccessful),
                Rejected(RejectionKind::Unsuccessful),
            ),
            (200, None, "<html>ok</html>".into(), Invalid, Invalid),
            (
                200,
                None,
                SEND_OK[..SEND_OK.len() / 2].into(),
                Invalid,
                Invalid,
            ),
            (200, None, String::new(), Invalid, Invalid),
            (
                200,
                None,
                SEND_OK.replace("\"sid\":\"VEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",", ""),
                Invalid,
                Invalid,
            ),
            (
                200,
                None,
                SEND_OK.replace("2015-07-30T20:00:00Z", "yesterday"),
                Invalid,
                Invalid,
            ),
            (302, None, String::new(), Invalid, Invalid),
            (600, None, String::new(), Invalid, Invalid),
        ];
        for (status, retry_after, body, on_send, on_check) in cases {
            let answer = answer(status, retry_after, &body);
            let send = match classify_send(answer) {
                Result::Ok(_) => Ok,
                Err(error) => observed_error(&error),
            };
            assert_eq!(send, on_send, "send: HTTP {status} {body}");
            let check = match classify_check(answer, None) {
                Result::Ok(result) => Answer(result.code_state),
                Err(error) => observed_error(&error),
            };
            assert_eq!(check, on_check, "check: HTTP {status} {body}");
        }
    }

    #[test]
    fn the_documented_send_example_parses_field_by_field() {
        let receipt = classify_send(answer(201, None, SEND_OK)).expect("documented example");
        assert_eq!(
            receipt.reference.as_str(),
            "VEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        );
        assert_eq!(
            receipt.submitted_at.to_rfc3339(),
            "2015-07-30T20:00:00+00:00"
        );
        assert_eq!(receipt.code_state, CodeState::Unknown);
        assert_eq!(receipt.verification_status, VerificationStatus::Pending);
        assert_eq!(receipt.delivery.state, DeliveryState::NotReported);
        assert_eq!(receipt.delivery.updated_on, Some(receipt.submitted_at));
    }

    #[test]
    fn the_documented_check_example_parses_field_by_field() {
        let result = classify_check(answer(200, None, CHECK_OK), None).expect("documented example");
        assert!(result.is_verified());
        assert_eq!(result.code_state, CodeState::Valid);
        assert_eq!(result.verification_status, VerificationStatus::Verified);
        assert_eq!(
            result.reference.as_ref().map(ReferenceId::as_str),
            Some("VEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        );
        assert_eq!(result.checked_at.to_rfc3339(), "2015-07-30T20:00:00+00:00");
    }

    #[test]
    fn too_many_attempts_is_an_answer_about_the_requested_send() {
        let reference = ReferenceId::parse("VEbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").expect("sid");
        let body = twilio_error(429, 60202, "Max check attempts reached");
        let result = classify_check(answer(429, None, &body), Some(&reference)).expect("an answer");
        assert_eq!(
            result.verdict(),
            phone_verify_domain::CheckVerdict::TooManyAttempts
        );
        assert_eq!(result.reference, Some(reference));
        assert_eq!(result.checked_at, DateTime::<Utc>::from(received_at()));
    }

    #[test]
    fn a_check_whose_status_and_valid_disagree_is_never_a_success() {
        let disagree = "`status` and `valid` disagree";
        for (body, why) in [
            (
                CHECK_OK.replace("\"valid\":true", "\"valid\":false"),
                disagree,
            ),
            (CHECK_OK.replace("\"approved\"", "\"pending\""), disagree),
            (
                CHECK_OK.replace("\"valid\":true,", ""),
                "`valid` is missing",
            ),
        ] {
            let Err(GatewayError::InvalidResponse { status, reason }) =
                classify_check(answer(200, None, &body), None)
            else {
                panic!("not unreadable: {body}");
            };
            assert_eq!(status, 200);
            assert!(reason.downcast_ref::<Unreadable>().is_some(), "{reason:?}");
            assert_eq!(reason.to_string(), why, "{body}");
        }
    }

    #[test]
    fn statuses_the_port_has_no_word_for_are_kept_and_never_verified() {
        for (status, verdict) in [
            ("canceled", phone_verify_domain::CheckVerdict::Undetermined),
            ("deleted", phone_verify_domain::CheckVerdict::Undetermined),
            ("expired", phone_verify_domain::CheckVerdict::Expired),
            (
                "max_attempts_reached",
                phone_verify_domain::CheckVerdict::TooManyAttempts,
            ),
        ] {
            let body = CHECK_OK
                .replace("\"approved\"", &format!("\"{status}\""))
                .replace("\"valid\":true", "\"valid\":false");
            let result = classify_check(answer(200, None, &body), None).expect(status);
            assert_eq!(result.verdict(), verdict, "{status}");
            if verdict == phone_verify_domain::CheckVerdict::Undetermined {
                assert_eq!(result.verification_status.as_str(), status);
            }
        }
    }

    #[test]
    fn errors_of_undecodable_answers_do_not_quote_the_body() {
        let body = SEND_OK.replace("\"status\":\"pending\"", "\"status\":15017122661");
        let error = classify_send(answer(201, None, &body)).expect_err("retyped field");
        let text = format!("{error} {error:?}");
        assert!(!text.contains("15017122661"), "{text}");
    }

    #[test]
    fn the_error_code_is_read_best_effort() {
        assert_eq!(
            error_code(twilio_error(429, 60203, "x").as_bytes()),
            Some(60203)
        );
        assert_eq!(error_code(b"<html>"), None);
    }
}
