//! The command line, as clap types.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use phone_verify::records::{MAX_PAGE_SIZE, MAX_PROVIDER_TIME};
use phone_verify::request::{Channel, Locale};
use phone_verify::sql::DEFAULT_PROTECT_BATCH;
use phone_verify_sim::cli::SimArgs;

/// The longest `--total-timeout-secs`: all a send's provider calls may take
/// ([`MAX_PROVIDER_TIME`], two minutes), so that `reconcile`, which takes an attempt in flight
/// for [`phone_verify::records::MIN_ABANDONED_AFTER`] for abandoned, never closes a live one.
/// With `--failover-to` the two providers share it (`ProviderArgs::check_provider_time`).
const MAX_TOTAL_TIMEOUT_SECS: u64 = MAX_PROVIDER_TIME.as_secs();

/// The longest `--timeout-secs`: one attempt may take the whole of the longest
/// `--total-timeout-secs`, never more.
const MAX_TIMEOUT_SECS: u64 = MAX_TOTAL_TIMEOUT_SECS;

const EXIT_CODES: &str = "\
Exit codes:
  0   done (sent, verified, listed, purged, reconciled, protected)
  1   the code was checked and is wrong, expired or exhausted
  2   a malformed argument
  3   provider (URL, credentials) or database URL configuration missing or invalid
  4   refused by a local guard (cooldown, caps, country, prefix, no code sent)
  5   refused by the provider (credentials, unknown id, invalid field, rate limit): nothing sent
  6   provider unreachable: nothing sent, safe to retry
  7   outcome unknown: a code may have been sent, do not resend blindly
  8   store error (database locked, corrupt, unreachable; no store for check or history)
  9   the provider answered but the answer could not be recorded
  10  a check found no pending code at the provider (expired, used or replaced): send a new one
  11  the request could not be built (a bug): nothing sent, a retry fails the same way
  12  the number already holds a live code at the provider: nothing sent, use the code sent

Logging: off unless RUST_LOG is set (e.g. RUST_LOG=warn or RUST_LOG=debug), to stderr, except
`sim`, which logs one line per request at info; phone numbers are masked and the token and
codes are never logged.";

