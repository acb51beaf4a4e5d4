//! The builder: one place where the provider, the store, the guards, the clock and the ids are
//! chosen, and the use cases wired over them.

use std::fmt;
#[cfg(feature = "sqlite")]
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use phone_verify_app::{
    CheckCode, CheckPolicy, Clock, IdSource, InMemoryVerificationStore, NumberKeyring,
    ProviderName, Providers, ReconcileInFlight, SendCode, SendPolicy, VerificationHistory,
    VerificationStore, Wiring,
};
use phone_verify_domain::VerificationGateway;

use crate::{BuildError, PhoneVerification};

/// Chooses the parts of a [`PhoneVerification`]; [`PhoneVerificationBuilder::build`] wires them.
///
/// Only the provider is required. Each port is taken by value (the builder shares it); when a
/// part is chosen twice, the last choice wins. The defaults: the in-memory store,
/// [`SendPolicy::default`], [`CheckPolicy::default`], the system clock and random ids.
///
/// ```
/// # #[cfg(feature = "mocks")]
/// # {
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// use std::time::Duration;
/// use phone_verify::testing::MockVerificationGateway;
/// use phone_verify::{CheckPolicy, PhoneVerification, SendLimits, SendPolicy};
///
/// let verification = PhoneVerification::builder()
///     .gateway(MockVerificationGateway::new())
///     .send_policy(SendPolicy {
///         limits: SendLimits { cooldown: Duration::from_secs(60), ..SendLimits::default() },
///         ..SendPolicy::default()
///     })
///     .check_policy(CheckPolicy { max_attempts: 3, ..CheckPolicy::default() })
///     .build()
///     .await?;
/// # let _ = verification;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct PhoneVerificationBuilder {
    gateway: Option<GatewayChoice>,
    store: StoreChoice,
    send_policy: SendPolicy,
    check_policy: CheckPolicy,
    clock: Option<Arc<dyn Clock>>,
    ids: Option<Arc<dyn IdSource>>,
    provider_name: Option<ProviderName>,
    number_keys: Option<NumberKeyring>,
    reconcile_after: Option<Duration>,
}

/// Where the provider comes from.
enum GatewayChoice {
    Given(Arc<dyn VerificationGateway>),
    #[cfg(feature = "idmeta")]
    Idmeta(Box<crate::idmeta::IdmetaClientBuilder>),
}

/// Where the record of attempts is kept.
#[derive(Default)]
enum StoreChoice {
    #[default]
    InMemory,
    Given(Arc<dyn VerificationStore>),
    #[cfg(feature = "sqlite")]
    Sqlite(PathBuf),
    #[cfg(feature = "postgres")]
    Postgres(String),
}

impl PhoneVerificationBuilder {
    /// A builder with every default and no provider yet (the same as
    /// [`PhoneVerification::builder`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends and checks codes through IDMeta v3 with the client `idmeta` describes; it is
    /// built (and its configuration checked) by [`PhoneVerificationBuilder::build`].
    ///
    /// ```
    /// use phone_verify::PhoneVerification;
    /// use phone_verify::idmeta::{IdmetaClient, SecretString};
    ///
    /// let builder = PhoneVerification::builder().idmeta(
    ///     IdmetaClient::builder()
    ///         .environment("integrate")
    ///         .token(SecretString::from("token-from-your-secret-store")),
    /// );
    /// # let _ = builder;
    /// ```
    #[cfg(feature = "idmeta")]
    pub fn idmeta(mut self, idmeta: crate::idmeta::IdmetaClientBuilder) -> Self {
        self.gateway = Some(GatewayChoice::Idmeta(Box::new(idmeta)));
        self
    }

    /// Sends and checks codes through the IDMeta simulator `sim`, over plain HTTP on loopback
    /// with the simulator's token (feature `test-util`). For tests and demos only.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use phone_verify::{PhoneVerification, testing::sim};
    ///
    /// let sim = sim::start(sim::SimConfig::default()).await?;
    /// let verification = PhoneVerification::builder().simulator(&sim).build().await?;
    /// # let _ = verification;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "test-util")]
    pub fn simulator(self, sim: &crate::testing::sim::Simulator) -> Self {
        use crate::idmeta::{IdmetaClient, SecretString};
        self.idmeta(
            IdmetaClient::builder()
                .base_url(sim.base_url())
                .allow_plain_http(true)
                .token(SecretString::from(sim.token().to_owned())),
        )
    }

