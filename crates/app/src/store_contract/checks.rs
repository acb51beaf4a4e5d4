//! Cases about checks: which send a check goes to, the attempt limit, refusals without a live
//! code, and what an answer naming a send does.

use std::sync::Arc;

use phone_verify_domain::{CheckVerdict, ProviderName, ProviderRules};

use super::fixtures::*;
use crate::{
    CheckOutcome, CheckPolicy, CheckRefusal, CheckReservation, ConflictKind, ErrorClass,
    HistorySubject, Reservation, SendOutcome, SendState, VerificationStore,
};

/// The check goes to the send the provider accepted last, by its submit time, even when it
/// started first; while an overlapping send is in flight the order is unknown and the check
/// names no send (the provider checks the code it holds).
pub async fn a_check_goes_to_the_send_the_provider_accepted_last(
    store: Arc<dyn VerificationStore>,
) {
    let first = send_in_flight(&*store, &number(1), "tv-a", t0()).await;
    let second = send_in_flight(&*store, &number(2), "tv-a", at(1)).await;
    store
        .finish_send(second, sent_at(2, at(1)), at(2))
        .await
        .expect("finish");
    let target = reserve_check(&*store, id(), "tv-a", at(3)).await;
    assert_eq!(
        target.send.id, second,
        "the newest, while the order is unknown"
    );
    assert!(
        !target.narrowed,
        "the first send may still reach the provider"
    );

    store
        .finish_send(first, sent_at(1, at(8)), at(9))
        .await
        .expect("finish");
    let check_id = id();
    let target = reserve_check(&*store, check_id, "tv-a", at(10)).await;
    assert_eq!(
        target.send.id, first,
        "the provider accepted the first send last"
    );
    assert!(target.narrowed);
    assert_eq!(target.reference(), Some(&reference(1)));
    assert_eq!(target.phone(), Some(&number(1)));
    let check = stored_check(&*store, "tv-a", check_id).await;
    assert_eq!(check.send, first);
    assert_eq!(check.number, in_clear(&number(1)));
    assert_eq!(check.reference, Some(reference(1)));

    record_send(&*store, &number(1), "tv-other", at(20), sent_at(3, at(20))).await;
    let target = reserve_check(&*store, id(), "tv-a", at(30)).await;
    assert_eq!(
        target.send.id, first,
        "another trust validation's send plays no part"
    );
}

/// Each send reads back with the provider it went to, and the check's target carries the
/// provider of the send it chose: a send that failed over to a second provider is checked
/// there, not at the first provider, whose attempt sent nothing.
pub async fn a_send_reads_back_with_its_provider_and_a_check_goes_to_it(
    store: Arc<dyn VerificationStore>,
) {
    let twilio = ProviderName::twilio();
    let first = id();
    let reserved = reserve(
        &*store,
        new_send(first, &number(1), "tv-a", t0()),
        &no_limits(),
    )
    .await;
    assert_eq!(reserved, Reservation::Reserved);
    let not_sent = SendOutcome::NotSent {
        class: ErrorClass::NotSent,
    };
    store
        .finish_send(first, not_sent, at(1))
        .await
        .expect("finish");
    let second = id();
    let mut attempt = new_send(second, &number(1), "tv-a", at(1));
    attempt.provider = twilio.clone();
    let reserved = reserve(&*store, attempt, &no_limits()).await;
    assert_eq!(reserved, Reservation::Reserved);

    assert_eq!(
        stored_send(&*store, "tv-a", first).await.provider,
        ProviderName::idmeta()
    );
    assert_eq!(stored_send(&*store, "tv-a", second).await.provider, twilio);
    store
        .finish_send(second, sent(2), at(2))
        .await
        .expect("finish");
    assert_eq!(stored_send(&*store, "tv-a", second).await.provider, twilio);
    let target = reserve_check(&*store, id(), "tv-a", at(3)).await;
    assert_eq!(target.send.id, second);
    assert_eq!(
        target.send.provider, twilio,
        "the check goes to the provider that sent"
    );
}

/// A send reserved before the check's reservation is the one the check goes to: the store
/// chooses the send inside the check's atomic step, never from an earlier read.
pub async fn a_send_reserved_before_a_check_is_the_send_it_goes_to(
    store: Arc<dyn VerificationStore>,
) {
    record_send(&*store, &number(1), "tv-a", t0(), sent_at(1, t0())).await;
    record_send(
        &*store,
        &number(1),
        "tv-a",
        at(30),
        SendOutcome::NotSent {
            class: ErrorClass::NotSent,
        },
    )
    .await;
    let newer = send_in_flight(&*store, &number(2), "tv-a", at(60)).await;
    let check_id = id();
    let target = reserve_check(&*store, check_id, "tv-a", at(61)).await;
    assert_eq!(
        target.send.id, newer,
        "the send reserved last, not the older sent one"
    );
    assert_eq!(stored_check(&*store, "tv-a", check_id).await.send, newer);
    assert!(
        !target.narrowed,
        "a send in flight has no reference to name"
    );
}

