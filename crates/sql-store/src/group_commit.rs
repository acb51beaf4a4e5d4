//! SQLite's writes, many to a transaction: one writer task takes the writes waiting when it
//! is free, runs each in a savepoint of one `BEGIN IMMEDIATE` transaction, commits once, and
//! only then answers each of them. One fsync of the WAL then serves every write of the batch
//! (the durability is unchanged: `synchronous=FULL`, nothing acknowledged before it is on
//! disk), and no connection of the process sleeps in SQLite's busy handler waiting for
//! another of the same process to commit.
//!
//! What a write sees is what it saw before: the writes of a batch run one after the other,
//! each seeing those before it, so a guard still counts every reservation made ahead of it,
//! in this process or (through the file's write lock) in another. A write that refuses (a
//! guard said no) or fails leaves nothing behind, and the others of its batch are not
//! touched: a write of [`Atomicity::Savepoint`] is rolled back to its savepoint; a write of
//! [`Atomicity::OneStatement`] (a send's or a check's reservation, a send's outcome: they
//! read, decide, and write once, last) runs without one, since its refusal wrote nothing
//! and SQLite undoes a failing statement by itself. Each statement costs a round trip to
//! sqlx's SQLite thread (about 50 µs on the project's machine, whatever the statement), and
//! the savepoint's two were four of the seven a send cost in a batch. A failure of the batch
//! itself (its `BEGIN`, a savepoint, the `COMMIT`, or a write of one statement failing in
//! the database rather than on a conflict) fails every write of it that would have kept
//! anything: none of them is acknowledged, as none of them is on disk.
//!
//! The writer runs each write in its caller's span, so what the write logs is filtered and
//! attributed as if the caller had run it.
//!
//! `docs/storage.md` ("Group commit") tells the design; the tests are the store contract
//! (every case goes through here), the two-pool races and the kill tests.

use std::any::Any;
use std::sync::Mutex;

use phone_verify_app::StoreError;
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::failure::{SqlFailure, SqlFailureKind};
use crate::session::{Atomicity, Session, Work};
use crate::sqlite;

/// The most writes one transaction takes. Past it, a write waits for the next batch; the cap
/// keeps one batch's transaction (and the lock it holds on the file) short.
const MAX_BATCH: usize = 128;
/// Writes waiting for the writer, beyond which a caller waits to hand its write over.
const QUEUE: usize = 4096;

type AnyValue = Box<dyn Any + Send>;
type AnyWork = Work<AnyValue>;

/// One write handed to the writer, and where its answer goes.
struct Job {
    work: AnyWork,
    atomicity: Atomicity,
    reply: oneshot::Sender<Result<AnyValue, StoreError>>,
}

/// The writer of one SQLite store, shared by its clones.
pub(crate) struct GroupCommit {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl GroupCommit {
    /// Starts the writer on the current Tokio runtime.
    pub(crate) fn start(pool: SqlitePool) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let task = tokio::spawn(serve(pool, receiver));
        Self {
            jobs: Mutex::new(Some(sender)),
            task: Mutex::new(Some(task)),
        }
    }

    /// Runs `work` in the next batch and returns its value once the batch is committed (or,
    /// when the work asked to keep nothing, once it ran).
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        atomicity: Atomicity,
        work: Work<T>,
    ) -> Result<T, StoreError> {
        let sender = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or_else(|| writer_gone("the store is closed"))?;
        let (reply, answer) = oneshot::channel();
        // The writer runs the work in its own task: what the work logs (the numbering plan
        // library parsing a stored number, say) stays in the caller's span, and under its
        // filters, as when the caller ran it.
        let span = tracing::Span::current();
        let work: AnyWork = Box::new(move |session: &mut Session| {
            Box::pin(
                async move {
                    let (value, keep) = work(session).await?;
                    Ok((Box::new(value) as AnyValue, keep))
                }
                .instrument(span),
            )
        });
        sender
            .send(Job {
                work,
                atomicity,
                reply,
            })
            .await
            .map_err(|_| writer_gone("the store's writer has stopped"))?;
        let value = answer
            .await
            .map_err(|_| writer_gone("the store's writer stopped before answering"))??;
        value
            .downcast::<T>()
            .map(|value| *value)
            .map_err(|_| writer_gone("the store's writer answered with a value of another type"))
    }

    /// Takes no more writes, and waits for the writer to answer those it holds.
    pub(crate) async fn stop(&self) {
        drop(
            self.jobs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
        let task = self
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            // A writer that panicked has answered nothing more; its callers saw it.
            let _ = task.await;
        }
    }
}

