//! Test numbers and channels through the builder, over the simulator serving IDMeta (SMS only)
//! and Twilio (SMS, call, WhatsApp): a test number never reaches a provider and verifies with
//! its fixed code, a channel goes only to a provider that offers it, and a channel none offers
//! is refused before any request.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use phone_verify::numbers::TestNumbers;
use phone_verify::policy::{SendLimits, SendPolicy, SendRefusal};
use phone_verify::records::{AttemptRecord, PageRequest};
use phone_verify::request::{AppHash, Channel, Locale};
use phone_verify::testing::sim::{self, SimConfig, Simulator};
use phone_verify::testing::{CapturedLogs, ManualClock};
use phone_verify::twilio::{SecretString, TwilioClient};
use phone_verify::{
    NextStep, OtpCode, PhoneNumber, PhoneVerification, PhoneVerificationBuilder, ProviderName,
    SendCodeError, SendCodeRequest, TrustValidationId,
};

use crate::support::{CODE, no_cooldown, request, simulator};

/// The fixed code of the test numbers below: never the simulator's [`CODE`].
const TEST_CODE: &str = "424242";

fn test_numbers() -> TestNumbers {
    TestNumbers::parse(&format!("+12025550100..+12025550199 {TEST_CODE}\n")).expect("a list")
}

fn request_to(number: &str, trust_validation: &str) -> SendCodeRequest {
    SendCodeRequest::new(
        PhoneNumber::parse(number).expect("a valid number"),
        TrustValidationId::parse(trust_validation).expect("a valid id"),
    )
}

fn tv(id: &str) -> TrustValidationId {
    TrustValidationId::parse(id).expect("a valid id")
}

fn code(text: &str) -> OtpCode {
    OtpCode::parse(text).expect("a code")
}

/// IDMeta (the default, SMS only) and Twilio, both on `sim`.
fn both(sim: &Simulator) -> PhoneVerificationBuilder {
    PhoneVerification::builder()
        .simulator(sim)
        .twilio_simulator(sim)
}

/// Every request the simulator received, of either provider.
fn requests(sim: &Simulator) -> u64 {
    let counters = sim.counters();
    counters.idmeta_send_requests
        + counters.idmeta_verify_requests
        + counters.twilio_send_requests
        + counters.twilio_check_requests
}

#[tokio::test]
async fn a_test_number_verifies_with_its_fixed_code_and_never_reaches_a_provider() {
    let sim = simulator().await;
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap());
    let verification = both(&sim)
        .test_numbers(test_numbers())
        .clock(clock.clone())
        .build()
        .await
        .expect("builds");

    let sent = verification
        .send_code(&request_to("+12025550142", "tv-review"))
        .await
        .expect("sent");
    assert_eq!(sent.provider, ProviderName::test());
    assert!(
        sent.receipt.reference.as_str().starts_with("test-"),
        "{sent:?}"
    );

    // A wrong code is a wrong attempt, counted as at any provider.
    let wrong = verification
        .check_code(tv("tv-review"), code("111111"), None)
        .await
        .expect("answered");
    assert!(!wrong.is_verified(), "{wrong:?}");
    assert!(
        matches!(verification.next_step(&wrong), NextStep::WrongCode { .. }),
        "{wrong:?}"
    );
    let right = verification
        .check_code(tv("tv-review"), code(TEST_CODE), None)
        .await
        .expect("answered");
    assert!(right.is_verified(), "{right:?}");
    assert_eq!(requests(&sim), 0, "no provider was asked");
    assert!(sim.inbox().is_empty(), "{:?}", sim.inbox());

    // The send, both checks, recorded under `test`; the channel is the request's.
    let history = verification
        .records()
        .history_of_trust_validation(&tv("tv-review"), PageRequest::first(10))
        .await
        .expect("reads");
    let mut checks = 0;
    for record in &history.items {
        match record {
            AttemptRecord::Send(send) => {
                assert_eq!(send.provider, ProviderName::test());
                assert_eq!(send.channel, Channel::Sms);
            }
            AttemptRecord::Check(_) => checks += 1,
        }
    }
    assert_eq!((history.items.len(), checks), (3, 2), "{history:?}");

    // The guards count a test send as any: a second one at once meets the cooldown.
    let again = verification
        .send_code(&request_to("+12025550142", "tv-review"))
        .await
        .expect_err("cooled down");
    assert!(
        matches!(
            again,
            SendCodeError::Refused(SendRefusal::CoolingDown { .. })
        ),
        "{again:?}"
    );

    // A number outside the list goes to the provider as before.
    let real = verification
        .send_code(&request("tv-real"))
        .await
        .expect("sent");
    assert_eq!(real.provider, ProviderName::idmeta());
    assert_eq!(sim.counters().idmeta_send_requests, 1);
}

