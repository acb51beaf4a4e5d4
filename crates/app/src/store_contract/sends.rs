//! Cases about sends: what a send reads back as, outcomes written once, ids, and each
//! limit with its retry time.

use std::sync::Arc;
use std::time::Duration;

use super::fixtures::*;
use crate::{
    AttemptRecord, ConflictKind, ErrorClass, HistorySubject, NewSend, RefusalReason, Reservation,
    SendLimits, SendOutcome, SendRefusal, SendState, VerificationStore,
};

/// A reserved send is stored in flight, and reads as "outcome unknown", never as nothing.
pub async fn a_reserved_send_reads_back_in_flight_as_outcome_unknown(
    store: Arc<dyn VerificationStore>,
) {
    let send_id = id();
    let reservation = reserve(
        &*store,
        new_send(send_id, &number(1), "tv-a", t0()),
        &no_limits(),
    )
    .await;
    assert_eq!(reservation, Reservation::Reserved);

    let latest = stored_send(&*store, "tv-a", send_id).await;
    assert_eq!(
        latest.number,
        in_clear(&number(1)),
        "the full number is kept"
    );
    assert_eq!(latest.started_at, t0());
    assert_eq!(latest.state, SendState::InFlight);
    assert_eq!(
        latest.outcome(),
        SendOutcome::OutcomeUnknown { class: None }
    );
}

/// A send reads back with the channel it went out on; the channels count together under the
/// limits (a call after an SMS to the same number is within the cooldown).
pub async fn a_send_reads_back_with_its_channel_and_every_channel_counts(
    store: Arc<dyn VerificationStore>,
) {
    let channels = [
        phone_verify_domain::Channel::Call,
        phone_verify_domain::Channel::WhatsApp,
        phone_verify_domain::Channel::Sms,
    ];
    for (n, channel) in (0u8..).zip(channels) {
        let send_id = id();
        let tv = format!("tv-channel-{n}");
        let send = NewSend {
            channel,
            ..new_send(send_id, &number(n + 1), &tv, t0())
        };
        assert_eq!(
            reserve(&*store, send, &no_limits()).await,
            Reservation::Reserved
        );
        assert_eq!(stored_send(&*store, &tv, send_id).await.channel, channel);
    }
    let limits = SendLimits {
        cooldown: Duration::from_secs(60),
        ..no_limits()
    };
    let call_after_sms = NewSend {
        channel: phone_verify_domain::Channel::Call,
        range: None,
        client: None,
        ..new_send(
            id(),
            &number(3),
            "tv-channel-2",
            t0() + Duration::from_secs(1),
        )
    };
    assert!(
        matches!(
            reserve(&*store, call_after_sms, &limits).await,
            Reservation::Refused(SendRefusal::CoolingDown { .. })
        ),
        "a call within the cooldown of an SMS to the number is refused"
    );
}

/// Every final outcome of a send reads back as it was recorded, with when.
pub async fn a_finished_send_reads_back_with_its_outcome(store: Arc<dyn VerificationStore>) {
    let outcomes = [
        sent(1),
        sent_at(2, at(3) + Duration::from_nanos(123_456_789)),
        SendOutcome::Refused {
            reason: RefusalReason::InvalidRequest,
        },
        SendOutcome::Refused {
            reason: RefusalReason::Unauthorized,
        },
        SendOutcome::RateLimited {
            retry_after: Some(Duration::from_secs(30)),
        },
        SendOutcome::RateLimited { retry_after: None },
        SendOutcome::NotSent {
            class: ErrorClass::NotSent,
        },
        SendOutcome::OutcomeUnknown {
            class: Some(ErrorClass::InvalidResponse),
        },
    ];
    for (n, outcome) in (0u64..).zip(outcomes) {
        let tv = format!("tv-outcome-{n}");
        let started_at = at(n * 60);
        let send_id = record_send(&*store, &number(1), &tv, started_at, outcome.clone()).await;
        let history = all_history(&*store, &HistorySubject::TrustValidation(validation(&tv))).await;
        let [AttemptRecord::Send(send)] = history.as_slice() else {
            panic!("one send in the history of {tv}, got {history:?}");
        };
        assert_eq!(send.id, send_id);
        assert_eq!(
            send.state,
            SendState::Finished {
                at: started_at + Duration::from_secs(1),
                outcome: outcome.clone(),
            },
        );
        assert_eq!(send.outcome(), outcome);
    }
}

