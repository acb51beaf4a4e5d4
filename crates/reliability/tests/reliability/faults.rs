//! Every fault the simulator can inject, through the use cases, the real adapter and the
//! SQLite store, for a send and for a check: the error the caller gets, whether it says the
//! code may have been sent, how many requests reached the simulator (one: a send or a check
//! whose outcome is unknown is never repeated), and the exact record left in the store. And
//! the one failure the simulator cannot inject, a provider nothing answers for.

use std::sync::Arc;
use std::time::Duration;

use phone_verify::idmeta::RetryPolicy;
use phone_verify_app::{
    AttemptRecord, CheckCodeError, CheckOutcome, CheckState, ErrorClass, RefusalReason,
    SendCodeError, SendOutcome, SendState,
};
use phone_verify_domain::{GatewayError, OtpCode};
use phone_verify_reliability::fixture::{mobile_number, send_request, trust_validation};
use phone_verify_reliability::{Stack, StackConfig, gateway};
use phone_verify_sim::{Fault, FaultScope, SimConfig};

/// What one fault must lead to.
pub(crate) struct Case {
    pub(crate) fault: Fault,
    /// The inner gateway error, as [`shape`] writes it.
    error: &'static str,
    pub(crate) may_have_been_sent: bool,
    /// Whether the simulator delivered the code of a faulted send; `None` where either is
    /// right (an answer delayed past the timeout may be processed after the client gave up).
    pub(crate) delivered: Option<bool>,
    /// The send's record.
    pub(crate) send: SendOutcome,
    /// The check's record.
    check: CheckOutcome,
}

fn unknown(class: ErrorClass) -> (SendOutcome, CheckOutcome) {
    (
        SendOutcome::OutcomeUnknown { class: Some(class) },
        CheckOutcome::OutcomeUnknown { class: Some(class) },
    )
}

fn case(
    fault: Fault,
    error: &'static str,
    may_have_been_sent: bool,
    delivered: Option<bool>,
    (send, check): (SendOutcome, CheckOutcome),
) -> Case {
    Case {
        fault,
        error,
        may_have_been_sent,
        delivered,
        send,
        check,
    }
}

fn server_error(status: u16, html: bool) -> Fault {
    Fault::ServerError { status, html }
}

/// Every fault, with what it must lead to.
pub(crate) fn cases() -> Vec<Case> {
    let none = Some(false);
    let fault_5xx = || unknown(ErrorClass::ProviderFault);
    let unreadable = || unknown(ErrorClass::InvalidResponse);
    let lost = || unknown(ErrorClass::OutcomeUnknown);
    let turned_away = || {
        (
            SendOutcome::NotSent {
                class: ErrorClass::Unavailable,
            },
            CheckOutcome::NotChecked {
                class: ErrorClass::Unavailable,
            },
        )
    };
    let rate_limited = |retry_after| {
        (
            SendOutcome::RateLimited { retry_after },
            CheckOutcome::NotChecked {
                class: ErrorClass::RateLimited,
            },
        )
    };
    let refused = (
        SendOutcome::Refused {
            reason: RefusalReason::Unsuccessful,
        },
        CheckOutcome::NotChecked {
            class: ErrorClass::Rejected,
        },
    );
    vec![
        case(
            Fault::Delay(Duration::from_secs(2)),
            "outcome_unknown",
            true,
            None,
            lost(),
        ),
        case(
            server_error(500, false),
            "provider_fault 500 None",
            true,
            none,
            fault_5xx(),
        ),
        case(
            server_error(500, true),
            "provider_fault 500 None",
            true,
            none,
            fault_5xx(),
        ),
        case(
            server_error(502, false),
            "provider_fault 502 None",
            true,
            none,
            fault_5xx(),
        ),
        case(
            server_error(502, true),
            "provider_fault 502 None",
            true,
            none,
            fault_5xx(),
        ),
        // IDMeta's own JSON 503 proves the request unprocessed; a proxy's page does not.
        case(
            server_error(503, false),
            "unavailable 503 None",
            false,
            none,
            turned_away(),
        ),
        case(
            server_error(503, true),
            "provider_fault 503 None",
            true,
            none,
            fault_5xx(),
        ),
        case(
            Fault::RateLimited {
                retry_after_secs: Some(7),
            },
            "rate_limited Some(7s)",
            false,
            none,
            rate_limited(Some(Duration::from_secs(7))),
        ),
        case(
            Fault::RateLimited {
                retry_after_secs: None,
            },
            "rate_limited None",
            false,
            none,
            rate_limited(None),
        ),
        case(
            Fault::SuccessFalse,
            "rejected Unsuccessful 200",
            false,
            none,
            refused,
        ),
        case(
            Fault::MalformedJson,
            "invalid_response 200",
            true,
            none,
            unreadable(),
        ),
        case(
            Fault::TruncatedJson,
            "invalid_response 200",
            true,
            none,
            unreadable(),
        ),
        case(
            Fault::Oversized { bytes: 1024 * 1024 },
            "invalid_response 200",
            true,
            none,
            unreadable(),
        ),
        case(Fault::Trickle, "outcome_unknown", true, none, lost()),
        case(
            Fault::CloseBeforeRead,
            "outcome_unknown",
            true,
            none,
            lost(),
        ),
        case(Fault::CloseAfterRead, "outcome_unknown", true, none, lost()),
        // The code went out, and the client cannot know: the case "outcome unknown" is for.
        case(
            Fault::CloseAfterProcessing,
            "outcome_unknown",
            true,
            Some(true),
            lost(),
        ),
        // The code went out, then a 5xx came back: a proxy's page or IDMeta's own error.
        case(
            processed_then(503, true, None),
            "provider_fault 503 None",
            true,
            Some(true),
            fault_5xx(),
        ),
        case(
            processed_then(500, false, Some(7)),
            "provider_fault 500 Some(7s)",
            true,
            Some(true),
            fault_5xx(),
        ),
        case(
            processed_then(502, true, None),
            "provider_fault 502 None",
            true,
            Some(true),
            fault_5xx(),
        ),
        // IDMeta's own JSON 503 is taken at its word, "not processed", even when it lies:
        // the one answer the library cannot see through (`docs/reliability.md`, promise 1).
        case(
            processed_then(503, false, None),
            "unavailable 503 None",
            false,
            Some(true),
            turned_away(),
        ),
    ]
}

