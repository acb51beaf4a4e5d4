//! What a run found, and the Markdown it prints (made to be pasted into
//! `docs/performance.md`).

use std::fmt::Write as _;

use serde::Serialize;

use crate::cold_start::ColdStartRow;
use crate::driver::StatementRow;
use crate::machine::Machine;
use crate::metrics_cost::MetricsCost;

/// The adapter's least throughput, as a share of the baseline's, that the issue asks for.
pub const ADAPTER_TARGET: f64 = 0.95;
/// The app's (in-memory store) least throughput, as a share of the baseline's.
pub const APP_TARGET: f64 = 0.90;
/// The most the app's throughput ratio to the baseline may fall with a metrics recorder
/// installed, as a share of the ratio without.
pub const METRICS_TARGET: f64 = 0.02;
/// The least throughput of an app row over a SQL store with the guards against pumping on,
/// over the same row without them (issue 27): the median over the guard rounds.
pub const PUMPING_TARGET: f64 = 0.90;
/// The least throughput of a SQL store's app row, as a share of its floor's (the bare SQL of
/// one `INSERT` and one `UPDATE` a send), at the concurrencies of [`STORE_TARGET_AT`].
pub const FLOOR_TARGET: f64 = 1.0;
/// The concurrencies the store targets apply at.
pub const STORE_TARGET_AT: [usize; 2] = [16, 64];
/// The SQLite app rows' largest p99 and largest single send latency, ms, at the
/// concurrencies of [`STORE_TARGET_AT`].
pub const SQLITE_LATENCY_TARGET_MS: (f64, f64) = (20.0, 100.0);
/// The PostgreSQL app row's largest p99 latency at concurrency 64, ms.
pub const POSTGRES_P99_TARGET_MS: f64 = 30.0;
/// The most the median send latency may grow from the small to the large history.
pub const HISTORY_TARGET: f64 = 1.2;

/// The name of the baseline rows.
pub(crate) const BASELINE: &str = "baseline (bare reqwest)";
/// The name of the rows of the baseline followed by the adapter's decoder.
pub(crate) const BASELINE_DECODED: &str = "baseline + adapter's decode";
/// The name of the adapter rows.
pub(crate) const ADAPTER: &str = "adapter send_code";
/// The name of the app rows (the library's `PhoneVerification::send_code`), before the
/// store's name.
pub(crate) const APP: &str = "app send_code";
/// The name of the floor rows, before the store's name.
pub(crate) const FLOOR: &str = "floor: bare SQL";

/// One row of the send table.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SendRow {
    /// What sent: the baseline, the adapter, or the app with its store.
    pub name: String,
    /// Sends in flight at once.
    pub concurrency: usize,
    /// Sends counted (the warm-up not included).
    pub requests: usize,
    /// Counted sends per second of wall time.
    pub throughput: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Slowest send, ms.
    pub max_ms: f64,
    /// Throughput over the baseline's at the same concurrency, in the same run.
    pub ratio_to_baseline: Option<f64>,
    /// For an app row over a SQL store: throughput over its engine's floor row at the same
    /// concurrency, in the same run.
    pub ratio_to_floor: Option<f64>,
    /// Failed sends, the warm-up's included.
    pub errors: u64,
    /// What the first failure said.
    pub first_error: Option<String>,
    /// Records (or, without a store, codes the simulator sent) the row should have left:
    /// one per send, the warm-up's included.
    pub records_expected: u64,
    /// Records found.
    pub records_found: u64,
    /// CPU time this process spent per counted send, µs.
    pub client_cpu_us: Option<f64>,
    /// CPU time the simulator's process spent per counted send, µs.
    pub sim_cpu_us: Option<f64>,
    /// Calls this process made to the allocator (allocations and reallocations) per counted
    /// send, from the counting allocator: every thread's, the runtime's and the store's
    /// worker threads' included (and the simulator's, when it runs in this process).
    pub allocations_per_send: Option<f64>,
    /// Context switches of this process's threads per counted send (voluntary and
    /// involuntary, from `/proc/self/task/*/status`): a worker parking for want of work and
    /// woken again, a blocking call, a preemption.
    pub context_switches_per_send: Option<f64>,
    /// CPU time every process of the machine's PostgreSQL server spent per counted send, µs:
    /// the PostgreSQL rows' database work (about zero in the others, whatever else the
    /// server did meanwhile).
    pub postgres_cpu_us: Option<f64>,
    /// With a recorder installed: the sends it counted (`phone_verify_sends_total`), the
    /// warm-up's included; one per send.
    pub sends_counted_by_metrics: Option<u64>,
}

