//! Twilio Verify's routes, `POST /v2/Services/{sid}/Verifications` (send),
//! `POST /v2/Services/{sid}/VerificationCheck` (check) and
//! `POST /v2/Services/{sid}/Verifications/{Sid}` (update: cancel or approve), run through the
//! shared pipeline with the same inbox, faults, counters and clock as IDMeta's. Requests are form-encoded with
//! PascalCase fields, answers are Twilio's snake_case JSON, errors Twilio's
//! `{code, message, more_info, status}`.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::config::{DEFAULT_TWILIO_ACCOUNT_SID, MAX_CODE_LENGTH, MIN_CODE_LENGTH};
use crate::counters::Metrics;
use crate::faults::Fault;
use crate::inbox::DeliveredSms;
use crate::pipeline::{ApiRoute, Call, handle, phone_fault};
use crate::respond;
use crate::server::{Connection, Shared};
use crate::twilio_state::{
    Channel, CheckRefused, Checked, MaxSendAttempts, SendAttempt, Target, Verification, sid,
};

/// The send route, below the base URL (axum's path syntax).
pub(crate) const SEND_ROUTE: &str = "/v2/Services/{service_sid}/Verifications";
/// The check route, below the base URL (axum's path syntax).
pub(crate) const CHECK_ROUTE: &str = "/v2/Services/{service_sid}/VerificationCheck";
/// The update route of one verification, below the base URL (axum's path syntax).
pub(crate) const UPDATE_ROUTE: &str = "/v2/Services/{service_sid}/Verifications/{sid}";

/// Which Twilio operation, and whether the path named the Verify Service the simulator serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TwilioRoute {
    operation: Operation,
    known_service: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Operation {
    Send,
    Check,
    /// Of the verification whose `sid` the path names.
    Update {
        sid: String,
    },
}

/// `POST /v2/Services/{sid}/Verifications` (`CHECK = false`) and
/// `POST /v2/Services/{sid}/VerificationCheck` (`CHECK = true`).
pub(crate) async fn handler<const CHECK: bool>(
    State(shared): State<Arc<Shared>>,
    Extension(connection): Extension<Connection>,
    Path(service_sid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let route = TwilioRoute {
        operation: if CHECK {
            Operation::Check
        } else {
            Operation::Send
        },
        known_service: service_sid == shared.config.twilio.service_sid,
    };
    handle(shared, connection, route, headers, body).await
}

/// `POST /v2/Services/{sid}/Verifications/{Sid}`.
pub(crate) async fn update(
    State(shared): State<Arc<Shared>>,
    Extension(connection): Extension<Connection>,
    Path((service_sid, sid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let route = TwilioRoute {
        operation: Operation::Update { sid },
        known_service: service_sid == shared.config.twilio.service_sid,
    };
    handle(shared, connection, route, headers, body).await
}

impl ApiRoute for TwilioRoute {
    fn name(&self) -> &'static str {
        match self.operation {
            Operation::Send => "twilio send",
            Operation::Check => "twilio check",
            Operation::Update { .. } => "twilio update",
        }
    }

    fn counter<'m>(&self, metrics: &'m Metrics) -> &'m AtomicU64 {
        match self.operation {
            Operation::Send => &metrics.twilio_send_requests,
            Operation::Check => &metrics.twilio_check_requests,
            Operation::Update { .. } => &metrics.twilio_update_requests,
        }
    }

    /// `Authorization: Basic base64(user:secret)`, compared exactly.
    fn authorized(&self, shared: &Shared, headers: &HeaderMap) -> bool {
        let account = &shared.config.twilio;
        headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Basic "))
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .and_then(|decoded| String::from_utf8(decoded).ok())
            .and_then(|pair| {
                pair.split_once(':')
                    .map(|(user, secret)| user == account.user && secret == account.secret)
            })
            .unwrap_or(false)
    }

    fn unauthenticated(&self) -> Response {
        let mut response = error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Twilio API\""),
        );
        response
    }

    fn fault_answer(
        &self,
        shared: &Arc<Shared>,
        fault: Fault,
        bytes: &[u8],
        phone: Option<&str>,
    ) -> Option<Response> {
        // A faulty answer is still about the verification asked: its sid and number when the
        // request named them (a check by sid finds the number in the book), so that only the
        // fault itself makes the answer wrong.
        let asked_sid = || match &self.operation {
            Operation::Update { sid } => Some(sid.clone()),
            Operation::Send | Operation::Check => form_value(bytes, "VerificationSid"),
        };
        let asked_to = || {
            phone
                .map(str::to_owned)
                .or_else(|| form_value(bytes, "To"))
                .or_else(|| shared.twilio.number_of(&Target::Sid(asked_sid()?)))
                .unwrap_or_else(|| EXAMPLE_TO.to_owned())
        };
        let example = || {
            let mut verification = example_verification(&asked_to(), shared.config.clock.now());
            if let Some(sid) = asked_sid() {
                verification.sid = sid;
            }
            verification
        };
        Some(match fault {
            Fault::ServerError { status, html } => server_error(status, html),
            // Given once the request has been processed (the pipeline keeps it until then).
            Fault::ProcessThenFail {
                status,
                html,
                retry_after_secs,
            } => respond::with_retry_after(server_error(status, html), retry_after_secs),
            Fault::RateLimited { retry_after_secs } => respond::with_retry_after(
                error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests"),
                retry_after_secs,
            ),
            Fault::SuccessFalse => self.resource(shared, &example(), "failed", false),
            Fault::MalformedJson => respond::malformed_json(),
            Fault::TruncatedJson => {
                let mut half = self.body_of(shared, &example(), "pending", false);
                half.truncate(half.len() / 2);
                respond::json_bytes(self.success_status(), half)
            }
            Fault::Oversized { bytes } => respond::oversized(bytes),
            Fault::Trickle => respond::trickle(shared),
            // Given once the request has been processed: the resource of a verification of
            // its own (a new sid) to another number, pending after a send, approved after a
            // check, as asked after an update.
            Fault::ForeignAnswer => {
                let another = respond::another_number(&asked_to());
                let foreign = example_verification(&another, shared.config.clock.now());
                let (status, valid) = match &self.operation {
                    Operation::Send => ("pending", false),
                    Operation::Check => ("approved", true),
                    Operation::Update { .. } => match form_value(bytes, "Status").as_deref() {
                        Some("approved") => ("approved", true),
                        _ => ("canceled", false),
                    },
                };
                self.resource(shared, &foreign, status, valid)
            }
            // StatusEcho is handled by the pipeline, as Delay is.
            Fault::CloseBeforeRead
            | Fault::CloseAfterRead
            | Fault::Delay(_)
            | Fault::StatusEcho
            | Fault::CloseAfterProcessing => return None,
        })
    }

    fn status_fields(&self) -> &'static [&'static str] {
        &["/status"]
    }

    async fn process(&self, call: &mut Call<'_>) -> Response {
        if !self.known_service {
            call.trace.outcome = "unknown service";
            return not_found();
        }
        match &self.operation {
            Operation::Send => process_send(self, call).await,
            Operation::Check => process_check(self, call).await,
            Operation::Update { sid } => process_update(self, sid, call).await,
        }
    }
}

