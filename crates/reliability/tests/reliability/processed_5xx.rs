//! A 5xx answered after the provider processed the request ([`Fault::ProcessThenFail`]): the
//! code went out, or the check counted, and a proxy's page or the provider's own error came
//! back. At either provider as the routed one, with the other wired to fail over to and the
//! opt-in `Retry-After` policy on both, through the use cases and the SQLite store: a send
//! says it may have sent, reads "outcome unknown", stays with its one request at its one
//! provider, keeps the number in its cooldown, and its delivered code still verifies (at
//! IDMeta; at Twilio it cannot be checked, a known gap); a check says it may have counted.
//! Until the simulator could process a request and then fail, every 5xx sent nothing by
//! construction, and tests of a 5xx could not see a code go out.
//!
//! And the one 5xx taken at its word, IDMeta's own JSON 503 (`docs/provider-api.md`, "503 by
//! evidence"): what believing it costs when IDMeta processed the request all the same. Those
//! tests are also the proof that the policy and the call's budget here would resend a
//! request they took for unprocessed.

use std::time::Duration;

use phone_verify::idmeta::RetryPolicy;
use phone_verify_app::{
    AttemptRecord, CheckCodeError, CheckOutcome, ErrorClass, SendCodeError, SendOutcome,
};
use phone_verify_domain::{CheckVerdict, OtpCode, PhoneNumber, ProviderName, TrustValidationId};
use phone_verify_reliability::fixture::{mobile_number, send_request, trust_validation};
use phone_verify_reliability::{Routing, Stack, StackConfig};
use phone_verify_sim::{Counters, Fault, FaultScope};

use crate::faults::{Failures, processed_then, shape};

/// The longest `Retry-After` the policy honours, and the one the faults carry when they
/// carry one.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The stack with `routing`, the `Retry-After` opt-in on both adapters.
async fn routed(routing: Routing) -> Stack {
    Stack::start(StackConfig {
        // The call's budget (twice the request timeout) has room for an honoured
        // `Retry-After` and a whole attempt after it: time alone never rules a retry out.
        request_timeout: Duration::from_secs(2),
        retry: RetryPolicy::default().retry_after_ceiling(RETRY_AFTER),
        routing,
        ..StackConfig::default()
    })
    .await
    .expect("the stack starts")
}

/// One faulted answer at the routed provider.
#[derive(Debug, Clone, Copy)]
struct Row {
    routing: Routing,
    status: u16,
    html: bool,
    retry_after_secs: Option<u64>,
}

impl Row {
    fn fault(self) -> Fault {
        processed_then(self.status, self.html, self.retry_after_secs)
    }

    /// The error every such answer must be, as [`shape`] writes it.
    fn provider_fault(self) -> String {
        let retry_after = self.retry_after_secs.map(Duration::from_secs);
        format!("provider_fault {} {retry_after:?}", self.status)
    }
}

/// 500, 502 and 503, as the provider's JSON error and as a proxy's HTML page, with each of
/// `retry_afters`, at `routing`'s routed provider: all but IDMeta's own JSON 503, which is
/// taken at its word (below).
fn rows(routing: Routing, retry_afters: &[Option<u64>]) -> Vec<Row> {
    let mut rows = Vec::new();
    for status in [500, 502, 503] {
        for html in [false, true] {
            let idmetas_own_503 =
                routing.routed() == ProviderName::idmeta() && status == 503 && !html;
            if idmetas_own_503 {
                continue;
            }
            rows.extend(retry_afters.iter().map(|&retry_after_secs| Row {
                routing,
                status,
                html,
                retry_after_secs,
            }));
        }
    }
    rows
}

/// Requests that reached one provider's routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Requests {
    sends: u64,
    checks: u64,
}

/// The requests that reached `provider`.
fn at(counters: &Counters, provider: &ProviderName) -> Requests {
    if *provider == ProviderName::twilio() {
        Requests {
            sends: counters.twilio_send_requests,
            checks: counters.twilio_check_requests,
        }
    } else {
        Requests {
            sends: counters.idmeta_send_requests,
            checks: counters.idmeta_verify_requests,
        }
    }
}

/// The requests that reached the routed provider, then the one failed over to.
fn requests(stack: &Stack, routing: Routing) -> (Requests, Requests) {
    let counters = stack.sim.counters();
    let failover = routing.failover().expect("a second provider");
    (at(&counters, &routing.routed()), at(&counters, &failover))
}

