//! `phone-verify`: the command-line tool of phone-verify. `main` only wires: it parses the
//! arguments, sets up logging, has the library's builder (`phone_verify`, the one front door)
//! build what a command needs, runs it, and turns the outcome into one clear line and a
//! documented exit code.

mod args;
mod asked;
mod commands;
mod exit;
mod input;
mod output;
mod provider_text;
mod usage;
mod wiring;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use phone_verify::PhoneLogGuard;
use serde_json::json;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::args::{Cli, Command};
use crate::exit::{CliError, Exit};
use crate::output::Output;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return refused(&error),
    };
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
/// error line and hint. The `sim` server logs one line per request at `info`, as `phone-verify-sim`
/// does (its warnings have no other outlet). Whatever the filter, [`PhoneLogGuard`] drops the
/// dependencies that log numbers in clear.
fn log_filter(command: &Command) -> EnvFilter {
    let default = match command {
        Command::Sim(_) => "info",
        _ => "off",
    };
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default))
}

/// Runs the command, then closes the stores it opened, whatever its outcome.
async fn run(command: Command, out: Output) -> Result<Exit, CliError> {
    let stores = wiring::Stores::default();
    let outcome = match command {
        Command::Demo(args) => commands::demo::run(args, out, &stores).await,
        Command::Send(args) => commands::send::run(args, out, &stores).await,
        Command::Check(args) => commands::check::run(args, out, &stores).await,
        Command::History(args) => commands::history::run(args, out, &stores).await,
        Command::Purge(args) => commands::purge::run(args, out, &stores).await,
        Command::Reconcile(args) => commands::reconcile::run(args, out, &stores).await,
        Command::ProtectNumbers(args) => commands::protect_numbers::run(args, out, &stores).await,
        Command::Stats(args) => commands::stats::run(args, out, &stores).await,
        Command::Sim(args) => commands::sim::run(args).await,
    };
    stores.close().await;
    outcome
}

/// A command line clap refused: on stderr an error line in clap's shape that names the argument
/// and why, never a value typed ([`usage`]), and with `--json` the error document on stdout;
/// exit 2. `--json` is looked for in the raw arguments (before any `--`), as parsing failed.
/// Help and version are not errors: printed, exit 0.
fn refused(error: &clap::Error) -> ExitCode {
    if !error.use_stderr() {
        error.exit();
    }
    eprint!("{}", usage::stderr_text(error));
    let json = std::env::args_os()
        .skip(1)
        .take_while(|arg| arg != "--")
        .any(|arg| arg == "--json");
    let hint = usage::suggestion(error).unwrap_or_else(|| "see --help".to_owned());
    let error = CliError::usage(usage::message(error)).hint(hint);
    Output::new(json).json(&error_document(&error));
    error.exit.into()
}

/// One line on stderr (and a hint), and with `--json` an error document on stdout.
fn report(error: &CliError, out: Output) {
    eprintln!("phone-verify: {}", error.message);
    if let Some(hint) = &error.hint {
        eprintln!("  hint: {hint}");
    }
    out.json(&error_document(error));
}

/// The `--json` document of an error.
fn error_document(error: &CliError) -> serde_json::Value {
    json!({
        "ok": false,
        "error": {
            "class": error.class(),
            "exit_code": error.exit as u8,
            "message": error.message,
            "hint": error.hint,
        }
    })
}
