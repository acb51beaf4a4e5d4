//! The figures per country `stats` reads: counted sends, verified checks and refusals.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use phone_verify_domain::PhoneNumber;

use super::fixtures::{at, number, record_send, record_verified_check, reference, sent};
use crate::{CountryStats, SendOutcome, VerificationStore};

fn uk() -> PhoneNumber {
    PhoneNumber::parse("+447911123451").expect("a UK number")
}

fn country(code: &str, sent: u64, verified: u64, refused: &[(&str, u64)]) -> CountryStats {
    CountryStats {
        calling_code: code.to_owned(),
        sent,
        verified,
        refused: refused
            .iter()
            .map(|(reason, count)| ((*reason).to_owned(), *count))
            .collect::<BTreeMap<_, _>>(),
    }
}

/// Per country: the sends that may have delivered a code and the checks that verified one,
/// started within the period, and the refusals of its minutes; a country with refusals alone
/// is listed, a send that delivered nothing or one outside the period is not counted.
pub async fn the_stats_count_each_country_s_sends_verified_codes_and_refusals(
    store: Arc<dyn VerificationStore>,
) {
    for n in 1..=3_u8 {
        record_send(
            &*store,
            &number(n),
            &format!("tv-{n}"),
            at(u64::from(n) * 10),
            sent(n),
        )
        .await;
    }
    let not_sent = SendOutcome::NotSent {
        class: crate::ErrorClass::NotSent,
    };
    record_send(&*store, &number(4), "tv-4", at(40), not_sent).await;
    record_send(&*store, &uk(), "tv-uk", at(50), sent(5)).await;
    record_send(&*store, &number(6), "tv-6", at(200), sent(6)).await;
    record_verified_check(&*store, "tv-1", Some(reference(1)), at(60), at(61)).await;
    for (code, reason, seconds) in [
        ("+60", "number_range_busy", 70),
        ("+60", "number_range_busy", 75),
        ("+44", "cooling_down", 80),
        ("+63", "conversion_too_low", 90),
        ("+60", "number_range_busy", 200),
    ] {
        store
            .count_refusal(code, reason, at(seconds))
            .await
            .expect("the refusal is counted");
    }

    let stats = store
        .send_stats(at(5), at(100))
        .await
        .expect("the stats are read");

    assert_eq!(
        stats,
        vec![
            country("+44", 1, 0, &[("cooling_down", 1)]),
            country("+60", 3, 1, &[("number_range_busy", 2)]),
            country("+63", 0, 0, &[("conversion_too_low", 1)]),
        ]
    );
    assert_eq!(
        store.send_stats(at(300), at(400)).await.expect("read"),
        Vec::new(),
        "nothing in a later period"
    );
}

/// Refusals counted at once are all counted, on every engine (one row per minute, country
/// and reason, updated in place).
pub async fn refusals_counted_at_once_are_all_counted(store: Arc<dyn VerificationStore>) {
    let tasks: Vec<_> = (0..20_u64)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .count_refusal("+63", "number_range_busy", at(n))
                    .await
                    .expect("the refusal is counted");
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("the task ends");
    }
    let stats = store.send_stats(at(0), at(60)).await.expect("read");
    assert_eq!(
        stats,
        vec![country("+63", 0, 0, &[("number_range_busy", 20)])]
    );
}

/// A purge deletes the counts of refusals of the minutes before its cutoff, in steps of its
/// batch size, and keeps the rest.
pub async fn a_purge_deletes_the_counts_of_refusals_before_its_cutoff(
    store: Arc<dyn VerificationStore>,
) {
    let minute = Duration::from_secs(60);
    for (reason, minutes) in [
        ("cooling_down", 0),
        ("number_range_busy", 1),
        ("conversion_too_low", 2),
        ("cooling_down", 10),
    ] {
        store
            .count_refusal("+60", reason, at(0) + minute * minutes)
            .await
            .expect("the refusal is counted");
    }
    let batch = store
        .purge(at(0) + minute * 5, None, 1)
        .await
        .expect("the purge runs");
    assert_eq!(batch.deleted.total(), 0, "no attempt to delete");
    let stats = store
        .send_stats(at(0) - minute, at(0) + minute * 20)
        .await
        .expect("read");
    assert_eq!(stats, vec![country("+60", 0, 0, &[("cooling_down", 1)])]);
}
