//! The two API routes: send and verify.
//!
//! Order of work for each request: count it; apply a fault armed for the next requests; check the
//! bearer token; read and validate the body; refuse ids marked unknown; apply a fault armed for
//! the request's number; process.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use http_body_util::LengthLimitError;

use crate::counters::Metrics;
use crate::faults::Fault;
use crate::mask::Masked;
use crate::respond::{self, Echo, Route, Verdict};
use crate::server::{Connection, Shared};
use crate::state::{SendRefused, VerifyRefused};
use crate::wire::{self, echo_ids};

/// `POST /api/v3/verifications/phone-verification/send`.
pub(crate) async fn send(
    State(shared): State<Arc<Shared>>,
    Extension(connection): Extension<Connection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(shared, connection, Route::Send, headers, body).await
}

/// `POST /api/v3/verifications/phone-verification/verify`.
pub(crate) async fn verify(
    State(shared): State<Arc<Shared>>,
    Extension(connection): Extension<Connection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(shared, connection, Route::Verify, headers, body).await
}

/// What the log line of a request says.
#[derive(Default)]
struct Trace {
    phone: Option<String>,
    outcome: &'static str,
}

async fn handle(
    shared: Arc<Shared>,
    connection: Connection,
    route: Route,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    Metrics::bump(&shared.metrics.requests_total);
    Metrics::bump(match route {
        Route::Send => &shared.metrics.send_requests,
        Route::Verify => &shared.metrics.verify_requests,
    });
    let mut trace = Trace::default();
    let response = answer(&shared, &connection, route, &headers, body, &mut trace).await;
    log(route, response.status(), &trace, started);
    response
}

/// Logs the request and closes its connection without an answer.
async fn close(route: Route, trace: &Trace, connection: &Connection) -> ! {
    let phone = trace.phone.as_deref().map(Masked);
    tracing::info!(
        route = route.name(),
        phone = phone.map(tracing::field::display),
        "closed the connection without answering"
    );
    connection.close().await
}

fn log(route: Route, status: StatusCode, trace: &Trace, started: Instant) {
    let phone = trace.phone.as_deref().map(Masked);
    tracing::info!(
        route = route.name(),
        status = status.as_u16(),
        phone = phone.map(tracing::field::display),
        outcome = trace.outcome,
        elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "answered"
    );
}

async fn answer(
    shared: &Arc<Shared>,
    connection: &Connection,
    route: Route,
    headers: &HeaderMap,
    body: Body,
    trace: &mut Trace,
) -> Response {
    let mut close_after_processing = false;
    if let Some(fault) = shared.faults.take_next() {
        fault_applied(shared, route, &fault, trace);
        match fault {
            Fault::Delay(delay) => pause(shared, connection, delay).await,
            Fault::CloseBeforeRead => close(route, trace, connection).await,
            Fault::CloseAfterProcessing => close_after_processing = true,
            other => {
                // The body is read (so the client finishes writing), then ignored.
                let bytes = read_body(shared, headers, body).await.unwrap_or_default();
                return fault_answer(shared, connection, route, other, &bytes, trace).await;
            }
        }
    }

    if !authorized(headers, &shared.config.token) {
        trace.outcome = "unauthenticated";
        return respond::unauthenticated();
    }
    let bytes = match read_body(shared, headers, body).await {
        Ok(bytes) => bytes,
        Err(response) => {
            trace.outcome = "unreadable body";
            return response;
        }
    };
    let response = match route {
        Route::Send => {
            process_send(
                shared,
                connection,
                &bytes,
                trace,
                &mut close_after_processing,
            )
            .await
        }
        Route::Verify => {
            process_verify(
                shared,
                connection,
                &bytes,
                trace,
                &mut close_after_processing,
            )
            .await
        }
    };
    if close_after_processing {
        close(route, trace, connection).await
    }
    response
}

async fn process_send(
    shared: &Arc<Shared>,
    connection: &Connection,
    bytes: &Bytes,
    trace: &mut Trace,
    close_after_processing: &mut bool,
) -> Response {
    let request = match wire::parse_send(bytes) {
        Ok(request) => request,
        Err(errors) => {
            trace.outcome = "invalid";
            return respond::invalid(&errors);
        }
    };
    trace.phone = Some(request.e164.clone());
    if let Some(response) = refuse_unknown(
        shared,
        request.trust_flow_id,
        &request.trust_validation_id,
        trace,
    ) {
        return response;
    }
    if let Some(fault) = shared.faults.take_for_phone(&request.e164) {
        fault_applied(shared, Route::Send, &fault, trace);
        match fault {
            Fault::Delay(delay) => pause(shared, connection, delay).await,
            Fault::CloseAfterProcessing => *close_after_processing = true,
            other => {
                return fault_answer(shared, connection, Route::Send, other, bytes, trace).await;
            }
        }
    }
    let now = shared.config.clock.now();
    match shared.store.send(&request, now, &shared.config) {
        Ok(sent) => {
            Metrics::bump(&shared.metrics.codes_sent);
            trace.outcome = "code sent";
            respond::json(
                StatusCode::OK,
                &respond::send_envelope(Echo {
                    reference_id: &sent.reference_id,
                    e164: &request.e164,
                    trust_flow_id: request.trust_flow_id,
                    trust_validation_id: &request.trust_validation_id,
                    now,
                }),
            )
        }
        Err(SendRefused::RateLimited { retry_after_secs }) => {
            Metrics::bump(&shared.metrics.sends_rate_limited);
            trace.outcome = "rate limited";
            respond::too_many(Some(retry_after_secs))
        }
    }
}

