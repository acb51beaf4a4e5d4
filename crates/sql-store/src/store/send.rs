//! Sends: the reservation (the guards, then the row in flight) and the outcome, including
//! one that arrives after a check closed the send.

use chrono::{DateTime, Utc};
use phone_verify_app::{
    AttemptId, AttemptRecord, ConflictKind, ConversionBreaker, CountryBudget, CountryConversion,
    NewSend, Reservation, SendLimits, SendOutcome, SendRefusal, StoreError,
};

#[cfg(feature = "postgres")]
use super::Backend;
use super::numbers::number_keys;
use super::rows::{insert, record_outcome};
use super::{Lock, SqlVerificationStore};
use crate::columns::{self, InFlightRow, OutcomeColumns, SEND};
use crate::failure::{SqlFailure, SqlFailureKind};
#[cfg(feature = "postgres")]
use crate::postgres;
use crate::session::{Atomicity, Session};
use crate::sql;

impl SqlVerificationStore {
    /// Checks a send's guards and records it, in one write holding the locks of its number
    /// and trust validation.
    pub(super) async fn reserve_send_in(
        &self,
        send: NewSend,
        limits: &SendLimits,
    ) -> Result<Reservation<SendRefusal>, StoreError> {
        self.check_number_keys().await?;
        let (_, mut numbers) = number_keys(&send.lookup);
        numbers.sort_unstable();
        let lock = Lock::Send {
            numbers,
            trust_validation: send.trust_validation.as_str().to_owned(),
        };
        let limits = limits.clone();
        self.write_in(
            lock,
            Atomicity::OneStatement,
            Box::new(move |session: &mut Session| {
                Box::pin(async move {
                    let reservation = reserve_send_locked(session, &send, &limits).await?;
                    let keep = reserved(&reservation);
                    Ok((reservation, keep))
                })
            }),
        )
        .await
    }

    /// Records a send's outcome in one write.
    pub(super) async fn finish_send_in(
        &self,
        id: AttemptId,
        outcome: SendOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let columns = OutcomeColumns::send(&outcome)?;
        let finished_at = columns::nanos(finished_at)?;
        // On PostgreSQL the usual case, a send still in flight, is one statement committing
        // on its own: one round trip instead of three. Only when it finds no such send does
        // the transaction below look at why.
        #[cfg(feature = "postgres")]
        #[cfg_attr(
            not(feature = "sqlite"),
            allow(irrefutable_let_patterns, reason = "one backend in this build")
        )]
        if let Backend::Postgres(pool) = &self.backend {
            let mut session = postgres::autocommit(pool).await?;
            if record_outcome(&mut session, id, SEND, columns.clone(), finished_at)
                .await?
                .is_some()
            {
                return Ok(());
            }
        }
        self.write_in(
            Lock::Nothing,
            Atomicity::OneStatement,
            Box::new(move |session: &mut Session| {
                Box::pin(async move {
                    if record_outcome(session, id, SEND, columns, finished_at)
                        .await?
                        .is_none()
                    {
                        complete_send_closed_by_check(session, id, &outcome).await?;
                    }
                    Ok(((), true))
                })
            }),
        )
        .await
    }
}

/// The stored attempt with this id, if any.
async fn attempt(
    session: &mut Session,
    id: AttemptId,
) -> Result<Option<AttemptRecord>, StoreError> {
    let rows = session
        .attempts(sql::ATTEMPT, vec![columns::uuid(id).into()])
        .await?;
    rows.into_iter()
        .next()
        .map(columns::StoredAttempt::into_record)
        .transpose()
}

/// A send's outcome arriving after a check closed the send as sent: takes what
/// [`SendOutcome::after_closed_by_check`] says, or is the conflict it is.
async fn complete_send_closed_by_check(
    session: &mut Session,
    id: AttemptId,
    outcome: &SendOutcome,
) -> Result<(), StoreError> {
    let closed = match attempt(session, id).await? {
        Some(AttemptRecord::Send(send)) => send,
        _ => return Err(StoreError::conflict(ConflictKind::UnknownAttempt)),
    };
    let merged = match (closed.reference(), closed.submitted_at()) {
        (Some(reference), None) => outcome.after_closed_by_check(reference),
        _ => None,
    };
    match merged {
        Some(SendOutcome::Sent {
            submitted_at: Some(submitted_at),
            ..
        }) => {
            session
                .execute(
                    sql::COMPLETE_SEND_CLOSED_BY_CHECK,
                    vec![
                        columns::uuid(id).into(),
                        columns::nanos(submitted_at)?.into(),
                    ],
                )
                .await?;
            Ok(())
        }
        Some(_) => Ok(()),
        None => Err(StoreError::conflict(ConflictKind::AlreadyFinished)),
    }
}

