//! The `phone-verify-sim` program: prints its URL, serves, masks numbers in its log, stops on SIGINT.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use reqwest::StatusCode;

use crate::support::send_body;

#[tokio::test]
async fn the_program_prints_its_url_serves_masks_numbers_in_its_log_and_stops_on_interrupt() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_phone-verify-sim"))
        .args([
            "--port",
            "0",
            "--token",
            "prog-token",
            "--fixed-code",
            "246810",
            "--twilio-secret",
            "prog-twilio-secret",
        ])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first_line = String::new();
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .expect("a first line");
    let url = first_line
        .trim()
        .strip_prefix("phone-verify-sim listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let client = reqwest::Client::new();
    let response = client
        .post(format!("{url}{}", phone_verify_sim::IDMETA_SEND_PATH))
        .bearer_auth("prog-token")
        .json(&send_body("+60", "182258491", "tv-program"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    let inbox: serde_json::Value = client
        .get(format!("{url}/__sim/inbox"))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(inbox[0]["code"], "246810");
    let twilio = client
        .post(format!(
            "{url}/v2/Services/{}/Verifications",
            phone_verify_sim::DEFAULT_TWILIO_SERVICE_SID
        ))
        .basic_auth(
            phone_verify_sim::DEFAULT_TWILIO_ACCOUNT_SID,
            Some("prog-twilio-secret"),
        )
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("To=%2B60182258491&Channel=sms")
        .send()
        .await
        .expect("an answer");
    assert_eq!(twilio.status(), StatusCode::CREATED);

    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let status = tokio::task::spawn_blocking(move || {
        let status = child.wait();
        let mut log = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            let _ = stderr.read_to_string(&mut log);
        }
        (status, log)
    })
    .await
    .expect("joins");
    let (status, log) = status;
    assert!(status.expect("the program exits").success());
    assert!(
        log.contains("+*********91"),
        "the masked number is logged: {log}"
    );
    assert!(
        !log.contains("182258491"),
        "the number never appears in full: {log}"
    );
    assert!(!log.contains("246810"), "codes never appear: {log}");
    assert!(
        !log.contains("prog-token") && !log.contains("prog-twilio-secret"),
        "the credentials never appear: {log}"
    );
}
