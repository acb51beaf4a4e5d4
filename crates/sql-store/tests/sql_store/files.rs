//! The SQLite file itself: created owner-only with its `-wal` and `-shm`, an existing file's
//! mode left as it is, and no file created where the options say a store must exist already.

use phone_verify_app::VerificationStore;
use phone_verify_sql_store::{SqlFailure, SqlFailureKind, SqlVerificationStore, SqliteOptions};

use crate::support::{self, SqliteDir};

/// The permission bits of `path`.
#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The store's file and its `-wal` and `-shm`, which exist while the store is open and has
/// written.
fn three_files(dir: &SqliteDir) -> [std::path::PathBuf; 3] {
    let file = dir.file();
    let with = |suffix: &str| {
        let mut name = file.clone().into_os_string();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    [file.clone(), with("-wal"), with("-shm")]
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_store_and_its_wal_and_shm_are_readable_by_their_owner_only() {
    let dir = SqliteDir::new();
    let store = dir.open_with_one_send(SqliteOptions::default()).await;
    for file in three_files(&dir) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    store.close().await;
}

#[cfg(unix)]
#[tokio::test]
async fn an_existing_file_keeps_its_mode_and_lends_it_to_the_wal_and_shm() {
    use std::os::unix::fs::PermissionsExt;
    let dir = SqliteDir::new();
    std::fs::write(dir.file(), b"").expect("an empty file");
    std::fs::set_permissions(dir.file(), std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let store = dir.open_with_one_send(SqliteOptions::default()).await;
    assert_eq!(store.created(), None, "the file was there");
    for file in three_files(&dir) {
        assert_eq!(mode(&file), 0o640, "{}", file.display());
    }
    store.close().await;
}

#[tokio::test]
async fn a_store_that_must_exist_is_not_created_and_says_where_it_looked() {
    let dir = SqliteDir::new();
    let error = SqlVerificationStore::open_sqlite(
        dir.file(),
        SqliteOptions::default().create_if_missing(false),
    )
    .await
    .expect_err("no file, and not to create one");
    assert_eq!(support::failure_kind(&error), Some(SqlFailureKind::Missing));
    let phone_verify_app::StoreError::Unavailable { source } = &error else {
        panic!("{error:?}");
    };
    let failure = source.downcast_ref::<SqlFailure>().expect("a SqlFailure");
    assert_eq!(failure.path(), Some(dir.file().as_path()));
    assert_eq!(
        failure.to_string(),
        format!("no store at {}", dir.file().display())
    );
    assert!(!dir.file().exists(), "no file was created");
}

#[tokio::test]
async fn opening_says_whether_it_created_the_file() {
    let dir = SqliteDir::new();
    let first = dir.open(SqliteOptions::default()).await;
    assert_eq!(first.created(), Some(dir.file().as_path()));
    first.close().await;
    let again = dir
        .open(SqliteOptions::default().create_if_missing(false))
        .await;
    assert_eq!(again.created(), None);
    again.close().await;
}

#[tokio::test]
async fn closing_the_store_checkpoints_the_wal_and_removes_it() {
    let dir = SqliteDir::new();
    let store = dir.open_with_one_send(SqliteOptions::default()).await;
    let [_, wal, shm] = three_files(&dir);
    assert!(wal.exists(), "the WAL exists while the store is open");
    store.close().await;
    assert!(!wal.exists(), "the WAL is gone after close");
    assert!(!shm.exists(), "the shared memory file is gone after close");
    let reopened = dir.open(SqliteOptions::default()).await;
    let listed = reopened
        .history(
            &phone_verify_app::HistorySubject::TrustValidation(support::validation("tv-a")),
            phone_verify_app::PageRequest::first(10),
        )
        .await
        .expect("history");
    assert_eq!(
        listed.items.len(),
        1,
        "the send was checkpointed into the file"
    );
    reopened.close().await;
}
