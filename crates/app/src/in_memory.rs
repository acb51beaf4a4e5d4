//! The in-memory store: the default for embedding and for tests.

mod guard_index;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phone_verify_domain::{CheckVerdict, ReferenceId, TrustValidationId};
use rustc_hash::FxHashMap;
use smallvec::{SmallVec, smallvec};

use crate::guards::minimum_retention;
use crate::stats::{StatsByCountry, refusal_minute};
use crate::store::{
    AttemptCounts, CheckReservation, ConflictKind, HistorySubject, Page, PageRequest, PurgeBatch,
    PurgePosition, Reservation,
};
use crate::time::sub;
use crate::{
    AttemptId, AttemptRecord, CheckOutcome, CheckPolicy, CheckRecord, CheckState,
    CountryConversion, CountryStats, ErrorClass, GuardKey, NewCheck, NewSend, NumberDigest,
    NumberKeyring, NumberLookup, NumberProtection, SendLimits, SendOutcome, SendRecord,
    SendRefusal, SendState, StoreError, StoredNumber, VerificationStore,
};
use guard_index::{Country, Keyed};

/// A [`VerificationStore`] in memory: every attempt in a queue behind one lock, oldest
/// first, indexed by id, number, trust validation and send.
///
/// The lock is a synchronous one, taken only inside each method and never held across an
/// `.await`, which makes each reservation one atomic step. Nothing survives the process: fine
/// for tests and single-process embedding, not for a fleet (use a SQL store there). `Debug`
/// shows counts only, never a number.
///
/// # Bounded memory
///
/// The store keeps what the guards and checks can still need and drops the rest as it goes:
/// each reservation evicts up to a few of the oldest attempts (never a scan) once they
/// started more than the retention before the newest attempt, so a long-running process
/// holds a flat number of records. The retention is the longest of
/// [`InMemoryVerificationStore::keep_for`] (default: the default guards' one hour), the
/// longest [`SendLimits::horizon`] and the longest [`CheckPolicy::code_lifetime`] any call
/// has passed: an eviction never loses a send a guard per number or a live code needs. A
/// trust validation's evicted sends stay counted against its cap for as long as any attempt
/// of it is kept. [`InMemoryVerificationStore::max_attempts`] caps the count besides,
/// whichever is smaller: past it, the oldest go whatever their age (and with them what
/// the guards would have counted). An attempt still in flight past the retention is evicted
/// like any other (a provider call lasts seconds, the retention at least the guards'
/// horizon); its late outcome is then [`ConflictKind::UnknownAttempt`].
///
/// # Numbers
///
/// Kept in clear unless [`InMemoryVerificationStore::protect_numbers`] gives the store a
/// keyring: the process's memory then holds, for each record, the digest and the masked form
/// the use cases hand it, never the number.
///
/// ```
/// use std::time::Duration;
/// use phone_verify_app::InMemoryVerificationStore;
///
/// // History for a day, and never more than 100 000 attempts.
/// let store = InMemoryVerificationStore::new()
///     .keep_for(Duration::from_secs(24 * 60 * 60))
///     .max_attempts(100_000);
/// assert!(store.is_empty());
/// ```
pub struct InMemoryVerificationStore {
    inner: Mutex<Inner>,
    numbers: NumberProtection,
}

impl Default for InMemoryVerificationStore {
    fn default() -> Self {
        Self::new()
    }
}

/// How many old attempts a reservation evicts at most: more than the one it adds, so that a
/// backlog (after the clock jumped, or a longer retention was lowered) drains, in small
/// steps.
const EVICTIONS_PER_RESERVATION: usize = 4;

/// The retention of a store nobody configured: the default guards' longest horizon.
fn default_retention() -> Duration {
    minimum_retention(&SendLimits::default(), &CheckPolicy::default())
}

struct Inner {
    /// The attempts in the order they were reserved, oldest first; `None` where one was
    /// purged from the middle. The attempt at position `p` has the sequence number
    /// `first + p`; the indices hold sequence numbers.
    attempts: VecDeque<Option<AttemptRecord>>,
    first: u64,
    /// How many of `attempts` are `Some`.
    stored: usize,
    /// Hashed without a seed, as every index by attempt id: the ids come from the program's
    /// own [`crate::IdSource`], never from a caller, so no caller can flood a bucket.
    by_id: FxHashMap<AttemptId, u64>,
    /// Keyed by the number as stored: sends and checks of the number, oldest first.
    by_number: ByNumber,
    by_trust_validation: HashMap<TrustValidationId, Validation>,
    checks_by_send: FxHashMap<AttemptId, Vec<u64>>,
    /// The sends of each range, for the sends that recorded one ([`NewSend::range`]).
    ranges: Keyed,
    /// The sends of each client, for the sends that named one ([`NewSend::client`]).
    clients: Keyed,
    /// The sends of each prefix, for the sends that recorded one ([`NewSend::prefix`]).
    prefixes: Keyed,
    /// By calling code: the counted sends and the verified checks, in order of start. Hashed
    /// without a seed: there are at most a thousand calling codes, so no caller can flood a
    /// bucket.
    countries: FxHashMap<String, Country>,
    /// Refused sends by (minute, calling code, reason) ([`VerificationStore::count_refusal`]).
    refusals: BTreeMap<(DateTime<Utc>, String, String), u64>,
    /// How long an attempt is kept at least (grows with the guards the calls pass).
    retention: Duration,
    max_attempts: Option<usize>,
    /// The latest start time seen: the store's "now" for eviction.
    newest: Option<DateTime<Utc>>,
}

