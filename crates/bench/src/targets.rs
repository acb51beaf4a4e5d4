//! What a row sends through: the bare HTTP baseline, the adapter, or the library's
//! `send_code` as its builder wires it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use idmeta_adapter::{IdmetaClient, IdmetaClientBuilder, SEND_PATH};
use phone_verify::PhoneVerification;
use phone_verify::policy::{ConversionBreaker, NumberRanges, SendPolicy};
use phone_verify_domain::VerificationGateway;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use secrecy::SecretString;
use uuid::Uuid;

use phone_verify_domain::error_chain;

use crate::sim::TOKEN;
use crate::stores::{BareSql, StoreUnderTest};
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

impl Baseline {
    /// Posts `job`'s body and reads the answer whole: its status, `Retry-After` and body.
    async fn post(&self, job: &Job) -> Result<(u16, Option<String>, bytes::Bytes), String> {
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
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(|error| error.to_string())?;
        Ok((status, retry_after, body))
    }
}

#[async_trait]
impl Sender for Baseline {
    async fn send(&self, job: &Job) -> Result<(), String> {
        let (status, _, _) = self.post(job).await?;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(format!("HTTP {status}"))
        }
    }
}

/// The baseline, then the adapter's own decoder on its answer (`classify_send`, through the
/// adapter's `fuzzing` feature): the baseline plus exactly the JSON decode and
/// classification the adapter does. Between this row and the adapter's is everything else
/// the adapter adds (the request's encoding, the span, the retry wrapper, the body handover
/// and the size cap).
pub(crate) struct BaselineDecoded(pub(crate) Baseline);

#[async_trait]
impl Sender for BaselineDecoded {
    async fn send(&self, job: &Job) -> Result<(), String> {
        let (status, retry_after, body) = self.0.post(job).await?;
        idmeta_adapter::fuzzing::decode_send(status, retry_after.as_deref(), &body)
            .map(drop)
            .map_err(|error| error_chain(&error))
    }
}

/// Runs `$query` on whichever pool `$sql` holds. A macro, since the query's type is each
/// engine's own: the expression is built once per arm.
macro_rules! on_pool {
    ($sql:expr, $query:expr) => {
        match $sql {
            BareSql::Sqlite(pool) => $query.execute(pool).await.map(drop),
            BareSql::Postgres(pool) => $query.execute(pool).await.map(drop),
        }
    };
}

/// The floor's statements, the same on both engines as the store's are: `$n` parameters, a
/// UUID (16 bytes in SQLite), `TRUE`.
const BARE_INSERT: &str = "INSERT INTO verification_attempts \
     (id, kind, phone_e164, trust_flow, trust_validation, started_at_ns, counts) \
     VALUES ($1, 'send', $2, $3, $4, $5, TRUE)";
const BARE_UPDATE: &str = "UPDATE verification_attempts \
     SET finished_at_ns = $1, outcome = 'sent', reference = $2 WHERE id = $3";

/// The floor of a durable store: per send, the SQL a user would write by hand with sqlx
/// around the baseline's POST, on the store's own schema and durability settings
/// ([`StoreUnderTest::bare_sql`]): one `INSERT` of the attempt when the send starts, one
/// `UPDATE` with its outcome when it ends, each committing on its own. No guard, no
/// reservation, no transaction around a read: what no store can go below, two commits a send.
pub(crate) struct BareSqlSend {
    http: Baseline,
    sql: BareSql,
    /// The first half of every id this sender writes: its creation time, so two floor rows
    /// on one database never collide.
    run: u64,
    next: AtomicU64,
}

impl BareSqlSend {
    pub(crate) async fn new(base_url: &str, store: &StoreUnderTest) -> anyhow::Result<Self> {
        Ok(Self {
            http: Baseline::new(base_url)?,
            sql: store.bare_sql().await?,
            run: now_ns()?.unsigned_abs(),
            next: AtomicU64::new(0),
        })
    }

    /// Closes the pool, so its connections do not outlive the row.
    pub(crate) async fn close(&self) {
        match &self.sql {
            BareSql::Sqlite(pool) => pool.close().await,
            BareSql::Postgres(pool) => pool.close().await,
        }
    }