/// [`Fault::ProcessThenFail`]: the request is processed, then answered `status`.
pub(crate) fn processed_then(status: u16, html: bool, retry_after_secs: Option<u64>) -> Fault {
    Fault::ProcessThenFail {
        status,
        html,
        retry_after_secs,
    }
}

/// The gateway error's variant and the fields that matter to the caller.
pub(crate) fn shape(error: &GatewayError) -> String {
    match error {
        GatewayError::ProviderFault {
            status,
            retry_after,
        } => format!("provider_fault {status} {retry_after:?}"),
        GatewayError::Unavailable {
            status,
            retry_after,
        } => format!("unavailable {status} {retry_after:?}"),
        GatewayError::RateLimited { retry_after, .. } => format!("rate_limited {retry_after:?}"),
        GatewayError::Rejected { kind, status, .. } => format!("rejected {kind:?} {status}"),
        GatewayError::InvalidResponse { status, .. } => format!("invalid_response {status}"),
        other => other.class().as_str().to_owned(),
    }
}

async fn stack() -> Stack {
    Stack::start(StackConfig {
        // A trickle keeps bytes coming well inside the timeout: only the total time stops it.
        sim: SimConfig::default().trickle_interval(Duration::from_millis(10)),
        request_timeout: Duration::from_millis(300),
        ..StackConfig::default()
    })
    .await
    .expect("the stack starts")
}

#[tokio::test]
async fn every_fault_on_a_send_gives_a_typed_error_one_request_and_its_exact_record() {
    let mut failures = Failures::default();
    for (index, case) in (0_u32..).zip(cases()) {
        let stack = stack().await;
        let phone = mobile_number(index);
        let request = send_request(phone.clone(), trust_validation("send-fault", index));
        stack.sim.inject(case.fault.clone(), FaultScope::Next(1));

        let error = stack
            .verification
            .send_code(&request)
            .await
            .expect_err("the fault fails it");
        let SendCodeError::Gateway(gateway) = &error else {
            panic!("{:?}: a provider failure, recorded: {error:?}", case.fault);
        };
        let counters = stack.sim.counters();
        let records = stack.sends_to(&phone).await.expect("the store reads");
        let [record] = records.as_slice() else {
            panic!("{:?}: exactly one record: {records:?}", case.fault);
        };
        let delivered = !stack.sim.inbox_for(phone.e164()).is_empty();

        let got = (
            shape(gateway),
            error.may_have_been_sent(),
            counters.idmeta_send_requests,
            case.delivered.map(|_| delivered),
            &record.state,
        );
        let expected = (
            case.error.to_owned(),
            case.may_have_been_sent,
            1,
            case.delivered,
            &finished_send(&record.state, case.send.clone()),
        );
        failures.compare(&case.fault, got, expected);
    }
    failures.assert_none();
}