/// One round of the metrics measurement: an app row measured without and then (or first)
/// with the recorder, over fresh stores of one engine.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct MetricsPair {
    /// The store's label.
    pub store: String,
    /// Sends in flight at once.
    pub concurrency: usize,
    /// Which round (0 first); odd rounds measured with the recorder first.
    pub round: usize,
    /// Throughput without the recorder, sends/s.
    pub throughput_off: f64,
    /// Throughput with it, sends/s.
    pub throughput_on: f64,
    /// Client CPU per send without the recorder, µs.
    pub client_cpu_us_off: Option<f64>,
    /// Client CPU per send with it, µs.
    pub client_cpu_us_on: Option<f64>,
    /// The simulator's CPU per send without the recorder, µs.
    pub sim_cpu_us_off: Option<f64>,
}

impl MetricsPair {
    pub(crate) fn of(store: &str, round: usize, off: &SendRow, on: &SendRow) -> Self {
        Self {
            store: store.to_owned(),
            concurrency: off.concurrency,
            round,
            throughput_off: off.throughput,
            throughput_on: on.throughput,
            client_cpu_us_off: off.client_cpu_us,
            client_cpu_us_on: on.client_cpu_us,
            sim_cpu_us_off: off.sim_cpu_us,
        }
    }

    /// Throughput with the recorder over throughput without, minus one.
    fn change(&self) -> f64 {
        self.throughput_on / self.throughput_off - 1.0
    }
}

/// What the rounds of one store and concurrency say, medians over the rounds.
struct MetricsSummary<'a> {
    store: &'a str,
    concurrency: usize,
    rounds: usize,
    change: f64,
    lowest: f64,
    highest: f64,
    cpu_off: Option<f64>,
    cpu_on: Option<f64>,
    /// Median CPU per send of both processes without the recorder, µs.
    both_cpu_off: Option<f64>,
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
pub(crate) fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// One row of the history table.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct HistoryRow {
    /// The store's backend.
    pub backend: String,
    /// Past records in the store before the row.
    pub past_records: u64,
    /// Seconds it took to write them.
    pub seed_secs: f64,
    /// The row's measurements.
    pub sends: SendRow,
    /// Median latency over the small history's median, same backend.
    pub p50_ratio_to_small: Option<f64>,
}

/// One memory measurement with sends held in flight.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct InFlightRow {
    /// What sent.
    pub name: String,
    /// Sends started and held.
    pub in_flight: usize,
    /// How many had reached the simulator when memory was read.
    pub arrived: u64,
    /// Growth of this process's live heap, per send in flight, bytes.
    pub heap_bytes_per_send: f64,
    /// Growth of this process's resident set, per send in flight, bytes.
    pub rss_bytes_per_send: Option<f64>,
    /// Failed sends.
    pub errors: u64,
    /// What the first failure said.
    pub first_error: Option<String>,
}

/// Everything a run found.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The header.
    pub machine: Machine,
    /// The send table.
    pub sends: Vec<SendRow>,
    /// The history table.
    pub history: Vec<HistoryRow>,
    /// The in-flight memory table.
    pub in_flight: Vec<InFlightRow>,
    /// Every round of the metrics measurement.
    pub metrics: Vec<MetricsPair>,
    /// Every round of the guards' measurement: the app row over a SQL store without
    /// (`off`) and with (`on`) the guards against pumping ([`crate::Plan::guard_rounds`]).
    pub guards: Vec<MetricsPair>,
    /// The first parse of a phone number in fresh processes.
    pub cold_start: Option<ColdStartRow>,
    /// One statement's cost through sqlx, per driver.
    pub statements: Vec<StatementRow>,
    /// What recording the metrics costs per send, without the network.
    pub metrics_cost: Option<MetricsCost>,
    /// Peak resident set of this process over the run (`VmHWM`), bytes.
    pub peak_rss_bytes: Option<u64>,
    /// Resident set of this process at the end (`VmRSS`), bytes.
    pub rss_bytes: Option<u64>,
    /// Resident set of the simulator's process at the end, bytes.
    pub sim_rss_bytes: Option<u64>,
    /// Rows skipped and other remarks.
    pub notes: Vec<String>,
}

