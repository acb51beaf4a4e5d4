//! Building answers every route shares: JSON and its content type, `Retry-After`, the 408 of a
//! stalled body, a proxy's HTML 5xx page, and the bodies of faults that look alike whichever
//! provider's route gives them. IDMeta's own answers are in `idmeta_respond.rs`, Twilio's in
//! `twilio_api.rs`.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::stream;
use serde::Serialize;
use serde_json::json;

use crate::server::Shared;

/// A timestamp as the documentation shows them: UTC, three fractional digits, `Z`.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A JSON answer.
pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => json_bytes(status, bytes),
        // Our own types always serialize; this only keeps a bug from panicking a connection.
        Err(_) => json_bytes(
            StatusCode::INTERNAL_SERVER_ERROR,
            br#"{"message":"Server Error"}"#.to_vec(),
        ),
    }
}

/// A JSON answer from bytes already serialised.
pub(crate) fn json_bytes(status: StatusCode, bytes: impl Into<Body>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes.into(),
    )
        .into_response()
}

/// `{"message": …}` with a status.
pub(crate) fn message(status: StatusCode, message: &str) -> Response {
    json(status, &json!({ "message": message }))
}

/// 408 for a body that stopped arriving, with `Connection: close`: the rest of the body may still
/// come, so the connection cannot carry another request.
pub(crate) fn body_timeout() -> Response {
    let mut response = message(
        StatusCode::REQUEST_TIMEOUT,
        "The request body was not received in time.",
    );
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// `response` with a `Retry-After: <secs>` header when `retry_after_secs` is given.
pub(crate) fn with_retry_after(mut response: Response, retry_after_secs: Option<u64>) -> Response {
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// The 5xx a fault asked for: any status outside 500..=599 is answered as 500.
pub(crate) fn server_status(status: u16) -> StatusCode {
    StatusCode::from_u16(status)
        .ok()
        .filter(StatusCode::is_server_error)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The HTML error page of an nginx in front of the API, for a 5xx.
pub(crate) fn html_page(status: u16) -> Response {
    let status = server_status(status);
    let reason = status.canonical_reason().unwrap_or("Server Error");
    let code = status.as_u16();
    let page = format!(
        "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n\
         <center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n\
         </body>\r\n</html>\r\n"
    );
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/html"))],
        page,
    )
        .into_response()
}

/// The `MalformedJson` fault.
pub(crate) fn malformed_json() -> Response {
    json_bytes(
        StatusCode::OK,
        Bytes::from_static(
            b"{\"success\":true,\"message\":'Phone verification',data:{referenceId:}",
        ),
    )
}

/// A number that is not `e164`: its last digit moved on by one (`…91` → `…92`, `…99` →
/// `…90`), for the `ForeignAnswer` fault's other verification.
pub(crate) fn another_number(e164: &str) -> String {
    let mut number = e164.to_owned();
    match number.pop() {
        Some(last) if last.is_ascii_digit() => {
            let next = (last as u8 - b'0' + 1) % 10;
            number.push(char::from(b'0' + next));
        }
        Some(last) => {
            number.push(last);
            number.push('0');
        }
        None => number.push('0'),
    }
    number
}

/// The `StatusEcho` fault: `response` with the number the request concerns (`number`) and a
/// long free text with control characters in each of the status `fields` (JSON pointers) its
/// body has, when it is a 2xx JSON object; any other answer as it was.
pub(crate) async fn status_echo(
    response: Response,
    fields: &[&str],
    number: Option<&str>,
) -> Response {
    if !response.status().is_success() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Our own answers, already in memory: reading them cannot fail or stall.
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let echoed = echoed_status_body(&bytes, fields, number.unwrap_or_default());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(echoed.unwrap_or_else(|| bytes.to_vec())))
}

/// `body` with [`echoed_status`] at each of `fields` it has; `None` when it is no JSON object.
fn echoed_status_body(body: &[u8], fields: &[&str], number: &str) -> Option<Vec<u8>> {
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if !value.is_object() {
        return None;
    }
    for field in fields {
        if let Some(slot) = value.pointer_mut(field) {
            *slot = serde_json::Value::String(echoed_status(number));
        }
    }
    serde_json::to_vec(&value).ok()
}

/// What the `StatusEcho` fault puts in a status field: the number, control characters (an ANSI
/// escape, a bell, a NUL, a line break) and 6 KiB of prose.
fn echoed_status(number: &str) -> String {
    let mut text = format!("SMS sent to {number}\r\n\u{1b}[31m\u{7}\u{0}");
    text.push_str(&"the code was delivered to the handset; ".repeat(160));
    text
}

/// The largest body the `Oversized` fault sends.
const MAX_OVERSIZED: usize = 256 * 1024 * 1024;

/// The `Oversized` fault: exactly `bytes` bytes of JSON, streamed in chunks, with a
/// `Content-Length`.
pub(crate) fn oversized(bytes: usize) -> Response {
    const PREFIX: &[u8] = b"{\"success\":true,\"message\":\"Phone verification code sent successfully\",\"padding\":\"";
    const SUFFIX: &[u8] = b"\"}";
    const CHUNK: usize = 64 * 1024;
    let total = bytes.min(MAX_OVERSIZED);
    let mut head = Vec::with_capacity(PREFIX.len());
    head.extend_from_slice(&PREFIX[..PREFIX.len().min(total)]);
    let tail_len = SUFFIX.len().min(total - head.len());
    let padding = total - head.len() - tail_len;
    let filler = Bytes::from(vec![b'x'; CHUNK.min(padding.max(1))]);
    let mut chunks: Vec<Bytes> = vec![Bytes::from(head)];
    let mut left = padding;
    while left > 0 {
        let n = left.min(CHUNK);
        chunks.push(filler.slice(..n));
        left -= n;
    }
    chunks.push(Bytes::from_static(&SUFFIX[..tail_len]));
    let body = Body::from_stream(stream::iter(chunks.into_iter().map(Ok::<_, io::Error>)));
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CONTENT_LENGTH, HeaderValue::from(total)),
        ],
        body,
    )
        .into_response()
}

