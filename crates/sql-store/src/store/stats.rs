//! The counts of refused sends and the figures per country `phone-verify stats` reads
//! ([`phone_verify_app::VerificationStore::count_refusal`] and `send_stats`): table
//! `verification_refusals` (migration 0014) and the indexes by country.

use chrono::{DateTime, Utc};
use phone_verify_app::{CountryStats, StatsByCountry, StoreError, refusal_minute};

use super::{Lock, SqlVerificationStore};
use crate::columns::{self};
use crate::session::{Atomicity, Session};
use crate::sql;

impl SqlVerificationStore {
    /// One more refusal in its minute's count: one upsert, joining the next batch of the
    /// group commit on SQLite.
    pub(super) async fn count_refusal_in(
        &self,
        calling_code: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let values = vec![
            columns::nanos(refusal_minute(at))?.into(),
            calling_code.to_owned().into(),
            reason.to_owned().into(),
        ];
        self.write_in(
            Lock::Nothing,
            Atomicity::OneStatement,
            Box::new(move |session: &mut Session| {
                Box::pin(async move {
                    session.execute(sql::COUNT_REFUSAL, values).await?;
                    Ok(((), true))
                })
            }),
        )
        .await
    }

    /// The figures per country over `(since, until]`, in one read transaction: the countries
    /// with a counted send, walked one index search each ([`sql::NEXT_COUNTRY_WITH_SENDS`]),
    /// each counted as the conversion breaker counts it ([`sql::COUNTRY_CONVERSION`]), and
    /// the counts of refusals of the period's minutes ([`sql::REFUSAL_COUNTS`]).
    pub(super) async fn send_stats_in(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<CountryStats>, StoreError> {
        let mut session = self.read().await?;
        let read = read_stats(&mut session, since, until).await;
        Self::finish(session, read.map(|stats| (stats.into_countries(), true))).await
    }

    /// Deletes the counts of refusals of the minutes before `cutoff`, `limit` at a time, each
    /// step a short write of its own.
    pub(super) async fn purge_refusals(&self, cutoff: i64, limit: u32) -> Result<(), StoreError> {
        loop {
            let values = vec![cutoff.into(), i64::from(limit.max(1)).into()];
            let deleted = self
                .write_in(
                    Lock::Nothing,
                    Atomicity::OneStatement,
                    Box::new(move |session: &mut Session| {
                        Box::pin(async move {
                            let deleted = session.execute(sql::PURGE_REFUSALS, values).await?;
                            Ok((deleted, true))
                        })
                    }),
                )
                .await?;
            if deleted < u64::from(limit.max(1)) {
                return Ok(());
            }
        }
    }
}

async fn read_stats(
    session: &mut Session,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<StatsByCountry, StoreError> {
    let mut stats = StatsByCountry::default();
    let mut after = String::new();
    while let Some(code) = session
        .texts(sql::NEXT_COUNTRY_WITH_SENDS, vec![after.clone().into()])
        .await?
        .pop()
    {
        let read = super::send::conversion_between(session, &code, since, until).await?;
        let country = stats.country(&code);
        (country.sent, country.verified) = (read.sends, read.verified);
        after = code;
    }
    let minutes = vec![
        columns::bound(refusal_minute(since)).into(),
        columns::bound(until).into(),
    ];
    for (code, reason, count) in session
        .labelled_counts(sql::REFUSAL_COUNTS, minutes)
        .await?
    {
        stats.refused(&code, &reason, u64::try_from(count).unwrap_or_default());
    }
    Ok(stats)
}