impl Report {
    pub(crate) fn new(machine: Machine) -> Self {
        Self {
            machine,
            sends: Vec::new(),
            history: Vec::new(),
            in_flight: Vec::new(),
            metrics: Vec::new(),
            guards: Vec::new(),
            cold_start: None,
            statements: Vec::new(),
            metrics_cost: None,
            peak_rss_bytes: None,
            rss_bytes: None,
            sim_rss_bytes: None,
            notes: Vec::new(),
        }
    }

    fn all_send_rows(&self) -> impl Iterator<Item = &SendRow> {
        self.sends
            .iter()
            .chain(self.history.iter().map(|row| &row.sends))
    }

    /// Failed sends in every table.
    pub fn total_errors(&self) -> u64 {
        self.all_send_rows().map(|row| row.errors).sum::<u64>()
            + self.in_flight.iter().map(|row| row.errors).sum::<u64>()
    }

    /// Records missing (or extra) in every row: expected and found differ.
    pub fn record_mismatches(&self) -> u64 {
        self.all_send_rows()
            .map(|row| row.records_expected.abs_diff(row.records_found))
            .sum()
    }

    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        self.write_header(&mut out);
        self.write_sends(&mut out);
        self.write_metrics(&mut out);
        self.write_guards(&mut out);
        self.write_history(&mut out);
        self.write_memory(&mut out);
        self.write_cold_start(&mut out);
        self.write_statements(&mut out);
        self.write_verdict(&mut out);
        out
    }

    fn write_header(&self, out: &mut String) {
        let m = &self.machine;
        let _ = writeln!(out, "## Benchmark run {}\n", m.date);
        let _ = writeln!(
            out,
            "- machine: {} cores, {}; load average at start {}",
            m.cores,
            m.cpu.as_deref().unwrap_or("unknown CPU"),
            m.load.as_deref().unwrap_or("unknown")
        );
        let _ = writeln!(
            out,
            "- build: {} profile, {}",
            m.profile,
            m.rustc.unwrap_or("unknown rustc")
        );
        let _ = writeln!(out, "- simulator: {}", m.simulator);
        let _ = writeln!(
            out,
            "- per row of the send table: {} after {} warm-up sends",
            m.per_row, m.warmup
        );
        if let Some(note) = &m.note {
            let _ = writeln!(out, "- note: {note}");
        }
        for note in &self.notes {
            let _ = writeln!(out, "- {note}");
        }
        out.push('\n');
    }

    fn write_sends(&self, out: &mut String) {
        out.push_str("### Sending a code\n\n");
        send_table_head(out, "what");
        for row in &self.sends {
            send_table_row(out, &row.name, row);
        }
        out.push('\n');
    }

    fn write_history(&self, out: &mut String) {
        if self.history.is_empty() {
            return;
        }
        out.push_str("### Send latency against the history in the store\n\n");
        out.push_str(
            "| store | past records | seeded in (s) | concurrency | requests | sends/s | p50 ms | p99 ms | max ms | p50 ÷ small history | errors | records ok |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
        );
        for row in &self.history {
            let s = &row.sends;
            let _ = writeln!(
                out,
                "| {} | {} | {:.1} | {} | {} | {:.0} | {:.3} | {:.3} | {:.3} | {} | {} | {} |",
                row.backend,
                row.past_records,
                row.seed_secs,
                s.concurrency,
                s.requests,
                s.throughput,
                s.p50_ms,
                s.p99_ms,
                s.max_ms,
                ratio(row.p50_ratio_to_small),
                s.errors,
                records(s),
            );
        }
        out.push('\n');
    }

    fn write_memory(&self, out: &mut String) {
        out.push_str("### Memory\n\n");
        let mib = |bytes: Option<u64>| {
            bytes.map_or_else(
                || "n/a".to_owned(),
                |b| format!("{:.1} MiB", b as f64 / 1048576.0),
            )
        };
        let _ = writeln!(
            out,
            "- this process: peak resident {} (VmHWM), resident at the end {}",
            mib(self.peak_rss_bytes),
            mib(self.rss_bytes)
        );
        if self.sim_rss_bytes.is_some() {
            let _ = writeln!(
                out,
                "- the simulator's process at the end: resident {}",
                mib(self.sim_rss_bytes)
            );
        }
        out.push('\n');
        if self.in_flight.is_empty() {
            return;
        }
        out.push_str(
            "| what | sends in flight | reached the simulator | heap per send (bytes) | resident per send (bytes) | errors |\n\
             |---|---:|---:|---:|---:|---:|\n",
        );
        for row in &self.in_flight {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.0} | {} | {} |",
                row.name,
                row.in_flight,
                row.arrived,
                row.heap_bytes_per_send,
                row.rss_bytes_per_send
                    .map_or_else(|| "n/a".to_owned(), |b| format!("{b:.0}")),
                row.errors
            );
        }
        out.push('\n');
    }

    fn write_statements(&self, out: &mut String) {
        if self.statements.is_empty() {
            return;
        }
        out.push_str(
            "### One statement through sqlx\n\n\
             Each statement one after the other on one connection: `SELECT $1` outside a \
             transaction, a one-row `INSERT` inside one (rolled back after the timing, so no fsync in it). \
             What every statement of a store costs at least, whatever it does: on SQLite a \
             round trip to the connection's worker thread, on PostgreSQL one to the server. \
             Medians of the rounds.\n\n\
             | driver | statements a round | rounds | µs a `SELECT $1` | µs an `INSERT` |\n\
             |---|---:|---:|---:|---:|\n",
        );
        for row in &self.statements {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} | {:.1} |",
                row.driver, row.statements, row.rounds, row.select_us, row.insert_us
            );
        }
        out.push('\n');
    }

    fn write_cold_start(&self, out: &mut String) {
        let Some(cold) = &self.cold_start else {
            return;
        };
        let _ = writeln!(
            out,
            "### Cold start\n\n\
             The first `PhoneNumber::parse` of a process (numbering metadata loaded, patterns \
             compiled), median of {} fresh processes: {:.2} ms, resident set +{}; a warm parse \
             after it: {:.1} µs.\n",
            cold.runs,
            cold.first_us / 1e3,
            cold.rss_growth_bytes
                .map_or_else(|| "n/a".to_owned(), |b| format!("{:.1} MiB", b / 1048576.0)),
            cold.warm_us,
        );
    }

    fn write_verdict(&self, out: &mut String) {
        out.push_str("### Checks and targets\n\n");
        let _ = writeln!(
            out,
            "- errors: {}; records missing or extra: {}",
            self.total_errors(),
            self.record_mismatches()
        );
        let app_in_memory = app_row_name("in-memory");
        for (name, target, what) in [
            (ADAPTER, ADAPTER_TARGET, "the adapter"),
            (
                app_in_memory.as_str(),
                APP_TARGET,
                "the app with the in-memory store",
            ),
        ] {
            let worst = self
                .sends
                .iter()
                .filter(|row| row.name == name)
                .filter_map(|row| row.ratio_to_baseline.map(|r| (r, row.concurrency)))
                .min_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((worst, at)) = worst {
                let _ = writeln!(
                    out,
                    "- {what}: lowest throughput ratio to the baseline {worst:.3} (at concurrency {at}); target ≥ {target:.2}: {}",
                    met(worst >= target)
                );
            }
        }
        for adapter in self.sends.iter().filter(|row| row.name == ADAPTER) {
            let decoded = self
                .sends
                .iter()
                .find(|row| row.name == BASELINE_DECODED && row.concurrency == adapter.concurrency);
            if let (Some(r_adapter), Some(r_decoded)) = (
                adapter.ratio_to_baseline,
                decoded.and_then(|row| row.ratio_to_baseline),
            ) {
                let _ = writeln!(
                    out,
                    "- the adapter's gap to the baseline at concurrency {}: {:.1} % of its throughput; the decode alone (`{BASELINE_DECODED}`) {:.1} %, the rest of the adapter {:.1} %",
                    adapter.concurrency,
                    (1.0 - r_adapter) * 100.0,
                    (1.0 - r_decoded) * 100.0,
                    (r_decoded - r_adapter) * 100.0,
                );
            }
        }
        for summary in self.metrics_summaries() {
            let mut line = format!(
                "- {} over {} at concurrency {}: throughput with metrics {:+.1} % of without (median of {} rounds, {:+.1} to {:+.1} %)",
                APP,
                summary.store,
                summary.concurrency,
                summary.change * 100.0,
                summary.rounds,
                summary.lowest * 100.0,
                summary.highest * 100.0,
            );
            // The measured cost decides when there is one: the rows' medians swing more than
            // the target on 2 shared cores.
            let verdict = match self.recorder_share(&summary) {
                Some(share) => {
                    let _ = write!(
                        line,
                        "; the recorder's measured cost is {:.2} % of the row's CPU per send",
                        share * 100.0
                    );
                    share <= METRICS_TARGET
                }
                None => summary.change >= -METRICS_TARGET,
            };
            let _ = writeln!(
                out,
                "{line}; target within {:.0} %: {}",
                METRICS_TARGET * 100.0,
                met(verdict)
            );
        }
        for on in self
            .sends
            .iter()
            .filter(|row| row.sends_counted_by_metrics.is_some())
        {
            let _ = writeln!(
                out,
                "- {} at concurrency {}: sends counted by the recorder {} of {}: {}",
                on.name,
                on.concurrency,
                on.sends_counted_by_metrics.unwrap_or(0),
                on.records_expected,
                met(on.sends_counted_by_metrics == Some(on.records_expected)),
            );
        }
        self.write_store_targets(out);
        for row in &self.history {
            if let Some(r) = row.p50_ratio_to_small {
                let _ = writeln!(
                    out,
                    "- {} with {} past records: median send latency × {r:.3} of the small history's; target ≤ {HISTORY_TARGET}: {}",
                    row.backend,
                    row.past_records,
                    met(r <= HISTORY_TARGET)
                );
            }
        }
    }
}

