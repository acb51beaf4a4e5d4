//! What one statement costs through sqlx, whatever it does: the floor under every statement a
//! store runs. On SQLite each statement is a round trip between the caller's task and the
//! connection's own worker thread; on PostgreSQL, one over the socket to the server. A store
//! whose writes run one after the other (SQLite's group commit) is bound by the statements a
//! send costs times this.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use sqlx::Connection;

use crate::report::median;

/// The statements timed on each connection.
const SELECT: &str = "SELECT $1";
const INSERT: &str = "INSERT INTO pv_bench_driver (x) VALUES ($1)";
/// The table of the inserts: in the SQLite file (written through its WAL, as the store's);
/// on PostgreSQL a temporary one, gone with the connection, so no run leaves it behind.
const CREATE_SQLITE: &str = "CREATE TABLE pv_bench_driver (x BIGINT)";
const CREATE_POSTGRES: &str = "CREATE TEMPORARY TABLE pv_bench_driver (x BIGINT)";

/// One driver's figures: the median over the rounds, µs a statement.
#[derive(Debug, Clone, Serialize)]
pub struct StatementRow {
    /// `SQLite` or `PostgreSQL`.
    pub driver: String,
    /// Statements timed in each round, of each kind.
    pub statements: usize,
    /// Rounds measured; the figures are their medians.
    pub rounds: usize,
    /// `SELECT $1`, one after the other on one connection, outside a transaction.
    pub select_us: f64,
    /// `INSERT` of one row, one after the other in one transaction (rolled back after the
    /// timing, so no fsync is in it).
    pub insert_us: f64,
}

/// Times `statements` of each kind on one connection, `rounds` times, for SQLite (a file in
/// `dir`, WAL, `synchronous = FULL`, as the store opens it) and, given its URL, PostgreSQL.
///
/// # Errors
///
/// When a database does not open or a statement fails.
pub(crate) async fn measure(
    dir: &std::path::Path,
    postgres_url: Option<&str>,
    statements: usize,
    rounds: usize,
) -> anyhow::Result<Vec<StatementRow>> {
    let mut rows = Vec::new();
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.join("driver.db"))
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
    let mut sqlite = sqlx::SqliteConnection::connect_with(&options)
        .await
        .context("the driver row's SQLite file did not open")?;
    rows.push(
        time_rounds::<sqlx::Sqlite>("SQLite", CREATE_SQLITE, &mut sqlite, statements, rounds)
            .await?,
    );
    sqlite.close().await?;
    if let Some(url) = postgres_url {
        let mut postgres = sqlx::PgConnection::connect(url)
            .await
            .context("the driver row's PostgreSQL connection did not open")?;
        rows.push(
            time_rounds::<sqlx::Postgres>(
                "PostgreSQL",
                CREATE_POSTGRES,
                &mut postgres,
                statements,
                rounds,
            )
            .await?,
        );
        postgres.close().await?;
    }
    Ok(rows)
}

/// Both statements, `rounds` times, on one connection of either engine.
async fn time_rounds<DB>(
    driver: &str,
    create: &'static str,
    connection: &mut DB::Connection,
    statements: usize,
    rounds: usize,
) -> anyhow::Result<StatementRow>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query::<DB>(create).execute(&mut *connection).await?;
    let mut selects = Vec::with_capacity(rounds);
    let mut inserts = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        for i in 0..statements {
            sqlx::query::<DB>(SELECT)
                .bind(i64::try_from(i).unwrap_or(i64::MAX))
                .execute(&mut *connection)
                .await?;
        }
        selects.push(per_statement(started.elapsed(), statements));
        let mut transaction = connection.begin().await?;
        let started = Instant::now();
        for i in 0..statements {
            sqlx::query::<DB>(INSERT)
                .bind(i64::try_from(i).unwrap_or(i64::MAX))
                .execute(&mut *transaction)
                .await?;
        }
        inserts.push(per_statement(started.elapsed(), statements));
        transaction.rollback().await?;
    }
    Ok(StatementRow {
        driver: driver.to_owned(),
        statements,
        rounds,
        select_us: median(selects).unwrap_or(0.0),
        insert_us: median(inserts).unwrap_or(0.0),
    })
}

fn per_statement(spent: Duration, statements: usize) -> f64 {
    spent.as_secs_f64() * 1e6 / statements.max(1) as f64
}
