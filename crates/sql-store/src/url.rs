//! [`DatabaseUrl`]: where a store is, parsed before anything is opened, so that a malformed
//! URL is the caller's configuration error rather than a database failure.

use std::fmt;
#[cfg(feature = "sqlite")]
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where a store is: a SQLite file (`sqlite://path/to/file.db`, `sqlite:file.db?mode=ro`,
/// `sqlite::memory:`, as sqlx reads them) or a PostgreSQL database (`postgres://…`,
/// `postgresql://…`). Opened by [`crate::SqlVerificationStore::open_url`].
///
/// A URL is a URL: its path is percent-decoded and its query holds options. A path from
/// elsewhere (a `--database PATH` flag) is a path: [`DatabaseUrl::sqlite_file`] takes it as
/// it is, `?` and `%` included. `Debug` shows the SQLite file, never a PostgreSQL URL (it
/// may hold a password).
///
/// ```
/// use phone_verify_sql_store::{DatabaseUrl, DatabaseUrlError};
///
/// # #[cfg(feature = "sqlite")] {
/// let url = DatabaseUrl::parse("sqlite://records%2Ddb.sqlite")?;
/// assert_eq!(url.sqlite_path().unwrap(), std::path::Path::new("records-db.sqlite"));
/// let file = DatabaseUrl::sqlite_file("a?mode=memory");
/// assert_eq!(file.sqlite_path().unwrap(), std::path::Path::new("a?mode=memory"));
/// # }
/// assert_eq!(DatabaseUrl::parse("mysql://db/app").unwrap_err(), DatabaseUrlError::UnknownScheme);
/// # Ok::<(), DatabaseUrlError>(())
/// ```
#[derive(Clone)]
pub struct DatabaseUrl {
    pub(crate) target: Target,
}

#[derive(Clone)]
pub(crate) enum Target {
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteTarget),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::postgres::PgConnectOptions),
}

/// A SQLite database and what its URL said about it.
#[cfg(feature = "sqlite")]
#[derive(Clone)]
pub(crate) struct SqliteTarget {
    pub(crate) connect: sqlx::sqlite::SqliteConnectOptions,
    /// `sqlite::memory:` or `?mode=memory`: no file.
    pub(crate) in_memory: bool,
    /// `?mode=ro`.
    pub(crate) read_only: bool,
}

/// Why a string is not a [`DatabaseUrl`]. The message never quotes the URL: it may hold a
/// password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseUrlError {
    /// The scheme is neither `sqlite:` nor `postgres:`/`postgresql:`, or names a backend this
    /// build leaves out.
    #[error("the URL names no backend of this build (sqlite: or postgres:)")]
    UnknownScheme,
    /// A `sqlite:` URL sqlx cannot read (an unknown query parameter or `mode`, a path that is
    /// not UTF-8 once decoded).
    #[error("not a SQLite URL (sqlite://path/to/file.db)")]
    BadSqlite,
    /// A `sqlite:` URL that names no file (`sqlite://`).
    #[error("the SQLite URL names no file")]
    NoFile,
    /// A `postgres:` URL sqlx cannot read (a bad port, a bad parameter).
    #[error("not a PostgreSQL URL (postgres://user@host:5432/database)")]
    BadPostgres,
    /// A `postgres:` URL whose `sslmode` is none of PostgreSQL's six.
    #[error("the URL's sslmode is none of disable, allow, prefer, require, verify-ca, verify-full")]
    BadSslMode,
    /// A `postgres:` URL whose `sslrootcert` names no file that exists: the certificates to
    /// trust are missing, which is configuration, not a database out of reach.
    #[error("the URL's sslrootcert names no file that exists")]
    MissingRootCert,
}

/// Reads a `postgres:` URL, telling an unknown `sslmode` from any other malformed URL.
#[cfg(feature = "postgres")]
pub(crate) fn postgres_options(
    url: &str,
) -> Result<sqlx::postgres::PgConnectOptions, DatabaseUrlError> {
    const MODES: [&str; 6] = [
        "disable",
        "allow",
        "prefer",
        "require",
        "verify-ca",
        "verify-full",
    ];
    let query = url.split_once('?').map_or("", |(_, query)| query);
    let bad_mode = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .any(|(name, value)| name == "sslmode" && !MODES.contains(&value));
    if bad_mode {
        return Err(DatabaseUrlError::BadSslMode);
    }
    // A root certificate file that does not exist reads, once connecting, as an I/O error
    // like a server out of reach; it is a configuration error, said before anything else.
    // (A value with percent-escapes is left to the driver.)
    let missing_root = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .any(|(name, value)| {
            name == "sslrootcert"
                && !value.contains('%')
                && value != "system"
                && !std::path::Path::new(value).is_file()
        });
    if missing_root {
        return Err(DatabaseUrlError::MissingRootCert);
    }
    sqlx::postgres::PgConnectOptions::from_str(url).map_err(|_| DatabaseUrlError::BadPostgres)
}

impl DatabaseUrl {
    /// Reads a database URL.
    ///
    /// # Errors
    ///
    /// [`DatabaseUrlError`]: an unknown scheme, or a URL its backend cannot read.
    pub fn parse(url: &str) -> Result<Self, DatabaseUrlError> {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        match scheme.to_ascii_lowercase().as_str() {
            #[cfg(feature = "sqlite")]
            "sqlite" => Self::parse_sqlite(&url[scheme.len() + 1..]),
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => postgres_options(url).map(|connect| Self {
                target: Target::Postgres(connect),
            }),
            _ => Err(DatabaseUrlError::UnknownScheme),
        }
    }

