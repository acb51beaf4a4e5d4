//! The providers a use case is wired to: gateways by name, which one a number is routed to,
//! and which ones a send fails over to when the one before provably sent nothing.
//!
//! The rule and its reasons are in `docs/architecture.md` ("Routing and failover").

use std::fmt;
use std::sync::Arc;

use phone_verify_domain::{
    Channel, CheckCodeRequest, CheckResult, GatewayError, PhoneNumber, ProviderName, ProviderRules,
    RegionCode, VerificationGateway,
};

use crate::test_numbers::TestNumbersGateway;
use crate::{Clock, NumberPrefix, TestNumbers};

/// Which numbers a routing rule sends to its provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Numbers starting with the prefix: a country calling code (`+60`) or longer.
    Prefix(NumberPrefix),
    /// Numbers of the region (by the numbering plan).
    Region(RegionCode),
}

impl Route {
    /// Whether `phone` is one of the route's numbers.
    pub fn matches(&self, phone: &PhoneNumber) -> bool {
        match self {
            Self::Prefix(prefix) => prefix.matches(phone),
            Self::Region(region) => phone.region().as_ref() == Some(region),
        }
    }
}

/// Why a set of providers could not be wired as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProvidersError {
    /// Two gateways under one name: records could not say which one served a send.
    #[error("two providers are named {0}")]
    DuplicateName(ProviderName),
    /// A route or the failover names a provider that is not wired.
    #[error("no provider is named {0}")]
    UnknownProvider(ProviderName),
    /// A gateway named [`ProviderName::test`] beside test numbers, whose sends are recorded
    /// under that name: a check could not tell which one holds a code.
    #[error("the provider name `test` is taken by the test numbers")]
    TestNameTaken,
}

/// A check was to go to a provider that is not wired (a send recorded by another
/// configuration). The check never left: it reads as not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the provider of the send is not wired")]
pub struct ProviderNotWired;

/// Named gateways, a routing rule and a failover chain.
///
/// The first provider is the default: a number no route matches goes to it. A send tries the
/// provider its number is routed to, then each provider of the failover chain (skipping the
/// one already tried), moving on only when [`fails_over`] says the failure provably sent
/// nothing and was the provider's. A check goes to the provider of the send it checks.
///
/// ```
/// use std::sync::Arc;
/// use phone_verify_app::{NumberPrefix, Providers, Route};
/// use phone_verify_domain::{Channel, MockVerificationGateway, PhoneNumber, ProviderName};
///
/// let twilio = ProviderName::twilio();
/// let providers = Providers::new(ProviderName::idmeta(), Arc::new(MockVerificationGateway::new()))
///     .with(twilio.clone(), Arc::new(MockVerificationGateway::new()))?
///     .route(Route::Prefix(NumberPrefix::parse("+1")?), twilio.clone())?
///     .failover_to(twilio.clone())?;
/// let malaysian = PhoneNumber::parse("+60 18-225 8491")?;
/// let names: Vec<&str> = providers
///     .plan(&malaysian, Channel::Sms)
///     .into_iter()
///     .map(|(name, _)| name.as_str())
///     .collect();
/// assert_eq!(names, ["idmeta", "twilio"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Providers {
    /// The gateways by name, the default first.
    gateways: Vec<(ProviderName, Arc<dyn VerificationGateway>)>,
    /// The routing rules, the first that matches wins.
    routes: Vec<(Route, ProviderName)>,
    /// The providers a send fails over to, in order.
    failover: Vec<ProviderName>,
    /// The test numbers, answered without a provider ([`TestNumbers`]).
    test_numbers: Option<Arc<dyn VerificationGateway>>,
    /// The test numbers themselves, to route by.
    test_list: TestNumbers,
}

impl Providers {
    /// One provider, `name`, the default; no routes, no failover.
    pub fn new(name: ProviderName, gateway: Arc<dyn VerificationGateway>) -> Self {
        Self {
            gateways: vec![(name, gateway)],
            routes: Vec::new(),
            failover: Vec::new(),
            test_numbers: None,
            test_list: TestNumbers::new(),
        }
    }

