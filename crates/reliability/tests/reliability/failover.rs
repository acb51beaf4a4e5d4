//! Failover from IDMeta to Twilio through the real adapters and one simulator serving both:
//! for every fault the simulator can inject on IDMeta's send, the server-side request counts
//! of each provider prove that at most one provider may have sent, each attempt is recorded
//! with its provider, and the check reaches the provider that sent. And IDMeta unreachable,
//! the failure the simulator cannot inject.

use std::time::Duration;

use phone_verify_app::{AttemptRecord, SendOutcome};
use phone_verify_domain::{OtpCode, ProviderName};
use phone_verify_reliability::fixture::{mobile_number, send_request, trust_validation};
use phone_verify_reliability::{Routing, Stack, StackConfig, closed_port_url};
use phone_verify_sim::{FaultScope, SimConfig};

use crate::faults::{Failures, cases};

async fn failing_over(idmeta_base_url: Option<String>) -> Stack {
    Stack::start(StackConfig {
        sim: SimConfig::default().trickle_interval(Duration::from_millis(10)),
        request_timeout: Duration::from_millis(300),
        routing: Routing::IdmetaThenTwilio,
        idmeta_base_url,
        ..StackConfig::default()
    })
    .await
    .expect("the stack starts")
}

/// What a send and its check left at the simulator and in the store.
#[derive(Debug, PartialEq, Eq)]
struct Observed {
    /// Send requests that reached IDMeta's route and Twilio's.
    send_requests: (u64, u64),
    /// The recorded sends' providers, oldest first.
    attempts: Vec<ProviderName>,
    /// The IDMeta attempt's outcome.
    idmeta_outcome: Option<SendOutcome>,
    /// The provider the send use case says sent, if it succeeded.
    sent_by: Option<ProviderName>,
    /// Check requests that reached IDMeta's route and Twilio's, when a code was checked.
    check_requests: Option<(u64, u64)>,
}

#[tokio::test]
async fn whatever_fault_idmeta_has_at_most_one_provider_may_have_sent_and_the_check_follows() {
    let mut failures = Failures::default();
    for (index, case) in (0_u32..).zip(cases()) {
        let stack = failing_over(None).await;
        let phone = mobile_number(index);
        let tv = trust_validation("failover", index);
        stack.sim.inject(case.fault.clone(), FaultScope::Next(1));

        let answer = stack
            .verification
            .send_code(&send_request(phone.clone(), tv.clone()))
            .await;
        let counters = stack.sim.counters();
        let sends = stack.sends_to(&phone).await.expect("the store reads");
        let send_requests = (counters.idmeta_send_requests, counters.twilio_send_requests);
        assert!(
            !(case.may_have_been_sent && send_requests.1 > 0),
            "{:?}: IDMeta may have sent, yet Twilio was asked too",
            case.fault
        );

        // Check the code wherever one was surely delivered, and see where the check goes.
        let delivered = answer.is_ok() || case.delivered == Some(true);
        let check_requests = if delivered {
            let code = stack.sim.last_code_for(phone.e164()).expect("delivered");
            let checked = stack
                .verification
                .check_code(
                    tv.clone(),
                    OtpCode::parse(&code).expect("a valid code"),
                    None,
                )
                .await
                .expect("the check is answered");
            assert!(checked.is_verified(), "{:?}", case.fault);
            let counters = stack.sim.counters();
            Some((
                counters.idmeta_verify_requests,
                counters.twilio_check_requests,
            ))
        } else {
            None
        };

        // Only IDMeta's own 503 (turned away unprocessed) is a failure that sent nothing.
        let fails_over = matches!(case.send, SendOutcome::NotSent { .. });
        let got = Observed {
            send_requests,
            attempts: sends
                .iter()
                .rev()
                .map(|send| send.provider.clone())
                .collect(),
            idmeta_outcome: sends.last().map(|send| send.outcome()),
            sent_by: answer.ok().map(|sent| sent.provider),
            check_requests,
        };
        let expected = Observed {
            send_requests: (1, u64::from(fails_over)),
            attempts: if fails_over {
                vec![ProviderName::idmeta(), ProviderName::twilio()]
            } else {
                vec![ProviderName::idmeta()]
            },
            idmeta_outcome: Some(case.send.clone()),
            sent_by: fails_over.then(ProviderName::twilio),
            check_requests: if fails_over {
                Some((0, 1))
            } else if delivered {
                Some((1, 0))
            } else {
                None
            },
        };
        failures.compare(&case.fault, got, expected);
    }
    failures.assert_none();
}

#[tokio::test]
async fn with_idmeta_unreachable_the_send_and_its_check_go_to_twilio_and_both_attempts_are_recorded()
 {
    let stack = failing_over(Some(closed_port_url().expect("a port"))).await;
    let phone = mobile_number(0);
    let tv = trust_validation("unreachable", 0);

    let sent = stack
        .verification
        .send_code(&send_request(phone.clone(), tv.clone()))
        .await
        .expect("sent by twilio");
    assert_eq!(sent.provider, ProviderName::twilio());
    let code = stack.sim.last_code_for(phone.e164()).expect("delivered");
    let checked = stack
        .verification
        .check_code(
            tv.clone(),
            OtpCode::parse(&code).expect("a valid code"),
            None,
        )
        .await
        .expect("answered");
    assert!(checked.is_verified());
    assert_eq!(checked.send, sent.attempt);

    let counters = stack.sim.counters();
    assert_eq!(
        (counters.idmeta_send_requests, counters.twilio_send_requests),
        (0, 1),
        "IDMeta never reached, Twilio once"
    );
    assert_eq!(counters.twilio_check_requests, 1);
    let attempts = stack.attempts_of(&tv).await.expect("the store reads");
    let providers: Vec<(&str, &str)> = attempts
        .iter()
        .map(|record| match record {
            AttemptRecord::Send(send) => ("send", send.provider.as_str()),
            AttemptRecord::Check(_) => ("check", ""),
        })
        .collect();
    assert_eq!(
        providers,
        [("check", ""), ("send", "twilio"), ("send", "idmeta")],
        "newest first"
    );
}
