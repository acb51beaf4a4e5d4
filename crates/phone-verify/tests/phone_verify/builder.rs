//! The builder: what it wires is what the use cases use.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use phone_verify::idmeta::IdmetaClient;
use phone_verify::numbers::{NumberKeyring, StoredNumber};
use phone_verify::policy::{CheckPolicy, CheckRefusal, SendLimits, SendPolicy, SendRefusal};
use phone_verify::records::{AttemptId, PageRequest};
use phone_verify::sql::SqliteOptions;
use phone_verify::testing::sim::{self, SimConfig};
use phone_verify::testing::{ManualClock, SequentialIds};
use phone_verify::{BuildError, CheckCodeError, OtpCode, PhoneVerification, SendCodeError};

use crate::support::{CODE, request, simulator};

#[tokio::test]
async fn a_builder_without_a_provider_is_refused() {
    let error = PhoneVerification::builder()
        .build()
        .await
        .expect_err("no provider");
    assert!(matches!(error, BuildError::NoGateway), "{error:?}");
}

#[tokio::test]
async fn an_idmeta_client_without_a_token_is_a_configuration_error() {
    let error = PhoneVerification::builder()
        .idmeta(
            IdmetaClient::builder()
                .trust_flow(phone_verify::idmeta::TrustFlowId::new(147))
                .environment("integrate"),
        )
        .build()
        .await
        .expect_err("no token");
    assert!(matches!(error, BuildError::Idmeta(_)), "{error:?}");
}

#[tokio::test]
async fn plain_http_is_refused_at_either_provider_naming_the_fix() {
    use phone_verify::idmeta::SecretString;
    use phone_verify::twilio::TwilioClient;

    let plain = "http://127.0.0.1:9";
    let idmeta = IdmetaClient::builder()
        .trust_flow(phone_verify::idmeta::TrustFlowId::new(147))
        .base_url(plain)
        .token(SecretString::from("t0k3n"));
    let twilio = TwilioClient::builder()
        .base_url(plain)
        .service_sid("VA0123456789abcdef0123456789abcdef")
        .api_key(
            SecretString::from("SK0123456789abcdef0123456789abcdef"),
            SecretString::from("key-secret"),
        );
    for builder in [
        PhoneVerification::builder().idmeta(idmeta),
        PhoneVerification::builder().twilio(twilio),
    ] {
        let error = builder.build().await.expect_err("plain HTTP not allowed");
        assert!(
            matches!(error, BuildError::Idmeta(_) | BuildError::Twilio(_)),
            "{error:?}"
        );
        let chain = phone_verify_domain::error_chain(&error);
        assert!(chain.contains("allow_plain_http(true)"), "{chain}");
    }
}

#[tokio::test]
async fn a_sqlite_file_that_cannot_be_created_is_a_store_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sim = simulator().await;
    let error = PhoneVerification::builder()
        .simulator(&sim)
        .sqlite(dir.path().join("no-such-directory").join("phone-verify.db"))
        .build()
        .await
        .expect_err("no such directory");
    assert!(matches!(error, BuildError::Store(_)), "{error:?}");
}

#[tokio::test]
async fn the_sqlite_file_keeps_the_record_for_the_next_instance() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("phone-verify.db");
    let sim = simulator().await;
    let first = PhoneVerification::builder()
        .simulator(&sim)
        .sqlite(&path)
        .build()
        .await
        .expect("builds");
    let sent = first.send_code(&request("tv-1")).await.expect("sent");
    drop(first);

    let next = PhoneVerification::builder()
        .simulator(&sim)
        .sqlite(&path)
        .build()
        .await
        .expect("reopens");
    let history = next
        .records()
        .history_of_trust_validation(&request("tv-1").trust_validation, PageRequest::first(10))
        .await
        .expect("read");
    assert_eq!(history.items.len(), 1);
    assert_eq!(history.items[0].id(), sent.attempt);
    // The guards read the file too: the cooldown of the first instance's send holds.
    let again = next
        .send_code(&request("tv-1"))
        .await
        .expect_err("cooling down");
    assert!(
        matches!(
            again,
            SendCodeError::Refused(SendRefusal::CoolingDown { .. })
        ),
        "{again:?}"
    );
}

#[tokio::test]
async fn the_clock_ids_and_policies_given_are_the_ones_used() {
    // The simulator's own resend cooldown off, so that only ours could refuse.
    let sim = sim::start(
        SimConfig::default()
            .fixed_code(CODE)
            .idmeta_resend_cooldown(Duration::ZERO),
    )
    .await
    .expect("the simulator starts");
    let start = Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 0).unwrap();
    let clock = ManualClock::new(start);
    let verification = PhoneVerification::builder()
        .simulator(&sim)
        .clock(clock.clone())
        .ids(SequentialIds::default())
        .send_policy(SendPolicy {
            limits: SendLimits {
                cooldown: Duration::ZERO,
                ..SendLimits::default()
            },
            ..SendPolicy::default()
        })
        .check_policy(CheckPolicy {
            code_lifetime: Duration::from_secs(60),
            ..CheckPolicy::default()
        })
        .build()
        .await
        .expect("builds");

    let first = verification
        .send_code(&request("tv-1"))
        .await
        .expect("sent");
    // No cooldown: a second send at the same instant passes.
    let second = verification
        .send_code(&request("tv-1"))
        .await
        .expect("sent again");
    assert_eq!(
        (first.attempt, second.attempt),
        (AttemptId::from_u128(1), AttemptId::from_u128(2))
    );
    clock.advance(Duration::from_secs(61));
    let late = verification
        .check_code(
            request("tv-1").trust_validation,
            OtpCode::parse(CODE).expect("a code"),
            None,
        )
        .await
        .expect_err("past the 60 s lifetime");
    assert!(
        matches!(
            late,
            CheckCodeError::Refused(CheckRefusal::CodeExpired { .. })
        ),
        "{late:?}"
    );
}

