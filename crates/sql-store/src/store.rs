//! [`SqlVerificationStore`]: the app's storage port on SQLite or PostgreSQL.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phone_verify_app::{
    AttemptCounts, AttemptId, AttemptRecord, CheckOutcome, CheckPolicy, CheckRecord,
    CheckReservation, ConflictKind, HistorySubject, NewCheck, NewSend, NumberKeyring, NumberLookup,
    NumberProtection, Page, PageCursor, PageRequest, Reservation, SendLimits, SendOutcome,
    SendRefusal, StoreError, VerificationStore,
};
use phone_verify_domain::ReferenceId;

use crate::columns::{self, CHECK, InFlightRow, OutcomeColumns, SEND};
use crate::failure::{SqlFailure, SqlFailureKind};
#[cfg(feature = "sqlite")]
use crate::group_commit::GroupCommit;
use crate::pool::close_pool;
#[cfg(feature = "postgres")]
use crate::postgres::{self, LockClass};
use crate::session::{Atomicity, Session, Work};
use crate::sql;
#[cfg(feature = "sqlite")]
use crate::sqlite;
use crate::url::{DatabaseUrl, DatabaseUrlError, Target};
use crate::{PostgresOptions, SqliteOptions};

/// The app's [`VerificationStore`] on SQL: SQLite (one file, embedded) or PostgreSQL (shared
/// by many instances), chosen when it is opened.
///
/// Every reservation checks the guards and records the attempt in one transaction that holds
/// a lock no other instance can hold at the same time: SQLite's write lock (`BEGIN
/// IMMEDIATE`), or PostgreSQL advisory locks on the number and the trust validation (a send)
/// or on the send (a check). The schema, the indexes and the locking are described in
/// `docs/storage.md`. Numbers are kept in clear unless
/// [`SqlVerificationStore::protect_numbers`] gives the store a keyring (`docs/storage.md`,
/// "Numbers at rest"). Cheap to clone: clones share one connection pool. `Debug` names the
/// backend and the key ids only.
///
/// ```no_run
/// use std::sync::Arc;
/// use phone_verify_app::VerificationStore;
/// use phone_verify_sql_store::SqlVerificationStore;
///
/// # async fn wire() -> Result<(), phone_verify_app::StoreError> {
/// // `sqlite://…` or `postgres://…`, whichever backends the build has.
/// let store = SqlVerificationStore::open("sqlite://phone-verify.db").await?;
/// let store: Arc<dyn VerificationStore> = Arc::new(store);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SqlVerificationStore {
    backend: Backend,
    /// The SQLite file opening created, if it did.
    created: Option<Arc<Path>>,
    /// How numbers are kept: what the use cases hand this store.
    numbers: NumberProtection,
    /// Whether `numbers` was checked against the keys the store recorded
    /// ([`SqlVerificationStore::check_number_keys`]); shared by the clones.
    keys_checked: Arc<tokio::sync::OnceCell<()>>,
}

#[derive(Clone)]
enum Backend {
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteBackend),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// A SQLite store's pool, and the writer every write of the process goes through
/// ([`GroupCommit`]), shared by the store's clones.
#[cfg(feature = "sqlite")]
#[derive(Clone)]
struct SqliteBackend {
    pool: sqlx::SqlitePool,
    writer: Arc<GroupCommit>,
}

/// What a write must hold still while it runs. On PostgreSQL, the advisory locks of the
/// send's number and trust validation, or of the check's trust validation; on SQLite the
/// file's write lock, held by every write, covers them all.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) enum Lock {
    Send {
        /// Every form the number is searched by (its E.164 form, or its digest under each
        /// key), sorted: one order for every instance, so that two instances of a fleet in
        /// the middle of a key rotation, sharing the retired key's digest, wait for each
        /// other rather than deadlock.
        numbers: Vec<String>,
        trust_validation: String,
    },
    Check {
        trust_validation: String,
    },
    Nothing,
}

impl fmt::Debug for SqlVerificationStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlVerificationStore")
            .field("backend", &self.backend_name())
            .field("numbers", &self.numbers)
            .finish_non_exhaustive()
    }
}

