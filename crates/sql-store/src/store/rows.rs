//! The two writes on an attempt's row that sends and checks share: the new row, in flight,
//! and its outcome.

use phone_verify_app::{AttemptId, StoreError};

use crate::columns::{self, InFlightRow, OutcomeColumns};
use crate::session::Session;
use crate::sql;

/// Writes an outcome on an attempt of `kind` still in flight; the row as written, or `None`
/// when no such attempt was in flight.
pub(super) async fn record_outcome(
    session: &mut Session,
    id: AttemptId,
    kind: &'static str,
    columns: OutcomeColumns,
    finished_at: i64,
) -> Result<Option<columns::StoredAttempt>, StoreError> {
    let statement = if columns.counts {
        sql::FINISH_COUNTED
    } else {
        sql::FINISH_NOT_COUNTED
    };
    let rows = session
        .attempts(
            statement,
            vec![
                columns::uuid(id).into(),
                kind.into(),
                finished_at.into(),
                columns.outcome.into(),
                columns.error_class.into(),
                columns.refusal_reason.into(),
                columns.retry_after_ns.into(),
                columns.verdict.into(),
                columns.status.into(),
                columns.status_code.into(),
                columns.reference.into(),
                columns.submitted_at_ns.into(),
            ],
        )
        .await?;
    Ok(rows.into_iter().next())
}

pub(super) async fn insert(session: &mut Session, row: InFlightRow) -> Result<(), StoreError> {
    session
        .execute(
            sql::INSERT_IN_FLIGHT,
            vec![
                row.id.into(),
                row.kind.into(),
                row.number.e164.into(),
                row.trust_flow.into(),
                row.trust_validation.into(),
                row.send_id.into(),
                row.reference.into(),
                row.started_at_ns.into(),
                row.provider.into(),
                row.number.digest.into(),
                row.number.key.into(),
                row.number.masked.into(),
                row.channel.into(),
                row.calling_code.into(),
                row.number_range.into(),
                row.client_digest.into(),
                row.number_prefix.into(),
            ],
        )
        .await?;
    Ok(())
}
