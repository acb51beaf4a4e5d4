//! A sign-up back end on axum that verifies the end user's phone number:
//!
//! - `POST /signup/phone` `{"signup_id": "…", "phone": "+60 18-225 8491"}` sends a code, by
//!   SMS unless the body names a `"channel"` (`"call"`, `"whatsapp"`), in the language of an
//!   optional `"locale"` (`"en"`); "no SMS? call me instead" is the same sign-up posted again
//!   with `"channel": "call"` (a provider that calls must be wired: Twilio, feature `twilio`;
//!   with IDMeta alone the answer is 422 `channel_unavailable`);
//! - `POST /signup/verify` `{"signup_id": "…", "code": "123456"}` checks it;
//! - `GET /metrics` shows the library's metrics in Prometheus' text format
//!   (`metrics-exporter-prometheus`, installed as the process's recorder in `main`; the names
//!   are in `docs/operations.md`).
//!
//! The signup id is the IDMeta trust validation the back end opened for this sign-up. Every
//! outcome is an HTTP status and a JSON body a front end can act on without guessing: the
//! library's [`NextStep`] for the answer or error, mapped once in [`answer`] (the table is in
//! `docs/architecture.md`, "The HTTP mapping of the example"):
//!
//! | next step | status | body |
//! |---|---|---|
//! | `use_code_sent` (sent, sent but not recorded, the provider's live code) | 202 | `"status": "code_sent"` |
//! | `verified` | 200 | `"status": "verified"` |
//! | `wait` (cooldown, number cap, provider rate limit) | 429 + `Retry-After` | `"error": "wait"` |
//! | `start_over` (the sign-up had all its codes or checks) | 429 | `"error": "start_over"` |
//! | `number_cannot_receive` (country, prefix, kind not served; provider refused it) | 422 | `"error": "number_cannot_receive"` |
//! | `channel_unavailable` (no provider calls or messages on WhatsApp) | 422 | `"error": "channel_unavailable"` |
//! | `code_may_be_on_its_way` (a send whose outcome is unknown) | 409 | `"error": "code_may_be_on_its_way"` |
//! | `wrong_code` | 422 | `"error": "wrong_code"`, `"tries_left"` |
//! | `code_gone` (none sent, expired, used up, none pending, an unclear answer) | 410 | `"error": "code_gone"` |
//! | `service_misconfigured` (credentials refused) | 502 | `"error": "service_misconfigured"` |
//! | `provider_down` (a send that provably did not go out, a check not answered) | 503 (+ `Retry-After` when known) | `"error": "provider_down"` |
//! | `store_down` | 500 | `"error": "store_down"` |
//! | a body, number, id or code that does not parse | 400 | `"error": "invalid_request"` |
//!
//! Run it: `cargo run -p phone-verify --example axum_signup`. With no `IDMETA_API_TOKEN` it
//! starts the simulator in process and prints where its inbox is (the end user's
//! phone). Set `IDMETA_API_TOKEN` (and `IDMETA_ENVIRONMENT`, default `integrate`;
//! `IDMETA_TRUST_FLOW`, default 147) to use IDMeta, `SIGNUP_SQLITE` to keep the record in a
//! SQLite file, `SIGNUP_ADDR` to listen elsewhere than `127.0.0.1:3000`.

