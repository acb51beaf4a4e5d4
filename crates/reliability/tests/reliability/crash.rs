//! A process sending under load is killed (SIGKILL) at a random moment. After a restart, the
//! store holds a record for every code the simulator delivered (sent, or outcome unknown,
//! including still in flight), and no record claims a send the simulator never saw.
//!
//! The kill points come from a seed, printed by the test; rerun one with
//! `PHONE_VERIFY_CRASH_SEED=<seed>`.

use std::collections::HashMap;
use std::time::Duration;

use phone_verify_app::{
    AttemptRecord, HistorySubject, PageRequest, SendOutcome, SendRecord, VerificationStore,
};
use phone_verify_reliability::fixture::{TOKEN, mobile_number, trust_validation};
use phone_verify_reliability::open_store;
use phone_verify_sim::{DeliveredSms, Fault, FaultScope, SimConfig, Simulator};
use phone_verify_sql_store::{SqlVerificationStore, SqliteOptions};
use rand::{Rng as _, SeedableRng as _};

use crate::support::{Helper, rows};

const CRASH_CHILD: &str = env!("CARGO_BIN_EXE_crash_child");
const ROUNDS: usize = 3;
const WORKERS: &str = "16";

/// A simulator where some numbers answer late (so sends are in flight when the process dies)
/// and some lose their answer after delivering (outcome unknown, code delivered).
async fn simulator() -> Simulator {
    let sim = phone_verify_sim::start(
        SimConfig::default()
            .idmeta_token(TOKEN)
            .idmeta_resend_cooldown(Duration::ZERO)
            .idmeta_no_send_limit(),
    )
    .await
    .expect("the simulator starts");
    for index in 0..5_000 {
        let phone = mobile_number(index).e164().to_owned();
        match index % 10 {
            3 => sim.inject(
                Fault::Delay(Duration::from_millis(150)),
                FaultScope::Phone(phone),
            ),
            7 => sim.inject(Fault::CloseAfterProcessing, FaultScope::Phone(phone)),
            _ => {}
        }
    }
    sim
}

/// Every send record of the child's trust validations `crash-0`, `crash-1`, … up to
/// `candidates`, by trust validation id.
async fn records(
    store: &SqlVerificationStore,
    candidates: u32,
) -> HashMap<String, Vec<SendRecord>> {
    let mut found = HashMap::new();
    for index in 0..candidates {
        let tv = trust_validation("crash", index);
        let page = store
            .history(
                &HistorySubject::TrustValidation(tv.clone()),
                PageRequest::first(10),
            )
            .await
            .expect("the store reads after the crash");
        let sends: Vec<SendRecord> = page
            .items
            .into_iter()
            .map(|attempt| match attempt {
                AttemptRecord::Send(send) => send,
                AttemptRecord::Check(check) => panic!("the child never checks: {check:?}"),
            })
            .collect();
        if !sends.is_empty() {
            found.insert(tv.as_str().to_owned(), sends);
        }
    }
    found
}

fn judge(records: &HashMap<String, Vec<SendRecord>>, inbox: &[DeliveredSms]) -> Vec<String> {
    let mut wrong = Vec::new();
    for (tv, sends) in records {
        if sends.len() != 1 {
            wrong.push(format!("{tv}: {} records, not one", sends.len()));
        }
    }
    let delivered: HashMap<&str, &DeliveredSms> = inbox
        .iter()
        .map(|sms| (sms.trust_validation_id.as_str(), sms))
        .collect();
    for sms in inbox {
        let Some([record]) = records.get(&sms.trust_validation_id).map(Vec::as_slice) else {
            wrong.push(format!(
                "{}: delivered without a record",
                sms.trust_validation_id
            ));
            continue;
        };
        if record.number.clear().map(|phone| phone.e164()) != Some(sms.phone.as_str())
            || !record.may_have_delivered()
        {
            wrong.push(format!(
                "{}: delivered, recorded as {record:?}",
                sms.trust_validation_id
            ));
        }
    }
    for (tv, sends) in records {
        for send in sends {
            if let SendOutcome::Sent { reference, .. } = send.outcome() {
                match delivered.get(tv.as_str()) {
                    Some(sms) if sms.reference_id == reference.as_str() => {}
                    other => wrong.push(format!("{tv}: recorded as sent, delivered {other:?}")),
                }
            }
        }
    }
    wrong
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_kill_every_delivered_code_has_a_record_and_no_record_claims_an_unseen_send() {
    let seed = std::env::var("PHONE_VERIFY_CRASH_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    println!("crash seed: {seed} (rerun with PHONE_VERIFY_CRASH_SEED={seed})");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    for round in 0..ROUNDS {
        let kill_after = Duration::from_millis(rng.random_range(100..800));
        let sim = simulator().await;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let database = dir.path().join("crash.db");
        let path = database.to_str().expect("a UTF-8 path");
        let mut child =
            Helper::spawn(CRASH_CHILD, &[&sim.base_url(), path, WORKERS, "100000"]).ready();
        // The kill point: a random moment, not a state to wait for.
        tokio::time::sleep(kill_after).await;
        child.kill();

        // The restart: the store opens the file the dead process left.
        let store = open_store(&database, SqliteOptions::default())
            .await
            .expect("the store reopens after the kill");
        let requests = sim.counters().idmeta_send_requests;
        let candidates = u32::try_from(requests).expect("few") + 1_000;
        let records = records(&store, candidates).await;
        // Read after the store, so codes delivered while it reopened are judged too.
        let inbox = sim.inbox();

        let found: usize = records.values().map(Vec::len).sum();
        assert_eq!(
            found as u64,
            rows(&database).await,
            "round {round}: every row was found"
        );
        let in_flight = records
            .values()
            .flatten()
            .filter(|send| send.outcome() == SendOutcome::OutcomeUnknown { class: None })
            .count();
        println!(
            "round {round}: killed after {kill_after:?}; {requests} requests reached the \
             simulator, {} codes delivered, {found} records, {in_flight} left in flight",
            inbox.len()
        );
        assert!(
            requests > 0,
            "round {round}: the child was sending when killed"
        );
        let wrong = judge(&records, &inbox);
        assert!(
            wrong.is_empty(),
            "round {round} (seed {seed}):\n{}",
            wrong.join("\n")
        );
    }
}
