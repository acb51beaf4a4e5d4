//! The builder: one place where the provider, the store, the guards, the clock and the ids are
//! chosen, and the use cases wired over them.

use std::fmt;
#[cfg(feature = "sqlite")]
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use phone_verify_app::{
    CheckCode, CheckPolicy, Clock, IdSource, InMemoryVerificationStore, NumberKeyring,
    ProviderName, Providers, ProvidersError, PurgeRecords, ReconcileInFlight, Route, SendCode,
    SendPolicy, SystemClock, TestNumbers, VerificationHistory, VerificationStore, Wiring,
};
use phone_verify_domain::VerificationGateway;

use crate::{BuildError, PhoneVerification, VerificationRecords};

/// Chooses the parts of a [`PhoneVerification`]; [`PhoneVerificationBuilder::build`] wires them.
///
/// Only a provider is required. Each port is taken by value (the builder shares it); when a
/// part is chosen twice, the last choice wins (for providers: per name). The defaults: the
/// in-memory store, [`SendPolicy::default`], [`CheckPolicy::default`], the system clock and
/// random ids.
///
/// Several providers are wired by choosing each (`idmeta`, `twilio`, `provider`), each under
/// its name; the first chosen is the default unless [`PhoneVerificationBuilder::default_provider`]
/// says otherwise. [`PhoneVerificationBuilder::route`] sends some numbers (a country calling
/// code, a region) to another provider, and [`PhoneVerificationBuilder::failover_to`] lets a
/// send move on to another provider when the one before provably sent nothing. These are the
/// app's [`Providers`]; the rules are in `docs/architecture.md`, "Routing and failover".
///
/// ```
/// # #[cfg(feature = "mocks")]
/// # {
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// use std::time::Duration;
/// use phone_verify::testing::MockVerificationGateway;
/// use phone_verify::PhoneVerification;
/// use phone_verify::policy::{CheckPolicy, SendLimits, SendPolicy};
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
    /// The providers by name, in the order first chosen.
    providers: Vec<(ProviderName, GatewayChoice)>,
    default_provider: Option<ProviderName>,
    routes: Vec<(Route, ProviderName)>,
    failover: Vec<ProviderName>,
    store: StoreChoice,
    send_policy: SendPolicy,
    check_policy: CheckPolicy,
    clock: Option<Arc<dyn Clock>>,
    ids: Option<Arc<dyn IdSource>>,
    number_keys: Option<NumberKeyring>,
    reconcile_after: Option<Duration>,
    test_numbers: TestNumbers,
}

/// Where a provider comes from.
enum GatewayChoice {
    Given(Arc<dyn VerificationGateway>),
    #[cfg(feature = "idmeta")]
    Idmeta(Box<crate::idmeta::IdmetaClientBuilder>),
    #[cfg(feature = "twilio")]
    Twilio(Box<crate::twilio::TwilioClientBuilder>),
}

/// Where the record of attempts is kept.
#[derive(Default)]
enum StoreChoice {
    #[default]
    InMemory,
    Given(Arc<dyn VerificationStore>),
    #[cfg(feature = "sqlite")]
    Sqlite(PathBuf, crate::sql::SqliteOptions),
    #[cfg(feature = "postgres")]
    Postgres(String, crate::sql::PostgresOptions),
    /// A SQL store opened by the caller, handed over for the handle to own.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    Sql(crate::sql::SqlVerificationStore),
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
    ///         .trust_flow(phone_verify::idmeta::TrustFlowId::new(147))
    ///         .environment("integrate")
    ///         .token(SecretString::from("token-from-your-secret-store")),
    /// );
    /// # let _ = builder;
    /// ```
    #[cfg(feature = "idmeta")]
    pub fn idmeta(self, idmeta: crate::idmeta::IdmetaClientBuilder) -> Self {
        self.choose(IDMETA, GatewayChoice::Idmeta(Box::new(idmeta)))
    }

