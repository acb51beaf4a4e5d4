//! What the gateway contract (`contract.rs`, the fault matrix of `phone_verify_sim::contract`)
//! leaves to this adapter: the size cap its answers are read under, and the metric of its
//! retries, labelled with its provider.

use std::time::Duration;

use idmeta_adapter::RetryPolicy;
use phone_verify_domain::{GatewayError, VerificationGateway};
use phone_verify_sim::{Fault, FaultScope};

use crate::support::{client, send_request, simulator};

#[tokio::test]
async fn an_oversized_body_is_cut_at_the_cap() {
    let sim = simulator().await;
    sim.inject(
        Fault::Oversized {
            bytes: 10 * 1024 * 1024,
        },
        FaultScope::Next(1),
    );
    let error = client(&sim)
        .send_code(&send_request("+60182258491", "tv-fault"))
        .await
        .expect_err("over the cap");
    let GatewayError::InvalidResponse { status, reason } = &error else {
        panic!("expected InvalidResponse, got {error:?}");
    };
    assert_eq!(*status, 200);
    assert!(
        reason.to_string().contains("cap of 65536 bytes"),
        "{reason}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn each_retry_is_counted_with_the_provider_and_the_class_retried() {
    // The recorder of this thread only: the test's runtime polls everything on it.
    let recorder = metrics_util::debugging::DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    // A port nothing listens on (bound, then freed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let gateway = idmeta_adapter::IdmetaClient::builder()
        .trust_flow(idmeta_adapter::TrustFlowId::new(147))
        .base_url(format!("http://127.0.0.1:{port}"))
        .allow_plain_http(true)
        .token(idmeta_adapter::SecretString::from("t"))
        .retry_policy(
            RetryPolicy::default()
                .max_retries(3)
                .delays(Duration::from_millis(1), Duration::from_millis(2)),
        )
        .build()
        .expect("valid");
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
