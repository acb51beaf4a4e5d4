//! The mockall double of the gateway port (feature `mocks`).

use std::sync::Arc;

use phone_verify_domain::{
    GatewayError, MockVerificationGateway, PhoneNumber, SendCodeRequest, TrustValidationId,
    VerificationGateway,
};

use crate::support::block_on;

#[test]
fn the_mock_gateway_is_usable_as_a_shared_trait_object() {
    let mut mock = MockVerificationGateway::new();
    mock.expect_send_code()
        .times(1)
        .returning(|_| Err(GatewayError::Unauthorized));
    let gateway: Arc<dyn VerificationGateway> = Arc::new(mock);
    // `Debug` is a supertrait of the port: whatever holds one can show it.
    assert!(format!("{gateway:?}").contains("MockVerificationGateway"));
    let request = SendCodeRequest::new(
        PhoneNumber::parse("+60182258491").expect("valid"),
        TrustValidationId::parse("tv").expect("valid"),
    );
    let outcome = block_on(gateway.send_code(&request));
    assert!(matches!(outcome, Err(GatewayError::Unauthorized)));
}