use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Json, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, serve};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use phone_verify::idmeta::{IdmetaClient, SecretString, TrustFlowId};
use phone_verify::request::{Channel, Locale};
use phone_verify::{
    NextStep, OtpCode, PhoneNumber, PhoneVerification, SendCodeRequest, TrustValidationId,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The back end's state: the verification (cheap to clone) and the Prometheus recorder's
/// handle.
#[derive(Debug, Clone)]
pub(crate) struct Signup {
    /// Sends and checks codes.
    pub(crate) verification: PhoneVerification,
    /// Renders what the recorder holds.
    pub(crate) metrics: PrometheusHandle,
}

/// The routes: `POST /signup/phone`, `POST /signup/verify` and `GET /metrics`.
pub(crate) fn router(signup: Signup) -> Router {
    Router::new()
        .route("/signup/phone", post(send_code))
        .route("/signup/verify", post(verify_code))
        .route("/metrics", get(metrics))
        .with_state(signup)
}

/// The Prometheus recorder: the library's two latency metrics (`…_seconds`) as histograms,
/// with buckets from a millisecond (the store) to the provider's request timeout.
pub(crate) fn prometheus() -> PrometheusBuilder {
    const BUCKETS: &[f64] = &[0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0];
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
        .expect("the buckets are not empty")
}

/// `GET /metrics`: Prometheus' text format.
async fn metrics(State(signup): State<Signup>) -> String {
    signup.metrics.render()
}

#[derive(Debug, Deserialize)]
struct PhoneForm {
    signup_id: String,
    phone: String,
    /// `sms` (the default), `call` or `whatsapp`: "no SMS? call me instead" posts the same
    /// sign-up again with `"channel": "call"`.
    #[serde(default)]
    channel: Option<String>,
    /// The language of the message, a BCP 47 tag (`"en"`); the provider's choice without it.
    #[serde(default)]
    locale: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    signup_id: String,
    code: String,
}

async fn send_code(
    State(signup): State<Signup>,
    form: Result<Json<PhoneForm>, JsonRejection>,
) -> Response {
    let Ok(Json(form)) = form else {
        return invalid("the body is not {\"signup_id\", \"phone\"} as JSON");
    };
    let (Ok(phone), Ok(trust_validation)) = (
        PhoneNumber::parse(&form.phone),
        TrustValidationId::parse(&form.signup_id),
    ) else {
        // The parse errors never echo the input, and neither does this answer.
        return invalid("the phone number or the signup id is not valid");
    };
    let mut request = SendCodeRequest::new(phone, trust_validation);
    if let Some(channel) = &form.channel {
        let Ok(channel) = channel.parse::<Channel>() else {
            return invalid("the channel is not one of sms, call, whatsapp");
        };
        request = request.with_channel(channel);
    }
    if let Some(locale) = &form.locale {
        let Ok(locale) = Locale::parse(locale) else {
            return invalid("the locale is not a BCP 47 language tag");
        };
        request = request.with_locale(locale);
    }
    let sent = signup.verification.send_code(&request).await;
    answer(signup.verification.next_step(&sent))
}

async fn verify_code(
    State(signup): State<Signup>,
    form: Result<Json<CodeForm>, JsonRejection>,
) -> Response {
    let Ok(Json(form)) = form else {
        return invalid("the body is not {\"signup_id\", \"code\"} as JSON");
    };
    let (Ok(trust_validation), Ok(code)) = (
        TrustValidationId::parse(&form.signup_id),
        OtpCode::parse(&form.code),
    ) else {
        return invalid("the code or the signup id is not valid");
    };
    let checked = signup
        .verification
        .check_code(trust_validation, code, None)
        .await;
    answer(signup.verification.next_step(&checked))
}

/// The HTTP answer to what the end user should do next. The wait is the library's, computed
/// on its clock; `Retry-After` is in whole seconds, rounded up, at least 1.
fn answer(step: NextStep) -> Response {
    let error = |status: StatusCode| (status, json!({"error": step.as_str()}));
    let (status, body) = match step {
        NextStep::UseCodeSent => (StatusCode::ACCEPTED, json!({"status": "code_sent"})),
        NextStep::Verified => (StatusCode::OK, json!({"status": "verified"})),
        NextStep::WrongCode { tries_left } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"error": "wrong_code", "tries_left": tries_left}),
        ),
        NextStep::NumberCannotReceive | NextStep::ChannelUnavailable => {
            error(StatusCode::UNPROCESSABLE_ENTITY)
        }
        NextStep::Wait { .. } | NextStep::StartOver => error(StatusCode::TOO_MANY_REQUESTS),
        NextStep::CodeMayBeOnItsWay => error(StatusCode::CONFLICT),
        NextStep::CodeGone => error(StatusCode::GONE),
        NextStep::ServiceMisconfigured => error(StatusCode::BAD_GATEWAY),
        NextStep::ProviderDown { .. } => error(StatusCode::SERVICE_UNAVAILABLE),
        NextStep::StoreDown => error(StatusCode::INTERNAL_SERVER_ERROR),
    };
    let mut response = (status, Json(body)).into_response();
    if let Some(wait) = step.retry_after() {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let value = HeaderValue::from(seconds.max(1));
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// 400: the request itself is malformed.
fn invalid(message: &str) -> Response {
    let body: Value = json!({"error": "invalid_request", "message": message});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The guard first: the numbering library logs numbers in clear, whatever the filter says.
    tracing_subscriber::registry()
        .with(phone_verify::PhoneLogGuard::new())
        .with(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with(tracing_subscriber::fmt::layer())
        .init();
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());

    // The simulator runs only when no IDMeta token is configured; it stops with the process.
    let mut simulator = None;
    // The IDMeta Trust Flow the sign-ups' trust validations belong to: the client's setting.
    let trust_flow = TrustFlowId::new(env("IDMETA_TRUST_FLOW").map_or(Ok(147), |id| id.parse())?);
    let idmeta = match env("IDMETA_API_TOKEN") {
        Some(token) => IdmetaClient::builder()
            .trust_flow(trust_flow)
            .environment(env("IDMETA_ENVIRONMENT").unwrap_or_else(|| "integrate".into()))
            .token(SecretString::from(token)),
        None => {
            let sim = phone_verify_sim::start(phone_verify_sim::SimConfig::default()).await?;
            let client = IdmetaClient::builder()
                .trust_flow(trust_flow)
                .base_url(sim.base_url())
                .allow_plain_http(true)
                .token(SecretString::from(sim.idmeta_token().to_owned()));
            println!(
                "simulator: the end user's phone is {}/__sim/inbox",
                sim.base_url()
            );
            simulator = Some(sim);
            client
        }
    };
    let mut builder = PhoneVerification::builder().idmeta(idmeta);
    if let Some(path) = env("SIGNUP_SQLITE") {
        builder = builder.sqlite(path);
    }
    // The process's recorder: every metric the library emits from here on.
    let metrics = prometheus().install_recorder()?;
    let upkeep = metrics.clone();
    tokio::spawn(async move {
        // Drains the histograms' samples into their buckets, as the exporter asks of its users.
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    // A clone (clones share the store) is kept to close the store once the server stops.
    let verification = builder.build().await?;
    let signup = Signup {
        verification: verification.clone(),
        metrics,
    };

    let addr = env("SIGNUP_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("sign-up back end on http://{}", listener.local_addr()?);
    serve(listener, router(signup))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    // Graceful shutdown: the writes in flight are answered, then the store closes, which
    // checkpoints SQLite's WAL into the database file (a backup of the `.db` has everything).
    verification.records().close().await;
    if let Some(sim) = simulator {
        sim.shutdown().await;
    }
    Ok(())
}