impl Report {
    /// The recorder's cost per send (measured without the network) over the CPU both
    /// processes spend per send in the rows of `summary`.
    fn recorder_share(&self, summary: &MetricsSummary<'_>) -> Option<f64> {
        let cost = self.metrics_cost?;
        let cpu_ns = summary.both_cpu_off? * 1e3;
        (cpu_ns > 0.0).then(|| cost.added_ns().max(0.0) / cpu_ns)
    }

    /// The metrics rounds grouped by store and concurrency, in the order measured.
    fn metrics_summaries(&self) -> Vec<MetricsSummary<'_>> {
        summaries(&self.metrics)
    }

    /// The guards' rounds: per SQL store and concurrency, the median of (throughput with the
    /// guards against pumping ÷ without) and its lowest and highest round, against
    /// [`PUMPING_TARGET`].
    fn write_guards(&self, out: &mut String) {
        let summaries = summaries(&self.guards);
        if summaries.is_empty() {
            return;
        }
        out.push_str(
            "### What the guards against pumping cost\n\n\
             Each app row over a SQL store measured without and with the guards against pumping \
             (`targets::pumping_guards()`), over fresh stores, in rounds that alternate which \
             goes first (the first round's pair is the send table's); medians over the rounds.\n\n\
             | store | concurrency | rounds | throughput with ÷ without (median) | lowest | highest | client CPU µs/send without | with | target |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---|\n",
        );
        for s in summaries {
            let ratio = 1.0 + s.change;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {} | {} | ≥ {PUMPING_TARGET:.2}: {} |",
                s.store,
                s.concurrency,
                s.rounds,
                ratio,
                1.0 + s.lowest,
                1.0 + s.highest,
                micros(s.cpu_off),
                micros(s.cpu_on),
                met(ratio >= PUMPING_TARGET),
            );
        }
        out.push('\n');
    }
}

