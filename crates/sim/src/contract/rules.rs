//! The rules an adapter declares (`VerificationGateway::rules`), held against the provider the
//! simulator plays: what a resend does to the first code, what a check that names no send
//! reaches, how long a code lives, whether a pending code can be ended, and whether a locale
//! and app hash reach the message.

use std::time::Duration;

use phone_verify_domain::{
    AppHash, CancelCodeRequest, CheckVerdict, CodeScope, GatewayError, Locale, PhoneNumber,
};

use super::ContractTarget;
use super::faults::lost_answers;
use super::harness::{
    Harness, IDMETA_RESEND_COOLDOWN, PHONE, check_naming, check_of, is_no_pending_code,
    send_request, simulated_lifetime, unnamed_check, wrong,
};

/// An SMS asked for in a language and with an Android app hash reaches the handset with both
/// where the rules declare them honoured (`ProviderRules::honours_locale`), and is sent in the
/// provider's own words, neither reaching it, where they do not: the declaration is what the
/// wire does.
pub async fn a_locale_and_app_hash_reach_the_message_only_where_the_rules_honour_them(
    target: &dyn ContractTarget,
) {
    let harness = Harness::start(target).await;
    let request = send_request()
        .with_locale(Locale::parse("en-GB").expect("a valid locale"))
        .with_app_hash(AppHash::parse("He42w354ol9").expect("a valid app hash"));
    harness
        .gateway
        .send_code(&request)
        .await
        .unwrap_or_else(|error| panic!("the send succeeds: {error:?}"));

    let delivered = harness
        .sim
        .inbox_for(PHONE)
        .pop()
        .expect("a code was delivered");
    let honoured = harness.rules().honours_locale;
    assert_eq!(
        (delivered.locale.as_deref(), delivered.app_hash.as_deref()),
        if honoured {
            (Some("en-GB"), Some("He42w354ol9"))
        } else {
            (None, None)
        },
        "honours_locale is {honoured}: {delivered:?}"
    );
    harness.finish().await;
}

/// A second send to the number while its code is pending delivers a code, and does to the
/// first what `resend_reuses_code` declares: where it is declared, the same code on the same
/// reference, which still verifies by the first send; where it is not, a new code on a new
/// reference, and the first send's code no longer verifies.
pub async fn a_resend_does_to_the_first_code_what_the_rules_declare(target: &dyn ContractTarget) {
    let harness = Harness::start(target).await;
    let first = harness.send().await;
    let first_code = harness.code();
    // Past a resend cooldown, where the provider has one.
    harness
        .sim
        .clock()
        .advance(IDMETA_RESEND_COOLDOWN + Duration::from_secs(1));

    let second = harness.send().await;
    let second_code = harness.code();
    assert_eq!(harness.seen().codes, 2, "a resend delivers a code");

    if harness.rules().resend_reuses_code {
        assert_eq!(second.reference, first.reference, "the same reference");
        assert_eq!(second_code, first_code, "the same code");
        let result = harness
            .answer(&check_of(&first_code, &first), "the first code is live")
            .await;
        assert_eq!(result.verdict(), CheckVerdict::Verified, "{result:?}");
    } else {
        assert_ne!(second.reference, first.reference, "a new reference");
        match harness
            .gateway
            .check_code(&check_of(&first_code, &first))
            .await
        {
            Ok(result) => assert!(!result.is_verified(), "the first code is void: {result:?}"),
            Err(error) => assert!(is_no_pending_code(&error), "{error:?}"),
        }
        let result = harness
            .answer(&check_of(&second_code, &second), "the second code is live")
            .await;
        assert_eq!(result.verdict(), CheckVerdict::Verified, "{result:?}");
    }
    harness.finish().await;
}

/// After a send whose answer was lost or replaced by a 5xx once the provider processed it,
/// whatever error it gave, the code delivered verifies with a check that names no send,
/// addressed as `code_scope` declares: by the number where the provider keeps one code per
/// number, else by the trust validation alone.
pub async fn the_code_of_a_send_whose_answer_was_lost_verifies_through_the_declared_code_scope(
    target: &dyn ContractTarget,
) {
    for fault in lost_answers() {
        let harness = Harness::start(target).await;
        let error = harness.send_under(&fault).await;
        assert_eq!(
            harness.seen().codes,
            1,
            "{fault:?}: the code went out: {error:?}"
        );

        let result = harness
            .answer(
                &unnamed_check(&harness.code(), &harness.rules()),
                &format!("{fault:?}: the code the user holds"),
            )
            .await;

        assert_eq!(
            result.verdict(),
            CheckVerdict::Verified,
            "{fault:?}: {result:?}"
        );
        assert_eq!(harness.seen().checks, 1, "{fault:?}");
        harness.finish().await;
    }
}