/// Checks that may have reached the provider count against the limit; one that provably did
/// not is free. At the limit the check is refused and nothing is written.
pub async fn checks_are_refused_once_the_attempt_limit_is_reached(
    store: Arc<dyn VerificationStore>,
) {
    record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    let not_checked = id();
    let reserved = store
        .reserve_check(new_check(not_checked, "tv-a", at(5)), &checks(3))
        .await
        .expect("reserve");
    assert!(matches!(reserved, CheckReservation::Reserved(_)));
    store
        .finish_check(
            not_checked,
            CheckOutcome::NotChecked {
                class: ErrorClass::NotSent,
            },
            at(6),
        )
        .await
        .expect("finish");

    // One left in flight (counts: it may have reached the provider), two wrong codes.
    let in_flight = id();
    let reserved = store
        .reserve_check(new_check(in_flight, "tv-a", at(10)), &checks(3))
        .await
        .expect("reserve");
    assert!(matches!(reserved, CheckReservation::Reserved(_)));
    for second in [20, 30] {
        let check_id = id();
        let reserved = store
            .reserve_check(new_check(check_id, "tv-a", at(second)), &checks(3))
            .await
            .expect("reserve");
        assert!(
            matches!(reserved, CheckReservation::Reserved(_)),
            "check at {second}s"
        );
        store
            .finish_check(check_id, wrong_code(), at(second + 1))
            .await
            .expect("finish");
    }
    let refused = store
        .reserve_check(new_check(id(), "tv-a", at(40)), &checks(3))
        .await
        .expect("reserve");
    assert_eq!(
        refused,
        CheckReservation::Refused(CheckRefusal::TooManyAttempts { limit: 3 })
    );
    let history = all_history(
        &*store,
        &HistorySubject::TrustValidation(validation("tv-a")),
    )
    .await;
    assert_eq!(history.len(), 5, "one send and four checks: {history:?}");
}

/// Without a send that may have delivered a code, or once every such code has expired, a
/// check is refused and nothing is written.
pub async fn a_check_without_a_live_code_is_refused_and_writes_nothing(
    store: Arc<dyn VerificationStore>,
) {
    let refused = store
        .reserve_check(new_check(id(), "tv-a", t0()), &checks(5))
        .await
        .expect("reserve");
    assert_eq!(refused, CheckReservation::Refused(CheckRefusal::NoCodeSent));
    record_send(
        &*store,
        &number(1),
        "tv-a",
        t0(),
        SendOutcome::RateLimited { retry_after: None },
    )
    .await;
    let refused = store
        .reserve_check(new_check(id(), "tv-a", at(1)), &checks(5))
        .await
        .expect("reserve");
    assert_eq!(refused, CheckReservation::Refused(CheckRefusal::NoCodeSent));

    record_send(&*store, &number(1), "tv-a", at(10), sent(1)).await;
    let lifetime = CheckPolicy::default().code_lifetime;
    let refused = store
        .reserve_check(new_check(id(), "tv-a", at(10) + lifetime), &checks(5))
        .await
        .expect("reserve");
    assert_eq!(
        refused,
        CheckReservation::Refused(CheckRefusal::CodeExpired {
            expired_at: at(10) + lifetime
        })
    );
    let history = all_history(
        &*store,
        &HistorySubject::TrustValidation(validation("tv-a")),
    )
    .await;
    assert_eq!(history.len(), 2, "only the two sends: {history:?}");
}