#[tokio::test]
async fn number_keys_protect_the_numbers_of_the_store_the_builder_opens() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sim = simulator().await;
    let keyring = || NumberKeyring::parse(&format!("k1:{}", "6d".repeat(32))).expect("keys");
    let verification = PhoneVerification::builder()
        .simulator(&sim)
        .sqlite(dir.path().join("phone-verify.db"))
        .protect_numbers(keyring())
        .build()
        .await
        .expect("builds");
    let request = request("tv-1");
    verification.send_code(&request).await.expect("sent");
    let checked = verification
        .check_code(
            request.trust_validation.clone(),
            OtpCode::parse(CODE).expect("a code"),
            Some(&request.phone),
        )
        .await
        .expect("checked");
    assert!(checked.is_verified());
    let history = verification
        .records()
        .history_of_number(&request.phone, PageRequest::first(10))
        .await
        .expect("read");
    assert_eq!(history.items.len(), 2);
    for record in &history.items {
        assert!(
            matches!(record.number(), StoredNumber::Protected(_)),
            "{record:?}"
        );
    }

    let given = PhoneVerification::builder()
        .simulator(&sim)
        .store(phone_verify::ports::InMemoryVerificationStore::new())
        .protect_numbers(keyring())
        .build()
        .await
        .expect_err("the keys cannot reach a given store");
    assert!(matches!(given, BuildError::KeysForGivenStore), "{given:?}");
}

/// A SQLite file holding a send that a crash left in flight an hour ago.
async fn store_with_a_send_left_in_flight(path: &std::path::Path) {
    use phone_verify::numbers::NumberProtection;
    use phone_verify::ports::{NewSend, Reservation, VerificationStore};
    let store = phone_verify::sql::SqlVerificationStore::open_sqlite(
        path,
        phone_verify::sql::SqliteOptions::default(),
    )
    .await
    .expect("opens");
    let request = request("tv-crashed");
    let numbers = NumberProtection::Clear;
    let reserved = store
        .reserve_send(
            NewSend {
                id: AttemptId::from_u128(7),
                number: numbers.at_rest(&request.phone),
                lookup: numbers.lookup(&request.phone),
                trust_validation: request.trust_validation,
                provider: phone_verify::ProviderName::idmeta(),
                channel: phone_verify::request::Channel::Sms,
                range: None,
                prefix: None,
                client: None,
                started_at: t0(),
            },
            &SendLimits::default(),
        )
        .await
        .expect("reserves");
    assert_eq!(reserved, Reservation::Reserved);
    store.close().await;
}

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 0)
        .single()
        .expect("an instant")
}

#[tokio::test]
async fn reconcile_at_open_closes_what_a_crash_left_in_flight_and_is_off_by_default() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("phone-verify.db");
    store_with_a_send_left_in_flight(&path).await;
    let sim = simulator().await;
    let an_hour_later = || ManualClock::new(t0() + Duration::from_secs(3600));
    let outcome = |verification: PhoneVerification| async move {
        let history = verification
            .records()
            .history_of_trust_validation(
                &request("tv-crashed").trust_validation,
                PageRequest::first(10),
            )
            .await
            .expect("read");
        let [phone_verify::records::AttemptRecord::Send(send)] = history.items.as_slice() else {
            panic!("one send: {history:?}");
        };
        (send.state.clone(), send.outcome())
    };

    let untouched = PhoneVerification::builder()
        .simulator(&sim)
        .sqlite(&path)
        .clock(an_hour_later())
        .build()
        .await
        .expect("builds");
    let (state, _) = outcome(untouched).await;
    assert_eq!(
        state,
        phone_verify::records::SendState::InFlight,
        "off by default"
    );

    let reconciled = PhoneVerification::builder()
        .simulator(&sim)
        .sqlite(&path)
        .clock(an_hour_later())
        .reconcile_at_open(phone_verify::records::DEFAULT_ABANDONED_AFTER)
        .build()
        .await
        .expect("builds and reconciles");
    let (state, outcome) = outcome(reconciled).await;
    assert_ne!(state, phone_verify::records::SendState::InFlight);
    assert_eq!(
        outcome,
        phone_verify::records::SendOutcome::OutcomeUnknown {
            class: Some(phone_verify::ports::ErrorClass::Abandoned)
        }
    );
}

#[tokio::test]
async fn a_missing_store_s_build_error_names_its_path_in_the_message_itself() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("lost").join("phone-verify.db");

    let error = PhoneVerification::builder()
        .sqlite_with(&path, SqliteOptions::default().create_if_missing(false))
        .build_records()
        .await
        .expect_err("no such file, and none is created");

    assert!(matches!(error, BuildError::Store(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "what `{{error}}` prints names the file: {message}"
    );
    assert!(!path.exists(), "nothing was created");
}
