//! An ordinary embedder's logs hold no phone number: a `tracing-subscriber` registry at
//! `trace` with the `log` bridge every `fmt().init()` installs, set up the way the README's
//! "Logging" says (the facade's `PhoneLogGuard` first), while sends and checks run through the
//! facade against the simulator. The numbering library logs the national number in clear at
//! `trace`; the guard keeps it out. Its own test binary: the subscriber and the bridge are
//! process-wide.

use std::io::Write;
use std::sync::{Arc, Mutex};

use phone_verify::testing::sim;
use phone_verify::{
    OtpCode, PhoneLogGuard, PhoneNumber, PhoneVerification, SendCodeRequest, TrustValidationId,
};
use tracing_subscriber::layer::SubscriberExt as _;

/// Everything the subscriber printed.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned()
    }
}

/// Sends and checks a code for `number` through the facade on the simulator.
async fn send_and_check(number: &str) {
    let simulator = sim::start(sim::SimConfig::default())
        .await
        .expect("the simulator starts");
    let verification = PhoneVerification::builder()
        .simulator(&simulator)
        .build()
        .await
        .expect("builds");
    let request = SendCodeRequest {
        phone: PhoneNumber::parse(number).expect("a number"),
        trust_validation: TrustValidationId::parse("tv-logging").expect("an id"),
    };
    verification.send_code(&request).await.expect("sent");
    let code = simulator
        .last_code_for(request.phone.e164())
        .expect("delivered");
    let checked = verification
        .check_code(
            request.trust_validation.clone(),
            OtpCode::parse(&code).expect("a code"),
        )
        .await
        .expect("checked");
    assert!(checked.is_verified());
}

#[tokio::test]
async fn an_ordinary_subscriber_at_trace_set_up_as_the_readme_says_logs_no_number() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_log::LogTracer::init().expect("the log bridge, as fmt().init() installs it");
    let subscriber = tracing_subscriber::registry()
        .with(PhoneLogGuard::new())
        .with(tracing_subscriber::EnvFilter::new("trace"))
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(move || writer.clone()),
        );
    tracing::subscriber::set_global_default(subscriber).expect("the process's subscriber");

    send_and_check("+60 18-225 8491").await;

    let text = captured.text();
    assert!(
        text.contains("+60*****8491"),
        "the masked number is logged, so the capture works:\n{text}"
    );
    for form in ["+60182258491", "60182258491", "182258491", "18-225 8491"] {
        assert!(!text.contains(form), "{form:?} reached the log:\n{text}");
    }
}
