//! A code's life through the port: sent and verified (on every channel the rules offer), a
//! wrong code, too many of them, a code used or never sent, and the provider's own limit on
//! sends.

use phone_verify_domain::{CheckVerdict, CodeState, ErrorClass, GatewayError, VerificationStatus};

use super::ContractTarget;
use super::harness::{
    Harness, IDMETA_RESEND_COOLDOWN, PHONE, Said, check_of, is_no_pending_code, send_request,
    unnamed_check, wrong,
};

/// Enough checks of a wrong code to reach any provider's attempt limit.
const MORE_CHECKS_THAN_ANY_LIMIT: u64 = 10;
/// Enough sends to one number to reach any provider's own limit.
const MORE_SENDS_THAN_ANY_LIMIT: u64 = 10;

/// A send is accepted with a receipt (a pending code, not yet checked, accepted at the
/// provider's time), delivers one code, and that code, checked by the send it came from,
/// verifies, with the answer naming that send.
pub async fn a_sent_code_checked_by_its_send_verifies(target: &dyn ContractTarget) {
    let harness = Harness::start(target).await;

    let receipt = harness.send().await;
    assert_eq!(receipt.code_state, CodeState::Unknown, "{receipt:?}");
    assert_eq!(
        receipt.verification_status,
        VerificationStatus::Pending,
        "{receipt:?}"
    );
    assert_eq!(
        receipt.submitted_at,
        harness.sim.clock().now(),
        "{receipt:?}"
    );
    let result = harness
        .answer(
            &check_of(&harness.code(), &receipt),
            "the check is answered",
        )
        .await;

    assert_eq!(result.verdict(), CheckVerdict::Verified, "{result:?}");
    assert!(result.is_verified());
    assert_eq!(result.reference, Some(receipt.reference), "{result:?}");
    let seen = harness.seen();
    assert_eq!((seen.sends, seen.checks, seen.codes), (1, 1, 1));
    harness.finish().await;
}

/// Every channel the rules offer (`ProviderRules::channels`) delivers a code on that channel,
/// under the send's reference, and that code verifies: a channel declared is a channel the
/// provider's API takes, and the adapter names it as the provider does.
pub async fn every_channel_the_rules_offer_delivers_a_code_on_it_that_verifies(
    target: &dyn ContractTarget,
) {
    let harness = Harness::start(target).await;
    let channels = harness.rules().channels;
    assert!(
        channels.contains(phone_verify_domain::Channel::Sms),
        "every provider offers SMS: {channels}"
    );
    for channel in channels.iter() {
        let receipt = harness
            .gateway
            .send_code(&send_request().with_channel(channel))
            .await
            .unwrap_or_else(|error| panic!("a send on {channel} succeeds: {error:?}"));
        let delivered = harness
            .sim
            .inbox_for(PHONE)
            .pop()
            .expect("a code was delivered");
        assert_eq!(delivered.channel, channel.as_str(), "{delivered:?}");
        assert_eq!(delivered.reference_id, receipt.reference.as_str());
        let result = harness
            .answer(
                &check_of(&delivered.code, &receipt),
                "the check is answered",
            )
            .await;
        assert_eq!(
            result.verdict(),
            CheckVerdict::Verified,
            "{channel}: {result:?}"
        );
        // Past a resend cooldown, where the provider has one.
        harness
            .sim
            .clock()
            .advance(IDMETA_RESEND_COOLDOWN + std::time::Duration::from_secs(1));
    }
    let sent = u64::try_from(channels.iter().count()).expect("a few channels");
    assert_eq!(harness.seen().codes, sent);
    harness.finish().await;
}

/// A wrong code is an answer (`Ok`, `WrongCode`), not an error, and leaves the code live: the
/// right one still verifies.
pub async fn a_wrong_code_is_an_answer_and_the_right_code_still_verifies(
    target: &dyn ContractTarget,
) {
    let harness = Harness::start(target).await;
    let receipt = harness.send().await;
    let code = harness.code();

    let result = harness
        .answer(
            &check_of(&wrong(&code), &receipt),
            "a wrong code is an answer",
        )
        .await;
    assert_eq!(result.verdict(), CheckVerdict::WrongCode, "{result:?}");
    assert!(!result.is_verified());
    let result = harness
        .answer(&check_of(&code, &receipt), "the right code is an answer")
        .await;
    assert_eq!(result.verdict(), CheckVerdict::Verified, "{result:?}");
    assert_eq!(harness.seen().checks, 2);
    harness.finish().await;
}

