use std::collections::HashSet;

use phone_verify_app::{AttemptId, Clock, IdSource, ManualClock, RandomIds, SequentialIds};

use crate::support::{secs, t0};

#[test]
fn a_manual_clock_moves_only_when_told() {
    let clock = ManualClock::new(t0());
    assert_eq!(clock.now(), t0());
    assert_eq!(clock.now(), t0(), "time does not pass by itself");
    clock.advance(secs(90));
    assert_eq!(clock.now(), t0() + secs(90));
    clock.set(t0());
    assert_eq!(clock.now(), t0());
}

#[test]
fn a_manual_clock_saturates_instead_of_overflowing() {
    let clock = ManualClock::new(t0());
    clock.advance(std::time::Duration::MAX);
    assert!(clock.now() > t0());
}

#[test]
fn sequential_ids_count_from_one() {
    let ids = SequentialIds::default();
    let first = ids.next_id();
    assert_eq!(first, AttemptId::from_u128(1));
    assert_eq!(ids.next_id(), AttemptId::from_u128(2));
    assert_eq!(first.to_string(), "00000000-0000-0000-0000-000000000001");
}

#[test]
fn random_ids_do_not_repeat() {
    let ids = RandomIds;
    let drawn: HashSet<AttemptId> = (0..1000).map(|_| ids.next_id()).collect();
    assert_eq!(drawn.len(), 1000);
}

#[test]
fn an_attempt_id_reads_back_from_its_text() {
    let id = RandomIds.next_id();
    assert_eq!(id.to_string().parse::<AttemptId>(), Ok(id));
    assert!("not-a-uuid".parse::<AttemptId>().is_err());
}
