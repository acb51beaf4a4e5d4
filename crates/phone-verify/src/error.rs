//! Why a [`crate::PhoneVerification`] could not be built.

/// Why [`crate::PhoneVerificationBuilder::build`] failed. Nothing was sent or recorded.
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
    /// No provider was given: call `idmeta`, `gateway` or `simulator` on the builder.
    #[error("no verification provider is configured")]
    NoGateway,
    /// Number keys were given for a store given ready-made (`store(..)` and
    /// `protect_numbers(..)`): the builder cannot reach into it, so protect the store where it
    /// is made (`InMemoryVerificationStore::protect_numbers`,
    /// `SqlVerificationStore::protect_numbers`).
    #[error("number keys were given for a store the builder does not open")]
    KeysForGivenStore,
    /// The reconciliation asked for at open
    /// (`PhoneVerificationBuilder::reconcile_at_open`) failed: the store failed, and some
    /// attempts in flight may be closed (running it again is safe).
    #[error("the attempts left in flight could not be reconciled")]
    Reconcile(#[source] crate::ReconcileError),
    /// The IDMeta client's configuration is invalid (no token, a bad URL, plain HTTP to a
    /// remote host, ...); the source says which.
    #[cfg(feature = "idmeta")]
    #[error("the idmeta client configuration is invalid")]
    Idmeta(#[source] crate::idmeta::ClientConfigError),
    /// The database could not be opened or brought up to date; the source says why
    /// ([`crate::StoreError::Unavailable`] with a [`crate::sql::SqlFailure`] inside).
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    #[error("the store could not be opened")]
    Store(#[source] crate::StoreError),
}
