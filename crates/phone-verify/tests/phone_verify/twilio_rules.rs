//! Twilio's own rules, as its adapter declares them, applied by the facade through the
//! simulator: a code whose send answer was lost is checked by number; a resend re-sends the
//! same code, whose checks count together and land on the newest send; the code lives ten
//! minutes from the first send, on the library's clock as on Twilio's; a code Twilio no
//! longer holds (its 404) is `NoPendingCode`. (Moved from the Twilio adapter's tests: only
//! the facade wires the use cases.)

use std::sync::Arc;
use std::time::Duration;

use phone_verify::numbers::{NumberKey, NumberKeyId, NumberKeyring};
use phone_verify::policy::{CheckRefusal, SendLimits, SendPolicy};
use phone_verify::ports::{
    CheckVerdict, GatewayError, HistorySubject, InMemoryVerificationStore, RateLimitKind,
    VerificationStore,
};
use phone_verify::records::{AttemptRecord, PageRequest};
use phone_verify::testing::ManualClock;
use phone_verify::testing::sim::{
    self, DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_SERVICE_SID, Fault, FaultScope, SimClock,
    SimConfig, Simulator,
};
use phone_verify::twilio::{RetryPolicy, SecretString, TwilioClient};
use phone_verify::{
    CheckCodeError, OtpCode, PhoneNumber, PhoneVerification, SendCodeError, SendCodeRequest,
    TrustValidationId,
};

const AUTH_TOKEN: &str = "twilio-test-token-7c41";
const TO: &str = "+15017122661";

/// A simulator on a manual clock that accepts our credentials.
async fn simulator() -> Simulator {
    let start = "2026-05-14T10:00:00Z".parse().expect("an instant");
    sim::start(
        SimConfig::default()
            .twilio_credentials(DEFAULT_TWILIO_ACCOUNT_SID, AUTH_TOKEN)
            .clock(SimClock::manual(start)),
    )
    .await
    .expect("the simulator starts")
}