/// What the rounds of `pairs` say per store and concurrency, medians over the rounds.
fn summaries(pairs: &[MetricsPair]) -> Vec<MetricsSummary<'_>> {
    {
        let mut groups: Vec<(&str, usize)> = Vec::new();
        for pair in pairs {
            if !groups.contains(&(pair.store.as_str(), pair.concurrency)) {
                groups.push((pair.store.as_str(), pair.concurrency));
            }
        }
        groups
            .into_iter()
            .filter_map(|(store, concurrency)| {
                let pairs: Vec<&MetricsPair> = pairs
                    .iter()
                    .filter(|p| p.store == store && p.concurrency == concurrency)
                    .collect();
                let changes: Vec<f64> = pairs.iter().map(|p| p.change()).collect();
                let cpu = |pick: fn(&MetricsPair) -> Option<f64>| {
                    median(pairs.iter().filter_map(|p| pick(p)).collect())
                };
                Some(MetricsSummary {
                    store,
                    concurrency,
                    rounds: pairs.len(),
                    change: median(changes.clone())?,
                    lowest: changes.iter().copied().fold(f64::INFINITY, f64::min),
                    highest: changes.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    cpu_off: cpu(|p| p.client_cpu_us_off),
                    cpu_on: cpu(|p| p.client_cpu_us_on),
                    both_cpu_off: cpu(|p| Some(p.client_cpu_us_off? + p.sim_cpu_us_off?)),
                })
            })
            .collect()
    }
}

