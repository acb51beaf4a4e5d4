//! Which provider a command asked last, so that its failure is told as that provider's: named
//! in the message, and, when it refused its credentials, the settings they came from named in
//! the hint (IDMeta's token is no help when Twilio refused its Auth Token).
//!
//! A send or a check returns the failure of the last provider asked (after a failover too)
//! without saying which one it was; the composition root wraps each gateway it gives the
//! builder to note it.

use std::sync::{Arc, Mutex, PoisonError};

use phone_verify::ports::{
    CancelCodeRequest, CheckCodeRequest, CheckResult, GatewayError, ProviderRules, SendReceipt,
    VerificationGateway, async_trait,
};
use phone_verify::{ProviderName, SendCodeRequest};

/// A provider as this run configured it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Configured {
    /// The name its attempts are recorded under.
    pub(crate) name: ProviderName,
    /// Where its credentials came from, as the user gives them: `the token in
    /// IDMETA_API_TOKEN (or --idmeta-token-file)`.
    pub(crate) credentials: String,
}

/// The provider asked last, shared by the gateways of one run.
#[derive(Debug, Clone, Default)]
pub(crate) struct LastAsked(Arc<Mutex<Option<Configured>>>);

impl LastAsked {
    /// `gateway`, noting here each time it is asked, as `provider`.
    pub(crate) fn watch(
        &self,
        provider: Configured,
        gateway: Arc<dyn VerificationGateway>,
    ) -> Watched {
        Watched {
            provider,
            gateway,
            last: self.clone(),
        }
    }

    /// The provider asked last; `None` before any was.
    pub(crate) fn get(&self) -> Option<Configured> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn note(&self, provider: &Configured) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(provider.clone());
    }
}

/// A gateway that notes its provider as the one asked last before each call, and otherwise
/// is the provider's own: its rules too, which routing and the guards read.
#[derive(Debug)]
pub(crate) struct Watched {
    provider: Configured,
    gateway: Arc<dyn VerificationGateway>,
    last: LastAsked,
}

#[async_trait]
impl VerificationGateway for Watched {
    async fn send_code(&self, request: &SendCodeRequest) -> Result<SendReceipt, GatewayError> {
        self.last.note(&self.provider);
        self.gateway.send_code(request).await
    }

    async fn check_code(&self, request: &CheckCodeRequest) -> Result<CheckResult, GatewayError> {
        self.last.note(&self.provider);
        self.gateway.check_code(request).await
    }

    async fn cancel_code(&self, request: &CancelCodeRequest) -> Result<(), GatewayError> {
        self.last.note(&self.provider);
        self.gateway.cancel_code(request).await
    }

    fn rules(&self) -> ProviderRules {
        self.gateway.rules()
    }
}