/// Another code than `code`.
fn wrong(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

/// The facade over Twilio and `store`, on a manual clock that moves with the simulator's.
struct Harness {
    sim: Simulator,
    verification: PhoneVerification,
    clock: Arc<ManualClock>,
    store: Arc<dyn VerificationStore>,
}

impl Harness {
    async fn new(store: Arc<dyn VerificationStore>) -> Self {
        Self::with_send_policy(store, SendPolicy::default()).await
    }

    async fn with_send_policy(store: Arc<dyn VerificationStore>, policy: SendPolicy) -> Self {
        let sim = simulator().await;
        let clock = Arc::new(ManualClock::new(sim.clock().now()));
        let twilio = TwilioClient::builder()
            .base_url(sim.base_url())
            .allow_plain_http(true)
            .service_sid(DEFAULT_TWILIO_SERVICE_SID)
            .account_credentials(
                SecretString::from(DEFAULT_TWILIO_ACCOUNT_SID),
                SecretString::from(AUTH_TOKEN),
            )
            .request_timeout(Duration::from_millis(400))
            .retry_policy(
                RetryPolicy::default().delays(Duration::from_millis(1), Duration::from_millis(5)),
            );
        let verification = PhoneVerification::builder()
            .twilio(twilio)
            .store(Arc::clone(&store))
            .clock(Arc::clone(&clock))
            .send_policy(policy)
            .build()
            .await
            .expect("the facade builds");
        Self {
            sim,
            verification,
            clock,
            store,
        }
    }

    /// The attempts of `tv`, newest first.
    async fn history(&self, tv: &TrustValidationId) -> Vec<AttemptRecord> {
        self.store
            .history(
                &HistorySubject::TrustValidation(tv.clone()),
                PageRequest::first(50),
            )
            .await
            .expect("history")
            .items
    }

    async fn clear() -> Self {
        Self::new(Arc::new(InMemoryVerificationStore::new())).await
    }

    /// Both clocks, the library's and Twilio's, move on by `by`.
    fn advance(&self, by: Duration) {
        self.sim.clock().advance(by);
        self.clock.advance(by);
    }

    fn inbox(&self) -> OtpCode {
        OtpCode::parse(&self.sim.last_code_for(TO).expect("delivered")).expect("a code")
    }

    fn checks_asked(&self) -> u64 {
        self.sim.counters().twilio_check_requests
    }
}

fn request(tv: &str) -> SendCodeRequest {
    SendCodeRequest::new(PhoneNumber::parse(TO).expect("valid"), tv_id(tv))
}

fn tv_id(tv: &str) -> TrustValidationId {
    TrustValidationId::parse(tv).expect("valid")
}

/// Faults after which Twilio sent the code but the app never read its answer.
fn lost_answers() -> [Fault; 4] {
    [
        Fault::CloseAfterProcessing,
        Fault::ProcessThenFail {
            status: 503,
            html: true,
            retry_after_secs: Some(5),
        },
        Fault::ProcessThenFail {
            status: 503,
            html: false,
            retry_after_secs: None,
        },
        Fault::ProcessThenFail {
            status: 500,
            html: false,
            retry_after_secs: None,
        },
    ]
}

#[tokio::test]
async fn a_code_whose_send_answer_was_lost_is_checked_by_number_and_verifies() {
    for fault in lost_answers() {
        let harness = Harness::clear().await;
        harness.sim.inject(fault.clone(), FaultScope::Next(1));

        let error = harness
            .verification
            .send_code(&request("tv-lost"))
            .await
            .expect_err("the answer is lost");
        assert!(
            matches!(&error, SendCodeError::Gateway(_)) && error.may_have_been_sent(),
            "{fault:?}: {error:?}"
        );

        let checked = harness
            .verification
            .check_code(tv_id("tv-lost"), harness.inbox(), None)
            .await
            .unwrap_or_else(|error| panic!("{fault:?}: the code the user holds: {error:?}"));
        assert_eq!(checked.verdict(), CheckVerdict::Verified, "{fault:?}");
        assert_eq!(harness.checks_asked(), 1, "{fault:?}");
    }
}

#[tokio::test]
async fn with_protected_numbers_a_lost_answer_s_code_is_checked_with_the_caller_s_number() {
    let key = NumberKey::new(NumberKeyId::parse("k1").expect("an id"), vec![7; 32].into())
        .expect("a key");
    let store = InMemoryVerificationStore::new().protect_numbers(NumberKeyring::new(key));
    let harness = Harness::new(Arc::new(store)).await;
    harness
        .sim
        .inject(Fault::CloseAfterProcessing, FaultScope::Next(1));
    harness
        .verification
        .send_code(&request("tv-protected"))
        .await
        .expect_err("the answer is lost");

    // Without the number, nothing can address the code: a typed error, nothing asked.
    let error = harness
        .verification
        .check_code(tv_id("tv-protected"), harness.inbox(), None)
        .await
        .expect_err("no way to the code");
    assert!(
        matches!(error, CheckCodeError::NumberNeeded { .. }),
        "{error:?}"
    );
    assert!(!error.may_have_been_sent());
    // A number that is not the send's is never sent to Twilio.
    let stranger = PhoneNumber::parse("+15017122669").expect("valid");
    let error = harness
        .verification
        .check_code(tv_id("tv-protected"), harness.inbox(), Some(&stranger))
        .await
        .expect_err("not the send's number");
    assert!(
        matches!(error, CheckCodeError::NumberNeeded { .. }),
        "{error:?}"
    );
    assert_eq!(harness.checks_asked(), 0);

    let phone = PhoneNumber::parse(TO).expect("valid");
    let checked = harness
        .verification
        .check_code(tv_id("tv-protected"), harness.inbox(), Some(&phone))
        .await
        .expect("checked by the confirmed number");
    assert_eq!(checked.verdict(), CheckVerdict::Verified);
}

#[tokio::test]
async fn a_resend_shares_the_code_whose_checks_count_together_and_land_on_the_newest_send() {
    let harness = Harness::clear().await;
    let first = harness
        .verification
        .send_code(&request("tv-resend"))
        .await
        .expect("sent");
    let code = harness.inbox();
    let wrong_code = OtpCode::parse(wrong(code.expose())).expect("a code");
    // Each wrong check is an answer, recorded against `send`.
    let wrong_checks = |times: usize, send| {
        let (verification, wrong_code) = (&harness.verification, &wrong_code);
        async move {
            for _ in 0..times {
                let checked = verification
                    .check_code(tv_id("tv-resend"), wrong_code.clone(), None)
                    .await
                    .expect("answered");
                assert_eq!(checked.verdict(), CheckVerdict::WrongCode);
                assert_eq!(checked.send, send, "the newest send holds the code");
            }
        }
    };
    wrong_checks(3, first.attempt).await;
    harness.advance(Duration::from_secs(31));
    let second = harness
        .verification
        .send_code(&request("tv-resend"))
        .await
        .expect("resent");
    assert_eq!(
        second.receipt.reference, first.receipt.reference,
        "one code"
    );
    assert_eq!(harness.inbox(), code, "the same code again");

    wrong_checks(2, second.attempt).await;
    // Five checks of one code: the sixth is refused here, Twilio is not asked.
    let error = harness
        .verification
        .check_code(tv_id("tv-resend"), code, None)
        .await
        .expect_err("five attempts of this code were used");
    assert!(
        matches!(
            error,
            CheckCodeError::Refused(CheckRefusal::TooManyAttempts { limit: 5 })
        ),
        "{error:?}"
    );
    assert_eq!(harness.checks_asked(), 5);
}

#[tokio::test]
async fn a_twilio_code_lives_ten_minutes_from_its_first_send_and_a_resend_does_not_extend_it() {
    let harness = Harness::clear().await;
    harness
        .verification
        .send_code(&request("tv-life"))
        .await
        .expect("sent");
    // Past the app's own five minutes: Twilio's ten apply to Twilio's codes.
    harness.advance(Duration::from_secs(6 * 60));
    let checked = harness
        .verification
        .check_code(tv_id("tv-life"), harness.inbox(), None)
        .await
        .expect("still live at Twilio");
    assert_eq!(checked.verdict(), CheckVerdict::Verified);

    harness
        .verification
        .send_code(&request("tv-life-2"))
        .await
        .expect("sent");
    harness.advance(Duration::from_secs(4 * 60));
    harness
        .verification
        .send_code(&request("tv-life-2"))
        .await
        .expect("resent");
    harness.advance(Duration::from_secs(6 * 60 + 1));
    let asked = harness.checks_asked();
    let error = harness
        .verification
        .check_code(tv_id("tv-life-2"), harness.inbox(), None)
        .await
        .expect_err("ten minutes after the first send");
    assert!(
        matches!(
            error,
            CheckCodeError::Refused(CheckRefusal::CodeExpired { .. })
        ),
        "{error:?}"
    );
    assert_eq!(harness.checks_asked(), asked, "refused before Twilio");
}

#[tokio::test]
async fn a_code_requested_in_one_flow_never_verifies_another_flow_s_send_to_the_number() {
    let harness = Harness::clear().await;
    let harmless = harness
        .verification
        .send_code(&request("tv-harmless"))
        .await
        .expect("sent");
    let harmless_code = harness.inbox();
    harness.advance(Duration::from_secs(31));

    let sensitive = harness
        .verification
        .send_code(&request("tv-sensitive"))
        .await
        .expect("sent");
    assert_eq!(harness.sim.counters().twilio_verifications_canceled, 1);
    assert_ne!(sensitive.receipt.reference, harmless.receipt.reference);
    let sensitive_code = harness.inbox();
    assert_ne!(sensitive_code, harmless_code, "a new code");

    let crossed = harness
        .verification
        .check_code(tv_id("tv-sensitive"), harmless_code.clone(), None)
        .await
        .expect("answered");
    assert_eq!(crossed.verdict(), CheckVerdict::WrongCode);
    let error = harness
        .verification
        .check_code(tv_id("tv-harmless"), harmless_code, None)
        .await
        .expect_err("cancelled");
    assert!(
        matches!(error, CheckCodeError::NoPendingCode { .. }),
        "{error:?}"
    );
    let checked = harness
        .verification
        .check_code(tv_id("tv-sensitive"), sensitive_code, None)
        .await
        .expect("answered");
    assert_eq!(checked.verdict(), CheckVerdict::Verified);
}

#[tokio::test]
async fn a_send_whose_other_flow_s_code_cannot_be_ended_is_not_made_and_is_recorded() {
    let harness = Harness::clear().await;
    harness
        .verification
        .send_code(&request("tv-first"))
        .await
        .expect("sent");
    let delivered = harness.sim.counters().codes_sent;
    harness.advance(Duration::from_secs(31));
    harness.sim.inject(
        Fault::ServerError {
            status: 500,
            html: false,
        },
        FaultScope::Next(1),
    );

    let error = harness
        .verification
        .send_code(&request("tv-second"))
        .await
        .expect_err("the cancel failed");
    let SendCodeError::PendingElsewhere { attempt, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(!error.may_have_been_sent());
    assert_eq!(
        harness.sim.counters().twilio_send_requests,
        1,
        "no send made"
    );
    assert_eq!(harness.sim.counters().codes_sent, delivered);
    let history = harness.history(&tv_id("tv-second")).await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].id(), *attempt);
    assert!(!history[0].is_in_flight(), "recorded as not sent");
}

