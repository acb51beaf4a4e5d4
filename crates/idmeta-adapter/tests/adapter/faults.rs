use std::time::Duration;

use idmeta_adapter::RetryPolicy;
use phone_verify_domain::{GatewayError, RejectionKind, VerificationGateway};
use phone_verify_sim::{Fault, FaultScope};

use crate::support::{check_request, client, client_with, send_request, simulator};

/// What a failed send must look like.
#[derive(Debug, PartialEq)]
struct Seen {
    class: &'static str,
    may_have_been_sent: bool,
    requests: u64,
}

async fn send_with_fault(fault: Fault) -> (GatewayError, Seen) {
    let sim = simulator().await;
    sim.inject(fault.clone(), FaultScope::Next(1));
    let error = client(&sim)
        .send_code(&send_request("+60182258491", "tv-fault"))
        .await
        .expect_err("the fault makes the send fail");
    let counters = sim.counters();
    let seen = Seen {
        class: error.class().as_str(),
        may_have_been_sent: error.may_have_been_sent(),
        // Requests that reached the server, and connections, since a fault may close early.
        requests: counters.send_requests.max(counters.connections_accepted),
    };
    sim.shutdown().await;
    (error, seen)
}

fn seen(class: &'static str, may_have_been_sent: bool) -> Seen {
    Seen {
        class,
        may_have_been_sent,
        requests: 1,
    }
}

#[tokio::test]
async fn every_injected_fault_gives_its_error_and_is_never_resent() {
    let cases = [
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
        // A proxy's 503 page may come after the request was processed.
        (
            Fault::ServerError {
                status: 503,
                html: true,
            },
            seen("provider_fault", true),
        ),
        // IDMeta's own JSON 503 says it turned the request away.
        (
            Fault::ServerError {
                status: 503,
                html: false,
            },
            seen("unavailable", false),
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
    ];
    for (fault, expected) in cases {
        let (error, got) = send_with_fault(fault.clone()).await;
        assert_eq!(got, expected, "{fault:?}: {error:?}");
    }
}

#[tokio::test]
async fn a_success_false_answer_is_an_unsuccessful_rejection() {
    let (error, _) = send_with_fault(Fault::SuccessFalse).await;
    assert!(
        matches!(
            error,
            GatewayError::Rejected {
                kind: RejectionKind::Unsuccessful,
                status: 200,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_oversized_body_is_cut_at_the_cap() {
    let (error, _) = send_with_fault(Fault::Oversized {
        bytes: 10 * 1024 * 1024,
    })
    .await;
    let GatewayError::InvalidResponse { status, reason } = &error else {
        panic!("expected InvalidResponse, got {error:?}");
    };
    assert_eq!(*status, 200);
    assert!(
        reason.to_string().contains("cap of 65536 bytes"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_server_that_never_finishes_its_answer_hits_the_timeout() {
    let started = std::time::Instant::now();
    let (error, _) = send_with_fault(Fault::Trickle).await;
    assert!(
        matches!(error, GatewayError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    // Bounded by the request timeout, not by the trickle (which never ends).
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// A client of a port nothing listens on (bound, then freed), retrying under `policy`.
fn dead_server_client(policy: RetryPolicy) -> idmeta_adapter::IdmetaClient {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    idmeta_adapter::IdmetaClient::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .allow_plain_http(true)
        .token(idmeta_adapter::SecretString::from("t"))
        .retry_policy(policy)
        .build()
        .expect("valid")
}

#[tokio::test]
async fn a_dead_server_is_not_sent_and_retried_under_the_policy() {
    let gateway = dead_server_client(
        RetryPolicy::default().delays(Duration::from_millis(1), Duration::from_millis(2)),
    );
    let error = gateway
        .send_code(&send_request("+60182258491", "tv-dead"))
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, GatewayError::NotSent { .. }), "{error:?}");
    assert!(!error.may_have_been_sent());
    assert!(error.is_retryable());
}

#[tokio::test]
async fn each_retry_is_counted_with_the_provider_and_the_class_retried() {
    // The recorder of this thread only: the test's runtime polls everything on it.
    let recorder = metrics_util::debugging::DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    let gateway = dead_server_client(
        RetryPolicy::default()
            .max_retries(3)
            .delays(Duration::from_millis(1), Duration::from_millis(2)),
    );
    gateway
        .send_code(&send_request("+60182258491", "tv-dead"))
        .await
        .expect_err("nothing listens");

    let counted: Vec<String> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let (_, key) = key.into_parts();
            let labels: Vec<String> = key
                .labels()
                .map(|label| format!("{}={}", label.key(), label.value()))
                .collect();
            format!("{}{{{}}} {value:?}", key.name(), labels.join(","))
        })
        .collect();
    assert_eq!(
        counted,
        ["phone_verify_retries_total{provider=idmeta,class=not_sent} Counter(3)"]
    );
}

#[tokio::test]
async fn retry_after_is_honoured_only_when_the_caller_opts_in() {
    let sim = simulator().await;
    sim.inject(
        Fault::RateLimited {
            retry_after_secs: Some(0),
        },
        FaultScope::Next(1),
    );
    let opted_in = client_with(
        &sim,
        RetryPolicy::default().retry_after_ceiling(Duration::from_secs(1)),
    );
    opted_in
        .send_code(&send_request("+60182258491", "tv-retry"))
        .await
        .expect("the retry after the 429 succeeds");
    let counters = sim.counters();
    assert_eq!(counters.send_requests, 2);
    assert_eq!(counters.codes_sent, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_check_whose_answer_is_lost_is_not_repeated() {
    let sim = simulator().await;
    let gateway = client(&sim);
    gateway
        .send_code(&send_request("+60182258491", "tv-check-lost"))
        .await
        .expect("sent");
    let code = sim.last_code_for("+60182258491").expect("delivered");
    sim.inject(Fault::CloseAfterProcessing, FaultScope::Next(1));
    let error = gateway
        .check_code(&check_request(&code, "tv-check-lost"))
        .await
        .expect_err("the answer is lost");
    assert!(
        matches!(error, GatewayError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    assert!(error.may_have_been_sent());
    assert_eq!(sim.counters().verify_requests, 1);
    sim.shutdown().await;
}
