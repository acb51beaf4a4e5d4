//! The history of a number or a trust validation, a page at a time, newest first.

use phone_verify_app::{AttemptRecord, HistorySubject, Page, PageRequest, StoreError};

use super::SqlVerificationStore;
use super::numbers::number_keys;
use crate::columns;
use crate::sql;

impl SqlVerificationStore {
    pub(super) async fn history_page(
        &self,
        subject: &HistorySubject,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, StoreError> {
        // A protected number is searched once per digest (one per key of the ring), each
        // search a page of its own; the page is the newest of them together.
        let (queries, keys) = match subject {
            HistorySubject::Number(lookup) => {
                let (column, keys) = number_keys(lookup);
                (column.history(), keys)
            }
            HistorySubject::TrustValidation(id) => (
                (
                    sql::HISTORY_OF_TRUST_VALIDATION,
                    sql::HISTORY_OF_TRUST_VALIDATION_AFTER,
                ),
                vec![id.as_str().to_owned()],
            ),
        };
        let limit = i64::from(page.size()) + 1;
        let mut session = self.read().await?;
        let rows = async {
            let mut rows = Vec::new();
            for key in keys {
                let (query, values) = match page.cursor() {
                    None => (queries.0, vec![key.into(), limit.into()]),
                    Some(cursor) => (
                        queries.1,
                        vec![
                            key.into(),
                            limit.into(),
                            columns::bound(cursor.started_at).into(),
                            columns::uuid(cursor.id).into(),
                        ],
                    ),
                };
                rows.extend(session.attempts(query, values).await?);
            }
            Ok((rows, true))
        }
        .await;
        let rows = Self::finish(session, rows).await?;
        let items = rows
            .into_iter()
            .map(columns::StoredAttempt::into_record)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::newest_first(items, page))
    }
}
