//! One transaction on either backend, and the few things the store does inside it: read
//! attempts, read integers, write. The SQL is the same on both ([`crate::sql`]); binding and
//! reading are written once, generically over sqlx's `Database`.

use phone_verify_app::StoreError;
use sqlx::database::Database;
use sqlx::query::Query;
use sqlx::{ColumnIndex, Decode, Encode, Row, Type};
use uuid::Uuid;

use crate::columns::{NumberColumns, StoredAttempt};
use crate::corrupt::{CorruptRow, Defect};
use crate::failure::store_error;

/// How a write keeps its batch atomic when SQLite's writer runs it with others in one
/// transaction (`crate::group_commit`); PostgreSQL gives every write a transaction of its own
/// and ignores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Atomicity {
    /// The work changes rows in one statement at most, and it changes none when it keeps
    /// nothing (a refusal) or fails with [`StoreError::Conflict`]: it reads, decides, and
    /// writes last. SQLite undoes a failing statement on its own, so the work needs no
    /// savepoint: two statements fewer, of the seven a send's two writes cost in a batch.
    /// Any other failure gives the batch up (see `crate::group_commit`). In a debug build
    /// the writer checks the promise (`total_changes()` before and after).
    OneStatement,
    /// Anything else: the work runs in a savepoint of its own, rolled back when it keeps
    /// nothing or fails, and the rest of its batch goes on.
    Savepoint,
}

/// The work of one write: given its transaction, its value and whether to keep what it
/// wrote (`false`: roll it back, as for a refused reservation). Boxed, so that SQLite's
/// writer can take the writes of several callers into one transaction
/// (`crate::group_commit`).
pub(crate) type Work<T> = Box<
    dyn for<'s> FnOnce(
            &'s mut Session,
        )
            -> futures_util::future::BoxFuture<'s, Result<(T, bool), StoreError>>
        + Send,
>;

/// A value bound to a `$n` parameter.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Id(Option<Uuid>),
    Text(Option<String>),
    Int(Option<i64>),
    Int4(i32),
    Bool(bool),
}

impl From<Uuid> for Value {
    fn from(value: Uuid) -> Self {
        Self::Id(Some(value))
    }
}

impl From<Option<Uuid>> for Value {
    fn from(value: Option<Uuid>) -> Self {
        Self::Id(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Self::Text(Some(value.to_owned()))
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Self::Text(Some(value))
    }
}

impl From<Option<String>> for Value {
    fn from(value: Option<String>) -> Self {
        Self::Text(value)
    }
}

impl From<Option<&str>> for Value {
    fn from(value: Option<&str>) -> Self {
        Self::Text(value.map(str::to_owned))
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Self::Int(Some(value))
    }
}

impl From<Option<i64>> for Value {
    fn from(value: Option<i64>) -> Self {
        Self::Int(value)
    }
}

impl From<i32> for Value {
    fn from(value: i32) -> Self {
        Self::Int4(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

/// `values`, bound to the parameters of `query` in order.
fn bind_all<'q, DB>(
    mut query: Query<'q, DB, <DB as Database>::Arguments<'q>>,
    values: Vec<Value>,
) -> Query<'q, DB, <DB as Database>::Arguments<'q>>
where
    DB: Database,
    Option<Uuid>: Encode<'q, DB> + Type<DB>,
    Option<String>: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    i32: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
{
    for value in values {
        query = match value {
            Value::Id(id) => query.bind(id),
            Value::Text(text) => query.bind(text),
            Value::Int(int) => query.bind(int),
            Value::Int4(int) => query.bind(int),
            Value::Bool(flag) => query.bind(flag),
        };
    }
    query
}

/// A row of [`crate::sql`]'s attempt columns.
fn read_attempt<'r, R>(row: &'r R) -> Result<StoredAttempt, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    Uuid: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(StoredAttempt {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        number: NumberColumns {
            e164: row.try_get("phone_e164")?,
            digest: row.try_get("phone_digest")?,
            key: row.try_get("phone_key")?,
            masked: row.try_get("phone_masked")?,
        },
        trust_validation: row.try_get("trust_validation")?,
        send_id: row.try_get("send_id")?,
        reference: row.try_get("reference")?,
        started_at_ns: row.try_get("started_at_ns")?,
        finished_at_ns: row.try_get("finished_at_ns")?,
        outcome: row.try_get("outcome")?,
        error_class: row.try_get("error_class")?,
        refusal_reason: row.try_get("refusal_reason")?,
        retry_after_ns: row.try_get("retry_after_ns")?,
        verdict: row.try_get("verdict")?,
        status: row.try_get("status")?,
        status_code: row.try_get("status_code")?,
        submitted_at_ns: row.try_get("submitted_at_ns")?,
        provider: row.try_get("provider")?,
        channel: row.try_get("channel")?,
    })
}

/// A column that holds a value of the wrong type: the data needs a human. The driver's
/// message is left out, as it may quote the value.
fn undecodable(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::ColumnDecode { index, .. } => {
            CorruptRow::of(None, Defect::WrongType { index })
        }
        other => store_error(other),
    }
}

