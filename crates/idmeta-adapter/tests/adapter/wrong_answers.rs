//! Answers that are wrong in what they say, not in their shape, from the simulator over real
//! sockets: an answer about another send or number gives no verdict, and a status that echoes
//! the number is kept only as `unlisted` (`docs/provider-api.md`, "The provider's word is data,
//! not trusted text").

use phone_verify_domain::{CheckCodeRequest, GatewayError, SendReceipt, VerificationGateway};
use phone_verify_http::Unreadable;
use phone_verify_sim::{Fault, FaultScope, Simulator};

use crate::support::{check_request, client, phone, send_request, simulator};

const PHONE: &str = "+60182258491";

/// Every form of [`PHONE`] a text could hold: E.164, its digits, its national number.
const PHONE_FORMS: [&str; 3] = ["+60182258491", "60182258491", "182258491"];

/// A code sent to [`PHONE`] for `trust_validation`, and a check of it that names the send's
/// reference and the number as asked.
async fn sent(
    sim: &Simulator,
    trust_validation: &str,
    by_reference: bool,
    by_phone: bool,
) -> CheckCodeRequest {
    let receipt: SendReceipt = client(sim)
        .send_code(&send_request(PHONE, trust_validation))
        .await
        .expect("sent");
    let code = sim.last_code_for(PHONE).expect("delivered");
    let mut request = check_request(&code, trust_validation);
    request.reference = by_reference.then_some(receipt.reference);
    request.phone = by_phone.then(|| phone(PHONE));
    request
}

#[tokio::test]
async fn a_check_answered_about_another_send_or_number_is_an_invalid_response_never_verified() {
    // (the check names the reference, the number; the field that gives the answer away)
    for (by_reference, by_phone, field) in [
        (true, false, "data.referenceId"),
        (false, true, "data.verify.inputPhoneNumber"),
        (true, true, "data.referenceId"),
    ] {
        let sim = simulator().await;
        let request = sent(&sim, "tv-foreign", by_reference, by_phone).await;
        sim.inject(Fault::ForeignAnswer, FaultScope::Next(1));

        let error = client(&sim).check_code(&request).await;

        // IDMeta may have used the code up: the attempt may count, and is not repeated.
        let error = error.expect_err("an approval of another send is no verdict");
        assert!(
            matches!(Unreadable::of(&error), Some(Unreadable::Foreign(f)) if *f == field)
                && matches!(error, GatewayError::InvalidResponse { status: 200, .. })
                && error.may_have_been_sent(),
            "{field}: {error:?}"
        );
        assert_eq!(sim.counters().verify_requests, 1, "{field}");
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_check_whose_status_echoes_the_number_is_unlisted_and_holds_no_form_of_it() {
    let sim = simulator().await;
    let request = sent(&sim, "tv-echo", true, false).await;
    sim.inject(Fault::StatusEcho, FaultScope::PhoneNext(PHONE.into(), 1));

    let result = client(&sim)
        .check_code(&request)
        .await
        .expect("an answer, with statuses no mapping knows");

    assert!(!result.is_verified(), "{result:?}");
    assert_eq!(result.verification_status.as_str(), "unlisted");
    assert_eq!(result.code_state.as_str(), "unlisted");
    let debug = format!("{result:?}");
    for form in PHONE_FORMS {
        assert!(!debug.contains(form), "{form} kept: {debug}");
    }
    assert!(debug.len() < 1024, "free text kept: {debug}");
    sim.shutdown().await;
}
