//! What a run measures: the command-line flags and the plan they resolve to.

use std::path::PathBuf;
use std::time::Duration;

/// The environment variable the PostgreSQL rows read their URL from, as the tests do.
pub(crate) const POSTGRES_URL_VAR: &str = "PHONE_VERIFY_TEST_POSTGRES_URL";

/// Where the simulator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimPlacement {
    /// A child process (this program re-executed): its CPU time and memory are measured apart
    /// from the client's. The default of a real run.
    Child,
    /// Inside this process, on its own runtime: needs no executable of its own (the smoke
    /// test), but the client's CPU time and heap then include the simulator's.
    InProcess,
}

/// The flags of `phone-verify-bench`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BenchArgs {
    /// A tiny configuration that finishes in seconds (CI): few requests, concurrency 1 and 4,
    /// a small history, few sends in flight. Its timings mean nothing.
    #[arg(long, visible_alias = "quick")]
    pub smoke: bool,
    /// Seconds of counted sends per row of the send table, after the warm-up [default: 3;
    /// ignored when --requests is given or with --smoke].
    #[arg(long)]
    pub duration_secs: Option<f64>,
    /// A fixed number of counted sends per row instead of a duration [smoke: 200].
    #[arg(long)]
    pub requests: Option<usize>,
    /// Sends made and not counted before each row [default: a tenth of --requests, at least
    /// 4 per concurrent sender].
    #[arg(long)]
    pub warmup: Option<usize>,
    /// The concurrencies to measure, comma-separated [default: 1,16,64,256; smoke: 1,4].
    #[arg(long, value_delimiter = ',')]
    pub concurrency: Vec<usize>,
    /// PostgreSQL URL for the PostgreSQL rows (each row works in a schema of its own, dropped
    /// afterwards). Without it those rows are skipped, with a note.
    #[arg(long, env = POSTGRES_URL_VAR, hide_env_values = true)]
    pub postgres_url: Option<String>,
    /// Past records in the large history [default: 1000000; smoke: 200].
    #[arg(long)]
    pub history_records: Option<u64>,
    /// Past records in the small history [default: 1000; smoke: 20].
    #[arg(long)]
    pub history_small: Option<u64>,
    /// Sends counted in each history row [default: 5000; smoke: 50].
    #[arg(long)]
    pub history_requests: Option<usize>,
    /// Concurrency of the history rows [default: 1].
    #[arg(long)]
    pub history_concurrency: Option<usize>,
    /// Sends held in flight to measure memory per send, comma-separated [default: 256,10000;
    /// smoke: 16].
    #[arg(long, value_delimiter = ',')]
    pub in_flight: Vec<usize>,
    /// Where the simulator runs [default: child; smoke: in-process].
    #[arg(long, value_enum)]
    pub sim: Option<SimPlacement>,
    /// Also measure each app row with a Prometheus recorder installed, next to the same row
    /// without [always on with --smoke].
    #[arg(long)]
    pub metrics: bool,
    /// With --metrics: how many times each app row is measured without and with the
    /// recorder, alternating which goes first; the metrics table gives the median of the
    /// rounds [default: 1].
    #[arg(long, requires = "metrics")]
    pub metrics_rounds: Option<usize>,
    /// How many times each app row over a SQL store is measured without and with the guards
    /// against pumping, alternating which goes first; the guards' table gives the median of
    /// the rounds [default: 1: the send table's pair only].
    #[arg(long)]
    pub guard_rounds: Option<usize>,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// A free-text note about the machine, printed in the header (what else was running).
    #[arg(long)]
    pub machine_note: Option<String>,
}