/// Send and check SMS one-time passcodes through IDMeta or Twilio Verify, and see what
/// happened to a number.
#[derive(Debug, Parser)]
#[command(name = "phone-verify", version, about, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a whole verification locally: simulator, SQLite store, send, inbox, check, history.
    #[command(
        after_help = "Examples:\n  phone-verify demo\n  phone-verify demo --json\n  phone-verify demo --failover"
    )]
    Demo(DemoArgs),
    /// Send a code by SMS, guarded and recorded.
    #[command(after_help = "Examples:\n  \
        IDMETA_API_TOKEN=… phone-verify send --idmeta-environment integrate \\\n      \
        --phone '+60 18-225 8491' --idmeta-trust-flow 147 --trust-validation 7f0c2a4e\n  \
        phone-verify send --idmeta-base-url http://127.0.0.1:8080 --allow-plain-http \\\n      \
        --idmeta-token-file token.txt --phone '018-225 8491' --region MY --idmeta-trust-flow 0 \\\n      \
        --trust-validation tv-1\n  \
        TWILIO_ACCOUNT_SID=AC… TWILIO_AUTH_TOKEN=… TWILIO_VERIFY_SERVICE_SID=VA… IDMETA_API_TOKEN=… \\\n      \
        phone-verify send --idmeta-environment integrate --failover-to twilio \\\n      \
        --phone '+60 18-225 8491' --idmeta-trust-flow 147 --trust-validation 7f0c2a4e")]
    Send(SendArgs),
    /// Check a code the end user typed, for the current send of a trust validation (the one
    /// the provider accepted last).
    #[command(after_help = "Example:\n  \
        IDMETA_API_TOKEN=… IDMETA_TRUST_FLOW=147 phone-verify check --idmeta-environment integrate \\\n      \
        --trust-validation 7f0c2a4e --code 012345")]
    Check(CheckArgs),
    /// List the sends and checks of a number or of a trust validation, newest first.
    #[command(after_help = "Examples:\n  \
        phone-verify history --phone '+60182258491'\n  \
        phone-verify history --trust-validation 7f0c2a4e --limit 5 --json")]
    History(HistoryArgs),
    /// Delete the records of trust validations whose every attempt finished long ago. Counts
    /// what would go unless --delete is given.
    #[command(after_help = "Examples:\n  \
        phone-verify purge --older-than 90d\n  \
        phone-verify purge --older-than 90d --delete --json")]
    Purge(PurgeArgs),
    /// Close the sends and checks a crash left in flight as \"outcome unknown (abandoned)\":
    /// still counted by the guards, never resent.
    #[command(after_help = "Example:\n  phone-verify reconcile --older-than 15m")]
    Reconcile(ReconcileArgs),
    /// Replace the numbers a store keeps in clear with their keyed digest and masked form.
    /// Counts what would be converted unless --convert is given.
    #[command(after_help = "Examples:\n  \
        phone-verify protect-numbers --number-keys-file keys.txt\n  \
        PHONE_VERIFY_NUMBER_KEYS=\"k1:$(openssl rand -hex 32)\" phone-verify protect-numbers --convert")]
    ProtectNumbers(ProtectNumbersArgs),
    /// Per country, over the last --since: the codes sent, the codes verified, the
    /// conversion, and the sends the guards refused, by reason; what an operator reads in the
    /// middle of an SMS-pumping attack. Reads only.
    #[command(after_help = "Examples:\n  \
        phone-verify stats --since 24h\n  \
        phone-verify stats --since 1h --json")]
    Stats(StatsArgs),
    /// Run the simulator (IDMeta's and Twilio Verify's routes) as a server until interrupted (for tests in other languages).
    #[command(
        after_help = "Example:\n  phone-verify sim --port 8080 --idmeta-token test-token --fixed-code 123456"
    )]
    Sim(SimCommand),
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// The SQLite file to record in (default: a new file in the temporary directory).
    #[arg(long)]
    pub(crate) database: Option<PathBuf>,
    /// The provider that sends: IDMeta or Twilio, both served by the simulator.
    #[arg(long, value_enum, default_value_t = ProviderChoice::Idmeta, conflicts_with = "failover")]
    pub(crate) provider: ProviderChoice,
    /// Show failover: IDMeta is unreachable (a closed port), so the send fails over to
    /// Twilio, and the check goes to Twilio.
    #[arg(long)]
    pub(crate) failover: bool,
    /// The sample number to verify.
    #[arg(long, default_value = "+60 18-225 8491")]
    pub(crate) phone: String,
}

/// A provider the command line can wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProviderChoice {
    /// IDMeta v3 (`--idmeta-base-url` or `--idmeta-environment`, `IDMETA_API_TOKEN` or
    /// `--idmeta-token-file`).
    Idmeta,
    /// Twilio Verify v2 (`TWILIO_*` environment variables, `--twilio-secret-file`).
    Twilio,
}

