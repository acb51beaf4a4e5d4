//! A bounded load test on loopback: many sends to as many numbers, many at once, through the
//! use cases, the real adapter and the SQLite store, with 1% of the requests faulted by the
//! simulator. Every send ends with exactly one record in a final state, the record the fault
//! calls for; the counts of each state match what the simulator saw; nothing is lost, nothing
//! doubled, nothing sent twice.
//!
//! Its size is a parameter: `cargo test` runs 1,000 sends, 64 at once (CI); the full run is
//! `PHONE_VERIFY_LOAD_SENDS=10000 PHONE_VERIFY_LOAD_CONCURRENCY=256 cargo test --release -p
//! phone-verify-reliability load -- --nocapture` (figures in `docs/reliability.md`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use phone_verify_app::{ErrorClass, RefusalReason, SendCodeError, SendOutcome, SendState};
use phone_verify_reliability::drive::concurrently;
use phone_verify_reliability::fixture::{mobile_number, send_request, trust_validation};
use phone_verify_reliability::{Stack, StackConfig};
use phone_verify_sim::{Fault, FaultScope, SimConfig};

use crate::support::rows;

/// One request in this many is faulted.
const FAULTED_ONE_IN: u32 = 100;
/// The whole run must end within this: the test stops by itself.
const DEADLINE: Duration = Duration::from_secs(600);

