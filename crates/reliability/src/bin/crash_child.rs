//! Sends codes until it is killed, as a busy application would:
//! `crash_child <simulator base URL> <database file> <concurrency> <max sends>`.
//!
//! Wires the adapter and the SQLite store through the facade's builder, as the CLI does,
//! makes one send, prints `ready`, then runs `concurrency` workers that send to distinct
//! numbers (`fixture::mobile_number(i)`, trust validation `crash-i`) until `max sends` were
//! made or the process is killed. Failures are expected (the test may inject faults) and ignored: the
//! test judges what was recorded, not what this process saw.

use std::time::Duration;

use anyhow::Context as _;
use phone_verify::PhoneVerification;
use phone_verify::idmeta::RetryPolicy;
use phone_verify_app::SendPolicy;
use phone_verify_reliability::drive::concurrently;
use phone_verify_reliability::fixture::{mobile_number, send_request, trust_validation};
use phone_verify_reliability::gateway_builder;
use phone_verify_reliability::process::READY;
use phone_verify_sql_store::SqliteOptions;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let usage = "usage: crash_child <base URL> <database> <concurrency> <max sends>";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base_url, database, concurrency, max_sends] = args.as_slice() else {
        anyhow::bail!(usage);
    };
    let concurrency: u32 = concurrency.parse().context(usage)?;
    let max_sends: u32 = max_sends.parse().context(usage)?;

    let verification = PhoneVerification::builder()
        .idmeta(
            gateway_builder(base_url)
                .request_timeout(Duration::from_secs(5))
                .retry_policy(RetryPolicy::default()),
        )
        .sqlite_with(database, SqliteOptions::default())
        .send_policy(SendPolicy::default())
        .build()
        .await
        .context("the library is wired")?;
    // One send before `ready`, so the kill, timed from `ready`, always lands while sending.
    let send_one = move |index| {
        let verification = verification.clone();
        async move {
            let request = send_request(mobile_number(index), trust_validation("crash", index));
            // Any outcome will do: the record is what the test judges.
            let _ = verification.send_code(&request).await;
        }
    };
    send_one(0).await;
    println!("{READY}");
    concurrently(1..max_sends, concurrency, send_one).await;
    Ok(())
}