/// An outcome is written once, and only for an attempt of the right kind that is stored.
pub async fn an_outcome_is_recorded_once_and_only_for_a_stored_attempt(
    store: Arc<dyn VerificationStore>,
) {
    let send_id = record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    assert_conflict(
        store.finish_send(send_id, sent(2), at(5)).await,
        ConflictKind::AlreadyFinished,
    );
    assert_conflict(
        store.finish_send(id(), sent(2), at(5)).await,
        ConflictKind::UnknownAttempt,
    );
    assert_conflict(
        store.finish_check(send_id, wrong_code(), at(5)).await,
        ConflictKind::UnknownAttempt,
    );
    assert_eq!(
        stored_send(&*store, "tv-a", send_id).await.outcome(),
        sent(1),
        "the first outcome stays"
    );

    let check_id = id();
    reserve_check(&*store, check_id, "tv-a", at(10)).await;
    store
        .finish_check(check_id, wrong_code(), at(11))
        .await
        .expect("the store records the outcome of a check");
    assert_conflict(
        store.finish_check(check_id, wrong_code(), at(12)).await,
        ConflictKind::AlreadyFinished,
    );
    assert_conflict(
        store.finish_send(check_id, sent(1), at(12)).await,
        ConflictKind::UnknownAttempt,
    );
}

/// A second attempt with an id already stored is refused and changes nothing.
pub async fn an_attempt_id_is_stored_once(store: Arc<dyn VerificationStore>) {
    let send_id = record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;
    assert_conflict(
        store
            .reserve_send(new_send(send_id, &number(2), "tv-b", at(60)), &no_limits())
            .await,
        ConflictKind::DuplicateId,
    );
    assert_conflict(
        store
            .reserve_check(new_check(send_id, "tv-a", at(60)), &checks(5))
            .await,
        ConflictKind::DuplicateId,
    );
    let history = all_history(&*store, &of_number(&number(2))).await;
    assert!(history.is_empty(), "nothing was written: {history:?}");
}

/// A send to a number that had one less than the cooldown ago is refused, with the end of
/// the cooldown as the retry time, and nothing is written; at that time it passes.
pub async fn a_send_within_the_cooldown_is_refused_until_the_cooldown_ends(
    store: Arc<dyn VerificationStore>,
) {
    let limits = SendLimits::default();
    record_send(&*store, &number(1), "tv-a", t0(), sent(1)).await;

    let refused = reserve(&*store, new_send(id(), &number(1), "tv-b", at(10)), &limits).await;
    assert_eq!(
        refused,
        Reservation::Refused(SendRefusal::CoolingDown {
            retry_at: t0() + limits.cooldown,
        })
    );
    let other_number = reserve(&*store, new_send(id(), &number(2), "tv-c", at(10)), &limits).await;
    assert_eq!(
        other_number,
        Reservation::Reserved,
        "the cooldown is per number"
    );

    let at_retry = reserve(&*store, new_send(id(), &number(1), "tv-b", at(30)), &limits).await;
    assert_eq!(at_retry, Reservation::Reserved);
    assert_eq!(
        sends_to(&*store, &number(1)).await.len(),
        2,
        "the refused send was not written"
    );
}

