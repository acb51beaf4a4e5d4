//! The library end to end through its front door: the facade's handle over the real adapter,
//! over real HTTP to the simulator, with the in-memory store.

use phone_verify::PhoneVerification;
use phone_verify_app::{AttemptRecord, CheckOutcome, PageRequest, SendOutcome};
use phone_verify_domain::{CheckVerdict, OtpCode, PhoneNumber, SendCodeRequest, TrustValidationId};

const TOKEN: &str = "e2e-token";

#[tokio::test]
async fn send_read_the_inbox_check_and_the_history_shows_both() {
    let sim = phone_verify_sim::start(phone_verify_sim::SimConfig::default().idmeta_token(TOKEN))
        .await
        .expect("the simulator starts");
    // The adapter pointed at the simulator with its token, and the default in-memory store.
    let verification = PhoneVerification::builder()
        .simulator(&sim)
        .build()
        .await
        .expect("valid configuration");
    let records = verification.records();

    let phone = PhoneNumber::parse("+60 18-225 8491").expect("valid");
    let trust_validation = TrustValidationId::parse("tv-e2e").expect("valid");
    let sent = verification
        .send_code(&SendCodeRequest::new(
            phone.clone(),
            trust_validation.clone(),
        ))
        .await
        .expect("the send succeeds");

    let code = sim
        .last_code_for(phone.e164())
        .expect("the handset got the code");
    let checked = verification
        .check_code(
            trust_validation.clone(),
            OtpCode::parse(&code).expect("a valid code"),
            None,
        )
        .await
        .expect("the check succeeds");
    assert_eq!(checked.verdict(), CheckVerdict::Verified);
    assert_eq!(checked.send, sent.attempt);

    let page = records
        .history_of_trust_validation(&trust_validation, PageRequest::first(10))
        .await
        .expect("history");
    assert_eq!(page.items.len(), 2);
    let AttemptRecord::Check(check_record) = &page.items[0] else {
        panic!("newest first: the check, got {:?}", page.items[0]);
    };
    assert!(matches!(
        check_record.outcome(),
        CheckOutcome::Answered {
            verdict: CheckVerdict::Verified,
            ..
        }
    ));
    let AttemptRecord::Send(send_record) = &page.items[1] else {
        panic!("then the send, got {:?}", page.items[1]);
    };
    assert_eq!(
        send_record.outcome(),
        SendOutcome::Sent {
            reference: sent.receipt.reference.clone(),
            submitted_at: Some(sent.receipt.submitted_at),
        }
    );
    let by_number = records
        .history_of_number(&phone, PageRequest::first(10))
        .await
        .expect("history");
    assert_eq!(by_number.items, page.items);
    let counters = sim.counters();
    assert_eq!(
        (
            counters.idmeta_send_requests,
            counters.idmeta_verify_requests
        ),
        (1, 1)
    );
    sim.shutdown().await;
}
