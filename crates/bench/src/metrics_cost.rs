//! What recording the metrics costs the app per send, apart from the network: the library's
//! `send_code`, wired by its builder, over the in-memory store and a gateway that answers at
//! once (no socket, no simulator), measured without and with the recorder in alternating rounds. Over loopback,
//! the rows of the send table are bound by the CPU both processes spend per send on 2 cores,
//! so this difference over a row's CPU per send (client and simulator) is the share of
//! throughput the recorder takes from it, with the run-to-run noise of whole rows left out.

use std::time::Instant;

use async_trait::async_trait;
use chrono::Utc;
use phone_verify::policy::{SendLimits, SendPolicy};
use phone_verify::{PhoneVerification, ProviderName};
use phone_verify_domain::{
    CheckCodeRequest, CheckResult, CodeState, DeliveryState, DeliveryStatus, GatewayError,
    ReferenceId, SendCodeRequest, SendReceipt, VerificationGateway, VerificationStatus,
};
use serde::Serialize;

use crate::recorder::MetricsOn;
use crate::report::median;
use crate::workload::Numbers;

/// A gateway that accepts every send at once, with one reference.
#[derive(Debug)]
struct InstantGateway {
    reference: ReferenceId,
}

#[async_trait]
impl VerificationGateway for InstantGateway {
    async fn send_code(&self, _request: &SendCodeRequest) -> Result<SendReceipt, GatewayError> {
        Ok(SendReceipt {
            reference: self.reference.clone(),
            submitted_at: Utc::now(),
            delivery: DeliveryStatus {
                state: DeliveryState::InProgress,
                updated_on: None,
            },
            code_state: CodeState::Unknown,
            verification_status: VerificationStatus::Pending,
        })
    }

    async fn check_code(&self, _request: &CheckCodeRequest) -> Result<CheckResult, GatewayError> {
        // Never called: the measurement only sends.
        Err(GatewayError::Unauthorized)
    }
}

/// The recorder's cost per send, medians over alternating rounds.
#[derive(Debug, Clone, Copy, Serialize)]
#[non_exhaustive]
pub struct MetricsCost {
    /// Rounds measured each way.
    pub rounds: usize,
    /// Sends per round.
    pub sends_per_round: usize,
    /// Wall time per send without the recorder, ns.
    pub off_ns: f64,
    /// Wall time per send with it, ns.
    pub on_ns: f64,
}

impl MetricsCost {
    /// What the recorder adds per send, ns.
    pub fn added_ns(&self) -> f64 {
        self.on_ns - self.off_ns
    }
}

/// Measures `rounds` pairs of `sends` sends each, one at a time, alternating which goes
/// first; each round over a fresh in-memory store.
pub(crate) async fn measure(
    numbers: &Numbers,
    rounds: usize,
    sends: usize,
) -> anyhow::Result<MetricsCost> {
    let mut off = Vec::with_capacity(rounds);
    let mut on = Vec::with_capacity(rounds);
    // Not counted: the first sends warm the allocator, the store's maps and the recorder's
    // registry of keys.
    round(numbers, sends / 10, false).await?;
    round(numbers, sends / 10, true).await?;
    for n in 0..rounds {
        let on_first = n % 2 == 1;
        for metrics in [on_first, !on_first] {
            let ns = round(numbers, sends, metrics).await?;
            if metrics {
                on.push(ns);
            } else {
                off.push(ns);
            }
        }
    }
    Ok(MetricsCost {
        rounds,
        sends_per_round: sends,
        off_ns: median(off).unwrap_or(0.0),
        on_ns: median(on).unwrap_or(0.0),
    })
}

/// What the library alone costs a send: `sends` sends through the app over the in-memory
/// store and a gateway that answers at once, one at a time, after as many again not
/// counted (`phone-verify-bench library-loop`, the program to run under `valgrind
/// --tool=dhat` or `perf record` to see where a send's allocations and CPU go).
#[derive(Debug, Clone, Copy, Serialize)]
#[non_exhaustive]
pub struct LibraryLoop {
    /// Sends counted.
    pub sends: usize,
    /// Wall time per send, ns.
    pub ns_per_send: f64,
    /// Calls to the allocator per send (allocations and reallocations).
    pub allocations_per_send: f64,
}

/// Runs the [`LibraryLoop`]: the app rows' policy, without the recorder.
///
/// # Errors
///
/// When the library refuses its configuration or a send fails.
pub async fn library_loop(sends: usize) -> anyhow::Result<LibraryLoop> {
    let numbers = Numbers::starting_at(0);
    let sends = sends.max(1);
    let app = instant_app(crate::targets::app_policy()).await?;
    let warm = numbers.jobs(sends)?;
    let counted = Numbers::starting_at(sends as u64).jobs(sends)?;
    send_all(&app, &warm).await?;
    let allocations = crate::memory::allocations();
    let started = Instant::now();
    send_all(&app, &counted).await?;
    let spent = started.elapsed();
    let calls = crate::memory::allocations().saturating_sub(allocations);
    Ok(LibraryLoop {
        sends,
        ns_per_send: spent.as_secs_f64() * 1e9 / sends as f64,
        allocations_per_send: calls as f64 / sends as f64,
    })
}

/// The library over a fresh in-memory store (the builder's default) and an
/// [`InstantGateway`] under IDMeta's name, so the recorder holds the same keys as in the app
/// rows.
async fn instant_app(policy: SendPolicy) -> anyhow::Result<PhoneVerification> {
    let gateway = InstantGateway {
        reference: ReferenceId::parse("0123456789ABCDEF0123456789ABCDEF")?,
    };
    Ok(PhoneVerification::builder()
        .provider(ProviderName::idmeta(), gateway)
        .send_policy(policy)
        .build()
        .await?)
}

/// Sends every job, one at a time.
async fn send_all(app: &PhoneVerification, jobs: &[crate::workload::Job]) -> anyhow::Result<()> {
    for job in jobs {
        app.send_code(&job.request)
            .await
            .map_err(|error| anyhow::anyhow!(phone_verify_domain::error_chain(&error)))?;
    }
    Ok(())
}

/// One round: `sends` sends, wall time per send in ns.
async fn round(numbers: &Numbers, sends: usize, metrics: bool) -> anyhow::Result<f64> {
    let policy = SendPolicy {
        limits: SendLimits::default(),
        ..SendPolicy::default()
    };
    let app = instant_app(policy).await?;
    let jobs = numbers.jobs(sends.max(1))?;
    let on = metrics.then(MetricsOn::start);
    let started = Instant::now();
    send_all(&app, &jobs).await?;
    let spent = started.elapsed();
    drop(on);
    Ok(spent.as_secs_f64() * 1e9 / jobs.len() as f64)
}