/// A URL that names no store this build can open: the database cannot be reached.
fn bad_url(error: DatabaseUrlError) -> StoreError {
    StoreError::unavailable(SqlFailure::caused_by(SqlFailureKind::Connection, error))
}

impl SqlVerificationStore {
    /// Opens the SQLite database file at `path` (a path, not a URL: see
    /// [`DatabaseUrl::sqlite_file`]), in WAL mode with the options' busy timeout, and brings
    /// its schema up to date (unless read-only). A missing file is created, owner-only,
    /// unless [`SqliteOptions::create_if_missing`] is off.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`], its source a [`SqlFailure`] saying why:
    /// [`SqlFailureKind::Missing`] (no file, and not to create one),
    /// [`SqlFailureKind::Connection`] (no such directory), [`SqlFailureKind::Damaged`] (not a
    /// database), [`SqlFailureKind::Locked`], [`SqlFailureKind::ReadOnly`],
    /// [`SqlFailureKind::Migration`].
    #[cfg(feature = "sqlite")]
    pub async fn open_sqlite(
        path: impl AsRef<Path>,
        options: SqliteOptions,
    ) -> Result<Self, StoreError> {
        Self::open_url(
            &DatabaseUrl::sqlite_file(path),
            options,
            PostgresOptions::default(),
        )
        .await
    }

    /// Connects to PostgreSQL at `url` (`postgres://user@host:5432/database`), creates the
    /// options' schema if missing and brings it up to date. Every connection of the pool
    /// works in that schema (`search_path`).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`], its source a [`SqlFailure`]:
    /// [`SqlFailureKind::Connection`] (a bad URL, no server), [`SqlFailureKind::Migration`],
    /// or what the server answered.
    #[cfg(feature = "postgres")]
    pub async fn open_postgres(url: &str, options: PostgresOptions) -> Result<Self, StoreError> {
        let connect = crate::url::postgres_options(url).map_err(bad_url)?;
        Ok(Self {
            backend: Backend::Postgres(postgres::connect(connect, &options).await?),
            created: None,
            numbers: NumberProtection::Clear,
            keys_checked: Arc::default(),
        })
    }

    /// Opens the store a database URL names, with default options: `sqlite:` (as sqlx reads
    /// it: `sqlite://path/to/file.db`, `sqlite:file.db?mode=ro`) or `postgres:` /
    /// `postgresql:`. Meant for a command line or a configuration file; to tell a malformed
    /// URL from a database failure, or to set options, parse a [`DatabaseUrl`] and use
    /// [`SqlVerificationStore::open_url`].
    ///
    /// # Errors
    ///
    /// As [`SqlVerificationStore::open_sqlite`] and
    /// [`SqlVerificationStore::open_postgres`]; a URL of another scheme, of a backend this
    /// build leaves out, or that its backend cannot read is [`SqlFailureKind::Connection`],
    /// its source the [`DatabaseUrlError`].
    pub async fn open(database_url: &str) -> Result<Self, StoreError> {
        let url = DatabaseUrl::parse(database_url).map_err(bad_url)?;
        Self::open_url(&url, SqliteOptions::default(), PostgresOptions::default()).await
    }

