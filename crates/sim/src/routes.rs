//! The router: the API routes, the `/__sim/` control routes, and JSON 404/405 answers.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};

use crate::admin;
use crate::counters::Metrics;
use crate::idmeta_api::{self, IDMETA_SEND_PATH, IDMETA_VERIFY_PATH};
use crate::respond;
use crate::server::Shared;
use crate::twilio_api;

/// The prefix of the simulator's own control routes.
pub const CONTROL_PREFIX: &str = "/__sim/";

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(IDMETA_SEND_PATH, post(idmeta_api::send))
        .route(IDMETA_VERIFY_PATH, post(idmeta_api::verify))
        .route(twilio_api::SEND_ROUTE, post(twilio_api::handler::<false>))
        .route(twilio_api::CHECK_ROUTE, post(twilio_api::handler::<true>))
        .route(twilio_api::UPDATE_ROUTE, post(twilio_api::update))
        .route("/__sim/health", get(admin::health))
        .route("/__sim/inbox", get(admin::inbox))
        .route("/__sim/counters", get(admin::counters))
        .route(
            "/__sim/faults",
            get(admin::list_faults)
                .post(admin::add_fault)
                .delete(admin::clear_faults),
        )
        .route("/__sim/unknown", post(admin::mark_unknown))
        .route("/__sim/clock", get(admin::clock))
        .route("/__sim/clock/advance", post(admin::advance_clock))
        .route("/__sim/reset", post(admin::reset))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
}

fn count_other(shared: &Shared, uri: &Uri) {
    if !uri.path().starts_with(CONTROL_PREFIX) {
        Metrics::bump(&shared.metrics.requests_total);
        Metrics::bump(&shared.metrics.other_requests);
    }
}

async fn not_found(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    count_other(&shared, &uri);
    tracing::info!(path = uri.path(), status = 404, "answered");
    let path = uri.path().trim_start_matches('/');
    respond::message(
        StatusCode::NOT_FOUND,
        &format!("The route {path} could not be found."),
    )
}

async fn method_not_allowed(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
) -> Response {
    count_other(&shared, &uri);
    tracing::info!(%method, path = uri.path(), status = 405, "answered");
    let path = uri.path().trim_start_matches('/');
    let mut response = respond::message(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("The {method} method is not supported for route {path}."),
    );
    if uri.path() == IDMETA_SEND_PATH || uri.path() == IDMETA_VERIFY_PATH {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    response
}