    /// Sends and checks codes through Twilio Verify v2 (feature `twilio`), as the provider
    /// named `twilio`, with the client `twilio` describes; it is built (and its configuration
    /// checked) by [`PhoneVerificationBuilder::build`].
    ///
    /// ```
    /// use phone_verify::PhoneVerification;
    /// use phone_verify::twilio::{SecretString, TwilioClient};
    ///
    /// let builder = PhoneVerification::builder().twilio(
    ///     TwilioClient::builder()
    ///         .service_sid("VA0123456789abcdef0123456789abcdef")
    ///         .api_key(
    ///             SecretString::from("SK0123456789abcdef0123456789abcdef"),
    ///             SecretString::from("key-secret-from-your-secret-store"),
    ///         ),
    /// );
    /// # let _ = builder;
    /// ```
    #[cfg(feature = "twilio")]
    pub fn twilio(self, twilio: crate::twilio::TwilioClientBuilder) -> Self {
        self.choose(TWILIO, GatewayChoice::Twilio(Box::new(twilio)))
    }

    /// Sends and checks codes through the simulator's IDMeta routes (`sim`), as the provider
    /// named `idmeta`, over plain HTTP on loopback with the simulator's token (feature
    /// `test-util`). For tests and demos only.
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
                // The simulator accepts any Trust Flow it was not told is unknown.
                .trust_flow(crate::idmeta::TrustFlowId::new(147))
                .base_url(sim.base_url())
                .allow_plain_http(true)
                .token(SecretString::from(sim.idmeta_token().to_owned())),
        )
    }

    /// Sends and checks codes through the simulator's Twilio Verify routes (`sim`), as the
    /// provider named `twilio`, over plain HTTP on loopback with the simulator's Twilio
    /// credentials and Verify Service (feature `test-util`). For tests and demos only.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use phone_verify::{PhoneVerification, testing::sim};
    ///
    /// let sim = sim::start(sim::SimConfig::default()).await?;
    /// let verification = PhoneVerification::builder().twilio_simulator(&sim).build().await?;
    /// # let _ = verification;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "test-util")]
    pub fn twilio_simulator(self, sim: &crate::testing::sim::Simulator) -> Self {
        use crate::twilio::{SecretString, TwilioClient};
        let (user, secret) = sim.twilio_credentials();
        // The simulator takes either kind of Basic pair; the adapter wants to know which.
        let api_key = user.starts_with("SK");
        let (user, secret) = (
            SecretString::from(user.to_owned()),
            SecretString::from(secret.to_owned()),
        );
        let client = TwilioClient::builder()
            .base_url(sim.base_url())
            .allow_plain_http(true)
            .service_sid(sim.twilio_service_sid());
        let client = if api_key {
            client.api_key(user, secret)
        } else {
            client.account_credentials(user, secret)
        };
        self.twilio(client)
    }

    /// Sends and checks codes through `gateway`, as the provider named `default`
    /// ([`ProviderName::unnamed`]): another
    /// provider, a decorator around one, or a test double. To wire one of several, name it
    /// with [`PhoneVerificationBuilder::provider`].
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
    pub fn gateway(self, gateway: impl VerificationGateway + 'static) -> Self {
        self.provider(ProviderName::unnamed(), gateway)
    }

    /// Sends and checks codes through `gateway`, as the provider `name`: the name every send
    /// it serves is recorded under (a check goes to the provider of its send), that routes and
    /// failover refer to, and that labels its metrics (`docs/operations.md`). Choosing a name
    /// again replaces its gateway.
    ///
    /// ```
    /// # #[cfg(feature = "mocks")]
    /// # {
    /// use phone_verify::{PhoneVerification, ProviderName};
    /// use phone_verify::testing::MockVerificationGateway;
    ///
    /// let builder = PhoneVerification::builder()
    ///     .provider(ProviderName::parse("my-sms")?, MockVerificationGateway::new());
    /// # let _ = builder;
    /// # }
    /// # Ok::<(), phone_verify::ProviderNameError>(())
    /// ```
    pub fn provider(self, name: ProviderName, gateway: impl VerificationGateway + 'static) -> Self {
        self.choose(name, GatewayChoice::Given(Arc::new(gateway)))
    }

    /// The provider a number no route matches goes to (default: the first provider chosen).
    ///
    /// ```
    /// use phone_verify::{PhoneVerification, ProviderName};
    ///
    /// let builder = PhoneVerification::builder().default_provider(ProviderName::twilio());
    /// # let _ = builder;
    /// # Ok::<(), phone_verify::ProviderNameError>(())
    /// ```
    pub fn default_provider(mut self, name: ProviderName) -> Self {
        self.default_provider = Some(name);
        self
    }

    /// Sends the numbers of `route` to the provider `name`: a country calling code
    /// (`Route::Prefix`, `+1`) or a region (`Route::Region`, `GB`). The first route a number
    /// matches wins, in the order given; a number no route matches goes to the default
    /// provider. A check goes to the provider of the send it checks, whatever the routes say.
    ///
    /// ```
    /// use phone_verify::{NumberPrefix, PhoneVerification, ProviderName, Route};
    ///
    /// let builder = PhoneVerification::builder()
    ///     .route(Route::Prefix(NumberPrefix::parse("+1")?), ProviderName::twilio());
    /// # let _ = builder;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn route(mut self, route: Route, name: ProviderName) -> Self {
        self.routes.push((route, name));
        self
    }

    /// Appends the provider `name` to the failover chain: a send whose provider failed having
    /// provably sent nothing (unreachable, a 503 its own API marks unprocessed, credentials refused) tries the next provider
    /// of the chain. Never after a failure that may have sent.
    ///
    /// ```
    /// use phone_verify::{PhoneVerification, ProviderName};
    ///
    /// let builder = PhoneVerification::builder().failover_to(ProviderName::twilio());
    /// # let _ = builder;
    /// # Ok::<(), phone_verify::ProviderNameError>(())
    /// ```
    pub fn failover_to(mut self, name: ProviderName) -> Self {
        self.failover.push(name);
        self
    }

    /// Chooses `gateway` as the provider `name`, in place of an earlier choice of that name.
    fn choose(mut self, name: ProviderName, gateway: GatewayChoice) -> Self {
        match self
            .providers
            .iter_mut()
            .find(|(chosen, _)| *chosen == name)
        {
            Some((_, earlier)) => *earlier = gateway,
            None => self.providers.push((name, gateway)),
        }
        self
    }

    /// Keeps the record of attempts in `store` (instead of the in-memory store).
    ///
    /// ```
    /// use phone_verify::PhoneVerification;
    /// use phone_verify::ports::InMemoryVerificationStore;
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
    pub fn sqlite(self, path: impl Into<PathBuf>) -> Self {
        self.sqlite_with(path, crate::sql::SqliteOptions::default())
    }

    /// [`PhoneVerificationBuilder::sqlite`] with `options`: refuse to create a missing file
    /// (`create_if_missing(false)`, recommended in production, so a wrong path fails at start
    /// instead of starting an empty record), the busy timeout, and the rest of
    /// [`crate::sql::SqliteOptions`].
    ///
    /// ```
    /// use phone_verify::PhoneVerification;
    /// use phone_verify::sql::SqliteOptions;
    ///
    /// let builder = PhoneVerification::builder()
    ///     .sqlite_with("/var/lib/my-app/phone-verify.db", SqliteOptions::default().create_if_missing(false));
    /// # let _ = builder;
    /// ```
    #[cfg(feature = "sqlite")]
    pub fn sqlite_with(
        mut self,
        path: impl Into<PathBuf>,
        options: crate::sql::SqliteOptions,
    ) -> Self {
        self.store = StoreChoice::Sqlite(path.into(), options);
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
    pub fn postgres(self, url: impl Into<String>) -> Self {
        self.postgres_with(url, crate::sql::PostgresOptions::default())
    }

    /// [`PhoneVerificationBuilder::postgres`] with `options`: the schema, the pool, the lock
    /// wait and the rest of [`crate::sql::PostgresOptions`].
    #[cfg(feature = "postgres")]
    pub fn postgres_with(
        mut self,
        url: impl Into<String>,
        options: crate::sql::PostgresOptions,
    ) -> Self {
        self.store = StoreChoice::Postgres(url.into(), options);
        self
    }

    /// Keeps the record of attempts in `store`, a SQL store opened by the caller (from a
    /// `DatabaseUrl`, with options the builder does not take), which the handle then owns
    /// as if it had opened it: [`VerificationRecords::close`] closes it,
    /// [`VerificationRecords::protect_clear_numbers`] converts it, and
    /// [`PhoneVerificationBuilder::protect_numbers`] applies to it.
    ///
    /// ```no_run
    /// # async fn wire() -> Result<(), Box<dyn std::error::Error>> {
    /// use phone_verify::PhoneVerification;
    /// use phone_verify::sql::{DatabaseUrl, PostgresOptions, SqlVerificationStore, SqliteOptions};
    ///
    /// let url = DatabaseUrl::parse("sqlite://phone-verify.db")?;
    /// let store = SqlVerificationStore::open_url(&url, SqliteOptions::default(), PostgresOptions::default()).await?;
    /// let records = PhoneVerification::builder().sql_store(store).build_records().await?;
    /// records.close().await;
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub fn sql_store(mut self, store: crate::sql::SqlVerificationStore) -> Self {
        self.store = StoreChoice::Sql(store);
        self
    }

    /// Keeps numbers protected at rest with `keyring` in the store the builder opens (in
    /// memory, SQLite or PostgreSQL): each record keeps the number's HMAC-SHA256 under the
    /// current key and its masked form, never the number (`docs/security.md`, "No clear
    /// numbers at rest"). A store given with [`PhoneVerificationBuilder::store`] is
    /// protected by whoever made it: giving both is [`BuildError::KeysForGivenStore`].
    ///
    /// ```
    /// use phone_verify::PhoneVerification;
    /// use phone_verify::numbers::NumberKeyring;
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
    /// timeout with its retries, plus a margin: [`crate::records::DEFAULT_ABANDONED_AFTER`] is 15
    /// minutes), as [`ReconcileInFlight`] does: outcome unknown (abandoned), still counted by
    /// the guards, never resent. Off by default: a store shared by instances is better
    /// reconciled by one scheduled job (`phone-verify reconcile`) than by every instance that
    /// starts, and an `abandoned_after` shorter than a live call would close it under its
    /// process. The builder's clock decides the cutoff; a failure is
    /// [`BuildError::Reconcile`].
    ///
    /// ```
    /// use phone_verify::PhoneVerification;
    /// use phone_verify::records::DEFAULT_ABANDONED_AFTER;
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

    /// Sends to `numbers` reach no provider: each is recorded under provider `test`, counted
    /// by the guards as any send, and verified by its fixed code (a wrong code counts as a
    /// wrong attempt), whatever the routes, the failover and the channel. For store reviewers,
    /// QA and load tests; none by default. The list is logged once when the handle is built,
    /// at `info`, masked as every number is and without its codes. A call replaces the list of
    /// an earlier one. A provider named `test` cannot be wired beside it
    /// (`BuildError::Providers`).
    ///
    /// ```
    /// use phone_verify::numbers::TestNumbers;
    /// use phone_verify::{OtpCode, PhoneNumber, PhoneVerification};
    ///
    /// let reviewers = TestNumbers::parse(
    ///     "# the app store's review account\n\
    ///      +12025550100..+12025550199 424242\n",
    /// )?
    /// .number(PhoneNumber::parse("+60182258491")?, OtpCode::parse("918273")?)?;
    /// let builder = PhoneVerification::builder().test_numbers(reviewers);
    /// # let _ = builder;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn test_numbers(mut self, numbers: TestNumbers) -> Self {
        self.test_numbers = numbers;
        self
    }

    /// Guards sends with `policy` (default [`SendPolicy::default`]: a 30 s cooldown, 5 codes
    /// per number per hour, 10 per trust validation, no premium-rate or shared-cost numbers).
    ///
    /// ```
    /// use phone_verify::PhoneVerification;
    /// use phone_verify::numbers::RegionCode;
    /// use phone_verify::policy::SendPolicy;
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
    /// use phone_verify::PhoneVerification;
    /// use phone_verify::policy::CheckPolicy;
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
    /// use phone_verify::PhoneVerification;
    /// use phone_verify::ports::SystemClock;
    ///
    /// let builder = PhoneVerification::builder().clock(SystemClock);
    /// # let _ = builder;
    /// ```
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Takes the id of each new attempt from `ids` (default: random UUIDs, unique across
    /// processes).
    ///
    /// ```
    /// use phone_verify::PhoneVerification;
    /// use phone_verify::ports::RandomIds;
    ///
    /// let builder = PhoneVerification::builder().ids(RandomIds);
    /// # let _ = builder;
    /// ```
    pub fn ids(mut self, ids: impl IdSource + 'static) -> Self {
        self.ids = Some(Arc::new(ids));
        self
    }

    /// Builds the providers' clients, wires the routes and the failover, opens the store
    /// (creating and migrating a database, reconciling it when asked) and wires the use cases
    /// over them. Sends nothing.
    ///
    /// # Errors
    ///
    /// - [`BuildError::NoGateway`]: no provider was chosen.
    /// - `BuildError::Idmeta`, `BuildError::Twilio`: that client's configuration is invalid.
    /// - [`BuildError::UnknownProvider`]: the default provider, a route or the failover names a
    ///   provider that was not chosen.
    /// - [`BuildError::FailoverToItself`]: every number goes to the provider the failover
    ///   names, so it would fail over to the provider that failed.
    /// - `BuildError::Store`: the database could not be opened or migrated.
    /// - [`BuildError::KeysForGivenStore`]: number keys for a store given ready-made.
    /// - [`BuildError::Reconcile`]: the reconciliation at open failed.
    /// - [`BuildError::ClientsWithoutNumberKeys`]: the send policy limits clients and the store
    ///   keeps numbers in clear.
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
        let clock: Arc<dyn Clock> = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let providers = wire_providers(
            self.providers,
            self.default_provider,
            self.routes,
            self.failover,
        )?
        .test_numbers(self.test_numbers, Arc::clone(&clock))
        .map_err(BuildError::from)?;
        let clients_without_keys =
            self.send_policy.limits.clients.is_some() && self.number_keys.is_none();
        if clients_without_keys && !matches!(self.store, StoreChoice::Given(_)) {
            return Err(BuildError::ClientsWithoutNumberKeys);
        }
        let records = open_records(
            self.store,
            self.number_keys,
            Some(clock),
            self.reconcile_after,
            &self.send_policy,
            &self.check_policy,
        )
        .await?;
        if self.send_policy.limits.clients.is_some() && !records.store.numbers().is_keyed() {
            records.close().await;
            return Err(BuildError::ClientsWithoutNumberKeys);
        }
        let mut wiring = Wiring::with_providers(providers, Arc::clone(&records.store))
            .clock(Arc::clone(&records.clock));
        if let Some(ids) = self.ids {
            wiring = wiring.ids(ids);
        }
        Ok(PhoneVerification {
            send: SendCode::new(wiring.clone(), self.send_policy),
            check: CheckCode::new(wiring, self.check_policy),
            records,
        })
    }

    /// Opens the store (creating and migrating a database, reconciling it when asked) and
    /// returns the handle of its records alone: history, purge, reconcile, number conversion
    /// and close, for a tool that maintains or reads the records and sends nothing. The
    /// providers chosen, if any, are not built; the policies still set the retention guards.
    ///
    /// # Errors
    ///
    /// `BuildError::Store`, [`BuildError::KeysForGivenStore`], [`BuildError::Reconcile`], as
    /// [`PhoneVerificationBuilder::build`].
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use phone_verify::PhoneVerification;
    ///
    /// let records = PhoneVerification::builder().build_records().await?;
    /// # let _ = records;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn build_records(self) -> Result<VerificationRecords, BuildError> {
        open_records(
            self.store,
            self.number_keys,
            self.clock,
            self.reconcile_after,
            &self.send_policy,
            &self.check_policy,
        )
        .await
    }
}

