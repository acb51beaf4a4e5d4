//! The storage port: a record of every send and every check, and the queries the use cases
//! need.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phone_verify_domain::{BoxError, TrustValidationId};

use crate::{
    AttemptId, AttemptRecord, CheckOutcome, CheckPolicy, CheckRefusal, CheckTarget, CountryStats,
    NewCheck, NewSend, NumberLookup, NumberProtection, SendLimits, SendOutcome, SendRefusal,
};
#[cfg(doc)]
use crate::{CheckRecord, StoredNumber};

/// Why a write contradicts what is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConflictKind {
    /// An attempt with this id is already stored.
    DuplicateId,
    /// No attempt of the right kind (send or check) has this id.
    UnknownAttempt,
    /// The attempt's outcome is already recorded: an outcome is written once.
    AlreadyFinished,
}

phone_verify_domain::stable_names!(ConflictKind, "conflict kind", {
    DuplicateId => "duplicate_id",
    UnknownAttempt => "unknown_attempt",
    AlreadyFinished => "already_finished",
});

/// The operations of a [`VerificationStore`], as metrics name them (`as_str`) and a
/// `FailingStore` (feature `test-util`) fails them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreOperation {
    /// [`VerificationStore::reserve_send`]: the write before a send.
    ReserveSend,
    /// [`VerificationStore::finish_send`]: the write after a send.
    FinishSend,
    /// [`VerificationStore::reserve_check`]: the write before a check.
    ReserveCheck,
    /// [`VerificationStore::finish_check`]: the write after a check.
    FinishCheck,
    /// [`VerificationStore::history`]: the read.
    History,
    /// [`VerificationStore::purge`]: a batch of the retention's deletes.
    Purge,
    /// [`VerificationStore::count_purgeable`]: the retention's dry run.
    CountPurgeable,
    /// [`VerificationStore::close_abandoned`]: reconciliation's write.
    CloseAbandoned,
    /// [`VerificationStore::count_refusal`]: the count of a refused send.
    CountRefusal,
    /// [`VerificationStore::send_stats`]: the read of the figures per country.
    SendStats,
}

phone_verify_domain::stable_names!(StoreOperation, "store operation", {
    ReserveSend => "reserve_send",
    FinishSend => "finish_send",
    ReserveCheck => "reserve_check",
    FinishCheck => "finish_check",
    History => "history",
    Purge => "purge",
    CountPurgeable => "count_purgeable",
    CloseAbandoned => "close_abandoned",
    CountRefusal => "count_refusal",
    SendStats => "send_stats",
});

/// What went wrong in the store, and what it means for the write.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store could not be reached or failed (connection, I/O, timeout). A write may or
    /// may not have happened; reading it back tells.
    #[error("the store is unavailable")]
    Unavailable {
        /// The underlying failure.
        #[source]
        source: BoxError,
    },
    /// The write contradicts what is stored and was not made.
    #[error("the write conflicts with the stored attempts ({kind})")]
    Conflict {
        /// How.
        kind: ConflictKind,
    },
    /// The store cannot be used as it was configured, and nothing was written: a protected
    /// store (`docs/storage.md`, "Numbers at rest") opened without its number keys, or with
    /// a key id whose material is not the one the store recorded; a database that is not a
    /// store of this kind at all (another application's), or one a read-only open cannot
    /// read without changing it (`docs/storage.md`, "Opening"). Fix the configuration.
    #[error("the store cannot be used as configured")]
    Misconfigured {
        /// What is wrong (the store's own error type), without any key material.
        #[source]
        source: BoxError,
    },
    /// A stored attempt could not be read back as a valid record (a bad number, an unknown
    /// state): the data needs a human.
    #[error("a stored attempt could not be read back")]
    Corrupt {
        /// What was wrong (the store's own error type), without any personal data.
        #[source]
        source: BoxError,
    },
}

impl StoreError {
    /// A [`StoreError::Conflict`] of this kind.
    pub fn conflict(kind: ConflictKind) -> Self {
        Self::Conflict { kind }
    }

    /// A [`StoreError::Corrupt`] saying what was wrong in `source`.
    pub fn corrupt(source: impl Into<BoxError>) -> Self {
        Self::Corrupt {
            source: source.into(),
        }
    }

    /// A [`StoreError::Unavailable`] caused by `source`.
    pub fn unavailable(source: impl Into<BoxError>) -> Self {
        Self::Unavailable {
            source: source.into(),
        }
    }

    /// A [`StoreError::Misconfigured`] saying what is wrong in `source`.
    pub fn misconfigured(source: impl Into<BoxError>) -> Self {
        Self::Misconfigured {
            source: source.into(),
        }
    }

