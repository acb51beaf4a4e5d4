//! `phone-verify-bench`: runs the benchmark and prints its Markdown report. Only parses flags
//! and prints; the work is in the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use phone_verify_bench::{
    BenchArgs, COLD_START_COMMAND, Plan, PurgeLockArgs, SIMULATOR_COMMAND, measure_purge_locks,
};

/// Benchmarks phone-verify against the simulator's IDMeta routes on loopback and prints a Markdown
/// table. Release builds only (`cargo run --release -p phone-verify-bench`), except --smoke.
#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    args: BenchArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serves the simulator (the benchmark starts itself this way, in a child process).
    #[command(name = SIMULATOR_COMMAND, hide = true)]
    Simulator(phone_verify_sim::cli::SimArgs),
    /// Measures this process's first phone-number parse and prints it as JSON (the
    /// benchmark runs itself this way, in fresh child processes).
    #[command(name = COLD_START_COMMAND, hide = true)]
    ColdStart,
    /// Sends through the library alone (in-memory store, a gateway that answers at once, no
    /// socket), one at a time, and prints ns and allocator calls per send as JSON: the
    /// program to run under `valgrind --tool=dhat` or `perf record` (docs/performance.md).
    LibraryLoop {
        /// Sends counted (as many again are sent first, not counted).
        #[arg(long, default_value_t = 20_000)]
        sends: usize,
    },
    /// Measures how long a batch of the purge and of the conversion to protected numbers
    /// holds a SQL store's lock (SQLite, and PostgreSQL given its URL), and prints a
    /// Markdown table.
    PurgeLocks(PurgeLockArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::ColdStart) = cli.command {
        return match phone_verify_bench::measure_this_process() {
            Ok(parse) => {
                println!("{}", serde_json::json!(parse));
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("cold start: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::LibraryLoop { sends }) = cli.command {
        return match phone_verify_bench::library_loop(sends).await {
            Ok(figures) => {
                println!("{}", serde_json::json!(figures));
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::PurgeLocks(args)) = &cli.command {
        if cfg!(debug_assertions) {
            eprintln!("note: a debug build; the times are a release build's several times over");
        }
        return match measure_purge_locks(args).await {
            Ok(table) => {
                print!("{table}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::Simulator(args)) = cli.command {
        return match phone_verify_sim::cli::serve(&args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("simulator: {}", phone_verify_domain::error_chain(&error));
                ExitCode::FAILURE
            }
        };
    }
    let plan = Plan::from_args(cli.args);
    if cfg!(debug_assertions) && !plan.smoke {
        eprintln!(
            "error: a debug build measures nothing worth printing; run \
             `cargo run --release -p phone-verify-bench` (or pass --smoke to check it works)"
        );
        return ExitCode::from(2);
    }
    let report = match phone_verify_bench::run(&plan).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", report.to_markdown());
    if let Some(path) = &plan.json {
        let written = serde_json::to_vec_pretty(&report)
            .map_err(std::io::Error::other)
            .and_then(|json| std::fs::write(path, json));
        if let Err(error) = written {
            eprintln!("error: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if report.total_errors() > 0 || report.record_mismatches() > 0 {
        eprintln!("error: some sends failed or records are missing (see the checks)");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
