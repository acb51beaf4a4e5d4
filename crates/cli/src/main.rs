//! `phone-verify`: the command-line tool of phone-verify. `main` only wires: it parses the
//! arguments, sets up logging, builds the adapters and use cases a command needs, runs it, and
//! turns the outcome into one clear line and a documented exit code.

mod args;
mod commands;
mod exit;
mod output;
mod provider_text;
mod wiring;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use phone_verify_app::PhoneLogGuard;
use serde_json::json;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::args::{Cli, Command};
use crate::exit::{CliError, Exit};
use crate::output::Output;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.json);
    tracing_subscriber::fmt()
        .with_env_filter(log_filter(&cli.command))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .finish()
        .with(PhoneLogGuard::new())
        .init();
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| CliError::new(Exit::Config, format!("cannot start the runtime: {error}")))
        .and_then(|runtime| runtime.block_on(run(cli.command, out)));
    match outcome {
        Ok(exit) => exit.into(),
        Err(error) => {
            report(&error, out);
            error.exit.into()
        }
    }
}

/// `RUST_LOG`, or when it is unset no logs at all: a failed command says everything in its one
/// error line and hint. The `sim` server logs one line per request at `info`, as `idmeta-sim`
/// does (its warnings have no other outlet). Whatever the filter, [`PhoneLogGuard`] drops the
/// dependencies that log numbers in clear.
fn log_filter(command: &Command) -> EnvFilter {
    let default = match command {
        Command::Sim(_) => "info",
        _ => "off",
    };
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default))
}

async fn run(command: Command, out: Output) -> Result<Exit, CliError> {
    match command {
        Command::Demo(args) => commands::demo::run(args, out).await,
        Command::Send(args) => commands::send::run(args, out).await,
        Command::Check(args) => commands::check::run(args, out).await,
        Command::History(args) => commands::history::run(args, out).await,
        Command::Sim(args) => commands::sim::run(args).await,
    }
}

/// One line on stderr (and a hint), and with `--json` an error document on stdout.
fn report(error: &CliError, out: Output) {
    eprintln!("phone-verify: {}", error.message);
    if let Some(hint) = &error.hint {
        eprintln!("  hint: {hint}");
    }
    out.json(&json!({
        "ok": false,
        "error": {
            "class": error.class(),
            "exit_code": error.exit as u8,
            "message": error.message,
            "hint": error.hint,
        }
    }));
}