fn writer_gone(detail: &'static str) -> StoreError {
    StoreError::unavailable(SqlFailure::new(SqlFailureKind::Connection, detail))
}

/// The writer: a batch of what is waiting whenever it is free, until every sender is gone.
async fn serve(pool: SqlitePool, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if batch.len() == 1 {
            if let Some(job) = batch.pop() {
                commit_alone(&pool, job).await;
            }
        } else {
            commit(&pool, batch.drain(..)).await;
        }
    }
}

/// What one job of a batch came to, before the batch's commit.
struct Ran {
    reply: oneshot::Sender<Result<AnyValue, StoreError>>,
    result: Result<AnyValue, StoreError>,
    /// Whether its answer depends on the commit: it kept a write, or read the batch's
    /// earlier writes to decide.
    needs_commit: bool,
}

/// Runs a write that had no other waiting with it in a transaction of its own, without a
/// savepoint: the transaction is the write's alone, so rolling it back undoes the write (a
/// refusal, a failure), and committing it is answering it. Two statements fewer than in a
/// batch, which is what a write costs when nothing else is waiting (concurrency 1).
async fn commit_alone(pool: &SqlitePool, job: Job) {
    let mut session = match sqlite::begin_immediate(pool).await {
        Ok(session) => session,
        Err(error) => {
            let _ = job.reply.send(Err(error));
            return;
        }
    };
    let outcome = (job.work)(&mut session).await;
    let keep = matches!(outcome, Ok((_, true)));
    let ended = session.end(keep).await;
    let answer = match outcome {
        Ok((value, true)) => ended.map(|()| value),
        // Nothing to keep: a failed rollback leaves nothing either (the connection's
        // transaction ends with it).
        Ok((value, false)) => Ok(value),
        Err(error) => Err(error),
    };
    let _ = job.reply.send(answer);
}

/// Runs `batch` in one transaction and answers every job of it.
async fn commit(pool: &SqlitePool, mut batch: impl Iterator<Item = Job>) {
    let mut session = match sqlite::begin_immediate(pool).await {
        Ok(session) => session,
        Err(error) => {
            // The first job gets the error itself, the others its kind.
            let first = batch.next();
            fail_all(batch, &error);
            if let Some(first) = first {
                let _ = first.reply.send(Err(error));
            }
            return;
        }
    };
    let mut ran: Vec<Ran> = Vec::new();
    while let Some(job) = batch.next() {
        let outcome = match job.atomicity {
            Atomicity::OneStatement => in_place(&mut session, job.work).await,
            Atomicity::Savepoint => in_savepoint(&mut session, job.work).await,
        };
        match outcome {
            Ok(outcome) => ran.push(Ran {
                reply: job.reply,
                needs_commit: outcome.is_ok(),
                result: outcome.map(|(value, _)| value),
            }),
            Err(error) => {
                abandon(session, ran, job.reply, error, batch).await;
                return;
            }
        }
    }
    match session.end(true).await {
        Ok(()) => {
            for job in ran {
                let _ = job.reply.send(job.result);
            }
        }
        Err(error) => fail_ran(ran, &error),
    }
}

/// What a job of a batch came to ([`Ran`]), or, as the error, why the batch must be given up
/// at it (the job gets that error).
type Outcome = Result<Result<(AnyValue, bool), StoreError>, StoreError>;

/// Runs a job in a savepoint of its own: released when it keeps what it wrote, rolled back
/// to (and released) when it refuses or fails, so the rest of the batch goes on.
async fn in_savepoint(session: &mut Session, work: AnyWork) -> Outcome {
    session.execute(SAVEPOINT, Vec::new()).await?;
    let outcome = work(session).await;
    if !matches!(outcome, Ok((_, true))) {
        session.execute(ROLLBACK_TO, Vec::new()).await?;
    }
    // SQLite rolls a whole transaction back on some failures (a full disk, an I/O error),
    // taking the savepoint with it: then this fails, and nothing of the batch is left.
    session.execute(RELEASE, Vec::new()).await?;
    Ok(outcome)
}

