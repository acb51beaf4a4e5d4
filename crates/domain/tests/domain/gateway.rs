use std::time::Duration;

use phone_verify_domain::{
    CheckVerdict, ErrorClass, FieldErrors, GatewayError, RejectionKind, UnknownName,
};

fn io_error() -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))
}

#[test]
fn each_error_says_whether_the_code_may_have_been_sent_and_whether_to_retry() {
    let rejected = GatewayError::Rejected {
        kind: RejectionKind::InvalidRequest,
        status: 422,
        message: Some("The given data was invalid.".into()),
        field_errors: FieldErrors::new(),
    };
    // (error, may_have_been_sent, is_retryable, class)
    let cases = [
        (
            GatewayError::NotSent { source: io_error() },
            false,
            true,
            "not_sent",
        ),
        (
            GatewayError::RequestNotBuilt { source: io_error() },
            false,
            false,
            "request_not_built",
        ),
        (rejected, false, false, "rejected"),
        (GatewayError::Unauthorized, false, false, "unauthorized"),
        (
            GatewayError::rate_limited(Some(Duration::from_secs(30))),
            false,
            true,
            "rate_limited",
        ),
        (
            GatewayError::OutcomeUnknown { source: io_error() },
            true,
            false,
            "outcome_unknown",
        ),
        (
            GatewayError::ProviderFault {
                status: 500,
                retry_after: None,
            },
            true,
            false,
            "provider_fault",
        ),
        (
            GatewayError::ProviderFault {
                status: 502,
                retry_after: None,
            },
            true,
            false,
            "provider_fault",
        ),
        // A 503 proves nothing by itself: a proxy answers it after the origin got the request.
        (
            GatewayError::ProviderFault {
                status: 503,
                retry_after: Some(Duration::from_secs(5)),
            },
            true,
            false,
            "provider_fault",
        ),
        // Only the provider's own word that it did not process the request is "not sent".
        (
            GatewayError::Unavailable {
                status: 503,
                retry_after: Some(Duration::from_secs(5)),
            },
            false,
            true,
            "unavailable",
        ),
        (
            GatewayError::InvalidResponse {
                status: 200,
                reason: "not JSON".into(),
            },
            true,
            false,
            "invalid_response",
        ),
    ];
    for (error, sent, retry, class) in cases {
        assert_eq!(error.may_have_been_sent(), sent, "{error:?}");
        assert_eq!(error.is_retryable(), retry, "{error:?}");
        assert_eq!(error.class().as_str(), class);
        assert_eq!(class.parse::<ErrorClass>(), Ok(error.class()), "{class}");
    }
}

#[test]
fn every_stable_name_reads_back_as_its_variant_and_unknown_names_are_typed_errors() {
    for kind in [
        RejectionKind::InvalidRequest,
        RejectionKind::NotFound,
        RejectionKind::Forbidden,
        RejectionKind::Unsuccessful,
    ] {
        assert_eq!(kind.as_str().parse::<RejectionKind>(), Ok(kind));
    }
    for verdict in [
        CheckVerdict::Verified,
        CheckVerdict::WrongCode,
        CheckVerdict::Expired,
        CheckVerdict::TooManyAttempts,
        CheckVerdict::Undetermined,
    ] {
        assert_eq!(verdict.as_str().parse::<CheckVerdict>(), Ok(verdict));
        assert_eq!(verdict.to_string(), verdict.as_str());
    }
    let unknown = "call_me".parse::<ErrorClass>().unwrap_err();
    assert_eq!(unknown, UnknownName::new("error class"));
    assert_eq!(unknown.to_string(), "not a known error class");
    assert!(
        "Verified".parse::<CheckVerdict>().is_err(),
        "names are lowercase"
    );
}

#[test]
fn messages_name_kinds_by_their_stable_names_and_a_request_not_built_never_blames_the_network() {
    let rejected = GatewayError::Rejected {
        kind: RejectionKind::NotFound,
        status: 404,
        message: None,
        field_errors: FieldErrors::new(),
    };
    assert_eq!(
        rejected.to_string(),
        "the provider refused the request (not_found)"
    );
    let not_built = GatewayError::RequestNotBuilt { source: io_error() };
    assert!(!not_built.to_string().contains("reach"), "{not_built}");
}

#[test]
fn display_of_a_rejection_leaves_out_the_providers_text() {
    let error = GatewayError::Rejected {
        kind: RejectionKind::InvalidRequest,
        status: 422,
        message: Some("+60182258491 is not valid".into()),
        field_errors: FieldErrors::from([("phone_number".into(), vec!["+60182258491 bad".into()])]),
    };
    assert!(!error.to_string().contains("182258491"), "{error}");
}

#[test]
fn the_retry_after_hint_is_exposed() {
    let wait = Duration::from_secs(7);
    assert_eq!(
        GatewayError::rate_limited(Some(wait)).retry_after(),
        Some(wait)
    );
    assert_eq!(GatewayError::Unauthorized.retry_after(), None);
}