async fn process_send(route: &TwilioRoute, call: &mut Call<'_>) -> Response {
    let (shared, bytes) = (call.shared, call.bytes);
    let Some(to) = form_value(bytes, "To").filter(|to| is_e164(to)) else {
        call.trace.outcome = "invalid";
        return invalid("Invalid parameter `To`");
    };
    let Some(channel) = form_value(bytes, "Channel")
        .as_deref()
        .and_then(Channel::parse)
    else {
        call.trace.outcome = "invalid";
        return invalid("Invalid parameter `Channel`");
    };
    let locale = form_value(bytes, "Locale");
    if locale.as_deref().is_some_and(|tag| !is_locale(tag)) {
        call.trace.outcome = "invalid";
        return invalid("Invalid parameter `Locale`");
    }
    let app_hash = form_value(bytes, "AppHash").filter(|hash| !hash.is_empty());
    if app_hash.is_some() && channel != Channel::Sms {
        // Twilio's error 60602 (HTTP 400), "App hash can only be used with SMS channel":
        // "do not use app Hash with channel other than SMS". Refused, not ignored, as Twilio
        // does, so that a client sending one with a call is caught by its tests.
        call.trace.outcome = "invalid";
        return error(
            StatusCode::BAD_REQUEST,
            60602,
            "App hash can only be used with SMS channel",
        );
    }
    call.trace.phone = Some(to.clone());
    if let Some(response) = phone_fault(call, route, || Some(to.clone())).await {
        return response;
    }
    let now = shared.config.clock.now();
    match shared.twilio.send(&to, channel, now, &shared.config) {
        Ok(verification) => {
            Metrics::bump(&shared.metrics.codes_sent);
            Metrics::bump(&shared.metrics.twilio_codes_sent);
            let message =
                DeliveredSms::new("twilio", &to, &verification.code, &verification.sid, now).via(
                    channel.name(),
                    locale,
                    app_hash,
                );
            shared
                .inbox
                .deliver(message, shared.config.inbox_capacity_per_number);
            call.trace.outcome = "code sent";
            route.resource(shared, &verification, "pending", false)
        }
        Err(MaxSendAttempts) => {
            Metrics::bump(&shared.metrics.sends_rate_limited);
            call.trace.outcome = "rate limited";
            error(
                StatusCode::TOO_MANY_REQUESTS,
                60203,
                "Max send attempts reached",
            )
        }
    }
}