#[tokio::test]
async fn twilio_s_limit_of_sends_per_code_tells_the_caller_to_use_the_code_already_sent() {
    // The app's own guards relaxed, so that Twilio's limit is the one reached.
    let policy = SendPolicy {
        limits: SendLimits {
            cooldown: Duration::ZERO,
            max_per_number: 100,
            window: Duration::from_secs(60),
            max_per_trust_validation: 100,
            ..SendLimits::default()
        },
        ..SendPolicy::default()
    };
    let harness =
        Harness::with_send_policy(Arc::new(InMemoryVerificationStore::new()), policy).await;
    for _ in 0..5 {
        harness
            .verification
            .send_code(&request("tv-limit"))
            .await
            .expect("sent");
    }
    let error = harness
        .verification
        .send_code(&request("tv-limit"))
        .await
        .expect_err("more than 5 sends of one verification");
    let SendCodeError::Gateway(GatewayError::RateLimited {
        kind,
        provider_code,
        ..
    }) = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(
        (*kind, *provider_code),
        (RateLimitKind::CodeAlreadySent, Some(60203))
    );
    assert!(!error.may_have_been_sent());
    // The code already sent is the one to use.
    let checked = harness
        .verification
        .check_code(tv_id("tv-limit"), harness.inbox(), None)
        .await
        .expect("answered");
    assert_eq!(checked.verdict(), CheckVerdict::Verified);
}

