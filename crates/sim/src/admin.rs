//! The `/__sim/` control routes, for tests that drive the simulator over HTTP (other languages,
//! or a simulator run as a program). No authentication.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::faults::{Fault, FaultScope};
use crate::respond::{self, timestamp};
use crate::server::Shared;

/// `GET /__sim/health`.
pub(crate) async fn health() -> Response {
    respond::json(StatusCode::OK, &json!({ "status": "ok" }))
}

#[derive(Deserialize)]
pub(crate) struct InboxQuery {
    phone: Option<String>,
}

/// `GET /__sim/inbox[?phone=+60…]`: delivered SMS, oldest first.
pub(crate) async fn inbox(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<InboxQuery>,
) -> Response {
    let phone = query.phone.as_deref().map(normalize_phone);
    respond::json(StatusCode::OK, &shared.inbox.messages(phone.as_deref()))
}

/// `GET /__sim/counters`.
pub(crate) async fn counters(State(shared): State<Arc<Shared>>) -> Response {
    respond::json(StatusCode::OK, &shared.counters())
}

/// A fault as JSON: `{"type": "server_error", "status": 503, "html": false}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum FaultSpec {
    Delay {
        millis: u64,
    },
    ServerError {
        status: u16,
        #[serde(default)]
        html: bool,
    },
    RateLimited {
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    SuccessFalse,
    MalformedJson,
    TruncatedJson,
    Oversized {
        bytes: usize,
    },
    Trickle,
    CloseBeforeRead,
    CloseAfterRead,
    CloseAfterProcessing,
    ProcessThenFail {
        status: u16,
        #[serde(default)]
        html: bool,
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    ForeignAnswer,
    StatusEcho,
}

impl From<FaultSpec> for Fault {
    fn from(spec: FaultSpec) -> Self {
        match spec {
            FaultSpec::Delay { millis } => Fault::Delay(Duration::from_millis(millis)),
            FaultSpec::ServerError { status, html } => Fault::ServerError { status, html },
            FaultSpec::RateLimited { retry_after_secs } => Fault::RateLimited { retry_after_secs },
            FaultSpec::SuccessFalse => Fault::SuccessFalse,
            FaultSpec::MalformedJson => Fault::MalformedJson,
            FaultSpec::TruncatedJson => Fault::TruncatedJson,
            FaultSpec::Oversized { bytes } => Fault::Oversized { bytes },
            FaultSpec::Trickle => Fault::Trickle,
            FaultSpec::CloseBeforeRead => Fault::CloseBeforeRead,
            FaultSpec::CloseAfterRead => Fault::CloseAfterRead,
            FaultSpec::CloseAfterProcessing => Fault::CloseAfterProcessing,
            FaultSpec::ProcessThenFail {
                status,
                html,
                retry_after_secs,
            } => Fault::ProcessThenFail {
                status,
                html,
                retry_after_secs,
            },
            FaultSpec::ForeignAnswer => Fault::ForeignAnswer,
            FaultSpec::StatusEcho => Fault::StatusEcho,
        }
    }
}

impl From<&Fault> for FaultSpec {
    fn from(fault: &Fault) -> Self {
        match fault {
            Fault::Delay(delay) => FaultSpec::Delay {
                millis: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            },
            Fault::ServerError { status, html } => FaultSpec::ServerError {
                status: *status,
                html: *html,
            },
            Fault::RateLimited { retry_after_secs } => FaultSpec::RateLimited {
                retry_after_secs: *retry_after_secs,
            },
            Fault::SuccessFalse => FaultSpec::SuccessFalse,
            Fault::MalformedJson => FaultSpec::MalformedJson,
            Fault::TruncatedJson => FaultSpec::TruncatedJson,
            Fault::Oversized { bytes } => FaultSpec::Oversized { bytes: *bytes },
            Fault::Trickle => FaultSpec::Trickle,
            Fault::CloseBeforeRead => FaultSpec::CloseBeforeRead,
            Fault::CloseAfterRead => FaultSpec::CloseAfterRead,
            Fault::CloseAfterProcessing => FaultSpec::CloseAfterProcessing,
            Fault::ProcessThenFail {
                status,
                html,
                retry_after_secs,
            } => FaultSpec::ProcessThenFail {
                status: *status,
                html: *html,
                retry_after_secs: *retry_after_secs,
            },
            Fault::ForeignAnswer => FaultSpec::ForeignAnswer,
            Fault::StatusEcho => FaultSpec::StatusEcho,
        }
    }
}

/// A scope as JSON: `{"next": 2}`, `{"phone": "+60…"}` or `{"phone": "+60…", "times": 1}`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ScopeSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    times: Option<u32>,
}

impl ScopeSpec {
    fn into_scope(self) -> Result<FaultScope, &'static str> {
        match (self.next, self.phone, self.times) {
            (None, None, None) => Ok(FaultScope::Next(1)),
            (Some(n), None, None) => Ok(FaultScope::Next(n)),
            (None, Some(phone), None) => Ok(FaultScope::Phone(normalize_phone(&phone))),
            (None, Some(phone), Some(n)) => Ok(FaultScope::PhoneNext(normalize_phone(&phone), n)),
            _ => Err("give either next, or phone with an optional times"),
        }
    }

    fn of(scope: &FaultScope) -> Self {
        match scope {
            FaultScope::Next(n) => Self {
                next: Some(*n),
                ..Self::default()
            },
            FaultScope::Phone(phone) => Self {
                phone: Some(phone.clone()),
                ..Self::default()
            },
            FaultScope::PhoneNext(phone, n) => Self {
                next: None,
                phone: Some(phone.clone()),
                times: Some(*n),
            },
        }
    }
}