/// A check answered with the reference of a send still in flight (its process died after the
/// provider accepted it) closes that send as sent, and both record the reference. The send's
/// own outcome, arriving late, completes the record when it agrees and is refused when not.
pub async fn an_answer_closes_the_send_in_flight_and_names_the_reference(
    store: Arc<dyn VerificationStore>,
) {
    let send_id = send_in_flight(&*store, &number(1), "tv-a", t0()).await;
    let check_id = id();
    let target = reserve_check(&*store, check_id, "tv-a", at(10)).await;
    assert_eq!(target.send.id, send_id);
    let send_of_check = store
        .finish_check(
            check_id,
            answered(CheckVerdict::Verified, Some(reference(7))),
            at(11),
        )
        .await
        .expect("finish");
    assert_eq!(send_of_check, send_id);
    let send = stored_send(&*store, "tv-a", send_id).await;
    assert_eq!(
        send.state,
        SendState::Finished {
            at: at(11),
            outcome: sent(7),
        }
    );
    let check = stored_check(&*store, "tv-a", check_id).await;
    assert_eq!(check.reference, Some(reference(7)));
    assert_eq!(check.send, send_id);

    assert_conflict(
        store
            .finish_send(
                send_id,
                SendOutcome::NotSent {
                    class: ErrorClass::NotSent,
                },
                at(12),
            )
            .await,
        ConflictKind::AlreadyFinished,
    );
    assert_conflict(
        store.finish_send(send_id, sent_at(8, t0()), at(12)).await,
        ConflictKind::AlreadyFinished,
    );
    store
        .finish_send(
            send_id,
            SendOutcome::OutcomeUnknown {
                class: Some(ErrorClass::OutcomeUnknown),
            },
            at(12),
        )
        .await
        .expect("an unknown outcome leaves the send as the check closed it");
    assert_eq!(
        stored_send(&*store, "tv-a", send_id).await.outcome(),
        sent(7)
    );
    store
        .finish_send(send_id, sent_at(7, at(1)), at(13))
        .await
        .expect("the receipt of the same send completes the record");
    let send = stored_send(&*store, "tv-a", send_id).await;
    assert_eq!(send.outcome(), sent_at(7, at(1)));
    assert_conflict(
        store.finish_send(send_id, sent_at(7, at(1)), at(14)).await,
        ConflictKind::AlreadyFinished,
    );
}

/// A check the provider answered with the reference of another send of the trust validation
/// is moved to that send, whose checks it then counts against.
pub async fn an_answer_naming_another_send_moves_the_check_to_it(
    store: Arc<dyn VerificationStore>,
) {
    let first = record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    let second = send_in_flight(&*store, &number(2), "tv-a", at(1)).await;
    let check_id = id();
    let target = reserve_check(&*store, check_id, "tv-a", at(5)).await;
    assert_eq!(target.send.id, second);
    let moved_to = store
        .finish_check(
            check_id,
            answered(CheckVerdict::WrongCode, Some(reference(1))),
            at(6),
        )
        .await
        .expect("finish");
    assert_eq!(
        moved_to, first,
        "finishing says which send the check went to"
    );
    let check = stored_check(&*store, "tv-a", check_id).await;
    assert_eq!((check.send, check.reference), (first, Some(reference(1))));
    assert_eq!(
        stored_send(&*store, "tv-a", second).await.state,
        SendState::InFlight,
        "the other send stays as it was"
    );
    store
        .finish_send(
            second,
            SendOutcome::NotSent {
                class: ErrorClass::NotSent,
            },
            at(7),
        )
        .await
        .expect("finish");
    for attempt in 0..4 {
        let check_id = id();
        let target = reserve_check(&*store, check_id, "tv-a", at(10 + attempt)).await;
        assert_eq!(target.send.id, first);
        store
            .finish_check(check_id, wrong_code(), at(10 + attempt))
            .await
            .expect("finish");
    }
    let refused = store
        .reserve_check(new_check(id(), "tv-a", at(20)), &checks(5))
        .await
        .expect("reserve");
    assert_eq!(
        refused,
        CheckReservation::Refused(CheckRefusal::TooManyAttempts { limit: 5 }),
        "the moved check counts against the send it was moved to"
    );
}

