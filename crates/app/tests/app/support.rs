//! Fixtures and a harness wiring the use cases over fakes.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use phone_verify_app::{
    AttemptRecord, CheckCode, CheckOutcome, CheckPolicy, FailingStore, HistorySubject,
    InMemoryVerificationStore, ManualClock, NumberKeyring, PageRequest, Providers, SendCode,
    SendPolicy, SendRecord, SequentialIds, StoreOperation, VerificationHistory, VerificationStore,
    Wiring,
};
use phone_verify_domain::{
    CheckResult, CodeState, DeliveryState, DeliveryStatus, GatewayError, MockVerificationGateway,
    OtpCode, PhoneNumber, ProviderName, ReferenceId, SendCodeRequest, SendReceipt,
    TrustValidationId, VerificationStatus,
};

pub(crate) const FULL_NUMBER: &str = "+60182258491";
pub(crate) const NATIONAL_NUMBER: &str = "182258491";
pub(crate) const REFERENCE: &str = "0123456789ABCDEF0123456789ABCDEF";
pub(crate) const CODE: &str = "918273";

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 0)
        .single()
        .expect("a valid instant")
}

pub(crate) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub(crate) fn phone() -> PhoneNumber {
    PhoneNumber::parse(FULL_NUMBER).expect("a valid number")
}

pub(crate) fn tv() -> TrustValidationId {
    TrustValidationId::parse("tv-1").expect("a valid id")
}

pub(crate) fn code() -> OtpCode {
    OtpCode::parse(CODE).expect("a valid code")
}

/// A keyring of one key, `k1`, for stores that keep numbers protected.
pub(crate) fn keyring() -> NumberKeyring {
    NumberKeyring::parse(&format!("k1:{}", "5a".repeat(32))).expect("a keyring")
}

pub(crate) fn reference(n: u8) -> ReferenceId {
    ReferenceId::parse(&format!("0123456789ABCDEF0123456789ABCD{n:02}")).expect("a valid ref")
}

pub(crate) fn request_to(phone: PhoneNumber, trust_validation: &str) -> SendCodeRequest {
    SendCodeRequest::new(
        phone,
        TrustValidationId::parse(trust_validation).expect("a valid id"),
    )
}

pub(crate) fn request() -> SendCodeRequest {
    request_to(phone(), "tv-1")
}

pub(crate) fn receipt(reference: ReferenceId) -> SendReceipt {
    SendReceipt::accepted(reference, t0()).with_delivery(DeliveryStatus {
        state: DeliveryState::InProgress,
        updated_on: Some(t0()),
    })
}

/// A check's answer about the send of `REFERENCE`.
fn about_the_send(result: CheckResult) -> CheckResult {
    result
        .with_reference(ReferenceId::parse(REFERENCE).expect("a valid ref"))
        .with_delivery(DeliveryStatus {
            state: DeliveryState::Delivered,
            updated_on: None,
        })
}

pub(crate) fn check_result(code_state: CodeState, status: VerificationStatus) -> CheckResult {
    about_the_send(CheckResult::new(code_state, status, t0()))
}

pub(crate) fn verified() -> CheckResult {
    about_the_send(CheckResult::verified(t0()))
}

pub(crate) fn wrong() -> CheckResult {
    about_the_send(CheckResult::wrong_code(t0()))
}

pub(crate) fn io_error() -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(std::io::Error::from(std::io::ErrorKind::TimedOut))
}

/// A gateway that accepts every send with reference `REFERENCE` and is never asked to check.
pub(crate) fn accepting_gateway(times: usize) -> MockVerificationGateway {
    let mut gateway = MockVerificationGateway::new();
    gateway
        .expect_send_code()
        .times(times)
        .returning(|_| Ok(receipt(ReferenceId::parse(REFERENCE).expect("a valid ref"))));
    gateway
}

/// A gateway whose one send fails with the error `class` names ([`gateway_error`]).
pub(crate) fn failing_gateway(class: &'static str) -> MockVerificationGateway {
    let mut gateway = MockVerificationGateway::new();
    // Once: the use case never retries, not even what would be safe to retry.
    gateway
        .expect_send_code()
        .times(1)
        .returning(move |_| Err(gateway_error(class)));
    gateway
}

