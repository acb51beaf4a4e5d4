//! One whole run: the send table, the history table, the memory measurements, in that
//! order, against one simulator.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::cold_start;
use crate::driver;
use crate::load::drive;
use crate::memory;
use crate::metrics_cost;
use crate::recorder::{self, MetricsOn};
use crate::report::{
    ADAPTER, BASELINE, BASELINE_DECODED, MetricsPair, Report, SendRow, app_row_name,
    floor_row_name, with_metrics, with_pumping_guards,
};
use crate::sim::Sim;
use crate::stats::Percentiles;
use crate::stores::{StoreKind, StoreUnderTest};
use crate::targets::{
    Adapter, App, BareSqlSend, Baseline, BaselineDecoded, Sender, adapter, app_policy,
    pumping_guards,
};
use crate::workload::Numbers;
use crate::{Plan, SimPlacement, history, in_flight, machine::Machine};

/// Runs the plan and returns what it found. Progress goes to stderr, one line per row.
///
/// # Errors
///
/// When the simulator, a store or a control call fails: the run cannot go on. Failed
/// sends are not errors here; they are counted in the report.
pub async fn run(plan: &Plan) -> anyhow::Result<Report> {
    let mut report = Report::new(Machine::read(plan));
    let open_files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let sim = Sim::start(plan.sim).await?;
    let mut bench = Bench {
        plan,
        sim,
        // The seeded histories take the numbers below their size.
        numbers: Numbers::starting_at(plan.histories[1]),
        fastest: BTreeMap::new(),
    };
    let stores = app_stores(plan, &mut report);

    for &concurrency in &plan.concurrencies {
        let url = bench.sim.base_url().to_owned();
        let baseline = bench
            .measure(
                BASELINE.to_owned(),
                Arc::new(Baseline::new(&url)?),
                None,
                concurrency,
                plan.requests,
                plan.duration,
            )
            .await?;
        let floor = baseline.throughput;
        report.sends.push(baseline);
        let row = bench
            .measure(
                BASELINE_DECODED.to_owned(),
                Arc::new(BaselineDecoded(Baseline::new(&url)?)),
                None,
                concurrency,
                plan.requests,
                plan.duration,
            )
            .await?;
        report.sends.push(row);
        let row = bench
            .measure(
                ADAPTER.to_owned(),
                Arc::new(Adapter(adapter(&url)?)),
                None,
                concurrency,
                plan.requests,
                plan.duration,
            )
            .await?;
        report.sends.push(row);
        for &kind in &stores {
            if kind != StoreKind::InMemory {
                let row = bench.measure_floor(kind, &url, concurrency).await?;
                report.sends.push(row);
            }
            if plan.metrics {
                bench
                    .metrics_rounds(kind, &url, concurrency, &mut report)
                    .await?;
            } else {
                let row = bench.measure_app(kind, &url, concurrency, false).await?;
                report.sends.push(row);
            }
            if kind != StoreKind::InMemory {
                bench
                    .guard_rounds(kind, &url, concurrency, &mut report)
                    .await?;
            }
        }
        for row in report
            .sends
            .iter_mut()
            .filter(|row| row.concurrency == concurrency)
        {
            row.ratio_to_baseline = Some(row.throughput / floor);
        }
        for &kind in &stores {
            let floor = report
                .sends
                .iter()
                .find(|row| {
                    row.concurrency == concurrency && row.name == floor_row_name(kind.label())
                })
                .map(|row| row.throughput);
            let app = app_row_name(kind.label());
            let on = with_metrics(&app);
            let guarded = with_pumping_guards(&app);
            for row in report.sends.iter_mut().filter(|row| {
                row.concurrency == concurrency
                    && (row.name == app || row.name == on || row.name == guarded)
            }) {
                row.ratio_to_floor = floor.map(|floor| row.throughput / floor);
            }
        }
    }

    if plan.metrics {
        let sends = if plan.smoke { 200 } else { METRICS_COST_SENDS };
        let rounds = plan.metrics_rounds.max(3);
        report.metrics_cost = Some(metrics_cost::measure(&bench.numbers, rounds, sends).await?);
    }

    for &kind in stores.iter().filter(|kind| **kind != StoreKind::InMemory) {
        let rows = history::rows(&mut bench, kind).await?;
        report.history.extend(rows);
    }

    let in_process = plan.sim == SimPlacement::InProcess;
    for &count in &plan.in_flight {
        // Each send holds a socket here, and one in the simulator when it shares the process.
        let needed = count as u64 * if in_process { 2 } else { 1 } + 256;
        if needed > open_files {
            report.notes.push(format!(
                "{count} sends in flight skipped: they need {needed} open files and the limit is {open_files}"
            ));
            continue;
        }
        let url = bench.sim.base_url().to_owned();
        let baseline: Arc<dyn Sender> = Arc::new(Baseline::new(&url)?);
        let row = in_flight::measure(&bench, BASELINE, &baseline, None, count).await?;
        report.in_flight.push(row);
        // Close the baseline's pool first: its idle connections would otherwise hold `count`
        // open files while the app opens as many again (the limit is often 20,000).
        drop(baseline);
        let store = StoreUnderTest::open(StoreKind::InMemory, None).await?;
        let app: Arc<dyn Sender> = Arc::new(App::new(&url, &store, app_policy()).await?);
        let name = app_row_name(StoreKind::InMemory.label());
        let row = in_flight::measure(&bench, &name, &app, Some(&store), count).await?;
        report.in_flight.push(row);
    }

    if plan.sim == SimPlacement::Child {
        let runs = if plan.smoke { 1 } else { COLD_START_RUNS };
        report.cold_start = Some(
            tokio::task::spawn_blocking(move || cold_start::measure_in_children(runs)).await??,
        );
    } else {
        report.notes.push(
            "cold start not measured: it needs this program as a child process (--sim child)"
                .to_owned(),
        );
    }

    let dir = tempfile::tempdir()?;
    let statements = if plan.smoke { 200 } else { DRIVER_STATEMENTS };
    report.statements = driver::measure(
        dir.path(),
        plan.postgres_url.as_deref(),
        statements,
        DRIVER_ROUNDS,
    )
    .await?;

    report.peak_rss_bytes = memory::status_bytes(None, "VmHWM");
    report.rss_bytes = memory::status_bytes(None, "VmRSS");
    report.sim_rss_bytes = bench.sim.rss_bytes();
    bench.sim.stop().await;
    Ok(report)
}