/// A resolved plan: every number a run needs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Plan {
    /// Whether this is the smoke configuration.
    pub smoke: bool,
    /// How long the rows of the send table count sends; `None`: [`Plan::requests`] each.
    pub duration: Option<Duration>,
    /// Sends counted per row when there is no duration.
    pub requests: usize,
    /// Sends made before each row and not counted.
    pub warmup: usize,
    /// The concurrencies of the send rows.
    pub concurrencies: Vec<usize>,
    /// PostgreSQL URL, when the PostgreSQL rows are to run.
    pub postgres_url: Option<String>,
    /// The small and the large history, in past records.
    pub histories: [u64; 2],
    /// Sends counted in each history row.
    pub history_requests: usize,
    /// Concurrency of the history rows.
    pub history_concurrency: usize,
    /// How many sends to hold in flight for each memory measurement.
    pub in_flight: Vec<usize>,
    /// Where the simulator runs.
    pub sim: SimPlacement,
    /// Whether each app row is measured again with a recorder installed.
    pub metrics: bool,
    /// How many pairs (without, with the recorder) each app row is measured in, when
    /// [`Plan::metrics`]; at least 1.
    pub metrics_rounds: usize,
    /// How many pairs (without, with the guards against pumping) each app row over a SQL
    /// store is measured in; at least 1.
    pub guard_rounds: usize,
    /// Where to write the JSON report, if anywhere.
    pub json: Option<PathBuf>,
    /// Free text about the machine.
    pub machine_note: Option<String>,
}

/// The most past records a history can hold: its numbers are drawn from one block of ten
/// million Malaysian mobile numbers.
pub(crate) const MAX_HISTORY_RECORDS: u64 = 10_000_000;

impl Plan {
    /// The smoke configuration, with the simulator in this process and no PostgreSQL unless
    /// its variable is set.
    pub fn smoke() -> Self {
        Self::from_args(BenchArgs {
            smoke: true,
            postgres_url: std::env::var(POSTGRES_URL_VAR).ok(),
            ..BenchArgs::default()
        })
    }

    /// Resolves the flags, filling in the defaults of a real or a smoke run.
    pub fn from_args(args: BenchArgs) -> Self {
        let smoke = args.smoke;
        let pick = |given: Option<usize>, real: usize, tiny: usize| {
            given.unwrap_or(if smoke { tiny } else { real })
        };
        let list = |given: Vec<usize>, real: &[usize], tiny: &[usize]| {
            let list = if given.is_empty() {
                (if smoke { tiny } else { real }).to_vec()
            } else {
                given
            };
            list.into_iter().filter(|n| *n > 0).collect::<Vec<_>>()
        };
        let requests = pick(args.requests, 20_000, 200).max(1);
        let duration = (args.requests.is_none() && !smoke)
            .then(|| Duration::from_secs_f64(args.duration_secs.unwrap_or(3.0).clamp(0.1, 600.0)));
        let concurrencies = list(args.concurrency, &[1, 16, 64, 256], &[1, 4]);
        let max_concurrency = concurrencies.iter().copied().max().unwrap_or(1);
        let warmup = args.warmup.unwrap_or_else(|| {
            let tenth = if duration.is_some() {
                2_000
            } else {
                requests / 10
            };
            tenth.max(4 * max_concurrency)
        });
        let large = args
            .history_records
            .unwrap_or(if smoke { 200 } else { 1_000_000 })
            .min(MAX_HISTORY_RECORDS);
        let small = args
            .history_small
            .unwrap_or(if smoke { 20 } else { 1_000 })
            .min(large);
        Self {
            smoke,
            duration,
            requests,
            warmup,
            concurrencies,
            postgres_url: args.postgres_url.filter(|url| !url.trim().is_empty()),
            histories: [small, large],
            history_requests: pick(args.history_requests, 5_000, 50).max(1),
            history_concurrency: args.history_concurrency.unwrap_or(1).max(1),
            in_flight: list(args.in_flight, &[256, 10_000], &[16]),
            sim: args.sim.unwrap_or(if smoke {
                SimPlacement::InProcess
            } else {
                SimPlacement::Child
            }),
            metrics: args.metrics || smoke,
            metrics_rounds: args.metrics_rounds.unwrap_or(1).clamp(1, 100),
            guard_rounds: args.guard_rounds.unwrap_or(1).clamp(1, 100),
            json: args.json,
            machine_note: args.machine_note,
        }
    }
}
