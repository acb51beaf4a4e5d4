//! Traces mask the number and never carry the code: proven on captured output.

use phone_verify_app::CapturedLogs as Captured;
use phone_verify_domain::MockVerificationGateway;

use crate::support::{
    CODE, FULL_NUMBER, Harness, NATIONAL_NUMBER, REFERENCE, code, gateway_error, receipt, request,
    request_to, secs, tv, verified,
};

#[tokio::test]
async fn traces_of_sends_and_checks_mask_the_number_and_never_show_the_code() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let mut gateway = MockVerificationGateway::new();
    let mut sends = 0;
    gateway.expect_send_code().times(2).returning(move |_| {
        sends += 1;
        if sends == 1 {
            Ok(receipt(
                phone_verify_domain::ReferenceId::parse(REFERENCE).expect("ref"),
            ))
        } else {
            // Its message echoes the full number: it must not reach the trace.
            Err(gateway_error("rejected"))
        }
    });
    gateway
        .expect_check_code()
        .times(1)
        .returning(|_| Ok(verified()));
    let harness = Harness::new(gateway);

    harness.send.send(&request()).await.expect("sent");
    harness.check.check(tv(), code()).await.expect("checked");
    harness.clock.advance(secs(60));
    let other = request_to(crate::support::phone(), "tv-2");
    harness.send.send(&other).await.expect_err("rejected");

    let text = captured.text();
    assert!(text.contains("send_code"), "the send is traced: {text}");
    assert!(text.contains("check_code"), "the check is traced: {text}");
    assert!(
        text.contains("+60*****8491"),
        "the masked number is traced: {text}"
    );
    assert!(text.contains(REFERENCE), "the reference is traced: {text}");
    assert!(
        !text.contains(NATIONAL_NUMBER),
        "the full number leaked: {text}"
    );
    assert!(
        !text.contains(FULL_NUMBER),
        "the full number leaked: {text}"
    );
    assert!(!text.contains(CODE), "the code leaked: {text}");
}
