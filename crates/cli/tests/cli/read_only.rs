//! Commands that only read never write, and no command writes to a database that is not a
//! phone-verify store: `history` and the dry runs of `purge` and `protect-numbers` leave the
//! store file's bytes, its modification time and its directory as they were (no migration, no
//! WAL switch, no `-wal` or `-shm` left, no file created); on another application's SQLite
//! file, another sqlx application's, or an empty file, every command is refused by the file's
//! name with the configuration exit code, and the file is left as it was. On PostgreSQL, the
//! read-only commands create no schema and run no DDL, and another application's schema is
//! refused by its name.

use std::process::Command;

use phone_verify_sql_store::{DirectorySnapshot, ForeignDatabase, SchemaName, SchemaSnapshot};
use sqlx::Connection;

use crate::support::{NUMBER, Workspace, binary, fails_with, run, send, simulator};

/// A number key, for `protect-numbers`, from the environment (no key file in the directory).
fn with_key(command: &mut Command) -> &mut Command {
    command.env(
        "PHONE_VERIFY_NUMBER_KEYS",
        format!("k1:{}", "5c".repeat(32)),
    )
}

/// The binary with `args`, on the store at `url`, with a number key.
fn on_database(url: &str, args: &[&str]) -> Command {
    let mut command = binary();
    command.args(args).args(["--database-url", url]);
    with_key(&mut command);
    command
}

/// The binary with `args`, on `ws`'s store, with a number key.
fn on_store(ws: &Workspace, args: &[&str]) -> Command {
    on_database(&ws.database_url(), args)
}

/// The commands that only read, each on `ws`'s store.
fn read_only_commands(ws: &Workspace) -> Vec<(&'static str, Command)> {
    let command = |args: &[&str]| on_store(ws, args);
    vec![
        ("history", command(&["history", "--phone", NUMBER])),
        (
            "purge (dry run)",
            command(&["purge", "--older-than", "90d"]),
        ),
        ("protect-numbers (dry run)", command(&["protect-numbers"])),
    ]
}

/// The commands that write to a store that exists, each on `ws`'s store.
fn writing_commands(ws: &Workspace) -> Vec<(&'static str, Command)> {
    let command = |args: &[&str]| on_store(ws, args);
    vec![
        ("reconcile", command(&["reconcile"])),
        (
            "purge --delete",
            command(&["purge", "--older-than", "90d", "--delete"]),
        ),
        (
            "protect-numbers --convert",
            command(&["protect-numbers", "--convert"]),
        ),
    ]
}

#[tokio::test]
async fn read_only_commands_leave_the_store_file_and_its_directory_as_they_were() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let sent = run(&mut send(&sim.base_url(), &ws.db(), NUMBER, "tv-read")).await;
    assert_eq!(sent.code, 0, "{}", sent.all());
    let before = DirectorySnapshot::of(ws.dir.path());
    for (name, mut command) in read_only_commands(&ws) {
        let listed = run(&mut command).await;
        assert_eq!(listed.code, 0, "{name}: {}", listed.all());
        assert_eq!(
            DirectorySnapshot::of(ws.dir.path()),
            before,
            "{name}: the same bytes and times, and no -wal or -shm left"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn every_command_refuses_another_applications_file_by_its_name_and_leaves_it_as_it_was() {
    let sim = simulator().await;
    for foreign in ForeignDatabase::ALL {
        let ws = Workspace::new();
        foreign.write_sqlite(&ws.db()).await.expect("their file");
        let before = DirectorySnapshot::of(ws.dir.path());
        let mut commands = read_only_commands(&ws);
        commands.extend(writing_commands(&ws));
        commands.push(("send", send(&sim.base_url(), &ws.db(), NUMBER, "tv-theirs")));
        for (name, mut command) in commands {
            let line = fails_with(&mut command, 3, "nothing was written").await;
            let expected = format!(
                "phone-verify: store: the store cannot be used as configured: the file {} is \
                 not a phone-verify store",
                ws.db().display()
            );
            assert!(line.starts_with(&expected), "{foreign:?} {name}: {line}");
            assert_eq!(
                DirectorySnapshot::of(ws.dir.path()),
                before,
                "{foreign:?} {name}: not migrated, not switched to WAL, nothing left beside it"
            );
        }
    }
    assert_eq!(
        sim.counters().requests_total,
        0,
        "the provider was not asked"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_empty_file_is_no_store_to_the_commands_that_need_one() {
    let ws = Workspace::new();
    std::fs::write(ws.db(), b"").expect("a 0-byte file");
    let before = DirectorySnapshot::of(ws.dir.path());
    let mut commands = read_only_commands(&ws);
    commands.extend(writing_commands(&ws));
    for (name, mut command) in commands {
        let line = fails_with(&mut command, 3, "nothing was written").await;
        assert!(
            line.ends_with(&format!(
                "the file {} is not a phone-verify store: it is empty",
                ws.db().display()
            )),
            "{name}: {line}"
        );
        assert_eq!(DirectorySnapshot::of(ws.dir.path()), before, "{name}");
    }
}

#[tokio::test]
async fn read_only_commands_on_a_missing_file_create_nothing() {
    let ws = Workspace::new();
    for (name, mut command) in read_only_commands(&ws) {
        fails_with(&mut command, 8, "no store at").await;
        let left = std::fs::read_dir(ws.dir.path())
            .expect("the directory")
            .count();
        assert_eq!(left, 0, "{name}: nothing created");
    }
}

/// A PostgreSQL database of its own for one test (the commands use the default schema,
/// `phone_verify`, which a shared database would share between tests), dropped on drop.
struct FreshDatabase {
    admin: String,
    name: String,
}

impl FreshDatabase {
    async fn new(admin: &str) -> Self {
        let random = unique_suffix();
        let name = format!("pv_cli_test_{random}");
        let mut connection = sqlx::PgConnection::connect(admin).await.expect("connects");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut connection)
            .await
            .expect("a database");
        sqlx::Connection::close(connection).await.expect("closes");
        Self {
            admin: admin.to_owned(),
            name,
        }
    }

    /// The database's URL: the test server's, with this database's name.
    fn url(&self) -> String {
        let (server, _) = self.admin.rsplit_once('/').expect("a URL with a database");
        format!("{server}/{}", self.name)
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop may run on a runtime thread: drop the database from a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let mut connection = sqlx::PgConnection::connect(&admin).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut connection)
                    .await?;
                sqlx::Connection::close(connection).await
            })
        })
        .join();
    }
}