    /// Sends to `numbers` go to none of the providers: they are recorded under
    /// [`ProviderName::test`] and verified by their fixed codes, whatever the routes, the
    /// failover and the channel ([`TestNumbers`]). `clock` dates their receipts and checks (the
    /// use cases' own). An empty list changes nothing. Logs the list once, at `info`, masked
    /// as every number is and without its codes.
    ///
    /// # Errors
    ///
    /// [`ProvidersError::TestNameTaken`] when a gateway is wired under `test`.
    pub fn test_numbers(
        mut self,
        numbers: TestNumbers,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ProvidersError> {
        if self.gateway(&ProviderName::test()).is_some() {
            return Err(ProvidersError::TestNameTaken);
        }
        if numbers.is_empty() {
            return Ok(self);
        }
        // Once per composition, so once at a process's start: which numbers never reach a
        // provider, masked as every number is; never their codes.
        tracing::info!(
            entries = numbers.len(),
            numbers = %numbers,
            "test numbers: sends to these reach no provider and verify with their fixed codes"
        );
        self.test_list = numbers.clone();
        let gateway: TestNumbersGateway = numbers.gateway(clock);
        self.test_numbers = Some(Arc::new(gateway));
        Ok(self)
    }

    /// The test numbers ([`Providers::test_numbers`]); empty unless given.
    pub fn test_list(&self) -> &TestNumbers {
        &self.test_list
    }

    /// One more provider, reached through a route or the failover chain.
    ///
    /// # Errors
    ///
    /// [`ProvidersError::DuplicateName`] when a provider already has that name.
    pub fn with(
        mut self,
        name: ProviderName,
        gateway: Arc<dyn VerificationGateway>,
    ) -> Result<Self, ProvidersError> {
        if self.gateway(&name).is_some() {
            return Err(if name == ProviderName::test() {
                ProvidersError::TestNameTaken
            } else {
                ProvidersError::DuplicateName(name)
            });
        }
        self.gateways.push((name, gateway));
        Ok(self)
    }

    /// Routes the numbers of `route` to `name` (after the routes given before, which win).
    ///
    /// # Errors
    ///
    /// [`ProvidersError::UnknownProvider`] when no provider has that name.
    pub fn route(mut self, route: Route, name: ProviderName) -> Result<Self, ProvidersError> {
        self.require(&name)?;
        self.routes.push((route, name));
        Ok(self)
    }

    /// Appends `name` to the failover chain.
    ///
    /// # Errors
    ///
    /// [`ProvidersError::UnknownProvider`] when no provider has that name.
    pub fn failover_to(mut self, name: ProviderName) -> Result<Self, ProvidersError> {
        self.require(&name)?;
        if !self.failover.contains(&name) {
            self.failover.push(name);
        }
        Ok(self)
    }

    fn require(&self, name: &ProviderName) -> Result<(), ProvidersError> {
        match self.gateway(name) {
            Some(_) => Ok(()),
            None => Err(ProvidersError::UnknownProvider(name.clone())),
        }
    }

    /// The default provider: the one a number no route matches goes to.
    pub fn default_provider(&self) -> &ProviderName {
        &self.gateways[0].0
    }

    /// The gateway wired under `name` (the test numbers' under [`ProviderName::test`]).
    pub fn gateway(&self, name: &ProviderName) -> Option<&Arc<dyn VerificationGateway>> {
        if *name == ProviderName::test() && self.test_numbers.is_some() {
            return self.test_numbers.as_ref();
        }
        self.gateways
            .iter()
            .find(|(wired, _)| wired == name)
            .map(|(_, gateway)| gateway)
    }

    /// What each wired provider's adapter declares about how it keeps codes
    /// ([`VerificationGateway::rules`]), by name.
    pub fn rules(&self) -> Vec<(ProviderName, ProviderRules)> {
        self.gateways
            .iter()
            .map(|(name, gateway)| (name.clone(), gateway.rules()))
            .collect()
    }

    /// The provider `phone` is routed to: the first matching route's, else the default.
    pub fn routed(&self, phone: &PhoneNumber) -> &ProviderName {
        self.routes
            .iter()
            .find(|(route, _)| route.matches(phone))
            .map_or_else(|| self.default_provider(), |(_, name)| name)
    }

    /// The providers a send to `phone` on `channel` may try, in order: the first that offers
    /// the channel ([`ProviderRules::channels`]) of the routed one, the failover chain and the
    /// other providers in the order given; then the failover chain's others that offer it. A
    /// test number goes to the test numbers alone. Empty when no provider offers the channel.
    pub fn plan<'a>(
        &'a self,
        phone: &PhoneNumber,
        channel: Channel,
    ) -> Vec<(&'a ProviderName, &'a Arc<dyn VerificationGateway>)> {
        self.plan_steps(phone, channel).collect()
    }