/// What the store holds of one trust validation.
#[derive(Default)]
struct Validation {
    /// Its attempts, oldest first.
    attempts: Seqs,
    /// Sends that may have delivered a code, evicted while later attempts of the trust
    /// validation were kept: still counted against its cap.
    evicted_sends: u64,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            attempts: VecDeque::new(),
            first: 0,
            stored: 0,
            by_id: FxHashMap::default(),
            by_number: ByNumber::default(),
            by_trust_validation: HashMap::new(),
            checks_by_send: FxHashMap::default(),
            ranges: Keyed::default(),
            clients: Keyed::default(),
            prefixes: Keyed::default(),
            countries: FxHashMap::default(),
            refusals: BTreeMap::new(),
            retention: default_retention(),
            max_attempts: None,
            newest: None,
        }
    }
}

impl InMemoryVerificationStore {
    /// An empty store, keeping what the guards need (see "Bounded memory" above).
    pub fn new() -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            numbers: NumberProtection::Clear,
        }
    }

    /// Keeps numbers protected with `keyring`: each record holds the number's digest under
    /// the current key and its masked form, never the number (see "Numbers" above). Records
    /// the store already holds in clear are converted, their ranges too
    /// ([`NumberProtection::protect_range`]), as the SQL stores' conversion does: the guards
    /// go on counting them.
    #[must_use]
    pub fn protect_numbers(self, keyring: NumberKeyring) -> Self {
        let numbers = NumberProtection::keyed(keyring);
        self.lock().protect(&numbers);
        Self { numbers, ..self }
    }

    /// Keeps every attempt for at least `keep_for` after it started (for history), and
    /// never less than the guards need.
    #[must_use]
    pub fn keep_for(self, keep_for: Duration) -> Self {
        self.lock().retention = keep_for;
        self
    }

    /// Keeps at most `max_attempts` attempts (at least one): past it, each reservation
    /// evicts the oldest, whatever their age.
    #[must_use]
    pub fn max_attempts(self, max_attempts: usize) -> Self {
        self.lock().max_attempts = Some(max_attempts.max(1));
        self
    }

    /// The store's state, behind its lock. A panic while the lock was held (a bug) does not
    /// make every later call fail: the store goes on with what the lock guards. The lock is
    /// the standard library's: contended, it spins briefly and then sleeps, where
    /// `parking_lot`'s also yielded the thread to the scheduler, twice as many context
    /// switches a send in the benchmark (docs/performance.md).
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many attempts are stored.
    pub fn len(&self) -> usize {
        self.lock().stored
    }

    /// Whether no attempt is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for InMemoryVerificationStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryVerificationStore")
            .field("attempts", &self.len())
            .field("numbers", &self.numbers)
            .finish_non_exhaustive()
    }
}

/// The sequence numbers of an index entry, oldest first: most numbers and trust validations
/// have one or two attempts, held without an allocation.
type Seqs = SmallVec<[u64; 2]>;

/// The index by number: each number as stored (in clear or as its digest) to its attempts,
/// oldest first. Read by the number's borrowed forms, so a lookup copies nothing.
#[derive(Default)]
struct ByNumber {
    clear: HashMap<String, Seqs>,
    digests: HashMap<NumberDigest, Seqs>,
}

impl ByNumber {
    /// Adds the attempt `seq` to `number`'s, as the newest.
    fn insert(&mut self, number: &StoredNumber, seq: u64) {
        match number {
            StoredNumber::Clear(phone) => match self.clear.get_mut(phone.e164()) {
                Some(list) => list.push(seq),
                None => {
                    self.clear.insert(phone.e164().to_owned(), smallvec![seq]);
                }
            },
            StoredNumber::Protected(protected) => self
                .digests
                .entry(*protected.digest())
                .or_default()
                .push(seq),
        }
    }

    /// Takes the attempt `seq` out of `number`'s, and the number out once it has none.
    fn remove(&mut self, number: &StoredNumber, seq: u64) {
        match number {
            StoredNumber::Clear(phone) => {
                if let Some(list) = self.clear.get_mut(phone.e164()) {
                    remove_from(list, seq);
                    if list.is_empty() {
                        self.clear.remove(phone.e164());
                    }
                }
            }
            StoredNumber::Protected(protected) => {
                if let Some(list) = self.digests.get_mut(protected.digest()) {
                    remove_from(list, seq);
                    if list.is_empty() {
                        self.digests.remove(protected.digest());
                    }
                }
            }
        }
    }

