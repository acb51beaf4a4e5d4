//! A read-only open changes nothing: no migration, no journal mode, no file created, no `-wal`
//! or `-shm` left once it is closed (SQLite), no schema created and no DDL (PostgreSQL). It
//! reads a store of this release or a newer one, refuses an older one by name, and beside a
//! live writer reads the writer's latest commits without taking its WAL away.

use std::time::Duration;

use phone_verify_app::{StoreError, VerificationStore};
use phone_verify_sql_store::{SchemaBehind, SqlVerificationStore};

use crate::support;

/// The [`SchemaBehind`] behind an open's error; fails the test when it is anything else.
fn behind(error: &StoreError) -> &SchemaBehind {
    match error {
        StoreError::Misconfigured { source } => source
            .downcast_ref::<SchemaBehind>()
            .unwrap_or_else(|| panic!("not a SchemaBehind: {error:?}")),
        other => panic!("not misconfigured: {other:?}"),
    }
}

/// What a read-only command reads: the history, the purge's and the conversion's counts.
async fn read_everything(store: &SqlVerificationStore) -> (usize, u64) {
    let history = support::history_of_number(store).await;
    let later = support::t0() + Duration::from_secs(400 * 24 * 3600);
    store
        .count_purgeable(later)
        .await
        .expect("the purge's count reads");
    let clear = store.count_clear_numbers().await.expect("the count reads");
    (history.len(), clear)
}

/// Migration 6 undone as a release before it would have left the database: without its table
/// and its row in `_sqlx_migrations` (a store behind this release, whatever came after 6).
const UNDO_LAST_MIGRATION: [&str; 2] = [
    "DROP TABLE verification_number_keys",
    "DELETE FROM _sqlx_migrations WHERE version = 6",
];

#[cfg(feature = "sqlite")]
mod sqlite {
    use phone_verify_app::{Reservation, SendLimits, VerificationStore};
    use phone_verify_sql_store::{
        DirectorySnapshot, SqlFailureKind, SqlVerificationStore, SqliteOptions, StorePlace,
    };

    use super::{UNDO_LAST_MIGRATION, behind, read_everything};
    use crate::support::{self, SqliteDir};

    fn read_only() -> SqliteOptions {
        SqliteOptions::default().read_only(true)
    }

    fn beside(dir: &SqliteDir, suffix: &str) -> std::path::PathBuf {
        let mut name = dir.file().into_os_string();
        name.push(suffix);
        name.into()
    }

    /// A plain sqlx connection to the file, as another program would open it (one
    /// connection, not a pool, so that closing it is done when `close` returns).
    async fn raw_connection(dir: &SqliteDir) -> sqlx::SqliteConnection {
        let connect = sqlx::sqlite::SqliteConnectOptions::new().filename(dir.file());
        sqlx::Connection::connect_with(&connect)
            .await
            .expect("opens")
    }

    #[tokio::test]
    async fn a_read_only_open_of_a_store_leaves_its_file_and_directory_as_they_were() {
        let dir = SqliteDir::new();
        let store = dir.open_with_one_send(SqliteOptions::default()).await;
        store.close().await;
        let before = DirectorySnapshot::of(dir.path());
        for how in ["read_only(true)", "?mode=ro"] {
            let store = if how == "?mode=ro" {
                SqlVerificationStore::open(&support::sqlite_url(&dir.file(), "ro"))
                    .await
                    .expect("opens read-only through a URL")
            } else {
                dir.open(read_only()).await
            };
            assert_eq!(read_everything(&store).await, (1, 1), "{how}");
            assert!(
                beside(&dir, "-wal").exists(),
                "{how}: SQLite keeps a WAL file while the store is open"
            );
            store.close().await;
            assert_eq!(
                DirectorySnapshot::of(dir.path()),
                before,
                "{how}: the same bytes and times, and no -wal or -shm left"
            );
        }
    }