async fn process_verify(
    shared: &Arc<Shared>,
    connection: &Connection,
    bytes: &Bytes,
    trace: &mut Trace,
    close_after_processing: &mut bool,
) -> Response {
    let request = match wire::parse_verify(bytes) {
        Ok(request) => request,
        Err(errors) => {
            trace.outcome = "invalid";
            return respond::invalid(&errors);
        }
    };
    trace.phone = request.e164.clone();
    if let Some(response) = refuse_unknown(
        shared,
        request.trust_flow_id,
        &request.trust_validation_id,
        trace,
    ) {
        return response;
    }
    if shared.faults.any_for_phones() {
        let phone = request
            .e164
            .clone()
            .or_else(|| shared.store.number_of(&request.trust_validation_id));
        if let Some(fault) = phone.and_then(|phone| shared.faults.take_for_phone(&phone)) {
            fault_applied(shared, Route::Verify, &fault, trace);
            match fault {
                Fault::Delay(delay) => pause(shared, connection, delay).await,
                Fault::CloseAfterProcessing => *close_after_processing = true,
                other => {
                    return fault_answer(shared, connection, Route::Verify, other, bytes, trace)
                        .await;
                }
            }
        }
    }
    let now = shared.config.clock.now();
    match shared
        .store
        .verify(&request, now, shared.config.max_attempts)
    {
        Ok(checked) => {
            let verdict = Verdict::of(checked.outcome);
            trace.phone = Some(checked.e164.clone());
            trace.outcome = verdict.code_state;
            respond::json(
                StatusCode::OK,
                &respond::verify_envelope(
                    Echo {
                        reference_id: &checked.reference_id,
                        e164: &checked.e164,
                        trust_flow_id: request.trust_flow_id,
                        trust_validation_id: &request.trust_validation_id,
                        now,
                    },
                    verdict,
                ),
            )
        }
        Err(refused) => {
            let (outcome, message) = match refused {
                VerifyRefused::NoCode => (
                    "no code",
                    "No phone verification code was sent for this trust validation.",
                ),
                VerifyRefused::ReferenceMismatch => (
                    "reference mismatch",
                    "The reference id does not match the latest code sent for this trust validation.",
                ),
                VerifyRefused::PhoneMismatch => (
                    "phone mismatch",
                    "The phone number does not match the number the code was sent to.",
                ),
                VerifyRefused::AlreadyUsed => (
                    "already used",
                    "The code of this trust validation was already verified.",
                ),
            };
            trace.outcome = outcome;
            respond::not_found(message)
        }
    }
}

fn refuse_unknown(
    shared: &Shared,
    trust_flow_id: i64,
    trust_validation_id: &str,
    trace: &mut Trace,
) -> Option<Response> {
    if shared.store.is_unknown_trust_flow(trust_flow_id) {
        trace.outcome = "unknown trust flow";
        return Some(respond::not_found("Trust flow not found."));
    }
    if shared
        .store
        .is_unknown_trust_validation(trust_validation_id)
    {
        trace.outcome = "unknown trust validation";
        return Some(respond::not_found("Trust validation not found."));
    }
    None
}

/// `Authorization: Bearer <token>`, compared exactly.
fn authorized(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|given| given == token)
}

/// Reads the body up to the configured limit; 413 beyond it; 408, closing the connection, when
/// it does not arrive within the body read timeout.
async fn read_body(shared: &Shared, headers: &HeaderMap, body: Body) -> Result<Bytes, Response> {
    let limit = shared.config.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    let read = tokio::time::timeout(
        shared.config.body_read_timeout,
        axum::body::to_bytes(body, limit),
    );
    let Ok(read) = read.await else {
        return Err(respond::body_timeout());
    };
    read.map_err(|error| {
        let over =
            std::error::Error::source(&error).is_some_and(|source| source.is::<LengthLimitError>());
        if over {
            too_large()
        } else {
            respond::message(
                StatusCode::BAD_REQUEST,
                "The request body could not be read.",
            )
        }
    })
}

fn too_large() -> Response {
    respond::message(
        StatusCode::PAYLOAD_TOO_LARGE,
        "The request body is too large.",
    )
}

fn fault_applied(shared: &Shared, route: Route, fault: &Fault, trace: &mut Trace) {
    Metrics::bump(&shared.metrics.faults_applied);
    trace.outcome = "fault";
    tracing::info!(route = route.name(), ?fault, "fault applied");
}

/// Waits, unless the simulator shuts down first (then the connection closes).
async fn pause(shared: &Shared, connection: &Connection, delay: Duration) {
    tokio::select! {
        () = tokio::time::sleep(delay) => {}
        () = shared.stopped() => connection.close().await,
    }
}

/// The answer of a fault that replaces the normal one.
async fn fault_answer(
    shared: &Arc<Shared>,
    connection: &Connection,
    route: Route,
    fault: Fault,
    bytes: &[u8],
    trace: &mut Trace,
) -> Response {
    let (trust_flow_id, trust_validation_id) = echo_ids(bytes);
    match fault {
        Fault::ServerError { status, html } => respond::server_error(status, html),
        Fault::RateLimited { retry_after_secs } => respond::too_many(retry_after_secs),
        Fault::SuccessFalse => respond::success_false(route, trust_flow_id, &trust_validation_id),
        Fault::MalformedJson => respond::malformed_json(),
        Fault::TruncatedJson => respond::truncated_json(
            route,
            trust_flow_id,
            &trust_validation_id,
            shared.config.clock.now(),
        ),
        Fault::Oversized { bytes } => respond::oversized(bytes),
        Fault::Trickle => respond::trickle(shared),
        // Delay and CloseAfterProcessing are handled by the callers; should one get here, it
        // closes like the others rather than answering something unasked for.
        Fault::CloseBeforeRead
        | Fault::CloseAfterRead
        | Fault::Delay(_)
        | Fault::CloseAfterProcessing => close(route, trace, connection).await,
    }
}