/// The records' handle over the store `choice` opens with `keys`, reconciled at open when
/// asked, with the retention guards of the two policies.
async fn open_records(
    choice: StoreChoice,
    keys: Option<NumberKeyring>,
    clock: Option<Arc<dyn Clock>>,
    reconcile_after: Option<Duration>,
    send_policy: &SendPolicy,
    check_policy: &CheckPolicy,
) -> Result<VerificationRecords, BuildError> {
    let (store, sql) = choice.open(keys).await?;
    #[cfg(not(any(feature = "sqlite", feature = "postgres")))]
    let () = sql;
    let clock = clock.unwrap_or_else(|| Arc::new(SystemClock));
    if let Some(abandoned_after) = reconcile_after {
        ReconcileInFlight::new(Arc::clone(&store), Arc::clone(&clock), abandoned_after)
            .reconcile()
            .await
            .map_err(BuildError::Reconcile)?;
    }
    Ok(VerificationRecords {
        history: VerificationHistory::new(Arc::clone(&store)),
        purge: PurgeRecords::new(
            Arc::clone(&store),
            Arc::clone(&clock),
            &send_policy.limits,
            check_policy,
        ),
        store,
        clock,
        #[cfg(any(feature = "sqlite", feature = "postgres"))]
        sql,
    })
}

