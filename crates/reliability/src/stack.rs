//! The whole library wired as an embedding system would wire it, through the facade's builder:
//! the simulator, the real adapters over loopback HTTP, the SQLite store on a temporary file,
//! and the [`PhoneVerification`] handle over them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use phone_verify::PhoneVerification;
use phone_verify::idmeta::{IdmetaClient, IdmetaClientBuilder, RetryPolicy, SecretString};
use phone_verify::twilio::{TwilioClient, TwilioClientBuilder};
use phone_verify_app::{
    AttemptRecord, HistorySubject, MAX_PAGE_SIZE, PageRequest, SendPolicy, SendRecord, StoreError,
    VerificationStore,
};
use phone_verify_domain::{PhoneNumber, ProviderName, TrustValidationId, VerificationGateway};
use phone_verify_sim::{
    DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN, DEFAULT_TWILIO_SERVICE_SID, SimConfig,
    Simulator,
};
use phone_verify_sql_store::{
    PostgresOptions, SchemaName, SqlFailure, SqlFailureKind, SqlVerificationStore, SqliteOptions,
};
use tempfile::TempDir;

use crate::fixture::{TOKEN, number_keyring};

/// How a [`Stack`] is built. The defaults suit a fault test: a short request timeout, so a
/// delayed or trickling answer ends quickly, and the adapter's default retry policy.
#[derive(Debug, Clone)]
pub struct StackConfig {
    /// The simulator's configuration; its token is replaced by [`TOKEN`].
    pub sim: SimConfig,
    /// The adapter's request timeout.
    pub request_timeout: Duration,
    /// The adapter's retry policy.
    pub retry: RetryPolicy,
    /// The send guards. Default: [`SendPolicy::without_pumping_guards`], since the suite's
    /// traffic walks consecutive numbers and checks few of its codes, as a pumping bot does;
    /// the guards against pumping are measured by the pumping scenario ([`crate::pumping`]).
    pub send_policy: SendPolicy,
    /// The SQLite store's options.
    pub sqlite: SqliteOptions,
    /// Where the store is: a SQLite file in a temporary directory (the default), or a
    /// PostgreSQL schema.
    pub engine: Engine,
    /// Which providers are wired, and the order a send tries them in. Default: IDMeta only.
    pub routing: Routing,
    /// Where the IDMeta adapter points instead of the simulator, e.g. [`closed_port_url`] to
    /// make IDMeta unreachable. Default: the simulator.
    pub idmeta_base_url: Option<String>,
    /// Whether the store is given number keys ([`number_keyring`]), so that no clear number
    /// reaches it (`docs/security.md`, "No clear numbers at rest"). Default: numbers in clear.
    pub protected_numbers: bool,
}

/// The providers a [`Stack`] wires, each adapter on the stack's one simulator, and the order
/// a send tries them in (`docs/architecture.md`, "Routing and failover").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Routing {
    /// IDMeta alone.
    #[default]
    IdmetaOnly,
    /// Every send routed to IDMeta, failing over to Twilio.
    IdmetaThenTwilio,
    /// Every send routed to Twilio, failing over to IDMeta.
    TwilioThenIdmeta,
}

impl Routing {
    /// The provider every send goes to first.
    pub fn routed(self) -> ProviderName {
        match self {
            Self::IdmetaOnly | Self::IdmetaThenTwilio => ProviderName::idmeta(),
            Self::TwilioThenIdmeta => ProviderName::twilio(),
        }
    }

    /// The provider a send fails over to, if any.
    pub fn failover(self) -> Option<ProviderName> {
        match self {
            Self::IdmetaOnly => None,
            Self::IdmetaThenTwilio => Some(ProviderName::twilio()),
            Self::TwilioThenIdmeta => Some(ProviderName::idmeta()),
        }
    }
}

/// The engine a [`Stack`]'s store runs on.
#[derive(Debug, Clone, Default)]
pub enum Engine {
    /// A SQLite file in the stack's temporary directory, with [`StackConfig::sqlite`].
    #[default]
    Sqlite,
    /// PostgreSQL at `url`, in `schema` (created if missing; the caller drops it).
    Postgres {
        /// The server (`postgres://user@host:5432/database`).
        url: String,
        /// The schema the store works in.
        schema: SchemaName,
    },
}