async fn process_check(route: &TwilioRoute, call: &mut Call<'_>) -> Response {
    let (shared, bytes) = (call.shared, call.bytes);
    let code = form_value(bytes, "Code")
        .filter(|code| (MIN_CODE_LENGTH..=MAX_CODE_LENGTH).contains(&code.chars().count()));
    let Some(code) = code else {
        call.trace.outcome = "invalid";
        return invalid("Invalid parameter `Code`");
    };
    let target = match (
        form_value(bytes, "VerificationSid"),
        form_value(bytes, "To"),
    ) {
        (Some(sid), _) => Target::Sid(sid),
        (None, Some(to)) if is_e164(&to) => Target::To(to),
        _ => {
            call.trace.outcome = "invalid";
            return invalid("Either a 'To' number or 'VerificationSid' must be specified");
        }
    };
    call.trace.phone = shared.twilio.number_of(&target);
    let phone = call.trace.phone.clone();
    if let Some(response) = phone_fault(call, route, || phone).await {
        return response;
    }
    let now = shared.config.clock.now();
    match shared.twilio.check(&target, &code, now) {
        Ok(Checked::Approved(verification)) => {
            call.trace.outcome = "approved";
            route.resource(shared, &verification, "approved", true)
        }
        Ok(Checked::Wrong(verification)) => {
            call.trace.outcome = "wrong code";
            route.resource(shared, &verification, "pending", false)
        }
        Err(CheckRefused::NotFound) => {
            call.trace.outcome = "no pending verification";
            not_found()
        }
        Err(CheckRefused::MaxAttempts) => {
            call.trace.outcome = "max check attempts";
            error(
                StatusCode::TOO_MANY_REQUESTS,
                60202,
                "Max check attempts reached",
            )
        }
    }
}

/// Cancels or approves a pending verification: the reference's Other operations, "`POST
/// /v2/Services/{ServiceSid}/Verifications/{Sid}` with `Status=canceled` (or `approved`): cancel
/// (or approve) a pending verification". Either ends it, as a check's approval does: a later
/// check answers 404 and the next send starts a new verification.
async fn process_update(route: &TwilioRoute, sid: &str, call: &mut Call<'_>) -> Response {
    let (shared, bytes) = (call.shared, call.bytes);
    let (status, valid) = match form_value(bytes, "Status").as_deref() {
        Some("canceled") => ("canceled", false),
        Some("approved") => ("approved", true),
        _ => {
            call.trace.outcome = "invalid";
            return invalid("Invalid parameter `Status`");
        }
    };
    let target = Target::Sid(sid.to_owned());
    call.trace.phone = shared.twilio.number_of(&target);
    let phone = call.trace.phone.clone();
    if let Some(response) = phone_fault(call, route, || phone).await {
        return response;
    }
    let Some(ended) = shared.twilio.end(&target, shared.config.clock.now()) else {
        call.trace.outcome = "no pending verification";
        return not_found();
    };
    if valid {
        call.trace.outcome = "approved";
    } else {
        Metrics::bump(&shared.metrics.twilio_verifications_canceled);
        call.trace.outcome = "canceled";
    }
    route.resource(shared, &ended, status, valid)
}

impl TwilioRoute {
    /// The verification (201 on send, 200 on update) or verification check (200) resource.
    fn resource(
        &self,
        shared: &Shared,
        verification: &Verification,
        status: &str,
        valid: bool,
    ) -> Response {
        respond::json_bytes(
            self.success_status(),
            self.body_of(shared, verification, status, valid),
        )
    }

    /// 201 for a send (a verification was created), 200 for a check or an update.
    fn success_status(&self) -> StatusCode {
        match self.operation {
            Operation::Send => StatusCode::CREATED,
            Operation::Check | Operation::Update { .. } => StatusCode::OK,
        }
    }

