//! Classifying an answer (status, `Retry-After`, body) into a domain result or error: one pure
//! function per operation, tested as a table.

use chrono::{DateTime, Utc};
use phone_verify_domain::{CheckResult, GatewayError, RejectionKind, SendReceipt};
use phone_verify_http::{Answer, Unreadable};

use crate::wire::{Asked, Envelope, field_errors};

/// Classifies the answer to a send.
pub(crate) fn classify_send(answer: Answer<'_>) -> Result<SendReceipt, GatewayError> {
    classify(answer, |envelope| envelope.into_send_receipt())
}

/// Classifies the answer to a check that asked about `asked`.
pub(crate) fn classify_check(
    answer: Answer<'_>,
    asked: Asked<'_>,
) -> Result<CheckResult, GatewayError> {
    let received_at = DateTime::<Utc>::from(answer.received_at);
    classify(answer, |envelope| {
        envelope.into_check_result(asked, received_at)
    })
}

fn classify<T>(
    answer: Answer<'_>,
    convert: impl FnOnce(Envelope<'_>) -> Result<T, Unreadable>,
) -> Result<T, GatewayError> {
    let status = answer.status;
    let retry_after = answer.retry_after();
    match status {
        200..=299 => {
            let envelope = decode(answer.body).map_err(|reason| reason.at(status))?;
            match envelope.success {
                Some(true) => convert(envelope).map_err(|reason| reason.at(status)),
                // IDMeta's own SDK treats a 200 with `success: false` as a failure.
                Some(false) => Err(rejection(
                    RejectionKind::Unsuccessful,
                    status,
                    Some(&envelope),
                )),
                None => Err(Unreadable::Missing("success").at(status)),
            }
        }
        401 => Err(GatewayError::Unauthorized),
        403 => Err(rejection(
            RejectionKind::Forbidden,
            status,
            decode(answer.body).ok().as_ref(),
        )),
        // "Unknown trust validation" or "no pending code" only when IDMeta's own error says
        // so: a proxy's 404 (a wrong base path) is no answer about the request.
        404 => match decode(answer.body) {
            Ok(envelope) if envelope.message.is_some() => {
                Err(rejection(RejectionKind::NotFound, status, Some(&envelope)))
            }
            _ => Err(Unreadable::UnexpectedStatus.at(status)),
        },
        429 => Err(GatewayError::rate_limited(retry_after)),
        // IDMeta's own application answers its errors in JSON with a `message`; a proxy or
        // load balancer in front of it answers an HTML page or nothing, possibly after the
        // origin received the request. Only the former proves a 503 unprocessed
        // (`docs/provider-api.md`, "503 by evidence").
        503 if is_own_error(answer.body) => Err(GatewayError::Unavailable {
            status,
            retry_after,
        }),
        500..=599 => Err(GatewayError::ProviderFault {
            status,
            retry_after,
        }),
        300..=399 => Err(Unreadable::Redirect.at(status)),
        400..=499 => Err(rejection(
            RejectionKind::InvalidRequest,
            status,
            decode(answer.body).ok().as_ref(),
        )),
        _ => Err(Unreadable::UnexpectedStatus.at(status)),
    }
}

fn rejection(kind: RejectionKind, status: u16, envelope: Option<&Envelope<'_>>) -> GatewayError {
    GatewayError::Rejected {
        kind,
        status,
        message: envelope.and_then(|e| e.message.as_deref().map(str::to_owned)),
        field_errors: envelope.map(field_errors).unwrap_or_default(),
    }
}

/// Whether a body is IDMeta's own JSON error (an object with a string `message`), not a
/// proxy's page or an empty body.
fn is_own_error(body: &[u8]) -> bool {
    decode(body).is_ok_and(|envelope| envelope.message.is_some())
}

/// Decodes the envelope. The error names the kind of fault and its position, never the
/// content (serde's messages can quote values, and values can be phone numbers).
fn decode(body: &[u8]) -> Result<Envelope<'_>, Unreadable> {
    serde_json::from_slice(body).map_err(|error| Unreadable::body(&error))
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;
    use std::time::SystemTime;

    const SEND_OK: &str = include_str!("../tests/fixtures/send_response.json");

    fn classify_any(status: u16, body: &[u8]) {
        let answer = Answer {
            status,
            retry_after: Some("x"),
            body,
            received_at: SystemTime::UNIX_EPOCH,
        };
        let _ = classify_send(answer);
        let _ = classify_check(answer, Asked::NOTHING);
    }

    /// Every path to a value in the example, as JSON pointers.
    fn pointers(value: &Value, prefix: String, out: &mut Vec<String>) {
        if let Value::Object(map) = value {
            for (key, child) in map {
                let path = format!("{prefix}/{key}");
                out.push(path.clone());
                pointers(child, path, out);
            }
        }
    }

    fn example() -> Value {
        serde_json::from_str(SEND_OK).expect("the fixture is JSON")
    }

    /// The mutated example, and the pointer that was mutated.
    fn mutated(index: usize, mutation: u8) -> (String, String) {
        let mut doc = example();
        let mut paths = Vec::new();
        pointers(&doc, String::new(), &mut paths);
        let path = &paths[index % paths.len()];
        let (parent_path, key) = path.rsplit_once('/').expect("a pointer");
        let replacement = match mutation % 6 {
            0 => None,
            1 => Some(Value::Null),
            2 => Some(Value::from(12345)),
            3 => Some(Value::from("+60182258491")),
            4 => Some(serde_json::json!([[[[{"a": [1, 2, {"b": null}]}]]]])),
            _ => Some(Value::Bool(false)),
        };
        if let Some(Value::Object(parent)) = doc.pointer_mut(parent_path) {
            match replacement {
                Some(value) => {
                    parent.insert(key.to_owned(), value);
                }
                None => {
                    parent.remove(key);
                }
            }
        }
        (doc.to_string(), path.clone())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        #[test]
        fn arbitrary_bytes_never_panic(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..512)) {
            classify_any(status, &body);
        }

        #[test]
        fn mutations_of_the_example_give_a_result_or_a_typed_error(index in 0usize..64, mutation in 0u8..6) {
            let (body, path) = mutated(index, mutation);
            match classify_send(Answer { status: 200, retry_after: None, body: body.as_bytes(), received_at: SystemTime::UNIX_EPOCH }) {
                // Only a mutation of the reference itself may change it.
                Ok(receipt) => prop_assert!(
                    path == "/data/referenceId"
                        || receipt.reference.as_str() == "0123456789ABCDEF0123456789ABCDEF",
                    "{} changed the reference", path
                ),
                Err(error) => {
                    let text = format!("{error} {error:?}");
                    prop_assert!(!text.contains("182258491"), "{}", text);
                    prop_assert!(matches!(
                        error,
                        GatewayError::InvalidResponse { .. } | GatewayError::Rejected { .. }
                    ), "{:?}", error);
                }
            }
        }

        #[test]
        fn duplicated_keys_and_deep_nesting_never_panic(depth in 0usize..300, key in "(success|data|message|verificationStatus)") {
            let duplicated = SEND_OK.replacen('{', &format!("{{\"{key}\":1,"), 1);
            classify_any(200, duplicated.as_bytes());
            let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let body = SEND_OK.replace("\"metadata\":null", &format!("\"metadata\":{nested}"));
            classify_any(200, body.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phone_verify_domain::{
        CodeState, DeliveryState, PhoneNumber, ReferenceId, VerificationStatus,
    };
    use phone_verify_http::testing::{answer, assert_does_not_quote, received_at};

    const SEND_OK: &str = include_str!("../tests/fixtures/send_response.json");
    const VERIFY_OK: &str = include_str!("../tests/fixtures/verify_response.json");

    /// What a classification must produce, stated independently of the code under test.
    #[derive(Debug, PartialEq)]
    enum Expect {
        Ok,
        Unauthorized,
        Rejected(RejectionKind, usize),
        RateLimited(Option<u64>),
        Fault(u16, Option<u64>),
        Unavailable(Option<u64>),
        Invalid,
    }

    fn observed<T>(result: &Result<T, GatewayError>) -> Expect {
        match result {
            Ok(_) => Expect::Ok,
            Err(GatewayError::Unauthorized) => Expect::Unauthorized,
            Err(GatewayError::Rejected {
                kind, field_errors, ..
            }) => Expect::Rejected(*kind, field_errors.len()),
            Err(GatewayError::RateLimited { retry_after, .. }) => {
                Expect::RateLimited(retry_after.map(|d| d.as_secs()))
            }
            Err(GatewayError::ProviderFault {
                status,
                retry_after,
            }) => Expect::Fault(*status, retry_after.map(|d| d.as_secs())),
            Err(GatewayError::Unavailable { retry_after, .. }) => {
                Expect::Unavailable(retry_after.map(|d| d.as_secs()))
            }
            Err(GatewayError::InvalidResponse { .. }) => Expect::Invalid,
            Err(other) => panic!("not produced by classification: {other:?}"),
        }
    }

    #[test]
    fn answers_are_classified_as_the_table_says() {
        let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
        let unprocessable = r#"{"message":"The given data was invalid.","errors":{"phone_number":["must be digits"],"country_code":"needs +"}}"#;
        let cases: Vec<(Answer<'_>, Expect)> = vec![
            (answer(200, None, SEND_OK), Expect::Ok),
            (
                answer(401, None, r#"{"message":"Unauthenticated."}"#),
                Expect::Unauthorized,
            ),
            (answer(401, None, ""), Expect::Unauthorized),
            (
                answer(403, None, r#"{"message":"Forbidden"}"#),
                Expect::Rejected(RejectionKind::Forbidden, 0),
            ),
            (
                answer(404, None, r#"{"success":false,"message":"not found"}"#),
                Expect::Rejected(RejectionKind::NotFound, 0),
            ),
            // A proxy's 404 (a wrong base path) is not IDMeta saying "not found".
            (answer(404, None, html), Expect::Invalid),
            (answer(404, None, ""), Expect::Invalid),
            (
                answer(422, None, unprocessable),
                Expect::Rejected(RejectionKind::InvalidRequest, 2),
            ),
            (
                answer(400, None, "garbage"),
                Expect::Rejected(RejectionKind::InvalidRequest, 0),
            ),
            (
                answer(429, Some("30"), r#"{"message":"Too Many Attempts."}"#),
                Expect::RateLimited(Some(30)),
            ),
            (answer(429, None, ""), Expect::RateLimited(None)),
            (
                answer(429, Some("Wed, 21 Oct 2026 07:28:30 GMT"), ""),
                Expect::RateLimited(Some(30)),
            ),
            (answer(429, Some("soon"), ""), Expect::RateLimited(None)),
            (
                answer(503, Some("Wed, 21 Oct 2026 07:29:00 GMT"), html),
                Expect::Fault(503, Some(60)),
            ),
            (
                answer(500, None, r#"{"message":"Server Error"}"#),
                Expect::Fault(500, None),
            ),
            (answer(502, None, html), Expect::Fault(502, None)),
            (answer(503, Some("5"), html), Expect::Fault(503, Some(5))),
            // Only IDMeta's own JSON error proves a 503 unprocessed; a proxy's page or an
            // empty body may come after the request was processed.
            (
                answer(503, None, r#"{"message":"down"}"#),
                Expect::Unavailable(None),
            ),
            (
                answer(503, Some("5"), r#"{"message":"down"}"#),
                Expect::Unavailable(Some(5)),
            ),
            (answer(503, None, ""), Expect::Fault(503, None)),
            (answer(503, None, "[1]"), Expect::Fault(503, None)),
            (
                answer(200, None, r#"{"success":false,"message":"Invalid OTP"}"#),
                Expect::Rejected(RejectionKind::Unsuccessful, 0),
            ),
            (answer(200, None, "<html>ok</html>"), Expect::Invalid),
            (
                answer(200, None, r#"{"success":true,"data":"#),
                Expect::Invalid,
            ),
            (answer(200, None, r#"{"success":true}"#), Expect::Invalid),
            (
                answer(200, None, r#"{"message":"no success field"}"#),
                Expect::Invalid,
            ),
            (answer(200, None, ""), Expect::Invalid),
            (answer(302, None, ""), Expect::Invalid),
        ];
        for (answer, expected) in cases {
            let got = observed(&classify_send(answer));
            assert_eq!(
                got,
                expected,
                "HTTP {} {:?}",
                answer.status,
                String::from_utf8_lossy(answer.body)
            );
        }
    }

    #[test]
    fn the_documented_send_example_parses_field_by_field() {
        let receipt = classify_send(answer(200, None, SEND_OK)).expect("documented example");
        assert_eq!(
            receipt.reference.as_str(),
            "0123456789ABCDEF0123456789ABCDEF"
        );
        assert_eq!(
            receipt.submitted_at.to_rfc3339(),
            "2026-05-14T10:00:00+00:00"
        );
        assert_eq!(receipt.delivery.state, DeliveryState::InProgress);
        assert_eq!(receipt.delivery.updated_on, Some(receipt.submitted_at));
        assert_eq!(receipt.code_state, CodeState::Unknown);
        assert_eq!(receipt.verification_status, VerificationStatus::Pending);
    }

    /// The reference, number and trust validation of the documented verify example.
    const DOCUMENTED_REFERENCE: &str = "0123456789ABCDEF0123456789ABCDEF";
    const DOCUMENTED_PHONE: &str = "+60182258491";
    const DOCUMENTED_TRUST_VALIDATION: &str = "{your_trust_validation_id}";

    fn reference(raw: &str) -> ReferenceId {
        ReferenceId::parse(raw).expect("a valid reference")
    }

    fn phone(e164: &str) -> PhoneNumber {
        PhoneNumber::parse(e164).expect("a valid number")
    }

    /// A verify that named the documented example's reference, number and trust validation.
    fn asked_as_documented<'a>(reference: &'a ReferenceId, phone: &'a PhoneNumber) -> Asked<'a> {
        Asked {
            reference: Some(reference),
            phone: Some(phone),
            trust_validation: Some(DOCUMENTED_TRUST_VALIDATION),
        }
    }

    /// Asserts that the verify answer `body`, to a verify that asked `asked`, is unreadable
    /// for `reason` (its [`Unreadable`]'s `Debug`), or without one, verified, about the send
    /// asked when one was.
    fn assert_verify(body: &str, asked: Asked<'_>, reason: Option<&str>) {
        let result = classify_check(answer(200, None, body), asked);
        match (reason, result) {
            (Some(reason), Err(error @ GatewayError::InvalidResponse { status: 200, .. })) => {
                let got = Unreadable::of(&error).expect("a typed reason");
                assert_eq!(format!("{got:?}"), reason, "{body}");
            }
            (None, Ok(result)) => {
                assert!(result.is_verified(), "{body}");
                if let Some(asked) = asked.reference {
                    assert_eq!(result.reference.as_ref(), Some(asked), "{body}");
                }
            }
            (reason, result) => panic!("{body}: expected {reason:?}, got {result:?}"),
        }
    }

    #[test]
    fn the_documented_verify_example_parses_field_by_field() {
        let (reference, phone) = (reference(DOCUMENTED_REFERENCE), phone(DOCUMENTED_PHONE));
        let result = classify_check(
            answer(200, None, VERIFY_OK),
            asked_as_documented(&reference, &phone),
        )
        .expect("documented example");
        assert_eq!(result.code_state, CodeState::Valid);
        assert_eq!(result.verification_status, VerificationStatus::Verified);
        assert_eq!(result.delivery.state, DeliveryState::Delivered);
        assert_eq!(result.delivery.updated_on, None);
        assert_eq!(
            result.reference.as_ref().map(|r| r.as_str()),
            Some("0123456789ABCDEF0123456789ABCDEF")
        );
        assert_eq!(result.checked_at.to_rfc3339(), "2026-05-14T10:01:00+00:00");
        assert!(result.is_verified());
    }

    #[test]
    fn loose_parts_of_the_answer_are_tolerated() {
        let variants = [
            SEND_OK.replace("10:00:00.000Z", "10:00:00.12Z"),
            SEND_OK.replace("10:00:00.000Z", "10:00:00.123456Z"),
            SEND_OK.replace("10:00:00.000Z", "10:00:00Z"),
            SEND_OK.replace("\"trustFlowId\":0", "\"trustFlowId\":\"0\""),
            SEND_OK.replace("\"metadata\":null", "\"metadata\":{\"a\":[1,{\"b\":null}]}"),
            SEND_OK.replace("\"success\":true", "\"success\":true,\"unknownField\":42"),
            SEND_OK.replace("\"updatedOn\":\"2026-05-14T10:00:00.000Z\",", ""),
            SEND_OK.replace("\"PENDING\"", "\"ON_HOLD\""),
        ];
        for body in &variants {
            let receipt = classify_send(answer(200, None, body));
            assert!(receipt.is_ok(), "{body}: {receipt:?}");
        }
        let on_hold = classify_send(answer(200, None, &variants[7])).expect("tolerated");
        assert_eq!(on_hold.verification_status.as_str(), "ON_HOLD");
    }

    #[test]
    fn errors_of_undecodable_answers_do_not_quote_the_body() {
        let body = SEND_OK.replace("\"code\":103", "\"code\":\"+60182258491\"");
        let error = classify_send(answer(200, None, &body)).expect_err("retyped field");
        assert_does_not_quote(&error, "182258491");
        assert!(matches!(
            error,
            GatewayError::InvalidResponse { status: 200, .. }
        ));
    }

    #[test]
    fn a_send_answer_without_a_reference_is_not_a_success() {
        let body = SEND_OK.replace("\"referenceId\":\"0123456789ABCDEF0123456789ABCDEF\",", "");
        let Err(error @ GatewayError::InvalidResponse { .. }) =
            classify_send(answer(200, None, &body))
        else {
            panic!("a send answer without a reference is unreadable");
        };
        // The reason is the adapter's typed error, its message in the source, not the top line.
        assert_eq!(
            error.to_string(),
            "the provider's answer could not be understood (HTTP 200)"
        );
        let reason = std::error::Error::source(&error).expect("a reason");
        assert!(
            matches!(
                reason.downcast_ref::<Unreadable>(),
                Some(Unreadable::Missing("data.referenceId"))
            ),
            "{reason:?}"
        );
        assert_eq!(reason.to_string(), "`data.referenceId` is missing");
        let check = classify_check(
            answer(
                200,
                None,
                &VERIFY_OK.replace("\"referenceId\":\"0123456789ABCDEF0123456789ABCDEF\",", ""),
            ),
            Asked::NOTHING,
        )
        .expect("a check may omit the reference");
        assert_eq!(check.reference, None);
    }

    #[test]
    fn a_verify_answer_about_another_send_number_or_trust_validation_is_no_verdict() {
        let (asked_reference, asked_phone) =
            (reference(DOCUMENTED_REFERENCE), phone(DOCUMENTED_PHONE));
        let asked = asked_as_documented(&asked_reference, &asked_phone);
        let by_trust_validation = Asked {
            trust_validation: Some(DOCUMENTED_TRUST_VALIDATION),
            ..Asked::NOTHING
        };
        let other_send =
            VERIFY_OK.replace(DOCUMENTED_REFERENCE, "FEDCBA9876543210FEDCBA9876543210");
        let other_number = VERIFY_OK.replace(DOCUMENTED_PHONE, "+60182258492");
        let other_validation = VERIFY_OK.replace(DOCUMENTED_TRUST_VALIDATION, "tv-of-another");
        let foreign = |field| Some(format!("{:?}", Unreadable::Foreign(field)));
        // (answer, what the verify asked, the reason it is no verdict; none: verified)
        let cases: Vec<(String, Asked<'_>, Option<String>)> = vec![
            (VERIFY_OK.into(), asked, None),
            (other_send.clone(), asked, foreign("data.referenceId")),
            (
                other_number.clone(),
                asked,
                foreign("data.verify.inputPhoneNumber"),
            ),
            (
                other_validation.clone(),
                asked,
                foreign("trustValidationId"),
            ),
            // An answer about another send whose number was not asked is still another send's.
            (
                other_send.clone(),
                Asked {
                    phone: None,
                    ..asked
                },
                foreign("data.referenceId"),
            ),
            (
                other_number.clone(),
                Asked {
                    reference: None,
                    ..asked
                },
                foreign("data.verify.inputPhoneNumber"),
            ),
            // What the verify did not name, the answer cannot contradict.
            (other_send, by_trust_validation, None),
            (other_number, by_trust_validation, None),
            (other_validation, Asked::NOTHING, None),
            // The same number, spelled otherwise, is no other number.
            (
                VERIFY_OK.replace(DOCUMENTED_PHONE, "+60 18-225 8491"),
                asked,
                None,
            ),
            // An echo that is absent, empty, null or not a string falls back to what was asked.
            (VERIFY_OK.replace(DOCUMENTED_REFERENCE, ""), asked, None),
            (
                VERIFY_OK.replace(&format!("\"{DOCUMENTED_PHONE}\""), "null"),
                asked,
                None,
            ),
            (
                VERIFY_OK.replace(&format!("\"{DOCUMENTED_TRUST_VALIDATION}\""), "147"),
                asked,
                None,
            ),
            (
                VERIFY_OK.replace(&format!(",\"inputPhoneNumber\":\"{DOCUMENTED_PHONE}\""), ""),
                asked,
                None,
            ),
        ];
        for (body, asked, reason) in cases {
            assert_verify(&body, asked, reason.as_deref());
        }
    }

    #[test]
    fn a_verify_verdict_needs_only_success_the_code_state_and_the_status() {
        let asked_reference = reference(DOCUMENTED_REFERENCE);
        let asked = Asked {
            reference: Some(&asked_reference),
            ..Asked::NOTHING
        };
        let bare = r#"{"success":true,"data":{"verify":{"codeState":"VALID"}},"verificationStatus":"VERIFIED"}"#;
        let result = classify_check(answer(200, None, bare), asked).expect("a verdict");
        assert!(result.is_verified());
        assert_eq!(result.reference, Some(asked_reference.clone()));
        assert_eq!(result.checked_at, DateTime::<Utc>::from(received_at()));
        assert_eq!(result.delivery.state, DeliveryState::NotReported);
        // (answer, the reason it is no verdict; none: verified)
        let cases: Vec<(String, Option<&str>)> = vec![
            (
                VERIFY_OK.replace("2026-05-14T10:01:00.000Z", "yesterday"),
                None,
            ),
            (
                VERIFY_OK.replace(
                    r#""status":{"code":200,"description":"Verify success"},"#,
                    "",
                ),
                None,
            ),
            (
                VERIFY_OK.replace(r#""code":200,"#, r#""updatedOn":"soon","#),
                None,
            ),
            (
                VERIFY_OK.replace(r#""verificationStatusCode":3,"#, ""),
                None,
            ),
            (
                VERIFY_OK.replace(r#""success":true,"#, ""),
                Some(r#"Missing("success")"#),
            ),
            (
                VERIFY_OK.replace(r#""codeState":"VALID","#, ""),
                Some(r#"Missing("data.verify.codeState")"#),
            ),
            (
                VERIFY_OK.replace(r#""verificationStatus":"VERIFIED","#, ""),
                Some(r#"Missing("verificationStatus")"#),
            ),
        ];
        for (body, reason) in cases {
            assert_verify(&body, asked, reason);
        }
        let unreadable_reference = VERIFY_OK.replace(DOCUMENTED_REFERENCE, "not a reference");
        let result = classify_check(answer(200, None, &unreadable_reference), Asked::NOTHING)
            .expect("the verdict does not need the reference");
        assert!(result.is_verified());
        assert_eq!(result.reference, None);
    }
}
