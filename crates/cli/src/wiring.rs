//! Choosing a command's providers and store from its arguments, and building the handle
//! over them with the library's builder: the composition root's one job. Every use case is
//! the builder's to wire; what is done here is what only the command line knows (where
//! credentials come from, which provider a failure was told by, what to say about a store
//! file).

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use phone_verify::idmeta::{IdmetaClient, SecretString, TrustFlowId};
use phone_verify::numbers::{NumberKeyring, PhoneNumberError, RegionCode, TestNumbers};
use phone_verify::ports::VerificationGateway;
use phone_verify::records::{MAX_PROVIDER_TIME, MIN_ABANDONED_AFTER};
use phone_verify::sql::{DatabaseUrl, PostgresOptions, SqlVerificationStore, SqliteOptions};
use phone_verify::twilio::TwilioClient;
use phone_verify::{
    PhoneNumber, PhoneVerification, PhoneVerificationBuilder, ProviderName, VerificationRecords,
};

use crate::args::{PhoneArgs, ProviderArgs, ProviderChoice, StoreArgs};
use crate::asked::{Configured, LastAsked};
use crate::exit::{CliError, Exit};
use crate::input;

/// The environment variable that holds IDMeta's API token.
pub(crate) const TOKEN_VAR: &str = "IDMETA_API_TOKEN";

/// The environment variable that holds the number keys when `--number-keys-file` is not given.
pub(crate) const NUMBER_KEYS_VAR: &str = "PHONE_VERIFY_NUMBER_KEYS";

/// The Twilio variables: the Verify Service, then an Account SID with its Auth Token or an
/// API key SID with its secret.
pub(crate) const TWILIO_SERVICE_SID_VAR: &str = "TWILIO_VERIFY_SERVICE_SID";
const TWILIO_ACCOUNT_SID_VAR: &str = "TWILIO_ACCOUNT_SID";
const TWILIO_AUTH_TOKEN_VAR: &str = "TWILIO_AUTH_TOKEN";
const TWILIO_API_KEY_SID_VAR: &str = "TWILIO_API_KEY_SID";
const TWILIO_API_KEY_SECRET_VAR: &str = "TWILIO_API_KEY_SECRET";

/// A secret from `file`, else from the environment variable `var`; `what` names it in
/// messages and `hint` says how to give it. Never from a flag.
fn secret(
    file: Option<&Path>,
    var: &str,
    what: &str,
    hint: &str,
) -> Result<SecretString, CliError> {
    let raw = match file {
        Some(path) => input::token_file(path)?,
        None => std::env::var(var)
            .map_err(|_| CliError::new(Exit::Config, format!("no {what}")).hint(hint.to_owned()))?,
    };
    let value = raw.trim();
    if value.is_empty() {
        return Err(CliError::new(Exit::Config, format!("the {what} is empty")));
    }
    if value.len() as u64 > input::MAX_TOKEN_BYTES {
        return Err(CliError::new(
            Exit::Config,
            format!("the {what} is longer than {} bytes", input::MAX_TOKEN_BYTES),
        ));
    }
    Ok(SecretString::from(value.to_owned()))
}

/// IDMeta's token from `--idmeta-token-file`, else from `IDMETA_API_TOKEN`.
fn token(provider: &ProviderArgs) -> Result<SecretString, CliError> {
    secret(
        provider.idmeta_token_file.as_deref(),
        TOKEN_VAR,
        "API token",
        &format!("set {TOKEN_VAR} or pass --idmeta-token-file"),
    )
}

/// Where a secret came from, in words: `--idmeta-token-file`, or the variable and the file flag
/// that would replace it.
fn source_of(file: Option<&Path>, var: &str, file_flag: &str) -> String {
    match file {
        Some(_) => file_flag.to_owned(),
        None => format!("{var} (or {file_flag})"),
    }
}

impl ProviderChoice {
    /// The name the provider's sends are recorded under.
    pub(crate) fn name(self) -> ProviderName {
        match self {
            Self::Idmeta => ProviderName::idmeta(),
            Self::Twilio => ProviderName::twilio(),
        }
    }
}