fn parameter(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The fault of the `index`-th number, if it is one of the 1% faulted, with the record it
/// must leave and whether the simulator delivers its code. The ten kinds take turns.
fn fault_of(index: u32) -> Option<(Fault, SendOutcome, bool)> {
    if index % FAULTED_ONE_IN != FAULTED_ONE_IN / 2 {
        return None;
    }
    let unknown = |class| SendOutcome::OutcomeUnknown { class: Some(class) };
    let (fault, outcome, delivered) = match (index / FAULTED_ONE_IN) % 10 {
        0 => (
            Fault::ServerError {
                status: 500,
                html: false,
            },
            unknown(ErrorClass::ProviderFault),
            false,
        ),
        1 => (
            Fault::ServerError {
                status: 502,
                html: true,
            },
            unknown(ErrorClass::ProviderFault),
            false,
        ),
        2 => (
            Fault::ServerError {
                status: 503,
                html: false,
            },
            SendOutcome::NotSent {
                class: ErrorClass::Unavailable,
            },
            false,
        ),
        3 => (
            Fault::RateLimited {
                retry_after_secs: Some(3),
            },
            SendOutcome::RateLimited {
                retry_after: Some(Duration::from_secs(3)),
            },
            false,
        ),
        4 => (
            Fault::SuccessFalse,
            SendOutcome::Refused {
                reason: RefusalReason::Unsuccessful,
            },
            false,
        ),
        5 => (
            Fault::MalformedJson,
            unknown(ErrorClass::InvalidResponse),
            false,
        ),
        6 => (
            Fault::TruncatedJson,
            unknown(ErrorClass::InvalidResponse),
            false,
        ),
        7 => (
            Fault::Oversized { bytes: 256 * 1024 },
            unknown(ErrorClass::InvalidResponse),
            false,
        ),
        8 => (
            Fault::CloseAfterRead,
            unknown(ErrorClass::OutcomeUnknown),
            false,
        ),
        _ => (
            Fault::CloseAfterProcessing,
            unknown(ErrorClass::OutcomeUnknown),
            true,
        ),
    };
    Some((fault, outcome, delivered))
}

/// The name of an outcome's state, to count them.
fn state_name(outcome: &SendOutcome) -> &'static str {
    match outcome {
        SendOutcome::Sent { .. } => "sent",
        SendOutcome::Refused { .. } => "refused",
        SendOutcome::RateLimited { .. } => "rate limited",
        SendOutcome::NotSent { .. } => "not sent",
        _ => "outcome unknown",
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sends_under_load_with_one_percent_faulted_each_leave_exactly_their_one_final_record() {
    let sends = parameter("PHONE_VERIFY_LOAD_SENDS", 1_000);
    let concurrency = parameter("PHONE_VERIFY_LOAD_CONCURRENCY", 64);
    let stack = Arc::new(
        Stack::start(StackConfig {
            sim: SimConfig::default()
                .idmeta_resend_cooldown(Duration::ZERO)
                .idmeta_no_send_limit(),
            // Generous: under load on a shared machine, only a fault may fail a send.
            request_timeout: Duration::from_secs(30),
            ..StackConfig::default()
        })
        .await
        .expect("the stack starts"),
    );
    for index in 0..sends {
        if let Some((fault, _, _)) = fault_of(index) {
            let phone = mobile_number(index).e164().to_owned();
            stack.sim.inject(fault, FaultScope::PhoneNext(phone, 1));
        }
    }

    let started = Instant::now();
    let work = {
        let stack = stack.clone();
        move |index| {
            let stack = stack.clone();
            async move {
                let request = send_request(mobile_number(index), trust_validation("load", index));
                stack.verification.send_code(&request).await
            }
        }
    };
    let answers = tokio::time::timeout(DEADLINE, concurrently(0..sends, concurrency, work))
        .await
        .expect("the load ends by itself");
    let elapsed = started.elapsed();

    // Each send's record, against its answer and its fault.
    let mut wrong = Vec::new();
    let mut states: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut faulted, mut delivered_unknown) = (0_u64, 0_u64);
    for (index, answer) in &answers {
        let phone = mobile_number(*index);
        let records = stack.sends_to(&phone).await.expect("the store reads");
        let [record] = records.as_slice() else {
            wrong.push(format!("{index}: {} records", records.len()));
            continue;
        };
        let SendState::Finished { outcome, .. } = &record.state else {
            wrong.push(format!("{index}: left in flight"));
            continue;
        };
        *states.entry(state_name(outcome)).or_default() += 1;
        let inbox = stack.sim.inbox_for(phone.e164());
        let expected = match (fault_of(*index), answer) {
            (Some((_, outcome, delivered)), Err(SendCodeError::Gateway(_))) => {
                faulted += 1;
                delivered_unknown += u64::from(delivered);
                if inbox.len() != usize::from(delivered) {
                    wrong.push(format!("{index}: {} codes delivered", inbox.len()));
                }
                outcome
            }
            (None, Ok(sent)) => {
                if inbox.len() != 1 || inbox[0].reference_id != sent.receipt.reference.as_str() {
                    wrong.push(format!("{index}: sent, but delivered {inbox:?}"));
                }
                SendOutcome::Sent {
                    reference: sent.receipt.reference.clone(),
                    submitted_at: Some(sent.receipt.submitted_at),
                }
            }
            (_, answer) => {
                wrong.push(format!("{index}: answered {answer:?}"));
                continue;
            }
        };
        if *outcome != expected {
            wrong.push(format!(
                "{index}: recorded {outcome:?}, expected {expected:?}"
            ));
        }
    }

    let counters = stack.sim.counters();
    let rows = rows(&stack.database()).await;
    println!(
        "{sends} sends, {concurrency} at once, in {elapsed:.2?} ({:.0}/s); records by state: \
         {states:?}; simulator: {} requests, {} codes delivered, {} faults applied",
        f64::from(sends) / elapsed.as_secs_f64(),
        counters.idmeta_send_requests,
        counters.codes_sent,
        counters.faults_applied,
    );
    let shown: Vec<&String> = wrong.iter().take(20).collect();
    assert!(
        wrong.is_empty(),
        "{} sends wrong, first: {shown:#?}",
        wrong.len()
    );
    assert_eq!(answers.len(), sends as usize, "every send answered");
    assert_eq!(rows, u64::from(sends), "one row per send, no more");
    assert_eq!(
        counters.idmeta_send_requests,
        u64::from(sends),
        "no send was repeated"
    );
    assert_eq!(counters.faults_applied, faulted, "every fault was applied");
    let planned = (0..sends)
        .filter(|index| fault_of(*index).is_some())
        .count();
    assert_eq!(faulted, planned as u64, "1% of the sends were faulted");
    assert_eq!(
        states.get("sent").copied().unwrap_or(0),
        counters.codes_sent - delivered_unknown,
        "sent records are the codes delivered, less those whose answer was lost"
    );
    assert!(
        counters
            .codes_sent_per_number
            .values()
            .all(|codes| *codes == 1),
        "no number got two codes"
    );
}
