//! Answers wrong in what they say, not in their shape: an answer about another verification is
//! no verdict, and a status that echoes the number keeps no form of it.

use phone_verify_domain::{ErrorClass, UNLISTED};

use super::ContractTarget;
use super::harness::{Harness, PHONE_FORMS, Said, check_naming, check_of, send_request, wrong};
use crate::{Fault, FaultScope};

/// A check answered about another verification (another reference, another number: an
/// approval of a code that is not the one asked) is no verdict: `InvalidResponse` to a 2xx,
/// may have counted (the provider may have used the code), never verified, not repeated;
/// whether the check named the send, the number, or both.
pub async fn a_check_answered_about_another_verification_is_no_verdict(
    target: &dyn ContractTarget,
) {
    for (by_reference, by_number) in [(true, false), (false, true), (true, true)] {
        let harness = Harness::start(target).await;
        let receipt = harness.send().await;
        let check = check_naming(
            &harness.code(),
            by_reference.then_some(&receipt.reference),
            by_number,
        );
        harness
            .sim
            .inject(Fault::ForeignAnswer, FaultScope::Next(1));

        let checked = harness.gateway.check_code(&check).await;

        let named = format!("by reference {by_reference}, by number {by_number}");
        let Err(error) = checked else {
            panic!("{named}: another verification's answer was taken: {checked:?}");
        };
        let said = Said::of(&error);
        assert_eq!(
            said.class,
            ErrorClass::InvalidResponse,
            "{named}: {error:?}"
        );
        assert!(
            said.may_have_been_sent && !said.retryable,
            "{named}: {error:?}"
        );
        assert!(error.was_accepted(), "{named}: {error:?}");
        assert_eq!(harness.seen().checks, 1, "{named}");
        harness.finish().await;
    }
}

/// An answer whose status fields hold the number and free text with control characters is
/// never a success: a send's receipt or a check's answer keeps those statuses only as
/// `unlisted` (or the answer is `InvalidResponse`), and no form of the number, nor the free
/// text, is left in what the port returns; after a send, and after a check with the right
/// code and with a wrong one.
pub async fn a_status_that_echoes_the_number_is_unlisted_never_verified_and_keeps_no_form_of_it(
    target: &dyn ContractTarget,
) {
    let harness = Harness::start(target).await;
    harness.sim.inject(Fault::StatusEcho, FaultScope::Next(1));
    let sent = harness.gateway.send_code(&send_request()).await;
    match &sent {
        Ok(receipt) => {
            assert_eq!(
                receipt.verification_status.as_str(),
                UNLISTED,
                "{receipt:?}"
            );
            assert_eq!(receipt.code_state.as_str(), UNLISTED, "{receipt:?}");
        }
        Err(error) => assert_eq!(Said::of(error).class, ErrorClass::InvalidResponse),
    }
    holds_no_form_of_the_number(&format!("{sent:?}"));
    harness.finish().await;

    for right in [true, false] {
        let harness = Harness::start(target).await;
        let receipt = harness.send().await;
        let code = harness.code();
        let code = if right { code } else { wrong(&code) };
        harness.sim.inject(Fault::StatusEcho, FaultScope::Next(1));

        let checked = harness.gateway.check_code(&check_of(&code, &receipt)).await;

        match &checked {
            Ok(result) => {
                assert!(!result.is_verified(), "right code {right}: {result:?}");
                assert_eq!(result.verification_status.as_str(), UNLISTED, "{result:?}");
                assert_eq!(result.code_state.as_str(), UNLISTED, "{result:?}");
            }
            Err(error) => {
                let said = Said::of(error);
                assert_eq!(said.class, ErrorClass::InvalidResponse, "{error:?}");
                assert!(said.may_have_been_sent, "{error:?}");
            }
        }
        holds_no_form_of_the_number(&format!("{checked:?}"));
        assert_eq!(harness.seen().checks, 1);
        harness.finish().await;
    }
}

/// No form of the number and no free text in `debug`.
fn holds_no_form_of_the_number(debug: &str) {
    for form in PHONE_FORMS {
        assert!(!debug.contains(form), "{form} kept: {debug}");
    }
    assert!(debug.len() < 1024, "free text kept: {debug}");
}