/// The providers these arguments choose, on a new builder: `--provider`, the default, and
/// `--failover-to`, the provider a send fails over to; and what notes which of them a command
/// asked last. Their clients are built here, before any store is opened, so that a
/// configuration error is told before a store's.
pub(crate) fn providers(
    provider: &ProviderArgs,
) -> Result<(PhoneVerificationBuilder, LastAsked), CliError> {
    provider.check_provider_time()?;
    let asked = LastAsked::default();
    let first = provider.provider;
    let mut builder = PhoneVerification::builder().default_provider(first.name());
    if let Some(path) = &provider.test_numbers {
        builder = builder.test_numbers(test_numbers(path)?);
    }
    let builder = choose(builder, provider, first, &asked)?;
    let Some(second) = provider.failover_to.filter(|second| *second != first) else {
        return Ok((builder, asked));
    };
    let builder = choose(builder, provider, second, &asked)?.failover_to(second.name());
    Ok((builder, asked))
}

/// The test numbers of the file at `path` (`--test-numbers`); a line it cannot read is named
/// by its number, never quoted (it may hold a code).
/// A file without an entry is no error (a list emptied on purpose), but it is said on
/// stderr: every number then goes to the provider.
fn test_numbers(path: &Path) -> Result<TestNumbers, CliError> {
    let numbers = TestNumbers::parse(&input::test_numbers_file(path)?).map_err(|error| {
        CliError::new(
            Exit::Config,
            format!("the test numbers file {}: {error}", path.display()),
        )
        .hint("each line is `<number> <code>` or `<first>..<last> <code>`; `#` starts a comment")
    })?;
    if numbers.is_empty() {
        eprintln!(
            "phone-verify: warning: the test numbers file {} holds no entry: every number goes \
             to the provider",
            path.display()
        );
    }
    Ok(numbers)
}

/// `builder` with the provider `choice` as these arguments configure it, under its name,
/// watched by `asked`.
fn choose(
    builder: PhoneVerificationBuilder,
    provider: &ProviderArgs,
    choice: ProviderChoice,
    asked: &LastAsked,
) -> Result<PhoneVerificationBuilder, CliError> {
    let (gateway, credentials) = match choice {
        ProviderChoice::Idmeta => gateway(provider)?,
        ProviderChoice::Twilio => twilio_gateway(provider)?,
    };
    let name = choice.name();
    let watched = asked.watch(
        Configured {
            name: name.clone(),
            credentials,
        },
        gateway,
    );
    Ok(builder.provider(name, watched))
}

/// The Twilio adapter for these arguments, its credentials from the environment (the secret
/// possibly from `--twilio-secret-file`): an API key when `TWILIO_API_KEY_SID` is set, else
/// the Account SID and Auth Token; and where those credentials came from.
fn twilio_gateway(
    provider: &ProviderArgs,
) -> Result<(Arc<dyn VerificationGateway>, String), CliError> {
    let service = std::env::var(TWILIO_SERVICE_SID_VAR).map_err(|_| {
        CliError::new(Exit::Config, "no Twilio Verify Service SID")
            .hint(format!("set {TWILIO_SERVICE_SID_VAR}"))
    })?;
    let file = provider.twilio_secret_file.as_deref();
    let file_flag = "--twilio-secret-file";
    let mut builder = TwilioClient::builder().service_sid(service);
    let credentials;
    builder = if let Ok(key_sid) = std::env::var(TWILIO_API_KEY_SID_VAR) {
        let hint = format!("set {TWILIO_API_KEY_SECRET_VAR} or pass {file_flag}");
        let key_secret = secret(
            file,
            TWILIO_API_KEY_SECRET_VAR,
            "Twilio API key secret",
            &hint,
        )?;
        credentials = format!(
            "the API key SID in {TWILIO_API_KEY_SID_VAR} and its secret in {}",
            source_of(file, TWILIO_API_KEY_SECRET_VAR, file_flag)
        );
        builder.api_key(SecretString::from(key_sid), key_secret)
    } else if let Ok(account_sid) = std::env::var(TWILIO_ACCOUNT_SID_VAR) {
        let hint = format!("set {TWILIO_AUTH_TOKEN_VAR} or pass {file_flag}");
        let auth_token = secret(file, TWILIO_AUTH_TOKEN_VAR, "Twilio Auth Token", &hint)?;
        credentials = format!(
            "the Account SID in {TWILIO_ACCOUNT_SID_VAR} and the Auth Token in {}",
            source_of(file, TWILIO_AUTH_TOKEN_VAR, file_flag)
        );
        builder.account_credentials(SecretString::from(account_sid), auth_token)
    } else {
        return Err(CliError::new(Exit::Config, "no Twilio credentials").hint(format!(
            "set {TWILIO_ACCOUNT_SID_VAR} and {TWILIO_AUTH_TOKEN_VAR}, or {TWILIO_API_KEY_SID_VAR} and {TWILIO_API_KEY_SECRET_VAR}"
        )));
    };
    builder = builder
        .allow_plain_http(provider.allow_plain_http)
        .request_timeout(Duration::from_secs(provider.timeout_secs))
        .connect_timeout(Duration::from_secs(provider.connect_timeout_secs));
    if let Some(total) = provider.total_timeout()? {
        builder = builder.total_timeout(total);
    }
    if let Some(url) = &provider.twilio_base_url {
        builder = builder.base_url(url.clone());
    }
    Ok((Arc::new(builder.build()?), credentials))
}

