use std::sync::Arc;

use phone_verify_app::{
    AttemptRecord, CheckOutcome, FailingStore, HistoryError, PageRequest, SendOutcome, SendPolicy,
    StoreOperation as Op,
};
use phone_verify_domain::CheckVerdict;

use crate::support::{Harness, accepting_gateway, code, phone, request, secs, tv, verified};

#[tokio::test]
async fn history_shows_the_send_and_the_check_newest_first_by_number_and_by_validation() {
    let mut gateway = accepting_gateway(1);
    gateway
        .expect_check_code()
        .times(1)
        .returning(|_| Ok(verified()));
    let harness = Harness::new(gateway);
    let sent = harness.send.send(&request()).await.expect("sent");
    harness.clock.advance(secs(30));
    let checked = harness.check.check(tv(), code()).await.expect("checked");

    let by_number = harness
        .history
        .of_number(&phone(), PageRequest::first(10))
        .await
        .expect("read");
    let by_validation = harness
        .history
        .of_trust_validation(&tv(), PageRequest::first(10))
        .await
        .expect("read");

    assert_eq!(by_number, by_validation);
    let [AttemptRecord::Check(check), AttemptRecord::Send(send)] = by_number.items.as_slice()
    else {
        panic!("a check then a send, got {by_number:?}");
    };
    assert_eq!(check.id, checked.attempt);
    assert_eq!(check.send, sent.attempt);
    assert_eq!(
        check.outcome(),
        CheckOutcome::Answered {
            verdict: CheckVerdict::Verified,
            status: phone_verify_domain::VerificationStatus::Verified,
            reference: sent.receipt.reference.clone().into(),
        }
    );
    assert_eq!(send.id, sent.attempt);
    assert_eq!(send.reference(), Some(&sent.receipt.reference));
    assert_eq!(by_number.next, None);
}

#[tokio::test]
async fn history_shows_a_send_whose_outcome_was_never_recorded_as_outcome_unknown() {
    let harness = Harness::with_a_send_left_in_flight().await;

    let page = harness
        .history
        .of_trust_validation(&tv(), PageRequest::first(10))
        .await
        .expect("read");

    let [record] = page.items.as_slice() else {
        panic!("one attempt, got {page:?}");
    };
    assert!(record.is_in_flight());
    let AttemptRecord::Send(send) = record else {
        panic!("a send, got {record:?}");
    };
    assert_eq!(send.outcome(), SendOutcome::OutcomeUnknown { class: None });
}

#[tokio::test]
async fn history_reports_a_store_failure() {
    let harness = Harness::with(
        accepting_gateway(0),
        Arc::new(FailingStore::failing(&[Op::History])),
        SendPolicy::default(),
    );
    let error = harness
        .history
        .of_number(&phone(), PageRequest::first(10))
        .await
        .expect_err("the store is down");
    assert!(matches!(error, HistoryError::Store(_)), "{error:?}");
}
