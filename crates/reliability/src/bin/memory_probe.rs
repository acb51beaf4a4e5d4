//! A client whose memory is measured on its own, apart from the simulator and the test
//! harness: `memory_probe <base URL> <requests> <concurrency> <max response bytes>
//! <timeout ms>`.
//!
//! Builds the adapter (no retries, the given answer cap and request timeout), reads this
//! process's peak resident size, makes `requests` sends with `concurrency` in flight, reads
//! the peak again and prints one line:
//! `peak_before_kib=… peak_after_kib=… invalid_response=… outcome_unknown=… other=…`
//! (the error classes of the answers; the test arms the faults that cause them).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use phone_verify::idmeta::RetryPolicy;
use phone_verify_domain::{GatewayError, VerificationGateway};
use phone_verify_reliability::drive::concurrently;
use phone_verify_reliability::fixture::{mobile_number, send_request, trust_validation};
use phone_verify_reliability::gateway_builder;
use phone_verify_reliability::process::peak_rss_kib;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let usage =
        "usage: memory_probe <base URL> <requests> <concurrency> <max response bytes> <timeout ms>";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base_url, requests, concurrency, cap, timeout_ms] = args.as_slice() else {
        anyhow::bail!(usage);
    };
    let requests: u32 = requests.parse().context(usage)?;
    let concurrency: u32 = concurrency.parse().context(usage)?;
    let cap: usize = cap.parse().context(usage)?;
    let timeout = Duration::from_millis(timeout_ms.parse().context(usage)?);

    let client: Arc<dyn VerificationGateway> = Arc::new(
        gateway_builder(base_url)
            .request_timeout(timeout)
            .max_response_bytes(cap)
            .retry_policy(RetryPolicy::none())
            .build()
            .context("the adapter's configuration is valid")?,
    );
    let before = peak_rss_kib().context("no /proc/self/status")?;

    let answers = concurrently(0..requests, concurrency, move |index| {
        let client = client.clone();
        async move {
            let request = send_request(mobile_number(index), trust_validation("probe", index));
            match client.send_code(&request).await {
                Err(GatewayError::InvalidResponse { .. }) => "invalid_response",
                Err(GatewayError::OutcomeUnknown { .. }) => "outcome_unknown",
                _ => "other",
            }
        }
    })
    .await;

    let after = peak_rss_kib().context("no /proc/self/status")?;
    let count = |class| {
        answers
            .iter()
            .filter(|(_, answer)| *answer == class)
            .count()
    };
    println!(
        "peak_before_kib={before} peak_after_kib={after} invalid_response={} outcome_unknown={} other={}",
        count("invalid_response"),
        count("outcome_unknown"),
        count("other"),
    );
    Ok(())
}
