//! A protected store knows it is protected: opened without its number keys, or with a key id
//! whose material changed, its first write is refused as misconfigured and writes nothing; with
//! its keys it works as before.

use std::future::Future;

use phone_verify_app::{
    HistorySubject, NewSend, NumberKeyring, PageRequest, Reservation, SendLimits, StoreError,
    VerificationStore,
};
use phone_verify_sql_store::{NumberKeysError, SqlVerificationStore};

use crate::support;

fn keyring(hex_byte: &str) -> NumberKeyring {
    NumberKeyring::parse(&format!("k1:{}", hex_byte.repeat(32))).expect("a keyring")
}

/// A send to the test number, kept as `store` keeps numbers.
fn send_of(store: &SqlVerificationStore, n: u128) -> NewSend {
    let numbers = store.numbers();
    let number = support::number();
    NewSend {
        number: numbers.at_rest(&number),
        lookup: numbers.lookup(&number),
        ..support::new_send(n, &format!("tv-{n}"), support::t0())
    }
}

async fn attempts_of(store: &SqlVerificationStore, n: u128) -> usize {
    store
        .history(
            &HistorySubject::TrustValidation(support::validation(&format!("tv-{n}"))),
            PageRequest::first(10),
        )
        .await
        .expect("history")
        .items
        .len()
}

fn refusal(
    result: Result<Reservation<phone_verify_app::SendRefusal>, StoreError>,
) -> NumberKeysError {
    match result {
        Err(StoreError::Misconfigured { source }) => source
            .downcast_ref::<NumberKeysError>()
            .cloned()
            .unwrap_or_else(|| panic!("not a number keys error: {source}")),
        other => panic!("not refused as misconfigured: {other:?}"),
    }
}

/// The case, on a store `open` opens afresh each time (the same database).
async fn a_protected_store_refuses_writes_without_its_keys_or_with_changed_ones<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = SqlVerificationStore>,
{
    let limits = SendLimits::default();
    let protected = open().await.protect_numbers(keyring("3c"));
    let first = protected
        .reserve_send(send_of(&protected, 1), &limits)
        .await;
    assert_eq!(
        first.expect("the first write records the key"),
        Reservation::Reserved
    );

    let clear = open().await;
    assert_eq!(
        refusal(clear.reserve_send(send_of(&clear, 2), &limits).await),
        NumberKeysError::KeysMissing
    );
    assert_eq!(attempts_of(&clear, 2).await, 0, "nothing written in clear");

    let changed = open().await.protect_numbers(keyring("4d"));
    assert_eq!(
        refusal(changed.reserve_send(send_of(&changed, 3), &limits).await),
        NumberKeysError::KeyChanged { id: "k1".into() }
    );
    assert_eq!(attempts_of(&changed, 3).await, 0);

    let same = open().await.protect_numbers(keyring("3c"));
    let reserved = same.reserve_send(send_of(&same, 4), &limits).await;
    assert!(
        matches!(reserved, Ok(Reservation::Refused(_))),
        "with its keys the store works, and its guards see the first send: {reserved:?}"
    );
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn a_protected_sqlite_store_refuses_writes_without_its_keys_or_with_changed_ones() {
    let dir = support::SqliteDir::new();
    a_protected_store_refuses_writes_without_its_keys_or_with_changed_ones(|| {
        dir.open(phone_verify_sql_store::SqliteOptions::default())
    })
    .await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_protected_postgres_store_refuses_writes_without_its_keys_or_with_changed_ones() {
    let Some(url) = phone_verify_sql_store::test_postgres_url(
        "a_protected_postgres_store_refuses_writes_without_its_keys_or_with_changed_ones",
    ) else {
        return;
    };
    let schema = support::FreshSchema::new(&url).await;
    a_protected_store_refuses_writes_without_its_keys_or_with_changed_ones(|| schema.connect())
        .await;
}
