//! Building the adapters and use cases from arguments: the composition root's one job.

use std::sync::Arc;
use std::time::Duration;

use idmeta_adapter::IdmetaClient;
use phone_verify_app::VerificationStore;
use phone_verify_domain::{PhoneNumber, RegionCode, VerificationGateway};
use secrecy::SecretString;

use crate::args::{PhoneArgs, ProviderArgs, StoreArgs};
use crate::exit::{CliError, Exit};

/// The environment variable that holds the API token.
pub(crate) const TOKEN_VAR: &str = "IDMETA_API_TOKEN";

/// The token from `--token-file`, else from `IDMETA_API_TOKEN`. Never from a flag.
fn token(provider: &ProviderArgs) -> Result<SecretString, CliError> {
    let raw = match &provider.token_file {
        Some(path) => std::fs::read_to_string(path).map_err(|error| {
            CliError::new(
                Exit::Config,
                format!("cannot read the token file {}: {error}", path.display()),
            )
        })?,
        None => std::env::var(TOKEN_VAR).map_err(|_| {
            CliError::new(Exit::Config, "no API token")
                .hint(format!("set {TOKEN_VAR} or pass --token-file"))
        })?,
    };
    let token = raw.trim();
    if token.is_empty() {
        return Err(CliError::new(Exit::Config, "the API token is empty"));
    }
    Ok(SecretString::from(token.to_owned()))
}

/// The IDMeta adapter for these arguments.
pub(crate) fn gateway(provider: &ProviderArgs) -> Result<Arc<dyn VerificationGateway>, CliError> {
    let mut builder = IdmetaClient::builder()
        .token(token(provider)?)
        .allow_plain_http(provider.allow_plain_http)
        .request_timeout(Duration::from_secs(provider.timeout_secs.max(1)))
        .connect_timeout(Duration::from_secs(provider.connect_timeout_secs));
    if let Some(url) = &provider.base_url {
        builder = builder.base_url(url.clone());
    }
    if let Some(environment) = &provider.environment {
        builder = builder.environment(environment.clone());
    }
    Ok(Arc::new(builder.build()?))
}

/// The store at `--database-url`, its schema migrated.
pub(crate) async fn store(store: &StoreArgs) -> Result<Arc<dyn VerificationStore>, CliError> {
    let opened = phone_verify_sql_store::SqlVerificationStore::open(&store.database_url).await?;
    Ok(Arc::new(opened))
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