    /// Sends and checks codes through `gateway`: another provider, a decorator around one, or
    /// a test double.
    ///
    /// ```
    /// # #[cfg(feature = "mocks")]
    /// # {
    /// use phone_verify::PhoneVerification;
    /// use phone_verify::testing::MockVerificationGateway;
    ///
    /// let builder = PhoneVerification::builder().gateway(MockVerificationGateway::new());
    /// # let _ = builder;
    /// # }
    /// ```
    pub fn gateway(mut self, gateway: impl VerificationGateway + 'static) -> Self {
        self.gateway = Some(GatewayChoice::Given(Arc::new(gateway)));
        self
    }

    /// Keeps the record of attempts in `store` (instead of the in-memory store).
    ///
    /// ```
    /// use phone_verify::{InMemoryVerificationStore, PhoneVerification};
    ///
    /// let builder = PhoneVerification::builder().store(InMemoryVerificationStore::new());
    /// # let _ = builder;
    /// ```
    pub fn store(mut self, store: impl VerificationStore + 'static) -> Self {
        self.store = StoreChoice::Given(Arc::new(store));
        self
    }

    /// Keeps the record of attempts in the SQLite file at `path` (feature `sqlite`), created
    /// if missing and migrated when opened by [`PhoneVerificationBuilder::build`]. One process
    /// at a time writes it; several instances share a PostgreSQL database instead.
    ///
    /// ```
    /// use phone_verify::PhoneVerification;
    ///
    /// let builder = PhoneVerification::builder().sqlite("/var/lib/my-app/phone-verify.db");
    /// # let _ = builder;
    /// ```
    #[cfg(feature = "sqlite")]
    pub fn sqlite(mut self, path: impl Into<PathBuf>) -> Self {
        self.store = StoreChoice::Sqlite(path.into());
        self
    }

    /// Keeps the record of attempts in the PostgreSQL database at `url`
    /// (`postgres://user@host:5432/database`, feature `postgres`), in its own schema, created
    /// and migrated when connected by [`PhoneVerificationBuilder::build`]. Instances sharing
    /// it share the guards.
    ///
    /// ```
    /// # #[cfg(feature = "postgres")]
    /// # {
    /// use phone_verify::PhoneVerification;
    ///
    /// let builder = PhoneVerification::builder().postgres("postgres://app@db.internal/app");
    /// # let _ = builder;
    /// # }
    /// ```
    #[cfg(feature = "postgres")]
    pub fn postgres(mut self, url: impl Into<String>) -> Self {
        self.store = StoreChoice::Postgres(url.into());
        self
    }

