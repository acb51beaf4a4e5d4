//! The order of work every API request follows, whichever provider's route it came to: count
//! it; apply a fault armed for the next requests; check the credentials; read the body; let the
//! route process it (which applies a fault armed for the request's number); then let a fault
//! that acts after processing close the connection (`CloseAfterProcessing`), replace the answer
//! (`ProcessThenFail`, `ForeignAnswer`) or change it (`StatusEcho`).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use http_body_util::LengthLimitError;

use crate::counters::Metrics;
use crate::faults::Fault;
use crate::mask::Masked;
use crate::respond;
use crate::server::{Connection, Shared};

/// One API route of one provider, with what its path names: what differs between IDMeta's and
/// Twilio's.
pub(crate) trait ApiRoute: Send + Sync + 'static {
    /// The route's name in logs.
    fn name(&self) -> &'static str;
    /// The counter of requests to this route.
    fn counter<'m>(&self, metrics: &'m Metrics) -> &'m AtomicU64;
    /// Whether the request carries the credentials the simulator accepts.
    fn authorized(&self, shared: &Shared, headers: &HeaderMap) -> bool;
    /// The answer to a request without them.
    fn unauthenticated(&self) -> Response;
    /// The answer of a fault that replaces the normal one (for a fault that applies after
    /// processing, the one that replaces the processed request's answer); `None` closes the
    /// connection. `phone` is the number the request concerns, when known (processing finds
    /// it, even for a verification it then deletes).
    fn fault_answer(
        &self,
        shared: &Arc<Shared>,
        fault: Fault,
        bytes: &[u8],
        phone: Option<&str>,
    ) -> Option<Response>;
    /// The fields of the route's answers that hold the provider's status, as JSON pointers
    /// (what the `StatusEcho` fault fills).
    fn status_fields(&self) -> &'static [&'static str];
    /// Validates and processes the request's body.
    fn process(&self, call: &mut Call<'_>) -> impl Future<Output = Response> + Send;
}

/// One request on its way through a route: what processing reads, and what it may change.
pub(crate) struct Call<'a> {
    pub(crate) shared: &'a Arc<Shared>,
    pub(crate) connection: &'a Connection,
    /// The request's body, read whole.
    pub(crate) bytes: &'a Bytes,
    pub(crate) trace: &'a mut Trace,
    /// A fault that acts once the request is processed: close the connection instead of
    /// answering, or answer a 5xx instead.
    pub(crate) after_processing: Option<Fault>,
}

/// What the log line of a request says.
#[derive(Default)]
pub(crate) struct Trace {
    pub(crate) phone: Option<String>,
    pub(crate) outcome: &'static str,
}

/// Runs one request through the pipeline, and logs it.
pub(crate) async fn handle<R: ApiRoute>(
    shared: Arc<Shared>,
    connection: Connection,
    route: R,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    Metrics::bump(&shared.metrics.requests_total);
    Metrics::bump(route.counter(&shared.metrics));
    let mut trace = Trace::default();
    let response = answer(&shared, &connection, &route, &headers, body, &mut trace).await;
    log(route.name(), response.status(), &trace, started);
    response
}

async fn answer<R: ApiRoute>(
    shared: &Arc<Shared>,
    connection: &Connection,
    route: &R,
    headers: &HeaderMap,
    body: Body,
    trace: &mut Trace,
) -> Response {
    let mut after_processing = None;
    if let Some(fault) = shared.faults.take_next() {
        fault_applied(shared, route.name(), &fault, trace);
        match fault {
            Fault::Delay(delay) => pause(shared, connection, delay).await,
            Fault::CloseBeforeRead => close(route.name(), trace, connection).await,
            later if later.applies_after_processing() => after_processing = Some(later),
            other => {
                // The body is read (so the client finishes writing), then ignored.
                let bytes = read_body(shared, headers, body).await.unwrap_or_default();
                return match route.fault_answer(shared, other, &bytes, None) {
                    Some(response) => response,
                    None => close(route.name(), trace, connection).await,
                };
            }
        }
    }

    if !route.authorized(shared, headers) {
        trace.outcome = "unauthenticated";
        return route.unauthenticated();
    }
    let bytes = match read_body(shared, headers, body).await {
        Ok(bytes) => bytes,
        Err(response) => {
            trace.outcome = "unreadable body";
            return response;
        }
    };
    let mut call = Call {
        shared,
        connection,
        bytes: &bytes,
        trace,
        after_processing,
    };
    let response = route.process(&mut call).await;
    let phone = call.trace.phone.clone();
    match call.after_processing.take() {
        None => response,
        Some(Fault::StatusEcho) => {
            respond::status_echo(response, route.status_fields(), phone.as_deref()).await
        }
        Some(fault) => match route.fault_answer(shared, fault, &bytes, phone.as_deref()) {
            Some(replaced) => replaced,
            None => close(route.name(), trace, connection).await,
        },
    }
}

/// Applies a fault armed for the request's number, if any: waits, keeps a fault that acts after
/// processing for later, or gives the answer that replaces the normal one. `phone` finds the
/// number (it may have to look it up), and is called only while some fault is armed for a
/// number.
pub(crate) async fn phone_fault<R: ApiRoute>(
    call: &mut Call<'_>,
    route: &R,
    phone: impl FnOnce() -> Option<String>,
) -> Option<Response> {
    let Call {
        shared,
        connection,
        bytes,
        trace,
        after_processing,
    } = call;
    if !shared.faults.any_for_phones() {
        return None;
    }
    let fault = shared.faults.take_for_phone(&phone()?)?;
    fault_applied(shared, route.name(), &fault, trace);
    match fault {
        Fault::Delay(delay) => pause(shared, connection, delay).await,
        later if later.applies_after_processing() => *after_processing = Some(later),
        other => {
            return Some(
                match route.fault_answer(shared, other, bytes, trace.phone.as_deref()) {
                    Some(response) => response,
                    None => close(route.name(), trace, connection).await,
                },
            );
        }
    }
    None
}

/// Logs the request and closes its connection without an answer.
async fn close(route: &'static str, trace: &Trace, connection: &Connection) -> ! {
    let phone = trace.phone.as_deref().map(Masked);
    tracing::info!(
        route,
        phone = phone.map(tracing::field::display),
        "closed the connection without answering"
    );
    connection.close().await
}

fn log(route: &'static str, status: StatusCode, trace: &Trace, started: Instant) {
    let phone = trace.phone.as_deref().map(Masked);
    tracing::info!(
        route,
        status = status.as_u16(),
        phone = phone.map(tracing::field::display),
        outcome = trace.outcome,
        elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "answered"
    );
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

fn fault_applied(shared: &Shared, route: &'static str, fault: &Fault, trace: &mut Trace) {
    Metrics::bump(&shared.metrics.faults_applied);
    trace.outcome = "fault";
    tracing::info!(route, ?fault, "fault applied");
}

/// Waits, unless the simulator shuts down first (then the connection closes).
async fn pause(shared: &Shared, connection: &Connection, delay: Duration) {
    tokio::select! {
        () = tokio::time::sleep(delay) => {}
        () = shared.stopped() => connection.close().await,
    }
}
