//! The axum example over real HTTP, against the simulator: each outcome a front end sees.

use std::collections::BTreeSet;
use std::time::Duration;

use phone_verify::PhoneVerification;
use phone_verify::idmeta::{IdmetaClient, SecretString};
use phone_verify::numbers::RegionCode;
use phone_verify::policy::SendPolicy;
use phone_verify::testing::sim::{Fault, FaultScope};
use phone_verify::testing::{FailingStore, ManualClock, StoreOperation};

use crate::support::{Backend, CODE, NUMBER, simulator};

#[tokio::test]
async fn a_sign_up_sends_a_code_and_verifies_it() {
    let sim = simulator().await;
    let backend = Backend::start(PhoneVerification::builder().simulator(&sim)).await;

    let sent = backend.ask_for_code("signup-1", "+60 18-225 8491").await;
    assert_eq!((sent.status, sent.says()), (202, "code_sent"), "{sent:?}");
    let code = sim
        .last_code_for(NUMBER)
        .expect("the phone received a code");
    let verified = backend.verify("signup-1", &code).await;
    assert_eq!(
        (verified.status, verified.says()),
        (200, "verified"),
        "{verified:?}"
    );
}

#[tokio::test]
async fn metrics_shows_the_send_and_the_check_of_a_sign_up() {
    let sim = simulator().await;
    let backend = Backend::start(PhoneVerification::builder().simulator(&sim)).await;
    assert_eq!(backend.ask_for_code("signup-1", NUMBER).await.status, 202);
    let code = sim
        .last_code_for(NUMBER)
        .expect("the phone received a code");
    assert_eq!(backend.verify("signup-1", &code).await.status, 200);

    let (status, scraped) = backend.metrics().await;

    assert_eq!(status, 200);
    let series: BTreeSet<&str> = scraped
        .lines()
        .filter(|line| line.starts_with("phone_verify_") && !line.contains("_bucket"))
        .collect();
    for expected in [
        r#"phone_verify_sends_total{provider="idmeta",outcome="sent",country_code="60"} 1"#,
        r#"phone_verify_checks_total{provider="idmeta",outcome="answered",country_code="60",verdict="verified"} 1"#,
        r#"phone_verify_provider_call_seconds_count{operation="send_code",provider="idmeta",class="ok"} 1"#,
        r#"phone_verify_provider_call_seconds_count{operation="check_code",provider="idmeta",class="ok"} 1"#,
        r#"phone_verify_store_operation_seconds_count{operation="reserve_send",engine="memory"} 1"#,
        r#"phone_verify_store_operation_seconds_count{operation="finish_check",engine="memory"} 1"#,
    ] {
        assert!(series.contains(expected), "{expected} not in:\n{scraped}");
    }
    for secret in ["182258491", "signup-1", code.as_str()] {
        assert!(!scraped.contains(secret), "{secret} in the metrics");
    }
}

#[tokio::test]
async fn a_second_code_asked_at_once_is_429_with_retry_after_and_not_sent() {
    let sim = simulator().await;
    let backend = Backend::start(PhoneVerification::builder().simulator(&sim)).await;

    assert_eq!(backend.ask_for_code("signup-1", NUMBER).await.status, 202);
    let again = backend.ask_for_code("signup-1", NUMBER).await;

    assert_eq!((again.status, again.says()), (429, "wait"), "{again:?}");
    let wait = again.retry_after.expect("a Retry-After header");
    assert!((1..=30).contains(&wait), "the 30 s cooldown, not {wait} s");
    assert_eq!(
        sim.counters().idmeta_send_requests,
        1,
        "the refused send never left"
    );
}

#[tokio::test]
async fn a_send_whose_outcome_is_unknown_is_409_and_is_not_resent() {
    let sim = simulator().await;
    let backend = Backend::start(PhoneVerification::builder().simulator(&sim)).await;
    sim.inject(Fault::CloseAfterProcessing, FaultScope::Next(1));

    let unknown = backend.ask_for_code("signup-1", NUMBER).await;

    assert_eq!(
        (unknown.status, unknown.says()),
        (409, "code_may_be_on_its_way"),
        "{unknown:?}"
    );
    assert_eq!(sim.counters().idmeta_send_requests, 1, "never resent");
    assert_eq!(
        sim.counters().codes_sent,
        1,
        "the code is indeed on its way"
    );
}

