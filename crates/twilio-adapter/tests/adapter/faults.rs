//! What the gateway contract (`contract.rs`, the fault matrix of `phone_verify_sim::contract`)
//! leaves to this adapter: a check with nothing to address it to says what it needs, and never
//! opens a connection.

use phone_verify_domain::{GatewayError, VerificationGateway};
use phone_verify_sim::UnvisitedPort;

use crate::support::check_request;

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
    let reason = std::error::Error::source(&error).expect("a reason");
    assert_eq!(
        reason.to_string(),
        "a check needs the send's reference or the phone number"
    );
    port.assert_unvisited();
}
