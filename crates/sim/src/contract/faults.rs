//! The fault matrix: every fault the simulator can inject, the rule the port follows under it,
//! and one case per rule on a send and on a check. Each row runs on a simulator of its own,
//! with the gateway as the adapter ships it, and must give the error class, the
//! `may_have_been_sent` and `is_retryable` its rule says, after exactly one request (nothing
//! that may have been processed is repeated), with the codes the simulator delivered.

use std::time::Duration;

use phone_verify_domain::{ErrorClass, GatewayError, RejectionKind};

use super::harness::{Harness, PAST_THE_TIMEOUT, Said, check_of};
use super::{ContractTarget, ServerAnswer};
use crate::{Fault, FaultScope};

/// What the port must give under a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// No answer came (timeout, cut connection): outcome unknown, may have been sent.
    NoAnswer,
    /// A 5xx: may have been sent, unless the provider documents that answer as unprocessed.
    ServerError,
    /// A 429: rate limited, not sent, with the wait the provider asked for.
    RateLimit,
    /// A 2xx that cannot be read: accepted, may have been sent.
    Unreadable2xx,
    /// A 2xx that says the provider refused: an unsuccessful rejection, not sent.
    RefusedIn2xx,
    /// An answer wrong in what it says, not in its shape: `wrong_answers.rs`.
    WrongAnswer,
}

/// The rule of each fault. The match has no wildcard: a fault the simulator gains does not
/// compile until the contract says what the port must give for it.
fn rule(fault: &Fault) -> Rule {
    match fault {
        Fault::Delay(_)
        | Fault::Trickle
        | Fault::CloseBeforeRead
        | Fault::CloseAfterRead
        | Fault::CloseAfterProcessing => Rule::NoAnswer,
        Fault::ServerError { .. } | Fault::ProcessThenFail { .. } => Rule::ServerError,
        Fault::RateLimited { .. } => Rule::RateLimit,
        Fault::MalformedJson | Fault::TruncatedJson | Fault::Oversized { .. } => {
            Rule::Unreadable2xx
        }
        Fault::SuccessFalse => Rule::RefusedIn2xx,
        Fault::ForeignAnswer | Fault::StatusEcho => Rule::WrongAnswer,
    }
}

/// Whether the simulator processes a request under a fault (a send delivers its code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Processing {
    Processed,
    NotProcessed,
    /// The simulator answers late; it may drop the request when the client hangs up, a real
    /// provider may finish it: either is accepted.
    EitherWay,
}

fn processing(fault: &Fault) -> Processing {
    match fault {
        Fault::CloseAfterProcessing
        | Fault::ProcessThenFail { .. }
        | Fault::ForeignAnswer
        | Fault::StatusEcho => Processing::Processed,
        Fault::Delay(_) => Processing::EitherWay,
        Fault::ServerError { .. }
        | Fault::RateLimited { .. }
        | Fault::SuccessFalse
        | Fault::MalformedJson
        | Fault::TruncatedJson
        | Fault::Oversized { .. }
        | Fault::Trickle
        | Fault::CloseBeforeRead
        | Fault::CloseAfterRead => Processing::NotProcessed,
    }
}

/// The matrix: every fault whose rule is about the shape of the answer, with each parameter
/// that changes what the port must say (every 5xx status, the provider's JSON and a proxy's
/// page, before and after processing, with and without `Retry-After`).
fn matrix() -> Vec<Fault> {
    let mut faults = vec![
        Fault::Delay(PAST_THE_TIMEOUT),
        Fault::Trickle,
        Fault::CloseBeforeRead,
        Fault::CloseAfterRead,
        Fault::CloseAfterProcessing,
        Fault::RateLimited {
            retry_after_secs: Some(7),
        },
        Fault::RateLimited {
            retry_after_secs: None,
        },
        Fault::MalformedJson,
        Fault::TruncatedJson,
        Fault::Oversized { bytes: 1024 * 1024 },
        Fault::SuccessFalse,
    ];
    for status in [500, 502, 503] {
        for html in [false, true] {
            faults.push(Fault::ServerError { status, html });
            faults.push(Fault::ProcessThenFail {
                status,
                html,
                retry_after_secs: (!html).then_some(5),
            });
        }
    }
    faults
}