/// Which providers are wired, where they are and how to authenticate. Tokens and secrets are
/// never flags: they would land in shell history and process lists.
#[derive(Debug, Args)]
pub(crate) struct ProviderArgs {
    /// The provider a send goes to (a check goes to the provider of the send it checks,
    /// which must be this one or --failover-to).
    #[arg(long, value_enum, default_value_t = ProviderChoice::Idmeta)]
    pub(crate) provider: ProviderChoice,
    /// A second provider, tried only when --provider provably sent nothing and the failure
    /// was its own (unreachable, 503, credentials refused); never after an unknown outcome.
    #[arg(long, value_enum)]
    pub(crate) failover_to: Option<ProviderChoice>,
    /// IDMeta's base URL (e.g. a simulator's `http://127.0.0.1:8080`); IDMeta needs it or
    /// --idmeta-environment.
    // The IDMeta flags were unprefixed until Twilio came; the former spellings stay, hidden,
    // for one release (docs/cli.md, "Renamed flags").
    #[arg(long, alias = "base-url", conflicts_with = "idmeta_environment")]
    pub(crate) idmeta_base_url: Option<String>,
    /// The IDMeta environment subdomain (`integrate` → `https://integrate.idmetagroup.com`).
    #[arg(long, alias = "environment")]
    pub(crate) idmeta_environment: Option<String>,
    /// A file holding IDMeta's API token (else the IDMETA_API_TOKEN environment variable).
    #[arg(long, alias = "token-file")]
    pub(crate) idmeta_token_file: Option<PathBuf>,
    /// IDMeta's Trust Flow id (an integer from IDMeta's dashboard) every send and check
    /// names; IDMeta needs it.
    // Formerly `--trust-flow`, a field of every request: kept, hidden, for one release.
    #[arg(long, alias = "trust-flow", env = "IDMETA_TRUST_FLOW")]
    pub(crate) idmeta_trust_flow: Option<String>,
    /// Twilio's base URL (default `https://verify.twilio.com`; a simulator's for tests).
    #[arg(long)]
    pub(crate) twilio_base_url: Option<String>,
    /// A file holding the Twilio Auth Token or API key secret (else TWILIO_AUTH_TOKEN or
    /// TWILIO_API_KEY_SECRET).
    #[arg(long)]
    pub(crate) twilio_secret_file: Option<PathBuf>,
    /// Allow a plain-HTTP base URL (a local simulator only: the credentials travel in clear).
    #[arg(long)]
    pub(crate) allow_plain_http: bool,
    /// Seconds one attempt at a provider may take, from opening its connection to the last
    /// byte of its answer (1 to 120). A provider is tried up to three times when nothing was
    /// sent, all within --total-timeout-secs.
    #[arg(
        long,
        default_value_t = 15,
        value_parser = number_in::<u64, 1, MAX_TIMEOUT_SECS>
    )]
    pub(crate) timeout_secs: u64,
    /// Seconds one attempt may take to open its connection to the provider, TCP and TLS (at
    /// least 1). A request whose connection never completed is "not sent", whichever of the two
    /// timeouts fires first.
    #[arg(long, default_value_t = 5, value_parser = number_in::<u64, 1, { u64::MAX }>)]
    pub(crate) connect_timeout_secs: u64,
    /// Seconds one provider may take in all: its attempts and the waits between them (1 to
    /// 120, at least --timeout-secs; default twice --timeout-secs). A retry starts only when a
    /// whole --timeout-secs still fits, so a provider that cannot be reached is given up within
    /// this; the provider a send fails over to has as much again, and the two together may
    /// take at most 120 (`reconcile` takes a call still in flight after 7 minutes for
    /// abandoned).
    #[arg(long, value_parser = number_in::<u64, 1, MAX_TOTAL_TIMEOUT_SECS>)]
    pub(crate) total_timeout_secs: Option<u64>,
    /// A file of test numbers, each line `<number> <code>` or `<first>..<last> <code>` (`#`
    /// starts a comment): a send to one reaches no provider and is recorded under provider
    /// `test`, and its fixed code verifies it. Give the same file to the check.
    #[arg(long)]
    pub(crate) test_numbers: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// Where attempts are recorded: `sqlite://path` or `postgres://…`.
    #[arg(
        long,
        env = "PHONE_VERIFY_DATABASE_URL",
        default_value = "sqlite://phone-verify.db"
    )]
    pub(crate) database_url: String,
    /// A file of the keys that protect numbers at rest, `ID:HEX` entries, the current key
    /// first (else the PHONE_VERIFY_NUMBER_KEYS environment variable; neither: numbers are
    /// kept in clear).
    #[arg(long)]
    pub(crate) number_keys_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct PhoneArgs {
    /// The phone number: E.164 or any human form with `+`, or a national form with --region.
    #[arg(long)]
    pub(crate) phone: String,
    /// Two-letter region for a national form (`MY` for `018-225 8491`).
    #[arg(long)]
    pub(crate) region: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    #[command(flatten)]
    pub(crate) phone: PhoneArgs,
    /// The Trust Validation id.
    #[arg(long)]
    pub(crate) trust_validation: String,
    /// How the code reaches the end user: `sms`, `call` (a voice call reads it out) or
    /// `whatsapp`. IDMeta sends SMS alone: `call` and `whatsapp` need Twilio (--provider or
    /// --failover-to); a send again on `call` for the same trust validation is "no SMS? call
    /// me instead".
    #[arg(long, default_value = "sms", value_parser = channel)]
    pub(crate) channel: Channel,
    /// The language of the message, a BCP 47 tag (`en`, `ms`, `pt-BR`); without it Twilio
    /// picks it from the number. IDMeta ignores it.
    #[arg(long, value_parser = locale)]
    pub(crate) locale: Option<Locale>,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

/// `--channel`: a channel's stable name.
fn channel(text: &str) -> Result<Channel, String> {
    text.parse()
        .map_err(|_| "expected sms, call or whatsapp".to_owned())
}

/// `--locale`: a BCP 47 tag.
fn locale(text: &str) -> Result<Locale, String> {
    Locale::parse(text).map_err(|error| error.to_string())
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The Trust Validation the code was sent for.
    #[arg(long)]
    pub(crate) trust_validation: String,
    /// The number the code went to, named to the provider with the send's reference when the
    /// store keeps numbers protected (and checked against the send's digest first).
    #[arg(long)]
    pub(crate) phone: Option<String>,
    /// Two-letter region for a national form of --phone.
    #[arg(long, requires = "phone")]
    pub(crate) region: Option<String>,
    /// The code the end user typed (4 to 10 digits), or `-` to read it from stdin.
    #[arg(long)]
    pub(crate) code: String,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false, id = "subject")]