/// The guards of a send, inside its locked transaction; records it when they pass.
async fn reserve_send_locked(
    session: &mut Session,
    send: &NewSend,
    limits: &SendLimits,
) -> Result<Reservation<SendRefusal>, StoreError> {
    let row = InFlightRow::send(send)?;
    let horizon_start = columns::bound(limits.horizon_start(send.started_at));
    let (column, numbers) = number_keys(&send.lookup);
    let Some((first, others)) = numbers.split_first() else {
        return Err(StoreError::unavailable(SqlFailure::new(
            SqlFailureKind::Database,
            "a number lookup with no form to search by",
        )));
    };
    // Every guard's reads in one statement (one round trip on PostgreSQL, one trip to
    // SQLite's worker): whether the id is stored, the trust validation's count, the number's
    // sends, and what the guards against pumping that are on read (a guard that is off, or a
    // send that recorded no key for it, binds `NULL` and reads nothing). A protected
    // number's other digests (a key rotation) are searched after it.
    let now = send.started_at;
    let ranges = limits.number_ranges.zip(row.number_range.clone());
    let clients = limits.clients.zip(row.client_digest.clone());
    // The breaker reads the send's prefix when it recorded one, else its country; nothing
    // when the country is pinned.
    let breaker = limits
        .conversion
        .as_ref()
        .filter(|breaker| breaker.pinned(&row.calling_code).is_none());
    let (sampled_country, sampled_prefix) = match (breaker, &row.number_prefix) {
        (None, _) => (None, None),
        (Some(_), Some(prefix)) => (None, Some(prefix.clone())),
        (Some(_), None) => (Some(row.calling_code.clone()), None),
    };
    let (sample_from, sample_until) = breaker.map_or((now, now), |breaker| breaker.bounds(now));
    let budget = limits.country_budgets.of(&row.calling_code);
    let values = vec![
        columns::uuid(send.id).into(),
        row.trust_validation.clone().into(),
        first.clone().into(),
        horizon_start.into(),
        ranges.as_ref().map(|(_, range)| range.clone()).into(),
        columns::bound(
            ranges
                .as_ref()
                .map_or(now, |(ranges, _)| ranges.window_start(now)),
        )
        .into(),
        sampled_country.into(),
        sampled_prefix.into(),
        columns::bound(sample_from).into(),
        columns::bound(sample_until).into(),
        i64::from(breaker.map_or(0, ConversionBreaker::sample)).into(),
        clients.as_ref().map(|(_, client)| client.clone()).into(),
        columns::bound(
            clients
                .as_ref()
                .map_or(now, |(clients, _)| clients.horizon_start(now)),
        )
        .into(),
        budget.map(|_| row.calling_code.clone()).into(),
        columns::bound(budget.map_or(now, |budget| budget.window_start(now))).into(),
    ];
    let (mut stored, mut for_validation, mut to_country) = (0, 0, 0);
    let (mut to_number, mut to_range, mut from_client) = (Vec::new(), Vec::new(), Vec::new());
    let mut sample = CountryConversion {
        sends: 0,
        verified: 0,
    };
    for (tag, value, number) in session.tagged_rows(column.send_guards(), values).await? {
        let count = || u64::try_from(value).unwrap_or(0);
        match tag {
            sql::GUARD_ID_STORED => stored = value,
            sql::GUARD_OF_TRUST_VALIDATION => for_validation = count(),
            sql::GUARD_OF_NUMBER => to_number.push(value),
            sql::GUARD_OF_RANGE => {
                to_range.push((
                    number.unwrap_or_default(),
                    DateTime::from_timestamp_nanos(value),
                ));
            }
            sql::GUARD_SAMPLED => sample.sends = count(),
            sql::GUARD_SAMPLED_VERIFIED => sample.verified = count(),
            sql::GUARD_OF_CLIENT => from_client.push(DateTime::from_timestamp_nanos(value)),
            sql::GUARD_OF_COUNTRY => to_country = count(),
            _ => {}
        }
    }
    if stored > 0 {
        return Err(StoreError::conflict(ConflictKind::DuplicateId));
    }
    for number in others {
        to_number.extend(
            session
                .integers(
                    column.guard(),
                    vec![number.clone().into(), horizon_start.into()],
                )
                .await?,
        );
    }
    let to_number = to_number.into_iter().map(DateTime::from_timestamp_nanos);
    let by_number = limits.evaluate(to_number, for_validation, now);
    let by_country = match budget {
        None => Ok(()),
        Some(budget) => country_budget(session, &row.calling_code, budget, to_country, now).await?,
    };
    let by_range = ranges.map_or(Ok(()), |(ranges, _)| {
        ranges.evaluate(to_range, &row.number.identity(), now)
    });
    let by_conversion = limits.conversion.as_ref().map_or(Ok(()), |conversion| {
        conversion.evaluate(&row.calling_code, breaker.map(|_| sample), now)
    });
    let by_client = clients.map_or(Ok(()), |(clients, _)| clients.evaluate(from_client, now));
    let refused =
        SendLimits::most_binding([by_number, by_country, by_range, by_conversion, by_client]);
    if let Err(refusal) = refused {
        return Ok(Reservation::Refused(refusal));
    }
    insert(session, row).await?;
    Ok(Reservation::Reserved)
}