/// Each send recorded to `phone`, newest first: its provider and outcome.
async fn recorded_sends(stack: &Stack, phone: &PhoneNumber) -> Vec<(ProviderName, SendOutcome)> {
    let sends = stack.sends_to(phone).await.expect("the store reads");
    sends
        .into_iter()
        .map(|send| (send.provider.clone(), send.outcome()))
        .collect()
}

/// What the number's last delivered code gets from `CheckCode`: its verdict, or the error.
async fn check_last_code(stack: &Stack, phone: &PhoneNumber, tv: &TrustValidationId) -> String {
    let Some(code) = stack.sim.last_code_for(phone.e164()) else {
        return "no code delivered".to_owned();
    };
    let code = OtpCode::parse(&code).expect("a valid code");
    match stack.verification.check_code(tv.clone(), code, None).await {
        Ok(checked) => format!("{:?}", checked.verdict()),
        Err(CheckCodeError::NoPendingCode { .. }) => "no pending code".to_owned(),
        Err(CheckCodeError::Refused(refusal)) => format!("refused: {}", refusal.as_str()),
        Err(error) => format!("failed: {error:?}"),
    }
}

/// What a second send right after the first gets: refused (by which guard), or sent.
async fn resend(stack: &Stack, phone: &PhoneNumber, tv: &TrustValidationId) -> String {
    match stack
        .verification
        .send_code(&send_request(phone.clone(), tv.clone()))
        .await
    {
        Ok(sent) => format!("sent by {}", sent.provider),
        Err(SendCodeError::Refused(refusal)) => format!("refused: {}", refusal.as_str()),
        Err(error) => format!("failed: {error:?}"),
    }
}

/// What a faulted send, and a second send right after it, left.
#[derive(Debug, PartialEq, Eq)]
struct AfterSend {
    /// The error, as [`shape`] writes it, and whether it says a code may have gone out.
    error: (String, bool),
    /// What a second send for the same number and trust validation, right after, got.
    resend: String,
    /// The codes the number received.
    delivered: usize,
    /// Send requests at the routed provider and at the one failed over to.
    send_requests: (u64, u64),
    /// The sends recorded, newest first.
    records: Vec<(ProviderName, SendOutcome)>,
}

/// Sends with `row`'s fault armed: the send's error, as [`shape`] writes it, and whether it
/// says a code may have gone out (or who sent, should the send succeed).
async fn send_faulted(
    stack: &Stack,
    row: Row,
    phone: &PhoneNumber,
    tv: &TrustValidationId,
) -> (String, bool) {
    stack.sim.inject(row.fault(), FaultScope::Next(1));
    match stack
        .verification
        .send_code(&send_request(phone.clone(), tv.clone()))
        .await
    {
        Ok(sent) => (format!("sent by {}", sent.provider), true),
        Err(SendCodeError::Gateway(gateway)) => (shape(&gateway), gateway.may_have_been_sent()),
        Err(error) => (format!("failed: {error:?}"), error.may_have_been_sent()),
    }
}

#[tokio::test]
async fn a_5xx_after_the_code_went_out_is_outcome_unknown_sent_once_never_failed_over_and_cools_down()
 {
    let mut failures = Failures::default();
    let retry_afters = [None, Some(RETRY_AFTER.as_secs())];
    let rows = [Routing::IdmetaThenTwilio, Routing::TwilioThenIdmeta]
        .into_iter()
        .flat_map(|routing| rows(routing, &retry_afters));
    for (index, row) in (0_u32..).zip(rows) {
        let stack = routed(row.routing).await;
        let phone = mobile_number(index);
        let tv = trust_validation("processed-send", index);

        let error = send_faulted(&stack, row, &phone, &tv).await;
        let resend = resend(&stack, &phone, &tv).await;

        let (routed, failover) = requests(&stack, row.routing);
        let got = AfterSend {
            error,
            resend,
            delivered: stack.sim.inbox_for(phone.e164()).len(),
            send_requests: (routed.sends, failover.sends),
            records: recorded_sends(&stack, &phone).await,
        };
        let expected = AfterSend {
            error: (row.provider_fault(), true),
            resend: "refused: cooling_down".to_owned(),
            delivered: 1,
            send_requests: (1, 0),
            records: vec![(
                row.routing.routed(),
                SendOutcome::OutcomeUnknown {
                    class: Some(ErrorClass::ProviderFault),
                },
            )],
        };
        failures.compare(&(row, row.fault()), got, expected);
    }
    failures.assert_none();
}