impl Report {
    fn write_metrics(&self, out: &mut String) {
        let summaries = self.metrics_summaries();
        if summaries.is_empty() {
            return;
        }
        out.push_str(
            "### What the metrics recorder costs

",
        );
        out.push_str(
            "Each app row measured without and with the recorder, over fresh stores, in rounds \
             that alternate which goes first; medians over the rounds.\n\n\
             | store | concurrency | rounds | throughput with ÷ without − 1 (median) | lowest | highest | client CPU µs/send without | with | recorder's cost ÷ CPU per send (both processes) |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for s in summaries {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:+.1} % | {:+.1} % | {:+.1} % | {} | {} | {} |",
                s.store,
                s.concurrency,
                s.rounds,
                s.change * 100.0,
                s.lowest * 100.0,
                s.highest * 100.0,
                micros(s.cpu_off),
                micros(s.cpu_on),
                self.recorder_share(&s).map_or_else(
                    || "n/a".to_owned(),
                    |share| format!("{:.2} %", share * 100.0)
                ),
            );
        }
        out.push('\n');
        if let Some(cost) = &self.metrics_cost {
            let _ = writeln!(
                out,
                "Without the network (the app over the in-memory store and a gateway that answers \
                 at once, one send at a time, {} rounds of {} sends each way, medians): {:.0} ns \
                 a send without the recorder, {:.0} ns with it: {:+.0} ns a send. The last column \
                 is that over the row's CPU per send (client and simulator, without the \
                 recorder): on 2 shared cores the throughput of a row is bound by it, so this is \
                 the share of throughput the recorder takes, free of the rows' run-to-run noise.\n",
                cost.rounds,
                cost.sends_per_round,
                cost.off_ns,
                cost.on_ns,
                cost.added_ns(),
            );
        }
    }

    /// The durable stores' targets: throughput against their floor, and tail latency.
    fn write_store_targets(&self, out: &mut String) {
        for row in self
            .sends
            .iter()
            .filter(|row| row.ratio_to_floor.is_some() && !row.name.ends_with(METRICS_SUFFIX))
        {
            let ratio = row.ratio_to_floor.unwrap_or(0.0);
            let mut verdict = format!(
                "- {} at concurrency {}: {:.0} sends/s, {ratio:.3} × its floor; p99 {:.1} ms, max {:.1} ms",
                row.name, row.concurrency, row.throughput, row.p99_ms, row.max_ms,
            );
            if !STORE_TARGET_AT.contains(&row.concurrency) {
                verdict.push_str(" (no target at this concurrency)");
            } else {
                let _ = write!(
                    verdict,
                    "; targets: ≥ {FLOOR_TARGET:.1} × floor {}",
                    met(ratio >= FLOOR_TARGET)
                );
                if row.name == app_row_name("SQLite") {
                    let (p99, max) = SQLITE_LATENCY_TARGET_MS;
                    let _ = write!(
                        verdict,
                        ", p99 ≤ {p99:.0} ms {}, max ≤ {max:.0} ms {}",
                        met(row.p99_ms <= p99),
                        met(row.max_ms <= max)
                    );
                } else if row.name == app_row_name("PostgreSQL") && row.concurrency == 64 {
                    let _ = write!(
                        verdict,
                        ", p99 ≤ {POSTGRES_P99_TARGET_MS:.0} ms {}",
                        met(row.p99_ms <= POSTGRES_P99_TARGET_MS)
                    );
                }
            }
            let _ = writeln!(out, "{verdict}");
        }
    }
}

/// What the name of a row measured with a metrics recorder ends with.
const METRICS_SUFFIX: &str = " + metrics";

