//! `phone-verify-sim`: runs the simulator of IDMeta v3 and Twilio Verify v2 until interrupted, for tests
//! written in other languages and for demos. Logs each request to stderr with phone numbers
//! masked (filter with `RUST_LOG`, default `info`).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use phone_verify_domain::error_chain;
use phone_verify_sim::cli::{SimArgs, serve};
use tracing_subscriber::EnvFilter;

/// A local simulator of IDMeta's phone verification API v3 and of Twilio Verify v2.
#[derive(Debug, Parser)]
#[command(name = "phone-verify-sim", version, about)]
struct Args {
    #[command(flatten)]
    sim: SimArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match serve(&args.sim).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("phone-verify-sim: {}", error_chain(&error));
            ExitCode::FAILURE
        }
    }
}
