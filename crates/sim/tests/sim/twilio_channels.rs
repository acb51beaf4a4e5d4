//! Twilio's channels, locale and app hash: a send names `sms`, `call` or `whatsapp` (anything
//! else is 400 60200 and delivers nothing), may name a well-formed `Locale` and, with SMS only,
//! an `AppHash` (60602 otherwise); the inbox and the answer show what was used.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Harness, harness};
use crate::twilio::TO;

impl Harness {
    /// A send to `TO` with `fields` after `To`.
    async fn twilio_send_with(&self, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut form = vec![("To", TO)];
        form.extend_from_slice(fields);
        self.twilio_json("Verifications", &form).await
    }

    /// Asserts a 400 with Twilio's `code` and that nothing was delivered.
    fn assert_refused_and_nothing_sent(&self, answer: &(StatusCode, Value), code: u64) {
        let (status, body) = answer;
        assert_eq!(*status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            (body["code"].as_u64(), body["status"].as_u64()),
            (Some(code), Some(400)),
            "{body}"
        );
        assert_eq!(
            body["more_info"],
            format!("https://www.twilio.com/docs/errors/{code}")
        );
        assert!(self.sim.inbox_for(TO).is_empty(), "nothing was delivered");
        assert_eq!(self.sim.counters().twilio_codes_sent, 0);
    }
}

#[tokio::test]
async fn a_call_and_a_whatsapp_send_deliver_on_their_channel_and_the_answer_names_it() {
    for channel in ["call", "whatsapp"] {
        let h = harness().await;
        let (status, sent) = h.twilio_send_with(&[("Channel", channel)]).await;
        assert_eq!(status, StatusCode::CREATED, "{sent}");
        assert_eq!(sent["channel"], channel);
        assert_eq!(
            sent["send_code_attempts"][0]["channel"],
            channel.to_uppercase()
        );
        let inbox = h.sim.inbox_for(TO);
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].channel, channel);
        assert_eq!((&inbox[0].locale, &inbox[0].app_hash), (&None, &None));
        let (status, checked) = h.twilio_check(("To", TO), &inbox[0].code).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (checked["status"].as_str(), checked["channel"].as_str()),
            (Some("approved"), Some(channel)),
            "{checked}"
        );
    }
}

#[tokio::test]
async fn a_channel_the_simulator_does_not_offer_is_60200_and_sends_nothing() {
    for channel in ["email", "sna", "auto", "SMS", "pigeon", ""] {
        let h = harness().await;
        let answer = h.twilio_send_with(&[("Channel", channel)]).await;
        h.assert_refused_and_nothing_sent(&answer, 60200);
        assert_eq!(answer.1["message"], "Invalid parameter `Channel`");
    }
    let h = harness().await;
    let answer = h.twilio_send_with(&[]).await;
    h.assert_refused_and_nothing_sent(&answer, 60200);
}

#[tokio::test]
async fn a_malformed_locale_is_60200_and_sends_nothing() {
    for locale in ["", "english", "en_GB", "en-", "e", "en-abcdefghi"] {
        let h = harness().await;
        let answer = h
            .twilio_send_with(&[("Channel", "sms"), ("Locale", locale)])
            .await;
        h.assert_refused_and_nothing_sent(&answer, 60200);
        assert_eq!(answer.1["message"], "Invalid parameter `Locale`");
    }
}

#[tokio::test]
async fn an_app_hash_with_a_call_is_60602_and_sends_nothing() {
    for channel in ["call", "whatsapp"] {
        let h = harness().await;
        let answer = h
            .twilio_send_with(&[("Channel", channel), ("AppHash", "He42w354ol9")])
            .await;
        h.assert_refused_and_nothing_sent(&answer, 60602);
    }
}

#[tokio::test]
async fn the_inbox_records_the_locale_and_app_hash_over_the_admin_route_too() {
    let h = harness().await;
    let (status, _) = h
        .twilio_send_with(&[
            ("Channel", "sms"),
            ("Locale", "pt-BR"),
            ("AppHash", "KRkY+kXZhTh"),
        ])
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let inbox = h.sim.inbox_for(TO);
    assert_eq!(inbox[0].channel, "sms");
    assert_eq!(inbox[0].locale.as_deref(), Some("pt-BR"));
    assert_eq!(inbox[0].app_hash.as_deref(), Some("KRkY+kXZhTh"));

    let (_, shown) = crate::support::json_of(
        h.client
            .get(h.url("/__sim/inbox"))
            .send()
            .await
            .expect("an answer"),
    )
    .await;
    assert_eq!(
        (
            shown[0]["channel"].as_str(),
            shown[0]["locale"].as_str(),
            shown[0]["app_hash"].as_str()
        ),
        (Some("sms"), Some("pt-BR"), Some("KRkY+kXZhTh")),
        "{shown}"
    );
}

#[tokio::test]
async fn no_sms_then_a_call_re_sends_the_same_code_on_the_same_sid_by_voice() {
    let h = harness().await;
    let (_, first) = h.twilio_send_with(&[("Channel", "sms")]).await;
    h.clock.advance(Duration::from_secs(60));
    let (status, again) = h
        .twilio_send_with(&[("Channel", "call"), ("Locale", "en")])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["sid"], first["sid"]);
    assert_eq!(again["channel"], "call");
    let attempts: Vec<_> = again["send_code_attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|attempt| attempt["channel"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(attempts, ["SMS", "CALL"]);
    let inbox = h.sim.inbox_for(TO);
    let channels: Vec<_> = inbox.iter().map(|message| message.channel).collect();
    assert_eq!(channels, ["sms", "call"]);
    assert_eq!(inbox[0].code, inbox[1].code, "the same code");
    assert_eq!(inbox[1].locale.as_deref(), Some("en"));
    h.twilio_approves(("To", TO), &inbox[0].code).await;
}

#[tokio::test]
async fn idmeta_delivers_sms_in_its_own_words() {
    let h = harness().await;
    h.send_ok("tv-idmeta").await;
    let inbox = h.sim.inbox_for(crate::support::PHONE);
    assert_eq!(inbox[0].channel, "sms");
    assert_eq!((&inbox[0].locale, &inbox[0].app_hash), (&None, &None));
}
