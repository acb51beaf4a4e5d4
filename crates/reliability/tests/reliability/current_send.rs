//! Issue 13's two scenarios, through the adapter, the simulator and each SQL engine, repeated
//! 100 times each: a check always goes to the code the end user holds.
//!
//! 1. A send and a check start together (the end user types the code they have while a
//!    second send is on its way): the check goes to the live code and verifies; it is never
//!    recorded against a send other than the one whose code it checked.
//! 2. Two sends overlap and the provider processes the one started first last (a double
//!    click, a corrected number): the code the end user received last verifies.

use std::time::{Duration, Instant};

use phone_verify_app::AttemptRecord;
use phone_verify_domain::{OtpCode, TrustValidationId};
use phone_verify_reliability::drive::concurrently;
use phone_verify_reliability::fixture::{mobile_number, send_request, trust_validation};
use phone_verify_reliability::{Engine, Stack, StackConfig};
use phone_verify_sim::{DeliveredSms, Fault, FaultScope, SimConfig};
use phone_verify_sql_store::SchemaName;
use std::sync::Arc;

/// Repetitions of each scenario on each engine.
const TRIALS: u32 = 100;
/// Trials at once: enough to make the store and the simulator busy, few enough that the
/// simulator's delays (the "late" answers) stay well ahead of everything else.
const AT_ONCE: u32 = 8;
/// How long the simulator holds the late send before processing it.
const LATE: Duration = Duration::from_millis(400);

fn config(engine: Engine) -> StackConfig {
    StackConfig {
        sim: SimConfig::default(),
        // Longer than the late answer, so it is an answer, not a timeout.
        request_timeout: Duration::from_secs(10),
        engine,
        ..StackConfig::default()
    }
}

/// A stack on SQLite, and one on PostgreSQL when `PHONE_VERIFY_TEST_POSTGRES_URL` is set (in
/// a schema of its own, which [`drop_schema`] removes; without it, a failure in CI).
async fn stacks(name: &str) -> Vec<(&'static str, Arc<Stack>, Option<(String, String)>)> {
    let mut stacks = vec![(
        "sqlite",
        Arc::new(Stack::start(config(Engine::Sqlite)).await.expect("a stack")),
        None,
    )];
    if let Some(url) =
        phone_verify_sql_store::test_postgres_url(&format!("the PostgreSQL half of {name}"))
    {
        let schema = format!(
            "pv_test_{}_{name}_{}",
            chrono::Utc::now().timestamp(),
            std::process::id()
        );
        let engine = Engine::Postgres {
            url: url.clone(),
            schema: SchemaName::parse(&schema).expect("a schema name"),
        };
        let stack = Stack::start(config(engine)).await.expect("a stack");
        stacks.push(("postgres", Arc::new(stack), Some((url, schema))));
    }
    stacks
}

async fn drop_schema(postgres: Option<(String, String)>) {
    if let Some((url, schema)) = postgres {
        let admin = sqlx::PgPool::connect(&url).await.expect("connects");
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .execute(&admin)
            .await
            .expect("drops the schema");
    }
}

/// Runs `trial` [`TRIALS`] times, [`AT_ONCE`] at a time; the failures, one line each.
async fn repeat<F, Fut>(stack: &Arc<Stack>, trial: F) -> Vec<String>
where
    F: Fn(Arc<Stack>, u32) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    let stack = Arc::clone(stack);
    concurrently(0..TRIALS, AT_ONCE, move |index| {
        trial(Arc::clone(&stack), index)
    })
    .await
    .into_iter()
    .filter_map(|(index, outcome)| outcome.err().map(|why| format!("trial {index}: {why}")))
    .collect()
}

/// Scenario 1: the end user has the first send's code and types it while a second send, to
/// a corrected number, is on its way (the provider holds it back). The check must verify,
/// recorded against the first send: never against the second, whose code is not live yet.
async fn send_then_check_while_another_send_is_on_its_way(
    stack: Arc<Stack>,
    index: u32,
) -> Result<(), String> {
    let (first, second) = (mobile_number(index * 2), mobile_number(index * 2 + 1));
    let tv = trust_validation("check-while-sending", index);
    stack
        .verification
        .send_code(&send_request(first, tv.clone()))
        .await
        .map_err(|error| format!("the first send: {error}"))?;
    let code = OtpCode::parse(&last_delivered(&stack, &tv).code).expect("a code");
    stack.sim.inject(
        Fault::Delay(LATE),
        FaultScope::PhoneNext(second.e164().to_owned(), 1),
    );
    let resend_request = send_request(second, tv.clone());
    let (resend, checked) = tokio::join!(
        stack.verification.send_code(&resend_request),
        stack.verification.check_code(tv.clone(), code, None),
    );
    resend.map_err(|error| format!("the second send: {error}"))?;
    let checked = checked.map_err(|error| format!("the check: {error} ({error:?})"))?;
    if !checked.is_verified() {
        return Err(format!("no code verifies: {:?}", checked.verdict()));
    }
    let (_, reference) = only_check(&stack, &tv).await?;
    let first_reference = delivered(&stack, &tv)
        .into_iter()
        .next()
        .map(|sms| sms.reference_id);
    if reference != first_reference {
        return Err("the check is recorded against a send whose code it did not check".into());
    }
    Ok(())
}

