//! Cases about numbers kept protected (a keyed digest and the masked form instead of the
//! number): the guards and the history by number still work on what the store is handed, a
//! key rotation keeps finding older rows, and rows kept in clear live beside protected ones
//! while a store is converted.

use std::sync::Arc;
use std::time::Duration;

use super::fixtures::*;
use crate::{
    AttemptId, AttemptRecord, Reservation, SendLimits, SendRefusal, StoredNumber, VerificationStore,
};

/// The ids of a history, newest first.
async fn history_ids(
    store: &dyn VerificationStore,
    subject: &crate::HistorySubject,
) -> Vec<AttemptId> {
    all_history(store, subject)
        .await
        .iter()
        .map(AttemptRecord::id)
        .collect()
}

/// A protected send reads back with the digest, key id and masked form it was handed, never
/// the number, and the cooldown and the cap per number count the number's protected sends.
pub async fn protected_sends_keep_no_number_and_the_guards_per_number_still_hold(
    store: Arc<dyn VerificationStore>,
) {
    let numbers = keyed(&[("k1", 1)]);
    let limits = SendLimits {
        max_per_number: 2,
        ..SendLimits::default()
    };
    let first = id();
    let reservation = reserve(
        &*store,
        new_send_kept(&numbers, first, &number(1), "tv-a", t0()),
        &limits,
    )
    .await;
    assert_eq!(reservation, Reservation::Reserved);
    store
        .finish_send(first, sent(1), at(1))
        .await
        .expect("finish");

    let kept = stored_send(&*store, "tv-a", first).await;
    assert_eq!(kept.number, numbers.at_rest(&number(1)));
    let StoredNumber::Protected(protected) = &kept.number else {
        panic!("the number is kept protected: {:?}", kept.number);
    };
    assert_eq!(protected.key().as_str(), "k1");
    assert_eq!(protected.masked().as_str(), "+60*****8491");
    assert_eq!(
        kept.number.clear(),
        None,
        "the store has no number in clear"
    );

    let again = new_send_kept(&numbers, id(), &number(1), "tv-b", at(10));
    assert_eq!(
        reserve(&*store, again, &limits).await,
        Reservation::Refused(SendRefusal::CoolingDown { retry_at: at(30) }),
        "the cooldown sees the protected send to the same number"
    );
    let other_number = new_send_kept(&numbers, id(), &number(2), "tv-c", at(10));
    assert_eq!(
        reserve(&*store, other_number, &limits).await,
        Reservation::Reserved,
        "another number's digest is another number"
    );
    let second = new_send_kept(&numbers, id(), &number(1), "tv-b", at(40));
    assert_eq!(
        reserve(&*store, second, &limits).await,
        Reservation::Reserved
    );
    let third = new_send_kept(&numbers, id(), &number(1), "tv-d", at(80));
    assert_eq!(
        reserve(&*store, third, &limits).await,
        Reservation::Refused(SendRefusal::NumberLimitReached {
            limit: 2,
            window: Duration::from_secs(3600),
            retry_at: t0() + Duration::from_secs(3600),
        }),
        "the cap per number counts the protected sends"
    );
}

/// The history of a protected number lists its sends and their checks, found by the digest
/// of the number asked for; a check of a protected send keeps the send's protected number and
/// has no number to name to the provider.
pub async fn history_of_a_protected_number_finds_its_sends_and_checks_by_digest(
    store: Arc<dyn VerificationStore>,
) {
    let numbers = keyed(&[("k1", 1)]);
    let send = record_send_kept(&*store, &numbers, &number(1), "tv-a", t0(), sent(1)).await;
    record_send_kept(&*store, &numbers, &number(2), "tv-b", at(5), sent(2)).await;
    let check_id = id();
    let target = reserve_check(&*store, check_id, "tv-a", at(10)).await;
    assert_eq!(target.send.id, send);
    assert!(target.narrowed, "the check names the send's reference");
    assert_eq!(target.phone(), None, "the store has no number to name");
    let check = stored_check(&*store, "tv-a", check_id).await;
    assert_eq!(check.number, numbers.at_rest(&number(1)));

    assert_eq!(
        history_ids(&*store, &of_number_kept(&numbers, &number(1))).await,
        [check_id, send]
    );
    assert!(
        all_history(&*store, &of_number(&number(1)))
            .await
            .is_empty(),
        "a lookup in clear finds no protected record"
    );
    assert!(
        all_history(&*store, &of_number_kept(&keyed(&[("k1", 9)]), &number(1)))
            .await
            .is_empty(),
        "the digest under another key is not the number's"
    );
}

/// After a rotation (a new current key, the old one retired), the guards and the history by
/// number match the rows under both keys, and new rows are written under the new key; once the
/// old key leaves the ring, its rows are found by trust validation only.
pub async fn after_a_key_rotation_lookups_match_every_key_and_new_sends_use_the_current_one(
    store: Arc<dyn VerificationStore>,
) {
    let before = keyed(&[("k1", 1)]);
    let rotated = keyed(&[("k2", 2), ("k1", 1)]);
    let after_purge = keyed(&[("k2", 2)]);
    let old = record_send_kept(&*store, &before, &number(1), "tv-a", t0(), sent(1)).await;

    let too_soon = new_send_kept(&rotated, id(), &number(1), "tv-b", at(10));
    assert_eq!(
        reserve(&*store, too_soon, &SendLimits::default()).await,
        Reservation::Refused(SendRefusal::CoolingDown { retry_at: at(30) }),
        "the cooldown sees the send under the retired key"
    );
    let new = id();
    let later = new_send_kept(&rotated, new, &number(1), "tv-b", at(40));
    assert_eq!(
        reserve(&*store, later, &SendLimits::default()).await,
        Reservation::Reserved
    );
    let StoredNumber::Protected(protected) = stored_send(&*store, "tv-b", new).await.number else {
        panic!("the number is kept protected");
    };
    assert_eq!(
        protected.key().as_str(),
        "k2",
        "new rows use the current key"
    );

    assert_eq!(
        history_ids(&*store, &of_number_kept(&rotated, &number(1))).await,
        [new, old]
    );
    assert_eq!(
        history_ids(&*store, &of_number_kept(&after_purge, &number(1))).await,
        [new],
        "a row under a key no longer in the ring is not found by number"
    );
    assert_eq!(stored_send(&*store, "tv-a", old).await.id, old);
}

/// Rows kept in clear (written before protection was switched on) and protected rows of the
/// same number live in one store, each read back as it was written and found by its own kind
/// of lookup; a check of the clear send names its number, a check of the protected one cannot.
pub async fn clear_and_protected_rows_of_one_number_read_back_as_they_were_kept(
    store: Arc<dyn VerificationStore>,
) {
    let numbers = keyed(&[("k1", 1)]);
    let clear = record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    let protected = record_send_kept(&*store, &numbers, &number(1), "tv-b", at(60), sent(2)).await;

    assert_eq!(
        stored_send(&*store, "tv-a", clear).await.number,
        in_clear(&number(1))
    );
    assert_eq!(
        stored_send(&*store, "tv-b", protected).await.number,
        numbers.at_rest(&number(1))
    );
    assert_eq!(history_ids(&*store, &of_number(&number(1))).await, [clear]);
    assert_eq!(
        history_ids(&*store, &of_number_kept(&numbers, &number(1))).await,
        [protected]
    );
    let of_clear = reserve_check(&*store, id(), "tv-a", at(70)).await;
    assert_eq!(of_clear.phone(), Some(&number(1)));
    let of_protected = reserve_check(&*store, id(), "tv-b", at(70)).await;
    assert_eq!(of_protected.phone(), None);
}