/// A check that names neither the send nor the number reaches the trust validation's code
/// where the provider keeps one code per trust validation; where it keeps one per number,
/// nothing could address it: `RequestNotBuilt` (not sent, not retryable), and no request
/// leaves.
pub async fn a_check_naming_only_the_trust_validation_reaches_its_code_only_where_the_rules_say_so(
    target: &dyn ContractTarget,
) {
    let harness = Harness::start(target).await;
    harness.send().await;
    let check = check_naming(&harness.code(), None, false);
    let before = harness.seen();

    let checked = harness.gateway.check_code(&check).await;

    match harness.rules().code_scope {
        CodeScope::TrustValidation => {
            let result = checked.unwrap_or_else(|error| panic!("the code is reached: {error:?}"));
            assert_eq!(result.verdict(), CheckVerdict::Verified, "{result:?}");
            assert_eq!(harness.seen().checks, 1);
        }
        CodeScope::Number => {
            let error = checked.expect_err("nothing addresses the code");
            assert!(
                matches!(error, GatewayError::RequestNotBuilt { .. }),
                "{error:?}"
            );
            assert!(!error.may_have_been_sent() && !error.is_retryable());
            assert_eq!(harness.seen(), before, "no request left");
        }
    }
    harness.finish().await;
}

/// A code is live until its lifetime is over: `code_lifetime` where the adapter declares one,
/// else the lifetime the simulator plays for the provider. A second before, a wrong code is
/// still an answer about a live code; a second after, the right code never verifies (an
/// expired code, or no pending code).
pub async fn a_code_lives_as_long_as_the_rules_declare_and_then_never_verifies(
    target: &dyn ContractTarget,
) {
    let harness = Harness::start(target).await;
    let lifetime = harness
        .rules()
        .code_lifetime
        .unwrap_or_else(|| simulated_lifetime(target.provider()));
    let receipt = harness.send().await;
    let code = harness.code();
    let clock = harness.sim.clock();

    clock.advance(lifetime - Duration::from_secs(1));
    let result = harness
        .answer(&check_of(&wrong(&code), &receipt), "the code is still live")
        .await;
    assert_eq!(result.verdict(), CheckVerdict::WrongCode, "{result:?}");

    clock.advance(Duration::from_secs(2));
    match harness.gateway.check_code(&check_of(&code, &receipt)).await {
        Ok(result) => assert_eq!(result.verdict(), CheckVerdict::Expired, "{result:?}"),
        Err(error) => assert!(is_no_pending_code(&error), "{error:?}"),
    }
    harness.finish().await;
}

/// Where the provider does not keep trust validations apart, `cancel_code` ends the pending
/// code with one request: the code then finds no pending code, and cancelling it again is
/// `Ok`. Where it keeps them apart, the adapter offers no cancel: `RequestNotBuilt` (not
/// sent, not retryable), no request, and the code still verifies.
pub async fn cancel_ends_a_pending_code_only_where_trust_validations_are_not_kept_apart(
    target: &dyn ContractTarget,
) {
    let harness = Harness::start(target).await;
    let receipt = harness.send().await;
    let code = harness.code();
    let cancel = CancelCodeRequest {
        reference: receipt.reference.clone(),
        phone: Some(PhoneNumber::parse(PHONE).expect("a valid number")),
    };
    let before = harness.seen();

    let cancelled = harness.gateway.cancel_code(&cancel).await;
    let checked = harness.gateway.check_code(&check_of(&code, &receipt)).await;

    if harness.rules().isolates_trust_validations {
        let error = cancelled.expect_err("no cancel");
        assert!(
            matches!(error, GatewayError::RequestNotBuilt { .. }),
            "{error:?}"
        );
        assert!(!error.may_have_been_sent() && !error.is_retryable());
        let result = checked.unwrap_or_else(|error| panic!("the code is live: {error:?}"));
        assert_eq!(result.verdict(), CheckVerdict::Verified, "{result:?}");
        assert_eq!(
            harness.seen().requests,
            before.requests + 1,
            "only the check"
        );
    } else {
        cancelled.unwrap_or_else(|error| panic!("the code is ended: {error:?}"));
        let error = checked.expect_err("the code was ended");
        assert!(is_no_pending_code(&error), "{error:?}");
        harness
            .gateway
            .cancel_code(&cancel)
            .await
            .unwrap_or_else(|error| panic!("a code no longer held is Ok: {error:?}"));
        assert_eq!(
            harness.seen().requests,
            before.requests + 3,
            "one request each"
        );
    }
    harness.finish().await;
}
