use std::time::Duration;

use phone_verify_domain::{FieldErrors, GatewayError, RejectionKind};

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
        (rejected, false, false, "rejected"),
        (GatewayError::Unauthorized, false, false, "unauthorized"),
        (
            GatewayError::RateLimited {
                retry_after: Some(Duration::from_secs(30)),
            },
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
        (
            GatewayError::ProviderFault {
                status: 503,
                retry_after: None,
            },
            false,
            true,
            "provider_fault",
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
        assert_eq!(error.class(), class);
    }
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
        GatewayError::RateLimited {
            retry_after: Some(wait)
        }
        .retry_after(),
        Some(wait)
    );
    assert_eq!(GatewayError::Unauthorized.retry_after(), None);
}
