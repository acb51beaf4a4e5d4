//! What the retry policy may repeat, and failures that come before any provider processing:
//! an opted-in rate limit, a provider nothing listens on, refused credentials.

use std::time::Duration;

use phone_verify_domain::{ErrorClass, GatewayError};

use super::harness::{Harness, Said, send_request, unnamed_check};
use super::{ContractTarget, Credentials, Retries};
use crate::{Fault, FaultScope};

/// A 429 with a `Retry-After` is returned to the caller under the shipped policy, and retried
/// (once, after the wait) only under the caller's opt-in and within its ceiling; a longer wait
/// is returned to the caller with its `Retry-After`. Nothing is sent twice: the one code
/// delivered is the retried send's.
pub async fn a_rate_limit_is_retried_only_when_the_caller_opts_in(target: &dyn ContractTarget) {
    let harness = Harness::start(target).await;
    let now = Fault::RateLimited {
        retry_after_secs: Some(0),
    };

    // Not opted in: the 429 is the caller's.
    let error = harness.send_under(&now).await;
    assert_eq!(Said::of(&error).class, ErrorClass::RateLimited, "{error:?}");
    assert_eq!(error.retry_after(), Some(Duration::ZERO), "{error:?}");
    assert_eq!((harness.seen().sends, harness.seen().codes), (1, 0));

    let opted_in = harness.gateway_with(
        Credentials::Accepted,
        Retries::RetryAfterUpTo(Duration::from_secs(1)),
    );
    harness.sim.inject(now, FaultScope::Next(1));
    opted_in
        .send_code(&send_request())
        .await
        .unwrap_or_else(|error| panic!("the retry after the 429 is sent: {error:?}"));
    assert_eq!((harness.seen().sends, harness.seen().codes), (3, 1));

    harness.sim.inject(
        Fault::RateLimited {
            retry_after_secs: Some(7),
        },
        FaultScope::Next(1),
    );
    let error = opted_in
        .send_code(&send_request())
        .await
        .expect_err("a wait above the ceiling is the caller's");
    assert!(
        matches!(error, GatewayError::RateLimited { retry_after: Some(wait), .. } if wait == Duration::from_secs(7)),
        "{error:?}"
    );
    assert_eq!((harness.seen().sends, harness.seen().codes), (4, 1));
    harness.finish().await;
}

/// A provider that cannot be reached (nothing listens on its port) got nothing: `NotSent`,
/// retryable, for a send and a check alike, whatever the policy retried.
pub async fn a_provider_nothing_listens_on_is_not_sent_and_may_be_retried(
    target: &dyn ContractTarget,
) {
    let harness = Harness::start(target).await;
    // Bound, then freed: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let gateway = harness.gateway_at(format!("http://127.0.0.1:{port}"));

    let send = gateway
        .send_code(&send_request())
        .await
        .expect_err("nothing listens");
    let check = gateway
        .check_code(&unnamed_check("123456", &gateway.rules()))
        .await
        .expect_err("nothing listens");

    for error in [send, check] {
        assert!(matches!(error, GatewayError::NotSent { .. }), "{error:?}");
        assert!(
            !error.may_have_been_sent() && error.is_retryable(),
            "{error:?}"
        );
    }
    assert_eq!(harness.seen().requests, 0);
    harness.finish().await;
}

/// Credentials the provider refuses are `Unauthorized`: nothing sent, nothing counted, and a
/// retry would fail alike; for a send and a check.
pub async fn refused_credentials_are_unauthorized_and_neither_send_nor_check(
    target: &dyn ContractTarget,
) {
    let harness = Harness::start(target).await;
    let refused = harness.gateway_with(Credentials::Refused, Retries::AsShipped);

    let send = refused
        .send_code(&send_request())
        .await
        .expect_err("refused credentials");
    let check = refused
        .check_code(&unnamed_check("123456", &refused.rules()))
        .await
        .expect_err("refused credentials");

    for error in [send, check] {
        assert!(matches!(error, GatewayError::Unauthorized), "{error:?}");
        assert!(
            !error.may_have_been_sent() && !error.is_retryable(),
            "{error:?}"
        );
    }
    let seen = harness.seen();
    assert_eq!((seen.sends, seen.checks, seen.codes), (1, 1, 0));
    harness.finish().await;
}