/// The sixth send to a number within an hour is refused until the oldest of the five leaves
/// the window.
pub async fn sends_beyond_the_cap_per_number_are_refused_until_the_oldest_leaves_the_window(
    store: Arc<dyn VerificationStore>,
) {
    let limits = SendLimits::default();
    for minute in 0..5 {
        let reservation = reserve(
            &*store,
            new_send(id(), &number(1), &format!("tv-{minute}"), at(minute * 60)),
            &limits,
        )
        .await;
        assert_eq!(reservation, Reservation::Reserved, "send {minute} passes");
    }
    let sixth = reserve(
        &*store,
        new_send(id(), &number(1), "tv-6", at(5 * 60)),
        &limits,
    )
    .await;
    assert_eq!(
        sixth,
        Reservation::Refused(SendRefusal::NumberLimitReached {
            limit: 5,
            window: limits.window,
            retry_at: t0() + limits.window,
        })
    );
    let just_before = reserve(
        &*store,
        new_send(id(), &number(1), "tv-6", at(3599)),
        &limits,
    )
    .await;
    assert!(
        matches!(just_before, Reservation::Refused(_)),
        "{just_before:?}"
    );
    let at_retry = reserve(
        &*store,
        new_send(id(), &number(1), "tv-6", at(3600)),
        &limits,
    )
    .await;
    assert_eq!(at_retry, Reservation::Reserved);
}

/// A trust validation that had its allowance of codes gets no more, to any number, and no
/// retry time.
pub async fn sends_beyond_the_cap_per_trust_validation_are_refused_for_good(
    store: Arc<dyn VerificationStore>,
) {
    let limits = SendLimits {
        max_per_trust_validation: 2,
        ..SendLimits::default()
    };
    for n in 1..=2 {
        let reservation = reserve(&*store, new_send(id(), &number(n), "tv-a", t0()), &limits).await;
        assert_eq!(reservation, Reservation::Reserved);
    }
    let third = reserve(
        &*store,
        new_send(id(), &number(3), "tv-a", at(86_400)),
        &limits,
    )
    .await;
    assert_eq!(
        third,
        Reservation::Refused(SendRefusal::TrustValidationLimitReached { limit: 2 })
    );
}

/// Sends the provider refused, rate-limited or never received cost nothing and do not count
/// against the cooldown or the caps.
pub async fn sends_that_delivered_nothing_do_not_use_up_the_limits(
    store: Arc<dyn VerificationStore>,
) {
    let limits = SendLimits {
        max_per_number: 1,
        max_per_trust_validation: 1,
        ..SendLimits::default()
    };
    let nothing_delivered = [
        SendOutcome::Refused {
            reason: RefusalReason::NotFound,
        },
        SendOutcome::RateLimited { retry_after: None },
        SendOutcome::NotSent {
            class: ErrorClass::ProviderFault,
        },
    ];
    for outcome in nothing_delivered {
        record_send(&*store, &number(1), "tv-a", t0(), outcome).await;
    }
    let next = reserve(&*store, new_send(id(), &number(1), "tv-a", at(1)), &limits).await;
    assert_eq!(next, Reservation::Reserved);
}

