//! Shared helpers: a started simulator with a manual clock, and a client that speaks its API.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use phone_verify_sim::{IDMETA_SEND_PATH, IDMETA_VERIFY_PATH, SimClock, SimConfig, Simulator};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

pub(crate) const TOKEN: &str = "test-token";
pub(crate) const PHONE: &str = "+60182258491";

pub(crate) fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 0)
        .single()
        .expect("a valid start time")
}

/// A simulator on a manual clock, a client, and the clock to move.
pub(crate) struct Harness {
    pub(crate) sim: Simulator,
    pub(crate) client: reqwest::Client,
    pub(crate) clock: SimClock,
}

/// The default test configuration: our token, a manual clock.
pub(crate) fn config() -> SimConfig {
    SimConfig::default()
        .idmeta_token(TOKEN)
        .clock(SimClock::manual(start_time()))
}

pub(crate) async fn harness() -> Harness {
    harness_with(config()).await
}

pub(crate) async fn harness_with(config: SimConfig) -> Harness {
    let sim = phone_verify_sim::start(config)
        .await
        .expect("the simulator starts");
    let clock = sim.clock();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client");
    Harness { sim, client, clock }
}

pub(crate) fn send_body(e164_country: &str, national: &str, trust_validation_id: &str) -> Value {
    json!({
        "country_code": e164_country,
        "phone_number": national,
        "trustFlowId": 147,
        "trustValidationId": trust_validation_id,
    })
}

pub(crate) fn verify_body(trust_validation_id: &str, otp: &str) -> Value {
    json!({ "otp": otp, "trustFlowId": 147, "trustValidationId": trust_validation_id })
}

impl Harness {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.sim.base_url(), path)
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(TOKEN)
            .header("Accept", "application/json")
            .json(body)
            .send()
            .await
            .expect("the simulator answers")
    }

    pub(crate) async fn try_post(&self, path: &str, body: &Value) -> reqwest::Result<Response> {
        self.client
            .post(self.url(path))
            .bearer_auth(TOKEN)
            .json(body)
            .send()
            .await
    }

    /// Sends a code to +60182258491 for `trust_validation_id`.
    pub(crate) async fn send(&self, trust_validation_id: &str) -> Response {
        self.post(
            IDMETA_SEND_PATH,
            &send_body("+60", "182258491", trust_validation_id),
        )
        .await
    }

    pub(crate) async fn verify(&self, trust_validation_id: &str, otp: &str) -> Response {
        self.post(IDMETA_VERIFY_PATH, &verify_body(trust_validation_id, otp))
            .await
    }

    /// Sends, expects 200, and returns the delivered code.
    pub(crate) async fn send_ok(&self, trust_validation_id: &str) -> String {
        let response = self.send(trust_validation_id).await;
        assert_eq!(response.status(), StatusCode::OK);
        self.sim.last_code_for(PHONE).expect("a code was delivered")
    }
}

/// Status and JSON body of a response.
pub(crate) async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json().await.expect("a JSON body");
    (status, body)
}

/// The verdict fields of a verify answer: codeState, verificationStatus, verificationStatusCode.
pub(crate) fn verdict(body: &Value) -> (String, String, i64) {
    (
        body["data"]["verify"]["codeState"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body["verificationStatus"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body["verificationStatusCode"].as_i64().unwrap_or(-1),
    )
}

pub(crate) fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The JSON text with every value replaced by its type, keys and their order kept:
/// `{"a":"<string>","b":{"c":<number>}}`. Two bodies with the same skeleton have the same field
/// names, casing, order, nesting and types.
pub(crate) fn skeleton(json_text: &str) -> String {
    let chars: Vec<char> = json_text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' => {
                let start = i;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                let mut j = i;
                while j < chars.len() && chars[j].is_whitespace() {
                    j += 1;
                }
                if chars.get(j) == Some(&':') {
                    out.extend(&chars[start..i]);
                } else {
                    out.push_str("\"<string>\"");
                }
                continue;
            }
            '-' | '0'..='9' => {
                while i < chars.len() && matches!(chars[i], '-' | '+' | '.' | 'e' | 'E' | '0'..='9')
                {
                    i += 1;
                }
                out.push_str("<number>");
                continue;
            }
            't' | 'f' => {
                i += if c == 't' { 4 } else { 5 };
                out.push_str("<bool>");
                continue;
            }
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
        i += 1;
    }
    out
}

#[test]
fn the_skeleton_keeps_keys_and_order_and_hides_values() {
    assert_eq!(
        skeleton(r#"{"b": 1, "a": {"x": "y:z", "t": true}, "n": null, "l": [-1.5e3]}"#),
        r#"{"b":<number>,"a":{"x":"<string>","t":<bool>},"n":null,"l":[<number>]}"#
    );
    assert_ne!(skeleton(r#"{"a":1,"b":2}"#), skeleton(r#"{"b":1,"a":2}"#));
}