/// The command name of the PostgreSQL server's processes, whose CPU every row reads.
const POSTGRES_COMMAND: &str = "postgres";

/// Sends per round of the recorder's cost without the network.
const METRICS_COST_SENDS: usize = 50_000;

/// Fresh processes the cold start is measured in.
const COLD_START_RUNS: usize = 9;
/// Statements of each kind in a round of the driver table, and its rounds.
const DRIVER_STATEMENTS: usize = 20_000;
const DRIVER_ROUNDS: usize = 3;

/// The stores of the app rows: in memory and SQLite always, PostgreSQL given its URL.
fn app_stores(plan: &Plan, report: &mut Report) -> Vec<StoreKind> {
    let mut stores = vec![StoreKind::InMemory, StoreKind::Sqlite];
    if plan.postgres_url.is_some() {
        stores.push(StoreKind::Postgres);
    } else {
        report.notes.push(format!(
            "PostgreSQL rows skipped: no --postgres-url and no {}",
            crate::plan::POSTGRES_URL_VAR
        ));
    }
    stores
}

/// What a pair of app rows measures without and with.
#[derive(Debug, Clone, Copy)]
enum Toggled {
    /// The metrics recorder.
    Recorder,
    /// The guards against pumping ([`pumping_guards`]).
    PumpingGuards,
}

impl Toggled {
    /// The report's table of the pairs that toggle it.
    fn table(self, report: &mut Report) -> &mut Vec<MetricsPair> {
        match self {
            Self::Recorder => &mut report.metrics,
            Self::PumpingGuards => &mut report.guards,
        }
    }
}

/// The state a run shares between its rows.
pub(crate) struct Bench<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) sim: Sim,
    pub(crate) numbers: Numbers,
    /// The highest throughput a row reached so far at each concurrency: a timed row
    /// prepares sends for at least the highest of them.
    pub(crate) fastest: BTreeMap<usize, f64>,
}

