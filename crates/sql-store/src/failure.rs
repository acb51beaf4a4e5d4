//! Why the database failed, as the source of [`StoreError::Unavailable`]: a caller who needs
//! to tell a locked file from a full disk downcasts the source to [`SqlFailure`].
//!
//! Classifying a driver error is a pure function of its code, tested as a table.

use std::fmt;
use std::path::{Path, PathBuf};

use phone_verify_app::{ConflictKind, StoreError};
use phone_verify_domain::BoxError;

/// What kind of database failure made the store unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SqlFailureKind {
    /// Another connection or instance held the lock longer than the busy timeout (SQLite) or
    /// the lock timeout (PostgreSQL), or PostgreSQL aborted a deadlock or a serialization
    /// conflict. Trying again later may succeed.
    Locked,
    /// The database accepts no writes: a read-only file or open, or a read-only server.
    ReadOnly,
    /// The database or its disk is full.
    Full,
    /// The file is not a database, or the database is damaged: it needs a human.
    Damaged,
    /// The database could not be reached: no such directory, no server, a dropped
    /// connection, a pool that timed out.
    Connection,
    /// The PostgreSQL URL's `sslmode` (`require`, `verify-ca`, `verify-full`) asks for TLS
    /// and the server offers none: nothing was sent in clear. Fix the server, or the URL.
    TlsNotOffered,
    /// The TLS handshake with the server failed: a certificate that does not verify against
    /// the roots (the webpki roots, or the URL's `sslrootcert`), a name that is not the
    /// server's (`verify-full`), an unreadable certificate file, or a protocol failure.
    Tls,
    /// There is no SQLite file at the path, and the options say not to create one
    /// ([`crate::SqliteOptions::create_if_missing`]): [`SqlFailure::path`] names it.
    Missing,
    /// The schema could not be brought up to date (a migration failed or was altered).
    Migration,
    /// A value has no stored form (an instant outside 1677 to 2262).
    Unrepresentable,
    /// Any other database error.
    Database,
}

impl SqlFailureKind {
    fn describe(self) -> &'static str {
        match self {
            Self::Locked => "the database is locked by another connection",
            Self::ReadOnly => "the database is read-only",
            Self::Full => "the database or its disk is full",
            Self::Damaged => "the file is not a database or the database is damaged",
            Self::Connection => "the database could not be reached",
            Self::TlsNotOffered => "the server offers no TLS, which the URL's sslmode requires",
            Self::Tls => "the TLS handshake with the database server failed",
            Self::Missing => "no store at the path given",
            Self::Migration => "the database schema could not be migrated",
            Self::Unrepresentable => "a value has no stored form",
            Self::Database => "the database failed",
        }
    }
}

/// A database failure: its [`SqlFailureKind`], and the driver's error as the source.
///
/// ```
/// use phone_verify_app::StoreError;
/// use phone_verify_sql_store::{SqlFailure, SqlFailureKind};
///
/// fn is_locked(error: &StoreError) -> bool {
///     match error {
///         StoreError::Unavailable { source } => source
///             .downcast_ref::<SqlFailure>()
///             .is_some_and(|failure| failure.kind() == SqlFailureKind::Locked),
///         _ => false,
///     }
/// }
/// # let _ = is_locked;
/// ```
pub struct SqlFailure {
    kind: SqlFailureKind,
    detail: Option<&'static str>,
    path: Option<PathBuf>,
    source: Option<BoxError>,
}

impl SqlFailure {
    pub(crate) fn new(kind: SqlFailureKind, detail: &'static str) -> Self {
        Self {
            kind,
            detail: Some(detail),
            path: None,
            source: None,
        }
    }

    /// [`SqlFailureKind::Missing`]: no file at `path`.
    #[cfg(feature = "sqlite")]
    pub(crate) fn missing(path: &Path) -> Self {
        Self {
            kind: SqlFailureKind::Missing,
            detail: None,
            path: Some(path.to_owned()),
            source: None,
        }
    }

    pub(crate) fn caused_by(kind: SqlFailureKind, source: impl Into<BoxError>) -> Self {
        Self {
            kind,
            detail: None,
            path: None,
            source: Some(source.into()),
        }
    }

    /// This failure, about the SQLite file at `path` (kept when it names one already).
    #[cfg(feature = "sqlite")]
    pub(crate) fn at_path(mut self, path: &Path) -> Self {
        if self.path.is_none() {
            self.path = Some(path.to_owned());
        }
        self
    }

    /// What kind of failure.
    pub fn kind(&self) -> SqlFailureKind {
        self.kind
    }

