//! The most verbose trace output of full calls holds neither a credential, nor a full phone
//! number, nor a code.

use std::io::Write;
use std::sync::{Arc, Mutex};

use phone_verify_domain::{GatewayError, VerificationGateway};
use phone_verify_sim::{
    DEFAULT_TWILIO_ACCOUNT_SID, Fault, FaultScope, one_shot_server, raw_answer,
};
use tracing_subscriber::fmt::format::FmtSpan;

use crate::exact_request::CHECK_OK;
use crate::support::{AUTH_TOKEN, TO, check_request, client, send_request, simulator, wrong};

/// One writer per event, all appending to one buffer.
#[derive(Clone)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A subscriber at `trace` that prints spans on close into one buffer, installed for the
/// current thread while the returned guards live.
fn capture() -> (
    Arc<Mutex<Vec<u8>>>,
    (tracing::subscriber::DefaultGuard, tracing::Dispatch),
) {
    let captured = Arc::new(Mutex::new(Vec::<u8>::new()));
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer({
            let shared = Shared(Arc::clone(&captured));
            move || shared.clone()
        })
        .with_ansi(false)
        .finish();
    // With one scoped subscriber alive, a callsite first hit by a test on another thread
    // would be registered as off for this one too; a second live dispatcher makes
    // registration ask every dispatcher (see idmeta-adapter's logging test).
    let second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let guard = tracing::subscriber::set_default(subscriber);
    (captured, (guard, second))
}

fn text(captured: &Mutex<Vec<u8>>) -> String {
    String::from_utf8(captured.lock().expect("not poisoned").clone()).expect("utf-8")
}

#[tokio::test(flavor = "current_thread")]
async fn trace_output_of_sends_and_checks_holds_no_credential_number_or_code() {
    let (captured, _capturing) = capture();

    let sim = simulator().await;
    let gateway = client(&sim);
    let receipt = gateway.send_code(&send_request(TO)).await.expect("sent");
    let code = sim.last_code_for(TO).expect("delivered");
    gateway
        .check_code(&check_request(wrong(&code), Some(&receipt.reference)))
        .await
        .expect("a wrong code is an answer");
    gateway
        .check_code(&check_request(&code, None))
        .await
        .expect("verified");
    // A failure path too: an error answer and a retry warning.
    sim.inject(
        Fault::ServerError {
            status: 503,
            html: false,
        },
        FaultScope::Next(1),
    );
    gateway.send_code(&send_request(TO)).await.expect_err("503");
    sim.shutdown().await;

    let text = text(&captured);
    assert!(
        text.contains("twilio.send_code"),
        "the spans were captured: {text}"
    );
    assert!(text.contains("twilio.check_code"), "{text}");
    assert!(text.contains("http.status=503"), "{text}");
    assert!(text.contains("twilio.error_code=20503"), "{text}");
    let basic = "QUMwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDp0d2lsaW8tdGVzdC10b2tlbi03YzQx";
    for secret in [
        AUTH_TOKEN,
        DEFAULT_TWILIO_ACCOUNT_SID,
        basic,
        "17122661",
        code.as_str(),
    ] {
        assert!(!text.contains(secret), "{secret} leaked into: {text}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_log_of_an_unreadable_answer_says_why_without_quoting_it() {
    let (captured, _capturing) = capture();
    // An answer that claims approval without `valid` agreeing, and that holds the number.
    let disagreeing = CHECK_OK.replace("\"valid\":true", "\"valid\":false");
    let (url, _request) =
        one_shot_server(raw_answer("200 OK", "application/json", &disagreeing)).await;
    let error = crate::exact_request::client(&url)
        .check_code(&check_request("123456", None))
        .await
        .expect_err("the answer contradicts itself");
    assert!(
        matches!(error, GatewayError::InvalidResponse { status: 200, .. }),
        "{error:?}"
    );

    let text = text(&captured);
    // The reason is the error's source, recorded with it by the shared span closing.
    assert!(
        text.contains("`status` and `valid` disagree"),
        "the reason is logged:\n{text}"
    );
    assert!(text.contains("provider call failed"), "{text}");
    assert!(
        !text.contains("17122661"),
        "the answer leaked into:\n{text}"
    );
}
