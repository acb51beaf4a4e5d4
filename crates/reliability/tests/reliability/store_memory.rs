//! The in-memory store holds what the guards need and no more: a million sends over
//! simulated time (eleven and a half days, one a second) leave its size and the process's
//! peak memory where they were after the first quarter. Measured on `store_memory_probe`, a
//! process of its own; asserted on sizes, not on time.

use phone_verify_reliability::process::field;

use crate::support::run_to_end;

const STORE_MEMORY_PROBE: &str = env!("CARGO_BIN_EXE_store_memory_probe");
/// The most the peak may grow between the first quarter and the end of the run.
const BOUND_KIB: u64 = 4 * 1024;

/// What the probe reported.
#[derive(Debug)]
struct Report {
    len_quarter: u64,
    len_end: u64,
    growth_kib: u64,
}

async fn probe(sends: u32, retention: &str) -> Report {
    let output = run_to_end(
        STORE_MEMORY_PROBE,
        vec![sends.to_string(), retention.to_owned()],
    )
    .await;
    let line = String::from_utf8(output.stdout).expect("utf-8");
    let number = |key| -> u64 {
        field(&line, key)
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("{key} in {line}"))
    };
    Report {
        len_quarter: number("len_quarter"),
        len_end: number("len_end"),
        growth_kib: number("peak_end_kib").saturating_sub(number("peak_quarter_kib")),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_million_sends_over_simulated_days_keep_the_store_and_the_process_flat() {
    let report = probe(1_000_000, "3600").await;

    println!(
        "a million sends: {} attempts kept, the peak grew by {} KiB after the first quarter",
        report.len_end, report.growth_kib
    );
    // An hour of sends (one a second) and their checks (one in four), and no more.
    assert!(report.len_end <= 3_600 + 900 + 4, "{report:?}");
    assert_eq!(report.len_quarter, report.len_end, "{report:?}");
    assert!(report.growth_kib < BOUND_KIB, "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_measurement_sees_a_store_that_keeps_everything() {
    // The control: told to keep every attempt, the store grows with the sends, and the
    // peak shows it. Without this, a bound that can never be crossed would prove nothing.
    let report = probe(100_000, "forever").await;

    println!(
        "100,000 sends kept: {} attempts, the peak grew by {} KiB",
        report.len_end, report.growth_kib
    );
    assert_eq!(report.len_end, 125_000, "{report:?}");
    assert!(report.growth_kib > BOUND_KIB, "{report:?}");
}