    /// The SQLite file the failure is about: the missing one for [`SqlFailureKind::Missing`],
    /// the one that could not be opened for a failure while opening it. A path is not
    /// personal data; it is the one detail an operator needs to find the file.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl fmt::Debug for SqlFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlFailure")
            .field("kind", &self.kind)
            .field("detail", &self.detail)
            .field("path", &self.path)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for SqlFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (SqlFailureKind::Missing, Some(path)) = (self.kind, &self.path) {
            return write!(f, "no store at {}", path.display());
        }
        f.write_str(self.kind.describe())?;
        if let Some(detail) = self.detail {
            write!(f, ": {detail}")?;
        }
        if let Some(path) = &self.path {
            write!(f, " ({})", path.display())?;
        }
        Ok(())
    }
}

impl std::error::Error for SqlFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// The kind of a SQLite failure, from its (extended) result code.
#[cfg(feature = "sqlite")]
pub(crate) fn classify_sqlite(code: &str) -> SqlFailureKind {
    // The primary result code is the low byte of the extended one.
    match code.parse::<i32>().map(|code| code & 0xff) {
        Ok(5 | 6) => SqlFailureKind::Locked, // SQLITE_BUSY, SQLITE_LOCKED
        Ok(8) => SqlFailureKind::ReadOnly,   // SQLITE_READONLY
        Ok(13) => SqlFailureKind::Full,      // SQLITE_FULL
        Ok(11 | 26) => SqlFailureKind::Damaged, // SQLITE_CORRUPT, SQLITE_NOTADB
        Ok(14) => SqlFailureKind::Connection, // SQLITE_CANTOPEN
        _ => SqlFailureKind::Database,
    }
}

/// The kind of a PostgreSQL failure, from its SQLSTATE.
#[cfg(feature = "postgres")]
pub(crate) fn classify_postgres(sqlstate: &str) -> SqlFailureKind {
    match sqlstate {
        // deadlock_detected, serialization_failure, lock_not_available
        "40P01" | "40001" | "55P03" => SqlFailureKind::Locked,
        // read_only_sql_transaction (a hot standby)
        "25006" => SqlFailureKind::ReadOnly,
        // disk_full
        "53100" => SqlFailureKind::Full,
        // data_corrupted, index_corrupted
        "XX001" | "XX002" => SqlFailureKind::Damaged,
        // connection_exception (class 08), admin/crash shutdown, cannot_connect_now
        state if state.starts_with("08") => SqlFailureKind::Connection,
        "57P01" | "57P02" | "57P03" => SqlFailureKind::Connection,
        _ => SqlFailureKind::Database,
    }
}

fn classify_database(error: &dyn sqlx::error::DatabaseError) -> SqlFailureKind {
    let code = error.code().unwrap_or_default();
    #[cfg(feature = "sqlite")]
    if error
        .try_downcast_ref::<sqlx::sqlite::SqliteError>()
        .is_some()
    {
        return classify_sqlite(&code);
    }
    #[cfg(feature = "postgres")]
    if error
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        return classify_postgres(&code);
    }
    SqlFailureKind::Database
}

/// The kind of a TLS failure, from the driver's message: sqlx 0.8 says that the server
/// declined TLS in one fixed sentence (`sqlx-postgres`, `connection/tls.rs`), and reports
/// every handshake failure (rustls' error, a certificate file) under the same variant.
pub(crate) fn classify_tls(message: &str) -> SqlFailureKind {
    if message == "server does not support TLS" {
        SqlFailureKind::TlsNotOffered
    } else {
        SqlFailureKind::Tls
    }
}

/// Whether an I/O error is rustls refusing the handshake (a certificate that does not verify,
/// a name that is not the server's), which sqlx reports as I/O.
#[cfg(feature = "postgres")]
fn is_tls_failure(error: &std::io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
}

/// The [`SqlFailure`] of a driver error.
pub(crate) fn failure(error: sqlx::Error) -> SqlFailure {
    let kind = match &error {
        sqlx::Error::Database(database) => classify_database(database.as_ref()),
        sqlx::Error::Tls(tls) => classify_tls(&tls.to_string()),
        #[cfg(feature = "postgres")]
        sqlx::Error::Io(io) if is_tls_failure(io) => SqlFailureKind::Tls,
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => SqlFailureKind::Connection,
        _ => SqlFailureKind::Database,
    };
    SqlFailure::caused_by(kind, error)
}

/// The [`StoreError`] of a driver error: a duplicate primary key is the conflict
/// [`ConflictKind::DuplicateId`] (two instances reserving one id at once); anything else
/// makes the store unavailable.
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(database) = &error
        && database.kind() == sqlx::error::ErrorKind::UniqueViolation
    {
        return StoreError::conflict(ConflictKind::DuplicateId);
    }
    StoreError::unavailable(failure(error))
}