    /// [`Providers::plan`], one provider at a time, without collecting it: what a send walks
    /// (a `Vec` a send was an allocation the guarantees do not need).
    pub(crate) fn plan_steps<'a>(
        &'a self,
        phone: &PhoneNumber,
        channel: Channel,
    ) -> impl Iterator<Item = (&'a ProviderName, &'a Arc<dyn VerificationGateway>)> + 'a {
        static TEST: ProviderName = ProviderName::test();
        let test = self
            .test_numbers
            .as_ref()
            .filter(|_| self.test_list.contains(phone))
            .map(|test| (&TEST, test));
        let offers = move |name: &'a ProviderName| self.offering(name, channel);
        let first = match test {
            Some(_) => None,
            None => std::iter::once(self.routed(phone))
                .chain(&self.failover)
                .chain(self.gateways.iter().map(|(name, _)| name))
                .find_map(offers),
        };
        let rest = first.into_iter().flat_map(move |first| {
            self.failover
                .iter()
                .filter(move |name| **name != *first.0)
                .filter_map(offers)
        });
        test.into_iter().chain(first).chain(rest)
    }

    /// The gateway named `name`, if it offers `channel`.
    fn offering<'a>(
        &'a self,
        name: &'a ProviderName,
        channel: Channel,
    ) -> Option<(&'a ProviderName, &'a Arc<dyn VerificationGateway>)> {
        self.gateway(name)
            .filter(|gateway| gateway.rules().channels.contains(channel))
            .map(|gateway| (name, gateway))
    }

    /// Whether some provider offers `channel` to `phone` ([`Providers::plan`] is not empty).
    pub fn offers(&self, phone: &PhoneNumber, channel: Channel) -> bool {
        self.plan_steps(phone, channel).next().is_some()
    }

    /// Checks a code at `provider`; a provider not wired here is a check that never left
    /// ([`GatewayError::NotSent`] with [`ProviderNotWired`] as its source).
    ///
    /// # Errors
    ///
    /// The provider's, as [`VerificationGateway::check_code`].
    pub async fn check_code(
        &self,
        provider: &ProviderName,
        request: &CheckCodeRequest,
    ) -> Result<CheckResult, GatewayError> {
        match self.gateway(provider) {
            Some(gateway) => gateway.check_code(request).await,
            None => Err(GatewayError::NotSent {
                source: Box::new(ProviderNotWired),
            }),
        }
    }
}

