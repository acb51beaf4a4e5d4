//! The most verbose logs of full calls contain neither the token, nor a full phone number,
//! nor a code.

use std::io::Write;
use std::sync::{Arc, Mutex};

use phone_verify_domain::{PhoneNumber, VerificationGateway};
use tracing_subscriber::fmt::MakeWriter;

use crate::support::{TOKEN, check_request, client, send_request, simulator};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn trace_output_of_a_send_and_a_check_holds_no_token_number_or_code() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    // With exactly one scoped subscriber alive, tracing-core registers a new callsite against the
    // registering thread's default only: a test on another thread (no subscriber) hitting a
    // callsite first would switch it off for this one too. A second, silent dispatcher kept alive
    // for the test makes registration ask every live dispatcher instead.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = simulator().await;
    let gateway = client(&sim);
    let number = "+60182258491";
    gateway
        .send_code(&send_request(number, "tv-log"))
        .await
        .expect("sent");
    let code = sim.last_code_for(number).expect("delivered");
    let mut check = check_request(&code, "tv-log");
    check.phone = Some(PhoneNumber::parse(number).expect("valid"));
    gateway.check_code(&check).await.expect("checked");
    // A failure path too: a wrong code after the right one.
    let wrong = if code == "999999" { "888888" } else { "999999" };
    gateway
        .check_code(&check_request(wrong, "tv-log"))
        .await
        .ok();
    sim.shutdown().await;

    let text = String::from_utf8(captured.0.lock().expect("not poisoned").clone()).expect("utf-8");
    assert!(
        text.contains("idmeta.send_code"),
        "the span was captured:\n{text}"
    );
    assert!(
        text.contains("+60*****8491"),
        "the masked number is there:\n{text}"
    );
    for secret in [TOKEN, number, "182258491", code.as_str(), wrong] {
        assert!(!text.contains(secret), "{secret:?} leaked into:\n{text}");
    }
}
