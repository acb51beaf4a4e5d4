//! A SQLite file in a temporary directory for each test (feature `sqlite`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use phone_verify_app::{Reservation, SendLimits, VerificationStore};
use phone_verify_sql_store::{SqlVerificationStore, SqliteOptions};
use tempfile::TempDir;

use super::Disposable;
use super::{new_send, t0};

/// A temporary directory for SQLite files, removed on drop.
pub(crate) struct SqliteDir {
    dir: TempDir,
}

impl SqliteDir {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// The directory itself.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn file(&self) -> PathBuf {
        self.dir.path().join("phone-verify.db")
    }

    pub(crate) async fn open(&self, options: SqliteOptions) -> SqlVerificationStore {
        SqlVerificationStore::open_sqlite(self.file(), options)
            .await
            .expect("the SQLite store opens")
    }

    /// A store on the file, with one send reserved (in flight).
    pub(crate) async fn open_with_one_send(&self, options: SqliteOptions) -> SqlVerificationStore {
        let store = self.open(options).await;
        let reservation = store
            .reserve_send(new_send(1, "tv-a", t0()), &SendLimits::default())
            .await
            .expect("reserve");
        assert_eq!(reservation, Reservation::Reserved);
        store
    }
}

impl std::fmt::Debug for SqliteDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteDir")
    }
}

/// A store on a new SQLite file.
pub(crate) async fn disposable_sqlite() -> Arc<dyn VerificationStore> {
    let dir = SqliteDir::new();
    let store = dir.open(SqliteOptions::default()).await;
    Arc::new(Disposable { store, _guard: dir })
}

pub(crate) fn sqlite_url(path: &Path, mode: &str) -> String {
    format!("sqlite://{}?mode={mode}", path.display())
}