#[tokio::test]
async fn a_test_number_takes_every_channel_even_one_no_provider_offers() {
    let sim = simulator().await;
    let verification = PhoneVerification::builder()
        .simulator(&sim)
        .test_numbers(test_numbers())
        .build()
        .await
        .expect("builds");
    let sent = verification
        .send_code(&request_to("+12025550100", "tv-call").with_channel(Channel::Call))
        .await
        .expect("sent");
    assert_eq!(sent.provider, ProviderName::test());
    let checked = verification
        .check_code(tv("tv-call"), code(TEST_CODE), None)
        .await
        .expect("answered");
    assert!(checked.is_verified(), "{checked:?}");
    assert_eq!(requests(&sim), 0);
}

#[tokio::test]
async fn the_test_numbers_are_logged_once_at_build_masked_and_without_their_codes() {
    let captured = CapturedLogs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let numbers = test_numbers()
        .number(
            PhoneNumber::parse("+60182258491").expect("a number"),
            code("918273"),
        )
        .expect("no overlap");

    let verification = PhoneVerification::builder()
        .gateway(phone_verify::testing::MockVerificationGateway::new())
        .test_numbers(numbers)
        .build()
        .await
        .expect("builds");
    verification
        .send_code(&request_to("+60182258491", "tv-logged"))
        .await
        .expect("sent to the test number");

    let text = captured.text();
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("test numbers"))
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(lines[0].contains("entries=2"), "{}", lines[0]);
    for secret in [
        TEST_CODE,
        "918273",
        "60182258491",
        "12025550100",
        "12025550199",
    ] {
        assert!(!text.contains(secret), "{secret} in:\n{text}");
    }
}

#[tokio::test]
async fn a_channel_no_wired_provider_offers_is_refused_before_any_request() {
    let sim = simulator().await;
    let verification = PhoneVerification::builder()
        .simulator(&sim)
        .build()
        .await
        .expect("builds");
    for channel in [Channel::Call, Channel::WhatsApp] {
        let refused = verification
            .send_code(&request("tv-no-call").with_channel(channel))
            .await
            .expect_err("IDMeta sends SMS only");
        assert!(
            matches!(
                &refused,
                SendCodeError::Refused(SendRefusal::ChannelNotOffered { channel: refused })
                    if *refused == channel
            ),
            "{refused:?}"
        );
        assert_eq!(
            verification.next_step(&refused),
            NextStep::ChannelUnavailable
        );
        assert!(
            refused
                .to_string()
                .chars()
                .chain(format!("{refused:?}").chars())
                .collect::<String>()
                .find("60182258491")
                .is_none(),
            "{refused:?}"
        );
    }
    assert_eq!(requests(&sim), 0);
    let history = verification
        .records()
        .history_of_trust_validation(&tv("tv-no-call"), PageRequest::first(10))
        .await
        .expect("reads");
    assert!(history.items.is_empty(), "a refusal records nothing");
}

#[tokio::test]
async fn a_call_goes_to_the_provider_that_offers_calls_and_is_checked_there() {
    let sim = simulator().await;
    // IDMeta is the default and every number's provider; only Twilio offers calls.
    let verification = both(&sim).build().await.expect("builds");
    let sent = verification
        .send_code(&request("tv-call").with_channel(Channel::Call))
        .await
        .expect("sent");
    assert_eq!(sent.provider, ProviderName::twilio());
    let counters = sim.counters();
    assert_eq!(
        (counters.idmeta_send_requests, counters.twilio_send_requests),
        (0, 1)
    );
    let checked = verification
        .check_code(tv("tv-call"), code(CODE), None)
        .await
        .expect("answered");
    assert!(checked.is_verified(), "{checked:?}");
    assert_eq!(sim.counters().twilio_check_requests, 1);
    let history = verification
        .records()
        .history_of_trust_validation(&tv("tv-call"), PageRequest::first(10))
        .await
        .expect("reads");
    let channels: Vec<Channel> = history
        .items
        .iter()
        .filter_map(|record| match record {
            AttemptRecord::Send(send) => Some(send.channel),
            AttemptRecord::Check(_) => None,
        })
        .collect();
    assert_eq!(channels, [Channel::Call]);
}

#[tokio::test]
async fn a_call_never_fails_over_to_a_provider_that_sends_sms_only() {
    let sim = simulator().await;
    // Twilio, the default, refuses these credentials (401: nothing sent, a failure that fails
    // over); IDMeta, the failover, sends SMS alone.
    let (user, _) = sim.twilio_credentials();
    let twilio = TwilioClient::builder()
        .base_url(sim.base_url())
        .allow_plain_http(true)
        .service_sid(sim.twilio_service_sid());
    let wrong = SecretString::from("not-the-secret".to_owned());
    let twilio = if user.starts_with("SK") {
        twilio.api_key(SecretString::from(user.to_owned()), wrong)
    } else {
        twilio.account_credentials(SecretString::from(user.to_owned()), wrong)
    };
    let verification = PhoneVerification::builder()
        .twilio(twilio)
        .simulator(&sim)
        .failover_to(ProviderName::idmeta())
        .build()
        .await
        .expect("builds");

    let failed = verification
        .send_code(&request("tv-call").with_channel(Channel::Call))
        .await
        .expect_err("Twilio refused and nobody else calls");
    assert!(matches!(failed, SendCodeError::Gateway(_)), "{failed:?}");
    let counters = sim.counters();
    assert_eq!(
        (counters.twilio_send_requests, counters.idmeta_send_requests),
        (1, 0),
        "the call was not turned into an SMS at IDMeta"
    );

    // An SMS after the same refusal fails over as before.
    let sent = verification
        .send_code(&request("tv-sms"))
        .await
        .expect("failed over");
    assert_eq!(sent.provider, ProviderName::idmeta());
    assert_eq!(sim.counters().twilio_send_requests, 2);
}

