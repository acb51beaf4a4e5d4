//! What the first phone number a process parses costs: loading the numbering metadata and
//! compiling its patterns, once per process. Measured in fresh child processes (this program,
//! re-executed with [`COLD_START_COMMAND`]), since only a process's first parse pays it.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use phone_verify_domain::PhoneNumber;
use serde::{Deserialize, Serialize};

use crate::memory;
use crate::report::median;

/// The hidden command that makes this program measure its own first parse and print it as
/// one JSON line.
pub const COLD_START_COMMAND: &str = "cold-start";

/// The numbers parsed: a Malaysian mobile (the benchmark's) and a US number, so the second
/// parse of each kind is warm.
const NUMBERS: [&str; 2] = ["+60123456789", "+14155552671"];

/// One process's first parse and the parses after it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct ColdParse {
    /// The first `PhoneNumber::parse` of the process, µs.
    pub first_us: f64,
    /// The median of the parses that follow (the same numbers again), µs.
    pub warm_us: f64,
    /// Growth of the resident set over the first parse, bytes.
    pub rss_growth_bytes: Option<u64>,
}

/// Measures this process's first parse. It must be the process's first: call it before
/// anything else parses a number.
///
/// # Errors
///
/// When one of the fixed numbers does not parse (the metadata would be broken).
pub fn measure_this_process() -> anyhow::Result<ColdParse> {
    let rss_before = memory::status_bytes(None, "VmRSS");
    let first = time(NUMBERS[0])?;
    let rss_after = memory::status_bytes(None, "VmRSS");
    let mut warm = Vec::new();
    for _ in 0..50 {
        for number in NUMBERS {
            warm.push(time(number)?.as_secs_f64() * 1e6);
        }
    }
    Ok(ColdParse {
        first_us: first.as_secs_f64() * 1e6,
        warm_us: median(warm).unwrap_or(0.0),
        rss_growth_bytes: rss_before.zip(rss_after).map(|(b, a)| a.saturating_sub(b)),
    })
}

fn time(number: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let parsed = PhoneNumber::parse(number).with_context(|| format!("{number} did not parse"))?;
    let spent = started.elapsed();
    std::hint::black_box(parsed);
    Ok(spent)
}

/// What `runs` fresh processes found, medians over them.
#[derive(Debug, Clone, Copy, Serialize)]
#[non_exhaustive]
pub struct ColdStartRow {
    /// Processes measured.
    pub runs: usize,
    /// Median first parse, µs.
    pub first_us: f64,
    /// Median warm parse, µs.
    pub warm_us: f64,
    /// Median growth of the resident set over the first parse, bytes.
    pub rss_growth_bytes: Option<f64>,
}

/// Runs this program `runs` times with [`COLD_START_COMMAND`] and takes the medians.
pub(crate) fn measure_in_children(runs: usize) -> anyhow::Result<ColdStartRow> {
    let program = std::env::current_exe().context("cannot find this program to re-execute")?;
    let mut parses = Vec::with_capacity(runs);
    for _ in 0..runs {
        let output = Command::new(&program)
            .arg(COLD_START_COMMAND)
            .output()
            .context("the cold-start child did not run")?;
        if !output.status.success() {
            bail!(
                "the cold-start child failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let parse: ColdParse = serde_json::from_slice(&output.stdout)
            .context("the cold-start child printed no measurement")?;
        parses.push(parse);
    }
    let rss: Vec<f64> = parses
        .iter()
        .filter_map(|p| p.rss_growth_bytes.map(|b| b as f64))
        .collect();
    Ok(ColdStartRow {
        runs,
        first_us: median(parses.iter().map(|p| p.first_us).collect()).unwrap_or(0.0),
        warm_us: median(parses.iter().map(|p| p.warm_us).collect()).unwrap_or(0.0),
        rss_growth_bytes: median(rss),
    })
}