/// A country's budget caps the sends to it within the window whatever the numbers and trust
/// validations; a country without a budget of its own has the default; sends that delivered
/// nothing do not count; a send passes again once the oldest has aged out. Numbers are kept
/// as the store keeps them ([`VerificationStore::numbers`]), so a protected store is held to
/// the same budgets.
pub async fn a_country_budget_caps_the_sends_to_the_country_whatever_the_numbers(
    store: Arc<dyn VerificationStore>,
) {
    let hour = Duration::from_secs(3600);
    let limits = SendLimits {
        country_budgets: crate::CountryBudgets::default()
            .otherwise(crate::CountryBudget {
                max_sends: 1,
                window: hour,
            })
            .country(
                "+60",
                crate::CountryBudget {
                    max_sends: 2,
                    window: hour,
                },
            )
            .expect("a calling code"),
        ..no_limits()
    };
    let numbers = store.numbers().clone();
    let send = |phone: &phone_verify_domain::PhoneNumber, tv: &str, at| {
        new_send_kept(&numbers, id(), phone, tv, at)
    };
    let uk = |n: u8| {
        phone_verify_domain::PhoneNumber::parse(&format!("+44791112345{n}")).expect("a UK number")
    };

    // Delivered nothing: not counted.
    record_send_kept(
        &*store,
        &numbers,
        &number(9),
        "tv-0",
        t0(),
        SendOutcome::NotSent {
            class: ErrorClass::NotSent,
        },
    )
    .await;
    for (n, at_secs) in [(1, 0), (2, 10)] {
        let reserved = reserve(
            &*store,
            send(&number(n), &format!("tv-{n}"), at(at_secs)),
            &limits,
        )
        .await;
        assert_eq!(reserved, Reservation::Reserved, "send {n} to +60");
    }
    let third = reserve(&*store, send(&number(3), "tv-3", at(20)), &limits).await;
    assert_eq!(
        third,
        Reservation::Refused(SendRefusal::CountryBudgetSpent {
            calling_code: "+60".to_owned(),
            limit: 2,
            window: hour,
            retry_at: t0() + hour,
        }),
        "a third number in the country, within the hour"
    );

    // Another country: its own (the default) budget.
    let first_uk = reserve(&*store, send(&uk(1), "tv-uk-1", at(30)), &limits).await;
    assert_eq!(first_uk, Reservation::Reserved);
    let second_uk = reserve(&*store, send(&uk(2), "tv-uk-2", at(40)), &limits).await;
    assert_eq!(
        second_uk,
        Reservation::Refused(SendRefusal::CountryBudgetSpent {
            calling_code: "+44".to_owned(),
            limit: 1,
            window: hour,
            retry_at: at(30) + hour,
        })
    );

    // The first +60 send ages out of the window: one more passes, and only one.
    let after = reserve(&*store, send(&number(4), "tv-4", at(3601)), &limits).await;
    assert_eq!(after, Reservation::Reserved);
    let beyond = reserve(&*store, send(&number(5), "tv-5", at(3602)), &limits).await;
    assert!(
        matches!(
            beyond,
            Reservation::Refused(SendRefusal::CountryBudgetSpent { .. })
        ),
        "{beyond:?}"
    );
}

/// The guard of ranges caps the distinct numbers of one range (all but the last digits
/// shared) sent to within the window: a further number is refused until one has left the
/// window, a number already sent to is not a further one, and another range is not held
/// back. Numbers and ranges are kept as the store keeps them, so a protected store is held to
/// the same guard.
pub async fn a_range_of_numbers_takes_so_many_distinct_numbers_within_the_window(
    store: Arc<dyn VerificationStore>,
) {
    let hour = Duration::from_secs(3600);
    let ranges = crate::NumberRanges {
        hidden_digits: 2,
        max_numbers: 2,
        window: hour,
    };
    let limits = SendLimits {
        number_ranges: Some(ranges),
        ..no_limits()
    };
    let numbers = store.numbers().clone();
    let send = |phone: &phone_verify_domain::PhoneNumber, tv: &str, at| NewSend {
        range: Some(numbers.range_of(phone, ranges.hidden_digits)),
        ..new_send_kept(&numbers, id(), phone, tv, at)
    };

    for (n, at_secs) in [(1, 0), (2, 10)] {
        let reserved = reserve(
            &*store,
            send(&number(n), &format!("tv-{n}"), at(at_secs)),
            &limits,
        )
        .await;
        assert_eq!(reserved, Reservation::Reserved, "number {n} of the range");
    }
    let third = reserve(&*store, send(&number(3), "tv-3", at(20)), &limits).await;
    assert_eq!(
        third,
        Reservation::Refused(SendRefusal::NumberRangeBusy {
            limit: 2,
            window: hour,
            retry_at: t0() + hour,
        }),
        "a third number of the range within the hour"
    );
    let again = reserve(&*store, send(&number(2), "tv-2b", at(30)), &limits).await;
    assert_eq!(
        again,
        Reservation::Reserved,
        "a number of the range already sent to"
    );
    let elsewhere = phone_verify_domain::PhoneNumber::parse("+60182259991").expect("a number");
    let other_range = reserve(&*store, send(&elsewhere, "tv-x", at(40)), &limits).await;
    assert_eq!(other_range, Reservation::Reserved, "another range");

    // Number 1's only send leaves the window: number 3 passes, and a fourth does not.
    let later = reserve(&*store, send(&number(3), "tv-3b", at(3601)), &limits).await;
    assert_eq!(later, Reservation::Reserved);
    let fourth = reserve(&*store, send(&number(4), "tv-4", at(3602)), &limits).await;
    assert!(
        matches!(
            fourth,
            Reservation::Refused(SendRefusal::NumberRangeBusy { .. })
        ),
        "{fourth:?}"
    );
}