    /// Keeps numbers protected at rest with `keyring` in the store the builder opens (in
    /// memory, SQLite or PostgreSQL): each record keeps the number's HMAC-SHA256 under the
    /// current key and its masked form, never the number (`docs/security.md`, "No clear
    /// numbers at rest"). A store given with [`PhoneVerificationBuilder::store`] is
    /// protected by whoever made it: giving both is [`BuildError::KeysForGivenStore`].
    ///
    /// ```
    /// use phone_verify::{NumberKeyring, PhoneVerification};
    ///
    /// let keyring = NumberKeyring::parse(&format!("k1:{}", "ab".repeat(32)))?;
    /// let builder = PhoneVerification::builder().sqlite("phone-verify.db").protect_numbers(keyring);
    /// # let _ = builder;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn protect_numbers(mut self, keyring: NumberKeyring) -> Self {
        self.number_keys = Some(keyring);
        self
    }

    /// Closes, when the store is opened by [`PhoneVerificationBuilder::build`], the sends and
    /// checks a crash left in flight that started more than `abandoned_after` ago (a request
    /// timeout with its retries, plus a margin: [`crate::DEFAULT_ABANDONED_AFTER`] is 15
    /// minutes), as [`ReconcileInFlight`] does: outcome unknown (abandoned), still counted by
    /// the guards, never resent. Off by default: a store shared by instances is better
    /// reconciled by one scheduled job (`phone-verify reconcile`) than by every instance that
    /// starts, and an `abandoned_after` shorter than a live call would close it under its
    /// process. The builder's clock decides the cutoff; a failure is
    /// [`BuildError::Reconcile`].
    ///
    /// ```
    /// use phone_verify::{DEFAULT_ABANDONED_AFTER, PhoneVerification};
    ///
    /// let builder = PhoneVerification::builder()
    ///     .sqlite("phone-verify.db")
    ///     .reconcile_at_open(DEFAULT_ABANDONED_AFTER);
    /// # let _ = builder;
    /// ```
    pub fn reconcile_at_open(mut self, abandoned_after: Duration) -> Self {
        self.reconcile_after = Some(abandoned_after);
        self
    }

    /// Guards sends with `policy` (default [`SendPolicy::default`]: a 30 s cooldown, 5 codes
    /// per number per hour, 10 per trust validation, no premium-rate or shared-cost numbers).
    ///
    /// ```
    /// use phone_verify::{PhoneVerification, RegionCode, SendPolicy};
    ///
    /// let builder = PhoneVerification::builder().send_policy(SendPolicy {
    ///     allowed_regions: Some([RegionCode::parse("MY")?].into()),
    ///     ..SendPolicy::default()
    /// });
    /// # let _ = builder;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_policy(mut self, policy: SendPolicy) -> Self {
        self.send_policy = policy;
        self
    }

    /// Guards checks with `policy` (default [`CheckPolicy::default`]: 5 checks per code, a
    /// 5-minute code lifetime).
    ///
    /// ```
    /// use std::time::Duration;
    /// use phone_verify::{CheckPolicy, PhoneVerification};
    ///
    /// let builder = PhoneVerification::builder().check_policy(CheckPolicy {
    ///     code_lifetime: Duration::from_secs(10 * 60),
    ///     ..CheckPolicy::default()
    /// });
    /// # let _ = builder;
    /// ```
    pub fn check_policy(mut self, policy: CheckPolicy) -> Self {
        self.check_policy = policy;
        self
    }

    /// Reads the time from `clock` (default: the system clock). Tests pass the manual clock
    /// of the `testing` module (feature `test-util`) to move time without sleeping.
    ///
    /// ```
    /// use phone_verify::{PhoneVerification, SystemClock};
    ///
    /// let builder = PhoneVerification::builder().clock(SystemClock);
    /// # let _ = builder;
    /// ```
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Names the provider `name` in the metrics (`docs/operations.md`). Default: `idmeta` for
    /// [`PhoneVerificationBuilder::idmeta`], `default` for a gateway given by
    /// [`PhoneVerificationBuilder::gateway`].
    ///
    /// ```
    /// use phone_verify::{PhoneVerification, ProviderName};
    ///
    /// let builder = PhoneVerification::builder().provider_name(ProviderName::parse("my-sms")?);
    /// # let _ = builder;
    /// # Ok::<(), phone_verify::ProviderNameError>(())
    /// ```
    pub fn provider_name(mut self, name: ProviderName) -> Self {
        self.provider_name = Some(name);
        self
    }

    /// Takes the id of each new attempt from `ids` (default: random UUIDs, unique across
    /// processes).
    ///
    /// ```
    /// use phone_verify::{PhoneVerification, RandomIds};
    ///
    /// let builder = PhoneVerification::builder().ids(RandomIds);
    /// # let _ = builder;
    /// ```
    pub fn ids(mut self, ids: impl IdSource + 'static) -> Self {
        self.ids = Some(Arc::new(ids));
        self
    }

    /// Builds the provider's client, opens the store (creating and migrating a database,
    /// reconciling it when asked) and wires the use cases over them. Sends nothing.
    ///
    /// # Errors
    ///
    /// - [`BuildError::NoGateway`]: no provider was chosen.
    /// - `BuildError::Idmeta`: the IDMeta client's configuration is invalid.
    /// - `BuildError::Store`: the database could not be opened or migrated.
    /// - [`BuildError::KeysForGivenStore`]: number keys for a store given ready-made.
    /// - [`BuildError::Reconcile`]: the reconciliation at open failed.
    ///
    /// ```
    /// # #[cfg(feature = "mocks")]
    /// # {
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use phone_verify::PhoneVerification;
    /// use phone_verify::testing::MockVerificationGateway;
    ///
    /// let verification = PhoneVerification::builder()
    ///     .gateway(MockVerificationGateway::new())
    ///     .build()
    ///     .await?;
    /// # let _ = verification;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn build(self) -> Result<PhoneVerification, BuildError> {
        let (gateway, provider) = self.gateway.ok_or(BuildError::NoGateway)?.build()?;
        let store = self.store.open(self.number_keys).await?;
        let providers = Providers::new(self.provider_name.unwrap_or(provider), gateway);
        let mut wiring = Wiring::with_providers(providers, Arc::clone(&store));
        if let Some(clock) = self.clock {
            wiring = wiring.clock(clock);
        }
        if let Some(abandoned_after) = self.reconcile_after {
            ReconcileInFlight::new(
                Arc::clone(&store),
                Arc::clone(&wiring.clock),
                abandoned_after,
            )
            .reconcile()
            .await
            .map_err(BuildError::Reconcile)?;
        }
        if let Some(ids) = self.ids {
            wiring = wiring.ids(ids);
        }
        Ok(PhoneVerification {
            send: SendCode::new(wiring.clone(), self.send_policy),
            check: CheckCode::new(wiring, self.check_policy),
            history: VerificationHistory::new(store),
        })
    }
}