/// IDMeta's name in records and metrics, checked when this crate compiles.
#[cfg(feature = "idmeta")]
const IDMETA: ProviderName = ProviderName::from_static(idmeta_adapter::PROVIDER);

/// Twilio's name in records and metrics, checked when this crate compiles.
#[cfg(feature = "twilio")]
const TWILIO: ProviderName = ProviderName::from_static(twilio_verify_adapter::PROVIDER);

/// The app's [`Providers`] for what was chosen: every client built, the default first, then
/// the routes and the failover chain, each refused by `Providers` itself when it names a
/// provider not chosen.
fn wire_providers(
    chosen: Vec<(ProviderName, GatewayChoice)>,
    default: Option<ProviderName>,
    routes: Vec<(Route, ProviderName)>,
    failover: Vec<ProviderName>,
) -> Result<Providers, BuildError> {
    let mut built = Vec::with_capacity(chosen.len());
    for (name, gateway) in chosen {
        built.push((name, gateway.build()?));
    }
    let default = match default {
        Some(name) => name,
        None => built.first().ok_or(BuildError::NoGateway)?.0.clone(),
    };
    let at = built
        .iter()
        .position(|(name, _)| *name == default)
        .ok_or_else(|| BuildError::UnknownProvider(default.clone()))?;
    let (name, gateway) = built.remove(at);
    let mut providers = Providers::new(name, gateway);
    for (name, gateway) in built {
        providers = providers.with(name, gateway).map_err(BuildError::from)?;
    }
    // Every number goes to these: the default, and the provider of each route.
    let mut reached = vec![default];
    for (route, name) in routes {
        reached.push(name.clone());
        providers = providers.route(route, name).map_err(BuildError::from)?;
    }
    for name in failover {
        if reached.iter().all(|reached| *reached == name) {
            return Err(BuildError::FailoverToItself(name));
        }
        providers = providers.failover_to(name).map_err(BuildError::from)?;
    }
    Ok(providers)
}