    #[cfg(feature = "sqlite")]
    fn parse_sqlite(rest: &str) -> Result<Self, DatabaseUrlError> {
        let connect = sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite:{rest}"))
            .map_err(|_| DatabaseUrlError::BadSqlite)?;
        // sqlx keeps what the URL said to itself: read the two facts the store needs again,
        // as sqlx reads them (`mode` as a plain query pair, `:memory:` as the whole path).
        let rest = rest.trim_start_matches("//");
        let (database, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mode = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == "mode")
            .map_or("", |(_, value)| value);
        let in_memory = database == ":memory:" || mode == "memory";
        if !in_memory && connect.get_filename().as_os_str().is_empty() {
            return Err(DatabaseUrlError::NoFile);
        }
        Ok(Self {
            target: Target::Sqlite(SqliteTarget {
                connect,
                in_memory,
                read_only: mode == "ro",
            }),
        })
    }

    /// The SQLite file at `path`, taken as it is: no percent-decoding, no query, and a
    /// relative path starting `file:` is a file of that name, not a SQLite URI.
    #[cfg(feature = "sqlite")]
    pub fn sqlite_file(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        // SQLite reads a name starting `file:` as a URI (sqlx opens with SQLITE_OPEN_URI).
        let path = if path.to_string_lossy().starts_with("file:") {
            Path::new(".").join(path)
        } else {
            path.to_owned()
        };
        Self {
            target: Target::Sqlite(SqliteTarget {
                connect: sqlx::sqlite::SqliteConnectOptions::new().filename(path),
                in_memory: false,
                read_only: false,
            }),
        }
    }

    /// The SQLite file this URL names (decoded), or `None` for an in-memory database and
    /// PostgreSQL.
    #[cfg(feature = "sqlite")]
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.target {
            Target::Sqlite(sqlite) if !sqlite.in_memory => Some(sqlite.connect.get_filename()),
            _ => None,
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match &self.target {
            #[cfg(feature = "sqlite")]
            Target::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Target::Postgres(_) => "postgres",
        }
    }
}

#[cfg(feature = "sqlite")]
impl SqliteTarget {
    /// The file SQLite will open, `None` in memory.
    pub(crate) fn file(&self) -> Option<PathBuf> {
        (!self.in_memory).then(|| self.connect.get_filename().to_owned())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("DatabaseUrl");
        debug.field("backend", &self.backend_name());
        #[cfg(feature = "sqlite")]
        if let Some(path) = self.sqlite_path() {
            debug.field("file", &path);
        }
        debug.finish_non_exhaustive()
    }
}

impl FromStr for DatabaseUrl {
    type Err = DatabaseUrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(all(test, feature = "sqlite", feature = "postgres"))]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_as_sqlx_reads_them_and_malformed_ones_are_refused_by_kind() {
        let table: [(&str, Result<Option<&str>, DatabaseUrlError>); 15] = [
            ("sqlite://records.db", Ok(Some("records.db"))),
            ("sqlite:records.db?mode=ro", Ok(Some("records.db"))),
            ("SQLite://e%41.db", Ok(Some("eA.db"))),
            ("sqlite::memory:", Ok(None)),
            ("sqlite://a.db?mode=memory", Ok(None)),
            ("postgres://app@db.internal/app", Ok(None)),
            ("sqlite://", Err(DatabaseUrlError::NoFile)),
            ("sqlite://a.db?mode=nope", Err(DatabaseUrlError::BadSqlite)),
            (
                "postgres://app@db:notaport/app",
                Err(DatabaseUrlError::BadPostgres),
            ),
            (
                "postgres://app@db/app?sslmode=bogus",
                Err(DatabaseUrlError::BadSslMode),
            ),
            ("postgres://app@db/app?sslmode=verify-full", Ok(None)),
            (
                "postgres://app@db/app?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
                Err(DatabaseUrlError::MissingRootCert),
            ),
            (
                "postgres://app@db/app?sslmode=verify-full&sslrootcert=Cargo.toml",
                Ok(None),
            ),
            ("records.db", Err(DatabaseUrlError::UnknownScheme)),
            ("mysql://db/app", Err(DatabaseUrlError::UnknownScheme)),
        ];
        for (url, expected) in table {
            let parsed = DatabaseUrl::parse(url);
            let got = parsed.map(|url| url.sqlite_path().map(|p| p.to_string_lossy().into_owned()));
            assert_eq!(
                got.as_ref().map(|p| p.as_deref()).map_err(|e| *e),
                expected,
                "{url}"
            );
        }
    }

    #[test]
    fn a_path_is_a_path() {
        for (path, file) in [
            ("a?mode=memory", "a?mode=memory"),
            ("e%41.db", "e%41.db"),
            ("file:x.db", "./file:x.db"),
            ("/tmp/file:x.db", "/tmp/file:x.db"),
        ] {
            let url = DatabaseUrl::sqlite_file(path);
            assert_eq!(url.sqlite_path(), Some(Path::new(file)), "{path}");
        }
    }

    #[test]
    fn debug_never_shows_a_postgres_url() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db/app").expect("a URL");
        assert!(!format!("{url:?}").contains("s3cret"), "{url:?}");
    }
}
