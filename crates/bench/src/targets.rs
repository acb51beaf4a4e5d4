//! What a row sends through: the bare HTTP baseline, the adapter, or the app's use case.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use idmeta_adapter::{IdmetaClient, SEND_PATH};
use phone_verify_app::{SendCode, SendLimits, SendPolicy, Wiring};
use phone_verify_domain::VerificationGateway;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use secrecy::SecretString;

use phone_verify_domain::error_chain;

use crate::sim::TOKEN;
use crate::stores::StoreUnderTest;
use crate::workload::Job;

/// Long enough for the sends the memory measurement holds open in the simulator.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// One way of sending a code.
#[async_trait]
pub(crate) trait Sender: Send + Sync {
    /// Sends `job`; the error is a short description for the report.
    async fn send(&self, job: &Job) -> Result<(), String>;
}

/// The floor: one pooled `reqwest` client (the adapter's TLS build) posting the prepared
/// body with the adapter's headers and reading the answer whole, nothing else.
pub(crate) struct Baseline {
    http: reqwest::Client,
    url: reqwest::Url,
    authorization: HeaderValue,
}

impl Baseline {
    pub(crate) fn new(base_url: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(REQUEST_TIMEOUT)
            .build()
            .context("no HTTP client for the baseline")?;
        let url = reqwest::Url::parse(base_url)?.join(SEND_PATH)?;
        let authorization = HeaderValue::from_str(&format!("Bearer {TOKEN}"))?;
        Ok(Self {
            http,
            url,
            authorization,
        })
    }
}

#[async_trait]
impl Sender for Baseline {
    async fn send(&self, job: &Job) -> Result<(), String> {
        let response = self
            .http
            .post(self.url.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(job.body.clone())
            .send()
            .await
            .map_err(|error| error.to_string())?;
        let status = response.status();
        response.bytes().await.map_err(|error| error.to_string())?;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {status}"))
        }
    }
}

/// The adapter as the simulator's client, configured as an embedder would (plain HTTP
/// allowed for the loopback simulator only).
pub(crate) fn adapter(base_url: &str) -> anyhow::Result<IdmetaClient> {
    IdmetaClient::builder()
        .base_url(base_url)
        .allow_plain_http(true)
        .token(SecretString::from(TOKEN))
        .request_timeout(REQUEST_TIMEOUT)
        // 10,000 connections opened at once can wait in the listen backlog longer than the
        // default 5 s.
        .connect_timeout(REQUEST_TIMEOUT)
        .build()
        .context("the adapter refused its configuration")
}

/// The adapter's `send_code`.
pub(crate) struct Adapter(pub(crate) IdmetaClient);

#[async_trait]
impl Sender for Adapter {
    async fn send(&self, job: &Job) -> Result<(), String> {
        self.0
            .send_code(&job.request)
            .await
            .map(drop)
            .map_err(|error| error_chain(&error))
    }
}

/// The app's `SendCode` over the adapter and a store, with the default policy: every send
/// of the run goes to a new number and trust validation, so the default limits never refuse.
pub(crate) struct App(SendCode);

impl App {
    pub(crate) fn new(gateway: IdmetaClient, store: &StoreUnderTest) -> Self {
        let wiring = Wiring::new(Arc::new(gateway), store.port());
        let policy = SendPolicy {
            limits: SendLimits::default(),
            ..SendPolicy::default()
        };
        Self(SendCode::new(wiring, policy))
    }
}

#[async_trait]
impl Sender for App {
    async fn send(&self, job: &Job) -> Result<(), String> {
        self.0
            .send(&job.request)
            .await
            .map(drop)
            .map_err(|error| error_chain(&error))
    }
}
