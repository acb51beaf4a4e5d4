//! Running many operations at once, as a busy application does.

use std::future::Future;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// Runs `work(i)` for every `i` of `indices`, `concurrency` at a time, on tokio tasks (so on
/// every worker thread of the runtime), and returns each output with its index, in index
/// order. Each task takes the next index as it finishes one, like a pool of workers.
///
/// # Panics
///
/// When a task panics, or outside a tokio runtime.
pub async fn concurrently<T, F, Fut>(
    indices: Range<u32>,
    concurrency: u32,
    work: F,
) -> Vec<(u32, T)>
where
    F: Fn(u32) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let next = Arc::new(AtomicU32::new(indices.start));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (next, work, end) = (next.clone(), work.clone(), indices.end);
            tokio::spawn(async move {
                let mut outputs = Vec::new();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= end {
                        break outputs;
                    }
                    outputs.push((index, work(index).await));
                }
            })
        })
        .collect();
    let mut outputs = Vec::new();
    for worker in workers {
        outputs.extend(worker.await.expect("a worker panicked"));
    }
    outputs.sort_by_key(|(index, _)| *index);
    outputs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn every_index_is_run_once_and_returned_in_order() {
        let outputs = concurrently(3..103, 8, |index| async move { index * 2 }).await;
        let expected: Vec<(u32, u32)> = (3..103).map(|index| (index, index * 2)).collect();
        assert_eq!(outputs, expected);
    }
}