/// Wrong codes are answers until the provider's attempt limit, which is an answer too
/// (`Ok`, `TooManyAttempts`, about the send checked), never an error; after it, not even the
/// right code verifies.
pub async fn too_many_wrong_codes_is_an_answer_after_which_the_code_never_verifies(
    target: &dyn ContractTarget,
) {
    let harness = Harness::start(target).await;
    let receipt = harness.send().await;
    let code = harness.code();
    let wrong_check = check_of(&wrong(&code), &receipt);

    let mut checks = 0;
    let exhausted = loop {
        assert!(
            checks < MORE_CHECKS_THAN_ANY_LIMIT,
            "no attempt limit within {checks} wrong codes"
        );
        checks += 1;
        let result = harness
            .answer(&wrong_check, &format!("check {checks}"))
            .await;
        match result.verdict() {
            CheckVerdict::WrongCode => {}
            CheckVerdict::TooManyAttempts => break result,
            other => panic!("check {checks}: {other:?}: {result:?}"),
        }
    };
    assert!(
        exhausted
            .reference
            .as_ref()
            .is_none_or(|reference| *reference == receipt.reference),
        "{exhausted:?}"
    );
    assert_eq!(harness.seen().checks, checks, "no check repeated");

    match harness.gateway.check_code(&check_of(&code, &receipt)).await {
        Ok(result) => assert!(!result.is_verified(), "{result:?}"),
        Err(error) => assert!(is_no_pending_code(&error), "{error:?}"),
    }
    harness.finish().await;
}

/// A code that verified is used: checking it again finds no pending code
/// (`Rejected { NotFound }`: nothing counted, not retryable), never a second success.
pub async fn a_used_code_leaves_no_pending_code(target: &dyn ContractTarget) {
    let harness = Harness::start(target).await;
    let receipt = harness.send().await;
    let check = check_of(&harness.code(), &receipt);
    let result = harness.answer(&check, "the first check is answered").await;
    assert!(result.is_verified(), "{result:?}");

    let error = harness
        .gateway
        .check_code(&check)
        .await
        .expect_err("the code is used");

    assert!(is_no_pending_code(&error), "{error:?}");
    assert!(!error.is_retryable(), "{error:?}");
    assert_eq!(harness.seen().checks, 2);
    harness.finish().await;
}

/// A check where no code was ever sent (addressed as the rules say a check that names no send
/// is) finds no pending code.
pub async fn a_check_where_no_code_was_sent_is_no_pending_code(target: &dyn ContractTarget) {
    let harness = Harness::start(target).await;

    let error = harness
        .gateway
        .check_code(&unnamed_check("123456", &harness.rules()))
        .await
        .expect_err("no code was sent");

    assert!(is_no_pending_code(&error), "{error:?}");
    assert_eq!(harness.seen().checks, 1);
    harness.finish().await;
}

/// Sends to one number go through until the provider's own limit (a resend cooldown, a
/// number of sends per code), which is a rate limit: nothing sent, retryable, the request not
/// repeated, and every code delivered is one a send was told about.
pub async fn the_provider_s_own_limit_on_sends_is_a_rate_limit_that_delivers_nothing(
    target: &dyn ContractTarget,
) {
    let harness = Harness::start(target).await;

    let mut sent = 0;
    let error: GatewayError = loop {
        assert!(
            sent < MORE_SENDS_THAN_ANY_LIMIT,
            "no limit within {sent} sends"
        );
        match harness.gateway.send_code(&send_request()).await {
            Ok(_) => sent += 1,
            Err(error) => break error,
        }
    };

    assert!(sent >= 1, "the first send goes through: {error:?}");
    let said = Said::of(&error);
    assert_eq!(said.class, ErrorClass::RateLimited, "{error:?}");
    assert!(!said.may_have_been_sent && said.retryable, "{error:?}");
    let seen = harness.seen();
    assert_eq!((seen.sends, seen.codes), (sent + 1, sent));
    harness.finish().await;
}