    /// Opens the store at `url` with the options of its backend (the other's are unused). A
    /// `?mode=ro` SQLite URL opens read-only whatever the options say.
    ///
    /// ```no_run
    /// use phone_verify_sql_store::{DatabaseUrl, PostgresOptions, SqlVerificationStore, SqliteOptions};
    ///
    /// # async fn wire() -> Result<(), Box<dyn std::error::Error>> {
    /// let url = DatabaseUrl::parse("sqlite://phone-verify.db")?;
    /// // Reading the history must not replace a lost file with an empty one.
    /// let sqlite = SqliteOptions::default().create_if_missing(false);
    /// let store = SqlVerificationStore::open_url(&url, sqlite, PostgresOptions::default()).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`SqlVerificationStore::open_sqlite`] and
    /// [`SqlVerificationStore::open_postgres`].
    pub async fn open_url(
        url: &DatabaseUrl,
        sqlite_options: SqliteOptions,
        postgres_options: PostgresOptions,
    ) -> Result<Self, StoreError> {
        // A build with one backend has no use for the other's options.
        let _ = (&sqlite_options, &postgres_options);
        match &url.target {
            #[cfg(feature = "sqlite")]
            Target::Sqlite(target) => {
                let opened = sqlite::open(target, &sqlite_options).await?;
                let writer = Arc::new(GroupCommit::start(opened.pool.clone()));
                Ok(Self {
                    backend: Backend::Sqlite(SqliteBackend {
                        pool: opened.pool,
                        writer,
                    }),
                    created: opened.created.map(Arc::from),
                    numbers: NumberProtection::Clear,
                    keys_checked: Arc::default(),
                })
            }
            #[cfg(feature = "postgres")]
            Target::Postgres(connect) => Ok(Self {
                backend: Backend::Postgres(
                    postgres::connect(connect.clone(), &postgres_options).await?,
                ),
                created: None,
                numbers: NumberProtection::Clear,
                keys_checked: Arc::default(),
            }),
        }
    }