/// The conversion breaker refuses a country whose codes are not being verified, from the
/// records alone: the sends of the window before the grace against the checks that verified;
/// the sends within the grace are not held against it, a country with too few sends passes,
/// and an operator's pin overrides the share either way.
pub async fn a_country_whose_codes_are_not_verified_is_refused_for_a_cool_off(
    store: Arc<dyn VerificationStore>,
) {
    let minute = Duration::from_secs(60);
    let breaker = crate::ConversionBreaker {
        min_sends: 4,
        min_conversion_percent: 50,
        window: 60 * minute,
        grace: 10 * minute,
        cool_off: 15 * minute,
        pinned: vec![("+44".to_owned(), crate::Pinned::Closed)],
        scope: crate::BreakerScope::Country,
    };
    let limits = |breaker: crate::ConversionBreaker| SendLimits {
        conversion: Some(breaker),
        ..no_limits()
    };
    let numbers = store.numbers().clone();
    // Four sends to +60, one of them verified.
    for n in 1..=4_u8 {
        record_send_kept(
            &*store,
            &numbers,
            &number(n),
            &format!("tv-{n}"),
            at(u64::from(n) * 10),
            sent(n),
        )
        .await;
    }
    record_verified_check(&*store, "tv-1", Some(reference(1)), at(60), at(61)).await;

    // Five minutes in, the four are within the grace: too few sends to judge.
    let early = reserve(
        &*store,
        new_send_kept(&numbers, id(), &number(5), "tv-5", at(300)),
        &limits(breaker.clone()),
    )
    .await;
    assert_eq!(early, Reservation::Reserved);
    // Eleven minutes in, the four are past it (the fifth is not): 1 verified of 4.
    let late = reserve(
        &*store,
        new_send_kept(&numbers, id(), &number(6), "tv-6", at(660)),
        &limits(breaker.clone()),
    )
    .await;
    assert_eq!(
        late,
        Reservation::Refused(SendRefusal::ConversionTooLow {
            calling_code: "+60".to_owned(),
            scope: crate::BreakerScope::Country,
            conversion_percent: Some(25),
            retry_at: at(660) + 15 * minute,
        })
    );
    // A lower bar, or the country pinned open, lets it through.
    let lower = crate::ConversionBreaker {
        min_conversion_percent: 25,
        ..breaker.clone()
    };
    let passes = reserve(
        &*store,
        new_send_kept(&numbers, id(), &number(6), "tv-6", at(661)),
        &limits(lower),
    )
    .await;
    assert_eq!(passes, Reservation::Reserved);
    let pinned_open = crate::ConversionBreaker {
        pinned: vec![("+60".to_owned(), crate::Pinned::Open)],
        ..breaker.clone()
    };
    let open = reserve(
        &*store,
        new_send_kept(&numbers, id(), &number(7), "tv-7", at(662)),
        &limits(pinned_open),
    )
    .await;
    assert_eq!(open, Reservation::Reserved);
    // A country pinned closed is refused whatever its records, and waiting does not help.
    let uk = phone_verify_domain::PhoneNumber::parse("+447911123451").expect("a UK number");
    let closed = reserve(
        &*store,
        new_send_kept(&numbers, id(), &uk, "tv-uk", at(663)),
        &limits(breaker),
    )
    .await;
    let Reservation::Refused(refusal) = closed else {
        panic!("refused: {closed:?}");
    };
    assert_eq!(refusal.as_str(), "conversion_too_low");
    assert_eq!(refusal.retry_at(), None);
}

