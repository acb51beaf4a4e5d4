//! The in-memory store's bounded memory: what it evicts, and what it keeps counting (the
//! million-send run and its memory are in `crates/reliability`, `store_memory`); and its
//! conversion to protected numbers.

use std::time::Duration;

use chrono::{DateTime, Utc};
use phone_verify_app::{
    AttemptId, HistorySubject, InMemoryVerificationStore, NewSend, NumberRanges, PageRequest,
    Reservation, SendLimits, SendOutcome, SendRefusal, VerificationStore,
};
use phone_verify_domain::{PhoneNumber, ReferenceId, TrustValidationId};

use crate::support::{secs, t0};

fn number(n: u32) -> PhoneNumber {
    PhoneNumber::parse(&format!("+6012{n:07}")).expect("a valid number")
}

fn validation(name: &str) -> TrustValidationId {
    TrustValidationId::parse(name).expect("a valid id")
}

/// Limits that refuse nothing but a trust validation's `cap`-th send, over one hour.
fn cap_per_validation(cap: u32) -> SendLimits {
    SendLimits {
        cooldown: Duration::ZERO,
        max_per_number: u32::MAX,
        window: secs(3600),
        max_per_trust_validation: cap,
        country_budgets: phone_verify_app::CountryBudgets::default(),
        number_ranges: None,
        conversion: None,
        clients: None,
    }
}

/// Reserves and finishes a send as sent, with its range when `limits` guard ranges (as the use
/// case makes it); returns the reservation.
async fn send(
    store: &InMemoryVerificationStore,
    id: u128,
    phone: PhoneNumber,
    tv: &str,
    at: DateTime<Utc>,
    limits: &SendLimits,
) -> Reservation<SendRefusal> {
    let id = AttemptId::from_u128(id);
    let new_send = NewSend {
        id,
        number: store.numbers().at_rest(&phone),
        lookup: store.numbers().lookup(&phone),
        trust_validation: validation(tv),
        provider: phone_verify_domain::ProviderName::idmeta(),
        channel: phone_verify_domain::Channel::Sms,
        range: limits
            .number_ranges
            .map(|ranges| store.numbers().range_of(&phone, ranges.hidden_digits)),
        prefix: None,
        client: None,
        started_at: at,
    };
    let reservation = store
        .reserve_send(new_send, limits)
        .await
        .expect("reserves");
    if reservation == Reservation::Reserved {
        let reference = ReferenceId::parse("0123456789ABCDEF0123456789ABCDEF").expect("a ref");
        let outcome = SendOutcome::Sent {
            reference,
            submitted_at: None,
        };
        store.finish_send(id, outcome, at).await.expect("finishes");
    }
    reservation
}

/// Sends from `first` to `first + count` to numbers of their own, one a second from `from`.
async fn traffic(store: &InMemoryVerificationStore, first: u32, count: u32, from: DateTime<Utc>) {
    for n in first..first + count {
        let at = from + secs(u64::from(n - first));
        let reserved = send(
            store,
            1_000 + u128::from(n),
            number(n),
            &format!("tv-{n}"),
            at,
            &cap_per_validation(10),
        )
        .await;
        assert_eq!(reserved, Reservation::Reserved);
    }
}

#[tokio::test]
async fn attempts_older_than_the_retention_are_evicted_as_new_ones_arrive() {
    let store = InMemoryVerificationStore::new().keep_for(secs(3600));
    traffic(&store, 0, 100, t0()).await;
    assert_eq!(store.len(), 100);

    // Two hours on, each new send evicts old ones, a few at a time, until only the last
    // hour is left.
    traffic(&store, 100, 100, t0() + secs(7200)).await;
    assert_eq!(store.len(), 100, "the first hundred are gone");
    let first = HistorySubject::TrustValidation(validation("tv-0"));
    let page = store
        .history(&first, PageRequest::first(10))
        .await
        .expect("reads");
    assert!(page.items.is_empty(), "{page:?}");
}

