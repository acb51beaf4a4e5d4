//! What a use case is wired to: its ports, bundled so they are wired once.

use std::fmt;
use std::sync::Arc;

use phone_verify_domain::VerificationGateway;

use crate::{Clock, IdSource, ProviderName, RandomIds, SystemClock, VerificationStore};

/// The ports a use case is wired to (a bundle, not a port): the provider and its name, the
/// store, the clock and the id source.
///
/// The provider's name is the `provider` label of the use cases' metrics
/// (`docs/operations.md`); it is `default` until [`Wiring::provider_name`] names it (the
/// facade and the command line name IDMeta `idmeta`).
///
/// Cloning clones four `Arc`s and the name. The composition root builds it once and hands clones to the
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
    /// The verification provider.
    pub gateway: Arc<dyn VerificationGateway>,
    /// The provider's name, as metrics label its calls.
    pub provider: ProviderName,
    /// The record of attempts.
    pub store: Arc<dyn VerificationStore>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The ids of new attempts.
    pub ids: Arc<dyn IdSource>,
}

impl Wiring {
    /// The given provider and store, with the system clock and random ids; the provider
    /// named `default`.
    pub fn new(gateway: Arc<dyn VerificationGateway>, store: Arc<dyn VerificationStore>) -> Self {
        Self {
            gateway,
            provider: ProviderName::default(),
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

    /// The same ports with the provider named `provider`.
    #[must_use]
    pub fn provider_name(self, provider: ProviderName) -> Self {
        Self { provider, ..self }
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
            .field("gateway", &self.gateway)
            .field("provider", &self.provider)
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
        assert!(
            shown.contains("gateway: MockVerificationGateway"),
            "{shown}"
        );
    }
}
