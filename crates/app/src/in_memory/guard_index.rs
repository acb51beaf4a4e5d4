//! The in-memory store's indices for the guards beyond the number: the counted sends and the
//! verified checks of each country in order of start, so that a country's budget and its
//! conversion are counted by binary search however busy the country, and the sends of each
//! range, each client and each prefix, so that those guards read their own few sends only.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;

use crate::{AttemptId, GuardKey};

/// Attempts (start time, sequence number) kept in ascending order.
#[derive(Debug, Default)]
pub(super) struct Starts(VecDeque<(DateTime<Utc>, u64)>);

impl Starts {
    /// Adds an attempt, unless it is there already (by binary search: a recount of an
    /// attempt that stays counted moves nothing).
    pub(super) fn insert(&mut self, at: DateTime<Utc>, seq: u64) {
        if let Err(position) = self.0.binary_search(&(at, seq)) {
            self.0.insert(position, (at, seq));
        }
    }

    /// Takes an attempt out, if it is there.
    pub(super) fn remove(&mut self, at: DateTime<Utc>, seq: u64) {
        if let Ok(position) = self.0.binary_search(&(at, seq)) {
            self.0.remove(position);
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The position of the first attempt started after `after`.
    fn first_after(&self, after: DateTime<Utc>) -> usize {
        self.0.partition_point(|(at, _)| *at <= after)
    }

    /// How many attempts started after `after` and, if given, not after `until`.
    pub(super) fn count_in(&self, after: DateTime<Utc>, until: Option<DateTime<Utc>>) -> u64 {
        let end = until.map_or(self.0.len(), |until| {
            self.0.partition_point(|(at, _)| *at <= until)
        });
        let count = end.saturating_sub(self.first_after(after));
        u64::try_from(count).unwrap_or(u64::MAX)
    }

    /// The sequence numbers of the latest `n` attempts started after `after` and not after
    /// `until`, newest first.
    pub(super) fn latest_in(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        n: usize,
    ) -> impl Iterator<Item = u64> + '_ {
        let end = self.0.partition_point(|(at, _)| *at <= until);
        let start = self.first_after(after).min(end);
        self.0.range(start..end).rev().take(n).map(|(_, seq)| *seq)
    }

    /// The start of the `n`-th (from 0) oldest attempt started after `after`.
    pub(super) fn nth_after(&self, after: DateTime<Utc>, n: u64) -> Option<DateTime<Utc>> {
        let n = usize::try_from(n).ok()?;
        self.0
            .get(self.first_after(after).checked_add(n)?)
            .map(|(at, _)| *at)
    }
}

/// What the store counts of one country (its calling code).
#[derive(Debug, Default)]
pub(super) struct Country {
    /// Sends that may have delivered a code.
    pub(super) counted_sends: Starts,
    /// Checks that verified a code.
    pub(super) verified_checks: Starts,
}

impl Country {
    pub(super) fn is_empty(&self) -> bool {
        self.counted_sends.is_empty() && self.verified_checks.is_empty()
    }
}

/// The sends recorded under each key of one guard (a range, a client), oldest first.
#[derive(Debug, Default)]
pub(super) struct Keyed {
    of: FxHashMap<AttemptId, GuardKey>,
    /// A queue, not an inline list: a range or a prefix can hold thousands of sends, and
    /// an eviction takes the oldest from the front.
    sends: HashMap<GuardKey, VecDeque<u64>>,
}

impl Keyed {
    pub(super) fn insert(&mut self, id: AttemptId, key: GuardKey, seq: u64) {
        match self.sends.get_mut(&key) {
            Some(sends) => sends.push_back(seq),
            None => {
                self.sends.insert(key.clone(), VecDeque::from([seq]));
            }
        }
        self.of.insert(id, key);
    }

    pub(super) fn remove(&mut self, id: AttemptId, seq: u64) {
        let Some(key) = self.of.remove(&id) else {
            return;
        };
        if let Some(sends) = self.sends.get_mut(&key) {
            if sends.front() == Some(&seq) {
                sends.pop_front();
            } else if let Some(position) = sends.iter().position(|other| *other == seq) {
                sends.remove(position);
            }
            if sends.is_empty() {
                self.sends.remove(&key);
            }
        }
    }

    /// Replaces each key `convert` gives a new one for (a range kept in clear, protected by
    /// a conversion), keeping its sends.
    pub(super) fn rekey(&mut self, mut convert: impl FnMut(&GuardKey) -> Option<GuardKey>) {
        for (key, sends) in std::mem::take(&mut self.sends) {
            let key = convert(&key).unwrap_or(key);
            self.sends.entry(key).or_default().extend(sends);
        }
        for key in self.of.values_mut() {
            if let Some(converted) = convert(key) {
                *key = converted;
            }
        }
    }

    /// The sequence numbers of the sends recorded under `key`.
    pub(super) fn sends(&self, key: &GuardKey) -> impl Iterator<Item = &u64> {
        self.sends.get(key).into_iter().flatten()
    }

    /// The sequence numbers of the sends recorded under `key`, newest first.
    pub(super) fn latest(&self, key: &GuardKey) -> impl Iterator<Item = u64> + '_ {
        self.sends
            .get(key)
            .into_iter()
            .flat_map(|sends| sends.iter().rev().copied())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;

    fn at(seconds: u64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap() + Duration::from_secs(seconds)
    }

    #[test]
    fn starts_count_and_find_in_a_window_whatever_order_they_arrive_in() {
        let mut starts = Starts::default();
        for (seconds, seq) in [(10, 1), (30, 2), (20, 3), (40, 4), (5, 5), (20, 3)] {
            starts.insert(at(seconds), seq);
        }
        assert_eq!(
            starts.count_in(at(5), None),
            4,
            "after 5 s: 10, 20, 30, 40, the attempt added twice once"
        );
        assert_eq!(starts.count_in(at(10), Some(at(30))), 2, "20 and 30");
        assert_eq!(starts.nth_after(at(5), 0), Some(at(10)));
        assert_eq!(starts.nth_after(at(5), 2), Some(at(30)));
        assert_eq!(starts.nth_after(at(5), 4), None);
        let latest: Vec<u64> = starts.latest_in(at(5), at(30), 2).collect();
        assert_eq!(latest, [2, 3], "30 s and 20 s, newest first");

        starts.remove(at(20), 3);
        starts.remove(at(20), 9);
        assert_eq!(
            starts.count_in(at(0), None),
            4,
            "only the attempt that was there left"
        );
        for (seconds, seq) in [(10, 1), (30, 2), (40, 4), (5, 5)] {
            starts.remove(at(seconds), seq);
        }
        assert!(starts.is_empty());
    }
}