/// The `Trickle` fault: 200 headers, `{` at once, then a space per interval until shutdown, when
/// the body fails so the connection closes.
pub(crate) fn trickle(shared: &Arc<Shared>) -> Response {
    #[derive(Clone, Copy)]
    enum Step {
        First,
        Next,
        Done,
    }
    let interval: Duration = shared.config.trickle_interval;
    let shared = Arc::clone(shared);
    let body = stream::unfold(Step::First, move |step| {
        let shared = Arc::clone(&shared);
        async move {
            match step {
                Step::First => Some((Ok(Bytes::from_static(b"{")), Step::Next)),
                Step::Next => tokio::select! {
                    () = tokio::time::sleep(interval) => Some((Ok(Bytes::from_static(b" ")), Step::Next)),
                    () = shared.stopped() => Some((Err(io::Error::other("simulator shutting down")), Step::Done)),
                },
                Step::Done => None,
            }
        }
    });
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Body::from_stream(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_number_differs_from_the_number_in_its_last_digit_only() {
        for (number, other) in [
            ("+60182258491", "+60182258492"),
            ("+15017122669", "+15017122660"),
        ] {
            assert_eq!(another_number(number), other);
        }
    }

    #[test]
    fn a_status_echo_fills_every_status_field_the_body_has_and_nothing_else() {
        let body = br#"{"status":"approved","data":{"verify":{"codeState":"VALID"}},"to":"+1"}"#;
        let echoed = echoed_status_body(
            body,
            &["/status", "/data/verify/codeState", "/x/y"],
            "+15017122661",
        )
        .expect("a JSON object");
        let value: serde_json::Value = serde_json::from_slice(&echoed).expect("JSON");
        for field in ["/status", "/data/verify/codeState"] {
            let text = value.pointer(field).and_then(|v| v.as_str()).expect(field);
            assert!(
                text.contains("+15017122661") && text.contains('\u{1b}'),
                "{field}"
            );
            assert!(text.len() > 4096, "{field}");
        }
        assert_eq!(value["to"], "+1");
        assert!(value.pointer("/x").is_none());
        assert_eq!(echoed_status_body(b"[1]", &["/0"], "+1"), None);
    }
}