/// The IDMeta adapter for these arguments, and where its token came from.
fn gateway(provider: &ProviderArgs) -> Result<(Arc<dyn VerificationGateway>, String), CliError> {
    if provider.idmeta_base_url.is_none() && provider.idmeta_environment.is_none() {
        return Err(CliError::new(Exit::Config, "no IDMeta base URL")
            .hint("pass --idmeta-base-url or --idmeta-environment"));
    }
    let Some(flow) = &provider.idmeta_trust_flow else {
        return Err(CliError::new(Exit::Config, "no IDMeta Trust Flow").hint(
            "pass --idmeta-trust-flow or set IDMETA_TRUST_FLOW (the id in IDMeta's dashboard)",
        ));
    };
    let flow = arg("--idmeta-trust-flow", flow, str::parse::<TrustFlowId>)?;
    let mut builder = IdmetaClient::builder()
        .trust_flow(flow)
        .token(token(provider)?)
        .allow_plain_http(provider.allow_plain_http)
        .request_timeout(Duration::from_secs(provider.timeout_secs))
        .connect_timeout(Duration::from_secs(provider.connect_timeout_secs));
    if let Some(total) = provider.total_timeout()? {
        builder = builder.total_timeout(total);
    }
    if let Some(url) = &provider.idmeta_base_url {
        builder = builder.base_url(url.clone());
    }
    if let Some(environment) = &provider.idmeta_environment {
        builder = builder.environment(environment.clone());
    }
    let credentials = format!(
        "the token in {}",
        source_of(
            provider.idmeta_token_file.as_deref(),
            TOKEN_VAR,
            "--idmeta-token-file",
        )
    );
    Ok((Arc::new(builder.build()?), credentials))
}

/// What a command may do to its store: create it, write to it, or only read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// `send` and `demo`: a first send starts a store (and says so on stderr).
    CreateIfMissing,
    /// `check`, `reconcile`, `purge --delete`, `protect-numbers --convert`: they write to a
    /// store an earlier run made (migrating it first, when it is older), and a new empty
    /// store would silently stand in for a lost one.
    WriteExisting,
    /// `history` and the dry runs of `purge` and `protect-numbers`: they change nothing, so
    /// the store is opened read-only (no migration, no journal mode, no file created, no
    /// `-wal` or `-shm` left; on PostgreSQL no DDL and read-only transactions).
    ReadOnly,
}

/// The stores a run opened, closed before the process exits (errors included): SQLite's
/// last connection to close checkpoints the WAL and removes the `-wal` and `-shm` files.
///
/// The command line opens each SQL store itself, to say when it created one and to warn when
/// its file is readable by others, and hands it to the builder (`sql_store`), whose handle
/// converts its numbers and shares its connections. It closes them here rather than through
/// the handle, as a command can fail between opening its store and building the handle (the
/// demo opens its store a step before it chooses its providers).
#[derive(Debug, Default)]
pub(crate) struct Stores {
    opened: Mutex<Vec<SqlVerificationStore>>,
}

