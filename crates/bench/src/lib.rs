//! # phone-verify-bench
//!
//! The benchmark program of phone-verify: it measures, in one run and side by side, what the
//! library costs next to the network. It sits outside the hexagon and composes the library as
//! an embedder does, through the facade's builder (`phone_verify::PhoneVerification`): the real
//! adapter and the stores against the simulator's IDMeta routes on loopback; only its baseline
//! and floor rows, which are not the library, are wired by hand. It never reaches a real IDMeta
//! host.
//!
//! What one run measures (`docs/performance.md` explains every number):
//!
//! - **Sends**: throughput and latency (p50, p99, max) of sending a code at several
//!   concurrencies, for a bare `reqwest` POST of the same JSON (the baseline), the adapter's
//!   `send_code`, and the library's `PhoneVerification::send_code` (the app rows) over the
//!   in-memory, SQLite and (given its URL) PostgreSQL stores. Each row has its ratio to the baseline of the same run, the CPU time
//!   the client and the simulator spent per send, and its checks: errors, and records found
//!   against records expected. Each SQL store also has a floor row (the bare SQL of one
//!   `INSERT` and one `UPDATE` a send, on the store's schema and durability settings), and
//!   its app rows their ratio to that floor.
//! - **Metrics**: with `--metrics` (and in the smoke run), each app row again with a
//!   Prometheus recorder installed (`metrics-exporter-prometheus`, no HTTP listener), and the
//!   app's ratio to the baseline with metrics on next to the ratio with them off, over
//!   `--metrics-rounds` alternating pairs, as medians.
//! - **One statement through sqlx**: `SELECT $1` and a one-row `INSERT`, one after the
//!   other on one connection, for SQLite and (given its URL) PostgreSQL: what every statement
//!   of a store costs at least, whatever it does.
//! - **Cold start**: the first phone-number parse of fresh processes (this program,
//!   re-executed with a hidden `cold-start` command): its time and resident memory.
//! - **History**: send latency with a SQL store already holding a small and a large number
//!   of past records, and their ratio.
//! - **Memory**: the process's peak and current resident set, and the memory per in-flight
//!   send (heap bytes and resident bytes) with hundreds and thousands of sends held open by
//!   the simulator.
//!
//! Apart from the run, `phone-verify-bench purge-locks` ([`measure_purge_locks`]) measures
//! how long a batch of the purge and of the conversion to protected numbers holds a SQL
//! store's lock, on the shapes of issue 30, and how long another writer waits beside them.
//!
//! The simulator runs in a child process (this program, re-executed with a hidden
//! `simulator` command) so that its CPU time and memory are measured apart from the
//! client's. The library entry point is [`run`]; `main` only parses flags and prints.
//!
//! ```no_run
//! use phone_verify_bench::{Plan, run};
//!
//! # async fn demo() -> anyhow::Result<()> {
//! let plan = Plan::smoke();
//! let report = run(&plan).await?;
//! print!("{}", report.to_markdown());
//! assert_eq!(report.total_errors(), 0);
//! # Ok(())
//! # }
//! ```

mod cold_start;
mod driver;
mod history;
mod in_flight;
mod load;
mod machine;
mod memory;
mod metrics_cost;
mod plan;
mod purge_locks;
mod recorder;
mod report;
mod run;
mod sim;
mod stats;
mod stores;
mod targets;
mod workload;

pub use cold_start::{COLD_START_COMMAND, ColdParse, ColdStartRow, measure_this_process};
pub use driver::StatementRow;
pub use machine::Machine;
pub use metrics_cost::{LibraryLoop, MetricsCost, library_loop};
pub use plan::{BenchArgs, Plan, SimPlacement};
pub use purge_locks::{PurgeLockArgs, measure_purge_locks};
pub use report::{
    ADAPTER_TARGET, APP_TARGET, FLOOR_TARGET, HISTORY_TARGET, HistoryRow, InFlightRow,
    METRICS_TARGET, MetricsPair, POSTGRES_P99_TARGET_MS, PUMPING_TARGET, Report,
    SQLITE_LATENCY_TARGET_MS, STORE_TARGET_AT, SendRow,
};
pub use run::run;
pub use sim::SIMULATOR_COMMAND;

/// Every allocation of the process goes through this counting wrapper of the system
/// allocator, so the memory per in-flight send is the client's own heap, apart from the
/// simulator's (another process) and the kernel's socket buffers. It costs a few relaxed
/// atomic additions per allocation, in every row alike.
#[global_allocator]
static ALLOCATOR: &stats_alloc::StatsAlloc<std::alloc::System> = &stats_alloc::INSTRUMENTED_SYSTEM;
