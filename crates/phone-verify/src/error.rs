//! Why a [`crate::PhoneVerification`] could not be built.

use phone_verify_domain::error_chain;

/// Why [`crate::PhoneVerificationBuilder::build`] failed. Nothing was sent or recorded.
///
/// Each message carries the whole reason, the fix included (`allow_plain_http(true)`, the
/// database file's path), so a caller that prints only `{error}` still reads it; the cause
/// stays available as `source()`.
///
/// ```
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// use phone_verify::{BuildError, PhoneVerification};
///
/// let error = PhoneVerification::builder().build().await.unwrap_err();
/// assert!(matches!(error, BuildError::NoGateway));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No provider was given: call `idmeta`, `twilio`, `gateway`, `provider` or `simulator`
    /// on the builder.
    #[error("no verification provider is configured")]
    NoGateway,
    /// The default provider, a route or the failover chain names a provider that was not
    /// chosen.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use phone_verify::{BuildError, NumberPrefix, PhoneVerification, ProviderName, Route, testing::sim};
    ///
    /// let sim = sim::start(sim::SimConfig::default()).await?;
    /// let twilio = ProviderName::twilio();
    /// let error = PhoneVerification::builder()
    ///     .simulator(&sim)
    ///     .route(Route::Prefix(NumberPrefix::parse("+1")?), twilio.clone())
    ///     .build()
    ///     .await
    ///     .unwrap_err();
    /// assert!(matches!(error, BuildError::UnknownProvider(name) if name == twilio));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("no provider named {0} is configured")]
    UnknownProvider(crate::ProviderName),
    /// The failover chain names the provider every number already goes to (the default, with
    /// no route elsewhere): a send would fail over to the provider that failed.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use phone_verify::{BuildError, PhoneVerification, ProviderName, testing::sim};
    ///
    /// let sim = sim::start(sim::SimConfig::default()).await?;
    /// let error = PhoneVerification::builder()
    ///     .simulator(&sim)
    ///     .failover_to(ProviderName::idmeta())
    ///     .build()
    ///     .await
    ///     .unwrap_err();
    /// assert!(matches!(error, BuildError::FailoverToItself(name) if name == ProviderName::idmeta()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("the failover to {0} goes to the provider every number is sent to")]
    FailoverToItself(crate::ProviderName),
    /// The providers could not be wired for another reason `Providers` gives (the source).
    #[error("the providers could not be wired: {}", error_chain(.0))]
    Providers(#[source] crate::policy::ProvidersError),
    /// Number keys were given for a store given ready-made (`store(..)` and
    /// `protect_numbers(..)`): the builder cannot reach into it, so protect the store where it
    /// is made (`InMemoryVerificationStore::protect_numbers`,
    /// `SqlVerificationStore::protect_numbers`).
    #[error("number keys were given for a store the builder does not open")]
    KeysForGivenStore,
    /// The send policy limits clients (`SendLimits::clients`) but the store keeps numbers in
    /// clear: a client key is kept only as its keyed digest, so the guard needs number keys
    /// (`PhoneVerificationBuilder::protect_numbers`).
    #[error("the guard of clients needs number keys: a client is kept only as its keyed digest")]
    ClientsWithoutNumberKeys,
    /// The reconciliation asked for at open
    /// (`PhoneVerificationBuilder::reconcile_at_open`) failed: the store failed, and some
    /// attempts in flight may be closed (running it again is safe).
    #[error("the attempts left in flight could not be reconciled: {}", error_chain(.0))]
    Reconcile(#[source] crate::records::ReconcileError),
    /// The IDMeta client's configuration is invalid (no token, a bad URL, plain HTTP without
    /// `allow_plain_http(true)`, ...); the source says which, and names that fix.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use phone_verify::idmeta::{IdmetaClient, SecretString};
    /// use phone_verify::{BuildError, PhoneVerification};
    ///
    /// let error = PhoneVerification::builder()
    ///     .idmeta(
    ///         IdmetaClient::builder()
    ///             .trust_flow(phone_verify::idmeta::TrustFlowId::new(147))
    ///             .base_url("http://127.0.0.1:8080")
    ///             .token(SecretString::from("t0k3n")),
    ///     )
    ///     .build()
    ///     .await
    ///     .unwrap_err();
    /// assert!(matches!(error, BuildError::Idmeta(_)));
    /// // The message itself names the fix; the adapter's error is its source.
    /// assert!(error.to_string().contains("allow_plain_http(true)"), "{error}");
    /// assert!(std::error::Error::source(&error).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "idmeta")]
    #[error("the idmeta client configuration is invalid: {}", error_chain(.0))]
    Idmeta(#[source] crate::idmeta::IdmetaConfigError),
    /// The Twilio client's configuration is invalid (no Service SID, malformed credentials,
    /// plain HTTP without `allow_plain_http(true)`, ...); the source says which, and names
    /// that fix.
    #[cfg(feature = "twilio")]
    #[error("the twilio client configuration is invalid: {}", error_chain(.0))]
    Twilio(#[source] crate::twilio::TwilioConfigError),
    /// The database could not be opened or brought up to date, or is not a phone-verify
    /// store; the source says why ([`crate::ports::StoreError::Unavailable`] with a
    /// [`crate::sql::SqlFailure`] inside, or [`crate::ports::StoreError::Misconfigured`] with
    /// a [`crate::sql::NotOurStore`] naming the database, nothing written).
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    #[error("the store could not be opened: {}", error_chain(.0))]
    Store(#[source] crate::ports::StoreError),
}