impl Stores {
    /// The handle that sends and checks through the providers chosen on `providers`, over the
    /// store `--database-url` names, keeping numbers as `--number-keys-file` or
    /// `PHONE_VERIFY_NUMBER_KEYS` say (both checked before anything is opened).
    pub(crate) async fn verification(
        &self,
        providers: PhoneVerificationBuilder,
        store: &StoreArgs,
        access: Access,
    ) -> Result<PhoneVerification, CliError> {
        let url = store.url()?;
        let keyring = store.keyring()?;
        let sql = self.open(&url, access).await?;
        Ok(over(providers, sql, keyring).build().await?)
    }

    /// The records of the store `--database-url` names, without a provider (history, purge,
    /// reconcile), keeping numbers as [`Stores::verification`] does.
    pub(crate) async fn records(
        &self,
        store: &StoreArgs,
        access: Access,
    ) -> Result<VerificationRecords, CliError> {
        let url = store.url()?;
        let keyring = store.keyring()?;
        self.records_at(&url, access, keyring).await
    }

    /// The records of the store at `url`, keeping numbers protected with `keyring` if any.
    pub(crate) async fn records_at(
        &self,
        url: &DatabaseUrl,
        access: Access,
        keyring: Option<NumberKeyring>,
    ) -> Result<VerificationRecords, CliError> {
        let sql = self.open(url, access).await?;
        Ok(over(PhoneVerification::builder(), sql, keyring)
            .build_records()
            .await?)
    }

    /// The store at `url`, opened for `access` (its schema migrated unless read-only; a
    /// database that is not a phone-verify store refused before anything is written), closed
    /// at the end of the run; a note on stderr when it was created, a warning when its file
    /// is readable by group or others.
    pub(crate) async fn open(
        &self,
        url: &DatabaseUrl,
        access: Access,
    ) -> Result<SqlVerificationStore, CliError> {
        let read_only = access == Access::ReadOnly;
        let sqlite = SqliteOptions::default()
            .create_if_missing(access == Access::CreateIfMissing)
            .read_only(read_only);
        let postgres = PostgresOptions::default().read_only(read_only);
        let store = SqlVerificationStore::open_url(url, sqlite, postgres).await?;
        self.opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(store.clone());
        match (store.created(), url.sqlite_path()) {
            (Some(created), _) => {
                eprintln!("phone-verify: created a new store at {}", created.display());
            }
            (None, Some(path)) => {
                if let Ok(metadata) = std::fs::metadata(path) {
                    input::warn_if_shared(path, &metadata, "the store", "it holds phone numbers");
                }
            }
            (None, None) => {}
        }
        Ok(store)
    }

    /// Closes every store opened, waiting until each connection is closed.
    pub(crate) async fn close(&self) {
        let opened =
            std::mem::take(&mut *self.opened.lock().unwrap_or_else(PoisonError::into_inner));
        for store in opened {
            store.close().await;
        }
    }
}

/// `builder` over the SQL store `sql`, handed to the handle it builds, keeping numbers
/// protected with `keyring` when given.
fn over(
    builder: PhoneVerificationBuilder,
    sql: SqlVerificationStore,
    keyring: Option<NumberKeyring>,
) -> PhoneVerificationBuilder {
    let builder = builder.sql_store(sql);
    match keyring {
        Some(keyring) => builder.protect_numbers(keyring),
        None => builder,
    }
}

