//! Answers wrong in what they say, not in their shape, through the use cases, the real
//! adapter and the SQLite store given number keys: a check answered about another send is
//! never recorded as verified, and a check whose status echoes the number leaves no form of
//! the number in the store's file (`docs/provider-api.md`, "The provider's word is data, not
//! trusted text"; `docs/security.md`, "No clear numbers at rest").

use phone_verify_app::{
    AttemptRecord, CheckCodeError, CheckOutcome, CheckRecord, CheckState, CheckedCode, ErrorClass,
    SentCode,
};
use phone_verify_domain::{CheckVerdict, GatewayError, OtpCode, PhoneNumber, TrustValidationId};
use phone_verify_reliability::fixture::{mobile_number, send_request, trust_validation};
use phone_verify_reliability::{Stack, StackConfig};
use phone_verify_sim::{Fault, FaultScope};

/// A stack whose store keeps no clear number, a code sent to `phone` for `tv`, and a check of
/// the right code under `fault`: the stack, the send and what the check gave.
async fn checked_under(
    fault: Fault,
    phone: &PhoneNumber,
    tv: &TrustValidationId,
) -> (Stack, SentCode, Result<CheckedCode, CheckCodeError>) {
    let stack = Stack::start(StackConfig {
        protected_numbers: true,
        ..StackConfig::default()
    })
    .await
    .expect("the stack starts");
    let sent = stack
        .verification
        .send_code(&send_request(phone.clone(), tv.clone()))
        .await
        .expect("sent");
    let code = stack.sim.last_code_for(phone.e164()).expect("delivered");
    stack.sim.inject(fault, FaultScope::Next(1));
    let checked = stack
        .verification
        .check_code(
            tv.clone(),
            OtpCode::parse(&code).expect("a valid code"),
            None,
        )
        .await;
    (stack, sent, checked)
}

/// The one check recorded for `tv`, after its send, and its outcome: it is finished.
async fn recorded_check(stack: &Stack, tv: &TrustValidationId) -> (CheckRecord, CheckOutcome) {
    let attempts = stack.attempts_of(tv).await.expect("the store reads");
    let [AttemptRecord::Check(check), AttemptRecord::Send(_)] = attempts.as_slice() else {
        panic!("the check, then the send: {attempts:?}");
    };
    let CheckState::Finished { outcome, .. } = &check.state else {
        panic!("the check is recorded as finished: {check:?}");
    };
    (check.clone(), outcome.clone())
}

#[tokio::test]
async fn a_check_answered_about_another_send_is_recorded_as_unknown_never_as_verified() {
    let (phone, tv) = (mobile_number(4_810_273), trust_validation("foreign", 1));
    let (stack, sent, checked) = checked_under(Fault::ForeignAnswer, &phone, &tv).await;

    let error = checked.expect_err("an approval of another send is no verdict");

    assert!(
        matches!(
            error,
            CheckCodeError::Gateway(GatewayError::InvalidResponse { .. })
        ),
        "{error:?}"
    );
    let (check, outcome) = recorded_check(&stack, &tv).await;
    assert!(
        !matches!(
            outcome,
            CheckOutcome::Answered {
                verdict: CheckVerdict::Verified,
                ..
            }
        ),
        "{outcome:?}"
    );
    // The provider may have counted the attempt: the outcome is unknown, not refused.
    assert_eq!(
        outcome,
        CheckOutcome::OutcomeUnknown {
            class: Some(ErrorClass::InvalidResponse)
        }
    );
    // The other send's reference moved the check nowhere.
    assert_eq!(check.send, sent.attempt);
    assert_eq!(check.reference.as_ref(), Some(&sent.receipt.reference));
}

#[tokio::test]
async fn a_status_that_echoes_the_number_leaves_no_form_of_it_in_a_protected_store() {
    let (phone, tv) = (mobile_number(9_182_734), trust_validation("echo", 1));
    let (stack, _, checked) = checked_under(Fault::StatusEcho, &phone, &tv).await;

    let checked = checked.expect("an answer, with statuses no mapping knows");

    assert!(!checked.result.is_verified(), "{:?}", checked.result);
    let (_, outcome) = recorded_check(&stack, &tv).await;
    let CheckOutcome::Answered {
        verdict, status, ..
    } = &outcome
    else {
        panic!("an answer is recorded: {outcome:?}");
    };
    assert_eq!(
        (*verdict, status.as_str()),
        (CheckVerdict::Undetermined, "unlisted")
    );

    let mut bytes = std::fs::read(stack.database()).expect("the database file");
    if let Ok(wal) = std::fs::read(stack.database().with_extension("db-wal")) {
        bytes.extend(wal);
    }
    let forms = [
        phone.e164(),
        phone.e164().trim_start_matches('+'),
        phone.national_number(),
    ];
    for form in forms {
        assert!(
            !bytes
                .windows(form.len())
                .any(|window| window == form.as_bytes()),
            "the store's file holds {}",
            phone.masked()
        );
    }
}
