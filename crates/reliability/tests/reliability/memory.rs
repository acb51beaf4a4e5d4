//! A hostile server cannot exhaust the client: answers of 50 MiB (2,500 MiB in all) are cut
//! at the answer cap, endless ones at the timeout, and the client process's peak memory stays
//! far below what was offered. Measured on `memory_probe`, a process of its own, so the simulator and the
//! other tests of this binary do not count; asserted on the peak, not on time.

use std::time::Duration;

use phone_verify_reliability::fixture::TOKEN;
use phone_verify_reliability::process::field;
use phone_verify_sim::{Fault, FaultScope, SimConfig, Simulator};

use crate::support::run_to_end;

const MEMORY_PROBE: &str = env!("CARGO_BIN_EXE_memory_probe");
const MIB: usize = 1024 * 1024;
/// The most the client's peak may grow by: far below one oversized answer.
const BOUND_KIB: u64 = 32 * 1024;

/// What the probe reported.
#[derive(Debug)]
struct Report {
    growth_kib: u64,
    invalid_response: u32,
    outcome_unknown: u32,
    other: u32,
}

async fn simulator() -> Simulator {
    phone_verify_sim::start(
        SimConfig::default()
            .idmeta_token(TOKEN)
            .trickle_interval(Duration::from_millis(20)),
    )
    .await
    .expect("the simulator starts")
}

/// Runs the probe against `sim`: `requests` sends, `concurrency` at once, this answer cap.
async fn probe(sim: &Simulator, requests: u32, concurrency: u32, cap: usize) -> Report {
    let args = vec![
        sim.base_url(),
        requests.to_string(),
        concurrency.to_string(),
        cap.to_string(),
        "1000".to_owned(),
    ];
    let output = run_to_end(MEMORY_PROBE, args).await;
    let line = String::from_utf8(output.stdout).expect("utf-8");
    let number = |key| -> u64 {
        field(&line, key)
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("{key} in {line}"))
    };
    let count = |key| u32::try_from(number(key)).expect("a count");
    Report {
        growth_kib: number("peak_after_kib").saturating_sub(number("peak_before_kib")),
        invalid_response: count("invalid_response"),
        outcome_unknown: count("outcome_unknown"),
        other: count("other"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn gigabytes_of_answers_and_endless_ones_leave_the_client_within_a_few_mebibytes() {
    let sim = simulator().await;
    sim.inject(Fault::Oversized { bytes: 50 * MIB }, FaultScope::Next(50));
    sim.inject(Fault::Trickle, FaultScope::Next(8));

    let report = probe(
        &sim,
        58,
        8,
        phone_verify::idmeta::DEFAULT_MAX_RESPONSE_BYTES,
    )
    .await;

    println!(
        "2,500 MiB offered (and endless answers), the client's peak grew by {} KiB",
        report.growth_kib
    );
    assert_eq!(
        (
            report.invalid_response,
            report.outcome_unknown,
            report.other
        ),
        (50, 8, 0),
        "huge answers are cut at the cap, endless ones at the timeout: {report:?}"
    );
    assert!(report.growth_kib < BOUND_KIB, "{report:?}");
    assert_eq!(sim.counters().idmeta_send_requests, 58, "none was retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_measurement_sees_a_client_that_keeps_one_huge_answer_whole() {
    // The control: with a cap above the answer, the client reads all 50 MiB, and the peak
    // shows it. Without this, a bound that can never be crossed would prove nothing.
    let sim = simulator().await;
    sim.inject(Fault::Oversized { bytes: 50 * MIB }, FaultScope::Next(1));

    let report = probe(&sim, 1, 1, 64 * MIB).await;

    println!(
        "50 MiB read whole: the client's peak grew by {} KiB",
        report.growth_kib
    );
    assert!(report.growth_kib > BOUND_KIB, "{report:?}");
}
