//! Calls, WhatsApp, the end user's language and the Android app hash, against the simulator's
//! Twilio routes over real sockets: what the handset received is what the send asked for.

use phone_verify_domain::{AppHash, Channel, Locale, VerificationGateway};
use phone_verify_sim::Simulator;
use twilio_verify_adapter::TwilioClient;

use crate::support::{TO, check_request, client, send_request, simulator};

fn locale(tag: &str) -> Locale {
    Locale::parse(tag).expect("a valid locale")
}

fn app_hash(hash: &str) -> AppHash {
    AppHash::parse(hash).expect("a valid app hash")
}

/// A client of `sim` whose defaults are the locale `ms` and an app hash.
fn configured(sim: &Simulator) -> TwilioClient {
    crate::support::builder(&sim.base_url())
        .locale(locale("ms"))
        .app_hash(app_hash("KRkY+kXZhTh"))
        .build()
        .expect("a valid configuration")
}

/// Sends on `channel`, then checks the code the handset received by the send's reference.
async fn send_and_verify_on(channel: Channel) {
    let sim = simulator().await;
    let gateway = client(&sim);
    let receipt = gateway
        .send_code(&send_request(TO).with_channel(channel))
        .await
        .expect("sent");
    let delivered = sim.inbox_for(TO);
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].channel, channel.as_str());
    assert_eq!(delivered[0].reference_id, receipt.reference.as_str());
    let result = gateway
        .check_code(&check_request(&delivered[0].code, Some(&receipt.reference)))
        .await
        .expect("an answer");
    assert!(result.is_verified(), "{result:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_call_delivers_a_code_that_verifies() {
    send_and_verify_on(Channel::Call).await;
}

#[tokio::test]
async fn a_whatsapp_message_delivers_a_code_that_verifies() {
    send_and_verify_on(Channel::WhatsApp).await;
}

#[tokio::test]
async fn the_client_s_locale_and_app_hash_reach_the_handset_unless_the_request_has_its_own() {
    let sim = simulator().await;
    let gateway = configured(&sim);
    gateway.send_code(&send_request(TO)).await.expect("sent");
    let by_default = sim.inbox_for(TO).pop().expect("delivered");
    assert_eq!(
        (by_default.locale.as_deref(), by_default.app_hash.as_deref()),
        (Some("ms"), Some("KRkY+kXZhTh"))
    );

    let asked = send_request(TO)
        .with_locale(locale("en-GB"))
        .with_app_hash(app_hash("He42w354ol9"));
    gateway.send_code(&asked).await.expect("sent");
    let own = sim.inbox_for(TO).pop().expect("delivered");
    assert_eq!(
        (own.locale.as_deref(), own.app_hash.as_deref()),
        (Some("en-GB"), Some("He42w354ol9"))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_call_goes_out_in_the_locale_without_the_app_hash_twilio_would_refuse() {
    let sim = simulator().await;
    let gateway = configured(&sim);
    let call = send_request(TO)
        .with_channel(Channel::Call)
        .with_app_hash(app_hash("He42w354ol9"));
    // The simulator refuses an app hash on a call (60602), as Twilio does.
    gateway.send_code(&call).await.expect("sent");
    let delivered = sim.inbox_for(TO).pop().expect("delivered");
    assert_eq!(delivered.channel, "call");
    assert_eq!(
        (delivered.locale.as_deref(), delivered.app_hash.as_deref()),
        (Some("ms"), None)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn no_sms_then_a_call_keeps_the_reference_and_the_code() {
    let sim = simulator().await;
    let gateway = client(&sim);
    let sms = gateway.send_code(&send_request(TO)).await.expect("sent");
    let call = gateway
        .send_code(&send_request(TO).with_channel(Channel::Call))
        .await
        .expect("sent");
    assert_eq!(call.reference, sms.reference, "the same verification");
    let delivered = sim.inbox_for(TO);
    let channels: Vec<_> = delivered.iter().map(|message| message.channel).collect();
    assert_eq!(channels, ["sms", "call"]);
    assert_eq!(delivered[0].code, delivered[1].code, "the same code");
    let result = gateway
        .check_code(&check_request(&delivered[1].code, Some(&sms.reference)))
        .await
        .expect("an answer");
    assert!(result.is_verified(), "{result:?}");
    sim.shutdown().await;
}