#[tokio::test]
async fn a_call_at_twilio_after_an_sms_at_idmeta_is_the_send_a_check_goes_to() {
    // Codes drawn at random, so a check of the wrong send would not verify.
    let sim = sim::start(SimConfig::default())
        .await
        .expect("the simulator starts");
    let verification = both(&sim)
        .send_policy(no_cooldown())
        .build()
        .await
        .expect("builds");
    // Sent within the same second: Twilio dates its verification in whole seconds, IDMeta
    // to the millisecond, so their submit times would put the call first.
    verification
        .send_code(&request("tv-both"))
        .await
        .expect("texted by IDMeta");
    let sms_code = sim.last_code_for("+60182258491").expect("texted");
    let call = verification
        .send_code(&request("tv-both").with_channel(Channel::Call))
        .await
        .expect("called by Twilio");
    assert_eq!(call.provider, ProviderName::twilio());
    let call_code = sim.last_code_for("+60182258491").expect("called");
    assert_ne!(sms_code, call_code, "two providers, two codes");

    let checked = verification
        .check_code(tv("tv-both"), code(&call_code), None)
        .await
        .expect("answered");
    assert!(checked.is_verified(), "{checked:?}");
    assert_eq!(checked.send, call.attempt);
    let counters = sim.counters();
    assert_eq!(
        (
            counters.idmeta_verify_requests,
            counters.twilio_check_requests
        ),
        (0, 1)
    );
}

#[tokio::test]
async fn no_sms_call_me_instead_resends_the_same_trust_validation_on_a_call() {
    let sim = simulator().await;
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap());
    let verification = PhoneVerification::builder()
        .twilio_simulator(&sim)
        .clock(clock.clone())
        .send_policy(SendPolicy {
            limits: SendLimits {
                cooldown: Duration::from_secs(30),
                ..SendLimits::default()
            },
            ..SendPolicy::default()
        })
        .build()
        .await
        .expect("builds");
    let sms = verification
        .send_code(&request("tv-signup"))
        .await
        .expect("sent");
    // The SMS does not arrive; after the cooldown the end user asks for a call.
    clock.advance(Duration::from_secs(31));
    let call = verification
        .send_code(&request("tv-signup").with_channel(Channel::Call))
        .await
        .expect("called");
    assert_eq!(call.provider, ProviderName::twilio());
    assert_eq!(
        call.receipt.reference, sms.receipt.reference,
        "Twilio re-sends the pending verification's code on the new channel"
    );
    let checked = verification
        .check_code(tv("tv-signup"), code(CODE), None)
        .await
        .expect("answered");
    assert!(checked.is_verified(), "{checked:?}");
    assert_eq!(
        checked.send, call.attempt,
        "the check names the latest send"
    );
    let counters = sim.counters();
    assert_eq!(
        (counters.twilio_send_requests, counters.twilio_codes_sent),
        (2, 2)
    );
}

#[tokio::test]
async fn the_locale_and_the_app_hash_reach_the_end_users_phone_through_the_facade() {
    let sim = simulator().await;
    // Twilio with a default locale and app hash, as an embedder configures its client.
    let (user, secret) = sim.twilio_credentials();
    let client = TwilioClient::builder()
        .base_url(sim.base_url())
        .allow_plain_http(true)
        .service_sid(sim.twilio_service_sid())
        .locale(Locale::parse("en").expect("a tag"))
        .app_hash(AppHash::parse("FA+9qCX9VSu").expect("an app hash"));
    let (user, secret) = (
        SecretString::from(user.to_owned()),
        SecretString::from(secret.to_owned()),
    );
    let client = if sim.twilio_credentials().0.starts_with("SK") {
        client.api_key(user, secret)
    } else {
        client.account_credentials(user, secret)
    };
    let verification = PhoneVerification::builder()
        .twilio(client)
        .send_policy(no_cooldown())
        .build()
        .await
        .expect("builds");

    // The client's defaults on an SMS.
    verification
        .send_code(&request("tv-lang"))
        .await
        .expect("texted");
    // A Malay call: the request's locale over the client's; no app hash on a call.
    verification
        .send_code(
            &request("tv-lang")
                .with_channel(Channel::Call)
                .with_locale(Locale::parse("ms").expect("a tag")),
        )
        .await
        .expect("called");
    let inbox = sim.inbox_for("+60182258491");
    let seen: Vec<(&str, Option<&str>, Option<&str>)> = inbox
        .iter()
        .map(|message| {
            (
                message.channel,
                message.locale.as_deref(),
                message.app_hash.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("sms", Some("en"), Some("FA+9qCX9VSu")),
            ("call", Some("ms"), None)
        ]
    );
}