    /// The attempts of the number `lookup` finds, under every form it names.
    fn of<'a>(&'a self, lookup: &'a NumberLookup) -> impl Iterator<Item = &'a u64> + 'a {
        let (clear, digests) = match lookup {
            NumberLookup::Clear(phone) => (self.clear.get(phone.e164()), &[][..]),
            NumberLookup::Digests(digests) => (None, &digests[..]),
        };
        clear
            .into_iter()
            .chain(digests.iter().filter_map(|digest| self.digests.get(digest)))
            .flatten()
    }
}

/// Removes `seq` from an index list kept oldest first (found first when it is the oldest, as
/// in an eviction). The lists are short as a rule: a number's or a trust validation's attempts
/// within the retention.
fn remove_from(list: &mut Seqs, seq: u64) {
    if let Some(position) = list.iter().position(|other| *other == seq) {
        list.remove(position);
    }
}

/// Whether `record` is a send that may have delivered a code: what the guards count.
fn counts_as_send(record: &AttemptRecord) -> bool {
    matches!(record, AttemptRecord::Send(send) if send.may_have_delivered())
}

/// Whether `record` is a check that verified a code: what the conversion breaker counts.
fn verified(record: &AttemptRecord) -> bool {
    matches!(
        record,
        AttemptRecord::Check(check) if matches!(
            check.outcome(),
            CheckOutcome::Answered {
                verdict: CheckVerdict::Verified,
                ..
            }
        )
    )
}

/// Adds `record`, if any, to the count of its kind.
fn count(counts: &mut AttemptCounts, record: Option<&AttemptRecord>) {
    match record {
        Some(AttemptRecord::Send(_)) => counts.sends += 1,
        Some(AttemptRecord::Check(_)) => counts.checks += 1,
        None => {}
    }
}

/// When an attempt finished; `None` while it is in flight.
fn finished_at(record: &AttemptRecord) -> Option<DateTime<Utc>> {
    match record {
        AttemptRecord::Send(send) => send.finished_at(),
        AttemptRecord::Check(check) => match &check.state {
            CheckState::InFlight => None,
            CheckState::Finished { at, .. } => Some(*at),
        },
    }
}

/// Whether an attempt is purgeable with its trust validation (see
/// [`VerificationStore::purge`]).
fn finished_before(record: &AttemptRecord, cutoff: DateTime<Utc>) -> bool {
    finished_at(record).is_some_and(|at| at < cutoff)
}

impl Inner {
    /// Where the attempt `seq` is in `attempts`, if it is still in the queue's range.
    fn position(&self, seq: u64) -> Option<usize> {
        usize::try_from(seq.checked_sub(self.first)?).ok()
    }

    fn get(&self, seq: u64) -> Option<&AttemptRecord> {
        self.attempts.get(self.position(seq)?)?.as_ref()
    }

    fn get_mut(&mut self, seq: u64) -> Option<&mut AttemptRecord> {
        let position = self.position(seq)?;
        self.attempts.get_mut(position)?.as_mut()
    }

    /// Converts what is kept in clear (numbers, ranges) to `numbers`' protection, and
    /// indexes the records by their new numbers, oldest first as before.
    fn protect(&mut self, numbers: &NumberProtection) {
        for record in self.attempts.iter_mut().flatten() {
            let number = match record {
                AttemptRecord::Send(send) => &mut send.number,
                AttemptRecord::Check(check) => &mut check.number,
            };
            if let StoredNumber::Clear(phone) = number {
                *number = numbers.at_rest(phone);
            }
        }
        self.ranges.rekey(|range| numbers.protect_range(range));
        self.prefixes.rekey(|prefix| numbers.protect_range(prefix));
        self.by_number = ByNumber::default();
        for (seq, record) in (self.first..).zip(&self.attempts) {
            if let Some(record) = record {
                self.by_number.insert(record.number(), seq);
            }
        }
    }

    /// Stores `record`, giving its sequence number.
    fn insert(&mut self, record: AttemptRecord) -> u64 {
        let seq = self.first + self.attempts.len() as u64;
        self.by_id.insert(record.id(), seq);
        self.by_number.insert(record.number(), seq);
        match self.by_trust_validation.get_mut(record.trust_validation()) {
            Some(validation) => validation.attempts.push(seq),
            None => {
                let validation = Validation {
                    attempts: smallvec![seq],
                    evicted_sends: 0,
                };
                self.by_trust_validation
                    .insert(record.trust_validation().clone(), validation);
            }
        }
        if let AttemptRecord::Check(check) = &record {
            self.checks_by_send.entry(check.send).or_default().push(seq);
        }
        self.newest = self.newest.max(Some(record.started_at()));
        self.attempts.push_back(Some(record));
        self.stored += 1;
        seq
    }

