//! The simulator as a program (feature `cli`): the flags, and serving until interrupted.
//! Shared by the `phone-verify-sim` binary and `phone-verify sim`.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use chrono::Utc;

use crate::{SimClock, SimConfig, SimError};

/// The simulator's command-line settings: `phone-verify-sim`'s flags, and those of
/// `phone-verify sim`, which flattens them.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on; 0 picks a free one. The bound URL is printed on the first stdout line.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Bearer token IDMeta's routes accept (default: sim-token). The former name of its
    /// variable, PHONE_VERIFY_SIM_TOKEN, is still read, for one release.
    #[arg(long, alias = "token", env = IDMETA_TOKEN_VAR, hide_env_values = true)]
    pub idmeta_token: Option<String>,
    /// Digits of a random code (4 to 10), on both providers' routes.
    #[arg(long, default_value_t = 6)]
    pub code_length: usize,
    /// Seconds an IDMeta code stays valid.
    #[arg(long, alias = "code-lifetime-secs", default_value_t = 300)]
    pub idmeta_code_lifetime_secs: u64,
    /// Seconds a number waits before IDMeta's send route sends it another code (0: no
    /// cooldown).
    #[arg(long, alias = "resend-cooldown-secs", default_value_t = 30)]
    pub idmeta_resend_cooldown_secs: u64,
    /// Verify attempts one IDMeta code allows, the right one included.
    #[arg(long, alias = "max-attempts", default_value_t = 5)]
    pub idmeta_max_attempts: u32,
    /// Send this code every time instead of random ones, on both providers' routes.
    #[arg(long)]
    pub fixed_code: Option<String>,
    /// IDMeta codes per number per window (0: no window limit).
    #[arg(long, alias = "max-sends-per-window", default_value_t = 5)]
    pub idmeta_max_sends_per_window: u32,
    /// The window of --idmeta-max-sends-per-window, in seconds.
    #[arg(long, alias = "send-window-secs", default_value_t = 3600)]
    pub idmeta_send_window_secs: u64,
    /// Start a manual clock at the current time, moved only by POST /__sim/clock/advance.
    #[arg(long)]
    pub manual_clock: bool,
    /// Milliseconds between two bytes of a trickle fault.
    #[arg(long, default_value_t = 1000)]
    pub trickle_interval_ms: u64,
    /// HTTP Basic user the Twilio routes accept (an Account SID or an API key SID).
    #[arg(long, default_value = crate::DEFAULT_TWILIO_ACCOUNT_SID)]
    pub twilio_user: String,
    /// HTTP Basic secret the Twilio routes accept (the Auth Token or the API key secret).
    #[arg(long, env = "PHONE_VERIFY_SIM_TWILIO_SECRET", default_value = crate::DEFAULT_TWILIO_AUTH_TOKEN, hide_env_values = true)]
    pub twilio_secret: String,
    /// The Verify Service SID the Twilio routes serve.
    #[arg(long, default_value = crate::DEFAULT_TWILIO_SERVICE_SID)]
    pub twilio_service_sid: String,
    /// Seconds a Twilio verification can be checked after it was created (120 to 86400).
    #[arg(long, default_value_t = 600)]
    pub twilio_verification_lifetime_secs: u64,
}

/// The environment variable of `--idmeta-token`.
pub const IDMETA_TOKEN_VAR: &str = "PHONE_VERIFY_SIM_IDMETA_TOKEN";
/// The name [`IDMETA_TOKEN_VAR`] had before the simulator's IDMeta settings said whose they
/// are. Still read, after it, for one release, so that scripts setting it keep their token.
pub const FORMER_IDMETA_TOKEN_VAR: &str = "PHONE_VERIFY_SIM_TOKEN";

impl SimArgs {
    /// The configuration these flags describe. The IDMeta token is `--idmeta-token`, else
    /// [`IDMETA_TOKEN_VAR`], else [`FORMER_IDMETA_TOKEN_VAR`], else
    /// [`DEFAULT_IDMETA_TOKEN`](crate::DEFAULT_IDMETA_TOKEN).
    pub fn config(&self) -> SimConfig {
        self.config_with_former_token(std::env::var(FORMER_IDMETA_TOKEN_VAR).ok())
    }