/// Runs a job of [`Atomicity::OneStatement`] as it is. Its refusal and its conflicts changed
/// nothing; the one statement it may have failed on SQLite undid. Any other failure may come
/// from one that rolled the whole transaction back (a full disk, an I/O error), which
/// without a savepoint cannot be told apart from the rest, or from reading back what the
/// statement wrote (a corrupt row): either way the batch is given up, none of it kept.
async fn in_place(session: &mut Session, work: AnyWork) -> Outcome {
    #[cfg(debug_assertions)]
    let before = total_changes(session).await?;
    let outcome = work(session).await;
    match &outcome {
        Ok((_, true)) => Ok(outcome),
        Ok((_, false)) | Err(StoreError::Conflict { .. }) => {
            #[cfg(debug_assertions)]
            if total_changes(session).await? != before {
                return Err(StoreError::unavailable(SqlFailure::new(
                    SqlFailureKind::Database,
                    "a write declared of one statement changed rows and kept nothing",
                )));
            }
            Ok(outcome)
        }
        Err(_) => outcome.map(Ok),
    }
}

/// The rows the connection's statements have changed since it opened.
#[cfg(debug_assertions)]
async fn total_changes(session: &mut Session) -> Result<u64, StoreError> {
    session.count("SELECT total_changes()", Vec::new()).await
}

/// Gives up a batch whose transaction broke at the job answering to `reply`: rolls back,
/// answers the jobs that ran ([`fail_ran`]), that job with `error`, and the jobs not yet run
/// as broken by it.
async fn abandon(
    session: Session,
    ran: Vec<Ran>,
    reply: oneshot::Sender<Result<AnyValue, StoreError>>,
    error: StoreError,
    rest: impl Iterator<Item = Job>,
) {
    let _ = session.end(false).await;
    fail_ran(ran, &error);
    let _ = reply.send(Err(error));
    fail_all(rest, &broken());
}

/// Answers the jobs that ran in a batch that did not commit: those whose answer rested on it
/// get the batch's failure; those that failed on their own keep their own error.
fn fail_ran(ran: Vec<Ran>, error: &StoreError) {
    for job in ran {
        let answer = if job.needs_commit {
            Err(like(error))
        } else {
            job.result
        };
        let _ = job.reply.send(answer);
    }
}

/// Answers jobs that never ran, each with an error of `error`'s kind.
fn fail_all(batch: impl Iterator<Item = Job>, error: &StoreError) {
    for job in batch {
        let _ = job.reply.send(Err(like(error)));
    }
}

/// An error of the same kind as `error`, for another write of its batch: the store's errors
/// are not `Clone`, and each caller owns its own.
fn like(error: &StoreError) -> StoreError {
    let kind = match error {
        StoreError::Unavailable { source } => source
            .downcast_ref::<SqlFailure>()
            .map_or(SqlFailureKind::Database, SqlFailure::kind),
        _ => SqlFailureKind::Database,
    };
    StoreError::unavailable(SqlFailure::new(
        kind,
        "the transaction this write shared with others failed",
    ))
}

fn broken() -> StoreError {
    StoreError::unavailable(SqlFailure::new(
        SqlFailureKind::Database,
        "an earlier write of the same transaction broke it",
    ))
}