    /// Keeps the attempt `seq` in its country's counts as what it is now: a send while it may
    /// have delivered a code, a check once it verified one.
    fn recount(&mut self, seq: u64) {
        // The record is read through its field, not `get`, so that it stays borrowed while
        // the countries change: its calling code is looked up as it is, and copied only for
        // a country not yet counted (a copy a send and a finish was two allocations a send).
        let Some(record) = self
            .position(seq)
            .and_then(|position| self.attempts.get(position))
            .and_then(Option::as_ref)
        else {
            return;
        };
        let (code, at) = (record.number().calling_code(), record.started_at());
        let is_send = matches!(record, AttemptRecord::Send(_));
        let (counted, verified) = (counts_as_send(record), verified(record));
        if !self.countries.contains_key(code) {
            self.countries.insert(code.to_owned(), Country::default());
        }
        let Some(country) = self.countries.get_mut(code) else {
            return;
        };
        // An attempt is in each list at most once: one that stays what it was is left where
        // it is (a finish far behind the newest send moved half the list twice before).
        if counted {
            country.counted_sends.insert(at, seq);
        } else {
            country.counted_sends.remove(at, seq);
        }
        if !is_send && verified {
            country.verified_checks.insert(at, seq);
        }
    }

    /// What the conversion breaker reads of the country of `calling_code`, or of the prefix
    /// `prefix` when it measures prefixes: its latest `sample` counted sends started within
    /// `(from, until]`, and how many of them a check verified.
    fn conversion(
        &self,
        calling_code: &str,
        prefix: Option<&GuardKey>,
        (from, until): (DateTime<Utc>, DateTime<Utc>),
        sample: u32,
    ) -> CountryConversion {
        let sample = usize::try_from(sample).unwrap_or(usize::MAX);
        match prefix {
            // A prefix's sends are kept in the order they were reserved, which is the order
            // of their starts: the latest are read from the end.
            Some(prefix) => self.share_verified(
                self.prefixes
                    .latest(prefix)
                    .filter(|seq| {
                        self.sends([seq]).next().is_some_and(|send| {
                            send.may_have_delivered()
                                && send.started_at > from
                                && send.started_at <= until
                        })
                    })
                    .take(sample),
            ),
            None => self.share_verified(
                self.countries
                    .get(calling_code)
                    .into_iter()
                    .flat_map(|country| country.counted_sends.latest_in(from, until, sample)),
            ),
        }
    }

    /// How many of the sends `seqs` there are, and how many of them a check verified.
    fn share_verified(&self, seqs: impl Iterator<Item = u64>) -> CountryConversion {
        let mut read = CountryConversion {
            sends: 0,
            verified: 0,
        };
        for seq in seqs {
            read.sends += 1;
            let Some(send) = self.get(seq) else { continue };
            let checks = self.checks_by_send.get(&send.id());
            if self.records(checks.into_iter().flatten()).any(verified) {
                read.verified += 1;
            }
        }
        read
    }

