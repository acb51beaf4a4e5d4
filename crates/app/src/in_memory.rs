//! The in-memory store: the default for embedding and for tests.

use std::collections::HashMap;
use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use phone_verify_domain::{ReferenceId, TrustValidationId};

use crate::store::{
    CheckReservation, ConflictKind, HistorySubject, Page, PageCursor, PageRequest, Reservation,
};
use crate::time::sub;
use crate::{
    AttemptId, AttemptRecord, CheckOutcome, CheckPolicy, CheckRecord, CheckState, NewCheck,
    NewSend, SendLimits, SendOutcome, SendRecord, SendRefusal, SendState, StoreError,
    VerificationStore,
};

/// A [`VerificationStore`] in memory: every attempt in a vector behind one lock, indexed by
/// id, number, trust validation and send.
///
/// The lock is a synchronous one, taken only inside each method and never held across an
/// `.await`, which makes each reservation one atomic step. Nothing is ever evicted and
/// nothing survives the process: fine for tests and single-process embedding, not for a
/// fleet (use a SQL store there). `Debug` shows counts only, never a number.
#[derive(Default)]
pub struct InMemoryVerificationStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    attempts: Vec<AttemptRecord>,
    by_id: HashMap<AttemptId, usize>,
    /// Keyed by E.164: sends and checks of the number.
    by_number: HashMap<String, Vec<usize>>,
    by_trust_validation: HashMap<TrustValidationId, Vec<usize>>,
    checks_by_send: HashMap<AttemptId, Vec<usize>>,
}

impl InMemoryVerificationStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many attempts are stored.
    pub fn len(&self) -> usize {
        self.inner.lock().attempts.len()
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
            .finish_non_exhaustive()
    }
}

impl Inner {
    fn insert(&mut self, record: AttemptRecord) {
        let index = self.attempts.len();
        self.by_id.insert(record.id(), index);
        self.by_number
            .entry(record.phone().e164().to_owned())
            .or_default()
            .push(index);
        self.by_trust_validation
            .entry(record.trust_validation().clone())
            .or_default()
            .push(index);
        if let AttemptRecord::Check(check) = &record {
            self.checks_by_send
                .entry(check.send)
                .or_default()
                .push(index);
        }
        self.attempts.push(record);
    }

    fn records<'a>(
        &'a self,
        indices: Option<&'a Vec<usize>>,
    ) -> impl Iterator<Item = &'a AttemptRecord> {
        indices
            .into_iter()
            .flatten()
            .filter_map(|index| self.attempts.get(*index))
    }

    fn sends<'a>(
        &'a self,
        indices: Option<&'a Vec<usize>>,
    ) -> impl Iterator<Item = &'a SendRecord> {
        self.records(indices).filter_map(|record| match record {
            AttemptRecord::Send(send) => Some(send),
            AttemptRecord::Check(_) => None,
        })
    }

    fn send_mut(&mut self, id: AttemptId) -> Option<&mut SendRecord> {
        match self.attempts.get_mut(*self.by_id.get(&id)?)? {
            AttemptRecord::Send(send) => Some(send),
            AttemptRecord::Check(_) => None,
        }
    }

    fn check_mut(&mut self, id: AttemptId) -> Option<&mut CheckRecord> {
        match self.attempts.get_mut(*self.by_id.get(&id)?)? {
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
        let owner = self
            .sends(self.by_trust_validation.get(trust_validation))
            .find(|send| send.reference() == Some(&reference))
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

    async fn reserve_send(
        &self,
        send: NewSend,
        limits: &SendLimits,
    ) -> Result<Reservation<SendRefusal>, StoreError> {
        let mut inner = self.inner.lock();
        if inner.by_id.contains_key(&send.id) {
            return Err(StoreError::conflict(ConflictKind::DuplicateId));
        }
        let horizon_start = sub(send.started_at, limits.horizon());
        let to_number: Vec<DateTime<Utc>> = inner
            .sends(inner.by_number.get(send.phone.e164()))
            .filter(|earlier| earlier.may_have_delivered() && earlier.started_at > horizon_start)
            .map(|earlier| earlier.started_at)
            .collect();
        let for_validation = inner
            .sends(inner.by_trust_validation.get(&send.trust_validation))
            .filter(|earlier| earlier.may_have_delivered())
            .count();
        let for_validation = u64::try_from(for_validation).unwrap_or(u64::MAX);
        if let Err(refusal) = limits.evaluate(to_number, for_validation, send.started_at) {
            return Ok(Reservation::Refused(refusal));
        }
        inner.insert(AttemptRecord::Send(SendRecord::in_flight(send)));
        Ok(Reservation::Reserved)
    }

    async fn finish_send(
        &self,
        id: AttemptId,
        outcome: SendOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut inner = self.inner.lock();
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
        Ok(())
    }

    async fn reserve_check(
        &self,
        check: NewCheck,
        policy: &CheckPolicy,
    ) -> Result<CheckReservation, StoreError> {
        let mut inner = self.inner.lock();
        if inner.by_id.contains_key(&check.id) {
            return Err(StoreError::conflict(ConflictKind::DuplicateId));
        }
        let sends = inner
            .sends(inner.by_trust_validation.get(&check.trust_validation))
            .cloned();
        let target = match policy.choose_send(sends, check.started_at) {
            Ok(target) => target,
            Err(refusal) => return Ok(CheckReservation::Refused(refusal)),
        };
        let counted = inner
            .records(inner.checks_by_send.get(&target.send.id))
            .filter(|record| match record {
                AttemptRecord::Check(earlier) => earlier.counts_as_attempt(),
                AttemptRecord::Send(_) => false,
            })
            .count();
        if let Err(refusal) = policy.evaluate_attempts(u64::try_from(counted).unwrap_or(u64::MAX)) {
            return Ok(CheckReservation::Refused(refusal));
        }
        inner.insert(AttemptRecord::Check(CheckRecord::in_flight(check, &target)));
        Ok(CheckReservation::Reserved(target))
    }

    async fn finish_check(
        &self,
        id: AttemptId,
        outcome: CheckOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<AttemptId, StoreError> {
        let mut inner = self.inner.lock();
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
        let inner = self.inner.lock();
        let indices = match subject {
            HistorySubject::Number(phone) => inner.by_number.get(phone.e164()),
            HistorySubject::TrustValidation(id) => inner.by_trust_validation.get(id),
        };
        let mut items: Vec<&AttemptRecord> = inner
            .records(indices)
            .filter(|record| page.cursor().is_none_or(|cursor| cursor.precedes(record)))
            .collect();
        items.sort_unstable_by_key(|record| std::cmp::Reverse((record.started_at(), record.id())));
        let size = usize::try_from(page.size()).unwrap_or(usize::MAX);
        let has_more = items.len() > size;
        items.truncate(size);
        let items: Vec<AttemptRecord> = items.into_iter().cloned().collect();
        let next = if has_more {
            items.last().map(PageCursor::after)
        } else {
            None
        };
        Ok(Page { items, next })
    }
}
