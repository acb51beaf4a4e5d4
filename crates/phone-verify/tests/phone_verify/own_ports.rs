//! An embedder's own gateway and store, written with this crate's types alone (no `chrono`,
//! no layered crate), handed to the builder in `Arc`s the embedder keeps.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use phone_verify::ports::{
    CheckCodeRequest, CheckResult, DateTime, GatewayError, InMemoryVerificationStore, ReferenceId,
    SendReceipt, Utc, VerificationGateway, async_trait,
};
use phone_verify::records::{AttemptRecord, PageRequest};
use phone_verify::{OtpCode, PhoneVerification, SendCodeRequest};

use phone_verify::testing::{ManualClock, SequentialIds};

use crate::support::{CODE, request};

/// A provider of the embedder's own: every code it sends is [`CODE`].
#[derive(Debug, Default)]
struct OwnSms {
    sends: AtomicUsize,
}

fn answered_at() -> DateTime<Utc> {
    "2026-05-14T10:00:00Z".parse().expect("a valid instant")
}

fn reference() -> ReferenceId {
    ReferenceId::parse("own-1").expect("a valid reference")
}

#[async_trait]
impl VerificationGateway for OwnSms {
    async fn send_code(&self, _request: &SendCodeRequest) -> Result<SendReceipt, GatewayError> {
        self.sends.fetch_add(1, Ordering::SeqCst);
        Ok(SendReceipt::accepted(reference(), answered_at()))
    }

    async fn check_code(&self, request: &CheckCodeRequest) -> Result<CheckResult, GatewayError> {
        let result = if request.code.expose() == CODE {
            CheckResult::verified(answered_at())
        } else {
            CheckResult::wrong_code(answered_at())
        };
        Ok(result.with_reference(reference()))
    }
}

#[tokio::test]
async fn a_gateway_and_a_store_of_ones_own_serve_through_the_arcs_the_embedder_keeps() {
    let gateway = Arc::new(OwnSms::default());
    let store = Arc::new(InMemoryVerificationStore::new());
    let verification = PhoneVerification::builder()
        .gateway(Arc::clone(&gateway))
        .store(Arc::clone(&store))
        .clock(ManualClock::new(answered_at()))
        .ids(SequentialIds::default())
        .build()
        .await
        .expect("wired");
    let request = request("tv-own");

    verification.send_code(&request).await.expect("sent");
    let check = |code: &str| {
        let code = OtpCode::parse(code).expect("a code");
        verification.check_code(request.trust_validation.clone(), code, None)
    };
    let wrong = check("999999").await.expect("an answer");
    let right = check(CODE).await.expect("an answer");

    assert!(!wrong.is_verified());
    assert!(right.is_verified());
    assert_eq!(gateway.sends.load(Ordering::SeqCst), 1);
    assert_eq!(
        store.len(),
        3,
        "one send and two checks, in the store the embedder kept"
    );
    let history = verification
        .records()
        .history_of_trust_validation(&request.trust_validation, PageRequest::first(10))
        .await
        .expect("the history reads");
    let lines: Vec<String> = history.items.iter().map(AttemptRecord::to_string).collect();
    let send = "00000000-0000-0000-0000-000000000001";
    let at = "at 2026-05-14T10:00:00Z";
    assert_eq!(
        lines,
        [
            format!(
                "check 00000000-0000-0000-0000-000000000003 of send {send} to +60*****8491 \
                 for tv-own: verified (reference own-1) {at}"
            ),
            format!(
                "check 00000000-0000-0000-0000-000000000002 of send {send} to +60*****8491 \
                 for tv-own: wrong_code (reference own-1) {at}"
            ),
            format!(
                "send {send} to +60*****8491 via default for tv-own: sent (reference own-1) {at}"
            ),
        ]
    );
}