    /// The start times of the counted sends recorded under `key` of a guard, after `after`.
    fn keyed_sends_after<'a>(
        &'a self,
        guard: &'a Keyed,
        key: &'a GuardKey,
        after: DateTime<Utc>,
    ) -> impl Iterator<Item = &'a SendRecord> {
        self.sends(guard.sends(key))
            .filter(move |send| send.may_have_delivered() && send.started_at > after)
    }

    /// Takes the attempt `seq` out of the queue and every index. An evicted send that may
    /// have delivered a code stays counted for its trust validation while the trust
    /// validation has other attempts; a purged one does not (its trust validation goes
    /// whole).
    fn remove(&mut self, seq: u64, evicted: bool) -> Option<AttemptRecord> {
        let position = self.position(seq)?;
        let record = self.attempts.get_mut(position)?.take()?;
        self.stored -= 1;
        self.by_id.remove(&record.id());
        self.ranges.remove(record.id(), seq);
        self.clients.remove(record.id(), seq);
        self.prefixes.remove(record.id(), seq);
        let code = record.number().calling_code();
        if let Some(country) = self.countries.get_mut(code) {
            country.counted_sends.remove(record.started_at(), seq);
            country.verified_checks.remove(record.started_at(), seq);
            if country.is_empty() {
                self.countries.remove(code);
            }
        }
        self.by_number.remove(record.number(), seq);
        let tv = record.trust_validation();
        if let Some(validation) = self.by_trust_validation.get_mut(tv) {
            remove_from(&mut validation.attempts, seq);
            if validation.attempts.is_empty() {
                self.by_trust_validation.remove(tv);
            } else if let AttemptRecord::Send(send) = &record
                && evicted
                && send.may_have_delivered()
            {
                validation.evicted_sends += 1;
            }
        }
        if let AttemptRecord::Check(check) = &record
            && let Some(list) = self.checks_by_send.get_mut(&check.send)
        {
            list.retain(|other| *other != seq);
            if list.is_empty() {
                self.checks_by_send.remove(&check.send);
            }
        }
        while matches!(self.attempts.front(), Some(None)) {
            self.attempts.pop_front();
            self.first += 1;
        }
        Some(record)
    }

    /// Evicts up to [`EVICTIONS_PER_RESERVATION`] of the oldest attempts past the
    /// retention, and as many as it takes to get under the cap.
    fn evict(&mut self) {
        let Some(newest) = self.newest else { return };
        let horizon = sub(newest, self.retention);
        self.forget_refusals_before(horizon);
        let mut budget = EVICTIONS_PER_RESERVATION;
        while let Some(Some(oldest)) = self.attempts.front() {
            let over_cap = self.max_attempts.is_some_and(|max| self.stored > max);
            let expired = budget > 0 && oldest.started_at() < horizon;
            if !over_cap && !expired {
                break;
            }
            budget = budget.saturating_sub(1);
            let seq = self.first;
            self.remove(seq, true);
        }
    }

    /// Drops the counts of refusals of the minutes before `cutoff`.
    fn forget_refusals_before(&mut self, cutoff: DateTime<Utc>) {
        while let Some(entry) = self.refusals.first_entry() {
            if entry.key().0 >= refusal_minute(cutoff) {
                break;
            }
            entry.remove();
        }
    }

    /// Widens the retention to what a guard passed to a call needs.
    fn retain_for(&mut self, needed: Duration) {
        self.retention = self.retention.max(needed);
    }

    /// Whether every attempt of the trust validation finished before `cutoff`.
    fn purgeable(&self, validation: &Validation, cutoff: DateTime<Utc>) -> bool {
        validation
            .attempts
            .iter()
            .all(|seq| self.get(*seq).is_some_and(|r| finished_before(r, cutoff)))
    }

    /// The sequence numbers of every purgeable trust validation's attempts before `cutoff`.
    fn all_purgeable(&self, cutoff: DateTime<Utc>) -> Vec<u64> {
        self.by_trust_validation
            .values()
            .filter(|validation| self.purgeable(validation, cutoff))
            .flat_map(|validation| validation.attempts.iter().copied())
            .collect()
    }

    /// One batch of a purge ([`VerificationStore::purge`]): the walk of the attempts finished
    /// before `cutoff` after `after`, in order of (finish time, trust validation), `limit`
    /// of them, and the removal of the purgeable trust validations it met, whole. A scan of
    /// the store: it is bounded by its retention.
    fn purge_batch(
        &mut self,
        cutoff: DateTime<Utc>,
        after: Option<&PurgePosition>,
        limit: usize,
    ) -> PurgeBatch {
        let mut walked: Vec<(DateTime<Utc>, &TrustValidationId)> = self
            .attempts
            .iter()
            .flatten()
            .filter_map(|record| {
                let at = finished_at(record).filter(|at| *at < cutoff)?;
                let position = (at, record.trust_validation());
                after
                    .is_none_or(|after| position > (after.finished_at, &after.trust_validation))
                    .then_some(position)
            })
            .collect();
        walked.sort_unstable();
        walked.truncate(limit);
        let next = (walked.len() == limit)
            .then(|| walked.last())
            .flatten()
            .map(|(at, tv)| PurgePosition {
                finished_at: *at,
                trust_validation: (*tv).clone(),
            });
        let met: BTreeSet<TrustValidationId> =
            walked.into_iter().map(|(_, tv)| tv.clone()).collect();
        let mut deleted = AttemptCounts::default();
        for tv in met {
            let Some(validation) = self.by_trust_validation.get(&tv) else {
                continue;
            };
            if !self.purgeable(validation, cutoff) {
                continue;
            }
            let attempts: Vec<u64> = validation.attempts.iter().copied().collect();
            for seq in attempts {
                count(&mut deleted, self.remove(seq, false).as_ref());
            }
        }
        PurgeBatch { deleted, next }
    }

    fn records<'a>(
        &'a self,
        indices: impl IntoIterator<Item = &'a u64> + 'a,
    ) -> impl Iterator<Item = &'a AttemptRecord> {
        indices.into_iter().filter_map(|seq| self.get(*seq))
    }

    fn sends<'a>(
        &'a self,
        indices: impl IntoIterator<Item = &'a u64> + 'a,
    ) -> impl Iterator<Item = &'a SendRecord> {
        self.records(indices).filter_map(|record| match record {
            AttemptRecord::Send(send) => Some(send),
            AttemptRecord::Check(_) => None,
        })
    }

    /// The attempts of the number a lookup finds, under every form it names.
    fn of_number<'a>(&'a self, lookup: &'a NumberLookup) -> impl Iterator<Item = &'a u64> + 'a {
        self.by_number.of(lookup)
    }

    fn of_validation(&self, tv: &TrustValidationId) -> impl Iterator<Item = &u64> {
        self.by_trust_validation
            .get(tv)
            .into_iter()
            .flat_map(|validation| validation.attempts.iter())
    }

    fn send_mut(&mut self, id: AttemptId) -> Option<&mut SendRecord> {
        match self.get_mut(*self.by_id.get(&id)?)? {
            AttemptRecord::Send(send) => Some(send),
            AttemptRecord::Check(_) => None,
        }
    }

    fn check_mut(&mut self, id: AttemptId) -> Option<&mut CheckRecord> {
        match self.get_mut(*self.by_id.get(&id)?)? {
            AttemptRecord::Check(check) => Some(check),
            AttemptRecord::Send(_) => None,
        }
    }

    /// What a check answered with `reference` tells about the sends (see
    /// [`VerificationStore::finish_check`]): the check records the reference and moves to the
    /// send that has it, or closes its own send, if still in flight, as sent. Returns the
    /// send the check is recorded against.
    fn reconcile(
        &mut self,
        check_id: AttemptId,
        send_id: AttemptId,
        trust_validation: &TrustValidationId,
        reference: ReferenceId,
        finished_at: DateTime<Utc>,
    ) -> AttemptId {
        // Sends that share a reference delivered one code (a provider whose resend re-sends
        // it): the check goes to the newest of them, the current one.
        let owner = self
            .sends(self.of_validation(trust_validation))
            .filter(|send| send.reference() == Some(&reference))
            .max_by_key(|send| (send.started_at, send.id))
            .map(|send| send.id);
        let closes_its_send = owner.is_none();
        if let Some(send) = self.send_mut(send_id)
            && closes_its_send
            && send.state == SendState::InFlight
        {
            send.state = SendState::Finished {
                at: finished_at,
                outcome: SendOutcome::Sent {
                    reference: reference.clone(),
                    submitted_at: None,
                },
            };
        }
        let moved = owner.filter(|owner| *owner != send_id);
        if let Some(check) = self.check_mut(check_id) {
            check.reference = Some(reference);
            if let Some(owner) = moved {
                check.send = owner;
            }
        }
        if let (Some(owner), Some(index)) = (moved, self.by_id.get(&check_id).copied()) {
            if let Some(list) = self.checks_by_send.get_mut(&send_id) {
                list.retain(|other| *other != index);
            }
            self.checks_by_send.entry(owner).or_default().push(index);
        }
        moved.unwrap_or(send_id)
    }
}