pub(crate) struct Subject {
    /// The number whose attempts to list.
    #[arg(long, group = "subject")]
    pub(crate) phone: Option<String>,
    /// The Trust Validation whose attempts to list.
    #[arg(long, group = "subject")]
    pub(crate) trust_validation: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    #[command(flatten)]
    pub(crate) subject: Subject,
    /// Two-letter region for a national form of --phone.
    #[arg(long, requires = "phone")]
    pub(crate) region: Option<String>,
    /// Attempts per page (1 to 100).
    #[arg(
        long,
        default_value_t = 20,
        value_parser = number_in::<u32, 1, { MAX_PAGE_SIZE as u64 }>
    )]
    pub(crate) limit: u32,
    /// The cursor printed at the end of the previous page.
    #[arg(long)]
    pub(crate) after: Option<String>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

/// Why a value of the command line was refused, in words that never quote it (a code or a
/// phone number typed into the wrong flag would be printed back). The command line's own
/// parsers return it, so a usage error can say why without echoing the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {0}")]
pub(crate) struct Expected(String);

/// A whole number from `MIN` to `MAX` (no upper bound when `MAX` is `u64::MAX`).
fn number_in<T: TryFrom<u64>, const MIN: u64, const MAX: u64>(raw: &str) -> Result<T, Expected> {
    let expected = || {
        Expected(if MAX == u64::MAX {
            format!("a whole number of at least {MIN}")
        } else {
            format!("a whole number from {MIN} to {MAX}")
        })
    };
    raw.parse::<u64>()
        .ok()
        .filter(|n| (MIN..=MAX).contains(n))
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(expected)
}

/// The longest age the command line takes: a thousand years. Longer ages would put a cutoff
/// before the first year the records' instants can hold, and print it as a negative year.
const MAX_AGE_DAYS: u64 = 365_000;

