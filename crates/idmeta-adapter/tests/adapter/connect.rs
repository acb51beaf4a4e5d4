//! A connection that never completes: the request never left, whichever timeout fires first.

use std::time::Duration;

use idmeta_adapter::{IdmetaClient, RetryPolicy, SecretString};
use phone_verify_domain::{GatewayError, VerificationGateway};

use crate::support::send_request;

/// A send to `https://` on a listener that never accepts: the kernel completes the TCP handshake
/// into the backlog, the TLS handshake never gets an answer.
async fn send_to_a_silent_listener(connect: Duration, request: Duration) -> GatewayError {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let gateway = IdmetaClient::builder()
        .trust_flow(idmeta_adapter::TrustFlowId::new(147))
        .base_url(format!("https://127.0.0.1:{port}"))
        .token(SecretString::from("t"))
        .connect_timeout(connect)
        .request_timeout(request)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("valid");
    let error = gateway
        .send_code(&send_request("+60182258491", "tv-silent"))
        .await
        .expect_err("the handshake never completes");
    drop(listener);
    error
}

#[tokio::test]
async fn a_handshake_that_never_completes_is_not_sent_whatever_the_timeouts() {
    let connect = Duration::from_millis(600);
    for request in [
        Duration::from_millis(300),
        connect,
        Duration::from_millis(1200),
    ] {
        let error = send_to_a_silent_listener(connect, request).await;
        assert!(
            matches!(error, GatewayError::NotSent { .. }),
            "request timeout {request:?}: {error:?}"
        );
        assert!(!error.may_have_been_sent(), "{request:?}");
    }
}