#[async_trait]
impl VerificationStore for InMemoryVerificationStore {
    /// `memory`.
    fn engine(&self) -> &'static str {
        "memory"
    }

    fn numbers(&self) -> &NumberProtection {
        &self.numbers
    }

    async fn reserve_send(
        &self,
        send: NewSend,
        limits: &SendLimits,
    ) -> Result<Reservation<SendRefusal>, StoreError> {
        let mut inner = self.lock();
        if inner.by_id.contains_key(&send.id) {
            return Err(StoreError::conflict(ConflictKind::DuplicateId));
        }
        inner.retain_for(limits.horizon());
        let horizon_start = limits.horizon_start(send.started_at);
        let to_number: Vec<DateTime<Utc>> = inner
            .sends(inner.of_number(&send.lookup))
            .filter(|earlier| earlier.may_have_delivered() && earlier.started_at > horizon_start)
            .map(|earlier| earlier.started_at)
            .collect();
        // Looked up once for both counts (a trust validation's id is hashed with a seed).
        let validation = inner.by_trust_validation.get(&send.trust_validation);
        let kept = inner
            .sends(validation.into_iter().flat_map(|tv| tv.attempts.iter()))
            .filter(|earlier| earlier.may_have_delivered())
            .count();
        let evicted = validation.map_or(0, |validation| validation.evicted_sends);
        let for_validation = u64::try_from(kept)
            .unwrap_or(u64::MAX)
            .saturating_add(evicted);
        let by_number = limits.evaluate(to_number, for_validation, send.started_at);
        let calling_code = send.number.calling_code();
        let by_country = match limits.country_budgets.of(calling_code) {
            None => Ok(()),
            Some(budget) => {
                let window_start = budget.window_start(send.started_at);
                let sends = inner
                    .countries
                    .get(calling_code)
                    .map(|country| &country.counted_sends);
                let in_window = sends.map_or(0, |sends| sends.count_in(window_start, None));
                let leaving = in_window
                    .checked_sub(u64::from(budget.max_sends))
                    .and_then(|n| sends?.nth_after(window_start, n));
                budget.evaluate(calling_code, in_window, leaving, send.started_at)
            }
        };
        let by_range = match (&limits.number_ranges, &send.range) {
            (Some(ranges), Some(range)) => {
                let window_start = ranges.window_start(send.started_at);
                let earlier: Vec<(StoredNumber, DateTime<Utc>)> = inner
                    .keyed_sends_after(&inner.ranges, range, window_start)
                    .map(|earlier| (earlier.number.clone(), earlier.started_at))
                    .collect();
                ranges.evaluate(earlier, &send.number, send.started_at)
            }
            _ => Ok(()),
        };
        let by_conversion = match &limits.conversion {
            None => Ok(()),
            Some(breaker) => {
                let read = breaker.pinned(calling_code).is_none().then(|| {
                    inner.conversion(
                        calling_code,
                        send.prefix.as_ref(),
                        breaker.bounds(send.started_at),
                        breaker.sample(),
                    )
                });
                breaker.evaluate(calling_code, read, send.started_at)
            }
        };
        let by_client = match (&limits.clients, &send.client) {
            (Some(clients), Some(client)) => {
                let horizon_start = clients.horizon_start(send.started_at);
                let earlier: Vec<DateTime<Utc>> = inner
                    .keyed_sends_after(&inner.clients, client, horizon_start)
                    .map(|earlier| earlier.started_at)
                    .collect();
                clients.evaluate(earlier, send.started_at)
            }
            _ => Ok(()),
        };
        let refused =
            SendLimits::most_binding([by_number, by_country, by_range, by_conversion, by_client]);
        if let Err(refusal) = refused {
            return Ok(Reservation::Refused(refusal));
        }
        let (id, range, client, prefix) = (
            send.id,
            send.range.clone(),
            send.client.clone(),
            send.prefix.clone(),
        );
        let seq = inner.insert(AttemptRecord::Send(SendRecord::in_flight(send)));
        if let Some(range) = range {
            inner.ranges.insert(id, range, seq);
        }
        if let Some(client) = client {
            inner.clients.insert(id, client, seq);
        }
        if let Some(prefix) = prefix {
            inner.prefixes.insert(id, prefix, seq);
        }
        inner.recount(seq);
        inner.evict();
        Ok(Reservation::Reserved)
    }

    async fn finish_send(
        &self,
        id: AttemptId,
        outcome: SendOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let send = inner
            .send_mut(id)
            .ok_or(StoreError::conflict(ConflictKind::UnknownAttempt))?;
        let outcome = match &send.state {
            SendState::InFlight => outcome,
            SendState::Finished {
                outcome:
                    SendOutcome::Sent {
                        reference,
                        submitted_at: None,
                    },
                ..
            } => outcome
                .after_closed_by_check(reference)
                .ok_or(StoreError::conflict(ConflictKind::AlreadyFinished))?,
            SendState::Finished { .. } => {
                return Err(StoreError::conflict(ConflictKind::AlreadyFinished));
            }
        };
        let at = send.finished_at().unwrap_or(finished_at);
        send.state = SendState::Finished { at, outcome };
        if let Some(seq) = inner.by_id.get(&id).copied() {
            inner.recount(seq);
        }
        Ok(())
    }

    async fn reserve_check(
        &self,
        check: NewCheck,
        policy: &CheckPolicy,
    ) -> Result<CheckReservation, StoreError> {
        let mut inner = self.lock();
        if inner.by_id.contains_key(&check.id) {
            return Err(StoreError::conflict(ConflictKind::DuplicateId));
        }
        inner.retain_for(policy.longest_lifetime());
        let sends: Vec<SendRecord> = inner
            .sends(inner.of_validation(&check.trust_validation))
            .cloned()
            .collect();
        let mut target = match policy.choose_send(sends.iter().cloned(), check.started_at) {
            Ok(target) => target,
            Err(refusal) => return Ok(CheckReservation::Refused(refusal)),
        };
        let sharing = policy.sends_sharing_attempts(&target, &sends);
        let counted = inner
            .records(
                sharing
                    .iter()
                    .filter_map(|send| inner.checks_by_send.get(send))
                    .flatten(),
            )
            .filter(|record| match record {
                AttemptRecord::Check(earlier) => earlier.counts_as_attempt(),
                AttemptRecord::Send(_) => false,
            })
            .count();
        let as_count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        let of_send = inner
            .checks_by_send
            .get(&target.send.id)
            .map_or(0, |checks| checks.len());
        let of_validation = inner
            .records(inner.of_validation(&check.trust_validation))
            .filter(|record| matches!(record, AttemptRecord::Check(_)))
            .count();
        if let Err(refusal) = policy
            .evaluate_checks(as_count(of_send), as_count(of_validation))
            .and_then(|()| policy.evaluate_attempts(&mut target, as_count(counted)))
        {
            return Ok(CheckReservation::Refused(refusal));
        }
        inner.insert(AttemptRecord::Check(CheckRecord::in_flight(check, &target)));
        inner.evict();
        Ok(CheckReservation::Reserved(target))
    }

    async fn finish_check(
        &self,
        id: AttemptId,
        outcome: CheckOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<AttemptId, StoreError> {
        let mut inner = self.lock();
        let check = inner
            .check_mut(id)
            .ok_or(StoreError::conflict(ConflictKind::UnknownAttempt))?;
        if check.state != CheckState::InFlight {
            return Err(StoreError::conflict(ConflictKind::AlreadyFinished));
        }
        let mut outcome = outcome;
        let answered = match &mut outcome {
            CheckOutcome::Answered {
                reference: Some(reference),
                ..
            } => Some(reference.clone()),
            CheckOutcome::Answered { reference, .. } => {
                reference.clone_from(&check.reference);
                None
            }
            _ => None,
        };
        let (trust_validation, send_id) = (check.trust_validation.clone(), check.send);
        check.state = CheckState::Finished {
            at: finished_at,
            outcome,
        };
        if let Some(seq) = inner.by_id.get(&id).copied() {
            inner.recount(seq);
        }
        Ok(match answered {
            Some(reference) => {
                inner.reconcile(id, send_id, &trust_validation, reference, finished_at)
            }
            None => send_id,
        })
    }

    async fn history(
        &self,
        subject: &HistorySubject,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, StoreError> {
        let inner = self.lock();
        let indices: Vec<u64> = match subject {
            HistorySubject::Number(lookup) => inner.of_number(lookup).copied().collect(),
            HistorySubject::TrustValidation(id) => inner.of_validation(id).copied().collect(),
        };
        let items: Vec<AttemptRecord> = inner
            .records(&indices)
            .filter(|record| page.cursor().is_none_or(|cursor| cursor.precedes(record)))
            .cloned()
            .collect();
        Ok(Page::newest_first(items, page))
    }

    async fn purge(
        &self,
        finished_before: DateTime<Utc>,
        after: Option<&PurgePosition>,
        limit: u32,
    ) -> Result<PurgeBatch, StoreError> {
        let limit = usize::try_from(limit.max(1)).unwrap_or(usize::MAX);
        let mut inner = self.lock();
        if after.is_none() {
            inner.forget_refusals_before(finished_before);
        }
        Ok(inner.purge_batch(finished_before, after, limit))
    }

    async fn count_purgeable(
        &self,
        finished_before: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError> {
        let inner = self.lock();
        let mut counts = AttemptCounts::default();
        for seq in inner.all_purgeable(finished_before) {
            count(&mut counts, inner.get(seq));
        }
        Ok(counts)
    }

    async fn count_refusal(
        &self,
        calling_code: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let key = (
            refusal_minute(at),
            calling_code.to_owned(),
            reason.to_owned(),
        );
        let count = inner.refusals.entry(key).or_default();
        *count = count.saturating_add(1);
        Ok(())
    }

    async fn send_stats(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<CountryStats>, StoreError> {
        let inner = self.lock();
        let mut stats = StatsByCountry::default();
        for (code, country) in &inner.countries {
            let figures = stats.country(code);
            figures.sent = country.counted_sends.count_in(since, Some(until));
            figures.verified = country.verified_checks.count_in(since, Some(until));
        }
        let minutes = (refusal_minute(since), String::new(), String::new())..;
        for ((minute, code, reason), count) in inner.refusals.range(minutes) {
            if *minute > until {
                break;
            }
            stats.refused(code, reason, *count);
        }
        Ok(stats.into_countries())
    }

    async fn close_abandoned(
        &self,
        started_before: DateTime<Utc>,
        closed_at: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError> {
        let mut inner = self.lock();
        let class = Some(ErrorClass::Abandoned);
        let mut counts = AttemptCounts::default();
        for record in inner.attempts.iter_mut().flatten() {
            if !record.is_in_flight() || record.started_at() >= started_before {
                continue;
            }
            match record {
                AttemptRecord::Send(send) => {
                    send.state = SendState::Finished {
                        at: closed_at,
                        outcome: SendOutcome::OutcomeUnknown { class },
                    };
                    counts.sends += 1;
                }
                AttemptRecord::Check(check) => {
                    check.state = CheckState::Finished {
                        at: closed_at,
                        outcome: CheckOutcome::OutcomeUnknown { class },
                    };
                    counts.checks += 1;
                }
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::InMemoryVerificationStore;

    #[test]
    fn a_panic_under_the_lock_does_not_stop_the_store() {
        let store = InMemoryVerificationStore::new();
        let panicked = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let _held = store.lock();
                    panic!("a bug while the lock is held");
                })
                .join()
        });
        assert!(panicked.is_err(), "the thread panicked holding the lock");
        assert!(store.inner.is_poisoned(), "the lock saw the panic");
        assert_eq!(store.len(), 0, "and the store still answers");
    }
}
