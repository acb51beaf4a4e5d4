//! The `phone-verify-sim` program: prints its URL, serves, masks numbers in its log, stops on SIGINT.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;

use crate::support::send_body;

/// The program on a free port, with `args` and what `program` adds to its command (stdout is
/// piped). Returns it and the URL it printed first.
fn start_program(args: &[&str], program: impl FnOnce(&mut Command)) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_phone-verify-sim"));
    command
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped());
    program(&mut command);
    let mut child = command.spawn().expect("the program starts");
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
    (child, url)
}

/// The status of an IDMeta send to the program at `url` with `token`.
async fn idmeta_send(url: &str, token: &str, trust_validation: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{url}{}", phone_verify_sim::IDMETA_SEND_PATH))
        .bearer_auth(token)
        .json(&send_body("+60", "182258491", trust_validation))
        .send()
        .await
        .expect("an answer")
        .status()
}

#[tokio::test]
async fn the_program_prints_its_url_serves_masks_numbers_in_its_log_and_stops_on_interrupt() {
    let (mut child, url) = start_program(
        &[
            "--idmeta-token",
            "prog-token",
            "--fixed-code",
            "246810",
            "--twilio-secret",
            "prog-twilio-secret",
        ],
        |command| {
            command.env("RUST_LOG", "info").stderr(Stdio::piped());
        },
    );

    assert_eq!(
        idmeta_send(&url, "prog-token", "tv-program").await,
        StatusCode::OK
    );
    let client = reqwest::Client::new();
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

#[tokio::test]
async fn the_former_token_flag_and_variable_still_set_the_idmeta_token() {
    let former_flag = start_program(&["--token", "flag-token"], |command| {
        command.stderr(Stdio::null());
    });
    let former_variable = start_program(&[], |command| {
        command
            .env_remove("PHONE_VERIFY_SIM_IDMETA_TOKEN")
            .env("PHONE_VERIFY_SIM_TOKEN", "variable-token")
            .stderr(Stdio::null());
    });
    for ((mut child, url), token) in [
        (former_flag, "flag-token"),
        (former_variable, "variable-token"),
    ] {
        let accepted = idmeta_send(&url, token, "tv-former").await;
        let default = idmeta_send(&url, phone_verify_sim::DEFAULT_IDMETA_TOKEN, "tv-other").await;
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(accepted, StatusCode::OK, "{token}");
        assert_eq!(default, StatusCode::UNAUTHORIZED, "{token}");
    }
}