    /// The variant's stable name, as metrics label it: `unavailable`, `conflict`,
    /// `misconfigured`, `corrupt`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Unavailable { .. } => "unavailable",
            Self::Conflict { .. } => "conflict",
            Self::Misconfigured { .. } => "misconfigured",
            Self::Corrupt { .. } => "corrupt",
        }
    }
}

/// The answer to a reservation: recorded in flight, or refused by a guard (nothing written).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Reservation<R> {
    /// The attempt is recorded in flight; go ahead and call the provider.
    Reserved,
    /// A guard refused; nothing was written.
    Refused(R),
}

/// The answer to a check's reservation: recorded in flight against the send the store chose,
/// or refused by a guard (nothing written).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum CheckReservation {
    /// The check is recorded in flight against [`CheckTarget::send`]; call the provider with
    /// the reference and number the target names (none when it is not narrowed).
    Reserved(CheckTarget),
    /// A guard refused (no code sent, expired, too many attempts); nothing was written.
    Refused(CheckRefusal),
}

/// Whose attempts a history lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistorySubject {
    /// Every send to a number and every check of those sends: the attempts whose number the
    /// lookup matches ([`StoredNumber::matches`]; made by [`NumberProtection::lookup`]).
    Number(NumberLookup),
    /// Every send and check of the trust validation.
    TrustValidation(TrustValidationId),
}

/// Where a page of history ends: the last attempt on it. Pass it to
/// [`PageRequest::after`] for the next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageCursor {
    /// When the last attempt on the page started.
    pub started_at: DateTime<Utc>,
    /// Its id (breaks ties between attempts started at the same instant).
    pub id: AttemptId,
}

impl PageCursor {
    /// The cursor just past `record`.
    pub fn after(record: &AttemptRecord) -> Self {
        Self {
            started_at: record.started_at(),
            id: record.id(),
        }
    }

    /// Whether `record` comes after this cursor in the history order (newest first, then by
    /// id, highest first).
    pub fn precedes(&self, record: &AttemptRecord) -> bool {
        (record.started_at(), record.id()) < (self.started_at, self.id)
    }
}

/// Largest page a store returns.
pub const MAX_PAGE_SIZE: u32 = 100;

/// Which page of a history to read: newest first, `size` attempts, after a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    size: u32,
    after: Option<PageCursor>,
}

impl PageRequest {
    /// The first (newest) page of `size` attempts, `size` clamped to 1..=[`MAX_PAGE_SIZE`].
    pub fn first(size: u32) -> Self {
        Self {
            size: size.clamp(1, MAX_PAGE_SIZE),
            after: None,
        }
    }

    /// The page of `size` attempts that follows `cursor`.
    pub fn after(size: u32, cursor: PageCursor) -> Self {
        Self {
            after: Some(cursor),
            ..Self::first(size)
        }
    }

    /// How many attempts at most.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Where the previous page ended, if this is not the first.
    pub fn cursor(&self) -> Option<PageCursor> {
        self.after
    }
}

/// One page of a history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The attempts, newest first.
    pub items: Vec<T>,
    /// The cursor of the next page; `None` on the last page.
    pub next: Option<PageCursor>,
}

impl Page<AttemptRecord> {
    /// The page `page` asks for out of `items`, the attempts a store's search found after
    /// the page's cursor (at least one more than the page's size, when there are, to tell
    /// whether another page follows): sorted newest first, cut to the page's size, with the
    /// cursor of the next page when some were left out. The paging tail every store shares.
    pub fn newest_first(mut items: Vec<AttemptRecord>, page: PageRequest) -> Self {
        items.sort_unstable_by_key(|record| std::cmp::Reverse((record.started_at(), record.id())));
        let size = usize::try_from(page.size()).unwrap_or(usize::MAX);
        let has_more = items.len() > size;
        items.truncate(size);
        let next = if has_more {
            items.last().map(PageCursor::after)
        } else {
            None
        };
        Self { items, next }
    }
}

/// How many sends and checks an operation on many attempts touched (a purge, a
/// reconciliation), or would touch (a dry run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AttemptCounts {
    /// Sends.
    pub sends: u64,
    /// Checks.
    pub checks: u64,
}

impl AttemptCounts {
    /// Sends and checks together.
    pub fn total(&self) -> u64 {
        self.sends.saturating_add(self.checks)
    }

    /// The sum of both counts, kind by kind.
    pub fn plus(self, other: Self) -> Self {
        Self {
            sends: self.sends.saturating_add(other.sends),
            checks: self.checks.saturating_add(other.checks),
        }
    }
}