/// For each of `routing`'s rows, sends with its fault armed, then checks the code the
/// number received: what the check got, and the check requests at the routed provider and
/// at the one failed over to.
async fn check_after_faulted_send(routing: Routing) {
    let mut failures = Failures::default();
    for (index, row) in (0_u32..).zip(rows(routing, &[None])) {
        let stack = routed(row.routing).await;
        let phone = mobile_number(index);
        let tv = trust_validation("processed-send-check", index);
        send_faulted(&stack, row, &phone, &tv).await;

        let check = check_last_code(&stack, &phone, &tv).await;

        let (routed, failover) = requests(&stack, row.routing);
        let got = (check, (routed.checks, failover.checks));
        let expected = (format!("{:?}", CheckVerdict::Verified), (1, 0));
        failures.compare(&(row, row.fault()), got, expected);
    }
    failures.assert_none();
}

#[tokio::test]
async fn the_code_idmeta_delivered_before_answering_a_5xx_still_verifies() {
    check_after_faulted_send(Routing::IdmetaThenTwilio).await;
}

// A send of unknown outcome has no reference: Twilio keeps one pending verification per
// number, so its check names the send's number (`docs/architecture.md`, "Each provider's
// rules in the current send").
#[tokio::test]
async fn the_code_twilio_delivered_before_answering_a_5xx_still_verifies() {
    check_after_faulted_send(Routing::TwilioThenIdmeta).await;
}

/// What a faulted check and a second check of the same code left.
#[derive(Debug, PartialEq, Eq)]
struct AfterCheck {
    /// The error, as [`shape`] writes it, and whether it says the attempt may have counted.
    error: (String, bool),
    /// The check's record.
    record: CheckOutcome,
    /// What checking the same code again got: the provider's word that the first check
    /// used it up.
    again: String,
    /// Requests at the routed provider and at the one failed over to.
    requests: (Requests, Requests),
}

/// Sends a code unfaulted, then checks it with `fault` armed: the error, then the check's
/// record, then what checking the same code again got.
async fn check_faulted(
    stack: &Stack,
    fault: Fault,
    phone: &PhoneNumber,
    tv: &TrustValidationId,
) -> (CheckCodeError, CheckOutcome, String) {
    stack
        .verification
        .send_code(&send_request(phone.clone(), tv.clone()))
        .await
        .expect("the send, unfaulted, succeeds");
    let code = stack.sim.last_code_for(phone.e164()).expect("delivered");
    stack.sim.inject(fault, FaultScope::Next(1));
    let error = stack
        .verification
        .check_code(
            tv.clone(),
            OtpCode::parse(&code).expect("a valid code"),
            None,
        )
        .await
        .expect_err("the fault fails it");
    let attempts = stack.attempts_of(tv).await.expect("the store reads");
    let Some(AttemptRecord::Check(check)) = attempts.first() else {
        panic!("the check, newest: {attempts:?}");
    };
    let record = check.outcome();
    let again = check_last_code(stack, phone, tv).await;
    (error, record, again)
}

#[tokio::test]
async fn a_5xx_after_the_provider_approved_a_check_says_it_may_have_counted_and_is_outcome_unknown()
{
    let mut failures = Failures::default();
    let rows = [Routing::IdmetaThenTwilio, Routing::TwilioThenIdmeta]
        .into_iter()
        .flat_map(|routing| rows(routing, &[None]));
    for (index, row) in (0_u32..).zip(rows) {
        let stack = routed(row.routing).await;
        let phone = mobile_number(index);
        let tv = trust_validation("processed-check", index);

        let (error, record, again) = check_faulted(&stack, row.fault(), &phone, &tv).await;
        let CheckCodeError::Gateway(gateway) = &error else {
            panic!("{row:?}: a provider failure, recorded: {error:?}");
        };

        let got = AfterCheck {
            error: (shape(gateway), error.may_have_been_sent()),
            record,
            again,
            requests: requests(&stack, row.routing),
        };
        let expected = AfterCheck {
            error: (row.provider_fault(), true),
            record: CheckOutcome::OutcomeUnknown {
                class: Some(ErrorClass::ProviderFault),
            },
            again: "no pending code".to_owned(),
            requests: (
                Requests {
                    sends: 1,
                    checks: 2,
                },
                Requests {
                    sends: 0,
                    checks: 0,
                },
            ),
        };
        failures.compare(&(row, row.fault()), got, expected);
    }
    failures.assert_none();
}

