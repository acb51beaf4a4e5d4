//! A sign-up back end on axum that verifies the end user's phone number:
//!
//! - `POST /signup/phone` `{"signup_id": "…", "phone": "+60 18-225 8491"}` sends a code;
//! - `POST /signup/verify` `{"signup_id": "…", "code": "123456"}` checks it;
//! - `GET /metrics` shows the library's metrics in Prometheus' text format
//!   (`metrics-exporter-prometheus`, installed as the process's recorder in `main`; the names
//!   are in `docs/operations.md`).
//!
//! The signup id is the IDMeta trust validation the back end opened for this sign-up. Every
//! outcome is an HTTP status and a JSON body `{"status": …}` or `{"error": …, "message": …}` a
//! front end can act on without guessing (the table is in `docs/architecture.md`, "The HTTP
//! mapping of the example"):
//!
//! | outcome | status | `error` |
//! |---|---|---|
//! | code sent (or sent but not recorded) | 202 | (`"status": "code_sent"`) |
//! | code verified | 200 | (`"status": "verified"`) |
//! | a body, number, id or code that does not parse | 400 | `invalid_request` |
//! | cooldown or number cap (our guards), provider rate limit | 429 + `Retry-After` | `too_many_codes` |
//! | the sign-up has had its allowance of codes | 429 | `signup_code_limit` |
//! | number's country, prefix or kind not served, provider rejected it | 422 | `number_not_supported` |
//! | a send whose outcome is unknown | 409 | `code_may_be_on_its_way` |
//! | wrong code | 422 | `wrong_code` |
//! | no code sent, expired, too many attempts, none pending | 410 | `code_expired` etc. |
//! | the provider refused our credentials | 502 | `provider_misconfigured` |
//! | the provider down (a send that provably did not go out, a check not answered) | 503 (+ `Retry-After` when known) | `provider_unavailable` |
//! | an answer that does not say whether the code matched | 502 | `provider_unclear` |
//! | the store down | 500 | `storage_unavailable` |
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
use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use phone_verify::idmeta::{IdmetaClient, SecretString};
use phone_verify::{
    CheckCodeError, CheckRefusal, CheckVerdict, GatewayError, OtpCode, PhoneNumber,
    PhoneVerification, SendCodeError, SendCodeRequest, SendRefusal, TrustFlowId, TrustValidationId,
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
    let request = SendCodeRequest {
        phone,
        trust_validation,
    };
    match signup.verification.send_code(&request).await {
        Ok(_) => code_sent(),
        Err(error) => send_error(&error),
    }
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
    match signup.verification.check_code(trust_validation, code).await {
        Ok(checked) => verdict(checked.verdict()),
        Err(error) => check_error(&error),
    }
}

/// 202: the code is on its way.
fn code_sent() -> Response {
    (StatusCode::ACCEPTED, Json(json!({"status": "code_sent"}))).into_response()
}

/// What a send's error means for the front end. A send that may have gone out is never
/// reported as a failure to retry: resending would void the code on its way.
fn send_error(error: &SendCodeError) -> Response {
    match error {
        SendCodeError::Refused(refusal) => send_refusal(refusal),
        // The code is on its way; only its record is missing (the server logs say so).
        SendCodeError::SentButNotRecorded { .. } => code_sent(),
        _ if error.may_have_been_sent() => failure(
            StatusCode::CONFLICT,
            "code_may_be_on_its_way",
            "a code may already be on its way: wait for it before asking for another",
        ),
        SendCodeError::Gateway(gateway) => gateway_error(gateway, "nothing was sent"),
        SendCodeError::FailedAndNotRecorded { gateway, .. }
        | SendCodeError::PendingElsewhere {
            source: gateway, ..
        } => gateway_error(gateway, "nothing was sent"),
        _ => storage_unavailable("nothing was sent"),
    }
}

fn send_refusal(refusal: &SendRefusal) -> Response {
    match refusal {
        SendRefusal::TrustValidationLimitReached { .. } => failure(
            StatusCode::TOO_MANY_REQUESTS,
            "signup_code_limit",
            "this sign-up has had all its codes: start the sign-up again",
        ),
        SendRefusal::CountryNotAllowed
        | SendRefusal::PrefixDenied
        | SendRefusal::NumberKindDenied { .. } => not_supported(),
        _ => match refusal.retry_at() {
            Some(retry_at) => too_many_codes(wait_until(retry_at)),
            None => not_supported(),
        },
    }
}