    fn body_of(
        &self,
        shared: &Shared,
        verification: &Verification,
        status: &str,
        valid: bool,
    ) -> Vec<u8> {
        let account = &shared.config.twilio;
        let account_sid = if account.user.starts_with("AC") {
            account.user.as_str()
        } else {
            DEFAULT_TWILIO_ACCOUNT_SID
        };
        let common = Common {
            sid: &verification.sid,
            service_sid: &account.service_sid,
            account_sid,
            to: &verification.to,
            channel: verification.channel.name(),
            status,
            valid,
        };
        let created = timestamp(verification.created);
        let updated = timestamp(verification.updated);
        let serialized = match self.operation {
            // An update answers the verification resource, as a send does.
            Operation::Send | Operation::Update { .. } => serde_json::to_vec(&SendResource {
                common,
                date_created: created,
                date_updated: updated,
                lookup: Empty {},
                amount: None,
                payee: None,
                send_code_attempts: verification
                    .attempts
                    .iter()
                    .map(|attempt| WireAttempt {
                        time: timestamp(attempt.time),
                        channel: attempt.channel.attempt_name(),
                        attempt_sid: &attempt.attempt_sid,
                    })
                    .collect(),
                sna: None,
                url: format!(
                    "https://verify.twilio.com/v2/Services/{}/Verifications/{}",
                    account.service_sid, verification.sid
                ),
            }),
            Operation::Check => serde_json::to_vec(&CheckResource {
                common,
                amount: None,
                payee: None,
                sna_attempts_error_codes: [],
                date_created: created,
                date_updated: updated,
            }),
        };
        serialized.unwrap_or_default()
    }
}

/// The fields both resources start with, in the reference's order.
#[derive(Serialize)]
struct Common<'a> {
    sid: &'a str,
    service_sid: &'a str,
    account_sid: &'a str,
    to: &'a str,
    channel: &'a str,
    status: &'a str,
    valid: bool,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct WireAttempt<'a> {
    time: String,
    channel: &'a str,
    attempt_sid: &'a str,
}

#[derive(Serialize)]
struct SendResource<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    date_created: String,
    date_updated: String,
    lookup: Empty,
    amount: Option<()>,
    payee: Option<()>,
    send_code_attempts: Vec<WireAttempt<'a>>,
    sna: Option<()>,
    url: String,
}

#[derive(Serialize)]
struct CheckResource<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    amount: Option<()>,
    payee: Option<()>,
    sna_attempts_error_codes: [u32; 0],
    date_created: String,
    date_updated: String,
}

/// The number of the reference's examples, for answers about no number the request named.
const EXAMPLE_TO: &str = "+15017122661";

/// A verification to show in a fault's answer.
fn example_verification(to: &str, now: DateTime<Utc>) -> Verification {
    Verification {
        sid: sid("VE"),
        to: to.to_owned(),
        code: String::new(),
        channel: Channel::Sms,
        created: now,
        updated: now,
        expires: now,
        checks: 0,
        attempts: vec![SendAttempt {
            time: now,
            channel: Channel::Sms,
            attempt_sid: sid("VL"),
        }],
        exhausted: false,
    }
}

/// Twilio's error JSON.
fn error(status: StatusCode, code: u32, message: &str) -> Response {
    respond::json(
        status,
        &serde_json::json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        }),
    )
}

/// A 5xx of Twilio's own (`html` false) or of a proxy in front of it (an HTML page). Twilio's
/// error JSON carries 20503 on a 503 and 20500 on any other 5xx: the two server errors of
/// Twilio's error dictionary (the reference's Errors table: "5xx | 20500, 20503, …").
fn server_error(status: u16, html: bool) -> Response {
    if html {
        return respond::html_page(status);
    }
    let status = respond::server_status(status);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        error(status, 20503, "Service Unavailable")
    } else {
        error(status, 20500, "Internal Server Error")
    }
}

fn invalid(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, 60200, message)
}

fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        20404,
        "The requested resource was not found",
    )
}

/// The first value of `name` in a form body.
fn form_value(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// `+` and 2 to 15 digits, the first not 0.
fn is_e164(value: &str) -> bool {
    value.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

/// A well-formed language tag, as Twilio's `Locale` takes them (`en`, `pt-BR`, `zh-HK`; its
/// supported-languages page: "country-region format as described in IETF's BCP 47"): a
/// language of 2 or 3 letters, then subtags of 1 to 8 letters or digits, each after a `-`, 35
/// characters at most. Whether Twilio has a translation for a well-formed tag is not simulated.
fn is_locale(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let language = subtags.next().unwrap_or_default();
    tag.len() <= 35
        && (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_alphabetic())
        && subtags.all(|subtag| {
            (1..=8).contains(&subtag.len()) && subtag.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// Twilio's timestamps: UTC, whole seconds, `Z`.
fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