/// Whether a send that failed with `error` may go on to the next provider: only when the
/// provider provably sent nothing **and** the failure is the provider's (it could not be
/// reached, its own API said it turned the request away unprocessed
/// ([`GatewayError::Unavailable`]), or it refused its credentials), so
/// another provider may well succeed. Never after a failure that may have sent (a duplicate
/// SMS is worse than a late one: any 5xx the provider's own API did not mark unprocessed, a
/// proxy's 503 included), nor after one of the request itself (422, 404, 403, a
/// `success: false`: the next provider would refuse it too, or should not be asked), nor a
/// rate limit (the provider asked to wait for this number or this account, not to go
/// elsewhere), nor a request this side could not build.
pub fn fails_over(error: &GatewayError) -> bool {
    if error.may_have_been_sent() {
        return false;
    }
    match error {
        GatewayError::NotSent { .. }
        | GatewayError::Unauthorized
        | GatewayError::Unavailable { .. } => true,
        GatewayError::ProviderFault { .. }
        | GatewayError::RequestNotBuilt { .. }
        | GatewayError::Rejected { .. }
        | GatewayError::RateLimited { .. }
        | GatewayError::OutcomeUnknown { .. }
        | GatewayError::InvalidResponse { .. } => false,
    }
}

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Providers")
            .field("gateways", &self.gateways)
            .field("routes", &self.routes)
            .field("failover", &self.failover)
            .field("test_numbers", &self.test_list)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use phone_verify_domain::{MockVerificationGateway, RejectionKind};

    use super::*;

    fn name(name: &str) -> ProviderName {
        ProviderName::parse(name).expect("a name")
    }

    fn mock() -> Arc<dyn VerificationGateway> {
        Arc::new(MockVerificationGateway::new())
    }

    fn three() -> Providers {
        Providers::new(name("a"), mock())
            .with(name("b"), mock())
            .and_then(|p| p.with(name("c"), mock()))
            .expect("distinct names")
    }

    fn plan(providers: &Providers, phone: &str) -> Vec<String> {
        let phone = PhoneNumber::parse(phone).expect("a number");
        providers
            .plan(&phone, Channel::Sms)
            .into_iter()
            .map(|(name, _)| name.to_string())
            .collect()
    }

    #[test]
    fn a_number_goes_to_its_route_then_to_the_failover_chain_without_repeats() {
        let providers = three()
            .route(
                Route::Prefix(NumberPrefix::parse("+1").expect("a prefix")),
                name("b"),
            )
            .and_then(|p| {
                p.route(
                    Route::Region(RegionCode::parse("GB").expect("a region")),
                    name("c"),
                )
            })
            .and_then(|p| p.failover_to(name("b")))
            .and_then(|p| p.failover_to(name("a")))
            .expect("known names");
        assert_eq!(plan(&providers, "+60 18-225 8491"), ["a", "b"]);
        assert_eq!(plan(&providers, "+1 650-253-0000"), ["b", "a"]);
        assert_eq!(plan(&providers, "+44 20 7031 3000"), ["c", "b", "a"]);
        assert_eq!(plan(&three(), "+1 650-253-0000"), ["a"], "no failover");
    }

    #[test]
    fn names_must_be_distinct_and_known() {
        assert_eq!(
            three().with(name("a"), mock()).map(|_| ()),
            Err(ProvidersError::DuplicateName(name("a")))
        );
        assert_eq!(
            three().failover_to(name("z")).map(|_| ()),
            Err(ProvidersError::UnknownProvider(name("z")))
        );
        let route = Route::Prefix(NumberPrefix::parse("+1").expect("a prefix"));
        assert_eq!(
            three().route(route, name("z")).map(|_| ()),
            Err(ProvidersError::UnknownProvider(name("z")))
        );
    }

    #[test]
    fn only_a_failure_of_the_provider_that_provably_sent_nothing_fails_over() {
        let fault = |status| GatewayError::ProviderFault {
            status,
            retry_after: None,
        };
        let rejected = |kind, status| GatewayError::Rejected {
            kind,
            status,
            message: None,
            field_errors: Default::default(),
        };
        let cases: Vec<(GatewayError, bool)> = vec![
            (
                GatewayError::NotSent {
                    source: "refused".into(),
                },
                true,
            ),
            (GatewayError::Unauthorized, true),
            (fault(503), false),
            (
                GatewayError::Unavailable {
                    status: 503,
                    retry_after: None,
                },
                true,
            ),
            (fault(500), false),
            (fault(502), false),
            (
                GatewayError::OutcomeUnknown {
                    source: "timeout".into(),
                },
                false,
            ),
            (
                GatewayError::InvalidResponse {
                    status: 200,
                    reason: "truncated".into(),
                },
                false,
            ),
            (rejected(RejectionKind::InvalidRequest, 422), false),
            (rejected(RejectionKind::NotFound, 404), false),
            (rejected(RejectionKind::Forbidden, 403), false),
            (rejected(RejectionKind::Unsuccessful, 200), false),
            (
                GatewayError::rate_limited(Some(Duration::from_secs(1))),
                false,
            ),
            (
                GatewayError::RequestNotBuilt {
                    source: "serialise".into(),
                },
                false,
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(fails_over(&error), expected, "{error:?}");
        }
    }

    #[tokio::test]
    async fn a_check_at_a_provider_not_wired_never_leaves() {
        let request = CheckCodeRequest {
            code: phone_verify_domain::OtpCode::parse("918273").expect("a code"),
            trust_validation: phone_verify_domain::TrustValidationId::parse("tv").expect("an id"),
            reference: None,
            phone: None,
        };
        let error = three()
            .check_code(&name("gone"), &request)
            .await
            .expect_err("not wired");
        assert!(matches!(error, GatewayError::NotSent { .. }), "{error:?}");
        assert!(!error.may_have_been_sent());
    }

    /// A mock that declares `rules` (a mock's own are the default's).
    #[derive(Debug)]
    struct Declaring {
        rules: ProviderRules,
        inner: MockVerificationGateway,
    }

    #[async_trait::async_trait]
    impl VerificationGateway for Declaring {
        async fn send_code(
            &self,
            request: &phone_verify_domain::SendCodeRequest,
        ) -> Result<phone_verify_domain::SendReceipt, GatewayError> {
            self.inner.send_code(request).await
        }

        async fn check_code(
            &self,
            request: &CheckCodeRequest,
        ) -> Result<CheckResult, GatewayError> {
            self.inner.check_code(request).await
        }

        fn rules(&self) -> ProviderRules {
            self.rules.clone()
        }
    }

    /// A gateway that offers `channels`.
    fn offering_channels(channels: &[Channel]) -> Arc<dyn VerificationGateway> {
        Arc::new(Declaring {
            rules: ProviderRules::per_trust_validation()
                .offering(phone_verify_domain::Channels::of(channels)),
            inner: MockVerificationGateway::new(),
        })
    }

    fn plan_on(providers: &Providers, phone: &str, channel: Channel) -> Vec<String> {
        let phone = PhoneNumber::parse(phone).expect("a number");
        providers
            .plan(&phone, channel)
            .into_iter()
            .map(|(name, _)| name.to_string())
            .collect()
    }

    #[test]
    fn a_send_plans_only_providers_that_offer_its_channel() {
        // a: SMS alone (the default); b: SMS and calls; c: every channel. +1 goes to a.
        let providers = Providers::new(name("a"), offering_channels(&[Channel::Sms]))
            .with(name("b"), offering_channels(&[Channel::Sms, Channel::Call]))
            .and_then(|p| p.with(name("c"), offering_channels(&Channel::ALL)))
            .and_then(|p| {
                p.route(
                    Route::Prefix(NumberPrefix::parse("+1").expect("a prefix")),
                    name("a"),
                )
            })
            .and_then(|p| p.failover_to(name("a")))
            .and_then(|p| p.failover_to(name("c")))
            .expect("wired");
        let us = "+12025550142";
        // SMS: the route, then the chain.
        assert_eq!(plan_on(&providers, us, Channel::Sms), ["a", "c"]);
        // A call skips a wherever it stands: the chain's c is the first that calls, and
        // nothing after it calls.
        assert_eq!(plan_on(&providers, us, Channel::Call), ["c"]);
        assert_eq!(plan_on(&providers, us, Channel::WhatsApp), ["c"]);

        // Without a chain that calls, the first provider wired that calls is asked, alone.
        let unchained = Providers::new(name("a"), offering_channels(&[Channel::Sms]))
            .with(name("b"), offering_channels(&[Channel::Sms, Channel::Call]))
            .expect("wired");
        assert_eq!(plan_on(&unchained, us, Channel::Call), ["b"]);
        assert!(plan_on(&unchained, us, Channel::WhatsApp).is_empty());
        let phone = PhoneNumber::parse(us).expect("a number");
        assert!(!unchained.offers(&phone, Channel::WhatsApp));
        assert!(unchained.offers(&phone, Channel::Call));
    }

    #[test]
    fn a_test_number_plans_the_test_gateway_alone_whatever_the_channel() {
        let numbers = TestNumbers::parse("+12025550100..+12025550199 424242").expect("a list");
        let providers = Providers::new(name("a"), offering_channels(&[Channel::Sms]))
            .test_numbers(
                numbers,
                Arc::new(crate::ManualClock::new(chrono::Utc::now())),
            )
            .expect("no provider is named test");
        for channel in Channel::ALL {
            assert_eq!(plan_on(&providers, "+12025550142", channel), ["test"]);
        }
        assert_eq!(plan_on(&providers, "+12025550200", Channel::Sms), ["a"]);
        assert!(plan_on(&providers, "+12025550200", Channel::Call).is_empty());
        let taken = Providers::new(name("test"), mock())
            .test_numbers(TestNumbers::new(), Arc::new(crate::SystemClock))
            .expect_err("the name is taken");
        assert!(matches!(taken, ProvidersError::TestNameTaken), "{taken:?}");
    }
}
