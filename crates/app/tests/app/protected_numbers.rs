//! The use cases over a store that keeps numbers protected: what they hand the store, the
//! guards, the history by number, and the number a narrowed check names to the provider.

use std::sync::Arc;

use phone_verify_app::{
    AttemptRecord, InMemoryVerificationStore, PageRequest, SendCodeError, SendPolicy, SendRefusal,
    StoredNumber,
};
use phone_verify_domain::{MockVerificationGateway, PhoneNumber, ReferenceId};

use crate::support::{
    Harness, REFERENCE, code, keyring, phone, receipt, request, request_to, secs, t0, tv, verified,
};

/// A harness over an in-memory store protecting numbers, whose gateway accepts `sends` sends
/// and answers each check as verified after `asked` approves the number it names.
fn protected(
    sends: usize,
    asked: impl Fn(Option<&PhoneNumber>) -> bool + Send + 'static,
) -> Harness {
    let mut gateway = MockVerificationGateway::new();
    gateway
        .expect_send_code()
        .times(sends)
        .returning(|_| Ok(receipt(ReferenceId::parse(REFERENCE).expect("a valid ref"))));
    gateway
        .expect_check_code()
        .withf(move |request| {
            request.reference.as_ref().map(ReferenceId::as_str) == Some(REFERENCE)
                && asked(request.phone.as_ref())
        })
        .returning(|_| Ok(verified()));
    let store = InMemoryVerificationStore::new().protect_numbers(keyring());
    Harness::with(gateway, Arc::new(store), SendPolicy::default())
}

#[tokio::test]
async fn a_protected_store_is_handed_the_digest_and_the_masked_number_never_the_number() {
    let harness = protected(1, |_| true);
    harness.send.send(&request()).await.expect("sent");
    let send = harness.only_send().await;
    let StoredNumber::Protected(kept) = &send.number else {
        panic!("the number is kept protected: {:?}", send.number);
    };
    assert_eq!(kept.key().as_str(), "k1");
    assert_eq!(kept.masked().as_str(), "+60*****8491");
    assert_eq!(send.number, harness.store.numbers().at_rest(&phone()));
    assert!(!format!("{:?}", harness.store).contains("182258491"));
}

#[tokio::test]
async fn the_cooldown_and_the_history_by_number_work_on_the_digest() {
    let harness = protected(1, |_| true);
    harness.send.send(&request()).await.expect("sent");
    harness.clock.advance(secs(10));
    let again = harness.send.send(&request_to(phone(), "tv-2")).await;
    assert!(
        matches!(
            again,
            Err(SendCodeError::Refused(SendRefusal::CoolingDown { retry_at })) if retry_at == t0() + secs(30)
        ),
        "{again:?}"
    );
    let listed = harness
        .history
        .of_number(&phone(), PageRequest::first(10))
        .await
        .expect("the history reads");
    let [AttemptRecord::Send(send)] = listed.items.as_slice() else {
        panic!("one send: {listed:?}");
    };
    assert_eq!(send.number.masked(), "+60*****8491");
    let other = PhoneNumber::parse("+60182258492").expect("a number");
    let none = harness
        .history
        .of_number(&other, PageRequest::first(10))
        .await
        .expect("the history reads");
    assert!(none.items.is_empty(), "{none:?}");
}

#[tokio::test]
async fn a_narrowed_check_names_the_callers_number_once_the_store_confirms_it() {
    let harness = protected(1, |phone| {
        phone.map(PhoneNumber::e164) == Some("+60182258491")
    });
    harness.send.send(&request()).await.expect("sent");
    let checked = harness
        .check
        .check_with_number(tv(), code(), &phone())
        .await
        .expect("checked");
    assert!(checked.is_verified());
}

#[tokio::test]
async fn without_the_number_or_with_another_one_a_narrowed_check_names_the_reference_only() {
    let harness = protected(1, |phone| phone.is_none());
    harness.send.send(&request()).await.expect("sent");
    harness
        .check
        .check(tv(), code())
        .await
        .expect("checked by the reference alone");
    let other = PhoneNumber::parse("+60182258492").expect("a number");
    harness
        .check
        .check_with_number(tv(), code(), &other)
        .await
        .expect("a number that is not the send's is never sent");
}

#[tokio::test]
async fn a_store_in_clear_names_its_own_number_whatever_the_caller_gives() {
    let mut gateway = MockVerificationGateway::new();
    gateway
        .expect_send_code()
        .returning(|_| Ok(receipt(ReferenceId::parse(REFERENCE).expect("a valid ref"))));
    gateway
        .expect_check_code()
        .withf(|request| request.phone.as_ref().map(PhoneNumber::e164) == Some("+60182258491"))
        .times(1)
        .returning(|_| Ok(verified()));
    let harness = Harness::new(gateway);
    harness.send.send(&request()).await.expect("sent");
    let other = PhoneNumber::parse("+60182258492").expect("a number");
    harness
        .check
        .check_with_number(tv(), code(), &other)
        .await
        .expect("checked with the recorded number");
}
