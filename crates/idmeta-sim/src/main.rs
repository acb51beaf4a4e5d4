//! `idmeta-sim`: runs the IDMeta v3 phone verification simulator until interrupted, for tests
//! written in other languages and for demos. Logs each request to stderr with phone numbers
//! masked (filter with `RUST_LOG`, default `info`).

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use clap::Parser;
use idmeta_sim::{SimClock, SimConfig};
use tracing_subscriber::EnvFilter;

/// A local simulator of IDMeta's phone verification API v3.
#[derive(Debug, Parser)]
#[command(name = "idmeta-sim", version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on; 0 picks a free one. The bound URL is printed on the first stdout line.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Bearer token the API routes accept.
    #[arg(long, env = "IDMETA_SIM_TOKEN", default_value = idmeta_sim::DEFAULT_TOKEN, hide_env_values = true)]
    token: String,
    /// Digits of a random code (4 to 10).
    #[arg(long, default_value_t = 6)]
    code_length: usize,
    /// Seconds a code stays valid.
    #[arg(long, default_value_t = 300)]
    code_lifetime_secs: u64,
    /// Seconds a number waits before it can be sent another code (0: no cooldown).
    #[arg(long, default_value_t = 30)]
    resend_cooldown_secs: u64,
    /// Verify attempts one code allows, the right one included.
    #[arg(long, default_value_t = 5)]
    max_attempts: u32,
    /// Send this code every time instead of random ones.
    #[arg(long)]
    fixed_code: Option<String>,
    /// Codes per number per window (0: no window limit).
    #[arg(long, default_value_t = 5)]
    max_sends_per_window: u32,
    /// The window of --max-sends-per-window, in seconds.
    #[arg(long, default_value_t = 3600)]
    send_window_secs: u64,
    /// Start a manual clock at the current time, moved only by POST /__sim/clock/advance.
    #[arg(long)]
    manual_clock: bool,
    /// Milliseconds between two bytes of a trickle fault.
    #[arg(long, default_value_t = 1000)]
    trickle_interval_ms: u64,
}

impl Args {
    fn config(&self) -> SimConfig {
        let mut config = SimConfig::default()
            .token(self.token.clone())
            .code_length(self.code_length)
            .code_lifetime(Duration::from_secs(self.code_lifetime_secs))
            .resend_cooldown(Duration::from_secs(self.resend_cooldown_secs))
            .max_attempts(self.max_attempts)
            .trickle_interval(Duration::from_millis(self.trickle_interval_ms));
        if let Some(code) = &self.fixed_code {
            config = config.fixed_code(code.clone());
        }
        config = if self.max_sends_per_window == 0 {
            config.no_send_limit()
        } else {
            config.send_limit(
                self.max_sends_per_window,
                Duration::from_secs(self.send_window_secs),
            )
        };
        if self.manual_clock {
            config = config.clock(SimClock::manual(Utc::now()));
        }
        config
    }
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

    let addr = SocketAddr::new(args.host, args.port);
    let sim = match idmeta_sim::start_on(addr, args.config()).await {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!("idmeta-sim: {}", error_chain(&error));
            return ExitCode::FAILURE;
        }
    };
    // The first stdout line is a contract: wrappers read the URL from it.
    let mut stdout = std::io::stdout();
    let announced = writeln!(stdout, "idmeta-sim listening on {}", sim.base_url())
        .and_then(|()| stdout.flush());
    if let Err(error) = announced {
        eprintln!("idmeta-sim: cannot write to stdout: {error}");
        return ExitCode::FAILURE;
    }

    wait_for_interrupt().await;
    tracing::info!("shutting down");
    sim.shutdown().await;
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM on Unix.
async fn wait_for_interrupt() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
