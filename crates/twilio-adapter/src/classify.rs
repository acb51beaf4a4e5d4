//! Classifying an answer (status, `Retry-After`, body) into a domain result or error: one pure
//! function per operation, tested as a table covering every error code of the reference.

use chrono::{DateTime, Utc};
use phone_verify_domain::{
    CheckResult, CodeState, DeliveryState, DeliveryStatus, GatewayError, RateLimitKind,
    RejectionKind, SendReceipt, VerificationStatus,
};
use phone_verify_http::{Answer, Unreadable};

use crate::wire::{Asked, ErrorBody, Verification, not_reported, reading};

/// Twilio's "max check attempts reached": on a check, an answer (too many attempts), not an
/// error.
pub(crate) const MAX_CHECK_ATTEMPTS: u32 = 60202;

/// Twilio's "the requested resource was not found": on a check, no pending code.
const NOT_FOUND: u32 = 20404;

/// Classifies the answer to a send.
pub(crate) fn classify_send(answer: Answer<'_>) -> Result<SendReceipt, GatewayError> {
    let status = answer.status;
    let received_at = DateTime::<Utc>::from(answer.received_at);
    let resource = verification(answer)?
        .into_send(received_at)
        .map_err(|reason| reason.at(status))?;
    refused_if_failed(&resource.status, status)?;
    let reading = reading(&resource.status);
    Ok(SendReceipt {
        delivery: not_reported(resource.updated),
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

/// Classifies the answer to a check that asked about `asked` (the 60202 answer carries no
/// resource, so its reference is the one asked).
pub(crate) fn classify_check(
    answer: Answer<'_>,
    asked: Asked<'_>,
) -> Result<CheckResult, GatewayError> {
    let received_at = DateTime::<Utc>::from(answer.received_at);
    if answer.status == 429 && error_body(answer.body).code == Some(MAX_CHECK_ATTEMPTS) {
        return Ok(CheckResult {
            code_state: CodeState::MaxAttemptsExceeded,
            verification_status: VerificationStatus::Rejected,
            delivery: DeliveryStatus {
                state: DeliveryState::NotReported,
                updated_on: None,
            },
            reference: asked.reference.cloned(),
            checked_at: received_at,
        });
    }
    let status = answer.status;
    let resource = verification(answer)?
        .into_check(asked, received_at)
        .map_err(|reason| reason.at(status))?;
    refused_if_failed(&resource.status, status)?;
    let reading = reading(&resource.status);
    Ok(CheckResult {
        code_state: reading.code_state,
        verification_status: reading.verification_status,
        delivery: not_reported(None),
        checked_at: resource.checked_at,
        reference: resource.reference,
    })
}

/// Classifies the answer to a cancel: done when Twilio answered 2xx, or when it no longer holds
/// the verification (20404: its code verifies nothing either way).
pub(crate) fn classify_cancel(answer: Answer<'_>) -> Result<(), GatewayError> {
    match answer.status {
        200..=299 => Ok(()),
        404 if error_body(answer.body).code == Some(NOT_FOUND) => Ok(()),
        _ => Err(refusal(answer)),
    }
}

/// The decoded body of a 2xx answer, or the error any other answer stands for.
fn verification(answer: Answer<'_>) -> Result<Verification<'_>, GatewayError> {
    let status = answer.status;
    if !(200..=299).contains(&status) {
        return Err(refusal(answer));
    }
    serde_json::from_slice::<Verification<'_>>(answer.body)
        .map_err(|error| Unreadable::body(&error).at(status))
}

/// A verification whose `status` is `failed` is a refusal, like IDMeta's `success: false`.
fn refused_if_failed(verification_status: &str, status: u16) -> Result<(), GatewayError> {
    if verification_status == "failed" {
        return Err(GatewayError::Rejected {
            kind: RejectionKind::Unsuccessful,
            status,
            message: None,
            field_errors: Default::default(),
        });
    }
    Ok(())
}

/// What a 429's Twilio code says the limit is about.
fn rate_limit_kind(code: Option<u32>) -> RateLimitKind {
    match code {
        // Max send attempts: the end user already holds a live code.
        Some(60203) => RateLimitKind::CodeAlreadySent,
        // Too many concurrent requests for the number.
        Some(60212) => RateLimitKind::NumberBusy,
        // The account's rate limit.
        Some(20429) => RateLimitKind::Account,
        _ => RateLimitKind::Unspecified,
    }
}

/// The error of a non-2xx answer. The HTTP status decides; Twilio's `code` is kept for the span
/// ([`error_code`]) and on a rate limit, and decides only 60202 on a check and whether a 404 is
/// Twilio's own.
fn refusal(answer: Answer<'_>) -> GatewayError {
    let status = answer.status;
    let body = error_body(answer.body);
    let rejected = |kind, message| GatewayError::Rejected {
        kind,
        status,
        message,
        field_errors: Default::default(),
    };
    match status {
        401 => GatewayError::Unauthorized,
        403 => rejected(RejectionKind::Forbidden, body.message),
        // 20404: on a check, "no pending code" (approved, expired or exhausted, then deleted).
        // Only Twilio's own error says so: a proxy's 404 (a wrong base path) is no answer
        // about the request.
        404 if body.code == Some(NOT_FOUND) => rejected(RejectionKind::NotFound, body.message),
        404 => Unreadable::UnexpectedStatus.at(status),
        429 => GatewayError::RateLimited {
            retry_after: answer.retry_after(),
            kind: rate_limit_kind(body.code),
            provider_code: body.code,
        },
        500..=599 => GatewayError::ProviderFault {
            status,
            retry_after: answer.retry_after(),
        },
        300..=399 => Unreadable::Redirect.at(status),
        400..=499 => rejected(RejectionKind::InvalidRequest, body.message),
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
    use super::*;
    use phone_verify_domain::ReferenceId;
    use phone_verify_http::testing::{answer, assert_does_not_quote, received_at};

    const SEND_OK: &str = include_str!("../tests/fixtures/verification.json");
    const CHECK_OK: &str = include_str!("../tests/fixtures/verification_check.json");

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
            GatewayError::RateLimited { retry_after, .. } => {
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
                403,
                None,
                twilio_error(403, 60205, "SMS is not supported by landline phone number"),
                Rejected(RejectionKind::Forbidden),
                Rejected(RejectionKind::Forbidden),
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
                // A send's receipt needs the sid; a check's verdict does not.
                Invalid,
                Answer(CodeState::Invalid),
            ),
            (
                200,
                None,
                // Dates are not what either result needs.
                SEND_OK.replace("2015-07-30T20:00:00Z", "yesterday"),
                Ok,
                Answer(CodeState::Invalid),
            ),
            (
                200,
                None,
                // The verdict is the status: without it there is none.
                SEND_OK.replace("\"status\":\"pending\",", ""),
                Ok,
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
            let check = match classify_check(answer, NOTHING_ASKED) {
                Result::Ok(result) => Answer(result.code_state),
                Err(error) => observed_error(&error),
            };
            assert_eq!(check, on_check, "check: HTTP {status} {body}");
        }
    }

    #[test]
    fn the_documented_send_example_is_read_whole() {
        let created: DateTime<Utc> = "2015-07-30T20:00:00Z".parse().expect("RFC 3339");
        // Every field, so a field added to the receipt is decided on here too.
        let expected = SendReceipt {
            reference: ReferenceId::parse("VEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").expect("a sid"),
            submitted_at: created,
            delivery: DeliveryStatus {
                state: DeliveryState::NotReported,
                updated_on: Some(created),
            },
            code_state: CodeState::Unknown,
            verification_status: VerificationStatus::Pending,
        };
        let receipt = classify_send(answer(201, None, SEND_OK)).expect("documented example");
        assert_eq!(receipt, expected);
    }

    #[test]
    fn the_documented_check_example_parses_field_by_field() {
        let result =
            classify_check(answer(200, None, CHECK_OK), NOTHING_ASKED).expect("documented example");
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
        let result =
            classify_check(answer(429, None, &body), asked_by(&reference)).expect("an answer");
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
                CHECK_OK.replace("\"status\":\"approved\",", ""),
                "`status` is missing",
            ),
        ] {
            let Err(GatewayError::InvalidResponse { status, reason }) =
                classify_check(answer(200, None, &body), NOTHING_ASKED)
            else {
                panic!("not unreadable: {body}");
            };
            assert_eq!(status, 200);
            assert!(reason.downcast_ref::<Unreadable>().is_some(), "{reason:?}");
            assert_eq!(reason.to_string(), why, "{body}");
        }
    }

    /// A check asked by neither sid nor number (only the table's answers).
    const NOTHING_ASKED: Asked<'static> = Asked {
        reference: None,
        to: None,
    };

    fn asked_by(reference: &ReferenceId) -> Asked<'_> {
        Asked {
            reference: Some(reference),
            to: None,
        }
    }

    #[test]
    fn an_approval_is_decided_on_its_status_alone_and_keeps_the_sid_asked() {
        let asked = ReferenceId::parse("VEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").expect("sid");
        // Every field Twilio's OpenAPI marks nullable, left out but the status.
        let bare = r#"{"status":"approved"}"#;
        let result = classify_check(answer(200, None, bare), asked_by(&asked)).expect("approved");
        assert!(result.is_verified());
        assert_eq!(result.reference, Some(asked.clone()));
        assert_eq!(result.checked_at, DateTime::<Utc>::from(received_at()));
        for body in [
            CHECK_OK.replace("\"valid\":true,", ""),
            CHECK_OK.replace("\"valid\":true", "\"valid\":null"),
            CHECK_OK.replace("2015-07-30T20:00:00Z", "yesterday"),
            CHECK_OK.replace("\"sid\":\"VEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",", ""),
            CHECK_OK.replace("VEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ""),
        ] {
            let result =
                classify_check(answer(200, None, &body), asked_by(&asked)).expect("approved");
            assert!(result.is_verified(), "{body}");
            assert_eq!(result.reference, Some(asked.clone()), "{body}");
        }
    }

    #[test]
    fn a_send_receipt_needs_only_the_sid() {
        let bare = r#"{"sid":"VEbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}"#;
        let receipt = classify_send(answer(201, None, bare)).expect("accepted");
        assert_eq!(
            receipt.reference.as_str(),
            "VEbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
        );
        assert_eq!(receipt.verification_status, VerificationStatus::Pending);
        assert_eq!(receipt.submitted_at, DateTime::<Utc>::from(received_at()));
    }

    #[test]
    fn an_answer_about_another_verification_or_number_is_no_verdict() {
        let asked = ReferenceId::parse("VEbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").expect("sid");
        let by_number = Asked {
            reference: None,
            to: Some("+15017122662"),
        };
        for (asked, why) in [
            (
                asked_by(&asked),
                "`sid` names another verification than the one asked",
            ),
            (
                by_number,
                "`to` names another verification than the one asked",
            ),
        ] {
            let Err(GatewayError::InvalidResponse { status, reason }) =
                classify_check(answer(200, None, CHECK_OK), asked)
            else {
                panic!("an approval of another verification was taken: {why}");
            };
            assert_eq!((status, reason.to_string().as_str()), (200, why));
        }
    }

    #[test]
    fn rate_limits_keep_what_twilio_said_they_are_about() {
        for (code, kind) in [
            (Some(60203), RateLimitKind::CodeAlreadySent),
            (Some(60212), RateLimitKind::NumberBusy),
            (Some(20429), RateLimitKind::Account),
            (Some(60999), RateLimitKind::Unspecified),
            (None, RateLimitKind::Unspecified),
        ] {
            let body = code.map_or_else(String::new, |code| twilio_error(429, code, "limit"));
            for error in [
                classify_send(answer(429, Some("7"), &body)).expect_err("limited"),
                classify_check(answer(429, Some("7"), &body), NOTHING_ASKED).expect_err("limited"),
            ] {
                let GatewayError::RateLimited {
                    retry_after,
                    kind: got,
                    provider_code,
                } = error
                else {
                    panic!("not a rate limit: {error:?}");
                };
                assert_eq!(
                    (retry_after, got, provider_code),
                    (Some(std::time::Duration::from_secs(7)), kind, code)
                );
            }
        }
    }

    #[test]
    fn an_unlisted_status_is_kept_only_as_a_short_token() {
        for (status, kept) in [
            ("on_hold", "on_hold"),
            ("sent to +15017122661", "unlisted"),
            ("15017122661", "unlisted"),
        ] {
            let body = CHECK_OK
                .replace("\"approved\"", &format!("\"{status}\""))
                .replace("\"valid\":true,", "");
            let result = classify_check(answer(200, None, &body), NOTHING_ASKED).expect(status);
            assert_eq!(result.verification_status.as_str(), kept);
            assert!(!result.is_verified());
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
            let result = classify_check(answer(200, None, &body), NOTHING_ASKED).expect(status);
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
        assert_does_not_quote(&error, "15017122661");
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
