//! Migrations run on open, and several instances opening one new database at once all
//! succeed: one migrates, the others find the schema up to date.

use futures_util::future::join_all;
use phone_verify_sql_store::SqlVerificationStore;
#[cfg(feature = "sqlite")]
use phone_verify_sql_store::SqliteOptions;

#[cfg(feature = "postgres")]
use crate::support::FreshSchema;
#[cfg(feature = "sqlite")]
use crate::support::{self, SqliteDir};

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_instances_opening_a_new_sqlite_file_at_once_all_open_it() {
    // Twenty new files, four instances each: turning a new file to WAL once failed as `Locked`
    // while another instance had it open, about one file in two; over twenty files that is
    // caught nearly always.
    for _ in 0..20 {
        let dir = SqliteDir::new();
        let opened = join_all(
            (0..8).map(|_| SqlVerificationStore::open_sqlite(dir.file(), SqliteOptions::default())),
        )
        .await;
        for store in opened {
            let store = store.expect("every instance opens the file");
            store.migrate().await.expect("migrating again is a no-op");
            store.close().await;
        }
    }
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_instances_connecting_to_a_new_postgres_schema_at_once_all_connect() {
    let Some(url) = phone_verify_sql_store::test_postgres_url(
        "four_instances_connecting_to_a_new_postgres_schema_at_once_all_connect",
    ) else {
        return;
    };
    let schema = FreshSchema::new(&url).await;
    let connected =
        join_all((0..4).map(|_| SqlVerificationStore::open_postgres(&url, schema.options()))).await;
    for store in connected {
        let store = store.expect("every instance connects");
        store.migrate().await.expect("migrating again is a no-op");
    }
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn a_url_names_the_backend() {
    let dir = SqliteDir::new();
    let url = support::sqlite_url(&dir.file(), "rwc");
    let store = SqlVerificationStore::open(&url).await.expect("opens");
    assert_eq!(store.backend_name(), "sqlite");
    // The engine its metrics are labelled with (docs/operations.md).
    assert_eq!(store.clone().into_port().engine(), "sqlite");
    let error = SqlVerificationStore::open("mysql://localhost/db")
        .await
        .expect_err("no MySQL backend");
    assert_eq!(
        support::failure_kind(&error),
        Some(phone_verify_sql_store::SqlFailureKind::Connection)
    );
}