impl Default for StackConfig {
    fn default() -> Self {
        Self {
            sim: SimConfig::default(),
            request_timeout: Duration::from_millis(300),
            retry: RetryPolicy::default(),
            send_policy: SendPolicy::without_pumping_guards(),
            sqlite: SqliteOptions::default(),
            engine: Engine::Sqlite,
            routing: Routing::IdmetaOnly,
            idmeta_base_url: None,
            protected_numbers: false,
        }
    }
}

/// The simulator, the adapter, a SQLite store on a temporary file and the facade's
/// [`PhoneVerification`] over them. The file is removed when the stack is dropped.
///
/// ```
/// use phone_verify_sim::{Fault, FaultScope};
/// use phone_verify_app::{ErrorClass, SendOutcome};
/// use phone_verify_reliability::fixture::{mobile_number, send_request, trust_validation};
/// use phone_verify_reliability::{Stack, StackConfig};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let stack = Stack::start(StackConfig::default()).await?;
/// stack.sim.inject(Fault::CloseAfterProcessing, FaultScope::Next(1));
/// let phone = mobile_number(1);
/// let error = stack
///     .verification
///     .send_code(&send_request(phone.clone(), trust_validation("doc", 1)))
///     .await
///     .unwrap_err();
/// assert!(error.may_have_been_sent());
/// let records = stack.sends_to(&phone).await?;
/// assert_eq!(
///     records[0].outcome(),
///     SendOutcome::OutcomeUnknown { class: Some(ErrorClass::OutcomeUnknown) }
/// );
/// # Ok::<(), anyhow::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Stack {
    /// The simulator the adapter talks to.
    pub sim: Simulator,
    /// The store, on [`Stack::database`]: a clone of the one [`Stack::verification`] records
    /// in (clones share the pool), for the tests to read what was recorded.
    pub store: SqlVerificationStore,
    /// Sends and checks through the adapter, recorded in the store: the library's front
    /// door, built by its builder.
    pub verification: PhoneVerification,
    dir: TempDir,
}

impl Stack {
    /// Starts the simulator and wires the rest to it.
    ///
    /// # Errors
    ///
    /// The simulator does not start, an adapter's configuration is refused, or the store
    /// does not open.
    pub async fn start(config: StackConfig) -> anyhow::Result<Self> {
        Self::start_with(config, |gateway, _| gateway).await
    }

    /// As [`Stack::start`], with the IDMeta adapter wrapped by `wrap`, which is given the
    /// database file (to act on the store between the provider call and the second write).
    /// Whatever `wrap` returns is wired as the provider `idmeta`.
    ///
    /// # Errors
    ///
    /// As [`Stack::start`].
    pub async fn start_with(
        config: StackConfig,
        wrap: impl FnOnce(Arc<dyn VerificationGateway>, &Path) -> Arc<dyn VerificationGateway>,
    ) -> anyhow::Result<Self> {
        let sim = phone_verify_sim::start(config.sim.idmeta_token(TOKEN))
            .await
            .context("the simulator starts")?;
        let dir = tempfile::tempdir().context("a temporary directory")?;
        let database = dir.path().join("phone-verify.db");
        let store = match config.engine {
            Engine::Sqlite => open_store(&database, config.sqlite).await?,
            Engine::Postgres { url, schema } => {
                SqlVerificationStore::open_postgres(&url, PostgresOptions::default().schema(schema))
                    .await
                    .context("the PostgreSQL store connects")?
            }
        };
        let store = if config.protected_numbers {
            store.protect_numbers(number_keyring())
        } else {
            store
        };
        let idmeta_url = config.idmeta_base_url.unwrap_or_else(|| sim.base_url());
        let idmeta = gateway(&idmeta_url, config.request_timeout, config.retry)?;
        let mut builder = PhoneVerification::builder()
            .provider(ProviderName::idmeta(), wrap(Arc::new(idmeta), &database))
            .default_provider(config.routing.routed())
            // A clone: the stack keeps its own, to read what was recorded.
            .store(store.clone())
            .send_policy(config.send_policy);
        if let Some(failover) = config.routing.failover() {
            builder = builder
                .twilio(twilio_gateway_builder(
                    &sim.base_url(),
                    config.request_timeout,
                    config.retry,
                ))
                .failover_to(failover);
        }
        let verification = builder.build().await.context("the stack is wired")?;
        Ok(Self {
            verification,
            store,
            sim,
            dir,
        })
    }