    #[tokio::test]
    async fn a_read_only_open_of_a_missing_file_creates_nothing() {
        let dir = SqliteDir::new();
        let error = SqlVerificationStore::open_sqlite(dir.file(), read_only())
            .await
            .expect_err("no file");
        assert_eq!(support::failure_kind(&error), Some(SqlFailureKind::Missing));
        let left = std::fs::read_dir(dir.path())
            .expect("the directory")
            .count();
        assert_eq!(left, 0, "the directory is still empty");
    }

    #[tokio::test]
    async fn a_read_only_open_beside_a_live_writer_reads_its_latest_writes_and_leaves_its_wal_to_it()
     {
        let dir = SqliteDir::new();
        let writer = dir.open_with_one_send(SqliteOptions::default()).await;
        let reader = dir.open(read_only()).await;
        assert_eq!(
            support::history_of_number(&reader).await.len(),
            1,
            "the writer's send, still in its WAL"
        );
        reader.close().await;
        assert!(
            beside(&dir, "-wal").exists(),
            "the writer's WAL is the writer's"
        );
        let later = support::t0() + std::time::Duration::from_secs(3600);
        let reserved = writer
            .reserve_send(support::new_send(2, "tv-b", later), &SendLimits::default())
            .await
            .expect("the writer goes on");
        assert_eq!(reserved, Reservation::Reserved);
        writer.close().await;
        assert!(!beside(&dir, "-wal").exists() && !beside(&dir, "-shm").exists());
        let reopened = dir.open(read_only()).await;
        assert_eq!(support::history_of_number(&reopened).await.len(), 2);
        reopened.close().await;
    }

    /// The removal of the `-wal` a reader created must never take a WAL a writer that
    /// started meanwhile still writes to.
    #[tokio::test]
    async fn a_writer_that_starts_beside_a_read_only_open_loses_nothing() {
        let dir = SqliteDir::new();
        dir.open_with_one_send(SqliteOptions::default())
            .await
            .close()
            .await;
        let reader = dir.open(read_only()).await;
        assert_eq!(support::history_of_number(&reader).await.len(), 1);
        let writer = dir.open(SqliteOptions::default()).await;
        let send = |n, tv, hours: u64| {
            let at = support::t0() + std::time::Duration::from_secs(hours * 3600);
            support::new_send(n, tv, at)
        };
        let reserved = writer
            .reserve_send(send(2, "tv-b", 2), &SendLimits::default())
            .await
            .expect("reserves");
        assert_eq!(reserved, Reservation::Reserved);
        reader.close().await;
        let reserved = writer
            .reserve_send(send(3, "tv-c", 3), &SendLimits::default())
            .await
            .expect("reserves after the reader closed");
        assert_eq!(reserved, Reservation::Reserved);
        assert_eq!(support::history_of_number(&writer).await.len(), 3);
        writer.close().await;
        let reopened = dir.open(read_only()).await;
        assert_eq!(
            support::history_of_number(&reopened).await.len(),
            3,
            "every commit of the writer is in the file"
        );
        reopened.close().await;
        assert!(!beside(&dir, "-wal").exists() && !beside(&dir, "-shm").exists());
    }

