//! Fresh stores for the tests: a SQLite file in a temporary directory, or a PostgreSQL schema
//! of its own, each removed when the store is dropped (a panicking test included).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use phone_verify_app::{
    AttemptId, AttemptRecord, CheckOutcome, HistorySubject, NewSend, NumberLookup,
    NumberProtection, Page, PageRequest, PurgePosition, Reservation, SendLimits, SendOutcome,
    SendRefusal, StoreError, VerificationStore,
};
use phone_verify_domain::{PhoneNumber, TrustValidationId};
use phone_verify_sql_store::{SqlFailure, SqlFailureKind, SqlVerificationStore};

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub(crate) use postgres::{FreshSchema, disposable_postgres};
#[cfg(feature = "sqlite")]
pub(crate) use sqlite::{SqliteDir, disposable_sqlite, sqlite_url};

/// A store that takes its temporary file or schema with it when dropped, for the contract
/// suite, which takes `Arc<dyn VerificationStore>`.
#[derive(Debug)]
pub(crate) struct Disposable<G: Send + Sync + 'static> {
    store: SqlVerificationStore,
    _guard: G,
}

#[async_trait]
impl<G: std::fmt::Debug + Send + Sync + 'static> VerificationStore for Disposable<G> {
    fn engine(&self) -> &'static str {
        self.store.engine()
    }

    fn numbers(&self) -> &NumberProtection {
        self.store.numbers()
    }

    async fn reserve_send(
        &self,
        send: NewSend,
        limits: &SendLimits,
    ) -> Result<Reservation<SendRefusal>, StoreError> {
        self.store.reserve_send(send, limits).await
    }

    async fn finish_send(
        &self,
        id: AttemptId,
        outcome: SendOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.store.finish_send(id, outcome, finished_at).await
    }

    async fn reserve_check(
        &self,
        check: phone_verify_app::NewCheck,
        policy: &phone_verify_app::CheckPolicy,
    ) -> Result<phone_verify_app::CheckReservation, StoreError> {
        self.store.reserve_check(check, policy).await
    }

    async fn finish_check(
        &self,
        id: AttemptId,
        outcome: CheckOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<AttemptId, StoreError> {
        self.store.finish_check(id, outcome, finished_at).await
    }

    async fn history(
        &self,
        subject: &HistorySubject,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, StoreError> {
        self.store.history(subject, page).await
    }

    async fn purge(
        &self,
        finished_before: DateTime<Utc>,
        after: Option<&PurgePosition>,
        limit: u32,
    ) -> Result<phone_verify_app::PurgeBatch, StoreError> {
        self.store.purge(finished_before, after, limit).await
    }

    async fn count_purgeable(
        &self,
        finished_before: DateTime<Utc>,
    ) -> Result<phone_verify_app::AttemptCounts, StoreError> {
        self.store.count_purgeable(finished_before).await
    }

    async fn close_abandoned(
        &self,
        started_before: DateTime<Utc>,
        closed_at: DateTime<Utc>,
    ) -> Result<phone_verify_app::AttemptCounts, StoreError> {
        self.store.close_abandoned(started_before, closed_at).await
    }

    async fn count_refusal(
        &self,
        calling_code: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.store.count_refusal(calling_code, reason, at).await
    }

    async fn send_stats(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<phone_verify_app::CountryStats>, StoreError> {
        self.store.send_stats(since, until).await
    }

    async fn shared_now(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.store.shared_now().await
    }
}

// ---- fixtures ---------------------------------------------------------------------------

pub(crate) fn number() -> PhoneNumber {
    PhoneNumber::parse("+60182258491").expect("a valid number")
}

pub(crate) fn validation(name: &str) -> TrustValidationId {
    TrustValidationId::parse(name).expect("a valid trust validation id")
}

/// An instant with nanoseconds, to show that none are lost.
pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 0)
        .single()
        .expect("a valid instant")
        + Duration::from_nanos(123_456_789)
}

pub(crate) fn new_send(n: u128, tv: &str, started_at: DateTime<Utc>) -> NewSend {
    NewSend {
        id: AttemptId::from_u128(n),
        number: phone_verify_app::StoredNumber::Clear(number()),
        lookup: NumberLookup::Clear(number()),
        trust_validation: validation(tv),
        provider: phone_verify_domain::ProviderName::idmeta(),
        channel: phone_verify_domain::Channel::Sms,
        range: None,
        prefix: None,
        client: None,
        started_at,
    }
}

pub(crate) async fn history_of_number(store: &dyn VerificationStore) -> Vec<AttemptRecord> {
    store
        .history(
            &HistorySubject::Number(NumberLookup::Clear(number())),
            PageRequest::first(100),
        )
        .await
        .expect("the history reads")
        .items
}

/// The kind of database failure behind a store error, if it is one.
pub(crate) fn failure_kind(error: &StoreError) -> Option<SqlFailureKind> {
    match error {
        StoreError::Unavailable { source } => {
            source.downcast_ref::<SqlFailure>().map(SqlFailure::kind)
        }
        _ => None,
    }
}
