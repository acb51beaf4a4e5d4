//! The running service beside an operator's maintenance (a purge, a conversion): senders that
//! keep sending through a stack until told to stop, and what they saw.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use phone_verify::TrustValidationId;
use phone_verify_domain::error_chain;
use phone_verify_reliability::Stack;
use phone_verify_reliability::fixture::{mobile_number, send_request};

/// Sends at once beside the maintenance.
pub(crate) const SENDERS: u32 = 4;

/// What the senders did.
#[derive(Default)]
pub(crate) struct Sent {
    /// Each failed send, with its error chain.
    pub(crate) failures: Vec<String>,
    /// The index of each send made (see [`Senders::start`]).
    pub(crate) indices: Vec<u32>,
    /// The slowest send.
    pub(crate) slowest: Duration,
}

impl Sent {
    /// How many sends were made.
    pub(crate) fn sends(&self) -> u32 {
        u32::try_from(self.indices.len()).expect("a count")
    }
}

/// [`SENDERS`] tasks sending from a stack until [`Senders::stop`].
pub(crate) struct Senders {
    running: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<Sent>>,
}

impl Senders {
    /// Starts the senders: the send of index `n` goes to `mobile_number(n)` for
    /// `trust_validation(n)`, the senders taking the indices in turn. Returns once each has
    /// made its first send, so that sends run beside the maintenance from its start.
    pub(crate) async fn start(
        stack: &Arc<Stack>,
        trust_validation: fn(u32) -> TrustValidationId,
    ) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let mut tasks = Vec::new();
        for sender in 0..SENDERS {
            let (stack, running) = (Arc::clone(stack), Arc::clone(&running));
            let (ready, started) = tokio::sync::oneshot::channel();
            tasks.push(tokio::spawn(async move {
                let mut sent = Sent::default();
                let mut ready = Some(ready);
                for round in 0.. {
                    if round > 0 && !running.load(Ordering::SeqCst) {
                        break;
                    }
                    let index = round * SENDERS + sender;
                    let began = Instant::now();
                    let result = stack
                        .verification
                        .send_code(&send_request(mobile_number(index), trust_validation(index)))
                        .await;
                    sent.slowest = sent.slowest.max(began.elapsed());
                    sent.indices.push(index);
                    if let Err(error) = result {
                        sent.failures
                            .push(format!("send {index}: {}", error_chain(&error)));
                    }
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(());
                    }
                }
                sent
            }));
            started.await.expect("the sender's first send is done");
        }
        Self { running, tasks }
    }

    /// Stops the senders once their sends in progress are done, and returns what they did.
    pub(crate) async fn stop(self) -> Sent {
        self.running.store(false, Ordering::SeqCst);
        let mut sent = Sent::default();
        for task in self.tasks {
            let done = task.await.expect("a sender");
            sent.failures.extend(done.failures);
            sent.indices.extend(done.indices);
            sent.slowest = sent.slowest.max(done.slowest);
        }
        sent
    }
}