#[tokio::test]
async fn a_provider_that_turns_sends_away_is_503_and_nothing_was_sent() {
    let sim = simulator().await;
    let backend = Backend::start(PhoneVerification::builder().simulator(&sim)).await;
    let down = Fault::ServerError {
        status: 503,
        html: false,
    };
    sim.inject(down, FaultScope::Phone(NUMBER.to_owned()));

    let answer = backend.ask_for_code("signup-1", NUMBER).await;

    assert_eq!(
        (answer.status, answer.says()),
        (503, "provider_down"),
        "{answer:?}"
    );
    assert_eq!(sim.counters().codes_sent, 0);
}

#[tokio::test]
async fn a_back_end_with_a_wrong_token_is_502() {
    let sim = simulator().await;
    let idmeta = IdmetaClient::builder()
        .trust_flow(phone_verify::idmeta::TrustFlowId::new(147))
        .base_url(sim.base_url())
        .allow_plain_http(true)
        .token(SecretString::from("not-the-simulator-token"));
    let backend = Backend::start(PhoneVerification::builder().idmeta(idmeta)).await;

    let answer = backend.ask_for_code("signup-1", NUMBER).await;

    assert_eq!(
        (answer.status, answer.says()),
        (502, "service_misconfigured"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_store_that_is_down_is_500_and_the_provider_is_not_called() {
    let sim = simulator().await;
    let builder = PhoneVerification::builder()
        .simulator(&sim)
        .store(FailingStore::failing(&[StoreOperation::ReserveSend]));
    let backend = Backend::start(builder).await;

    let answer = backend.ask_for_code("signup-1", NUMBER).await;

    assert_eq!(
        (answer.status, answer.says()),
        (500, "store_down"),
        "{answer:?}"
    );
    assert_eq!(sim.counters().idmeta_send_requests, 0);
}

#[tokio::test]
async fn a_number_the_policy_does_not_serve_is_422() {
    let sim = simulator().await;
    let policy = SendPolicy {
        allowed_regions: Some(BTreeSet::from([RegionCode::parse("SG").expect("a region")])),
        ..SendPolicy::default()
    };
    let builder = PhoneVerification::builder()
        .simulator(&sim)
        .send_policy(policy);
    let backend = Backend::start(builder).await;

    let answer = backend.ask_for_code("signup-1", NUMBER).await;

    assert_eq!(
        (answer.status, answer.says()),
        (422, "number_cannot_receive"),
        "{answer:?}"
    );
    assert_eq!(sim.counters().idmeta_send_requests, 0);
}

#[tokio::test]
async fn a_malformed_body_or_number_is_400_and_not_echoed() {
    let sim = simulator().await;
    let backend = Backend::start(PhoneVerification::builder().simulator(&sim)).await;

    let not_json = backend.post("/signup/phone", "phone=+60182258491").await;
    let bad_number = backend.ask_for_code("signup-1", "+99 1234 99999").await;

    for answer in [&not_json, &bad_number] {
        assert_eq!(
            (answer.status, answer.says()),
            (400, "invalid_request"),
            "{answer:?}"
        );
    }
    assert!(!bad_number.text.contains("99999"), "{}", bad_number.text);
    assert_eq!(sim.counters().idmeta_send_requests, 0);
}

#[tokio::test]
async fn a_wrong_code_is_422_and_the_right_one_still_verifies() {
    let sim = simulator().await;
    let backend = Backend::start(PhoneVerification::builder().simulator(&sim)).await;
    assert_eq!(backend.ask_for_code("signup-1", NUMBER).await.status, 202);

    let wrong = backend.verify("signup-1", "654321").await;
    let right = backend.verify("signup-1", CODE).await;

    assert_eq!(
        (wrong.status, wrong.says()),
        (422, "wrong_code"),
        "{wrong:?}"
    );
    assert_eq!(
        wrong.body["tries_left"], 4,
        "5 attempts a code by default, one used: {wrong:?}"
    );
    assert_eq!((right.status, right.says()), (200, "verified"), "{right:?}");
}

#[tokio::test]
async fn retry_after_is_the_cooldown_left_on_the_librarys_clock() {
    // A manual clock far from the system's: a wait computed on the system clock would be
    // zero (or years).
    let clock = ManualClock::new("2020-01-01T00:00:00Z".parse().expect("an instant"));
    let sim = simulator().await;
    let backend = Backend::start(
        PhoneVerification::builder()
            .simulator(&sim)
            .clock(clock.clone()),
    )
    .await;
    assert_eq!(backend.ask_for_code("signup-1", NUMBER).await.status, 202);

    let at_once = backend.ask_for_code("signup-1", NUMBER).await;
    clock.advance(Duration::from_secs(20));
    let later = backend.ask_for_code("signup-1", NUMBER).await;

    assert_eq!(
        (at_once.status, at_once.retry_after),
        (429, Some(30)),
        "{at_once:?}"
    );
    assert_eq!(
        (later.status, later.retry_after),
        (429, Some(10)),
        "{later:?}"
    );
    assert_eq!(sim.counters().idmeta_send_requests, 1);
}

#[tokio::test]
async fn a_check_with_no_code_sent_is_410_and_does_not_reach_the_provider() {
    let sim = simulator().await;
    let backend = Backend::start(PhoneVerification::builder().simulator(&sim)).await;

    let answer = backend.verify("signup-without-a-send", CODE).await;

    assert_eq!(
        (answer.status, answer.says()),
        (410, "code_gone"),
        "{answer:?}"
    );
    assert_eq!(sim.counters().idmeta_verify_requests, 0);
}

#[tokio::test]
async fn a_check_the_provider_cannot_answer_is_503() {
    let sim = simulator().await;
    let backend = Backend::start(PhoneVerification::builder().simulator(&sim)).await;
    assert_eq!(backend.ask_for_code("signup-1", NUMBER).await.status, 202);
    let down = Fault::ServerError {
        status: 503,
        html: false,
    };
    sim.inject(down, FaultScope::Phone(NUMBER.to_owned()));

    let answer = backend.verify("signup-1", CODE).await;

    assert_eq!(
        (answer.status, answer.says()),
        (503, "provider_down"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn no_sms_call_me_instead_calls_where_a_provider_calls_and_is_422_where_none_does() {
    let sim = simulator().await;
    let backend = Backend::start(
        PhoneVerification::builder()
            .simulator(&sim)
            .twilio_simulator(&sim)
            .send_policy(crate::support::no_cooldown()),
    )
    .await;
    let sent = backend.ask_for_code("signup-call", "+60 18-225 8491").await;
    assert_eq!((sent.status, sent.says()), (202, "code_sent"), "{sent:?}");
    let call = backend
        .post(
            "/signup/phone",
            r#"{"signup_id": "signup-call", "phone": "+60 18-225 8491", "channel": "call", "locale": "en"}"#,
        )
        .await;
    assert_eq!((call.status, call.says()), (202, "code_sent"), "{call:?}");
    let counters = sim.counters();
    assert_eq!(
        (counters.idmeta_send_requests, counters.twilio_send_requests),
        (1, 1),
        "the SMS went through IDMeta, the call through Twilio"
    );
    let code = sim.last_code_for(NUMBER).expect("the call was made");
    let verified = backend.verify("signup-call", &code).await;
    assert_eq!(
        (verified.status, verified.says()),
        (200, "verified"),
        "{verified:?}"
    );

    for (body, expected) in [
        (
            r#"{"signup_id": "s", "phone": "+60 18-225 8491", "channel": "pigeon"}"#,
            (400, "invalid_request"),
        ),
        (
            r#"{"signup_id": "s", "phone": "+60 18-225 8491", "locale": "not a tag"}"#,
            (400, "invalid_request"),
        ),
    ] {
        let answer = backend.post("/signup/phone", body).await;
        assert_eq!((answer.status, answer.says()), expected, "{answer:?}");
    }

    let idmeta_alone = Backend::start(PhoneVerification::builder().simulator(&sim)).await;
    let refused = idmeta_alone
        .post(
            "/signup/phone",
            r#"{"signup_id": "signup-2", "phone": "+60 18-225 8491", "channel": "whatsapp"}"#,
        )
        .await;
    assert_eq!(
        (refused.status, refused.says()),
        (422, "channel_unavailable"),
        "{refused:?}"
    );
    assert!(!refused.text.contains("8491"), "{}", refused.text);
    assert_eq!(
        sim.counters().idmeta_send_requests,
        1,
        "nothing more was asked"
    );
}