impl From<ProvidersError> for BuildError {
    fn from(error: ProvidersError) -> Self {
        match error {
            ProvidersError::UnknownProvider(name) => Self::UnknownProvider(name),
            // The builder keeps one gateway per name, so no duplicate reaches `Providers`;
            // whatever else it refuses is passed on as it is.
            other => Self::Providers(other),
        }
    }
}

impl GatewayChoice {
    /// The gateway, its client built.
    fn build(self) -> Result<Arc<dyn VerificationGateway>, BuildError> {
        Ok(match self {
            Self::Given(gateway) => gateway,
            #[cfg(feature = "idmeta")]
            Self::Idmeta(idmeta) => Arc::new(idmeta.build().map_err(BuildError::Idmeta)?),
            #[cfg(feature = "twilio")]
            Self::Twilio(twilio) => Arc::new(twilio.build().map_err(BuildError::Twilio)?),
        })
    }

    /// What the builder's `Debug` calls it.
    fn kind(&self) -> &'static str {
        match self {
            Self::Given(_) => "given",
            #[cfg(feature = "idmeta")]
            Self::Idmeta(_) => "idmeta",
            #[cfg(feature = "twilio")]
            Self::Twilio(_) => "twilio",
        }
    }
}

/// The SQL store the handle closes, when it opened one (`()` in a build without SQL).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
type OpenedSql = Option<crate::sql::SqlVerificationStore>;
#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
type OpenedSql = ();