/// An age on the command line: a whole number and a unit, `s`, `m`, `h` or `d` (`90d`,
/// `15m`), of at most [`MAX_AGE_DAYS`] days.
fn parse_age(raw: &str) -> Result<Duration, Expected> {
    let bad = || Expected("a whole number and s, m, h or d (e.g. 90d)".to_owned());
    let split = raw.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = raw.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        _ => return Err(bad()),
    };
    number
        .checked_mul(unit)
        .filter(|secs| *secs <= MAX_AGE_DAYS * 24 * 60 * 60)
        .map(Duration::from_secs)
        .ok_or_else(|| Expected(format!("an age of at most {MAX_AGE_DAYS}d")))
}

#[derive(Debug, Args)]
pub(crate) struct PurgeArgs {
    /// Purge the trust validations whose every attempt finished longer ago than this: a
    /// number and s, m, h or d. At least the guards' horizon (1h).
    #[arg(long, value_parser = parse_age)]
    pub(crate) older_than: Duration,
    /// Delete. Without it, nothing is deleted: the command counts what would go.
    #[arg(long)]
    pub(crate) delete: bool,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ReconcileArgs {
    /// Close attempts in flight that started longer ago than this: longer than any provider
    /// request lasts with its retries (a number and s, m, h or d).
    #[arg(long, default_value = "15m", value_parser = parse_age)]
    pub(crate) older_than: Duration,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    /// The period to report, ending now: a number and s, m, h or d.
    #[arg(long, default_value = "24h", value_parser = parse_age)]
    pub(crate) since: Duration,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ProtectNumbersArgs {
    /// Convert. Without it, nothing changes: the command counts the rows in clear.
    #[arg(long)]
    pub(crate) convert: bool,
    /// Rows per batch, each batch one short write (1 to 10000; a batch converts at most 500,
    /// the store's MAX_PROTECT_BATCH, so that it holds the store's lock for milliseconds).
    #[arg(
        long,
        default_value_t = DEFAULT_PROTECT_BATCH,
        value_parser = number_in::<u32, 1, 10_000>
    )]
    pub(crate) batch: u32,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SimCommand {
    #[command(flatten)]
    pub(crate) sim: SimArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_age_is_a_whole_number_and_a_unit() {
        let cases = [
            ("90d", Ok(Duration::from_secs(90 * 86_400))),
            ("15m", Ok(Duration::from_secs(900))),
            ("1h", Ok(Duration::from_secs(3600))),
            ("30s", Ok(Duration::from_secs(30))),
        ];
        for (raw, expected) in cases {
            assert_eq!(parse_age(raw), expected, "{raw}");
        }
        for raw in ["90", "d", "1.5h", "10w", "-1d", "99999999999999999999d", ""] {
            assert!(parse_age(raw).is_err(), "{raw}");
        }
        // Huge ages would print a cutoff in a negative year: at most a thousand years.
        assert_eq!(
            parse_age("365000d"),
            Ok(Duration::from_secs(365_000 * 86_400))
        );
        for raw in ["365001d", "9999999999d", "18446744073709551615s"] {
            let refused = parse_age(raw).expect_err(raw).to_string();
            assert!(refused.contains("at most 365000d"), "{raw}: {refused}");
        }
    }

    #[test]
    fn a_number_is_taken_in_its_range_and_refused_in_words_that_do_not_quote_it() {
        assert_eq!(number_in::<u32, 1, 100>("100"), Ok(100));
        assert_eq!(number_in::<u64, 1, { u64::MAX }>("7"), Ok(7));
        for raw in ["0", "101", "+60182258491", "482913", "-1", "1.5", "", " 5"] {
            let refused = number_in::<u32, 1, 100>(raw).expect_err(raw).to_string();
            assert_eq!(refused, "expected a whole number from 1 to 100");
        }
        let refused = number_in::<u64, 1, { u64::MAX }>("0").expect_err("zero");
        assert_eq!(refused.to_string(), "expected a whole number of at least 1");
        let refused = parse_age("482913x").expect_err("no such unit");
        assert!(!refused.to_string().contains("482913"), "{refused}");
    }
}