impl ProviderArgs {
    /// Refuses timeouts that let a send's provider calls take longer than
    /// [`MAX_PROVIDER_TIME`]: each provider's budget (`--total-timeout-secs`, else the
    /// adapters' default, twice `--timeout-secs`) times the providers a send may try (two with
    /// `--failover-to`). `reconcile` takes an attempt in flight for
    /// [`MIN_ABANDONED_AFTER`] (that, plus the clock margin) for abandoned: a call allowed to
    /// last longer could be closed while live, and its late answer not recorded.
    fn check_provider_time(&self) -> Result<(), CliError> {
        let budget = self
            .total_timeout_secs
            .unwrap_or_else(|| self.timeout_secs.saturating_mul(2));
        let providers = match self.failover_to {
            Some(second) if second != self.provider => 2,
            _ => 1,
        };
        let most = MAX_PROVIDER_TIME.as_secs();
        if budget.saturating_mul(providers) <= most {
            return Ok(());
        }
        let flag = if self.total_timeout_secs.is_some() {
            "--total-timeout-secs"
        } else {
            "--timeout-secs"
        };
        let with_failover = if providers == 2 {
            " with --failover-to"
        } else {
            ""
        };
        Err(CliError::usage(format!(
            "{flag}: a send may take up to {}s at its providers, more than {most}s",
            budget.saturating_mul(providers)
        ))
        .hint(format!(
            "keep --total-timeout-secs (default twice --timeout-secs) at most {}s{with_failover}: \
             `reconcile` takes an attempt still in flight after {} minutes for abandoned",
            most / providers,
            MIN_ABANDONED_AFTER.as_secs() / 60
        )))
    }

    /// `--total-timeout-secs`, when given (else the adapters' default, twice the request
    /// timeout). Below `--timeout-secs` it is refused: the first attempt always runs its whole
    /// timeout, so the bound would not hold.
    fn total_timeout(&self) -> Result<Option<Duration>, CliError> {
        match self.total_timeout_secs {
            Some(total) if total < self.timeout_secs => Err(CliError::usage(
                "--total-timeout-secs: expected at least --timeout-secs",
            )
            .hint("it bounds all the attempts at a provider, each of up to --timeout-secs")),
            total => Ok(total.map(Duration::from_secs)),
        }
    }
}

impl StoreArgs {
    /// The keys of `--number-keys-file`, else of `PHONE_VERIFY_NUMBER_KEYS`; `None` when
    /// neither is given (numbers in clear). Never from a flag's value: a key would land in
    /// shell history and process lists.
    pub(crate) fn keyring(&self) -> Result<Option<NumberKeyring>, CliError> {
        let (text, source) = match &self.number_keys_file {
            Some(path) => (input::keys_file(path)?, "--number-keys-file"),
            None => match std::env::var(NUMBER_KEYS_VAR) {
                Ok(text) => (text, NUMBER_KEYS_VAR),
                Err(_) => return Ok(None),
            },
        };
        NumberKeyring::parse(&text).map(Some).map_err(|error| {
            CliError::new(Exit::Config, format!("{source}: {error}")).hint(
                "one ID:HEX entry per key, the current key first (openssl rand -hex 32 makes a key)",
            )
        })
    }

    /// `--database-url`, parsed: a malformed one is a configuration error, not a store's.
    pub(crate) fn url(&self) -> Result<DatabaseUrl, CliError> {
        DatabaseUrl::parse(&self.database_url).map_err(|error| {
            CliError::new(Exit::Config, format!("--database-url: {error}"))
                .hint("for example sqlite://phone-verify.db or postgres://user@host/database")
        })
    }
}

/// A phone number in any form the domain accepts.
pub(crate) fn phone(raw: &str, region: Option<&str>) -> Result<PhoneNumber, CliError> {
    let parsed = match region {
        Some(region) => {
            let region = RegionCode::parse(region)
                .map_err(|error| CliError::usage(format!("--region: {error}")))?;
            PhoneNumber::parse_national(raw, region)
        }
        None => PhoneNumber::parse(raw),
    };
    parsed.map_err(|error| {
        let cli = CliError::usage(format!("--phone: {error}"));
        if region.is_none() && matches!(error, PhoneNumberError::MissingCountryCode) {
            cli.hint("add the country code (+60 …) or pass --region")
        } else {
            cli
        }
    })
}

impl PhoneArgs {
    pub(crate) fn parse(&self) -> Result<PhoneNumber, CliError> {
        phone(&self.phone, self.region.as_deref())
    }
}

/// Parses an argument with a domain constructor, naming the flag on failure.
pub(crate) fn arg<T, E: std::fmt::Display>(
    flag: &str,
    raw: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, CliError> {
    parse(raw).map_err(|error| CliError::usage(format!("{flag}: {error}")))
}
