//! A database that is not a phone-verify store is refused by name, by every open (writing or
//! read-only), before anything is written to it: another application's SQLite file or
//! PostgreSQL schema, another sqlx application's, an empty file where a store must exist, a
//! file that is not SQLite. The file, its directory and the schema are as they were.

use phone_verify_app::StoreError;
use phone_verify_sql_store::{NotOurStore, NotOurStoreReason};

/// The [`NotOurStore`] behind an open's error; fails the test when it is anything else.
fn not_ours(error: &StoreError) -> &NotOurStore {
    match error {
        StoreError::Misconfigured { source } => source
            .downcast_ref::<NotOurStore>()
            .unwrap_or_else(|| panic!("not a NotOurStore: {error:?}")),
        other => panic!("not misconfigured: {other:?}"),
    }
}

/// The reason each kind of foreign database is refused for.
fn reason_for(foreign: phone_verify_sql_store::ForeignDatabase) -> NotOurStoreReason {
    match foreign {
        phone_verify_sql_store::ForeignDatabase::Tables => NotOurStoreReason::OtherTables,
        _ => NotOurStoreReason::OtherMigrations,
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use phone_verify_sql_store::{
        DirectorySnapshot, ForeignDatabase, NotOurStoreReason, SqlVerificationStore, SqliteOptions,
        StorePlace,
    };

    use super::{not_ours, reason_for};
    use crate::support::{self, SqliteDir};

    /// Every way of opening an existing file: creating if missing, needing it to exist,
    /// read-only, and read-only through a `?mode=ro` URL.
    async fn open_every_way(dir: &SqliteDir) -> Vec<(&'static str, phone_verify_app::StoreError)> {
        let mut refused = Vec::new();
        for (how, options) in [
            ("creating", SqliteOptions::default()),
            (
                "existing",
                SqliteOptions::default().create_if_missing(false),
            ),
            ("read-only", SqliteOptions::default().read_only(true)),
        ] {
            let error = SqlVerificationStore::open_sqlite(dir.file(), options)
                .await
                .expect_err(how);
            refused.push((how, error));
        }
        let error = SqlVerificationStore::open(&support::sqlite_url(&dir.file(), "ro"))
            .await
            .expect_err("?mode=ro");
        refused.push(("?mode=ro", error));
        refused
    }

    #[tokio::test]
    async fn another_applications_sqlite_file_is_refused_by_name_and_left_as_it_was() {
        for foreign in ForeignDatabase::ALL {
            let dir = SqliteDir::new();
            foreign.write_sqlite(&dir.file()).await.expect("their file");
            let before = DirectorySnapshot::of(dir.path());
            for (how, error) in open_every_way(&dir).await {
                let refused = not_ours(&error);
                assert_eq!(refused.reason(), reason_for(foreign), "{foreign:?} {how}");
                assert_eq!(refused.place(), &StorePlace::File(dir.file()), "{how}");
                let said = phone_verify_domain::error_chain(&error);
                assert!(
                    said.contains(&format!(
                        "the file {} is not a phone-verify store",
                        dir.file().display()
                    )),
                    "{foreign:?} {how}: {said}"
                );
                assert_eq!(
                    DirectorySnapshot::of(dir.path()),
                    before,
                    "{foreign:?} {how}: not migrated, not switched to WAL, no -wal or -shm left"
                );
            }
        }
    }

    #[tokio::test]
    async fn an_empty_file_is_a_new_store_only_to_an_open_that_may_create_one() {
        let dir = SqliteDir::new();
        std::fs::write(dir.file(), b"").expect("a 0-byte file");
        let before = DirectorySnapshot::of(dir.path());
        for options in [
            SqliteOptions::default().create_if_missing(false),
            SqliteOptions::default().read_only(true),
        ] {
            let error = SqlVerificationStore::open_sqlite(dir.file(), options.clone())
                .await
                .expect_err("an empty file is no store");
            assert_eq!(
                not_ours(&error).reason(),
                NotOurStoreReason::Empty,
                "{options:?}"
            );
            assert_eq!(DirectorySnapshot::of(dir.path()), before, "{options:?}");
        }
        // Two instances creating one store at once both find the file empty: the second
        // must take it as the new store the first is making.
        let store = dir.open_with_one_send(SqliteOptions::default()).await;
        assert_eq!(store.created(), None, "it was there");
        store.close().await;
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_database_is_refused_as_not_sqlite_and_left_as_it_was() {
        for contents in [
            b"this is not a SQLite database, ".repeat(200),
            b"SQLite".to_vec(),
        ] {
            let dir = SqliteDir::new();
            std::fs::write(dir.file(), &contents).expect("the file is written");
            let before = DirectorySnapshot::of(dir.path());
            for (how, error) in open_every_way(&dir).await {
                assert_eq!(
                    not_ours(&error).reason(),
                    NotOurStoreReason::NotSqlite,
                    "{how}"
                );
                assert_eq!(
                    error.to_string(),
                    "the store cannot be used as configured",
                    "the port's message, the cause in the source"
                );
            }
            assert_eq!(DirectorySnapshot::of(dir.path()), before);
        }
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use phone_verify_sql_store::{ForeignDatabase, SqlVerificationStore, StorePlace};

    use super::{not_ours, reason_for};
    use crate::support::FreshSchema;

    #[tokio::test]
    async fn another_applications_postgres_schema_is_refused_by_name_and_left_as_it_was() {
        let Some(url) = phone_verify_sql_store::test_postgres_url(
            "another_applications_postgres_schema_is_refused_by_name_and_left_as_it_was",
        ) else {
            return;
        };
        for foreign in ForeignDatabase::ALL {
            let schema = FreshSchema::new(&url).await;
            foreign
                .write_postgres(&url, schema.name())
                .await
                .expect("their schema");
            let before = schema.state().await;
            for read_only in [false, true] {
                let options = schema.options().read_only(read_only);
                let error = SqlVerificationStore::open_postgres(&url, options)
                    .await
                    .expect_err("not ours");
                let refused = not_ours(&error);
                assert_eq!(refused.reason(), reason_for(foreign), "{foreign:?}");
                assert_eq!(
                    refused.place(),
                    &StorePlace::Schema(schema.name().clone()),
                    "{foreign:?}"
                );
                let said = phone_verify_domain::error_chain(&error);
                assert!(
                    said.contains(&format!(
                        "the PostgreSQL schema {} is not a phone-verify store",
                        schema.name()
                    )),
                    "{said}"
                );
                assert!(!said.contains(&url), "never the URL: {said}");
                assert_eq!(
                    schema.state().await,
                    before,
                    "{foreign:?}, read-only {read_only}: nothing created or migrated"
                );
            }
        }
    }
}