const SAVEPOINT: &str = "SAVEPOINT phone_verify_write";
const RELEASE: &str = "RELEASE phone_verify_write";
const ROLLBACK_TO: &str = "ROLLBACK TO phone_verify_write";

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    use super::*;

    const CREATE: &str = "CREATE TABLE t (x INTEGER PRIMARY KEY)";
    const INSERT: &str = "INSERT INTO t (x) VALUES ($1)";
    const COUNT: &str = "SELECT COUNT(*) FROM t";

    async fn writer() -> (Arc<GroupCommit>, SqlitePool, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let connect = SqliteConnectOptions::new()
            .filename(dir.path().join("t.db"))
            .create_if_missing(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(connect)
            .await
            .expect("the database opens");
        sqlx::query(CREATE).execute(&pool).await.expect("a table");
        (Arc::new(GroupCommit::start(pool.clone())), pool, dir)
    }

    /// A write of `x`, kept or not.
    fn insert(x: i64, keep: bool) -> Work<i64> {
        Box::new(move |session: &mut Session| {
            Box::pin(async move {
                session.execute(INSERT, vec![x.into()]).await?;
                Ok((x, keep))
            })
        })
    }

    /// A write that holds the writer for a while, so that the writes sent meanwhile wait
    /// and make up the next batch together.
    fn slow() -> Work<()> {
        Box::new(|_session: &mut Session| {
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Ok(((), false))
            })
        })
    }

    async fn stored(pool: &SqlitePool, x: Option<i64>) -> i64 {
        match x {
            None => sqlx::query_scalar(COUNT).fetch_one(pool).await,
            Some(x) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM t WHERE x = $1")
                    .bind(x)
                    .fetch_one(pool)
                    .await
            }
        }
        .expect("a count")
    }

    /// Starts `work` behind a slow write, so that all of it lands in one batch.
    async fn in_one_batch<T: Send + 'static>(
        writer: &Arc<GroupCommit>,
        work: Vec<Work<T>>,
    ) -> Vec<Result<T, StoreError>> {
        let work = work
            .into_iter()
            .map(|work| (Atomicity::Savepoint, work))
            .collect();
        in_one_batch_as(writer, work).await
    }

    /// [`in_one_batch`], each write with the atomicity given.
    async fn in_one_batch_as<T: Send + 'static>(
        writer: &Arc<GroupCommit>,
        work: Vec<(Atomicity, Work<T>)>,
    ) -> Vec<Result<T, StoreError>> {
        let blocker = {
            let writer = Arc::clone(writer);
            tokio::spawn(async move { writer.run(Atomicity::Savepoint, slow()).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let tasks: Vec<_> = work
            .into_iter()
            .map(|(atomicity, work)| {
                let writer = Arc::clone(writer);
                tokio::spawn(async move { writer.run(atomicity, work).await })
            })
            .collect();
        blocker.await.expect("joined").expect("the slow write");
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.expect("joined"));
        }
        results
    }

    #[tokio::test]
    async fn a_refused_write_leaves_nothing_and_the_rest_of_its_batch_is_kept() {
        let (writer, pool, _dir) = writer().await;
        let results = in_one_batch(
            &writer,
            vec![insert(1, true), insert(2, false), insert(3, true)],
        )
        .await;
        let values: Vec<i64> = results
            .into_iter()
            .map(|r| r.expect("every write answered"))
            .collect();
        assert_eq!(values, [1, 2, 3]);
        assert_eq!(stored(&pool, Some(1)).await, 1);
        assert_eq!(stored(&pool, Some(2)).await, 0, "refused: rolled back");
        assert_eq!(stored(&pool, Some(3)).await, 1);
    }

    #[tokio::test]
    async fn a_failing_write_gets_its_own_error_and_the_rest_of_its_batch_is_kept() {
        let (writer, pool, _dir) = writer().await;
        // The second insert of 1 breaks the primary key: that write alone fails.
        let results = in_one_batch(
            &writer,
            vec![insert(1, true), insert(1, true), insert(2, true)],
        )
        .await;
        assert!(results[0].is_ok(), "{:?}", results[0]);
        assert!(results[1].is_err());
        assert!(results[2].is_ok(), "{:?}", results[2]);
        assert_eq!(stored(&pool, None).await, 2);
    }

    #[tokio::test]
    async fn writes_sent_while_the_writer_is_busy_share_one_transaction() {
        let (writer, pool, _dir) = writer().await;
        // 19 inserts, then a write that reads the table twice: in the batch's transaction
        // (it sees the 19) and from another connection (it sees what is committed: none of
        // them yet, since the batch commits once, after its last write).
        let mut work: Vec<Work<(u64, i64)>> = (0..19)
            .map(|x| -> Work<(u64, i64)> {
                Box::new(move |session: &mut Session| {
                    Box::pin(async move {
                        session.execute(INSERT, vec![x.into()]).await?;
                        Ok(((0, 0), true))
                    })
                })
            })
            .collect();
        let outside = pool.clone();
        work.push(Box::new(move |session: &mut Session| {
            Box::pin(async move {
                let inside = session.count(COUNT, Vec::new()).await?;
                Ok(((inside, stored(&outside, None).await), true))
            })
        }));
        let results = in_one_batch(&writer, work).await;
        let last = results
            .into_iter()
            .map(|r| r.expect("answered"))
            .last()
            .expect("twenty answers");
        assert_eq!(last, (19, 0), "(seen inside, committed outside)");
        assert_eq!(stored(&pool, None).await, 19);
    }

    #[tokio::test]
    async fn a_batch_that_cannot_begin_fails_every_write_of_it_as_locked() {
        let (_writer, pool, dir) = writer().await;
        // Another connection holds the file's write lock past the writer's busy timeout.
        let holder = pool.begin_with("BEGIN IMMEDIATE").await.expect("the lock");
        let impatient = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(dir.path().join("t.db"))
                    .busy_timeout(Duration::from_millis(10)),
            )
            .await
            .expect("a second pool");
        let locked = GroupCommit::start(impatient);
        let results = futures_util::future::join_all(
            (10..13).map(|x| locked.run(Atomicity::Savepoint, insert(x, true))),
        )
        .await;
        for result in &results {
            let kind = match result {
                Err(StoreError::Unavailable { source }) => {
                    source.downcast_ref::<SqlFailure>().map(SqlFailure::kind)
                }
                _ => None,
            };
            assert_eq!(kind, Some(SqlFailureKind::Locked), "{result:?}");
        }
        holder.rollback().await.expect("rollback");
        assert_eq!(stored(&pool, None).await, 0, "nothing of the failed batch");
    }

    #[tokio::test]
    async fn a_write_alone_keeps_what_it_keeps_and_leaves_nothing_when_it_refuses_or_fails() {
        let (writer, pool, _dir) = writer().await;
        // One at a time: each write is alone in its transaction.
        assert_eq!(
            writer
                .run(Atomicity::Savepoint, insert(1, true))
                .await
                .expect("kept"),
            1
        );
        assert_eq!(
            writer
                .run(Atomicity::Savepoint, insert(2, false))
                .await
                .expect("refused"),
            2
        );
        assert!(
            writer
                .run(Atomicity::Savepoint, insert(1, true))
                .await
                .is_err(),
            "a duplicate key"
        );
        let failing: Work<()> = Box::new(|session: &mut Session| {
            Box::pin(async move {
                session.execute(INSERT, vec![3_i64.into()]).await?;
                // A write that wrote, then failed: its insert must not stay.
                session
                    .execute("INSERT INTO missing (x) VALUES (1)", Vec::new())
                    .await?;
                Ok(((), true))
            })
        });
        assert!(writer.run(Atomicity::Savepoint, failing).await.is_err());
        assert_eq!(stored(&pool, Some(1)).await, 1);
        assert_eq!(stored(&pool, Some(2)).await, 0, "refused: rolled back");
        assert_eq!(
            stored(&pool, Some(3)).await,
            0,
            "failed after writing: rolled back"
        );
        assert_eq!(stored(&pool, None).await, 1);
    }

    #[tokio::test]
    async fn a_stopped_writer_answers_what_it_held_and_refuses_what_comes_after() {
        let (writer, pool, _dir) = writer().await;
        let pending = {
            let writer = Arc::clone(&writer);
            tokio::spawn(async move { writer.run(Atomicity::Savepoint, insert(7, true)).await })
        };
        tokio::task::yield_now().await;
        writer.stop().await;
        assert_eq!(pending.await.expect("joined").expect("answered"), 7);
        assert_eq!(stored(&pool, Some(7)).await, 1);
        let after = writer.run(Atomicity::Savepoint, insert(8, true)).await;
        assert!(
            matches!(after, Err(StoreError::Unavailable { .. })),
            "{after:?}"
        );
    }

    /// A write of one statement's kind: refuses before writing `x`, or fails with a conflict
    /// before writing, or writes it and keeps it.
    fn decided(x: i64, decision: &'static str) -> Work<i64> {
        Box::new(move |session: &mut Session| {
            Box::pin(async move {
                session.count(COUNT, Vec::new()).await?;
                match decision {
                    "refuse" => Ok((x, false)),
                    "conflict" => Err(StoreError::conflict(
                        phone_verify_app::ConflictKind::DuplicateId,
                    )),
                    _ => {
                        session.execute(INSERT, vec![x.into()]).await?;
                        Ok((x, true))
                    }
                }
            })
        })
    }

    #[tokio::test]
    async fn one_statement_writes_run_without_a_savepoint_and_their_refusals_keep_the_batch() {
        let (writer, pool, _dir) = writer().await;
        let one = Atomicity::OneStatement;
        let no_savepoint: Work<i64> = Box::new(|session: &mut Session| {
            Box::pin(async move {
                // Inside a savepoint this would release it; with none open it fails.
                let released = session.execute(RELEASE, Vec::new()).await.is_ok();
                Ok((i64::from(released), false))
            })
        });
        let results = in_one_batch_as(
            &writer,
            vec![
                (one, decided(1, "keep")),
                (one, decided(2, "refuse")),
                (one, decided(3, "conflict")),
                (one, no_savepoint),
                (Atomicity::Savepoint, insert(4, true)),
                (one, decided(5, "keep")),
                // A duplicate key: the one statement fails, SQLite undoes it alone.
                (one, decided(1, "keep")),
                (one, decided(6, "keep")),
            ],
        )
        .await;
        assert_eq!(results[0].as_ref().ok(), Some(&1));
        assert_eq!(results[1].as_ref().ok(), Some(&2));
        assert!(
            matches!(results[2], Err(StoreError::Conflict { .. })),
            "{:?}",
            results[2]
        );
        assert_eq!(results[3].as_ref().ok(), Some(&0), "no savepoint was open");
        assert_eq!(results[4].as_ref().ok(), Some(&4));
        assert_eq!(results[5].as_ref().ok(), Some(&5));
        assert!(
            matches!(results[6], Err(StoreError::Conflict { .. })),
            "{:?}",
            results[6]
        );
        assert_eq!(results[7].as_ref().ok(), Some(&6));
        assert_eq!(stored(&pool, None).await, 4, "1, 4, 5 and 6");
    }

    #[tokio::test]
    async fn a_one_statement_write_failing_in_the_database_gives_its_batch_up() {
        let (writer, pool, _dir) = writer().await;
        let one = Atomicity::OneStatement;
        // The second write fails in the database (no such table; a full disk or an I/O
        // error would roll the whole transaction back): without a savepoint, which failures
        // SQLite undid alone cannot be told, so none of the batch is kept.
        let failing: Work<i64> = Box::new(|session: &mut Session| {
            Box::pin(async move {
                session
                    .execute("INSERT INTO missing (x) VALUES (1)", Vec::new())
                    .await?;
                Ok((1, true))
            })
        });
        let results = in_one_batch_as(
            &writer,
            vec![
                (one, decided(1, "keep")),
                (one, failing),
                (Atomicity::Savepoint, insert(2, true)),
            ],
        )
        .await;
        for result in &results {
            assert!(
                matches!(result, Err(StoreError::Unavailable { .. })),
                "{result:?}"
            );
        }
        assert_eq!(stored(&pool, None).await, 0, "nothing of the batch");
        // The writer goes on with the next batch.
        assert_eq!(
            writer
                .run(one, decided(7, "keep"))
                .await
                .expect("the next write"),
            7
        );
        assert_eq!(stored(&pool, None).await, 1);
    }

    #[cfg(debug_assertions)]
    #[tokio::test]
    async fn a_write_declared_of_one_statement_that_wrote_and_kept_nothing_is_caught() {
        let (writer, pool, _dir) = writer().await;
        let one = Atomicity::OneStatement;
        // Writes 1 and says to keep nothing: only a savepoint could undo that.
        let results = in_one_batch_as(
            &writer,
            vec![(one, insert(1, false)), (one, decided(2, "keep"))],
        )
        .await;
        assert!(results.iter().all(Result::is_err), "{results:?}");
        assert_eq!(stored(&pool, None).await, 0);
    }
}
