//! IDMeta's two API routes: send and verify, run through the shared pipeline
//! (`pipeline.rs`). After the pipeline's own steps, a request's ids marked unknown are refused,
//! then a fault armed for its number applies, then it is processed.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use crate::counters::Metrics;
use crate::faults::Fault;
use crate::idmeta_respond::{self, Echo, Verdict};
use crate::idmeta_state::{CheckOutcome, SendRefused, VerifyRefused, new_reference_id};
use crate::idmeta_wire::{self, echo_ids};
use crate::pipeline::{ApiRoute, Call, Trace, handle, phone_fault};
use crate::respond;
use crate::server::{Connection, Shared};

/// IDMeta's send route's path.
pub const IDMETA_SEND_PATH: &str = "/api/v3/verifications/phone-verification/send";
/// IDMeta's verify route's path.
pub const IDMETA_VERIFY_PATH: &str = "/api/v3/verifications/phone-verification/verify";

/// Which of IDMeta's two routes a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdmetaRoute {
    Send,
    Verify,
}

impl IdmetaRoute {
    pub(crate) fn name(self) -> &'static str {
        match self {
            IdmetaRoute::Send => "send",
            IdmetaRoute::Verify => "verify",
        }
    }
}

/// `POST /api/v3/verifications/phone-verification/send`.
pub(crate) async fn send(
    State(shared): State<Arc<Shared>>,
    Extension(connection): Extension<Connection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(shared, connection, IdmetaRoute::Send, headers, body).await
}

/// `POST /api/v3/verifications/phone-verification/verify`.
pub(crate) async fn verify(
    State(shared): State<Arc<Shared>>,
    Extension(connection): Extension<Connection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(shared, connection, IdmetaRoute::Verify, headers, body).await
}

impl ApiRoute for IdmetaRoute {
    fn name(&self) -> &'static str {
        IdmetaRoute::name(*self)
    }

    fn counter<'m>(&self, metrics: &'m Metrics) -> &'m AtomicU64 {
        match self {
            IdmetaRoute::Send => &metrics.idmeta_send_requests,
            IdmetaRoute::Verify => &metrics.idmeta_verify_requests,
        }
    }

    fn authorized(&self, shared: &Shared, headers: &HeaderMap) -> bool {
        authorized(headers, &shared.config.idmeta.token)
    }

    fn unauthenticated(&self) -> Response {
        idmeta_respond::unauthenticated()
    }

    fn fault_answer(
        &self,
        shared: &Arc<Shared>,
        fault: Fault,
        bytes: &[u8],
        phone: Option<&str>,
    ) -> Option<Response> {
        fault_answer(shared, *self, fault, bytes, phone)
    }

    fn status_fields(&self) -> &'static [&'static str] {
        &["/verificationStatus", "/data/verify/codeState"]
    }

    async fn process(&self, call: &mut Call<'_>) -> Response {
        match self {
            IdmetaRoute::Send => process_send(call).await,
            IdmetaRoute::Verify => process_verify(call).await,
        }
    }
}

