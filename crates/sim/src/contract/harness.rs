//! What every case starts from: a simulator of its own on a manual clock, the adapter's gateway
//! pointed at it, the requests the cases make, and what a case reads back in the port's words.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use phone_verify_domain::{
    CheckCodeRequest, CheckResult, CodeScope, ErrorClass, GatewayError, OtpCode, PhoneNumber,
    ProviderRules, ReferenceId, RejectionKind, SendCodeRequest, SendReceipt, TrustValidationId,
    VerificationGateway,
};

use super::{ContractTarget, Credentials, GatewaySetup, Retries, SimulatedProvider};
use crate::{Fault, FaultScope, SimClock, SimConfig, Simulator};

/// The number every case sends to.
pub(crate) const PHONE: &str = "+60182258491";
/// Every form of [`PHONE`] a text could hold: E.164, its digits, its national number.
pub(crate) const PHONE_FORMS: [&str; 3] = ["+60182258491", "60182258491", "182258491"];
/// The trust validation of every case's sends and checks.
const TRUST_VALIDATION: &str = "tv-contract";
/// The trust flow of every case's sends and checks.
/// The timeout of one attempt: long enough for a loaded machine, shorter than a `Delay`.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the simulator delays an answer for the `Delay` fault: past [`REQUEST_TIMEOUT`].
pub(crate) const PAST_THE_TIMEOUT: Duration = Duration::from_secs(5);
/// IDMeta's code lifetime as the simulator plays it (the reference's assumed five minutes).
const IDMETA_CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// Twilio's verification lifetime as the simulator plays it (the reference's ten minutes).
const TWILIO_VERIFICATION_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// IDMeta's resend cooldown as the simulator plays it; Twilio has none.
pub(crate) const IDMETA_RESEND_COOLDOWN: Duration = Duration::from_secs(30);

/// One case's simulator and the gateway under test, built as the adapter ships (its default
/// retry policy) with credentials the simulator accepts.
pub(crate) struct Harness<'t> {
    pub(crate) target: &'t dyn ContractTarget,
    pub(crate) sim: Simulator,
    pub(crate) gateway: Box<dyn VerificationGateway>,
}

impl<'t> Harness<'t> {
    /// A simulator of its own, on a manual clock at a whole second (so that every provider's
    /// timestamps read back exactly), with the providers' documented or assumed limits.
    pub(crate) async fn start(target: &'t dyn ContractTarget) -> Self {
        let start = Utc
            .with_ymd_and_hms(2026, 5, 14, 10, 0, 0)
            .single()
            .expect("a valid time");
        let config = SimConfig::default()
            .clock(SimClock::manual(start))
            .idmeta_code_lifetime(IDMETA_CODE_LIFETIME)
            .idmeta_resend_cooldown(IDMETA_RESEND_COOLDOWN)
            .twilio_verification_lifetime(TWILIO_VERIFICATION_LIFETIME);
        let sim = crate::start(config).await.expect("the simulator starts");
        let gateway = gateway(
            target,
            &sim,
            sim.base_url(),
            Credentials::Accepted,
            Retries::AsShipped,
        );
        Self {
            target,
            sim,
            gateway,
        }
    }

    /// Another gateway of the adapter, on this simulator.
    pub(crate) fn gateway_with(
        &self,
        credentials: Credentials,
        retries: Retries,
    ) -> Box<dyn VerificationGateway> {
        gateway(
            self.target,
            &self.sim,
            self.sim.base_url(),
            credentials,
            retries,
        )
    }

    /// A gateway of the adapter that sends to `base_url` instead of the simulator.
    pub(crate) fn gateway_at(&self, base_url: String) -> Box<dyn VerificationGateway> {
        gateway(
            self.target,
            &self.sim,
            base_url,
            Credentials::Accepted,
            Retries::AsShipped,
        )
    }

    /// The rules the gateway declares.
    pub(crate) fn rules(&self) -> ProviderRules {
        self.gateway.rules()
    }

    /// A send of a code to [`PHONE`] that must succeed.
    pub(crate) async fn send(&self) -> SendReceipt {
        self.gateway
            .send_code(&send_request())
            .await
            .unwrap_or_else(|error| panic!("the send succeeds: {error:?}"))
    }

    /// A check that must be answered (`Ok`, whatever the verdict): its answer. `what` names
    /// the check in the failure.
    pub(crate) async fn answer(&self, check: &CheckCodeRequest, what: &str) -> CheckResult {
        self.gateway
            .check_code(check)
            .await
            .unwrap_or_else(|error| panic!("{what}: an answer, not {error:?}"))
    }