/// The guard of clients: one client's sends cool down and are capped whatever the numbers;
/// another client, or a send that names none, is not held back. The store keeps and compares
/// the client's keyed digest only.
pub async fn a_client_cools_down_and_is_capped_whatever_the_numbers(
    store: Arc<dyn VerificationStore>,
) {
    let hour = Duration::from_secs(3600);
    let limits = SendLimits {
        clients: Some(crate::ClientLimits {
            cooldown: Duration::from_secs(30),
            max_sends: 2,
            window: hour,
        }),
        ..no_limits()
    };
    let digests = keyed(&[("k1", 1)]);
    let client = |key: &str| {
        digests.client_digest(&phone_verify_domain::ClientKey::parse(key).expect("a client key"))
    };
    let numbers = store.numbers().clone();
    let send = |n: u8, from: Option<&str>, at: chrono::DateTime<chrono::Utc>| NewSend {
        client: from.and_then(client),
        ..new_send_kept(
            &numbers,
            id(),
            &number(n),
            &format!("tv-{n}-{}", at.timestamp()),
            at,
        )
    };

    let first = reserve(&*store, send(1, Some("203.0.113.7"), t0()), &limits).await;
    assert_eq!(first, Reservation::Reserved);
    let too_soon = reserve(&*store, send(2, Some("203.0.113.7"), at(10)), &limits).await;
    assert_eq!(
        too_soon,
        Reservation::Refused(SendRefusal::ClientCoolingDown { retry_at: at(30) }),
        "another number, the same client, within the cooldown"
    );
    let second = reserve(&*store, send(2, Some("203.0.113.7"), at(40)), &limits).await;
    assert_eq!(second, Reservation::Reserved);
    let third = reserve(&*store, send(3, Some("203.0.113.7"), at(100)), &limits).await;
    assert_eq!(
        third,
        Reservation::Refused(SendRefusal::ClientLimitReached {
            limit: 2,
            window: hour,
            retry_at: t0() + hour,
        })
    );
    let other = reserve(&*store, send(3, Some("198.51.100.1"), at(100)), &limits).await;
    assert_eq!(other, Reservation::Reserved, "another client");
    let unnamed = reserve(&*store, send(4, None, at(100)), &limits).await;
    assert_eq!(
        unnamed,
        Reservation::Reserved,
        "a send that names no client"
    );
}

/// The breaker judges a country on its latest sends only (`ConversionBreaker::sample`, 200),
/// so that it costs a send the same however busy the country: 50 verified sends followed by
/// 200 unverified ones read as 0 % verified (all 250 would read 20 %, enough to pass).
pub async fn the_breaker_judges_a_country_on_its_latest_sends_only(
    store: Arc<dyn VerificationStore>,
) {
    let numbers = store.numbers().clone();
    let phone = |n: u32| {
        phone_verify_domain::PhoneNumber::parse(&format!("+60123{n:06}")).expect("a number")
    };
    for n in 0..250_u32 {
        let tv = format!("tv-sample-{n}");
        let started = at(u64::from(n));
        record_send_kept(&*store, &numbers, &phone(n), &tv, started, sent(1)).await;
        if n < 50 {
            record_verified_check(&*store, &tv, None, started, started).await;
        }
    }
    let minute = Duration::from_secs(60);
    let breaker = crate::ConversionBreaker {
        min_sends: 20,
        min_conversion_percent: 20,
        window: 60 * minute,
        grace: 10 * minute,
        cool_off: 15 * minute,
        pinned: Vec::new(),
        scope: crate::BreakerScope::Country,
    };
    assert_eq!(breaker.sample(), crate::CONVERSION_SAMPLE);
    let limits = SendLimits {
        conversion: Some(breaker),
        ..no_limits()
    };
    let now = at(249) + 11 * minute;
    let refused = reserve(
        &*store,
        new_send_kept(&numbers, id(), &phone(999), "tv-sample-new", now),
        &limits,
    )
    .await;
    assert_eq!(
        refused,
        Reservation::Refused(SendRefusal::ConversionTooLow {
            calling_code: "+60".to_owned(),
            scope: crate::BreakerScope::Country,
            conversion_percent: Some(0),
            retry_at: now + 15 * minute,
        })
    );
}

