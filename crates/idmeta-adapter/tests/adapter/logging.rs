//! The most verbose logs of full calls contain neither the token, nor a full phone number,
//! nor a code.

use std::io::Write;
use std::sync::{Arc, Mutex};

use phone_verify_domain::{PhoneNumber, VerificationGateway};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::exact_request::{VERIFY_OK, ok, one_shot_server, verify_ok_for};
use crate::support::{TOKEN, check_request, client, send_request, simulator};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

/// What [`Captured::install`] keeps alive: the capturing subscriber as this thread's default,
/// and a second dispatcher (see there).
struct Capturing {
    _guard: tracing::subscriber::DefaultGuard,
    _second: tracing::Dispatch,
}

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

impl Captured {
    /// Captures everything at `trace` on this thread while the result lives, and each span
    /// when it closes with every field recorded into it.
    fn install(&self) -> Capturing {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(FmtSpan::CLOSE)
            .with_writer(self.clone())
            .with_ansi(false)
            .finish();
        // With exactly one scoped subscriber alive, tracing-core registers a new callsite
        // against the registering thread's default only: a test on another thread (no
        // subscriber) hitting a callsite first would switch it off for this one too. A
        // second, silent dispatcher kept alive for the test makes registration ask every live
        // dispatcher instead.
        let second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
        Capturing {
            _guard: tracing::subscriber::set_default(subscriber),
            _second: second,
        }
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().expect("not poisoned").clone()).expect("utf-8")
    }
}

#[tokio::test(flavor = "current_thread")]
async fn trace_output_of_a_send_and_a_check_holds_no_token_number_or_code() {
    let captured = Captured::default();
    let _capturing = captured.install();

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

    let text = captured.text();
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

#[tokio::test(flavor = "current_thread")]
async fn an_unlisted_code_state_is_not_copied_into_the_span() {
    let captured = Captured::default();
    let _capturing = captured.install();
    let echo =
        verify_ok_for("tv-echo").replace(r#""codeState":"VALID""#, r#""codeState":"+60182258491""#);
    assert!(
        echo.contains(r#""codeState":"+60182258491""#),
        "the fixture has the code state to replace"
    );
    let (url, _request) = one_shot_server(ok(&echo)).await;
    let checked = crate::exact_request::client(&url)
        .check_code(&check_request("012345", "tv-echo"))
        .await
        .expect("an answer");
    assert_eq!(
        checked.code_state.as_str(),
        "unlisted",
        "a state that is no short token is not kept as sent"
    );

    let text = captured.text();
    assert!(
        text.contains("idmeta.check_code"),
        "the span was captured:\n{text}"
    );
    assert!(
        text.contains("code_state"),
        "the field is recorded:\n{text}"
    );
    assert!(
        !text.contains("182258491"),
        "the provider's text leaked into:\n{text}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_log_of_an_unreadable_answer_says_why_without_quoting_it() {
    let captured = Captured::default();
    let _capturing = captured.install();
    let echo = VERIFY_OK.replace(r#""codeState":"VALID""#, r#""codeState":"+60182258491","#);
    let (url, _request) = one_shot_server(ok(&echo)).await;
    let error = crate::exact_request::client(&url)
        .check_code(&check_request("012345", "tv-unreadable"))
        .await
        .expect_err("the answer is not JSON");
    assert!(
        matches!(
            error,
            phone_verify_domain::GatewayError::InvalidResponse { .. }
        ),
        "{error:?}"
    );

    let text = captured.text();
    // The reason is the error's source, recorded with it.
    assert!(
        text.contains("is not valid JSON"),
        "the reason is logged:\n{text}"
    );
    assert!(
        !text.contains("182258491"),
        "the answer leaked into:\n{text}"
    );
}
