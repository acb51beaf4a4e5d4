//! The cold-start measurement as the benchmark runs it: this program re-executed with its
//! hidden command prints one JSON measurement. Its figures are never asserted, only that
//! they were taken.

use std::process::Command;

use phone_verify_bench::{COLD_START_COMMAND, ColdParse};

#[test]
fn the_cold_start_child_prints_one_measurement_of_its_first_parse() {
    let output = Command::new(env!("CARGO_BIN_EXE_phone-verify-bench"))
        .arg(COLD_START_COMMAND)
        .output()
        .expect("the benchmark program runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parse: ColdParse = serde_json::from_slice(&output.stdout).expect("one JSON measurement");
    assert!(parse.first_us > 0.0, "{parse:?}");
    assert!(parse.warm_us > 0.0, "{parse:?}");
    if cfg!(target_os = "linux") {
        assert!(parse.rss_growth_bytes.is_some(), "{parse:?}");
    }
}