    /// The store's SQLite file (with [`Engine::Sqlite`]).
    pub fn database(&self) -> PathBuf {
        self.dir.path().join("phone-verify.db")
    }

    /// Every recorded send to `phone`, newest first: the sends of the number's history, every
    /// page of it.
    ///
    /// # Errors
    ///
    /// The store fails to read.
    pub async fn sends_to(&self, phone: &PhoneNumber) -> Result<Vec<SendRecord>, StoreError> {
        let subject = HistorySubject::Number(self.store.numbers().lookup(phone));
        let mut sends = Vec::new();
        let mut page = PageRequest::first(MAX_PAGE_SIZE);
        loop {
            let answer = self.store.history(&subject, page).await?;
            sends.extend(answer.items.into_iter().filter_map(|record| match record {
                AttemptRecord::Send(send) => Some(send),
                AttemptRecord::Check(_) => None,
            }));
            match answer.next {
                Some(cursor) => page = PageRequest::after(MAX_PAGE_SIZE, cursor),
                None => return Ok(sends),
            }
        }
    }

    /// The recorded attempts of `trust_validation` (up to 100), newest first.
    ///
    /// # Errors
    ///
    /// The store fails to read.
    pub async fn attempts_of(
        &self,
        trust_validation: &TrustValidationId,
    ) -> Result<Vec<AttemptRecord>, StoreError> {
        let subject = HistorySubject::TrustValidation(trust_validation.clone());
        Ok(self
            .store
            .history(&subject, PageRequest::first(100))
            .await?
            .items)
    }
}

/// The adapter's builder pointed at a simulator's `base_url` (plain HTTP on loopback), with
/// [`TOKEN`]; the rest is the adapter's defaults.
pub fn gateway_builder(base_url: &str) -> IdmetaClientBuilder {
    IdmetaClient::builder()
        .trust_flow(phone_verify::idmeta::TrustFlowId::new(147))
        .base_url(base_url)
        .allow_plain_http(true)
        .token(SecretString::from(TOKEN))
}

/// The adapter pointed at a simulator's `base_url`, with [`TOKEN`], this request timeout and
/// retry policy.
///
/// # Errors
///
/// The adapter refuses the configuration.
pub fn gateway(
    base_url: &str,
    request_timeout: Duration,
    retry: RetryPolicy,
) -> anyhow::Result<IdmetaClient> {
    gateway_builder(base_url)
        .request_timeout(request_timeout)
        .retry_policy(retry)
        .build()
        .context("the adapter's configuration is valid")
}

/// The Twilio adapter's builder pointed at a simulator's `base_url`, with the simulator's
/// default Service and Account credentials, this request timeout and retry policy.
pub fn twilio_gateway_builder(
    base_url: &str,
    request_timeout: Duration,
    retry: RetryPolicy,
) -> TwilioClientBuilder {
    TwilioClient::builder()
        .base_url(base_url)
        .allow_plain_http(true)
        .service_sid(DEFAULT_TWILIO_SERVICE_SID)
        .account_credentials(
            SecretString::from(DEFAULT_TWILIO_ACCOUNT_SID),
            SecretString::from(DEFAULT_TWILIO_AUTH_TOKEN),
        )
        .request_timeout(request_timeout)
        .retry_policy(retry)
}

/// The base URL of a loopback port nothing listens on (bound, then released): a connection
/// to it is refused, so a request to it provably never left.
///
/// # Errors
///
/// No loopback port can be bound.
pub fn closed_port_url() -> anyhow::Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("a loopback port")?;
    let address = listener.local_addr().context("its address")?;
    drop(listener);
    Ok(format!("http://{address}"))
}

/// The SQLite store on `path` (created if missing).
///
/// # Errors
///
/// The store does not open.
pub async fn open_store(
    path: &Path,
    options: SqliteOptions,
) -> anyhow::Result<SqlVerificationStore> {
    SqlVerificationStore::open_sqlite(path, options)
        .await
        .context("the SQLite store opens")
}

/// The SQL failure behind a store error, if it is one.
pub fn sql_failure_kind(error: &StoreError) -> Option<SqlFailureKind> {
    match error {
        StoreError::Unavailable { source } => {
            source.downcast_ref::<SqlFailure>().map(SqlFailure::kind)
        }
        _ => None,
    }
}
