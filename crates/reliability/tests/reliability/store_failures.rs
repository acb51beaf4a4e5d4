//! The real SQLite store failing at the first and at the second write of a send (and of a
//! check), because another process holds the file's write lock: typed errors, nothing sent
//! when the first write fails, and the provider's answer handed to the caller when the second
//! does. (The app's own tests prove the same with a failing fake; these prove it on a file.)

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use phone_verify_app::{
    AttemptId, CheckCodeError, CheckOutcome, SendCodeError, SendOutcome, SendState, StoreError,
};
use phone_verify_domain::{
    CancelCodeRequest, CheckCodeRequest, CheckResult, CheckVerdict, GatewayError, OtpCode,
    PhoneNumber, ProviderRules, SendCodeRequest, SendReceipt, VerificationGateway,
};
use phone_verify_reliability::fixture::{mobile_number, send_request, trust_validation};
use phone_verify_reliability::{Stack, StackConfig, sql_failure_kind};
use phone_verify_sim::{Fault, FaultScope};
use phone_verify_sql_store::{SqlFailureKind, SqliteOptions};

use crate::support::Helper;

const LOCK_HOLDER: &str = env!("CARGO_BIN_EXE_lock_holder");

/// Another process holding `database`'s write lock until [`Helper::finish`].
fn lock_from_another_process(database: &Path) -> Helper {
    let path = database.to_str().expect("a UTF-8 path");
    Helper::spawn(LOCK_HOLDER, &[path]).ready()
}

/// The real adapter, and, once armed, another process taking the store's lock right after
/// the next provider call returns: between the two writes of the use case.
struct LockAfterNextCall {
    inner: Arc<dyn VerificationGateway>,
    database: PathBuf,
    armed: AtomicBool,
    holder: Mutex<Option<Helper>>,
}

impl std::fmt::Debug for LockAfterNextCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockAfterNextCall")
            .field("inner", &self.inner)
            .field("armed", &self.armed)
            .finish_non_exhaustive()
    }
}

impl LockAfterNextCall {
    fn lock_if_armed(&self) {
        if self.armed.swap(false, Ordering::SeqCst) {
            *self.holder.lock() = Some(lock_from_another_process(&self.database));
        }
    }

    fn release(&self) {
        let mut holder = self.holder.lock().take().expect("the lock was taken");
        holder.finish();
    }
}

#[async_trait]
impl VerificationGateway for LockAfterNextCall {
    async fn send_code(&self, request: &SendCodeRequest) -> Result<SendReceipt, GatewayError> {
        let answer = self.inner.send_code(request).await;
        self.lock_if_armed();
        answer
    }

    async fn check_code(&self, request: &CheckCodeRequest) -> Result<CheckResult, GatewayError> {
        let answer = self.inner.check_code(request).await;
        self.lock_if_armed();
        answer
    }

    async fn cancel_code(&self, request: &CancelCodeRequest) -> Result<(), GatewayError> {
        self.inner.cancel_code(request).await
    }

    fn rules(&self) -> ProviderRules {
        self.inner.rules()
    }
}

fn config() -> StackConfig {
    StackConfig {
        // A lock is not waited for long: the tests are about what happens when it stays.
        sqlite: SqliteOptions::default().busy_timeout(Duration::from_millis(200)),
        request_timeout: Duration::from_secs(5),
        ..StackConfig::default()
    }
}

/// A stack whose adapter lets the test lock the store between the two writes.
async fn stack_with_lock_between_writes() -> (Stack, Arc<LockAfterNextCall>) {
    let mut gateway = None;
    let stack = Stack::start_with(config(), |inner, database| {
        let wrapped = Arc::new(LockAfterNextCall {
            inner,
            database: database.to_owned(),
            armed: AtomicBool::new(false),
            holder: Mutex::new(None),
        });
        gateway = Some(wrapped.clone());
        wrapped
    })
    .await
    .expect("the stack starts");
    (stack, gateway.expect("wrapped"))
}

/// Once the lock is released: the send's one record is still in flight (it reads as
/// outcome unknown, left for reconciliation), its code was delivered once, and the send was
/// never repeated.
async fn assert_left_in_flight(
    stack: &Stack,
    gateway: &LockAfterNextCall,
    phone: &PhoneNumber,
    attempt: AttemptId,
) {
    gateway.release();
    let records = stack.sends_to(phone).await.expect("reads");
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].id, attempt);
    assert_eq!(records[0].state, SendState::InFlight);
    assert_eq!(
        records[0].outcome(),
        SendOutcome::OutcomeUnknown { class: None }
    );
    assert_eq!(stack.sim.inbox_for(phone.e164()).len(), 1, "delivered once");
    assert_eq!(
        stack.sim.counters().idmeta_send_requests,
        1,
        "never sent again"
    );
}

