//! Answers that are wrong in what they say, not in their shape, from the simulator's Twilio
//! routes over real sockets: an answer about another verification or number gives no verdict,
//! and a status that echoes the number is kept only as `unlisted` (`docs/provider-api.md`,
//! "The provider's word is data, not trusted text").

use phone_verify_domain::{GatewayError, VerificationGateway};
use phone_verify_http::Unreadable;
use phone_verify_sim::{Fault, FaultScope};

use crate::support::{TO, check_request, client, send_request, simulator, wrong};

/// Every form of [`TO`] a text could hold: E.164, its digits, its national number.
const TO_FORMS: [&str; 3] = ["+15017122661", "15017122661", "5017122661"];

#[tokio::test]
async fn a_check_answered_about_another_verification_is_an_invalid_response_never_verified() {
    // (whether the check names the send's sid; the field that gives the answer away)
    for (by_sid, field) in [(true, "sid"), (false, "to")] {
        let sim = simulator().await;
        let gateway = client(&sim);
        let receipt = gateway.send_code(&send_request(TO)).await.expect("sent");
        let code = sim.last_code_for(TO).expect("delivered");
        sim.inject(Fault::ForeignAnswer, FaultScope::Next(1));

        let checked = gateway
            .check_code(&check_request(&code, by_sid.then_some(&receipt.reference)))
            .await;

        // Twilio may have counted (or approved) the check: it is not repeated.
        let Err(error) = checked else {
            panic!("{field}: an approval of another verification was taken: {checked:?}");
        };
        assert!(
            error.may_have_been_sent()
                && Unreadable::of(&error).is_some_and(|reason| {
                    matches!(reason, Unreadable::Foreign(f) if *f == field)
                }),
            "{field}: {error:?}"
        );
        assert_eq!(sim.counters().twilio_check_requests, 1, "{field}");
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_check_whose_status_echoes_the_number_is_never_verified_and_holds_no_form_of_it() {
    let sim = simulator().await;
    let gateway = client(&sim);
    let receipt = gateway.send_code(&send_request(TO)).await.expect("sent");
    let code = sim.last_code_for(TO).expect("delivered");
    sim.inject(Fault::StatusEcho, FaultScope::PhoneNext(TO.into(), 2));

    // A wrong code: `valid: false` agrees with any status but `approved`, so it is an answer.
    let result = gateway
        .check_code(&check_request(wrong(&code), Some(&receipt.reference)))
        .await
        .expect("an answer, with a status no mapping knows");
    assert!(!result.is_verified(), "{result:?}");
    assert_eq!(result.verification_status.as_str(), "unlisted");
    assert_eq!(result.code_state.as_str(), "unlisted");
    // The right code: `valid: true` contradicts a status that is not `approved`.
    let approved = gateway
        .check_code(&check_request(&code, Some(&receipt.reference)))
        .await;
    assert!(
        matches!(approved, Err(GatewayError::InvalidResponse { .. })),
        "{approved:?}"
    );

    let debug = format!("{result:?} {approved:?}");
    for form in TO_FORMS {
        assert!(!debug.contains(form), "{form} kept: {debug}");
    }
    assert!(debug.len() < 1024, "free text kept: {debug}");
    sim.shutdown().await;
}
