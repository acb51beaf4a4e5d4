//! What a run found, and the Markdown it prints (made to be pasted into
//! `docs/performance.md`).

use std::fmt::Write as _;

use serde::Serialize;

use crate::machine::Machine;

/// The adapter's least throughput, as a share of the baseline's, that the issue asks for.
pub const ADAPTER_TARGET: f64 = 0.95;
/// The app's (in-memory store) least throughput, as a share of the baseline's.
pub const APP_TARGET: f64 = 0.90;
/// The most the app's throughput ratio to the baseline may fall with a metrics recorder
/// installed, as a share of the ratio without.
pub const METRICS_TARGET: f64 = 0.02;
/// The most the median send latency may grow from the small to the large history.
pub const HISTORY_TARGET: f64 = 1.2;

/// The name of the baseline rows.
pub(crate) const BASELINE: &str = "baseline (bare reqwest)";
/// The name of the adapter rows.
pub(crate) const ADAPTER: &str = "adapter send_code";
/// The name of the app rows, before the store's name.
pub(crate) const APP: &str = "app SendCode";

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
    /// With a recorder installed: the sends it counted (`phone_verify_sends_total`), the
    /// warm-up's included; one per send.
    pub sends_counted_by_metrics: Option<u64>,
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
        self.write_history(&mut out);
        self.write_memory(&mut out);
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
        for on in self
            .sends
            .iter()
            .filter(|row| row.sends_counted_by_metrics.is_some())
        {
            let off = self.sends.iter().find(|off| {
                off.concurrency == on.concurrency && with_metrics(&off.name) == on.name
            });
            if let (Some(r_on), Some(r_off)) = (
                on.ratio_to_baseline,
                off.and_then(|off| off.ratio_to_baseline),
            ) {
                let change = r_on / r_off - 1.0;
                let _ = writeln!(
                    out,
                    "- {} at concurrency {}: ratio to the baseline {r_on:.3} with metrics, {r_off:.3} without ({:+.1} %); target within {:.0} %: {}; sends counted by the recorder {} of {}",
                    on.name,
                    on.concurrency,
                    change * 100.0,
                    METRICS_TARGET * 100.0,
                    met(change >= -METRICS_TARGET),
                    on.sends_counted_by_metrics.unwrap_or(0),
                    on.records_expected,
                );
            }
        }
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

/// The name of the row measuring `row` again with a metrics recorder installed.
pub(crate) fn with_metrics(row: &str) -> String {
    format!("{row} + metrics")
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
        "| {first} | concurrency | requests | sends/s | p50 ms | p99 ms | max ms | ÷ baseline | client CPU µs/send | simulator CPU µs/send | errors | records ok |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
}

fn send_table_row(out: &mut String, name: &str, row: &SendRow) {
    let _ = writeln!(
        out,
        "| {name} | {} | {} | {:.0} | {:.3} | {:.3} | {:.3} | {} | {} | {} | {} | {} |",
        row.concurrency,
        row.requests,
        row.throughput,
        row.p50_ms,
        row.p99_ms,
        row.max_ms,
        ratio(row.ratio_to_baseline),
        micros(row.client_cpu_us),
        micros(row.sim_cpu_us),
        row.errors,
        records(row),
    );
}