/// The use cases wired over a gateway, a store, a manual clock at `t0()` and sequential ids.
pub(crate) struct Harness {
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) store: Arc<dyn VerificationStore>,
    pub(crate) send: SendCode,
    pub(crate) check: CheckCode,
    pub(crate) history: VerificationHistory,
}

impl Harness {
    pub(crate) fn new(gateway: MockVerificationGateway) -> Self {
        Self::with(
            gateway,
            Arc::new(InMemoryVerificationStore::new()),
            SendPolicy::default(),
        )
    }

    pub(crate) fn with(
        gateway: MockVerificationGateway,
        store: Arc<dyn VerificationStore>,
        policy: SendPolicy,
    ) -> Self {
        Self::over(
            Providers::new(ProviderName::idmeta(), Arc::new(gateway)),
            store,
            policy,
        )
    }

    /// The use cases over several providers, the in-memory store and the default policy.
    pub(crate) fn with_providers(providers: Providers) -> Self {
        Self::over(
            providers,
            Arc::new(InMemoryVerificationStore::new()),
            SendPolicy::default(),
        )
    }

    fn over(providers: Providers, store: Arc<dyn VerificationStore>, policy: SendPolicy) -> Self {
        let clock = Arc::new(ManualClock::new(t0()));
        let ports = Wiring::with_providers(providers, Arc::clone(&store))
            .clock(clock.clone())
            .ids(Arc::new(SequentialIds::default()));
        Self {
            clock,
            send: SendCode::new(ports.clone(), policy),
            check: CheckCode::new(ports, CheckPolicy::default()),
            history: VerificationHistory::new(Arc::clone(&store)),
            store,
        }
    }

    /// A harness whose one send (of [`request`]) the provider accepted but whose outcome
    /// could not be recorded: it stays in flight, as after a crash.
    pub(crate) async fn with_a_send_left_in_flight() -> Self {
        let store = Arc::new(FailingStore::failing(&[StoreOperation::FinishSend]));
        let harness = Self::with(accepting_gateway(1), store.clone(), SendPolicy::default());
        harness
            .send
            .send(&request())
            .await
            .expect_err("not recorded");
        store.recover();
        harness
    }

    /// Every attempt of the trust validation `tv-1`, newest first.
    pub(crate) async fn recorded(&self) -> Vec<AttemptRecord> {
        self.store
            .history(
                &HistorySubject::TrustValidation(tv()),
                PageRequest::first(100),
            )
            .await
            .expect("the store lists the history")
            .items
    }

    /// The outcome of the only recorded send.
    pub(crate) async fn only_send(&self) -> SendRecord {
        let recorded = self.recorded().await;
        let [AttemptRecord::Send(send)] = recorded.as_slice() else {
            panic!("exactly one send is recorded, got {recorded:?}");
        };
        send.clone()
    }

    /// The outcomes of the recorded checks, newest first.
    pub(crate) async fn check_outcomes(&self) -> Vec<CheckOutcome> {
        self.recorded()
            .await
            .into_iter()
            .filter_map(|record| match record {
                AttemptRecord::Check(check) => Some(check.outcome()),
                AttemptRecord::Send(_) => None,
            })
            .collect()
    }
}

/// Every gateway error, built fresh (they are not `Clone`).
pub(crate) fn gateway_error(class: &str) -> GatewayError {
    match class {
        "not_sent" => GatewayError::NotSent { source: io_error() },
        "rejected" => GatewayError::Rejected {
            kind: phone_verify_domain::RejectionKind::InvalidRequest,
            status: 422,
            message: Some(format!("The phone number {FULL_NUMBER} is invalid.")),
            field_errors: Default::default(),
        },
        "unauthorized" => GatewayError::Unauthorized,
        "rate_limited" => GatewayError::rate_limited(Some(secs(30))),
        "outcome_unknown" => GatewayError::OutcomeUnknown { source: io_error() },
        "provider_fault_500" => GatewayError::ProviderFault {
            status: 500,
            retry_after: None,
        },
        "provider_fault_503" => GatewayError::ProviderFault {
            status: 503,
            retry_after: Some(secs(5)),
        },
        "unavailable" => GatewayError::Unavailable {
            status: 503,
            retry_after: Some(secs(5)),
        },
        "invalid_response" => GatewayError::InvalidResponse {
            status: 200,
            reason: "missing field `data`".into(),
        },
        other => panic!("no gateway error named {other}"),
    }
}