#[tokio::test]
async fn a_shorter_retention_never_drops_what_a_guard_still_needs() {
    // Kept for a second, but the cooldown and the window passed in are longer: the store
    // keeps the sends they need.
    let store = InMemoryVerificationStore::new().keep_for(secs(1));
    let limits = SendLimits::default();
    assert_eq!(
        send(&store, 1, number(1), "tv-a", t0(), &limits).await,
        Reservation::Reserved
    );
    traffic(&store, 10, 20, t0() + secs(1)).await;
    assert_eq!(
        send(&store, 2, number(1), "tv-b", t0() + secs(25), &limits).await,
        Reservation::Refused(SendRefusal::CoolingDown {
            retry_at: t0() + secs(30)
        })
    );
}

#[tokio::test]
async fn an_evicted_send_still_counts_against_its_trust_validations_cap() {
    let store = InMemoryVerificationStore::new().keep_for(secs(3600));
    let limits = cap_per_validation(2);
    assert_eq!(
        send(&store, 1, number(1), "tv-x", t0(), &limits).await,
        Reservation::Reserved
    );
    assert_eq!(
        send(&store, 2, number(2), "tv-x", t0() + secs(3000), &limits).await,
        Reservation::Reserved
    );
    // More than an hour after the first send, other traffic evicts it.
    traffic(&store, 10, 10, t0() + secs(4000)).await;
    let history = store
        .history(
            &HistorySubject::TrustValidation(validation("tv-x")),
            PageRequest::first(10),
        )
        .await
        .expect("reads");
    assert_eq!(history.items.len(), 1, "the first send is evicted");

    assert_eq!(
        send(&store, 3, number(3), "tv-x", t0() + secs(4100), &limits).await,
        Reservation::Refused(SendRefusal::TrustValidationLimitReached { limit: 2 }),
        "the evicted send is still counted"
    );
}

#[tokio::test]
async fn a_cap_on_the_attempts_keeps_the_newest_whatever_their_age() {
    let store = InMemoryVerificationStore::new().max_attempts(10);
    traffic(&store, 0, 100, t0()).await;
    assert_eq!(store.len(), 10);
    let newest = HistorySubject::TrustValidation(validation("tv-99"));
    let oldest = HistorySubject::TrustValidation(validation("tv-89"));
    for (subject, kept) in [(newest, 1), (oldest, 0)] {
        let page = store
            .history(&subject, PageRequest::first(10))
            .await
            .expect("reads");
        assert_eq!(page.items.len(), kept, "{subject:?}");
    }
}

/// Protecting a store that already holds sends in clear converts them, their ranges too: the
/// history shows no number in clear, and the guards per number and per range count the old
/// sends beside the new ones.
#[tokio::test]
async fn a_store_protected_after_its_sends_converts_them_and_its_guards_still_count_them() {
    let limits = SendLimits {
        cooldown: secs(60),
        number_ranges: Some(NumberRanges {
            hidden_digits: 2,
            max_numbers: 2,
            window: secs(3600),
        }),
        ..cap_per_validation(10)
    };
    let store = InMemoryVerificationStore::new();
    for n in [1, 2] {
        let at = t0() + secs(u64::from(n));
        let tv = format!("tv-{n}");
        let reserved = send(&store, u128::from(n), number(n), &tv, at, &limits).await;
        assert_eq!(reserved, Reservation::Reserved, "number {n} in clear");
    }

    let store = store.protect_numbers(crate::support::keyring());
    let history = store
        .history(
            &HistorySubject::Number(store.numbers().lookup(&number(1))),
            PageRequest::first(10),
        )
        .await
        .expect("reads");
    assert_eq!(history.items.len(), 1, "found by its digest: {history:?}");
    assert!(
        history
            .items
            .iter()
            .all(|record| record.number().clear().is_none())
    );
    let cooling = send(&store, 3, number(1), "tv-3", t0() + secs(10), &limits).await;
    assert!(
        matches!(
            cooling,
            Reservation::Refused(SendRefusal::CoolingDown { .. })
        ),
        "the converted send's cooldown: {cooling:?}"
    );
    let third = send(&store, 4, number(3), "tv-4", t0() + secs(20), &limits).await;
    assert!(
        matches!(
            third,
            Reservation::Refused(SendRefusal::NumberRangeBusy { limit: 2, .. })
        ),
        "the converted sends count in their range: {third:?}"
    );
    let again = send(&store, 5, number(2), "tv-5", t0() + secs(120), &limits).await;
    assert_eq!(
        again,
        Reservation::Reserved,
        "a number of the range already sent to"
    );
}
