//! Sends codes until it is killed, as a busy application would:
//! `crash_child <simulator base URL> <database file> <concurrency> <max sends>`.
//!
//! Wires the adapter, the SQLite store and `SendCode` as the CLI does, makes one send, prints
//! `ready`, then runs `concurrency` workers that send to distinct numbers
//! (`fixture::mobile_number(i)`, trust validation `crash-i`) until `max sends` were made or
//! the process is killed. Failures are expected (the test may inject faults) and ignored: the
//! test judges what was recorded, not what this process saw.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use idmeta_adapter::RetryPolicy;
use phone_verify_app::{Ports, SendCode, SendPolicy};
use phone_verify_reliability::fixture::{mobile_number, send_request, trust_validation};
use phone_verify_reliability::process::READY;
use phone_verify_reliability::{gateway, open_store};
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

    let store = open_store(database.as_ref(), SqliteOptions::default()).await?;
    let client = gateway(base_url, Duration::from_secs(5), RetryPolicy::default())?;
    let send = SendCode::new(
        Ports::new(Arc::new(client), Arc::new(store)),
        SendPolicy::default(),
    );
    let next = Arc::new(AtomicU32::new(0));
    // One send before `ready`, so the kill, timed from `ready`, always lands while sending.
    let first = next.fetch_add(1, Ordering::Relaxed);
    let _ = send
        .send(send_request(
            mobile_number(first),
            trust_validation("crash", first),
        ))
        .await;
    println!("{READY}");

    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (send, next) = (send.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= max_sends {
                        break;
                    }
                    let request =
                        send_request(mobile_number(index), trust_validation("crash", index));
                    // Any outcome will do: the record is what the test judges.
                    let _ = send.send(request).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.context("a worker panicked")?;
    }
    Ok(())
}