#[derive(Debug, Deserialize, Serialize)]
struct FaultRequest {
    fault: FaultSpec,
    #[serde(default)]
    scope: ScopeSpec,
}

/// `GET /__sim/faults`: the faults still armed.
pub(crate) async fn list_faults(State(shared): State<Arc<Shared>>) -> Response {
    let pending: Vec<FaultRequest> = shared
        .faults
        .pending()
        .iter()
        .map(|(fault, scope)| FaultRequest {
            fault: fault.into(),
            scope: ScopeSpec::of(scope),
        })
        .collect();
    respond::json(StatusCode::OK, &pending)
}

/// `POST /__sim/faults` with `{"fault": {...}, "scope": {...}}`.
pub(crate) async fn add_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let request: FaultRequest = match parse(&body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    if let FaultSpec::ServerError { status, .. } | FaultSpec::ProcessThenFail { status, .. } =
        request.fault
        && !(500..=599).contains(&status)
    {
        return bad_request("fault.status must be within 500..=599");
    }
    let scope = match request.scope.into_scope() {
        Ok(scope) => scope,
        Err(why) => return bad_request(why),
    };
    shared.faults.arm(request.fault.into(), scope);
    respond::json(
        StatusCode::CREATED,
        &json!({ "armed": shared.faults.pending().len() }),
    )
}

/// `DELETE /__sim/faults`.
pub(crate) async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.faults.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct UnknownRequest {
    #[serde(default)]
    trust_validation_ids: Vec<String>,
    #[serde(default)]
    trust_flow_ids: Vec<i64>,
}

/// `POST /__sim/unknown` with `{"trust_validation_ids": [...], "trust_flow_ids": [...]}`.
pub(crate) async fn mark_unknown(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let request: UnknownRequest = match parse(&body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    for id in request.trust_validation_ids {
        shared.idmeta.mark_unknown_trust_validation(id);
    }
    for id in request.trust_flow_ids {
        shared.idmeta.mark_unknown_trust_flow(id);
    }
    respond::json(StatusCode::OK, &json!({ "ok": true }))
}

/// `GET /__sim/clock`.
pub(crate) async fn clock(State(shared): State<Arc<Shared>>) -> Response {
    let clock = &shared.config.clock;
    respond::json(
        StatusCode::OK,
        &json!({ "now": timestamp(clock.now()), "manual": clock.is_manual() }),
    )
}

#[derive(Deserialize)]
struct AdvanceRequest {
    #[serde(default)]
    secs: u64,
    #[serde(default)]
    millis: u64,
}

/// `POST /__sim/clock/advance` with `{"secs": 301}` or `{"millis": 1500}`; 409 on the system
/// clock.
pub(crate) async fn advance_clock(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let request: AdvanceRequest = match parse(&body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let clock = &shared.config.clock;
    if !clock.is_manual() {
        return respond::message(
            StatusCode::CONFLICT,
            "The simulator runs on the system clock; start it with a manual clock to move time.",
        );
    }
    clock.advance(Duration::from_secs(request.secs) + Duration::from_millis(request.millis));
    respond::json(
        StatusCode::OK,
        &json!({ "now": timestamp(clock.now()), "manual": true }),
    )
}

/// `POST /__sim/reset`: forget codes, inboxes, unknown ids, faults and counters.
pub(crate) async fn reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.reset();
    StatusCode::NO_CONTENT
}

/// A control route's JSON body, or the 422 that explains why it is not one.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|error| Box::new(bad_request(&error.to_string())))
}

fn bad_request(why: &str) -> Response {
    respond::message(StatusCode::UNPROCESSABLE_ENTITY, why)
}

/// Accepts `+60…`, `%2B60…`, `60…` and ` 60…` (a raw `+` in a query string decodes to a space).
pub(crate) fn normalize_phone(raw: &str) -> String {
    let digits = raw.trim().trim_start_matches('+');
    format!("+{digits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_from_a_query_string_gets_its_plus_back() {
        for raw in ["+60182258491", " 60182258491", "60182258491"] {
            assert_eq!(normalize_phone(raw), "+60182258491");
        }
    }

    #[test]
    fn every_fault_round_trips_through_its_json_form() {
        let faults = [
            Fault::Delay(Duration::from_millis(250)),
            Fault::ServerError {
                status: 502,
                html: true,
            },
            Fault::RateLimited {
                retry_after_secs: Some(7),
            },
            Fault::SuccessFalse,
            Fault::MalformedJson,
            Fault::TruncatedJson,
            Fault::Oversized { bytes: 1000 },
            Fault::Trickle,
            Fault::CloseBeforeRead,
            Fault::CloseAfterRead,
            Fault::CloseAfterProcessing,
            Fault::ProcessThenFail {
                status: 503,
                html: false,
                retry_after_secs: Some(30),
            },
            Fault::ForeignAnswer,
            Fault::StatusEcho,
        ];
        for fault in faults {
            let json = serde_json::to_string(&FaultSpec::from(&fault)).expect("serializes");
            let back: FaultSpec = serde_json::from_str(&json).expect("parses");
            assert_eq!(Fault::from(back), fault, "{json}");
        }
    }
}
