//! Fixtures: numbers, requests and a sign-up back end on a loopback port.

use phone_verify::testing::sim::{self, SimConfig, Simulator};
use phone_verify::{
    PhoneNumber, PhoneVerification, PhoneVerificationBuilder, SendCodeRequest, TrustValidationId,
};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::axum_signup::{Signup, prometheus, router};

pub(crate) const NUMBER: &str = "+60182258491";
pub(crate) const CODE: &str = "123456";

pub(crate) fn request(trust_validation: &str) -> SendCodeRequest {
    SendCodeRequest::new(
        PhoneNumber::parse(NUMBER).expect("a valid number"),
        TrustValidationId::parse(trust_validation).expect("a valid id"),
    )
}

/// The default send policy without its cooldown: a second send at once passes (a resend on
/// another channel, a test that need not wait).
pub(crate) fn no_cooldown() -> phone_verify::policy::SendPolicy {
    phone_verify::policy::SendPolicy {
        limits: phone_verify::policy::SendLimits {
            cooldown: std::time::Duration::ZERO,
            ..phone_verify::policy::SendLimits::default()
        },
        ..phone_verify::policy::SendPolicy::default()
    }
}

/// A simulator that always sends [`CODE`].
pub(crate) async fn simulator() -> Simulator {
    sim::start(SimConfig::default().fixed_code(CODE))
        .await
        .expect("the simulator starts")
}

/// The example's back end on a loopback port, over the verification `builder` makes, with
/// its Prometheus recorder installed for this test's thread only (the test's runtime runs the
/// server on that thread), so `/metrics` shows this test's sends and checks alone.
pub(crate) struct Backend {
    base_url: String,
    client: reqwest::Client,
    server: JoinHandle<()>,
    _metrics: metrics::LocalRecorderGuard<'static>,
}

/// An HTTP answer: status, `Retry-After` and the JSON body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<u64>,
    pub(crate) body: Value,
    pub(crate) text: String,
}

impl Answer {
    /// The body's `error` (or `status`) field.
    pub(crate) fn says(&self) -> &str {
        self.body["error"]
            .as_str()
            .or_else(|| self.body["status"].as_str())
            .unwrap_or("")
    }
}

impl Backend {
    pub(crate) async fn start(builder: PhoneVerificationBuilder) -> Self {
        let verification: PhoneVerification =
            builder.build().await.expect("the verification builds");
        // Leaked: a test's recorder lives as long as the test process.
        let recorder = Box::leak(Box::new(prometheus().build_recorder()));
        let metrics = recorder.handle();
        let local = metrics::set_default_local_recorder(recorder);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let base_url = format!("http://{}", listener.local_addr().expect("an address"));
        let app = router(Signup {
            verification,
            metrics,
        });
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the back end serves");
        });
        Self {
            base_url,
            client: reqwest::Client::new(),
            server,
            _metrics: local,
        }
    }

    /// `GET /metrics`: the status and the text.
    pub(crate) async fn metrics(&self) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}/metrics", self.base_url))
            .send()
            .await
            .expect("the back end answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    }

    pub(crate) async fn post(&self, path: &str, body: &str) -> Answer {
        let response = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("the back end answers");
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").map(|value| {
            value
                .to_str()
                .expect("ascii")
                .parse()
                .expect("whole seconds")
        });
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).expect("a JSON body");
        Answer {
            status,
            retry_after,
            body,
            text,
        }
    }

    pub(crate) async fn ask_for_code(&self, signup_id: &str, phone: &str) -> Answer {
        let body = serde_json::json!({"signup_id": signup_id, "phone": phone});
        self.post("/signup/phone", &body.to_string()).await
    }

    pub(crate) async fn verify(&self, signup_id: &str, code: &str) -> Answer {
        let body = serde_json::json!({"signup_id": signup_id, "code": code});
        self.post("/signup/verify", &body.to_string()).await
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.server.abort();
    }
}