/// A breaker that measures prefixes (`BreakerScope::Prefix`) refuses the prefix whose codes
/// are not verified and serves the rest of its country: 30 unverified sends to `+60 123…`
/// close that prefix only; `+60 190…` and `+60 124…` pass, and a send that recorded no prefix
/// (before the scope was set) is neither judged by it nor counted in it.
pub async fn a_prefix_whose_codes_are_not_verified_is_refused_and_its_country_served(
    store: Arc<dyn VerificationStore>,
) {
    let numbers = store.numbers().clone();
    let minute = Duration::from_secs(60);
    let breaker = crate::ConversionBreaker {
        min_sends: 20,
        min_conversion_percent: 20,
        window: 60 * minute,
        grace: 10 * minute,
        cool_off: 15 * minute,
        pinned: Vec::new(),
        scope: crate::BreakerScope::Prefix { national_digits: 3 },
    };
    let limits = SendLimits {
        conversion: Some(breaker.clone()),
        ..no_limits()
    };
    let phone = |e164: String| phone_verify_domain::PhoneNumber::parse(&e164).expect("a number");
    let send = |phone: &phone_verify_domain::PhoneNumber, tv: &str, at| {
        let hidden = breaker.scope.hidden_digits(phone).expect("a prefix scope");
        NewSend {
            prefix: Some(numbers.range_of(phone, hidden)),
            ..new_send_kept(&numbers, id(), phone, tv, at)
        }
    };
    // 30 sends to +60 123…, none verified; 30 to +60 190…, all verified.
    for n in 0..30_u32 {
        for (prefix, verify) in [("+60123", false), ("+60190", true)] {
            let tv = format!("tv-{prefix}-{n}");
            let started = at(u64::from(n));
            let sending = send(&phone(format!("{prefix}{n:06}")), &tv, started);
            let sent_id = sending.id;
            assert_eq!(
                reserve(&*store, sending, &limits).await,
                Reservation::Reserved
            );
            store
                .finish_send(sent_id, sent(1), started)
                .await
                .expect("the outcome is recorded");
            if verify {
                record_verified_check(&*store, &tv, None, started, started).await;
            }
        }
    }
    let now = at(30) + 11 * minute;
    let pumped = reserve(
        &*store,
        send(&phone("+60123999999".into()), "tv-a", now),
        &limits,
    )
    .await;
    assert_eq!(
        pumped,
        Reservation::Refused(SendRefusal::ConversionTooLow {
            calling_code: "+60".to_owned(),
            scope: crate::BreakerScope::Prefix { national_digits: 3 },
            conversion_percent: Some(0),
            retry_at: now + 15 * minute,
        })
    );
    if let Reservation::Refused(refusal) = &pumped {
        assert_eq!(
            refusal.to_string(),
            "codes sent to this number's prefix are not being verified"
        );
    }
    for (other, why) in [
        ("+60190999999", "a prefix whose codes are verified"),
        ("+60124999999", "a prefix with no sends"),
    ] {
        let served = reserve(&*store, send(&phone(other.into()), "tv-b", now), &limits).await;
        assert_eq!(served, Reservation::Reserved, "{why}");
    }
    let unscoped = reserve(
        &*store,
        new_send_kept(&numbers, id(), &phone("+60123999998".into()), "tv-c", now),
        &limits,
    )
    .await;
    assert_eq!(
        unscoped,
        Reservation::Reserved,
        "a send that recorded no prefix"
    );
    // The same records under a breaker of the whole country: 30 verified of 60 pass.
    let country = SendLimits {
        conversion: Some(crate::ConversionBreaker {
            scope: crate::BreakerScope::Country,
            ..breaker
        }),
        ..no_limits()
    };
    let whole = reserve(
        &*store,
        new_send_kept(&numbers, id(), &phone("+60123999997".into()), "tv-d", now),
        &country,
    )
    .await;
    assert_eq!(whole, Reservation::Reserved, "the country converts at 50 %");
}