impl StoreChoice {
    /// The store, keeping numbers protected with `keys` when given, and the SQL store behind
    /// it when this builder opened one (the handle closes it).
    async fn open(
        self,
        keys: Option<NumberKeyring>,
    ) -> Result<(Arc<dyn VerificationStore>, OpenedSql), BuildError> {
        #[cfg(any(feature = "sqlite", feature = "postgres"))]
        let without_sql = |store: Arc<dyn VerificationStore>| (store, None);
        #[cfg(not(any(feature = "sqlite", feature = "postgres")))]
        let without_sql = |store: Arc<dyn VerificationStore>| (store, ());
        match self {
            Self::InMemory => Ok(without_sql(Arc::new(match keys {
                Some(keys) => InMemoryVerificationStore::new().protect_numbers(keys),
                None => InMemoryVerificationStore::new(),
            }))),
            Self::Given(_) if keys.is_some() => Err(BuildError::KeysForGivenStore),
            Self::Given(store) => Ok(without_sql(store)),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(path, options) => {
                crate::sql::SqlVerificationStore::open_sqlite(path, options)
                    .await
                    .map(|store| protected(store, keys))
                    .map_err(BuildError::Store)
            }
            #[cfg(feature = "postgres")]
            Self::Postgres(url, options) => {
                crate::sql::SqlVerificationStore::open_postgres(&url, options)
                    .await
                    .map(|store| protected(store, keys))
                    .map_err(BuildError::Store)
            }
            #[cfg(any(feature = "sqlite", feature = "postgres"))]
            Self::Sql(store) => Ok(protected(store, keys)),
        }
    }
}

