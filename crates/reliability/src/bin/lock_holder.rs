//! Holds a SQLite file's write lock from another process, as a second application (or an
//! operator's `sqlite3` shell) would: `lock_holder <database file>`.
//!
//! Opens the file, runs `BEGIN EXCLUSIVE`, prints `ready` on stdout, and holds the lock
//! until its stdin closes (then rolls back and exits) or it is killed.

use std::io::Read as _;

use anyhow::Context as _;
use phone_verify_reliability::process::READY;
use sqlx::{ConnectOptions as _, Connection as _};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .context("usage: lock_holder <database file>")?;
    let mut connection = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .connect()
        .await
        .context("the database opens")?;
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut connection)
        .await
        .context("the write lock is taken")?;
    println!("{READY}");
    // Blocks until the test closes our stdin; reading it on this thread is fine, there is
    // nothing else to run.
    let mut rest = Vec::new();
    std::io::stdin().read_to_end(&mut rest).ok();
    sqlx::query("ROLLBACK").execute(&mut connection).await?;
    connection.close().await?;
    Ok(())
}
