//! What the gateway contract (`contract.rs`) leaves to this adapter's flow against the
//! simulator: IDMeta's own ids, and its connection pool.

use phone_verify_domain::{GatewayError, RejectionKind, VerificationGateway};

use crate::support::{client, send_request, simulator};

#[tokio::test]
async fn an_unknown_trust_validation_is_a_not_found_rejection() {
    let sim = simulator().await;
    sim.mark_unknown_trust_validation("tv-unknown");
    let error = client(&sim)
        .send_code(&send_request("+60182258491", "tv-unknown"))
        .await
        .expect_err("unknown id");
    assert!(
        matches!(
            error,
            GatewayError::Rejected {
                kind: RejectionKind::NotFound,
                status: 404,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.may_have_been_sent());
    sim.shutdown().await;
}

#[tokio::test]
async fn connections_are_reused_across_a_hundred_calls() {
    let sim = crate::support::simulator_with(
        phone_verify_sim::SimConfig::default().idmeta_no_send_limit(),
    )
    .await;
    let gateway = client(&sim);
    for i in 0..100 {
        // Distinct trust validations, one number each: no cooldown in the way.
        let number = format!("+601822{:05}", 10_000 + i);
        let receipt = gateway
            .send_code(&send_request(&number, &format!("tv-reuse-{i}")))
            .await;
        assert!(receipt.is_ok(), "call {i}: {receipt:?}");
    }
    let counters = sim.counters();
    assert_eq!(counters.idmeta_send_requests, 100);
    assert!(
        counters.connections_accepted <= 2,
        "{} connections",
        counters.connections_accepted
    );
    sim.shutdown().await;
}
