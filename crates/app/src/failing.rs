//! A store that fails on demand, for tests of what the use cases do when the database is down
//! (feature `test-util`).

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;

use crate::store::{
    AttemptCounts, CheckReservation, HistorySubject, Page, PageRequest, PurgeBatch, PurgePosition,
    Reservation, StoreOperation,
};
use crate::{
    AttemptId, AttemptRecord, CheckOutcome, CheckPolicy, CountryStats, InMemoryVerificationStore,
    NewCheck, NewSend, SendLimits, SendOutcome, SendRefusal, StoreError, VerificationStore,
};

/// A fake store: the in-memory store, except that the chosen operations fail with
/// [`StoreError::Unavailable`] as if the database were down, without writing anything.
///
/// ```
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// use phone_verify_app::{FailingStore, HistorySubject, PageRequest, StoreOperation, VerificationStore};
/// use phone_verify_domain::TrustValidationId;
///
/// let store = FailingStore::failing(&[StoreOperation::History]);
/// let subject = HistorySubject::TrustValidation(TrustValidationId::parse("tv-1")?);
/// assert!(store.history(&subject, PageRequest::first(10)).await.is_err());
/// store.recover();
/// assert!(store.history(&subject, PageRequest::first(10)).await?.items.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct FailingStore {
    inner: InMemoryVerificationStore,
    failing: Mutex<HashSet<StoreOperation>>,
}

impl FailingStore {
    /// An empty store on which `operations` fail until [`FailingStore::recover`].
    pub fn failing(operations: &[StoreOperation]) -> Self {
        Self {
            inner: InMemoryVerificationStore::new(),
            failing: Mutex::new(operations.iter().copied().collect()),
        }
    }

    /// Makes `operation` fail from now on.
    pub fn fail_on(&self, operation: StoreOperation) {
        self.failing.lock().insert(operation);
    }

    /// Makes every operation succeed again (the database is back).
    pub fn recover(&self) {
        self.failing.lock().clear();
    }

    fn fail(&self, operation: StoreOperation) -> Result<(), StoreError> {
        if self.failing.lock().contains(&operation) {
            Err(StoreError::unavailable(std::io::Error::other(
                "connection reset by the database",
            )))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl VerificationStore for FailingStore {
    async fn reserve_send(
        &self,
        send: NewSend,
        limits: &SendLimits,
    ) -> Result<Reservation<SendRefusal>, StoreError> {
        self.fail(StoreOperation::ReserveSend)?;
        self.inner.reserve_send(send, limits).await
    }

    async fn finish_send(
        &self,
        id: AttemptId,
        outcome: SendOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.fail(StoreOperation::FinishSend)?;
        self.inner.finish_send(id, outcome, finished_at).await
    }

    async fn reserve_check(
        &self,
        check: NewCheck,
        policy: &CheckPolicy,
    ) -> Result<CheckReservation, StoreError> {
        self.fail(StoreOperation::ReserveCheck)?;
        self.inner.reserve_check(check, policy).await
    }

    async fn finish_check(
        &self,
        id: AttemptId,
        outcome: CheckOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<AttemptId, StoreError> {
        self.fail(StoreOperation::FinishCheck)?;
        self.inner.finish_check(id, outcome, finished_at).await
    }

    async fn history(
        &self,
        subject: &HistorySubject,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, StoreError> {
        self.fail(StoreOperation::History)?;
        self.inner.history(subject, page).await
    }

    async fn purge(
        &self,
        finished_before: DateTime<Utc>,
        after: Option<&PurgePosition>,
        limit: u32,
    ) -> Result<PurgeBatch, StoreError> {
        self.fail(StoreOperation::Purge)?;
        self.inner.purge(finished_before, after, limit).await
    }

    async fn count_purgeable(
        &self,
        finished_before: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError> {
        self.fail(StoreOperation::CountPurgeable)?;
        self.inner.count_purgeable(finished_before).await
    }

    async fn close_abandoned(
        &self,
        started_before: DateTime<Utc>,
        closed_at: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError> {
        self.fail(StoreOperation::CloseAbandoned)?;
        self.inner.close_abandoned(started_before, closed_at).await
    }

    async fn count_refusal(
        &self,
        calling_code: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.fail(StoreOperation::CountRefusal)?;
        self.inner.count_refusal(calling_code, reason, at).await
    }

    async fn send_stats(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<CountryStats>, StoreError> {
        self.fail(StoreOperation::SendStats)?;
        self.inner.send_stats(since, until).await
    }
}