/// What a check's answer means for the front end.
fn verdict(verdict: CheckVerdict) -> Response {
    match verdict {
        CheckVerdict::Verified => {
            (StatusCode::OK, Json(json!({"status": "verified"}))).into_response()
        }
        CheckVerdict::WrongCode => failure(
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_code",
            "the code is not the one sent: try again",
        ),
        CheckVerdict::Expired => code_gone("code_expired", "the code has expired"),
        CheckVerdict::TooManyAttempts => code_gone(
            "too_many_attempts",
            "the code has been tried too many times",
        ),
        _ => failure(
            StatusCode::BAD_GATEWAY,
            "provider_unclear",
            "the provider's answer did not say whether the code matched: ask for a new code",
        ),
    }
}

fn check_error(error: &CheckCodeError) -> Response {
    match error {
        CheckCodeError::Refused(CheckRefusal::NoCodeSent) => {
            code_gone("no_code_sent", "no code was sent for this sign-up")
        }
        CheckCodeError::Refused(CheckRefusal::CodeExpired { .. }) => {
            code_gone("code_expired", "the code has expired")
        }
        CheckCodeError::Refused(_) => code_gone(
            "too_many_attempts",
            "the code has been tried too many times",
        ),
        CheckCodeError::NoPendingCode { .. } => code_gone(
            "no_pending_code",
            "the provider holds no code for this sign-up",
        ),
        // The answer is known; only its record is missing.
        CheckCodeError::CheckedButNotRecorded { result, .. } => verdict(result.verdict()),
        CheckCodeError::Gateway(gateway) | CheckCodeError::FailedAndNotRecorded { gateway, .. } => {
            gateway_error(gateway, "the code could not be checked")
        }
        _ => storage_unavailable("the code could not be checked"),
    }
}

/// A provider failure whose side effect did not happen.
fn gateway_error(gateway: &GatewayError, what: &str) -> Response {
    match gateway {
        GatewayError::RateLimited { retry_after, .. } => {
            too_many_codes(retry_after.unwrap_or(Duration::from_secs(60)))
        }
        GatewayError::Rejected { .. } => not_supported(),
        GatewayError::Unauthorized => failure(
            StatusCode::BAD_GATEWAY,
            "provider_misconfigured",
            &format!("the provider refused this service's credentials: {what}"),
        ),
        _ => {
            let mut response = failure(
                StatusCode::SERVICE_UNAVAILABLE,
                "provider_unavailable",
                &format!("the provider is unavailable: {what}, try again later"),
            );
            if let Some(wait) = gateway.retry_after() {
                set_retry_after(&mut response, wait);
            }
            response
        }
    }
}

fn too_many_codes(wait: Duration) -> Response {
    let mut response = failure(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_codes",
        "a code was asked for too recently: wait before asking again",
    );
    set_retry_after(&mut response, wait);
    response
}

fn not_supported() -> Response {
    failure(
        StatusCode::UNPROCESSABLE_ENTITY,
        "number_not_supported",
        "codes cannot be sent to this number: use another one",
    )
}

fn code_gone(error: &str, message: &str) -> Response {
    failure(
        StatusCode::GONE,
        error,
        &format!("{message}: ask for a new code"),
    )
}

fn storage_unavailable(what: &str) -> Response {
    failure(
        StatusCode::INTERNAL_SERVER_ERROR,
        "storage_unavailable",
        &format!("the service cannot record verifications right now: {what}, try again later"),
    )
}

fn invalid(message: &str) -> Response {
    failure(StatusCode::BAD_REQUEST, "invalid_request", message)
}

fn failure(status: StatusCode, error: &str, message: &str) -> Response {
    let body: Value = json!({"error": error, "message": message});
    (status, Json(body)).into_response()
}

/// `Retry-After` in whole seconds, rounded up, at least 1.
fn set_retry_after(response: &mut Response, wait: Duration) {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
}

/// How long until `at`, from now (zero when it is past).
fn wait_until(at: DateTime<Utc>) -> Duration {
    (at - Utc::now()).to_std().unwrap_or(Duration::ZERO)
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
    let signup = Signup {
        verification: builder.build().await?,
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
    if let Some(sim) = simulator {
        sim.shutdown().await;
    }
    Ok(())
}
