//! The header of a report: the machine, the build and the run's settings.

use serde::Serialize;

use crate::{Plan, SimPlacement};

/// Where and how a run was made.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Machine {
    /// When the run started (UTC, RFC 3339).
    pub date: String,
    /// Cores available to this process.
    pub cores: usize,
    /// The CPU's model name, from `/proc/cpuinfo`.
    pub cpu: Option<String>,
    /// The load averages when the run started, from `/proc/loadavg`.
    pub load: Option<String>,
    /// `release` or `debug`.
    pub profile: &'static str,
    /// The compiler that built this program.
    pub rustc: Option<&'static str>,
    /// Where the simulator ran.
    pub simulator: &'static str,
    /// How each row of the send table is counted: a duration or a number of sends.
    pub per_row: String,
    /// Sends made before each row and not counted.
    pub warmup: usize,
    /// The operator's note.
    pub note: Option<String>,
}

impl Machine {
    pub(crate) fn read(plan: &Plan) -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|line| line.starts_with("model name"))
                    .and_then(|line| line.split_once(':'))
                    .map(|(_, model)| model.trim().to_owned())
            });
        let load = std::fs::read_to_string("/proc/loadavg").ok().map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        });
        Self {
            date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            cpu,
            load,
            profile: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
            rustc: option_env!("BENCH_RUSTC_VERSION"),
            simulator: match plan.sim {
                SimPlacement::Child => "child process (its CPU and memory measured apart)",
                SimPlacement::InProcess => "in this process (client figures include it)",
            },
            per_row: match plan.duration {
                Some(duration) => format!("{} s of counted sends", duration.as_secs_f64()),
                None => format!("{} counted sends", plan.requests),
            },
            warmup: plan.warmup,
            note: plan.machine_note.clone(),
        }
    }
}