#[tokio::test]
async fn checks_of_a_used_code_are_bounded_and_stop_reaching_twilio() {
    let harness = Harness::clear().await;
    harness
        .verification
        .send_code(&request("tv-used"))
        .await
        .expect("sent");
    let code = harness.inbox();
    let checked = harness
        .verification
        .check_code(tv_id("tv-used"), code.clone(), None)
        .await
        .expect("answered");
    assert_eq!(checked.verdict(), CheckVerdict::Verified);
    // Twilio deleted the approved verification: each further check is "no pending code",
    // no attempt, yet counted against the bound of checks per send (10 by default).
    for _ in 1..10 {
        let error = harness
            .verification
            .check_code(tv_id("tv-used"), code.clone(), None)
            .await
            .expect_err("used");
        assert!(
            matches!(error, CheckCodeError::NoPendingCode { .. }),
            "{error:?}"
        );
    }
    let error = harness
        .verification
        .check_code(tv_id("tv-used"), code, None)
        .await
        .expect_err("bounded");
    assert!(
        matches!(
            error,
            CheckCodeError::Refused(CheckRefusal::TooManyChecks { limit: 10 })
        ),
        "{error:?}"
    );
    assert_eq!(harness.checks_asked(), 10);
}

#[tokio::test]
async fn the_facade_sends_and_checks_over_twilio_and_a_404_is_no_pending_code() {
    let harness = Harness::clear().await;

    let sent = harness
        .verification
        .send_code(&request("tv-app-1"))
        .await
        .expect("sent");
    assert!(sent.receipt.reference.as_str().starts_with("VE"));
    let checked = harness
        .verification
        .check_code(tv_id("tv-app-1"), harness.inbox(), None)
        .await
        .expect("checked");
    assert_eq!(checked.verdict(), CheckVerdict::Verified);

    // A second number whose code Twilio lets expire (its clock, not the library's).
    let other = "+15017122662";
    let to_other =
        SendCodeRequest::new(PhoneNumber::parse(other).expect("valid"), tv_id("tv-app-2"));
    harness
        .verification
        .send_code(&to_other)
        .await
        .expect("sent");
    let code =
        OtpCode::parse(&harness.sim.last_code_for(other).expect("delivered")).expect("a code");
    harness.sim.clock().advance(Duration::from_secs(600));
    let error = harness
        .verification
        .check_code(tv_id("tv-app-2"), code, None)
        .await
        .expect_err("Twilio deleted it");
    assert!(
        matches!(error, CheckCodeError::NoPendingCode { .. }),
        "{error:?}"
    );
    assert!(!error.may_have_been_sent());
    assert_eq!(harness.checks_asked(), 2);
}

#[tokio::test]
async fn a_send_whose_pending_codes_cannot_be_read_is_not_made_and_says_the_store_is_down() {
    let store = phone_verify::testing::FailingStore::failing(&[
        phone_verify::testing::StoreOperation::History,
    ]);
    let harness = Harness::new(Arc::new(store)).await;

    let sent = harness
        .verification
        .send_code(&request("tv-unreadable"))
        .await;

    assert!(matches!(sent, Err(SendCodeError::Store(_))), "{sent:?}");
    assert_eq!(
        harness.verification.next_step(&sent),
        phone_verify::NextStep::StoreDown
    );
    assert_eq!(
        harness.sim.counters().twilio_send_requests,
        0,
        "nothing sent"
    );
}