/// IDMeta's name in the metrics, checked when this crate compiles.
#[cfg(feature = "idmeta")]
const IDMETA: ProviderName = ProviderName::from_static(crate::idmeta::PROVIDER);

/// The name of a gateway given with [`PhoneVerificationBuilder::gateway`] and not named
/// with [`PhoneVerificationBuilder::provider_name`].
const UNNAMED: ProviderName = ProviderName::from_static("default");

impl GatewayChoice {
    /// The gateway and its name in the metrics.
    fn build(self) -> Result<(Arc<dyn VerificationGateway>, ProviderName), BuildError> {
        match self {
            Self::Given(gateway) => Ok((gateway, UNNAMED)),
            #[cfg(feature = "idmeta")]
            Self::Idmeta(idmeta) => Ok((
                Arc::new(idmeta.build().map_err(BuildError::Idmeta)?),
                IDMETA,
            )),
        }
    }
}

impl StoreChoice {
    /// The store, keeping numbers protected with `keys` when given.
    async fn open(
        self,
        keys: Option<NumberKeyring>,
    ) -> Result<Arc<dyn VerificationStore>, BuildError> {
        match self {
            Self::InMemory => Ok(Arc::new(match keys {
                Some(keys) => InMemoryVerificationStore::new().protect_numbers(keys),
                None => InMemoryVerificationStore::new(),
            })),
            Self::Given(_) if keys.is_some() => Err(BuildError::KeysForGivenStore),
            Self::Given(store) => Ok(store),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(path) => crate::sql::SqlVerificationStore::open_sqlite(
                path,
                crate::sql::SqliteOptions::default(),
            )
            .await
            .map(|store| protected(store, keys))
            .map_err(BuildError::Store),
            #[cfg(feature = "postgres")]
            Self::Postgres(url) => crate::sql::SqlVerificationStore::open_postgres(
                &url,
                crate::sql::PostgresOptions::default(),
            )
            .await
            .map(|store| protected(store, keys))
            .map_err(BuildError::Store),
        }
    }
}

/// `store` as the port, keeping numbers protected with `keys` when given.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn protected(
    store: crate::sql::SqlVerificationStore,
    keys: Option<NumberKeyring>,
) -> Arc<dyn VerificationStore> {
    match keys {
        Some(keys) => store.protect_numbers(keys).into_port(),
        None => store.into_port(),
    }
}

impl fmt::Debug for PhoneVerificationBuilder {
    /// Names the parts chosen, never a token, a path or a database URL (which may hold a
    /// password).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let gateway = match &self.gateway {
            None => "none",
            Some(GatewayChoice::Given(_)) => "given",
            #[cfg(feature = "idmeta")]
            Some(GatewayChoice::Idmeta(_)) => "idmeta",
        };
        let store = match &self.store {
            StoreChoice::InMemory => "in-memory",
            StoreChoice::Given(_) => "given",
            #[cfg(feature = "sqlite")]
            StoreChoice::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            StoreChoice::Postgres(_) => "postgres",
        };
        f.debug_struct("PhoneVerificationBuilder")
            .field("gateway", &gateway)
            .field("store", &store)
            .field("send_policy", &self.send_policy)
            .field("check_policy", &self.check_policy)
            .field("provider_name", &self.provider_name)
            .field("number_keys", &self.number_keys)
            .field("reconcile_after", &self.reconcile_after)
            .finish_non_exhaustive()
    }
}