/// The name of the row measuring `row` again with a metrics recorder installed.
pub(crate) fn with_metrics(row: &str) -> String {
    format!("{row}{METRICS_SUFFIX}")
}

/// What the name of a row measured under the guards against pumping ends with.
const PUMPING_SUFFIX: &str = " + pumping guards";

/// The name of the row measuring `row` again under `targets::pumping_guards`: its throughput
/// over the row's own is what the guards cost (at least 0.9, issue 27).
pub(crate) fn with_pumping_guards(row: &str) -> String {
    format!("{row}{PUMPING_SUFFIX}")
}

/// The name of the floor row of the SQL store labelled `store`.
pub(crate) fn floor_row_name(store: &str) -> String {
    format!("{FLOOR} ({store})")
}

/// The name of an app row over the store labelled `store`.
pub(crate) fn app_row_name(store: &str) -> String {
    format!("{APP} ({store})")
}

fn met(yes: bool) -> &'static str {
    if yes { "met" } else { "NOT met" }
}

fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |r| format!("{r:.3}"))
}

fn records(row: &SendRow) -> String {
    if row.records_found == row.records_expected {
        format!("{} ✓", row.records_found)
    } else {
        format!("{} of {} ✗", row.records_found, row.records_expected)
    }
}

fn micros(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |us| format!("{us:.0}"))
}

fn send_table_head(out: &mut String, first: &str) {
    let _ = writeln!(
        out,
        "| {first} | concurrency | requests | sends/s | p50 ms | p99 ms | max ms | ÷ baseline | ÷ floor | client CPU µs/send | simulator CPU µs/send | PostgreSQL CPU µs/send | client allocations/send | client context switches/send | errors | records ok |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
}

fn send_table_row(out: &mut String, name: &str, row: &SendRow) {
    let _ = writeln!(
        out,
        "| {name} | {} | {} | {:.0} | {:.3} | {:.3} | {:.3} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        row.concurrency,
        row.requests,
        row.throughput,
        row.p50_ms,
        row.p99_ms,
        row.max_ms,
        ratio(row.ratio_to_baseline),
        ratio(row.ratio_to_floor),
        micros(row.client_cpu_us),
        micros(row.sim_cpu_us),
        micros(row.postgres_cpu_us),
        micros(row.allocations_per_send),
        row.context_switches_per_send
            .map_or_else(|| "n/a".to_owned(), |switches| format!("{switches:.2}")),
        row.errors,
        records(row),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(store: &str, round: usize, off: f64, on: f64) -> MetricsPair {
        MetricsPair {
            store: store.to_owned(),
            concurrency: 16,
            round,
            throughput_off: off,
            throughput_on: on,
            client_cpu_us_off: Some(off / 100.0),
            client_cpu_us_on: Some(on / 100.0),
            sim_cpu_us_off: None,
        }
    }

    #[test]
    fn the_median_of_an_odd_and_an_even_count() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn the_metrics_rounds_are_summarised_per_store_by_their_median_change() {
        let mut report = Report::new(Machine::read(&crate::Plan::smoke()));
        // One round in which metrics look 50 % faster (noise) does not move the median.
        report.metrics = vec![
            pair("SQLite", 0, 100.0, 99.0),
            pair("in-memory", 0, 100.0, 90.0),
            pair("SQLite", 1, 100.0, 150.0),
            pair("SQLite", 2, 100.0, 97.0),
        ];
        let summaries = report.metrics_summaries();
        assert_eq!(summaries.len(), 2);
        let sqlite = &summaries[0];
        assert_eq!((sqlite.store, sqlite.rounds), ("SQLite", 3));
        assert!((sqlite.change - -0.01).abs() < 1e-9, "{}", sqlite.change);
        assert!((sqlite.lowest - -0.03).abs() < 1e-9);
        assert!((sqlite.highest - 0.5).abs() < 1e-9);
        assert_eq!(sqlite.cpu_off, Some(1.0));
        let markdown = report.to_markdown();
        assert!(
            markdown.contains("| in-memory | 16 | 1 | -10.0 % |"),
            "{markdown}"
        );
        assert!(
            markdown.contains("over in-memory at concurrency 16: throughput with metrics -10.0 %")
        );
        assert!(markdown.contains("NOT met"), "{markdown}");
    }
}