    /// The same store, keeping numbers protected with `keyring`: a new row keeps the number's
    /// HMAC-SHA256 under the current key, the key's id and the masked form, never the number,
    /// and a lookup by number matches the rows under every key of the ring. Rows written in
    /// clear before stay so (and are found only by trust validation) until
    /// [`SqlVerificationStore::protect_clear_numbers`] converts them.
    ///
    /// ```no_run
    /// use phone_verify_app::NumberKeyring;
    /// use phone_verify_sql_store::SqlVerificationStore;
    ///
    /// # async fn wire(keys: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let keyring = NumberKeyring::parse(keys)?; // from a key file or a secret store
    /// let store = SqlVerificationStore::open("sqlite://phone-verify.db")
    ///     .await?
    ///     .protect_numbers(keyring);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn protect_numbers(self, keyring: NumberKeyring) -> Self {
        Self {
            numbers: NumberProtection::keyed(keyring),
            keys_checked: Arc::default(),
            ..self
        }
    }

    /// How this store keeps numbers.
    pub(crate) fn numbers_kept(&self) -> &NumberProtection {
        &self.numbers
    }

    /// Whether the number keys were checked ([`SqlVerificationStore::check_number_keys`]).
    pub(crate) fn keys_checked(&self) -> &tokio::sync::OnceCell<()> {
        &self.keys_checked
    }

    /// The SQLite file opening this store created ([`SqliteOptions::create_if_missing`]), or
    /// `None` when the file was there already, and for an in-memory database or PostgreSQL.
    /// Worth telling a user: a new store has no history and no cooldowns.
    pub fn created(&self) -> Option<&Path> {
        self.created.as_deref()
    }

    /// Brings the schema up to date. Opening does it already; this is for a deployment that
    /// migrates in a separate step. Safe to run from several instances at once.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] with a [`SqlFailure`] source.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(sqlite) => sqlite::migrate(&sqlite.pool).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => postgres::migrate(pool).await,
        }
    }

    /// Closes every connection, waiting for those in use to be returned, and for each to be
    /// closed. On SQLite the last one checkpoints the WAL into the file and removes the
    /// `-wal` and `-shm` files. Dropping the store closes the connections too, but in the
    /// background: a process that exits right after may leave them open, and the WAL behind.
    pub async fn close(&self) {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(sqlite) => {
                // The writes already handed over are answered first.
                sqlite.writer.stop().await;
                close_pool(&sqlite.pool).await;
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => close_pool(pool).await,
        }
    }

    /// SQLite: a `TRUNCATE` checkpoint, which copies the WAL into the file and empties the
    /// WAL, so that the rows a purge deleted or a conversion rewrote (zeroed in the file by
    /// `secure_delete`) leave no copy of a number in the `-wal` either, even beside other
    /// running instances. Best effort: a reader in the middle of a transaction keeps the frames
    /// it may still read until it ends (the next checkpoint removes them); a failure is logged,
    /// never returned, as the purge or conversion itself succeeded. PostgreSQL: nothing here
    /// (`docs/security.md` says what to run).
    pub(crate) async fn truncate_wal(&self) {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(sqlite) => {
                let checkpoint = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&sqlite.pool)
                    .await;
                if let Err(error) = checkpoint {
                    tracing::warn!(
                        error = %crate::failure::failure(error),
                        "the WAL could not be truncated"
                    );
                }
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => {}
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => "postgres",
        }
    }

    /// This store as the app's port.
    pub fn into_port(self) -> Arc<dyn VerificationStore> {
        Arc::new(self)
    }

    pub(crate) async fn read(&self) -> Result<Session, StoreError> {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(sqlite) => sqlite::begin_read(&sqlite.pool).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => postgres::begin_read(pool).await,
        }
    }

    /// Runs `work` as one write: in its own transaction, holding `lock`'s advisory locks,
    /// on PostgreSQL; in the next batch of the group commit on SQLite. Commits what the work
    /// asks to keep; rolls back what it refuses or fails on.
    pub(crate) async fn write_in<T: Send + 'static>(
        &self,
        lock: Lock,
        atomicity: Atomicity,
        work: Work<T>,
    ) -> Result<T, StoreError> {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(sqlite) => {
                // The file's write lock, taken by each batch, is every write's.
                let _ = lock;
                sqlite.writer.run(atomicity, work).await
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                let mut session = match &lock {
                    Lock::Send {
                        numbers,
                        trust_validation,
                    } => {
                        let keys: Vec<(LockClass, &str)> = numbers
                            .iter()
                            .map(|number| (LockClass::Number, number.as_str()))
                            .chain([(LockClass::TrustValidation, trust_validation.as_str())])
                            .collect();
                        postgres::begin_locked(pool, &keys).await?
                    }
                    Lock::Check { trust_validation } => {
                        let keys = [(LockClass::TrustValidation, trust_validation.as_str())];
                        postgres::begin_locked(pool, &keys).await?
                    }
                    Lock::Nothing => postgres::begin_read(pool).await?,
                };
                let outcome = work(&mut session).await;
                Self::finish(session, outcome).await
            }
        }
    }

    /// Ends `session` after the work whose `outcome` is given: commits when the work asks
    /// for it, rolls back otherwise (an error included), so that locks are released at once.
    pub(crate) async fn finish<T>(
        session: Session,
        outcome: Result<(T, bool), StoreError>,
    ) -> Result<T, StoreError> {
        match outcome {
            Ok((value, commit)) => {
                session.end(commit).await?;
                Ok(value)
            }
            Err(error) => {
                // The error is what the caller needs; a failed rollback adds nothing to it.
                let _ = session.end(false).await;
                Err(error)
            }
        }
    }

    /// Records a send's outcome in one write.
    async fn finish_send_in(
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

    /// Records a check's outcome, and what its answer tells of the sends, in one write.
    async fn finish_check_in(
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

    async fn history_page(
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
        let mut items = rows
            .into_iter()
            .map(columns::StoredAttempt::into_record)
            .collect::<Result<Vec<_>, _>>()?;
        items.sort_unstable_by_key(|record| std::cmp::Reverse((record.started_at(), record.id())));
        let size = usize::try_from(page.size()).unwrap_or(usize::MAX);
        let has_more = items.len() > size;
        items.truncate(size);
        let next = if has_more {
            items.last().map(PageCursor::after)
        } else {
            None
        };
        Ok(Page { items, next })
    }

    /// One batch of a purge, in one short write: checks first; sends, in the room the
    /// checks left, once no purgeable check is left, so that no check outlives its send.
    async fn purge_batch(
        &self,
        finished_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<AttemptCounts, StoreError> {
        let cutoff = columns::bound(finished_before);
        let limit = i64::from(limit);
        self.write_in(
            Lock::Nothing,
            Atomicity::Savepoint,
            Box::new(move |session: &mut Session| {
                Box::pin(async move {
                    let checks = session
                        .execute(sql::PURGE_CHECKS, vec![cutoff.into(), limit.into()])
                        .await?;
                    // Fewer checks than the limit: none purgeable is left, and the rest of
                    // the batch may take sends.
                    let room = limit.saturating_sub(i64::try_from(checks).unwrap_or(i64::MAX));
                    let sends = if room > 0 {
                        session
                            .execute(sql::PURGE_SENDS, vec![cutoff.into(), room.into()])
                            .await?
                    } else {
                        0
                    };
                    Ok((AttemptCounts { sends, checks }, true))
                })
            }),
        )
        .await
    }

    async fn count_purgeable_before(
        &self,
        finished_before: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError> {
        let cutoff = columns::bound(finished_before);
        let mut session = self.read().await?;
        let result = async {
            let checks = session
                .count(sql::COUNT_PURGEABLE_CHECKS, vec![cutoff.into()])
                .await?;
            let sends = session
                .count(sql::COUNT_PURGEABLE_SENDS, vec![cutoff.into()])
                .await?;
            Ok((AttemptCounts { sends, checks }, true))
        }
        .await;
        Self::finish(session, result).await
    }

    async fn close_abandoned_before(
        &self,
        started_before: DateTime<Utc>,
        closed_at: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError> {
        let cutoff = columns::bound(started_before);
        let closed_at = columns::nanos(closed_at)?;
        self.write_in(
            Lock::Nothing,
            Atomicity::Savepoint,
            Box::new(move |session: &mut Session| {
                Box::pin(async move {
                    let mut closed = AttemptCounts::default();
                    for kind in [SEND, CHECK] {
                        let count = session
                            .execute(
                                sql::CLOSE_ABANDONED,
                                vec![cutoff.into(), closed_at.into(), kind.into()],
                            )
                            .await?;
                        if kind == SEND {
                            closed.sends = count;
                        } else {
                            closed.checks = count;
                        }
                    }
                    Ok((closed, true))
                })
            }),
        )
        .await
    }
}

/// Writes an outcome on an attempt of `kind` still in flight; the row as written, or `None`
/// when no such attempt was in flight.
async fn record_outcome(
    session: &mut Session,
    id: AttemptId,
    kind: &'static str,
    columns: OutcomeColumns,
    finished_at: i64,
) -> Result<Option<columns::StoredAttempt>, StoreError> {
    let rows = session
        .attempts(
            sql::FINISH,
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
                columns.counts.into(),
                columns.reference.into(),
                columns.submitted_at_ns.into(),
            ],
        )
        .await?;
    Ok(rows.into_iter().next())
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

/// The guards of a send, inside its locked transaction; records it when they pass.
async fn reserve_send_in(
    session: &mut Session,
    send: &NewSend,
    limits: &SendLimits,
) -> Result<Reservation<SendRefusal>, StoreError> {
    let row = InFlightRow::send(send)?;
    let horizon_start = columns::bound(columns::before(send.started_at, limits.horizon()));
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
    if let Err(refusal) = limits.evaluate(to_number, for_validation, send.started_at) {
        return Ok(Reservation::Refused(refusal));
    }
    insert(session, row).await?;
    Ok(Reservation::Reserved)
}

/// The choice of send and the guards of a check, inside its locked transaction; records it
/// when they pass.
async fn reserve_check_in(
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
    let target = match policy.choose_send(sends.iter().cloned(), check.started_at) {
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
        .and_then(|()| policy.evaluate_attempts(counted))
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

async fn insert(session: &mut Session, row: InFlightRow) -> Result<(), StoreError> {
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
            ],
        )
        .await?;
    Ok(())
}

/// The column a number's rows are searched in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberColumn {
    /// `phone_e164`, for numbers in clear.
    E164,
    /// `phone_digest`, for protected numbers.
    Digest,
}

impl NumberColumn {
    /// The guard per number's query on this column.
    fn guard(self) -> &'static str {
        match self {
            Self::E164 => sql::COUNTED_SENDS_TO_NUMBER_AFTER,
            Self::Digest => sql::COUNTED_SENDS_TO_DIGEST_AFTER,
        }
    }

    /// The send's guards in one statement on this column ([`sql::SEND_GUARDS_BY_NUMBER`]).
    fn send_guards(self) -> &'static str {
        match self {
            Self::E164 => sql::SEND_GUARDS_BY_NUMBER,
            Self::Digest => sql::SEND_GUARDS_BY_DIGEST,
        }
    }

    /// The history's queries on this column: the first page, a later page.
    fn history(self) -> (&'static str, &'static str) {
        match self {
            Self::E164 => (sql::HISTORY_OF_NUMBER, sql::HISTORY_OF_NUMBER_AFTER),
            Self::Digest => (sql::HISTORY_OF_DIGEST, sql::HISTORY_OF_DIGEST_AFTER),
        }
    }
}

/// Where and by what a lookup searches a number's rows: its E.164 form, or each digest.
fn number_keys(lookup: &NumberLookup) -> (NumberColumn, Vec<String>) {
    match lookup {
        NumberLookup::Clear(phone) => (NumberColumn::E164, vec![phone.e164().to_owned()]),
        NumberLookup::Digests(digests) => (
            NumberColumn::Digest,
            digests.iter().map(ToString::to_string).collect(),
        ),
    }
}

fn reserved<R>(reservation: &Reservation<R>) -> bool {
    matches!(reservation, Reservation::Reserved)
}

#[async_trait]
impl VerificationStore for SqlVerificationStore {
    /// [`SqlVerificationStore::backend_name`]: `sqlite` or `postgres`.
    fn engine(&self) -> &'static str {
        self.backend_name()
    }

    /// Clear, unless [`SqlVerificationStore::protect_numbers`] gave the store a keyring.
    fn numbers(&self) -> &NumberProtection {
        &self.numbers
    }

    async fn reserve_send(
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
                    let reservation = reserve_send_in(session, &send, &limits).await?;
                    let keep = reserved(&reservation);
                    Ok((reservation, keep))
                })
            }),
        )
        .await
    }

    async fn finish_send(
        &self,
        id: AttemptId,
        outcome: SendOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.finish_send_in(id, outcome, finished_at).await
    }

    async fn reserve_check(
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
                    let reservation = reserve_check_in(session, check, &policy).await?;
                    let keep = matches!(reservation, CheckReservation::Reserved(_));
                    Ok((reservation, keep))
                })
            }),
        )
        .await
    }

    async fn finish_check(
        &self,
        id: AttemptId,
        outcome: CheckOutcome,
        finished_at: DateTime<Utc>,
    ) -> Result<AttemptId, StoreError> {
        self.finish_check_in(id, outcome, finished_at).await
    }

    async fn history(
        &self,
        subject: &HistorySubject,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, StoreError> {
        self.history_page(subject, page).await
    }

    async fn purge(
        &self,
        finished_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<AttemptCounts, StoreError> {
        let purged = self.purge_batch(finished_before, limit).await?;
        if purged.total() == 0 {
            // The purge is over (a batch found nothing left): what it replaced goes from disk.
            self.truncate_wal().await;
        }
        Ok(purged)
    }

    async fn count_purgeable(
        &self,
        finished_before: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError> {
        self.count_purgeable_before(finished_before).await
    }

    async fn close_abandoned(
        &self,
        started_before: DateTime<Utc>,
        closed_at: DateTime<Utc>,
    ) -> Result<AttemptCounts, StoreError> {
        self.close_abandoned_before(started_before, closed_at).await
    }

    /// PostgreSQL: the database server's clock, which every instance shares. SQLite: `None`
    /// (its instances share the host's clock).
    async fn shared_now(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        match &self.backend {
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                let mut session = postgres::autocommit(pool).await?;
                let nanos = session
                    .integers(sql::SERVER_NOW_NS, Vec::new())
                    .await?
                    .first()
                    .copied()
                    .ok_or_else(|| StoreError::corrupt("the server gave no time"))?;
                Ok(Some(DateTime::<Utc>::from_timestamp_nanos(nanos)))
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => Ok(None),
        }
    }
}