/// Scenario 2: two sends overlap; the one started first reaches the provider last, so its
/// code is the one the end user received last. That code must verify, recorded against it.
async fn overlapping_sends_answered_out_of_order(
    stack: Arc<Stack>,
    index: u32,
) -> Result<(), String> {
    let (late, early) = (mobile_number(index * 2), mobile_number(index * 2 + 1));
    let tv = trust_validation("overlap", index);
    stack.sim.inject(
        Fault::Delay(LATE),
        FaultScope::PhoneNext(late.e164().to_owned(), 1),
    );
    let started = {
        let stack = Arc::clone(&stack);
        let request = send_request(late, tv.clone());
        tokio::spawn(async move { stack.verification.send_code(&request).await })
    };
    // The late send is reserved (in flight) before the second one starts.
    let deadline = Instant::now() + Duration::from_secs(10);
    while stack
        .attempts_of(&tv)
        .await
        .map_err(|error| format!("history: {error}"))?
        .is_empty()
    {
        if Instant::now() > deadline {
            return Err("the first send was never reserved".into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    stack
        .verification
        .send_code(&send_request(early, tv.clone()))
        .await
        .map_err(|error| format!("the second send: {error}"))?;
    started
        .await
        .expect("the task completes")
        .map_err(|error| format!("the first send: {error}"))?;

    let live = last_delivered(&stack, &tv);
    let code = OtpCode::parse(&live.code).expect("a code");
    let checked = stack
        .verification
        .check_code(tv.clone(), code, None)
        .await
        .map_err(|error| format!("no code verifies: {error} ({error:?})"))?;
    if !checked.is_verified() {
        return Err(format!("no code verifies: {:?}", checked.verdict()));
    }
    let (_, reference) = only_check(&stack, &tv).await?;
    if reference.as_deref() != Some(live.reference_id.as_str()) {
        return Err("the check is recorded against the superseded send".into());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_check_racing_a_send_goes_to_the_live_code_every_time_on_every_engine() {
    for (engine, stack, postgres) in stacks("check_while_sending").await {
        let failures = repeat(&stack, send_then_check_while_another_send_is_on_its_way).await;
        drop(stack);
        drop_schema(postgres).await;
        assert!(failures.is_empty(), "{engine}: {failures:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overlapping_sends_leave_the_code_received_last_verifying_on_every_engine() {
    for (engine, stack, postgres) in stacks("overlap").await {
        let failures = repeat(&stack, overlapping_sends_answered_out_of_order).await;
        drop(stack);
        drop_schema(postgres).await;
        assert!(failures.is_empty(), "{engine}: {failures:#?}");
    }
}

/// The SMS the simulator delivered for `trust_validation`, oldest first.
fn delivered(stack: &Stack, trust_validation: &TrustValidationId) -> Vec<DeliveredSms> {
    stack
        .sim
        .inbox()
        .into_iter()
        .filter(|sms| sms.trust_validation_id == trust_validation.as_str())
        .collect()
}

/// The SMS the simulator delivered last for `trust_validation`.
fn last_delivered(stack: &Stack, trust_validation: &TrustValidationId) -> DeliveredSms {
    delivered(stack, trust_validation)
        .pop()
        .expect("a code was delivered")
}

/// The only check recorded for `trust_validation`, and the reference of the send it is
/// recorded against.
async fn only_check(
    stack: &Stack,
    trust_validation: &TrustValidationId,
) -> Result<(AttemptRecord, Option<String>), String> {
    let attempts = stack
        .attempts_of(trust_validation)
        .await
        .map_err(|error| format!("history: {error}"))?;
    let checks: Vec<&AttemptRecord> = attempts
        .iter()
        .filter(|record| matches!(record, AttemptRecord::Check(_)))
        .collect();
    let [AttemptRecord::Check(check)] = checks.as_slice() else {
        return Err(format!("one check, got {}", checks.len()));
    };
    let send_reference = attempts.iter().find_map(|record| match record {
        AttemptRecord::Send(send) if send.id == check.send => {
            send.reference().map(|r| r.as_str().to_owned())
        }
        _ => None,
    });
    Ok((AttemptRecord::Check(check.clone()), send_reference))
}