fn assert_locked(error: &StoreError) {
    assert_eq!(
        sql_failure_kind(error),
        Some(SqlFailureKind::Locked),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_while_another_process_holds_the_lock_is_not_made_and_can_be_made_later() {
    let stack = Stack::start(config()).await.expect("the stack starts");
    let phone = mobile_number(1);
    let request = send_request(phone.clone(), trust_validation("locked", 1));
    let mut holder = lock_from_another_process(&stack.database());

    let error = stack
        .verification
        .send_code(&request)
        .await
        .expect_err("the first write cannot be made");
    let SendCodeError::Store(store_error) = &error else {
        panic!("the first write failed: {error:?}");
    };
    assert_locked(store_error);
    assert!(!error.may_have_been_sent());
    assert_eq!(
        stack.sim.counters().idmeta_send_requests,
        0,
        "the provider was not called"
    );
    assert!(stack.sim.inbox().is_empty());

    holder.finish();
    assert_eq!(stack.sends_to(&phone).await.expect("reads"), vec![]);
    let sent = stack
        .verification
        .send_code(&request)
        .await
        .expect("once the lock is gone, it is made");
    let records = stack.sends_to(&phone).await.expect("reads");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].reference(), Some(&sent.receipt.reference));
    assert_eq!(stack.sim.counters().idmeta_send_requests, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_sent_while_another_process_takes_the_lock_is_returned_with_its_reference() {
    let (stack, gateway) = stack_with_lock_between_writes().await;
    let phone = mobile_number(2);
    gateway.armed.store(true, Ordering::SeqCst);

    let error = stack
        .verification
        .send_code(&send_request(phone.clone(), trust_validation("locked", 2)))
        .await
        .expect_err("the second write cannot be made");
    let SendCodeError::SentButNotRecorded {
        attempt,
        receipt,
        source,
    } = &error
    else {
        panic!("the provider's answer comes back: {error:?}");
    };
    assert_locked(source);
    assert!(error.may_have_been_sent());
    let delivered = stack.sim.inbox_for(phone.e164());
    assert_eq!(delivered.len(), 1);
    assert_eq!(receipt.reference.as_str(), delivered[0].reference_id);

    assert_left_in_flight(&stack, &gateway, &phone, *attempt).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_send_whose_failure_cannot_be_recorded_says_what_failed() {
    let (stack, gateway) = stack_with_lock_between_writes().await;
    let phone = mobile_number(3);
    stack
        .sim
        .inject(Fault::CloseAfterProcessing, FaultScope::Next(1));
    gateway.armed.store(true, Ordering::SeqCst);

    let error = stack
        .verification
        .send_code(&send_request(phone.clone(), trust_validation("locked", 3)))
        .await
        .expect_err("the send fails, then its record");
    let SendCodeError::FailedAndNotRecorded {
        attempt,
        gateway: failure,
        source,
    } = &error
    else {
        panic!("both failures come back: {error:?}");
    };
    assert_locked(source);
    assert!(
        matches!(failure, GatewayError::OutcomeUnknown { .. }),
        "{failure:?}"
    );
    assert!(error.may_have_been_sent());

    assert_left_in_flight(&stack, &gateway, &phone, *attempt).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_answered_while_another_process_takes_the_lock_returns_the_verdict() {
    let (stack, gateway) = stack_with_lock_between_writes().await;
    let phone = mobile_number(4);
    let tv = trust_validation("locked", 4);
    stack
        .verification
        .send_code(&send_request(phone.clone(), tv.clone()))
        .await
        .expect("sent");
    let code = stack.sim.last_code_for(phone.e164()).expect("delivered");
    gateway.armed.store(true, Ordering::SeqCst);

    let error = stack
        .verification
        .check_code(
            tv.clone(),
            OtpCode::parse(&code).expect("a valid code"),
            None,
        )
        .await
        .expect_err("the second write cannot be made");
    let CheckCodeError::CheckedButNotRecorded { result, source, .. } = &error else {
        panic!("the provider's verdict comes back: {error:?}");
    };
    assert_locked(source);
    assert_eq!(result.verdict(), CheckVerdict::Verified);

    gateway.release();
    let attempts = stack.attempts_of(&tv).await.expect("reads");
    let phone_verify_app::AttemptRecord::Check(check) = &attempts[0] else {
        panic!("the check is recorded: {attempts:?}");
    };
    assert_eq!(
        check.outcome(),
        CheckOutcome::OutcomeUnknown { class: None }
    );
    assert_eq!(
        stack.sim.counters().idmeta_verify_requests,
        1,
        "never asked again"
    );
}