#[tokio::test]
async fn idmetas_own_json_503_is_taken_at_its_word_so_a_send_it_processed_fails_over_and_the_number_gets_two_codes()
 {
    let stack = routed(Routing::IdmetaThenTwilio).await;
    let phone = mobile_number(0);
    let tv = trust_validation("idmeta-own-503", 0);
    stack
        .sim
        .inject(processed_then(503, false, None), FaultScope::Next(1));

    let sent = stack
        .verification
        .send_code(&send_request(phone.clone(), tv.clone()))
        .await
        .expect("Twilio sends");

    assert_eq!(sent.provider, ProviderName::twilio());
    assert_eq!(
        recorded_sends(&stack, &phone).await,
        [
            (
                ProviderName::twilio(),
                SendOutcome::Sent {
                    reference: sent.receipt.reference.clone(),
                    submitted_at: Some(sent.receipt.submitted_at),
                }
            ),
            (
                ProviderName::idmeta(),
                SendOutcome::NotSent {
                    class: ErrorClass::Unavailable
                }
            ),
        ]
    );
    let senders: Vec<u64> = [ProviderName::idmeta(), ProviderName::twilio()]
        .iter()
        .map(|provider| at(&stack.sim.counters(), provider).sends)
        .collect();
    assert_eq!(senders, [1, 1]);
    assert_eq!(
        stack.sim.inbox_for(phone.e164()).len(),
        2,
        "IDMeta's code, then Twilio's"
    );
    assert_eq!(
        check_last_code(&stack, &phone, &tv).await,
        "Verified",
        "Twilio's code, the send recorded"
    );
}

#[tokio::test]
async fn idmetas_own_json_503_is_taken_at_its_word_so_a_send_it_processed_is_sent_again_under_the_opt_in()
 {
    let stack = routed(Routing::IdmetaThenTwilio).await;
    let phone = mobile_number(0);
    let tv = trust_validation("idmeta-own-503-retry", 0);
    stack.sim.inject(
        processed_then(503, false, Some(RETRY_AFTER.as_secs())),
        FaultScope::Next(1),
    );

    let error = stack
        .verification
        .send_code(&send_request(phone.clone(), tv.clone()))
        .await
        .expect_err("the second request is refused");

    // The policy waited and sent the request again; IDMeta, which had sent the first code,
    // refused the second by its own resend limit. The number has one code, and the record
    // says none went out.
    let SendCodeError::Gateway(gateway) = &error else {
        panic!("a provider failure, recorded: {error:?}");
    };
    assert_eq!(gateway.class(), ErrorClass::RateLimited, "{gateway:?}");
    assert!(!error.may_have_been_sent());
    assert_eq!(at(&stack.sim.counters(), &ProviderName::idmeta()).sends, 2);
    assert_eq!(at(&stack.sim.counters(), &ProviderName::twilio()).sends, 0);
    assert_eq!(stack.sim.inbox_for(phone.e164()).len(), 1);
    let records = recorded_sends(&stack, &phone).await;
    let [(_, SendOutcome::RateLimited { .. })] = records.as_slice() else {
        panic!("one record, rate limited: {records:?}");
    };
    assert_eq!(
        check_last_code(&stack, &phone, &tv).await,
        "refused: no_code_sent",
        "the code the number holds cannot be checked"
    );
}

#[tokio::test]
async fn idmetas_own_json_503_after_it_approved_a_check_reads_not_checked() {
    let stack = routed(Routing::IdmetaThenTwilio).await;
    let phone = mobile_number(0);
    let tv = trust_validation("idmeta-own-503-check", 0);

    let (error, record, again) =
        check_faulted(&stack, processed_then(503, false, None), &phone, &tv).await;

    let CheckCodeError::Gateway(gateway) = &error else {
        panic!("a provider failure, recorded: {error:?}");
    };
    assert_eq!(
        (shape(gateway), error.may_have_been_sent()),
        ("unavailable 503 None".to_owned(), false)
    );
    assert_eq!(
        record,
        CheckOutcome::NotChecked {
            class: ErrorClass::Unavailable
        }
    );
    assert_eq!(again, "no pending code", "IDMeta had approved it");
}