impl Bench<'_> {
    /// The floor row of a SQL store of `kind`: the bare SQL of [`BareSqlSend`] on a new
    /// store's database.
    async fn measure_floor(
        &mut self,
        kind: StoreKind,
        url: &str,
        concurrency: usize,
    ) -> anyhow::Result<SendRow> {
        let store = StoreUnderTest::open(kind, self.plan.postgres_url.as_deref()).await?;
        let floor = Arc::new(BareSqlSend::new(url, &store).await?);
        let row = self
            .measure(
                floor_row_name(kind.label()),
                Arc::clone(&floor) as Arc<dyn Sender>,
                Some(&store),
                concurrency,
                self.plan.requests,
                self.plan.duration,
            )
            .await;
        floor.close().await;
        store.remove().await?;
        row
    }

    /// The app rows of `kind` without and with the recorder, [`Plan::metrics_rounds`] times,
    /// in the order off-on, on-off, off-on, … so that a drift of the machine over the rounds
    /// weighs on both alike. The first round's rows go to the send table; every round's pair
    /// goes to the metrics table.
    async fn metrics_rounds(
        &mut self,
        kind: StoreKind,
        url: &str,
        concurrency: usize,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        for round in 0..self.plan.metrics_rounds {
            let (off, on) = self
                .measure_pair(kind, url, concurrency, Toggled::Recorder, round, report)
                .await?;
            if round == 0 {
                report.sends.push(off);
                report.sends.push(on);
            }
        }
        Ok(())
    }

    /// The app row of `kind` with the guards against pumping, and [`Plan::guard_rounds`]
    /// pairs without and with them: the first pair is the app row just measured (the send
    /// table's) and the guarded row, which joins the send table; the next ones alternate
    /// which goes first, each over fresh stores, so that a drift of the machine weighs on
    /// both alike. Every pair goes to the guards' table.
    async fn guard_rounds(
        &mut self,
        kind: StoreKind,
        url: &str,
        concurrency: usize,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        let app = app_row_name(kind.label());
        let first_off = report
            .sends
            .iter()
            .rev()
            .find(|row| row.concurrency == concurrency && row.name == app)
            .cloned();
        let first_on = self
            .measure_app_under(kind, url, concurrency, false, true)
            .await?;
        report.sends.push(first_on.clone());
        if let Some(off) = first_off {
            Toggled::PumpingGuards.table(report).push(MetricsPair::of(
                kind.label(),
                0,
                &off,
                &first_on,
            ));
        }
        for round in 1..self.plan.guard_rounds {
            self.measure_pair(
                kind,
                url,
                concurrency,
                Toggled::PumpingGuards,
                round,
                report,
            )
            .await?;
        }
        Ok(())
    }

    /// The app row of `kind` without and with what `toggled` names, each over a fresh store:
    /// off first in even rounds, on first in odd ones. The pair joins `toggled`'s table of
    /// `report`; returns (off, on).
    async fn measure_pair(
        &mut self,
        kind: StoreKind,
        url: &str,
        concurrency: usize,
        toggled: Toggled,
        round: usize,
        report: &mut Report,
    ) -> anyhow::Result<(SendRow, SendRow)> {
        let on_first = round % 2 == 1;
        let mut rows = Vec::with_capacity(2);
        for on in [on_first, !on_first] {
            let (metrics, pumping) = match toggled {
                Toggled::Recorder => (on, false),
                Toggled::PumpingGuards => (false, on),
            };
            rows.push(
                self.measure_app_under(kind, url, concurrency, metrics, pumping)
                    .await?,
            );
        }
        let (first, second) = (rows.remove(0), rows.remove(0));
        let (off, on) = if on_first {
            (second, first)
        } else {
            (first, second)
        };
        toggled
            .table(report)
            .push(MetricsPair::of(kind.label(), round, &off, &on));
        Ok((off, on))
    }

    /// One app row over a new store of `kind`, with the recorder switched on or not. With
    /// it on, the row also says how many sends the recorder counted.
    async fn measure_app(
        &mut self,
        kind: StoreKind,
        url: &str,
        concurrency: usize,
        metrics: bool,
    ) -> anyhow::Result<SendRow> {
        self.measure_app_under(kind, url, concurrency, metrics, false)
            .await
    }

    /// [`Bench::measure_app`] under the app rows' policy, or with `pumping` under
    /// [`pumping_guards`] (the row's name says so).
    async fn measure_app_under(
        &mut self,
        kind: StoreKind,
        url: &str,
        concurrency: usize,
        metrics: bool,
        pumping: bool,
    ) -> anyhow::Result<SendRow> {
        let store = StoreUnderTest::open(kind, self.plan.postgres_url.as_deref()).await?;
        let policy = if pumping {
            pumping_guards()
        } else {
            app_policy()
        };
        let app = Arc::new(App::new(url, &store, policy).await?);
        let name = if pumping {
            with_pumping_guards(&app_row_name(kind.label()))
        } else {
            app_row_name(kind.label())
        };
        let counted_before = recorder::sends_counted();
        let on = metrics.then(MetricsOn::start);
        let row = self
            .measure(
                if metrics { with_metrics(&name) } else { name },
                app,
                Some(&store),
                concurrency,
                self.plan.requests,
                self.plan.duration,
            )
            .await;
        drop(on);
        store.remove().await?;
        let mut row = row?;
        if metrics {
            row.sends_counted_by_metrics = Some(recorder::sends_counted() - counted_before);
        }
        Ok(row)
    }

    /// One row: the simulator reset, a warm-up, then `requests` counted sends (or as many as
    /// `duration` allows) at `concurrency`, and the records they left checked (in `store`, or else as codes the
    /// simulator sent).
    pub(crate) async fn measure(
        &mut self,
        name: String,
        sender: Arc<dyn Sender>,
        store: Option<&StoreUnderTest>,
        concurrency: usize,
        requests: usize,
        duration: Option<Duration>,
    ) -> anyhow::Result<SendRow> {
        self.sim.reset().await?;
        let warm = drive(
            Arc::clone(&sender),
            self.numbers.jobs(self.plan.warmup)?,
            concurrency,
            None,
        )
        .await;
        // A timed row gets twice what it could send in the time at the warm-up's pace or the
        // fastest row's so far (at any concurrency), whichever is higher, prepared beforehand
        // like every job (and bounded, for memory). The warm-up's pace alone (its first
        // sends open connections) left rows short of their time: the in-memory app row at 16
        // ran out of sends after about 2 of its 4 s, and a profile of its last seconds
        // recorded the next row (docs/performance.md, issue 29).
        let (jobs, deadline) = match duration {
            Some(duration) => {
                let warm_pace = warm.latencies.len() as f64 / warm.wall.as_secs_f64().max(1e-3);
                let pace = self
                    .fastest
                    .values()
                    .fold(warm_pace, |pace, fastest| pace.max(*fastest));
                let count = (pace * duration.as_secs_f64() * 2.0).clamp(2_000.0, 400_000.0);
                (self.numbers.jobs(count as usize)?, Some(duration))
            }
            None => (self.numbers.jobs(requests)?, None),
        };
        let (cpu, sim_cpu) = (memory::cpu_time(None), self.sim.cpu_time());
        let allocations = memory::allocations();
        let switches = memory::context_switches();
        let db_cpu = memory::cpu_time_of_command(POSTGRES_COMMAND);
        let started = Instant::now();
        let mut measured = drive(sender, jobs, concurrency, deadline.map(|d| started + d)).await;
        let requests = measured.latencies.len();
        if let Some(duration) = deadline
            && measured.wall < duration.mul_f64(0.95)
        {
            eprintln!(
                "note: {name} @{concurrency} ran out of prepared sends after {:.1} s of its {:.1} s",
                measured.wall.as_secs_f64(),
                duration.as_secs_f64()
            );
        }
        let allocations_per_send = (requests > 0)
            .then(|| memory::allocations().saturating_sub(allocations) as f64 / requests as f64);
        let context_switches_per_send = switches
            .zip(memory::context_switches())
            .filter(|_| requests > 0)
            .map(|(before, after)| after.saturating_sub(before) as f64 / requests as f64);
        let per_send = |before: Option<Duration>, after: Option<Duration>| {
            let spent = after?.checked_sub(before?)?;
            Some(spent.as_secs_f64() * 1e6 / requests as f64)
        };
        let client_cpu_us = per_send(cpu, memory::cpu_time(None));
        let sim_cpu_us = per_send(sim_cpu, self.sim.cpu_time());
        let postgres_cpu_us = per_send(db_cpu, memory::cpu_time_of_command(POSTGRES_COMMAND));
        let expected = (self.plan.warmup + requests) as u64;
        let codes_sent = self.sim.counters().await?.codes_sent;
        let records_found = match store {
            Some(store) => {
                let records = store
                    .records()
                    .await
                    .context("the store's records could not be counted")?;
                // A record for every code the simulator sent, and every record finished.
                if records.all != records.sent || codes_sent != records.sent {
                    records.sent.min(codes_sent)
                } else {
                    records.sent
                }
            }
            None => codes_sent,
        };
        let percentiles = Percentiles::of(&mut measured.latencies);
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let row = SendRow {
            name,
            concurrency,
            requests,
            throughput: requests as f64 / measured.wall.as_secs_f64(),
            p50_ms: ms(percentiles.p50),
            p99_ms: ms(percentiles.p99),
            max_ms: ms(percentiles.max),
            ratio_to_baseline: None,
            errors: warm.errors + measured.errors,
            first_error: warm.first_error.or(measured.first_error),
            records_expected: expected,
            records_found,
            client_cpu_us,
            sim_cpu_us,
            allocations_per_send,
            context_switches_per_send,
            sends_counted_by_metrics: None,
            ratio_to_floor: None,
            postgres_cpu_us,
        };
        let fastest = self.fastest.entry(concurrency).or_insert(0.0);
        *fastest = fastest.max(row.throughput);
        eprintln!(
            "{} @{}: {:.0}/s p50 {:.3} ms p99 {:.3} ms, {} errors{}",
            row.name,
            row.concurrency,
            row.throughput,
            row.p50_ms,
            row.p99_ms,
            row.errors,
            row.first_error
                .as_deref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        );
        Ok(row)
    }
}
