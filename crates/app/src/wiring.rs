//! What a use case is wired to: its ports, bundled so they are wired once.

use std::fmt;
use std::sync::Arc;

use phone_verify_domain::{ProviderName, VerificationGateway};

use crate::{Clock, IdSource, Providers, RandomIds, SystemClock, VerificationStore};

/// The ports a use case is wired to (a bundle, not a port): the providers (one or more named
/// gateways, with their routing and failover), the store, the clock and the id source.
///
/// Each provider's name is the `provider` label of the use cases' metrics
/// (`docs/operations.md`) and is written to every send record.
///
/// Cloning clones four `Arc`s. The composition root builds it once and hands clones to the
/// use cases.
///
/// ```
/// use std::sync::Arc;
/// use phone_verify_app::{InMemoryVerificationStore, Wiring};
/// # use phone_verify_domain::MockVerificationGateway;
/// # let gateway = MockVerificationGateway::new();
/// let wiring = Wiring::new(Arc::new(gateway), Arc::new(InMemoryVerificationStore::new()));
/// ```
#[derive(Clone)]
pub struct Wiring {
    /// The verification providers.
    pub providers: Arc<Providers>,
    /// The record of attempts.
    pub store: Arc<dyn VerificationStore>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The ids of new attempts.
    pub ids: Arc<dyn IdSource>,
}

impl Wiring {
    /// One provider, named [`ProviderName::unnamed`] (`default`) in the records and metrics,
    /// as the facade names a lone gateway, and the store, with the system clock and random ids.
    pub fn new(gateway: Arc<dyn VerificationGateway>, store: Arc<dyn VerificationStore>) -> Self {
        Self::with_providers(Providers::new(ProviderName::unnamed(), gateway), store)
    }

    /// The given providers and store, with the system clock and random ids.
    pub fn with_providers(providers: Providers, store: Arc<dyn VerificationStore>) -> Self {
        Self {
            providers: Arc::new(providers),
            store,
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
        }
    }

    /// The same ports with another clock.
    #[must_use]
    pub fn clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// The same ports with another id source.
    #[must_use]
    pub fn ids(self, ids: Arc<dyn IdSource>) -> Self {
        Self { ids, ..self }
    }
}

impl fmt::Debug for Wiring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wiring")
            .field("providers", &self.providers)
            .field("store", &self.store)
            .field("clock", &self.clock)
            .field("ids", &self.ids)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use phone_verify_domain::MockVerificationGateway;

    use super::*;
    use crate::InMemoryVerificationStore;

    #[test]
    fn debug_shows_every_port_the_gateway_included() {
        let wiring = Wiring::new(
            Arc::new(MockVerificationGateway::new()),
            Arc::new(InMemoryVerificationStore::new()),
        );
        let shown = format!("{wiring:?}");
        assert!(shown.contains("MockVerificationGateway"), "{shown}");
    }
}