/// The [`StoreError`] of a failed migration: the driver's failure when there is one (a locked
/// or damaged file), [`SqlFailureKind::Migration`] otherwise.
pub(crate) fn migration_error(error: sqlx::migrate::MigrateError) -> StoreError {
    use sqlx::migrate::MigrateError;
    match error {
        MigrateError::Execute(error) | MigrateError::ExecuteMigration(error, _) => {
            let failure = failure(error);
            if failure.kind() == SqlFailureKind::Database {
                StoreError::unavailable(SqlFailure::caused_by(SqlFailureKind::Migration, failure))
            } else {
                StoreError::unavailable(failure)
            }
        }
        other => StoreError::unavailable(SqlFailure::caused_by(SqlFailureKind::Migration, other)),
    }
}

/// `error`, naming the SQLite file at `path` when it is a failure of the database.
#[cfg(feature = "sqlite")]
pub(crate) fn naming(error: StoreError, path: &Path) -> StoreError {
    match error {
        StoreError::Unavailable { source } => match source.downcast::<SqlFailure>() {
            Ok(failure) => StoreError::unavailable(failure.at_path(path)),
            Err(source) => StoreError::Unavailable { source },
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_result_codes_are_classified_by_their_primary_code() {
        let table = [
            ("5", SqlFailureKind::Locked),
            ("517", SqlFailureKind::Locked), // SQLITE_BUSY_SNAPSHOT
            ("6", SqlFailureKind::Locked),
            ("8", SqlFailureKind::ReadOnly),
            ("1032", SqlFailureKind::ReadOnly), // SQLITE_READONLY_DBMOVED
            ("13", SqlFailureKind::Full),
            ("11", SqlFailureKind::Damaged),
            ("26", SqlFailureKind::Damaged),
            ("14", SqlFailureKind::Connection),
            ("1", SqlFailureKind::Database),
            ("2067", SqlFailureKind::Database), // SQLITE_CONSTRAINT_UNIQUE
            ("", SqlFailureKind::Database),
        ];
        for (code, kind) in table {
            assert_eq!(classify_sqlite(code), kind, "code {code:?}");
        }
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_sqlstates_are_classified_by_what_they_mean_for_a_retry() {
        let table = [
            ("40P01", SqlFailureKind::Locked),
            ("40001", SqlFailureKind::Locked),
            ("55P03", SqlFailureKind::Locked),
            ("25006", SqlFailureKind::ReadOnly),
            ("53100", SqlFailureKind::Full),
            ("XX001", SqlFailureKind::Damaged),
            ("08006", SqlFailureKind::Connection),
            ("57P01", SqlFailureKind::Connection),
            ("23505", SqlFailureKind::Database),
            ("42P01", SqlFailureKind::Database),
        ];
        for (sqlstate, kind) in table {
            assert_eq!(classify_postgres(sqlstate), kind, "sqlstate {sqlstate}");
        }
    }

    #[test]
    fn a_server_declining_tls_is_told_from_a_handshake_that_failed() {
        let table = [
            ("server does not support TLS", SqlFailureKind::TlsNotOffered),
            (
                "invalid peer certificate: UnknownIssuer",
                SqlFailureKind::Tls,
            ),
            (
                "error with configuration: no such file",
                SqlFailureKind::Tls,
            ),
        ];
        for (message, kind) in table {
            assert_eq!(classify_tls(message), kind, "{message}");
            assert_eq!(failure(sqlx::Error::Tls(message.into())).kind(), kind);
        }
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn a_certificate_rustls_refuses_is_a_tls_failure_not_a_dropped_connection() {
        use std::io::{Error, ErrorKind};
        let refused = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let table = [
            (
                Error::new(ErrorKind::InvalidData, refused),
                SqlFailureKind::Tls,
            ),
            (
                Error::new(ErrorKind::ConnectionReset, "reset by peer"),
                SqlFailureKind::Connection,
            ),
            (
                Error::from(ErrorKind::UnexpectedEof),
                SqlFailureKind::Connection,
            ),
        ];
        for (error, kind) in table {
            let shown = error.to_string();
            assert_eq!(failure(sqlx::Error::Io(error)).kind(), kind, "{shown}");
        }
    }

    #[test]
    fn a_failure_says_its_kind_and_keeps_the_driver_error_as_its_source() {
        let failure = failure(sqlx::Error::PoolTimedOut);
        assert_eq!(failure.kind(), SqlFailureKind::Connection);
        assert_eq!(failure.to_string(), "the database could not be reached");
        assert!(std::error::Error::source(&failure).is_some());
    }
}