/// The counted sends to the country of `calling_code` started after `from` and not after
/// `until`, and its checks that verified a code started after `from`, in one statement
/// ([`sql::COUNTRY_CONVERSION`]): what `stats` reads of a country.
pub(super) async fn conversion_between(
    session: &mut Session,
    calling_code: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<CountryConversion, StoreError> {
    let values = vec![
        calling_code.to_owned().into(),
        columns::bound(from).into(),
        columns::bound(until).into(),
    ];
    read_conversion(session, sql::COUNTRY_CONVERSION, values).await
}

/// The (tag, count) rows of a statement tagged [`sql::CONVERSION_SENDS`] and
/// [`sql::CONVERSION_VERIFIED`].
async fn read_conversion(
    session: &mut Session,
    statement: &'static str,
    values: Vec<crate::session::Value>,
) -> Result<CountryConversion, StoreError> {
    let rows = session.tagged_integers(statement, values).await?;
    let mut read = CountryConversion {
        sends: 0,
        verified: 0,
    };
    for (tag, count) in rows {
        let count = u64::try_from(count).unwrap_or_default();
        match tag {
            sql::CONVERSION_SENDS => read.sends = count,
            sql::CONVERSION_VERIFIED => read.verified = count,
            _ => {}
        }
    }
    Ok(read)
}

/// The country budget's decision on a send at `now` to the country of `calling_code`, whose
/// sends in the window the send's guards counted (`in_window`): only when that reaches the
/// cap, the start of the send whose leaving the window lets one pass is read. Read in the
/// reservation's transaction but under no
/// lock of the country's (only the number's and the trust validation's are held), so sends to
/// one country never wait for each other; two reserving at once may both see the budget not
/// yet spent, so it can be overshot by the sends reserving at that moment
/// (`docs/architecture.md`, "Country budgets"). SQLite's single writer makes it exact.
async fn country_budget(
    session: &mut Session,
    calling_code: &str,
    budget: CountryBudget,
    in_window: u64,
    now: DateTime<Utc>,
) -> Result<Result<(), SendRefusal>, StoreError> {
    let window_start = columns::bound(budget.window_start(now));
    let leaving = match in_window.checked_sub(u64::from(budget.max_sends)) {
        None => None,
        Some(offset) => session
            .integers(
                sql::NTH_COUNTED_SEND_TO_COUNTRY_AFTER,
                vec![
                    calling_code.to_owned().into(),
                    window_start.into(),
                    i64::try_from(offset).unwrap_or(i64::MAX).into(),
                ],
            )
            .await?
            .first()
            .copied()
            .map(DateTime::from_timestamp_nanos),
    };
    Ok(budget.evaluate(calling_code, in_window, leaving, now))
}

fn reserved<R>(reservation: &Reservation<R>) -> bool {
    matches!(reservation, Reservation::Reserved)
}
