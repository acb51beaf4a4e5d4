//! Starting, configuring and stopping the simulator as a library.

use std::io::{Read, Write};
use std::time::Duration;

use phone_verify_sim::{SimConfig, SimConfigError, SimError};

use crate::support::{TOKEN, harness};

#[tokio::test]
async fn the_base_url_is_loopback_without_a_trailing_slash() {
    let h = harness().await;
    let url = h.sim.base_url();
    assert_eq!(url, format!("http://127.0.0.1:{}", h.sim.addr().port()));
    assert!(h.sim.addr().port() > 0);
}

#[tokio::test]
async fn after_shutdown_nothing_listens_on_the_port() {
    let h = harness().await;
    let url = h.sim.base_url();
    h.sim.shutdown().await;
    let error = h
        .client
        .get(format!("{url}/__sim/health"))
        .send()
        .await
        .expect_err("nothing listens");
    assert!(error.is_connect(), "{error}");
}

#[tokio::test]
async fn shutdown_does_not_wait_for_idle_keep_alive_connections() {
    let h = harness().await;
    assert!(h.send("tv-idle").await.status().is_success());
    // The client keeps its connection open in its pool.
    let shutdown = tokio::time::timeout(Duration::from_secs(5), h.sim.shutdown()).await;
    assert!(shutdown.is_ok());
}

#[tokio::test]
async fn an_invalid_configuration_is_refused_at_start() {
    let cases = [
        (
            SimConfig::default().idmeta_token(""),
            SimConfigError::EmptyIdmetaToken,
        ),
        (
            SimConfig::default().code_length(3),
            SimConfigError::CodeLength { digits: 3 },
        ),
        (
            SimConfig::default().fixed_code("12a4"),
            SimConfigError::FixedCode,
        ),
        (
            SimConfig::default().fixed_code("123"),
            SimConfigError::FixedCode,
        ),
        (
            SimConfig::default().fixed_code("12345678901"),
            SimConfigError::FixedCode,
        ),
        (
            SimConfig::default().body_read_timeout(Duration::ZERO),
            SimConfigError::ZeroBodyReadTimeout,
        ),
        (
            SimConfig::default().idmeta_max_attempts(0),
            SimConfigError::ZeroIdmetaAttempts,
        ),
        (
            SimConfig::default().idmeta_send_limit(0, Duration::from_secs(1)),
            SimConfigError::ZeroIdmetaSendLimit,
        ),
        (
            SimConfig::default().twilio_verification_lifetime(Duration::from_secs(119)),
            SimConfigError::TwilioVerificationLifetime {
                lifetime: Duration::from_secs(119),
            },
        ),
        (
            SimConfig::default().twilio_verification_lifetime(Duration::from_secs(86_401)),
            SimConfigError::TwilioVerificationLifetime {
                lifetime: Duration::from_secs(86_401),
            },
        ),
    ];
    for (config, expected) in cases {
        match phone_verify_sim::start(config).await {
            Err(SimError::Config(error)) => assert_eq!(error, expected),
            other => panic!("expected {expected:?}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn starting_on_a_taken_port_fails_with_a_bind_error() {
    let h = harness().await;
    let taken =
        phone_verify_sim::start_on(h.sim.addr(), SimConfig::default().idmeta_token(TOKEN)).await;
    assert!(matches!(taken, Err(SimError::Bind { .. })), "{taken:?}");
}

#[test]
fn the_config_debug_output_hides_the_token_and_a_fixed_code() {
    let shown = format!(
        "{:?}",
        SimConfig::default()
            .idmeta_token("s3cret-token")
            .fixed_code("987654")
    );
    assert!(
        !shown.contains("s3cret-token") && !shown.contains("987654"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_delivered_sms_debug_output_masks_the_number_and_the_code() {
    let h = crate::support::harness_with(crate::support::config().fixed_code("987654")).await;
    h.send_ok("tv-debug").await;
    let shown = format!("{:?}", h.sim.inbox());
    assert!(
        !shown.contains("182258491") && !shown.contains("987654"),
        "{shown}"
    );
    assert!(shown.contains("+*********91"), "{shown}");
}

#[tokio::test]
async fn the_clock_of_the_handle_is_the_one_the_simulator_reads() {
    let h = crate::support::harness_with(crate::support::config().fixed_code("123456")).await;
    h.send_ok("tv-shared-clock").await;
    h.sim.clock().advance(Duration::from_secs(300));
    let (_, body) = crate::support::json_of(h.verify("tv-shared-clock", "123456").await).await;
    assert_eq!(body["data"]["verify"]["codeState"], "EXPIRED");
}

#[tokio::test]
async fn dropping_the_simulator_with_an_endless_answer_in_flight_does_not_block() {
    let h = crate::support::harness_with(
        crate::support::config().trickle_interval(Duration::from_secs(3600)),
    )
    .await;
    h.sim.inject(
        phone_verify_sim::Fault::Trickle,
        phone_verify_sim::FaultScope::Next(1),
    );
    let mut response = h.send("tv-drop").await;
    assert_eq!(
        response.chunk().await.ok().flatten().as_deref(),
        Some(&b"{"[..])
    );
    drop(h.sim);
    // The trickle ends with an error once the simulator has wound down, instead of going on.
    let rest = tokio::time::timeout(Duration::from_secs(5), response.chunk()).await;
    assert!(matches!(rest, Ok(Err(_))), "{rest:?}");
}

#[tokio::test]
async fn a_client_that_sends_half_a_body_is_answered_408_and_disconnected() {
    let h = crate::support::harness_with(
        crate::support::config().body_read_timeout(Duration::from_millis(200)),
    )
    .await;
    let addr = h.sim.addr();
    let answer = tokio::task::spawn_blocking(move || {
        let mut socket = std::net::TcpStream::connect(addr).expect("connects");
        // Generous: the simulator gives up after 200 ms; this only stops a hung test.
        socket
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("a read timeout");
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"country_code\":",
            phone_verify_sim::IDMETA_SEND_PATH
        );
        socket.write_all(head.as_bytes()).expect("writes");
        // Reads until the simulator closes the connection (EOF); a timeout fails the test.
        let mut answer = String::new();
        socket
            .read_to_string(&mut answer)
            .expect("the simulator closes the connection");
        answer
    })
    .await
    .expect("joins");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("not received in time"), "{answer}");
    assert!(h.sim.inbox().is_empty());
}
