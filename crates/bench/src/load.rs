//! The load driver: a fixed number of prepared sends, spread over a fixed number of
//! concurrent senders, each timing its own sends.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::targets::Sender;
use crate::workload::Job;

/// What one batch of sends measured.
#[derive(Debug, Default)]
pub(crate) struct Measured {
    /// The latency of every send, errors included, unsorted.
    pub(crate) latencies: Vec<Duration>,
    /// Sends that failed.
    pub(crate) errors: u64,
    /// What the first failure said.
    pub(crate) first_error: Option<String>,
    /// From the first send started to the last one finished.
    pub(crate) wall: Duration,
}

/// Sends the jobs through `sender`, `concurrency` at a time: each of `concurrency` tasks
/// takes the next job as soon as its previous send returns (a closed loop). With a
/// `deadline`, no job is started after it (the rest are left unsent).
pub(crate) async fn drive(
    sender: Arc<dyn Sender>,
    jobs: Vec<Job>,
    concurrency: usize,
    deadline: Option<Instant>,
) -> Measured {
    let jobs = Arc::new(jobs);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (sender, jobs, next) = (Arc::clone(&sender), Arc::clone(&jobs), Arc::clone(&next));
            tokio::spawn(async move {
                let mut mine = Measured::default();
                loop {
                    if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                        break;
                    }
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(index) else { break };
                    let sent_at = Instant::now();
                    let result = sender.send(job).await;
                    mine.latencies.push(sent_at.elapsed());
                    if let Err(error) = result {
                        mine.errors += 1;
                        mine.first_error.get_or_insert(error);
                    }
                }
                mine
            })
        })
        .collect();
    let mut total = Measured::default();
    for worker in workers {
        match worker.await {
            Ok(mine) => {
                total.latencies.extend(mine.latencies);
                total.errors += mine.errors;
                if total.first_error.is_none() {
                    total.first_error = mine.first_error;
                }
            }
            Err(panicked) => {
                total.errors += 1;
                total.first_error.get_or_insert(panicked.to_string());
            }
        }
    }
    total.wall = started.elapsed();
    total
}

/// Sends every job at once, each in a task of its own (an open burst), and returns the
/// handles to wait on.
pub(crate) fn burst(
    sender: &Arc<dyn Sender>,
    jobs: Vec<Job>,
) -> Vec<tokio::task::JoinHandle<Result<(), String>>> {
    jobs.into_iter()
        .map(|job| {
            let sender = Arc::clone(sender);
            tokio::spawn(async move { sender.send(&job).await })
        })
        .collect()
}