    #[tokio::test]
    async fn a_read_only_open_refuses_a_store_older_than_this_release_and_reads_a_newer_one() {
        let dir = SqliteDir::new();
        dir.open_with_one_send(SqliteOptions::default())
            .await
            .close()
            .await;
        let mut connection = raw_connection(&dir).await;
        for statement in UNDO_LAST_MIGRATION {
            sqlx::query(statement)
                .execute(&mut connection)
                .await
                .expect("undone");
        }
        sqlx::Connection::close(connection).await.expect("closes");

        let before = DirectorySnapshot::of(dir.path());
        let error = SqlVerificationStore::open_sqlite(dir.file(), read_only())
            .await
            .expect_err("an older store is not migrated read-only");
        assert_eq!(behind(&error).place(), &StorePlace::File(dir.file()));
        let said = phone_verify_domain::error_chain(&error);
        assert!(
            said.contains(&dir.file().display().to_string())
                && said.contains("older than this release"),
            "{said}"
        );
        assert_eq!(DirectorySnapshot::of(dir.path()), before, "not migrated");

        // A writing open brings it up to date; then a newer release adds a migration.
        dir.open(SqliteOptions::default()).await.close().await;
        let newer = tempfile::tempdir().expect("a directory");
        std::fs::write(
            newer.path().join("1000_newer_release.sql"),
            "CREATE TABLE verification_newer_things (x INTEGER)",
        )
        .expect("a migration file");
        let mut migrator = sqlx::migrate::Migrator::new(newer.path())
            .await
            .expect("a migrator");
        migrator.set_ignore_missing(true);
        let mut connection = raw_connection(&dir).await;
        migrator
            .run(&mut connection)
            .await
            .expect("the newer release migrates");
        sqlx::Connection::close(connection).await.expect("closes");
        let store = dir.open(read_only()).await;
        assert_eq!(read_everything(&store).await, (1, 1), "a newer store reads");
        store.close().await;
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use std::time::Duration;

    use phone_verify_app::{SendLimits, StoreError, VerificationStore};
    use phone_verify_sql_store::{SqlVerificationStore, StorePlace};

    use super::{UNDO_LAST_MIGRATION, behind, read_everything};
    use crate::support;

    #[tokio::test]
    async fn a_read_only_postgres_open_creates_no_schema_runs_no_ddl_and_writes_nothing() {
        let Some(url) = phone_verify_sql_store::test_postgres_url(
            "a_read_only_postgres_open_creates_no_schema_runs_no_ddl_and_writes_nothing",
        ) else {
            return;
        };
        let schema = support::FreshSchema::new(&url).await;
        let open_read_only =
            || SqlVerificationStore::open_postgres(&url, schema.options().read_only(true));

        let error = open_read_only().await.expect_err("no schema");
        let StoreError::Misconfigured { source } = &error else {
            panic!("{error:?}");
        };
        let missing = source
            .downcast_ref::<phone_verify_sql_store::NotOurStore>()
            .expect("not a store");
        assert_eq!(
            missing.reason(),
            phone_verify_sql_store::NotOurStoreReason::Missing
        );
        assert!(!schema.state().await.exists(), "no schema was created");

        let store = schema.connect().await;
        let reserved = store
            .reserve_send(
                support::new_send(1, "tv-a", support::t0()),
                &SendLimits::default(),
            )
            .await
            .expect("reserves");
        assert_eq!(reserved, phone_verify_app::Reservation::Reserved);
        store.close().await;
        let before = schema.state().await;
        let reader = open_read_only()
            .await
            .expect("reads a store of this release");
        assert_eq!(read_everything(&reader).await, (1, 1));
        let later = support::t0() + Duration::from_secs(3600);
        let refused = reader
            .reserve_send(support::new_send(2, "tv-b", later), &SendLimits::default())
            .await
            .expect_err("a read-only connection writes nothing");
        assert_eq!(
            support::failure_kind(&refused),
            Some(phone_verify_sql_store::SqlFailureKind::ReadOnly)
        );
        reader.close().await;
        assert_eq!(schema.state().await, before, "nothing written");

        let pool = schema.raw_pool().await;
        for statement in UNDO_LAST_MIGRATION {
            sqlx::query(statement).execute(&pool).await.expect("undone");
        }
        pool.close().await;
        let older = schema.state().await;
        let error = open_read_only().await.expect_err("not migrated read-only");
        assert_eq!(
            behind(&error).place(),
            &StorePlace::Schema(schema.name().clone())
        );
        assert_eq!(schema.state().await, older, "no DDL");
        schema.connect().await.close().await;
        assert_eq!(schema.state().await, before, "a writing open migrates it");
    }
}