/// Sends that share a reference delivered one code (a provider whose resend re-sends it): an
/// answer naming the reference moves the check to the newest of them, and, for a provider
/// whose limit counts per code, the checks of all of them count together.
pub async fn sends_sharing_a_reference_are_one_code_whose_checks_go_to_the_newest_and_count_together(
    store: Arc<dyn VerificationStore>,
) {
    let policy = CheckPolicy {
        max_attempts: 3,
        providers: vec![(
            ProviderName::idmeta(),
            ProviderRules::per_number(std::time::Duration::from_secs(600)),
        )],
        ..CheckPolicy::default()
    };
    let reserve = |check_id, second| {
        let store = store.clone();
        let policy = policy.clone();
        async move {
            store
                .reserve_check(new_check(check_id, "tv-a", at(second)), &policy)
                .await
                .expect("reserve")
        }
    };
    let first = record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    let check_id = id();
    assert!(matches!(
        reserve(check_id, 5).await,
        CheckReservation::Reserved(_)
    ));
    store
        .finish_check(check_id, wrong_code(), at(6))
        .await
        .expect("finish");
    let second = record_send(&*store, &number(1), "tv-a", at(40), sent(1)).await;
    let third = send_in_flight(&*store, &number(1), "tv-a", at(45)).await;

    // The check goes to the newest send while the order is unknown; its answer names the
    // shared reference, so it belongs to the newest send holding it.
    let check_id = id();
    let CheckReservation::Reserved(target) = reserve(check_id, 50).await else {
        panic!("reserved");
    };
    assert_eq!(target.send.id, third);
    let moved_to = store
        .finish_check(
            check_id,
            answered(CheckVerdict::WrongCode, Some(reference(1))),
            at(51),
        )
        .await
        .expect("finish");
    assert_eq!(moved_to, second, "the newest send holding the reference");
    assert_ne!(moved_to, first);
    store
        .finish_send(
            third,
            SendOutcome::NotSent {
                class: ErrorClass::NotSent,
            },
            at(52),
        )
        .await
        .expect("finish");

    // Two checks of the code so far (one of each send): a third is allowed, a fourth not.
    let check_id = id();
    let CheckReservation::Reserved(target) = reserve(check_id, 60).await else {
        panic!("the third check of the code is reserved");
    };
    assert_eq!(target.send.id, second);
    store
        .finish_check(check_id, wrong_code(), at(61))
        .await
        .expect("finish");
    assert_eq!(
        reserve(id(), 70).await,
        CheckReservation::Refused(CheckRefusal::TooManyAttempts { limit: 3 }),
        "the checks of both sends count against the one code"
    );
}

/// Every check counts against the bounds per send and per trust validation, whatever the
/// provider answered: checks of a used code ("no pending code") are no attempts, but they are
/// not unbounded either.
pub async fn every_check_counts_against_the_bounds_whatever_the_provider_answered(
    store: Arc<dyn VerificationStore>,
) {
    let policy = CheckPolicy {
        max_checks_per_send: 3,
        max_checks_per_trust_validation: 4,
        ..CheckPolicy::default()
    };
    let check_answered = |second, outcome: CheckOutcome| {
        let (store, policy) = (store.clone(), policy.clone());
        async move {
            let check_id = id();
            let reserved = store
                .reserve_check(new_check(check_id, "tv-a", at(second)), &policy)
                .await
                .expect("reserve");
            if matches!(reserved, CheckReservation::Reserved(_)) {
                store
                    .finish_check(check_id, outcome, at(second + 1))
                    .await
                    .expect("finish");
            }
            reserved
        }
    };
    record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    for second in [10, 20, 30] {
        let reserved = check_answered(second, CheckOutcome::NoPendingCode).await;
        assert!(
            matches!(reserved, CheckReservation::Reserved(_)),
            "check at {second}s"
        );
    }
    assert_eq!(
        check_answered(40, CheckOutcome::NoPendingCode).await,
        CheckReservation::Refused(CheckRefusal::TooManyChecks { limit: 3 }),
        "the send's bound"
    );
    // A new send of the trust validation: its own checks, within the trust validation's bound.
    record_send(&*store, &number(1), "tv-a", at(50), sent(2)).await;
    assert!(matches!(
        check_answered(60, wrong_code()).await,
        CheckReservation::Reserved(_)
    ));
    assert_eq!(
        check_answered(70, wrong_code()).await,
        CheckReservation::Refused(CheckRefusal::TooManyChecks { limit: 4 }),
        "the trust validation's bound"
    );
}

/// A check the provider had no pending code for is recorded as such and uses up no attempt.
pub async fn a_check_the_provider_had_no_code_for_is_no_attempt(store: Arc<dyn VerificationStore>) {
    record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    let check_id = id();
    reserve_check(&*store, check_id, "tv-a", at(1)).await;
    store
        .finish_check(check_id, CheckOutcome::NoPendingCode, at(2))
        .await
        .expect("finish");
    let check = stored_check(&*store, "tv-a", check_id).await;
    assert_eq!(check.outcome(), CheckOutcome::NoPendingCode);
    assert!(!check.counts_as_attempt());
    let reserved = store
        .reserve_check(new_check(id(), "tv-a", at(3)), &checks(1))
        .await
        .expect("reserve");
    assert!(
        matches!(reserved, CheckReservation::Reserved(_)),
        "the one attempt allowed is still there: {reserved:?}"
    );
}
