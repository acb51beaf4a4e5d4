//! The provider's free text reaches the terminal escaped, masked and capped: a hostile server
//! answers a send and a check with escape sequences, forged lines, bidirectional controls, the
//! phone number and a page of padding, and the binary's text output shows none of it raw. JSON
//! output keeps the values, escaped by the JSON encoder.

use std::net::SocketAddr;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;

use crate::support::{CODE, NUMBER, Workspace, assert_no_number, check, run, send};

/// Escape sequences that clear the screen and set the window title, a forged error line, a
/// right-to-left override, the number in two forms, and a long tail.
fn hostile(word: &str) -> String {
    format!(
        "{word}\u{1b}[2J\u{1b}]0;owned\u{7}\r\nphone-verify: forged line for +60 18-225 8491 \
         \u{202e}0182258491{}",
        "x".repeat(5_000)
    )
}

/// A send answer as documented, with hostile free text (a carrier's delivery code, whose text
/// the send keeps).
fn send_answer() -> Value {
    json!({
        "success": true,
        "message": hostile("sent"),
        "data": {
            "referenceId": "0123456789ABCDEF0123456789ABCDEF",
            "submitTime": "2026-05-14T10:00:00.000Z",
            "status": {
                "updatedOn": "2026-05-14T10:00:00.000Z",
                "code": 207,
                "description": hostile("Undeliverable"),
            },
            "verify": {"codeState": "UNKNOWN", "inputPhoneNumber": NUMBER},
        },
        "verificationStatus": "PENDING",
        "verificationStatusCode": 0,
        "trustFlowId": 147,
        "trustValidationId": "tv-hostile",
        "verificationType": "sms_verification",
        "metadata": null,
    })
}

/// A verify answer as documented, with a hostile description, code state and status.
fn verify_answer() -> Value {
    json!({
        "success": true,
        "message": hostile("processed"),
        "data": {
            "referenceId": "0123456789ABCDEF0123456789ABCDEF",
            "submitTime": "2026-05-14T10:01:00.000Z",
            "status": {"code": 200, "description": hostile("Verify success")},
            "verify": {"codeState": hostile("VALID"), "inputPhoneNumber": NUMBER},
        },
        "verificationStatus": hostile("VERIFIED"),
        "verificationStatusCode": 3,
        "trustFlowId": 147,
        "trustValidationId": "tv-hostile",
        "verificationType": "sms_verification",
        "metadata": null,
    })
}

/// An HTTP server on loopback that answers every request with the send or the verify answer,
/// by path, and closes the connection.
async fn hostile_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut stream = BufReader::new(stream);
                let mut request_line = String::new();
                let mut length = 0;
                stream.read_line(&mut request_line).await.ok()?;
                loop {
                    let mut header = String::new();
                    stream.read_line(&mut header).await.ok()?;
                    if header.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = header.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().ok()?;
                    }
                }
                let mut body = vec![0; length];
                stream.read_exact(&mut body).await.ok()?;
                let answer = if request_line.contains("/verify") {
                    verify_answer()
                } else {
                    send_answer()
                }
                .to_string();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                stream.get_mut().write_all(response.as_bytes()).await.ok()
            });
        }
    });
    addr
}

#[tokio::test]
async fn provider_free_text_is_escaped_masked_and_capped_in_text_output() {
    let url = format!("http://{}", hostile_server().await);
    let ws = Workspace::new();
    let sent = run(&mut send(&url, &ws.db(), NUMBER, "tv-hostile")).await;
    assert_eq!(sent.code, 0, "{}", sent.all());
    let checked = run(&mut check(&url, &ws.db(), "tv-hostile", CODE)).await;
    assert_eq!(
        checked.code,
        1,
        "an unlisted code state is no verdict: {}",
        checked.all()
    );

    assert!(sent.stdout.contains("207 Undeliverable"), "{}", sent.stdout);
    // A status or state no mapping knows is kept only as a short token: this one is not.
    assert!(checked.stdout.contains("unlisted"), "{}", checked.stdout);
    assert!(!checked.stdout.contains("VALID"), "{}", checked.stdout);
    assert!(
        sent.stdout.contains("\\u{1b}[2J"),
        "free text is escaped, so it shows: {}",
        sent.stdout
    );
    for run in [&sent, &checked] {
        let output = run.all();
        for raw in ['\u{1b}', '\r', '\u{7}', '\u{202e}'] {
            assert!(
                !output.contains(raw),
                "{raw:?} reached the terminal:\n{output}"
            );
        }
        assert!(
            !output
                .lines()
                .any(|line| line.starts_with("phone-verify: forged")),
            "a forged line:\n{output}"
        );
        assert!(
            run.stdout.lines().all(|line| line.chars().count() < 130),
            "long text is cut:\n{}",
            run.stdout
        );
        assert_no_number(&output, "text output");
    }
}

#[tokio::test]
async fn json_output_keeps_provider_text_as_escaped_json() {
    let url = format!("http://{}", hostile_server().await);
    let ws = Workspace::new();
    let sent = run(send(&url, &ws.db(), NUMBER, "tv-hostile").arg("--json")).await;
    let checked = run(check(&url, &ws.db(), "tv-hostile", CODE).arg("--json")).await;
    for run in [&sent, &checked] {
        assert_eq!(
            run.stdout.trim().lines().count(),
            1,
            "one document: {}",
            run.stdout
        );
        assert!(
            !run.stdout.contains('\u{1b}') && !run.stdout.trim_end().contains('\r'),
            "control characters are escaped: {}",
            run.stdout
        );
    }
    assert_eq!(
        sent.json()["delivery"],
        format!("207 {}", hostile("Undeliverable"))
    );
    assert_eq!(checked.json()["verification_status"], "unlisted");
}