/// What the port must say under `fault` at `target`'s provider.
fn expected(fault: &Fault, target: &dyn ContractTarget) -> Said {
    let said = |class, may_have_been_sent, retryable, retry_after| Said {
        class,
        may_have_been_sent,
        retryable,
        retry_after,
    };
    match (rule(fault), fault) {
        (Rule::NoAnswer, _) => said(ErrorClass::OutcomeUnknown, true, false, None),
        (Rule::ServerError, _) => {
            let answer = ServerAnswer::of(fault).expect("a 5xx");
            let retry_after = match fault {
                Fault::ProcessThenFail {
                    retry_after_secs, ..
                } => retry_after_secs.map(Duration::from_secs),
                _ => None,
            };
            if target.documented_unprocessed().contains(&answer) {
                said(ErrorClass::Unavailable, false, true, retry_after)
            } else {
                said(ErrorClass::ProviderFault, true, false, retry_after)
            }
        }
        (
            Rule::RateLimit,
            Fault::RateLimited {
                retry_after_secs, ..
            },
        ) => said(
            ErrorClass::RateLimited,
            false,
            true,
            retry_after_secs.map(Duration::from_secs),
        ),
        (Rule::Unreadable2xx, _) => said(ErrorClass::InvalidResponse, true, false, None),
        (Rule::RefusedIn2xx, _) => said(ErrorClass::Rejected, false, false, None),
        (rule, _) => panic!("{fault:?} ({rule:?}) is not in the matrix"),
    }
}

/// The faults of the matrix under `of`.
fn faults_under(of: Rule) -> Vec<Fault> {
    let faults: Vec<Fault> = matrix().into_iter().filter(|f| rule(f) == of).collect();
    assert!(!faults.is_empty(), "{of:?} has faults in the matrix");
    faults
}

/// The error under `fault` says what its rule says: its side effect, and the details.
fn assert_rule_holds(fault: &Fault, target: &dyn ContractTarget, error: &GatewayError) {
    assert_eq!(
        Said::of(error),
        expected(fault, target),
        "{fault:?}: {error:?}"
    );
    match rule(fault) {
        Rule::ServerError => {
            let answer = ServerAnswer::of(fault).expect("a 5xx");
            assert!(
                matches!(
                    error,
                    GatewayError::ProviderFault { status, .. }
                        | GatewayError::Unavailable { status, .. }
                        if *status == answer.status
                ),
                "{fault:?}: the status is the answer's: {error:?}"
            );
        }
        Rule::Unreadable2xx => assert!(
            error.was_accepted(),
            "{fault:?}: a 2xx proves the request was taken: {error:?}"
        ),
        Rule::RefusedIn2xx => assert!(
            matches!(
                error,
                GatewayError::Rejected {
                    kind: RejectionKind::Unsuccessful,
                    status: 200..=299,
                    ..
                }
            ),
            "{fault:?}: {error:?}"
        ),
        Rule::NoAnswer | Rule::RateLimit | Rule::WrongAnswer => {}
    }
}

/// Runs every fault of `rule` on a send: its error, one request, the codes delivered.
async fn on_a_send(target: &dyn ContractTarget, of: Rule) {
    for fault in faults_under(of) {
        let harness = Harness::start(target).await;

        let error = harness.send_under(&fault).await;

        assert_rule_holds(&fault, target, &error);
        let seen = harness.seen();
        assert_eq!(seen.sends, 1, "{fault:?}: sent once, never again");
        let delivered = match processing(&fault) {
            Processing::Processed => seen.codes == 1,
            Processing::NotProcessed => seen.codes == 0,
            Processing::EitherWay => seen.codes <= 1,
        };
        assert!(delivered, "{fault:?}: {} codes delivered", seen.codes);
        harness.finish().await;
    }
}

/// Runs every fault of `rule` on a check of a code sent: its error, one request, and no code
/// delivered by the check.
async fn on_a_check(target: &dyn ContractTarget, of: Rule) {
    for fault in faults_under(of) {
        let harness = Harness::start(target).await;
        let receipt = harness.send().await;
        // The right code: under a fault that processes the check, the provider approves it.
        let check = check_of(&harness.code(), &receipt);
        harness.sim.inject(fault.clone(), FaultScope::Next(1));

        let error = harness
            .gateway
            .check_code(&check)
            .await
            .expect_err("the fault makes the check fail");

        assert_rule_holds(&fault, target, &error);
        let seen = harness.seen();
        assert_eq!(seen.checks, 1, "{fault:?}: checked once, never again");
        assert_eq!(
            (seen.sends, seen.codes),
            (1, 1),
            "{fault:?}: a check sends nothing"
        );
        harness.finish().await;
    }
}

