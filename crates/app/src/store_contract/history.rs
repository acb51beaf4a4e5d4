//! Cases about the history: ordering and keyset paging.

use std::sync::Arc;

use phone_verify_domain::CheckVerdict;

use super::fixtures::*;
use crate::{AttemptId, AttemptRecord, HistorySubject, PageRequest, VerificationStore};

/// The history of a trust validation or a number lists its sends and checks newest first,
/// in pages that together hold every attempt once.
pub async fn history_lists_sends_and_checks_newest_first_in_pages(
    store: Arc<dyn VerificationStore>,
) {
    let first_send = record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    let check_id = id();
    reserve_check(&*store, check_id, "tv-a", at(10)).await;
    store
        .finish_check(check_id, wrong_code(), at(11))
        .await
        .expect("finish");
    let second_send = record_send(&*store, &number(1), "tv-a", at(60), sent(2)).await;
    let third_send = record_send(&*store, &number(1), "tv-a", at(120), sent(3)).await;
    let elsewhere = record_send(&*store, &number(1), "tv-b", at(90), sent(4)).await;
    record_send(&*store, &number(2), "tv-c", at(30), sent(5)).await;

    let subject = HistorySubject::TrustValidation(validation("tv-a"));
    let first_page = store
        .history(&subject, PageRequest::first(2))
        .await
        .expect("read");
    let ids: Vec<AttemptId> = first_page.items.iter().map(AttemptRecord::id).collect();
    assert_eq!(ids, [third_send, second_send]);
    let cursor = first_page.next.expect("more pages");
    let second_page = store
        .history(&subject, PageRequest::after(2, cursor))
        .await
        .expect("read");
    let ids: Vec<AttemptId> = second_page.items.iter().map(AttemptRecord::id).collect();
    assert_eq!(ids, [check_id, first_send]);
    if let Some(cursor) = second_page.next {
        let third_page = store
            .history(&subject, PageRequest::after(2, cursor))
            .await
            .expect("read");
        assert!(third_page.items.is_empty(), "{third_page:?}");
        assert_eq!(third_page.next, None);
    }

    let by_number = all_history(&*store, &of_number(&number(1))).await;
    let ids: Vec<AttemptId> = by_number.iter().map(AttemptRecord::id).collect();
    assert_eq!(
        ids,
        [third_send, elsewhere, second_send, check_id, first_send]
    );
    let AttemptRecord::Check(check) = &by_number[3] else {
        panic!("the fourth attempt is the check: {by_number:?}");
    };
    assert_eq!(check.send, first_send);
    assert_eq!(check.reference, Some(reference(1)));
    assert_eq!(
        check.outcome(),
        answered(CheckVerdict::WrongCode, Some(reference(1))),
        "an answer that names no send reads back with the reference the check named"
    );
}

/// Attempts started at the same instant are ordered by id, so paging one by one returns each
/// exactly once.
pub async fn history_pages_do_not_skip_or_repeat_attempts_started_at_the_same_instant(
    store: Arc<dyn VerificationStore>,
) {
    let mut expected = Vec::new();
    for n in 0..4u8 {
        expected.push(record_send(&*store, &number(1), "tv-a", t0(), sent(n)).await);
    }
    expected.sort_unstable_by(|a, b| b.cmp(a));

    let subject = HistorySubject::TrustValidation(validation("tv-a"));
    let mut seen = Vec::new();
    let mut page = PageRequest::first(1);
    loop {
        let answer = store.history(&subject, page).await.expect("read");
        seen.extend(answer.items.iter().map(AttemptRecord::id));
        match answer.next {
            Some(cursor) => page = PageRequest::after(1, cursor),
            None => break,
        }
        assert!(
            seen.len() <= expected.len(),
            "paging does not end: {seen:?}"
        );
    }
    assert_eq!(seen, expected);
}