#[tokio::test]
async fn every_fault_on_a_check_gives_a_typed_error_one_request_and_its_exact_record() {
    let mut failures = Failures::default();
    for (index, case) in (0_u32..).zip(cases()) {
        let stack = stack().await;
        let phone = mobile_number(index);
        let tv = trust_validation("check-fault", index);
        let sent = stack
            .verification
            .send_code(&send_request(phone.clone(), tv.clone()))
            .await
            .expect("the send, unfaulted, succeeds");
        let code = stack.sim.last_code_for(phone.e164()).expect("delivered");
        stack.sim.inject(case.fault.clone(), FaultScope::Next(1));

        let error = stack
            .verification
            .check_code(
                tv.clone(),
                OtpCode::parse(&code).expect("a valid code"),
                None,
            )
            .await
            .expect_err("the fault fails it");
        let CheckCodeError::Gateway(gateway) = &error else {
            panic!("{:?}: a provider failure, recorded: {error:?}", case.fault);
        };
        let counters = stack.sim.counters();
        let attempts = stack.attempts_of(&tv).await.expect("the store reads");
        let [AttemptRecord::Check(check), AttemptRecord::Send(send)] = attempts.as_slice() else {
            panic!("{:?}: the check, then the send: {attempts:?}", case.fault);
        };

        let got = (
            shape(gateway),
            gateway.may_have_been_sent(),
            (
                counters.idmeta_send_requests,
                counters.idmeta_verify_requests,
            ),
            stack.sim.inbox().len(),
            send.reference(),
            check.send,
            &check.state,
        );
        let expected = (
            case.error.to_owned(),
            case.may_have_been_sent,
            (1, 1),
            1,
            Some(&sent.receipt.reference),
            sent.attempt,
            &finished_check(&check.state, case.check.clone()),
        );
        failures.compare(&case.fault, got, expected);
    }
    failures.assert_none();
}

/// The cases that went wrong, all reported at once so one run shows the whole matrix.
#[derive(Default)]
pub(crate) struct Failures(Vec<String>);

impl Failures {
    /// Notes a failure of the case named by `label` (its fault, or more) when `got` is not
    /// `expected`.
    pub(crate) fn compare<T: PartialEq + std::fmt::Debug>(
        &mut self,
        label: &impl std::fmt::Debug,
        got: T,
        expected: T,
    ) {
        if got != expected {
            self.0.push(format!(
                "{label:?}:\n  got      {got:?}\n  expected {expected:?}"
            ));
        }
    }

    pub(crate) fn assert_none(self) {
        assert!(self.0.is_empty(), "{}", self.0.join("\n"));
    }
}

/// The finished state with `outcome`, at the time the store recorded (which the test does
/// not control); an in-flight record stays in flight, and fails the comparison.
fn finished_send(state: &SendState, outcome: SendOutcome) -> SendState {
    match state {
        SendState::Finished { at, .. } => SendState::Finished { at: *at, outcome },
        SendState::InFlight => SendState::Finished {
            at: chrono::DateTime::UNIX_EPOCH,
            outcome,
        },
    }
}

/// As [`finished_send`], for a check.
fn finished_check(state: &CheckState, outcome: CheckOutcome) -> CheckState {
    match state {
        CheckState::Finished { at, .. } => CheckState::Finished { at: *at, outcome },
        CheckState::InFlight => CheckState::Finished {
            at: chrono::DateTime::UNIX_EPOCH,
            outcome,
        },
    }
}

#[tokio::test]
async fn a_provider_that_cannot_be_reached_is_recorded_as_not_sent_after_the_policys_retries() {
    // Bind a port, then free it: nothing listens there.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port");
    let stack = Stack::start_with(StackConfig::default(), |_, _| {
        let retries =
            RetryPolicy::default().delays(Duration::from_millis(1), Duration::from_millis(2));
        Arc::new(
            gateway(
                &format!("http://{dead}"),
                Duration::from_millis(300),
                retries,
            )
            .expect("valid"),
        )
    })
    .await
    .expect("the stack starts");
    let phone = mobile_number(1);

    let error = stack
        .verification
        .send_code(&send_request(phone.clone(), trust_validation("dead", 1)))
        .await
        .expect_err("nothing answers");

    assert!(
        matches!(error, SendCodeError::Gateway(GatewayError::NotSent { .. })),
        "{error:?}"
    );
    assert!(!error.may_have_been_sent());
    let records = stack.sends_to(&phone).await.expect("the store reads");
    let [record] = records.as_slice() else {
        panic!("exactly one record, retries included: {records:?}");
    };
    assert_eq!(
        record.state,
        finished_send(
            &record.state,
            SendOutcome::NotSent {
                class: ErrorClass::NotSent
            }
        )
    );
}