/// A send that got no answer (a timeout, an endless body, a connection cut before, while or
/// after the provider processed it) is outcome unknown: it may have been sent, and is never
/// sent again by the adapter.
pub async fn a_send_left_without_an_answer_is_outcome_unknown_and_never_resent(
    target: &dyn ContractTarget,
) {
    on_a_send(target, Rule::NoAnswer).await;
}

/// A check that got no answer may have counted (or approved): outcome unknown, never repeated.
pub async fn a_check_left_without_an_answer_is_outcome_unknown_and_never_repeated(
    target: &dyn ContractTarget,
) {
    on_a_check(target, Rule::NoAnswer).await;
}

/// A 5xx to a send, the provider's own or a proxy's page, before or after the provider
/// processed the request, may have sent the code (`ProviderFault`, never resent), unless the
/// target declares that answer documented as unprocessed (`Unavailable`: not sent, retryable).
pub async fn a_5xx_to_a_send_may_have_sent_unless_the_provider_documents_it_unprocessed(
    target: &dyn ContractTarget,
) {
    on_a_send(target, Rule::ServerError).await;
}

/// A 5xx to a check may have counted the attempt, unless the provider documents that answer
/// as unprocessed; never repeated either way by the shipped policy.
pub async fn a_5xx_to_a_check_may_have_counted_unless_the_provider_documents_it_unprocessed(
    target: &dyn ContractTarget,
) {
    on_a_check(target, Rule::ServerError).await;
}

/// A 429 to a send sent nothing; it is retryable and carries the provider's `Retry-After`
/// when it gave one (and none when it did not). Not retried unless the caller opts in.
pub async fn a_rate_limited_send_sent_nothing_and_carries_the_wait_asked_for(
    target: &dyn ContractTarget,
) {
    on_a_send(target, Rule::RateLimit).await;
}

/// A 429 to a check counted nothing, with the wait asked for.
pub async fn a_rate_limited_check_counted_nothing_and_carries_the_wait_asked_for(
    target: &dyn ContractTarget,
) {
    on_a_check(target, Rule::RateLimit).await;
}

/// A 2xx to a send whose body cannot be read (not JSON, cut short, over the size cap) is
/// `InvalidResponse`: the provider took the send (`was_accepted`), so it may have sent.
pub async fn an_unreadable_2xx_to_a_send_was_accepted_and_may_have_sent(
    target: &dyn ContractTarget,
) {
    on_a_send(target, Rule::Unreadable2xx).await;
}

/// A 2xx to a check that cannot be read: accepted, the attempt may have counted, no verdict.
pub async fn an_unreadable_2xx_to_a_check_was_accepted_and_may_have_counted(
    target: &dyn ContractTarget,
) {
    on_a_check(target, Rule::Unreadable2xx).await;
}

/// A 2xx that says the provider refused the send (IDMeta `success: false`, Twilio `status:
/// failed`) is an unsuccessful rejection: nothing was sent, and a retry would fail alike.
pub async fn a_refusal_in_a_2xx_to_a_send_is_unsuccessful_and_sent_nothing(
    target: &dyn ContractTarget,
) {
    on_a_send(target, Rule::RefusedIn2xx).await;
}

/// A 2xx that says the provider refused the check: an unsuccessful rejection, no attempt.
pub async fn a_refusal_in_a_2xx_to_a_check_is_unsuccessful_and_counted_nothing(
    target: &dyn ContractTarget,
) {
    on_a_check(target, Rule::RefusedIn2xx).await;
}

/// Every fault of the matrix under which the provider processed the request (a send delivered
/// its code) and its answer was then lost or replaced by a 5xx.
pub(super) fn lost_answers() -> Vec<Fault> {
    matrix()
        .into_iter()
        .filter(|fault| processing(fault) == Processing::Processed)
        .collect()
}