    /// A send of a code to [`PHONE`] under `fault` (armed for the next request), which must
    /// fail: its error.
    pub(crate) async fn send_under(&self, fault: &Fault) -> GatewayError {
        self.sim.inject(fault.clone(), FaultScope::Next(1));
        self.gateway
            .send_code(&send_request())
            .await
            .expect_err("the fault makes the send fail")
    }

    /// The code delivered last to [`PHONE`].
    pub(crate) fn code(&self) -> String {
        self.sim.last_code_for(PHONE).expect("a code was delivered")
    }

    /// What the simulator saw of this provider so far.
    pub(crate) fn seen(&self) -> Seen {
        let counters = self.sim.counters();
        let provider = self.target.provider();
        Seen {
            sends: provider.send_requests(&counters),
            checks: provider.check_requests(&counters),
            codes: provider.codes_delivered(&counters),
            requests: counters.requests_total,
        }
    }

    /// Stops the simulator and waits until it is gone.
    pub(crate) async fn finish(self) {
        self.sim.shutdown().await;
    }
}

fn gateway(
    target: &dyn ContractTarget,
    sim: &Simulator,
    base_url: String,
    credentials: Credentials,
    retries: Retries,
) -> Box<dyn VerificationGateway> {
    target.gateway(&GatewaySetup {
        sim,
        base_url,
        credentials,
        retries,
        request_timeout: REQUEST_TIMEOUT,
    })
}

/// What the simulator saw: requests to the provider's send and check routes, codes it
/// delivered, and requests of any kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) sends: u64,
    pub(crate) checks: u64,
    pub(crate) codes: u64,
    pub(crate) requests: u64,
}

/// What an error says, in the port's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Said {
    pub(crate) class: ErrorClass,
    pub(crate) may_have_been_sent: bool,
    pub(crate) retryable: bool,
    pub(crate) retry_after: Option<Duration>,
}

impl Said {
    pub(crate) fn of(error: &GatewayError) -> Self {
        Self {
            class: error.class(),
            may_have_been_sent: error.may_have_been_sent(),
            retryable: error.is_retryable(),
            retry_after: error.retry_after(),
        }
    }
}

/// A send of a code to [`PHONE`].
pub(crate) fn send_request() -> SendCodeRequest {
    SendCodeRequest::new(
        phone(),
        TrustValidationId::parse(TRUST_VALIDATION).expect("a valid id"),
    )
}

/// A check of `code` naming the send by its reference, the number, or both (and always the
/// trust validation).
pub(crate) fn check_naming(
    code: &str,
    reference: Option<&ReferenceId>,
    number: bool,
) -> CheckCodeRequest {
    CheckCodeRequest {
        code: OtpCode::parse(code).expect("a valid code"),
        trust_validation: TrustValidationId::parse(TRUST_VALIDATION).expect("a valid id"),
        reference: reference.cloned(),
        phone: number.then(phone),
    }
}

/// A check of `code` naming the send it checks: its reference and the number.
pub(crate) fn check_of(code: &str, receipt: &SendReceipt) -> CheckCodeRequest {
    check_naming(code, Some(&receipt.reference), true)
}

/// A check of `code` that names no send, as the rules say such a check must be addressed: by
/// the number where the provider keeps one code per number, else by the trust validation only.
pub(crate) fn unnamed_check(code: &str, rules: &ProviderRules) -> CheckCodeRequest {
    check_naming(code, None, rules.code_scope == CodeScope::Number)
}

/// A code of the same length as `code` that is not `code`.
pub(crate) fn wrong(code: &str) -> String {
    code.chars()
        .map(|digit| {
            digit
                .to_digit(10)
                .and_then(|digit| char::from_digit((digit + 1) % 10, 10))
                .unwrap_or('0')
        })
        .collect()
}

/// The lifetime of a code as the simulator plays `provider`.
pub(crate) fn simulated_lifetime(provider: SimulatedProvider) -> Duration {
    match provider {
        SimulatedProvider::Idmeta => IDMETA_CODE_LIFETIME,
        SimulatedProvider::Twilio => TWILIO_VERIFICATION_LIFETIME,
    }
}

/// Whether `error` is the port's "no pending code": the provider holds no code to check.
pub(crate) fn is_no_pending_code(error: &GatewayError) -> bool {
    matches!(
        error,
        GatewayError::Rejected {
            kind: RejectionKind::NotFound,
            ..
        }
    ) && !error.may_have_been_sent()
}

fn phone() -> PhoneNumber {
    PhoneNumber::parse(PHONE).expect("a valid number")
}
