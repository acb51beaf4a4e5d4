//! Building the adapters and use cases from arguments: the composition root's one job.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use idmeta_adapter::IdmetaClient;
use phone_verify_app::{ProviderName, VerificationStore, Wiring};
use phone_verify_domain::{PhoneNumber, RegionCode, VerificationGateway};
use phone_verify_sql_store::{DatabaseUrl, PostgresOptions, SqlVerificationStore, SqliteOptions};
use secrecy::SecretString;

use crate::args::{PhoneArgs, ProviderArgs, StoreArgs};
use crate::exit::{CliError, Exit};
use crate::input;

/// The environment variable that holds the API token.
pub(crate) const TOKEN_VAR: &str = "IDMETA_API_TOKEN";

/// The token from `--token-file`, else from `IDMETA_API_TOKEN`. Never from a flag.
fn token(provider: &ProviderArgs) -> Result<SecretString, CliError> {
    let raw = match &provider.token_file {
        Some(path) => input::token_file(path)?,
        None => std::env::var(TOKEN_VAR).map_err(|_| {
            CliError::new(Exit::Config, "no API token")
                .hint(format!("set {TOKEN_VAR} or pass --token-file"))
        })?,
    };
    let token = raw.trim();
    if token.is_empty() {
        return Err(CliError::new(Exit::Config, "the API token is empty"));
    }
    if token.len() as u64 > input::MAX_TOKEN_BYTES {
        return Err(CliError::new(
            Exit::Config,
            format!(
                "the API token is longer than {} bytes",
                input::MAX_TOKEN_BYTES
            ),
        ));
    }
    Ok(SecretString::from(token.to_owned()))
}

/// The IDMeta adapter for these arguments.
pub(crate) fn gateway(provider: &ProviderArgs) -> Result<Arc<dyn VerificationGateway>, CliError> {
    let mut builder = IdmetaClient::builder()
        .token(token(provider)?)
        .allow_plain_http(provider.allow_plain_http)
        .request_timeout(Duration::from_secs(provider.timeout_secs))
        .connect_timeout(Duration::from_secs(provider.connect_timeout_secs));
    if let Some(url) = &provider.base_url {
        builder = builder.base_url(url.clone());
    }
    if let Some(environment) = &provider.environment {
        builder = builder.environment(environment.clone());
    }
    Ok(Arc::new(builder.build()?))
}

/// IDMeta's name in the use cases' metrics, checked when the program compiles.
const IDMETA: ProviderName = ProviderName::from_static(idmeta_adapter::PROVIDER);

/// The use cases' ports over the IDMeta adapter and `store`, the provider named `idmeta` in
/// their metrics.
pub(crate) fn use_cases(
    gateway: Arc<dyn VerificationGateway>,
    store: Arc<dyn VerificationStore>,
) -> Wiring {
    Wiring::new(gateway, store).provider_name(IDMETA)
}

/// Whether a command may create the store when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Create {
    /// `send` and `demo`: a first send starts a store (and says so on stderr).
    IfMissing,
    /// `check` and `history`: they need what an earlier run recorded, and a new empty store
    /// would silently stand in for a lost one.
    Never,
}

/// The stores a run opened, closed before the process exits (errors included): SQLite's
/// last connection to close checkpoints the WAL and removes the `-wal` and `-shm` files.
#[derive(Debug, Default)]
pub(crate) struct Stores {
    opened: Mutex<Vec<SqlVerificationStore>>,
}

impl Stores {
    /// The store at `url`, its schema migrated; a note on stderr when it was created, a
    /// warning when its file is readable by group or others.
    pub(crate) async fn open(
        &self,
        url: &DatabaseUrl,
        create: Create,
    ) -> Result<Arc<dyn VerificationStore>, CliError> {
        let sqlite = SqliteOptions::default().create_if_missing(create == Create::IfMissing);
        let store = SqlVerificationStore::open_url(url, sqlite, PostgresOptions::default()).await?;
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
        Ok(store.into_port())
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

impl StoreArgs {
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
        if region.is_none()
            && matches!(
                error,
                phone_verify_domain::PhoneNumberError::MissingCountryCode
            )
        {
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

#[cfg(test)]
mod tests {
    use phone_verify_app::InMemoryVerificationStore;

    use super::*;

    #[test]
    fn the_use_cases_name_their_provider_idmeta_in_their_metrics() {
        let gateway = IdmetaClient::builder()
            .base_url("http://127.0.0.1:9")
            .allow_plain_http(true)
            .token(SecretString::from("t"))
            .build()
            .expect("a valid configuration");
        let wiring = use_cases(
            Arc::new(gateway),
            Arc::new(InMemoryVerificationStore::new()),
        );
        assert_eq!(wiring.provider.as_str(), "idmeta");
    }
}