/// `store` as the port, keeping numbers protected with `keys` when given, and the store
/// itself (a clone shares its pool) for the handle to close.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn protected(
    store: crate::sql::SqlVerificationStore,
    keys: Option<NumberKeyring>,
) -> (Arc<dyn VerificationStore>, OpenedSql) {
    let store = match keys {
        Some(keys) => store.protect_numbers(keys),
        None => store,
    };
    (store.clone().into_port(), Some(store))
}

impl fmt::Debug for PhoneVerificationBuilder {
    /// Names the parts chosen, never a token, a path or a database URL (which may hold a
    /// password).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let providers: Vec<(&str, &str)> = self
            .providers
            .iter()
            .map(|(name, gateway)| (name.as_str(), gateway.kind()))
            .collect();
        let store = match &self.store {
            StoreChoice::InMemory => "in-memory",
            StoreChoice::Given(_) => "given",
            #[cfg(feature = "sqlite")]
            StoreChoice::Sqlite(..) => "sqlite",
            #[cfg(feature = "postgres")]
            StoreChoice::Postgres(..) => "postgres",
            #[cfg(any(feature = "sqlite", feature = "postgres"))]
            StoreChoice::Sql(_) => "sql",
        };
        f.debug_struct("PhoneVerificationBuilder")
            .field("providers", &providers)
            .field("default_provider", &self.default_provider)
            .field("routes", &self.routes)
            .field("failover", &self.failover)
            .field("store", &store)
            .field("test_numbers", &self.test_numbers)
            .field("send_policy", &self.send_policy)
            .field("check_policy", &self.check_policy)
            .field("number_keys", &self.number_keys)
            .field("reconcile_after", &self.reconcile_after)
            .finish_non_exhaustive()
    }
}