/// Twelve lowercase hexadecimal digits from the clock and the process, for a database name.
fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!(
        "{:012x}",
        (nanos ^ u128::from(std::process::id()) << 40) & 0xffff_ffff_ffff
    )
}

#[tokio::test]
async fn on_postgresql_read_only_commands_change_nothing_and_another_applications_schema_is_refused()
 {
    let Some(admin) = phone_verify_sql_store::test_postgres_url(
        "on_postgresql_read_only_commands_change_nothing_and_another_applications_schema_is_refused",
    ) else {
        return;
    };
    let schema = SchemaName::parse("phone_verify").expect("the default schema");
    let read_only = |url: &str| {
        [
            on_database(url, &["history", "--phone", NUMBER]),
            on_database(url, &["purge", "--older-than", "90d"]),
            on_database(url, &["protect-numbers"]),
        ]
    };

    // No store: the read-only commands create no schema.
    let empty = FreshDatabase::new(&admin).await;
    for mut command in read_only(&empty.url()) {
        fails_with(
            &mut command,
            3,
            "the PostgreSQL schema phone_verify is not a phone-verify store: it does not exist",
        )
        .await;
    }
    let state = SchemaSnapshot::of(&empty.url(), &schema)
        .await
        .expect("reads");
    assert!(!state.exists(), "no schema was created");

    // A store: read, and nothing changes (no DDL, no migration bookkeeping, no rows).
    let made = run(&mut on_database(&empty.url(), &["reconcile"])).await;
    assert_eq!(
        made.code,
        0,
        "a writing command makes the store: {}",
        made.all()
    );
    let before = SchemaSnapshot::of(&empty.url(), &schema)
        .await
        .expect("reads");
    for mut command in read_only(&empty.url()) {
        let ran = run(&mut command).await;
        assert_eq!(ran.code, 0, "{}", ran.all());
    }
    assert_eq!(
        SchemaSnapshot::of(&empty.url(), &schema)
            .await
            .expect("reads"),
        before
    );

    // Another application's schema of that name: every command refuses it, by name.
    for foreign in ForeignDatabase::ALL {
        let theirs = FreshDatabase::new(&admin).await;
        foreign
            .write_postgres(&theirs.url(), &schema)
            .await
            .expect("their schema");
        let before = SchemaSnapshot::of(&theirs.url(), &schema)
            .await
            .expect("reads");
        let writing = [
            on_database(&theirs.url(), &["reconcile"]),
            on_database(&theirs.url(), &["purge", "--older-than", "90d", "--delete"]),
            on_database(&theirs.url(), &["protect-numbers", "--convert"]),
        ];
        for mut command in read_only(&theirs.url()).into_iter().chain(writing) {
            let line = fails_with(&mut command, 3, "nothing was written").await;
            assert!(
                line.contains("the PostgreSQL schema phone_verify is not a phone-verify store"),
                "{foreign:?}: {line}"
            );
            assert!(!line.contains(&theirs.url()), "never the URL: {line}");
        }
        assert_eq!(
            SchemaSnapshot::of(&theirs.url(), &schema)
                .await
                .expect("reads"),
            before,
            "{foreign:?}: nothing created, migrated or written"
        );
    }
}