/// An open transaction, or (PostgreSQL only) a connection whose every statement commits on
/// its own, for a write of one statement (`crate::postgres::autocommit`).
pub(crate) enum Session {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    #[cfg(feature = "postgres")]
    PostgresAutocommit(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

/// Runs `$body` with `$conn` bound to the session's connection, whichever the backend.
macro_rules! on_connection {
    ($session:expr, $conn:ident => $body:expr) => {
        match $session {
            #[cfg(feature = "sqlite")]
            Session::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            #[cfg(feature = "postgres")]
            Session::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
            #[cfg(feature = "postgres")]
            Session::PostgresAutocommit(connection) => {
                let $conn = &mut **connection;
                $body
            }
        }
    };
}

/// Runs `$query` with `$values` on the session's connection, whichever the backend (the query
/// expression is evaluated in each backend's arm, for its types), and reads every row it
/// returns with `$read` (`$row` bound to the row; `?` on a column read): the rows, or the
/// store's error for the statement or for a column that does not decode.
macro_rules! read_rows {
    ($session:expr, $query:expr, $values:expr, |$row:ident| $read:expr) => {
        on_connection!($session, conn => {
            let rows = bind_all($query, $values)
                .fetch_all(conn)
                .await
                .map_err(store_error)?;
            rows.iter()
                .map(|$row| -> Result<_, sqlx::Error> { Ok($read) })
                .map(|read| read.map_err(undecodable))
                .collect()
        })
    };
}

impl Session {
    /// The attempts `sql` selects.
    pub(crate) async fn attempts(
        &mut self,
        sql: &'static str,
        values: Vec<Value>,
    ) -> Result<Vec<StoredAttempt>, StoreError> {
        read_rows!(self, sqlx::query(sql), values, |row| read_attempt(row)?)
    }

    /// The first column of every row `sql` selects, as integers.
    pub(crate) async fn integers(
        &mut self,
        sql: &'static str,
        values: Vec<Value>,
    ) -> Result<Vec<i64>, StoreError> {
        read_rows!(self, sqlx::query(sql), values, |row| row
            .try_get::<i64, _>(0)?)
    }

    /// The first two columns of every row `sql` selects, as integers: a tag and a value.
    pub(crate) async fn tagged_integers(
        &mut self,
        sql: &'static str,
        values: Vec<Value>,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        read_rows!(self, sqlx::query(sql), values, |row| (
            row.try_get::<i64, _>(0)?,
            row.try_get::<i64, _>(1)?
        ))
    }

    /// The first three columns of every row `sql` selects: a tag, an integer and a text that
    /// may be `NULL` (a send's guards, [`crate::sql::SEND_GUARDS_BY_NUMBER`]).
    pub(crate) async fn tagged_rows(
        &mut self,
        sql: &'static str,
        values: Vec<Value>,
    ) -> Result<Vec<(i64, i64, Option<String>)>, StoreError> {
        read_rows!(self, sqlx::query(sql), values, |row| (
            row.try_get::<i64, _>(0)?,
            row.try_get::<i64, _>(1)?,
            row.try_get::<Option<String>, _>(2)?
        ))
    }

    /// The first column of every row `sql` selects, as texts.
    pub(crate) async fn texts(
        &mut self,
        sql: &'static str,
        values: Vec<Value>,
    ) -> Result<Vec<String>, StoreError> {
        read_rows!(self, sqlx::query(sql), values, |row| row
            .try_get::<String, _>(0)?)
    }

    /// The first three columns of every row `sql` selects: two texts and an integer.
    pub(crate) async fn labelled_counts(
        &mut self,
        sql: &'static str,
        values: Vec<Value>,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        read_rows!(self, sqlx::query(sql), values, |row| (
            row.try_get::<String, _>(0)?,
            row.try_get::<String, _>(1)?,
            row.try_get::<i64, _>(2)?
        ))
    }

    /// The count `sql` (a `SELECT COUNT(*)`) returns.
    pub(crate) async fn count(
        &mut self,
        sql: &'static str,
        values: Vec<Value>,
    ) -> Result<u64, StoreError> {
        let counts = self.integers(sql, values).await?;
        let count = counts.first().copied().unwrap_or_default();
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// The kind of an attempt and whether its outcome is recorded, if it is stored.
    pub(crate) async fn kind_and_finished(
        &mut self,
        id: Uuid,
    ) -> Result<Option<(String, bool)>, StoreError> {
        on_connection!(self, conn => {
            let row = bind_all(sqlx::query(crate::sql::KIND_AND_FINISHED), vec![id.into()])
                .fetch_optional(conn)
                .await
                .map_err(store_error)?;
            row.map(|row| {
                Ok((
                    row.try_get::<String, _>("kind").map_err(undecodable)?,
                    row.try_get::<bool, _>("finished").map_err(undecodable)?,
                ))
            })
            .transpose()
        })
    }

    /// The ids, numbers in clear and ranges of at most `limit` attempts that keep their number
    /// or its range in clear (`query` says which).
    pub(crate) async fn clear_numbers(
        &mut self,
        query: &'static str,
        limit: i64,
    ) -> Result<Vec<(Uuid, Option<String>, Option<String>)>, StoreError> {
        let values = vec![limit.into()];
        read_rows!(self, sqlx::query(query), values, |row| (
            row.try_get::<Uuid, _>("id")?,
            row.try_get::<Option<String>, _>("phone_e164")?,
            row.try_get::<Option<String>, _>("number_range")?
        ))
    }

    /// The rows of [`crate::sql::PURGE_WALK`]: each attempt walked, as its finish time, its
    /// trust validation and whether that is settled before the cutoff. Planned for its
    /// parameters on every call, never kept (the statement says why).
    pub(crate) async fn purge_walk(
        &mut self,
        values: Vec<Value>,
    ) -> Result<Vec<(i64, String, bool)>, StoreError> {
        read_rows!(
            self,
            sqlx::query(crate::sql::PURGE_WALK).persistent(false),
            values,
            |row| (
                row.try_get::<i64, _>(0)?,
                row.try_get::<String, _>(1)?,
                row.try_get::<i64, _>(2)? == 1
            )
        )
    }

    /// Runs a write; how many rows it changed.
    pub(crate) async fn execute(
        &mut self,
        sql: &'static str,
        values: Vec<Value>,
    ) -> Result<u64, StoreError> {
        on_connection!(self, conn => {
            let done = bind_all(sqlx::query(sql), values)
                .execute(conn)
                .await
                .map_err(store_error)?;
            Ok(done.rows_affected())
        })
    }

    /// Commits (`commit`) or rolls back the transaction, releasing its locks now rather than
    /// when the connection is next used.
    pub(crate) async fn end(self, commit: bool) -> Result<(), StoreError> {
        let ended = match (self, commit) {
            #[cfg(feature = "sqlite")]
            (Self::Sqlite(tx), true) => tx.commit().await,
            #[cfg(feature = "sqlite")]
            (Self::Sqlite(tx), false) => tx.rollback().await,
            #[cfg(feature = "postgres")]
            (Self::Postgres(tx), true) => tx.commit().await,
            #[cfg(feature = "postgres")]
            (Self::Postgres(tx), false) => tx.rollback().await,
            // Each statement committed when it ran: nothing is left to end.
            #[cfg(feature = "postgres")]
            (Self::PostgresAutocommit(_), _) => Ok(()),
        };
        ended.map_err(store_error)
    }
}