/// Where a purge's walk has got to ([`VerificationStore::purge`]): the attempts finished
/// before the cutoff are walked in order of their finish time, then of their trust
/// validation's id, and each batch starts just after the position the one before it ended
/// at. The order of ids is the store's own (a SQL store's collation), the same for every
/// batch; a position is only meaningful to the store that gave it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PurgePosition {
    /// When the last attempt walked finished.
    pub finished_at: DateTime<Utc>,
    /// Its trust validation.
    pub trust_validation: TrustValidationId,
}

/// What one batch of a purge did ([`VerificationStore::purge`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeBatch {
    /// The sends and checks deleted: every attempt of the trust validations that went.
    pub deleted: AttemptCounts,
    /// Where the next batch starts; `None` once the walk has passed the last attempt
    /// finished before the cutoff, when the purge is over.
    pub next: Option<PurgePosition>,
}

/// The record of every send and every check, the port behind which the app keeps its state.
///
/// [`crate::InMemoryVerificationStore`] ships with the crate; SQL stores implement the same
/// port and prove it with the contract suite (`store_contract`, feature `store-contract`).
///
/// A store keeps each number as it is handed it ([`NewSend::number`]): in full, or protected
/// (a keyed digest and the masked form), as the store's [`VerificationStore::numbers`] says;
/// the use cases ask it and hand over only that. It compares numbers only through what it is
/// handed ([`NewSend::lookup`], [`HistorySubject::Number`]). Numbers are never logged; an
/// implementation's `Debug` must not show them.
///
/// An `Arc` or a `Box` of a store is a store too, forwarding every method (the provided
/// [`VerificationStore::engine`], [`VerificationStore::numbers`] and
/// [`VerificationStore::shared_now`] included).
///
/// A send is written twice: [`VerificationStore::reserve_send`] before the provider call (in
/// flight), [`VerificationStore::finish_send`] after it. A crash in between leaves the in
/// flight record, which reads as "outcome unknown". Checks follow the same pattern.
#[async_trait]
pub trait VerificationStore: Send + Sync + fmt::Debug {
    /// The engine behind the store, as metrics label its operations (`memory`, `sqlite`,
    /// `postgres`): a fixed lowercase name, never a path or a URL. Default `custom`.
    fn engine(&self) -> &'static str {
        "custom"
    }

    /// How this store keeps numbers: the use cases make what they hand it from this
    /// ([`NumberProtection::at_rest`], [`NumberProtection::lookup`]), so a protected store is
    /// never handed a number in clear. Default [`NumberProtection::Clear`].
    fn numbers(&self) -> &NumberProtection {
        &crate::numbers::CLEAR
    }

    /// Checks the send limits against the sends already recorded and, if they pass, records
    /// `send` in flight, in **one atomic step**: of two concurrent reservations for one
    /// number, at most as many pass as the limits allow. The limits are decided by
    /// [`SendLimits::evaluate`] over the sends that may have delivered a code; the sends to
    /// the number are those whose number [`NewSend::lookup`] matches, whichever way each is
    /// kept.
    ///
    /// # Errors
    ///
    /// - [`StoreError::Conflict`] ([`ConflictKind::DuplicateId`]): nothing was written.
    /// - [`StoreError::Unavailable`]: the send may or may not be recorded; do not call the
    ///   provider.
    /// - [`StoreError::Corrupt`]: stored sends could not be read; nothing was written.
    async fn reserve_send(
        &self,
        send: NewSend,
        limits: &SendLimits,
    ) -> Result<Reservation<SendRefusal>, StoreError>;

    /// Records the outcome of a send reserved in flight. A send a check already closed as
    /// sent (see [`VerificationStore::finish_check`]) takes what
    /// [`SendOutcome::after_closed_by_check`] says.
    ///
    /// # Errors
    ///
    /// - [`StoreError::Conflict`]: no such send ([`ConflictKind::UnknownAttempt`]) or its
    ///   outcome is already recorded ([`ConflictKind::AlreadyFinished`]); nothing changed.
    /// - [`StoreError::Unavailable`]: the outcome may or may not be recorded; the send stays
    ///   in flight (outcome unknown) if not.
    async fn finish_send(
        &self,
        id: AttemptId,
        outcome: SendOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Chooses the send of `check.trust_validation` the check goes to
    /// ([`CheckPolicy::choose_send`] over the trust validation's sends), counts that send's
    /// checks that count as attempts ([`CheckPolicy::evaluate_attempts`]) and, if the guards
    /// pass, records `check` in flight against it ([`CheckRecord::in_flight`]), all in **one
    /// atomic step**: no send of the trust validation can be reserved between the choice and
    /// the record, and of concurrent checks of one send at most the limit pass.
    ///
    /// # Errors
    ///
    /// - [`StoreError::Conflict`] ([`ConflictKind::DuplicateId`]): nothing was written.
    /// - [`StoreError::Unavailable`]: the check may or may not be recorded; do not call the
    ///   provider.
    /// - [`StoreError::Corrupt`]: stored sends or checks could not be read; nothing was
    ///   written.
    async fn reserve_check(
        &self,
        check: NewCheck,
        policy: &CheckPolicy,
    ) -> Result<CheckReservation, StoreError>;

    /// Records the outcome of a check reserved in flight. When the provider answered with
    /// the reference of the send it checked ([`CheckOutcome::Answered`]), in the same atomic
    /// step: the check records that reference; if another send of the trust validation has
    /// it, the check is moved to that send; otherwise, if the check's send is still in
    /// flight (its process died after the provider accepted it), that send is closed as sent
    /// with the reference (and no submit time). A later [`VerificationStore::finish_send`] of
    /// a send closed so follows [`SendOutcome::after_closed_by_check`].
    ///
    /// Returns the send the check is recorded against once finished: the one it was reserved
    /// against, or the one it moved to.
    ///
    /// # Errors
    ///
    /// As [`VerificationStore::finish_send`].
    async fn finish_check(
        &self,
        id: AttemptId,
        outcome: CheckOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<AttemptId, StoreError>;

    /// A page of the attempts (sends and checks) of a number or a trust validation, newest
    /// first (ties broken by id, highest first).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`]; nothing changes.
    async fn history(
        &self,
        subject: &HistorySubject,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, StoreError>;

    /// One batch of a purge before `finished_before`: walks at most `limit` attempts (at
    /// least one) finished before the cutoff, in the order of [`PurgePosition`], starting
    /// just after `after` (at the first when `None`), and deletes, in one short write,
    /// every trust validation it met that is purgeable then, whole.
    ///
    /// A trust validation is purgeable when **every** one of its attempts is finished, and
    /// finished before `finished_before`. It goes whole: all its attempts (the walk's and
    /// those it has not reached yet) in one atomic step, checked again inside that step, so
    /// that a send or a check reserved for it before the step keeps all of it, and one
    /// reserved after finds none of it. So a batch deletes at most `limit` trust
    /// validations, every attempt of each. Its records thus go together, never while one
    /// of them is in flight (a pending send or check: reconcile it first) or recent, so the
    /// cap per trust validation never forgets a send of a trust validation still in use,
    /// and a check never loses its send. The guards per number need the sends of the last
    /// [`SendLimits::horizon`]: a caller passes a cutoff at least that old (the purge use
    /// case refuses a newer one).
    ///
    /// A purge calls this with the same cutoff and the [`PurgeBatch::next`] of the batch
    /// before, until it is `None`: the batches then walk each attempt finished before the
    /// cutoff once (what they cost is linear in those attempts), and a trust validation
    /// met and kept (one still in use) is not walked again from its start by every batch.
    /// A batch may delete nothing and still have a next one.
    ///
    /// The first batch (`after` is `None`) also deletes the counts of refusals
    /// ([`VerificationStore::count_refusal`]) of the minutes before the cutoff, in steps of
    /// at most `limit` counts; they are not in the batch's counts of attempts.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`]: the batch may or may not be deleted (it is one
    /// transaction: all of it or none); calling again is safe. [`StoreError::Corrupt`]:
    /// nothing was deleted.
    async fn purge(
        &self,
        finished_before: DateTime<Utc>,
        after: Option<&PurgePosition>,
        limit: u32,
    ) -> Result<PurgeBatch, StoreError>;

    /// How many attempts [`VerificationStore::purge`] with this cutoff would delete, without
    /// deleting anything (a dry run).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`]; nothing changes.
    async fn count_purgeable(
        &self,
        finished_before: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError>;

    /// Closes every attempt still in flight that started before `started_before` as
    /// abandoned: finished at `closed_at`, outcome unknown with [`ErrorClass::Abandoned`]
    /// ([`SendOutcome::OutcomeUnknown`], [`CheckOutcome::OutcomeUnknown`]). A send so closed
    /// still counts against the send limits (a code may have gone out) and can still be
    /// checked while its code lives; a check so closed still counts as an attempt. A later
    /// finish of such an attempt is [`ConflictKind::AlreadyFinished`]. Returns how many of
    /// each kind were closed.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`]: some may be closed; calling again is safe (closed ones
    /// are no longer in flight).
    ///
    /// [`ErrorClass::Abandoned`]: phone_verify_domain::ErrorClass::Abandoned
    async fn close_abandoned(
        &self,
        started_before: DateTime<Utc>,
        closed_at: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError>;

    /// Counts one send a guard refused before the provider (a refused send has no record):
    /// one more refusal of `reason` (`SendRefusal::as_str`) for the country of
    /// `calling_code` in the minute of `at` ([`crate::refusal_minute`]). Nothing of the
    /// number is kept. [`VerificationStore::purge`] deletes the counts of minutes before its
    /// cutoff.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`]: the refusal may or may not be counted; the refusal
    /// itself stands (the send use case logs the failure and answers the refusal).
    async fn count_refusal(
        &self,
        calling_code: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Per country, over the period after `since` and up to `until`: the counted sends and
    /// the verified checks started within it, and the refusals counted from the minute of
    /// `since` ([`CountryStats`]); only countries with any, by calling code. Each figure is
    /// read with an index search per country, however large the store.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`]; nothing changes.
    async fn send_stats(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<CountryStats>, StoreError>;

    /// The current time on a clock every instance using this store shares, when the store
    /// has one (PostgreSQL: the database server's); `None` otherwise (a store local to one
    /// host, whose instances share that host's clock). A purge or a reconciliation computes
    /// its cutoff on it, so a host whose own clock runs ahead cannot cut into what the
    /// guards and the live calls of other instances still need.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`]: nothing changes.
    async fn shared_now(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(None)
    }
}

/// Implements [`VerificationStore`] for a smart pointer to one, forwarding every method, the
/// provided ones too: a wrapper that fell back to a default would lose its store's
/// [`VerificationStore::numbers`] (and hand a protected store numbers in clear) or its
/// [`VerificationStore::shared_now`] without a word.
macro_rules! forward_store {
    ($($pointer:ident)::+) => {
        /// Forwards every method, the provided ones too, to the store pointed to.
        #[async_trait]
        impl<T: VerificationStore + ?Sized> VerificationStore for $($pointer)::+<T> {
            fn engine(&self) -> &'static str {
                (**self).engine()
            }

            fn numbers(&self) -> &NumberProtection {
                (**self).numbers()
            }

            async fn reserve_send(
                &self,
                send: NewSend,
                limits: &SendLimits,
            ) -> Result<Reservation<SendRefusal>, StoreError> {
                (**self).reserve_send(send, limits).await
            }

            async fn finish_send(
                &self,
                id: AttemptId,
                outcome: SendOutcome,
                finished_at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                (**self).finish_send(id, outcome, finished_at).await
            }

            async fn reserve_check(
                &self,
                check: NewCheck,
                policy: &CheckPolicy,
            ) -> Result<CheckReservation, StoreError> {
                (**self).reserve_check(check, policy).await
            }

            async fn finish_check(
                &self,
                id: AttemptId,
                outcome: CheckOutcome,
                finished_at: DateTime<Utc>,
            ) -> Result<AttemptId, StoreError> {
                (**self).finish_check(id, outcome, finished_at).await
            }

            async fn history(
                &self,
                subject: &HistorySubject,
                page: PageRequest,
            ) -> Result<Page<AttemptRecord>, StoreError> {
                (**self).history(subject, page).await
            }

            async fn purge(
                &self,
                finished_before: DateTime<Utc>,
                after: Option<&PurgePosition>,
                limit: u32,
            ) -> Result<PurgeBatch, StoreError> {
                (**self).purge(finished_before, after, limit).await
            }

            async fn count_purgeable(
                &self,
                finished_before: DateTime<Utc>,
            ) -> Result<AttemptCounts, StoreError> {
                (**self).count_purgeable(finished_before).await
            }

            async fn close_abandoned(
                &self,
                started_before: DateTime<Utc>,
                closed_at: DateTime<Utc>,
            ) -> Result<AttemptCounts, StoreError> {
                (**self).close_abandoned(started_before, closed_at).await
            }

            async fn count_refusal(
                &self,
                calling_code: &str,
                reason: &str,
                at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                (**self).count_refusal(calling_code, reason, at).await
            }

            async fn send_stats(
                &self,
                since: DateTime<Utc>,
                until: DateTime<Utc>,
            ) -> Result<Vec<CountryStats>, StoreError> {
                (**self).send_stats(since, until).await
            }

            async fn shared_now(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
                (**self).shared_now().await
            }
        }
    };
}

forward_store!(std::sync::Arc);
forward_store!(Box);
