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
    // Whether the id is stored, the trust validation's count and the number's sends, in one
    // statement (one round trip on PostgreSQL); a protected number's other digests (a key
    // rotation) are searched after it.
    let mut stored = 0;
    let mut for_validation = 0;
    let mut to_number = Vec::new();
    let guards = session
        .tagged_integers(
            column.send_guards(),
            vec![
                columns::uuid(send.id).into(),
                row.trust_validation.clone().into(),
                first.clone().into(),
                horizon_start.into(),
            ],
        )
        .await?;
    for (tag, value) in guards {
        match tag {
            sql::GUARD_ID_STORED => stored = value,
            sql::GUARD_OF_TRUST_VALIDATION => for_validation = u64::try_from(value).unwrap_or(0),
            _ => to_number.push(value),
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
    let by_number = limits.evaluate(to_number, for_validation, send.started_at);
    let by_country = match limits.country_budgets.of(&row.calling_code) {
        None => Ok(()),
        Some(budget) => country_budget(session, &row.calling_code, budget, send.started_at).await?,
    };
    let by_range = match (&limits.number_ranges, &row.number_range) {
        (Some(ranges), Some(range)) => {
            let window_start = columns::bound(ranges.window_start(send.started_at));
            let earlier = session
                .texts_and_integers(
                    sql::COUNTED_SENDS_TO_RANGE_AFTER,
                    vec![range.clone().into(), window_start.into()],
                )
                .await?
                .into_iter()
                .map(|(number, at)| (number, DateTime::from_timestamp_nanos(at)));
            ranges.evaluate(earlier, &row.number.identity(), send.started_at)
        }
        _ => Ok(()),
    };
    let by_conversion = match &limits.conversion {
        None => Ok(()),
        Some(breaker) => {
            let read = match breaker.pinned(&row.calling_code) {
                Some(_) => None,
                None => Some(
                    country_conversion(session, &row.calling_code, breaker, send.started_at)
                        .await?,
                ),
            };
            breaker.evaluate(&row.calling_code, read, send.started_at)
        }
    };
    let by_client = match (&limits.clients, &row.client_digest) {
        (Some(clients), Some(client)) => {
            let horizon_start = columns::bound(clients.horizon_start(send.started_at));
            let earlier = session
                .integers(
                    sql::COUNTED_SENDS_FROM_CLIENT_AFTER,
                    vec![client.clone().into(), horizon_start.into()],
                )
                .await?;
            clients.evaluate(
                earlier.into_iter().map(DateTime::from_timestamp_nanos),
                send.started_at,
            )
        }
        _ => Ok(()),
    };
    let refused =
        SendLimits::most_binding([by_number, by_country, by_range, by_conversion, by_client]);
    if let Err(refusal) = refused {
        return Ok(Reservation::Refused(refusal));
    }
    insert(session, row).await?;
    Ok(Reservation::Reserved)
}

/// What the conversion breaker reads of the country of `calling_code` at `now`, in one
/// statement ([`sql::BREAKER_SAMPLE`]: its latest sends, at most the breaker's sample), under
/// no lock of the country's.
async fn country_conversion(
    session: &mut Session,
    calling_code: &str,
    breaker: &ConversionBreaker,
    now: DateTime<Utc>,
) -> Result<CountryConversion, StoreError> {
    let (from, until) = breaker.bounds(now);
    let values = vec![
        calling_code.to_owned().into(),
        columns::bound(from).into(),
        columns::bound(until).into(),
        i64::from(breaker.sample()).into(),
    ];
    read_conversion(session, sql::BREAKER_SAMPLE, values).await
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

/// The country budget's decision on a send at `now` to the country of `calling_code`: a count
/// of the sends in the window, and only when that reaches the cap, the start of the send
/// whose leaving the window lets one pass. Read in the reservation's transaction but under no
/// lock of the country's (only the number's and the trust validation's are held), so sends to
/// one country never wait for each other; two reserving at once may both see the budget not
/// yet spent, so it can be overshot by the sends reserving at that moment
/// (`docs/architecture.md`, "Country budgets"). SQLite's single writer makes it exact.
async fn country_budget(
    session: &mut Session,
    calling_code: &str,
    budget: CountryBudget,
    now: DateTime<Utc>,
) -> Result<Result<(), SendRefusal>, StoreError> {
    let window_start = columns::bound(budget.window_start(now));
    let in_window = session
        .count(
            sql::COUNTED_SENDS_TO_COUNTRY_AFTER,
            vec![calling_code.to_owned().into(), window_start.into()],
        )
        .await?;
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
