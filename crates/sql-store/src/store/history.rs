//! The history of a number or a trust validation, a page at a time, newest first.

use phone_verify_app::{AttemptRecord, HistorySubject, Page, PageCursor, PageRequest, StoreError};

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
        Ok(newest_page(items, page))
    }
}

/// The paging tail: `page` out of `items`, the attempts each search fetched (one more than
/// the page's size, to tell whether another page follows). Sorts them newest first, keeps
/// the page's size, and gives the cursor of the next page when some were left out.
fn newest_page(mut items: Vec<AttemptRecord>, page: PageRequest) -> Page<AttemptRecord> {
    items.sort_unstable_by_key(|record| std::cmp::Reverse((record.started_at(), record.id())));
    let size = usize::try_from(page.size()).unwrap_or(usize::MAX);
    let has_more = items.len() > size;
    items.truncate(size);
    let next = if has_more {
        items.last().map(PageCursor::after)
    } else {
        None
    };
    Page { items, next }
}
