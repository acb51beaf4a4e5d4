//! Shared by the tests: running the helper programs, counting what a store file holds.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use phone_verify_reliability::process::READY;
use sqlx::{ConnectOptions as _, Connection as _};

/// A helper program running as a child process, killed when dropped.
pub(crate) struct Helper {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Helper {
    /// Starts `program` with `args`, its stdin and stdout piped to the test.
    pub(crate) fn spawn(program: &str, args: &[&str]) -> Self {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("{program} starts: {error}"));
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Self { child, stdout }
    }

    /// The next line it prints (empty at its end).
    pub(crate) fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("reads its stdout");
        line.trim_end().to_owned()
    }

    /// Waits for its `ready` line.
    pub(crate) fn ready(mut self) -> Self {
        let line = self.line();
        assert_eq!(line, READY, "the helper says it is ready");
        self
    }

    /// Kills it (SIGKILL) and waits for it to be gone.
    pub(crate) fn kill(&mut self) {
        self.child.kill().ok();
        self.child.wait().expect("the helper is reaped");
    }

    /// Closes its stdin (the lock holder then releases its lock) and waits for it to exit.
    pub(crate) fn finish(&mut self) {
        drop(self.child.stdin.take());
        let status = self.child.wait().expect("the helper is reaped");
        assert!(status.success(), "the helper exits cleanly: {status}");
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// The rows of the store's table in the SQLite file at `database`, counted with SQL: what a
/// test finds through the store's queries must add up to it.
pub(crate) async fn rows(database: &Path) -> u64 {
    let mut connection = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(database)
        .connect()
        .await
        .expect("opens");
    let (rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM verification_attempts")
        .fetch_one(&mut connection)
        .await
        .expect("counts");
    connection.close().await.expect("closes");
    u64::try_from(rows).expect("a count")
}

/// Runs `program` with `args` to its end, off the runtime's threads (the simulator it talks
/// to runs on them), and returns what it printed; fails the test if it failed.
pub(crate) async fn run_to_end(program: &'static str, args: Vec<String>) -> Output {
    let output = tokio::task::spawn_blocking(move || {
        Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|error| panic!("{program} starts: {error}"))
    })
    .await
    .expect("joined");
    assert!(
        output.status.success(),
        "{program} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
