//! Every fault the simulator can inject, on Twilio's routes, gives the error that says what
//! happened to the SMS, and nothing that may have been sent is sent again.

use std::time::Duration;

use phone_verify_domain::{GatewayError, VerificationGateway};
use phone_verify_sim::{Fault, FaultScope, UnvisitedPort};
use twilio_verify_adapter::RetryPolicy;

use crate::support::{TO, check_request, client, client_with, send_request, simulator};

/// What a failed call must look like.
#[derive(Debug, PartialEq)]
struct Seen {
    class: &'static str,
    may_have_been_sent: bool,
    requests: u64,
}

fn seen(class: &'static str, may_have_been_sent: bool) -> Seen {
    Seen {
        class,
        may_have_been_sent,
        requests: 1,
    }
}

/// Every fault kind, and what a send (or a check) under it must give.
fn matrix() -> Vec<(Fault, Seen)> {
    vec![
        (
            Fault::Delay(Duration::from_secs(3)),
            seen("outcome_unknown", true),
        ),
        (
            Fault::ServerError {
                status: 500,
                html: false,
            },
            seen("provider_fault", true),
        ),
        (
            Fault::ServerError {
                status: 502,
                html: true,
            },
            seen("provider_fault", true),
        ),
        // Twilio documents no 5xx as unprocessed: a 503 may have sent, JSON or not.
        (
            Fault::ServerError {
                status: 503,
                html: false,
            },
            seen("provider_fault", true),
        ),
        (
            Fault::ServerError {
                status: 503,
                html: true,
            },
            seen("provider_fault", true),
        ),
        (
            Fault::RateLimited {
                retry_after_secs: Some(1),
            },
            seen("rate_limited", false),
        ),
        (
            Fault::RateLimited {
                retry_after_secs: None,
            },
            seen("rate_limited", false),
        ),
        (Fault::SuccessFalse, seen("rejected", false)),
        (Fault::MalformedJson, seen("invalid_response", true)),
        (Fault::TruncatedJson, seen("invalid_response", true)),
        (
            Fault::Oversized { bytes: 1024 * 1024 },
            seen("invalid_response", true),
        ),
        (Fault::Trickle, seen("outcome_unknown", true)),
        (Fault::CloseBeforeRead, seen("outcome_unknown", true)),
        (Fault::CloseAfterRead, seen("outcome_unknown", true)),
        (Fault::CloseAfterProcessing, seen("outcome_unknown", true)),
    ]
}

fn observed(error: &GatewayError, requests: u64) -> Seen {
    Seen {
        class: error.class().as_str(),
        may_have_been_sent: error.may_have_been_sent(),
        requests,
    }
}

#[tokio::test]
async fn every_injected_fault_on_a_send_gives_its_error_and_is_never_resent() {
    for (fault, expected) in matrix() {
        let sim = simulator().await;
        sim.inject(fault.clone(), FaultScope::Next(1));
        let error = client(&sim)
            .send_code(&send_request(TO))
            .await
            .expect_err("the fault makes the send fail");
        let counters = sim.counters();
        // Requests that reached the routes, or connections, since a fault may close early.
        let requests = counters
            .twilio_send_requests
            .max(counters.connections_accepted);
        assert_eq!(observed(&error, requests), expected, "{fault:?}: {error:?}");
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn every_injected_fault_on_a_check_gives_its_error_and_is_never_repeated() {
    for (fault, expected) in matrix() {
        let sim = simulator().await;
        let gateway = client(&sim);
        let receipt = gateway.send_code(&send_request(TO)).await.expect("sent");
        let code = sim.last_code_for(TO).expect("delivered");
        // Armed for the number: the check by sid finds it through the verification.
        sim.inject(fault.clone(), FaultScope::PhoneNext(TO.into(), 1));
        let error = gateway
            .check_code(&check_request(&code, Some(&receipt.reference)))
            .await
            .expect_err("the fault makes the check fail");
        assert_eq!(
            observed(&error, sim.counters().twilio_check_requests),
            expected,
            "{fault:?}: {error:?}"
        );
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_dead_server_is_not_sent_and_retried_under_the_policy() {
    // Bind a port, then free it: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let error = crate::support::builder(&format!("http://127.0.0.1:{port}"))
        .retry_policy(
            RetryPolicy::default().delays(Duration::from_millis(1), Duration::from_millis(2)),
        )
        .build()
        .expect("valid")
        .send_code(&send_request(TO))
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, GatewayError::NotSent { .. }), "{error:?}");
    assert!(!error.may_have_been_sent());
}

#[tokio::test]
async fn retry_after_is_honoured_only_when_the_caller_opts_in() {
    let sim = simulator().await;
    let limited = Fault::RateLimited {
        retry_after_secs: Some(0),
    };
    sim.inject(limited.clone(), FaultScope::Next(1));
    let error = client(&sim)
        .send_code(&send_request(TO))
        .await
        .expect_err("not opted in");
    assert!(
        matches!(
            error,
            GatewayError::RateLimited {
                retry_after: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(sim.counters().twilio_send_requests, 1);

    sim.inject(limited, FaultScope::Next(1));
    client_with(
        &sim,
        RetryPolicy::default().retry_after_ceiling(Duration::from_secs(1)),
    )
    .send_code(&send_request(TO))
    .await
    .expect("the retry after the 429 succeeds");
    let counters = sim.counters();
    assert_eq!(counters.twilio_send_requests, 3);
    assert_eq!(counters.twilio_codes_sent, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_check_with_neither_a_reference_nor_a_number_is_not_built_and_never_connects() {
    let port = UnvisitedPort::bind();
    let gateway = crate::exact_request::client(&port.url());
    let mut unaddressed = check_request("123456", None);
    unaddressed.phone = None;
    let error = gateway
        .check_code(&unaddressed)
        .await
        .expect_err("nothing to address the check to");
    assert!(
        matches!(error, GatewayError::RequestNotBuilt { .. }),
        "{error:?}"
    );
    assert!(!error.may_have_been_sent() && !error.is_retryable());
    let reason = std::error::Error::source(&error).expect("a reason");
    assert_eq!(
        reason.to_string(),
        "a check needs the send's reference or the phone number"
    );
    port.assert_unvisited();
}
