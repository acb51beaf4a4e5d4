//! The application's use cases over Twilio, through the simulator: a check of a code Twilio no
//! longer holds (its 404) is the app's `NoPendingCode`, recorded and counted as no attempt.

use std::sync::Arc;
use std::time::Duration;

use phone_verify_app::{
    CheckCode, CheckCodeError, CheckPolicy, InMemoryVerificationStore, SendCode, SendPolicy, Wiring,
};
use phone_verify_domain::{CheckVerdict, OtpCode, PhoneNumber, SendCodeRequest, TrustValidationId};

use crate::support::{TO, client, simulator};

#[tokio::test]
async fn the_app_sends_and_checks_over_twilio_and_a_404_is_no_pending_code() {
    let sim = simulator().await;
    let wiring = Wiring::new(
        Arc::new(client(&sim)),
        Arc::new(InMemoryVerificationStore::new()),
    );
    let send = SendCode::new(wiring.clone(), SendPolicy::default());
    let check = CheckCode::new(wiring, CheckPolicy::default());
    let request = |phone: &str, tv: &str| SendCodeRequest {
        phone: PhoneNumber::parse(phone).expect("valid"),
        trust_validation: TrustValidationId::parse(tv).expect("valid"),
    };

    let sent = send.send(&request(TO, "tv-app-1")).await.expect("sent");
    assert!(sent.receipt.reference.as_str().starts_with("VE"));
    let code = OtpCode::parse(&sim.last_code_for(TO).expect("delivered")).expect("a code");
    let checked = check
        .check(TrustValidationId::parse("tv-app-1").expect("valid"), code)
        .await
        .expect("checked");
    assert_eq!(checked.verdict(), CheckVerdict::Verified);

    // A second number whose code Twilio lets expire (its clock, not the app's).
    let other = "+15017122662";
    send.send(&request(other, "tv-app-2")).await.expect("sent");
    let code = OtpCode::parse(&sim.last_code_for(other).expect("delivered")).expect("a code");
    sim.clock().advance(Duration::from_secs(600));
    let error = check
        .check(TrustValidationId::parse("tv-app-2").expect("valid"), code)
        .await
        .expect_err("Twilio deleted it");
    assert!(
        matches!(error, CheckCodeError::NoPendingCode { .. }),
        "{error:?}"
    );
    assert!(!error.may_have_been_sent());
    assert_eq!(sim.counters().twilio_check_requests, 2);
}
