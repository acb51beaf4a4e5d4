//! Memory per in-flight send: many sends started at once and held by the simulator (a
//! `Delay` fault) while this process's heap and resident set are read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::load::burst;
use crate::memory;
use crate::report::InFlightRow;
use crate::run::Bench;
use crate::stores::StoreUnderTest;
use crate::targets::Sender;

/// Starts `count` sends through `sender` at once, waits until they have all reached the
/// simulator (which holds them), reads the memory, then lets them finish and checks them.
///
/// The heap figure is this process's live heap growth divided by `count`: the futures, the
/// connections of the pool, the buffers and, for the app, the records the store keeps.
pub(crate) async fn measure(
    bench: &Bench<'_>,
    name: &str,
    sender: &Arc<dyn Sender>,
    store: Option<&StoreUnderTest>,
    count: usize,
) -> anyhow::Result<InFlightRow> {
    let sim = &bench.sim;
    sim.reset().await?;
    // Long enough for every connection to be opened, whatever the count.
    let hold = Duration::from_secs(3) + Duration::from_millis(count as u64);
    sim.delay_next(count, hold).await?;
    let jobs = bench.numbers.jobs(count)?;
    let heap_before = memory::heap_live_bytes();
    let rss_before = memory::status_bytes(None, "VmRSS");
    let started = Instant::now();
    let handles = burst(sender, jobs);
    let deadline = started + hold.mul_f64(0.8);
    let arrived = loop {
        let arrived = sim.counters().await?.idmeta_send_requests;
        if arrived >= count as u64 || Instant::now() >= deadline {
            break arrived;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let heap_during = memory::heap_live_bytes();
    let rss_during = memory::status_bytes(None, "VmRSS");

    let mut errors = 0;
    let mut first_error = None;
    for handle in handles {
        let failure = match handle.await {
            Ok(Ok(())) => continue,
            Ok(Err(error)) => error,
            Err(panicked) => panicked.to_string(),
        };
        errors += 1;
        first_error.get_or_insert(failure);
    }
    if let Some(store) = store {
        let records = store.records().await?;
        if records.sent != count as u64 {
            errors += (count as u64).abs_diff(records.sent);
            first_error.get_or_insert(format!("{} records of {count} sends", records.sent));
        }
    }
    let per_send = |growth: f64| growth / count as f64;
    let row = InFlightRow {
        name: name.to_owned(),
        in_flight: count,
        arrived,
        heap_bytes_per_send: per_send((heap_during - heap_before) as f64),
        rss_bytes_per_send: rss_before
            .zip(rss_during)
            .map(|(before, during)| per_send(during as f64 - before as f64)),
        errors,
        first_error,
    };
    eprintln!(
        "{name}: {count} in flight ({arrived} reached the simulator): {:.0} heap bytes per send, {errors} errors",
        row.heap_bytes_per_send
    );
    Ok(row)
}