    async fn insert(&self, id: Uuid, job: &Job) -> Result<(), sqlx::Error> {
        let request = &job.request;
        let started = now_ns().map_err(|error| sqlx::Error::Protocol(error.to_string()))?;
        on_pool!(
            &self.sql,
            sqlx::query(BARE_INSERT)
                .bind(id)
                .bind(request.phone.e164())
                // The column every release writes; nothing of meaning since the Trust Flow
                // left the port's requests.
                .bind(0_i64)
                .bind(request.trust_validation.as_str())
                .bind(started)
        )
    }

    async fn finish(&self, id: Uuid) -> Result<(), sqlx::Error> {
        let finished = now_ns().map_err(|error| sqlx::Error::Protocol(error.to_string()))?;
        on_pool!(
            &self.sql,
            sqlx::query(BARE_UPDATE)
                .bind(finished)
                .bind(id.simple().to_string())
                .bind(id)
        )
    }
}

#[async_trait]
impl Sender for BareSqlSend {
    async fn send(&self, job: &Job) -> Result<(), String> {
        let id = Uuid::from_u64_pair(self.run, self.next.fetch_add(1, Ordering::Relaxed));
        self.insert(id, job)
            .await
            .map_err(|error| format!("INSERT: {error}"))?;
        self.http.send(job).await?;
        self.finish(id)
            .await
            .map_err(|error| format!("UPDATE: {error}"))
    }
}

fn now_ns() -> anyhow::Result<i64> {
    chrono::Utc::now()
        .timestamp_nanos_opt()
        .context("the clock is out of range")
}

/// The adapter's configuration for the simulator, as an embedder would write it (plain HTTP
/// allowed for the loopback simulator only).
fn adapter_builder(base_url: &str) -> IdmetaClientBuilder {
    IdmetaClient::builder()
        .trust_flow(idmeta_adapter::TrustFlowId::new(147))
        .base_url(base_url)
        .allow_plain_http(true)
        .token(SecretString::from(TOKEN))
        .request_timeout(REQUEST_TIMEOUT)
        // 10,000 connections opened at once can wait in the listen backlog longer than the
        // default 5 s.
        .connect_timeout(REQUEST_TIMEOUT)
}

/// The adapter as the simulator's client, alone.
pub(crate) fn adapter(base_url: &str) -> anyhow::Result<IdmetaClient> {
    adapter_builder(base_url)
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

/// The library's `send_code` over the adapter and a store, wired by its builder as an
/// embedder wires it, under `policy`: [`app_policy`] for the app rows, [`pumping_guards`] for
/// the rows that measure what the guards against pumping cost.
pub(crate) struct App(PhoneVerification);

impl App {
    pub(crate) async fn new(
        base_url: &str,
        store: &StoreUnderTest,
        policy: SendPolicy,
    ) -> anyhow::Result<Self> {
        let builder = PhoneVerification::builder()
            .idmeta(adapter_builder(base_url))
            .send_policy(policy);
        let verification = store
            .keep_records(builder)
            .build()
            .await
            .context("the library refused its configuration")?;
        Ok(Self(verification))
    }
}

/// The app rows' policy: the default guards per number and per trust validation, none of the
/// guards against pumping. Every send of a run goes to a new number and trust validation, so
/// these never refuse; the default guard of ranges would (a run sends to thousands of numbers
/// of one country within a minute, beyond any honest traffic: `docs/architecture.md`, "Guard
/// defaults").
pub(crate) fn app_policy() -> SendPolicy {
    SendPolicy::without_pumping_guards()
}

/// The guards against pumping that the defaults turn on, each reading what it reads on every
/// send but set so that none refuses the run's traffic: the guard of ranges (3 hidden
/// digits, no cap on the numbers) and the conversion breaker (its sample of 200 sends read,
/// no least share). Country budgets (a count of up to the budget's sends a send) and the guard
/// of clients (number keys and a client per request) are not measured.
pub(crate) fn pumping_guards() -> SendPolicy {
    let mut policy = SendPolicy::default();
    policy.limits.number_ranges = Some(NumberRanges {
        max_numbers: u32::MAX,
        ..NumberRanges::default()
    });
    policy.limits.conversion = Some(ConversionBreaker {
        min_conversion_percent: 0,
        ..ConversionBreaker::default()
    });
    policy
}

#[async_trait]
impl Sender for App {
    async fn send(&self, job: &Job) -> Result<(), String> {
        self.0
            .send_code(&job.request)
            .await
            .map(drop)
            .map_err(|error| error_chain(&error))
    }
}