    /// [`config`](Self::config), with the value of [`FORMER_IDMETA_TOKEN_VAR`] given.
    fn config_with_former_token(&self, former_token: Option<String>) -> SimConfig {
        let idmeta_token = self
            .idmeta_token
            .clone()
            .or(former_token)
            .unwrap_or_else(|| crate::DEFAULT_IDMETA_TOKEN.to_owned());
        let mut config = SimConfig::default()
            .idmeta_token(idmeta_token)
            .code_length(self.code_length)
            .idmeta_code_lifetime(Duration::from_secs(self.idmeta_code_lifetime_secs))
            .idmeta_resend_cooldown(Duration::from_secs(self.idmeta_resend_cooldown_secs))
            .idmeta_max_attempts(self.idmeta_max_attempts)
            .trickle_interval(Duration::from_millis(self.trickle_interval_ms))
            .twilio_credentials(self.twilio_user.clone(), self.twilio_secret.clone())
            .twilio_service_sid(self.twilio_service_sid.clone())
            .twilio_verification_lifetime(Duration::from_secs(
                self.twilio_verification_lifetime_secs,
            ));
        if let Some(code) = &self.fixed_code {
            config = config.fixed_code(code.clone());
        }
        config = if self.idmeta_max_sends_per_window == 0 {
            config.idmeta_no_send_limit()
        } else {
            config.idmeta_send_limit(
                self.idmeta_max_sends_per_window,
                Duration::from_secs(self.idmeta_send_window_secs),
            )
        };
        if self.manual_clock {
            config = config.clock(SimClock::manual(Utc::now()));
        }
        config
    }
}

/// Starts the simulator described by `args`, prints `phone-verify-sim listening on <url>` as the
/// first stdout line (wrappers read the URL from it), and serves until Ctrl-C or SIGTERM.
///
/// # Errors
///
/// [`ServeError::Start`] when the configuration is invalid or the address cannot be bound,
/// [`ServeError::Stdout`] when the URL line cannot be written.
pub async fn serve(args: &SimArgs) -> Result<(), ServeError> {
    let addr = SocketAddr::new(args.host, args.port);
    let sim = crate::start_on(addr, args.config()).await?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "phone-verify-sim listening on {}", sim.base_url())
        .and_then(|()| stdout.flush())
        .map_err(ServeError::Stdout)?;
    wait_for_interrupt().await;
    tracing::info!("shutting down");
    sim.shutdown().await;
    Ok(())
}

/// Why [`serve`] stopped early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The simulator could not start.
    #[error("the simulator could not start")]
    Start(#[from] SimError),
    /// The URL line could not be written to stdout.
    #[error("cannot write to stdout")]
    Stdout(#[source] std::io::Error),
}

/// Ctrl-C, or SIGTERM on Unix.
pub async fn wait_for_interrupt() {
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Program {
        #[command(flatten)]
        sim: SimArgs,
    }

    fn args_of(args: &[&str]) -> SimArgs {
        Program::try_parse_from([&["phone-verify-sim"], args].concat())
            .expect("valid flags")
            .sim
    }

    fn config_of(args: &[&str]) -> SimConfig {
        args_of(args).config_with_former_token(None)
    }

    #[test]
    fn a_twilio_verification_lives_ten_minutes_unless_the_flag_says_otherwise() {
        assert_eq!(
            config_of(&[]).twilio.verification_lifetime,
            Duration::from_secs(600)
        );
        let config = config_of(&["--twilio-verification-lifetime-secs", "120"]);
        assert_eq!(
            config.twilio.verification_lifetime,
            Duration::from_secs(120)
        );
    }

    #[test]
    fn the_former_idmeta_flags_still_configure_idmeta_and_are_hidden_from_help() {
        let settings = [
            ("token", "t0ken"),
            ("code-lifetime-secs", "60"),
            ("resend-cooldown-secs", "0"),
            ("max-attempts", "2"),
            ("max-sends-per-window", "3"),
            ("send-window-secs", "90"),
        ];
        let spelled = |prefix: &str| -> Vec<String> {
            settings
                .iter()
                .flat_map(|(flag, value)| [format!("--{prefix}{flag}"), (*value).to_owned()])
                .collect()
        };
        let config = |args: Vec<String>| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            config_of(&args)
        };
        let (former, current) = (config(spelled("")), config(spelled("idmeta-")));
        assert!(former.idmeta == current.idmeta);
        assert_eq!(current.idmeta.token, "t0ken");
        assert_eq!(current.idmeta.max_attempts, 2);

        let help = <Program as clap::CommandFactory>::command()
            .render_long_help()
            .to_string();
        for (flag, _) in settings {
            assert!(help.contains(&format!("--idmeta-{flag}")), "{flag}");
            assert!(!help.contains(&format!("--{flag}")), "{flag}");
        }
    }

    #[test]
    fn the_idmeta_token_is_the_flag_else_the_former_variable_else_the_default() {
        let token = |args: &[&str], former: Option<&str>| {
            args_of(args)
                .config_with_former_token(former.map(str::to_owned))
                .idmeta
                .token
        };
        assert_eq!(token(&["--idmeta-token", "new"], Some("old")), "new");
        assert_eq!(token(&[], Some("old")), "old");
        assert_eq!(token(&[], None), crate::DEFAULT_IDMETA_TOKEN);
    }
}
