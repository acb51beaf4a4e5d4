//! Checks: the reservation (the choice of send, the guards, then the row in flight) and the
//! outcome, with what an answer naming a reference tells of the sends.

use chrono::{DateTime, Utc};
use phone_verify_app::{
    AttemptId, AttemptRecord, CheckOutcome, CheckPolicy, CheckRecord, CheckReservation,
    ConflictKind, NewCheck, StoreError,
};
use phone_verify_domain::ReferenceId;

use super::rows::{insert, record_outcome};
use super::{Lock, SqlVerificationStore};
use crate::columns::{self, CHECK, InFlightRow, OutcomeColumns};
use crate::session::{Atomicity, Session};
use crate::sql;

impl SqlVerificationStore {
    /// Chooses a check's send and checks its guards, and records it, in one write holding the
    /// lock of its trust validation.
    pub(super) async fn reserve_check_in(
        &self,
        check: NewCheck,
        policy: &CheckPolicy,
    ) -> Result<CheckReservation, StoreError> {
        self.check_number_keys().await?;
        let lock = Lock::Check {
            trust_validation: check.trust_validation.as_str().to_owned(),
        };
        let policy = policy.clone();
        self.write_in(
            lock,
            Atomicity::OneStatement,
            Box::new(move |session: &mut Session| {
                Box::pin(async move {
                    let reservation = reserve_check_locked(session, check, &policy).await?;
                    let keep = matches!(reservation, CheckReservation::Reserved(_));
                    Ok((reservation, keep))
                })
            }),
        )
        .await
    }

    /// Records a check's outcome, and what its answer tells of the sends, in one write.
    pub(super) async fn finish_check_in(
        &self,
        id: AttemptId,
        outcome: CheckOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<AttemptId, StoreError> {
        let columns = OutcomeColumns::check(&outcome);
        let finished_at = columns::nanos(finished_at)?;
        self.write_in(
            Lock::Nothing,
            Atomicity::Savepoint,
            Box::new(move |session: &mut Session| {
                Box::pin(async move {
                    let Some(row) =
                        record_outcome(session, id, CHECK, columns, finished_at).await?
                    else {
                        return Err(StoreError::conflict(
                            explain_refused_finish(session, id, CHECK).await?,
                        ));
                    };
                    let AttemptRecord::Check(check) = row.into_record()? else {
                        return Err(StoreError::conflict(ConflictKind::UnknownAttempt));
                    };
                    let send = match &outcome {
                        CheckOutcome::Answered {
                            reference: Some(reference),
                            ..
                        } => reconcile(session, &check, reference, finished_at).await?,
                        _ => check.send,
                    };
                    Ok((send, true))
                })
            }),
        )
        .await
    }
}

/// Why [`record_outcome`] changed nothing.
async fn explain_refused_finish(
    session: &mut Session,
    id: AttemptId,
    kind: &'static str,
) -> Result<ConflictKind, StoreError> {
    Ok(match session.kind_and_finished(columns::uuid(id)).await? {
        Some((stored, true)) if stored == kind => ConflictKind::AlreadyFinished,
        _ => ConflictKind::UnknownAttempt,
    })
}

/// What a check's answer naming `reference` tells of the sends (see
/// [`VerificationStore::finish_check`]): the check moves to the send of its trust validation
/// that has the reference, or, when none has, closes its own send, if still in flight, as
/// sent. Returns the send the check is recorded against.
async fn reconcile(
    session: &mut Session,
    check: &CheckRecord,
    reference: &ReferenceId,
    finished_at: i64,
) -> Result<AttemptId, StoreError> {
    let owner = session
        .attempts(
            sql::SEND_OF_TRUST_VALIDATION_WITH_REFERENCE,
            vec![
                check.trust_validation.as_str().into(),
                reference.as_str().into(),
            ],
        )
        .await?
        .into_iter()
        .next()
        .map(|row| row.id);
    match owner {
        Some(owner) if owner != columns::uuid(check.send) => {
            session
                .execute(
                    sql::MOVE_CHECK,
                    vec![columns::uuid(check.id).into(), owner.into()],
                )
                .await?;
            return Ok(AttemptId::from_u128(owner.as_u128()));
        }
        Some(_) => {}
        None => {
            session
                .execute(
                    sql::CLOSE_SEND_FROM_CHECK,
                    vec![
                        columns::uuid(check.send).into(),
                        reference.as_str().into(),
                        finished_at.into(),
                    ],
                )
                .await?;
        }
    }
    Ok(check.send)
}

/// Whether an attempt with this id is stored, of either kind.
async fn id_is_stored(session: &mut Session, id: AttemptId) -> Result<bool, StoreError> {
    let count = session
        .count(sql::COUNT_ID, vec![columns::uuid(id).into()])
        .await?;
    Ok(count > 0)
}

/// The choice of send and the guards of a check, inside its locked transaction; records it
/// when they pass.
async fn reserve_check_locked(
    session: &mut Session,
    check: NewCheck,
    policy: &CheckPolicy,
) -> Result<CheckReservation, StoreError> {
    if id_is_stored(session, check.id).await? {
        return Err(StoreError::conflict(ConflictKind::DuplicateId));
    }
    let sends = session
        .attempts(
            sql::COUNTED_SENDS_OF_TRUST_VALIDATION,
            vec![check.trust_validation.as_str().into()],
        )
        .await?
        .into_iter()
        .map(columns::StoredAttempt::into_send)
        .collect::<Result<Vec<_>, _>>()?;
    let mut target = match policy.choose_send(sends.iter().cloned(), check.started_at) {
        Ok(target) => target,
        Err(refusal) => return Ok(CheckReservation::Refused(refusal)),
    };
    // One send, or each send that delivered the same code where the provider counts attempts
    // per code: a few at most (the cap per trust validation bounds them).
    let mut counted = 0;
    for send in policy.sends_sharing_attempts(&target, &sends) {
        counted += session
            .count(
                sql::COUNT_COUNTED_CHECKS_OF_SEND,
                vec![columns::uuid(send).into()],
            )
            .await?;
    }
    let (mut of_send, mut of_validation) = (0, 0);
    let totals = session
        .tagged_integers(
            sql::CHECK_TOTALS,
            vec![
                columns::uuid(target.send.id).into(),
                check.trust_validation.as_str().into(),
            ],
        )
        .await?;
    for (tag, value) in totals {
        let value = u64::try_from(value).unwrap_or(0);
        match tag {
            sql::CHECKS_OF_SEND => of_send = value,
            sql::CHECKS_OF_TRUST_VALIDATION => of_validation = value,
            _ => {}
        }
    }
    if let Err(refusal) = policy
        .evaluate_checks(of_send, of_validation)
        .and_then(|()| policy.evaluate_attempts(&mut target, counted))
    {
        return Ok(CheckReservation::Refused(refusal));
    }
    let row = InFlightRow::check(
        &CheckRecord::in_flight(check, &target),
        &target.send.provider,
    )?;
    insert(session, row).await?;
    Ok(CheckReservation::Reserved(target))
}