async fn process_send(call: &mut Call<'_>) -> Response {
    let (shared, bytes) = (call.shared, call.bytes);
    let request = match idmeta_wire::parse_send(bytes) {
        Ok(request) => request,
        Err(errors) => {
            call.trace.outcome = "invalid";
            return idmeta_respond::invalid(&errors);
        }
    };
    call.trace.phone = Some(request.e164.clone());
    if let Some(response) = refuse_unknown(
        shared,
        request.trust_flow_id,
        &request.trust_validation_id,
        call.trace,
    ) {
        return response;
    }
    if let Some(response) =
        phone_fault(call, &IdmetaRoute::Send, || Some(request.e164.clone())).await
    {
        return response;
    }
    let now = shared.config.clock.now();
    match shared
        .idmeta
        .send(&request, now, &shared.config, &shared.inbox)
    {
        Ok(sent) => {
            Metrics::bump(&shared.metrics.codes_sent);
            call.trace.outcome = "code sent";
            respond::json(
                StatusCode::OK,
                &idmeta_respond::send_envelope(Echo {
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
            call.trace.outcome = "rate limited";
            idmeta_respond::too_many(Some(retry_after_secs))
        }
    }
}

async fn process_verify(call: &mut Call<'_>) -> Response {
    let (shared, bytes) = (call.shared, call.bytes);
    let request = match idmeta_wire::parse_verify(bytes) {
        Ok(request) => request,
        Err(errors) => {
            call.trace.outcome = "invalid";
            return idmeta_respond::invalid(&errors);
        }
    };
    call.trace.phone = request.e164.clone();
    if let Some(response) = refuse_unknown(
        shared,
        request.trust_flow_id,
        &request.trust_validation_id,
        call.trace,
    ) {
        return response;
    }
    let phone = || {
        request
            .e164
            .clone()
            .or_else(|| shared.idmeta.number_of(&request.trust_validation_id))
    };
    if let Some(response) = phone_fault(call, &IdmetaRoute::Verify, phone).await {
        return response;
    }
    let now = shared.config.clock.now();
    match shared
        .idmeta
        .verify(&request, now, shared.config.idmeta.max_attempts)
    {
        Ok(checked) => {
            let verdict = Verdict::of(checked.outcome);
            call.trace.phone = Some(checked.e164.clone());
            call.trace.outcome = verdict.code_state;
            respond::json(
                StatusCode::OK,
                &idmeta_respond::verify_envelope(
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
            call.trace.outcome = outcome;
            idmeta_respond::not_found(message)
        }
    }
}

fn refuse_unknown(
    shared: &Shared,
    trust_flow_id: i64,
    trust_validation_id: &str,
    trace: &mut Trace,
) -> Option<Response> {
    if shared.idmeta.is_unknown_trust_flow(trust_flow_id) {
        trace.outcome = "unknown trust flow";
        return Some(idmeta_respond::not_found("Trust flow not found."));
    }
    if shared
        .idmeta
        .is_unknown_trust_validation(trust_validation_id)
    {
        trace.outcome = "unknown trust validation";
        return Some(idmeta_respond::not_found("Trust validation not found."));
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

/// The answer of a fault that replaces the normal one (for `ProcessThenFail`, once the request
/// is processed); `None` closes the connection.
fn fault_answer(
    shared: &Arc<Shared>,
    route: IdmetaRoute,
    fault: Fault,
    bytes: &[u8],
    phone: Option<&str>,
) -> Option<Response> {
    let (trust_flow_id, trust_validation_id) = echo_ids(bytes);
    Some(match fault {
        Fault::ServerError { status, html } => idmeta_respond::server_error(status, html),
        // Given once the request has been processed (the pipeline keeps it until then).
        Fault::ProcessThenFail {
            status,
            html,
            retry_after_secs,
        } => {
            respond::with_retry_after(idmeta_respond::server_error(status, html), retry_after_secs)
        }
        Fault::RateLimited { retry_after_secs } => idmeta_respond::too_many(retry_after_secs),
        Fault::SuccessFalse => {
            idmeta_respond::success_false(route, trust_flow_id, &trust_validation_id)
        }
        Fault::MalformedJson => respond::malformed_json(),
        Fault::TruncatedJson => idmeta_respond::truncated_json(
            route,
            trust_flow_id,
            &trust_validation_id,
            shared.config.clock.now(),
        ),
        Fault::Oversized { bytes } => respond::oversized(bytes),
        Fault::Trickle => respond::trickle(shared),
        // Given once the request has been processed.
        Fault::ForeignAnswer => foreign_answer(
            shared,
            route,
            phone.unwrap_or(idmeta_respond::EXAMPLE_NUMBER),
            trust_flow_id,
            &trust_validation_id,
        ),
        // CloseAfterProcessing gets here once the request is processed, and closes like the
        // other Close faults. Delay and StatusEcho are handled by the pipeline; should one get
        // here, it closes rather than answering something unasked for.
        Fault::CloseBeforeRead
        | Fault::CloseAfterRead
        | Fault::Delay(_)
        | Fault::StatusEcho
        | Fault::CloseAfterProcessing => return None,
    })
}

/// The `ForeignAnswer` fault: the route's answer about another send, with a reference of its
/// own and a number that is not `asked`, echoing the request's ids; a verify's approves that
/// other send.
fn foreign_answer(
    shared: &Shared,
    route: IdmetaRoute,
    asked: &str,
    trust_flow_id: i64,
    trust_validation_id: &str,
) -> Response {
    let reference_id = new_reference_id();
    let e164 = respond::another_number(asked);
    let echo = Echo {
        reference_id: &reference_id,
        e164: &e164,
        trust_flow_id,
        trust_validation_id,
        now: shared.config.clock.now(),
    };
    let envelope = match route {
        IdmetaRoute::Send => idmeta_respond::send_envelope(echo),
        IdmetaRoute::Verify => {
            idmeta_respond::verify_envelope(echo, Verdict::of(CheckOutcome::Valid))
        }
    };
    respond::json(StatusCode::OK, &envelope)
}
