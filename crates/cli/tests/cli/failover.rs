//! `--provider`, `--failover-to` and `demo --failover`, run as a process: the send goes to the
//! chosen provider, fails over only when the first provably sent nothing, the check goes to
//! the provider of the send, and the history names each attempt's provider.

use std::time::Duration;

use phone_verify_sim::{Fault, FaultScope, Simulator};

use crate::support::{
    CODE, NUMBER, Run, Workspace, binary, check, fails_with, run, send, simulator, with_twilio,
};

/// The base URL of a loopback port nothing listens on: IDMeta unreachable.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = listener.local_addr().expect("its address");
    drop(listener);
    format!("http://{address}")
}

/// The base URL of a loopback port whose connections hang: a listener that never accepts,
/// its backlog (one connection) filled, so that the kernel drops every further SYN and a
/// connect waits until its timeout. Both sockets are kept in what is returned with it.
fn hanging_port_url() -> (String, (tokio::net::TcpListener, std::net::TcpStream)) {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("bind");
    let listener = socket.listen(0).expect("listen");
    let address = listener.local_addr().expect("its address");
    let filler = std::net::TcpStream::connect(address).expect("the backlog takes one");
    (format!("http://{address}"), (listener, filler))
}

#[tokio::test]
async fn a_connection_that_hangs_is_given_up_within_the_budget_and_the_send_fails_over() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let (hanging, _sockets) = hanging_port_url();
    let budget = Duration::from_secs(1);
    // `send` gives each attempt 1 s: one fits the budget; without it, three would be made.
    let mut sending = send(&hanging, &ws.db(), NUMBER, "tv-hang");
    sending.args([
        "--failover-to",
        "twilio",
        "--total-timeout-secs",
        "1",
        "--json",
    ]);
    with_twilio(&mut sending, &sim.base_url());
    let sent = run(&mut sending).await;
    assert_eq!(sent.code, 0, "{}", sent.all());
    assert_eq!(sent.json()["provider"], "twilio");
    assert_eq!(sim.counters().twilio_send_requests, 1, "Twilio was asked");

    // The time IDMeta took, as the records tell it: from its attempt's start to Twilio's.
    let listed = run(binary()
        .args(["history", "--json", "--trust-validation", "tv-hang"])
        .args(["--database-url", &ws.database_url()]))
    .await;
    let started = |attempt: &serde_json::Value| {
        let at = attempt["started_at"].as_str().unwrap_or_default();
        chrono::DateTime::parse_from_rfc3339(at).unwrap_or_else(|e| panic!("{at:?}: {e}"))
    };
    let attempts = listed.json()["attempts"].clone();
    let [twilio, idmeta] = attempts.as_array().map(Vec::as_slice).unwrap_or_default() else {
        panic!("two sends: {}", listed.stdout);
    };
    assert_eq!(
        (idmeta["provider"].as_str(), idmeta["outcome"].as_str()),
        (Some("idmeta"), Some("not sent"))
    );
    let at_idmeta = (started(twilio) - started(idmeta))
        .to_std()
        .expect("in order");
    // Generous (the bound is the budget): machines are noisy.
    assert!(at_idmeta < 2 * budget, "IDMeta took {at_idmeta:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_failover_demo_sends_and_checks_at_twilio_and_records_both_attempts() {
    let ws = Workspace::new();
    let run = run(binary()
        .args(["demo", "--failover", "--json", "--database"])
        .arg(ws.db()))
    .await;
    assert_eq!(run.code, 0, "{}", run.all());
    let doc = run.json();
    assert_eq!(doc["send"]["provider"], "twilio");
    assert_eq!(doc["check"]["verdict"], "verified");
    let attempts = doc["history"]["attempts"].as_array().expect("a list");
    let rows: Vec<(&str, Option<&str>, &str)> = attempts
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or_default(),
                a["provider"].as_str(),
                a["outcome"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("check", None, "verified"),
            ("send", Some("twilio"), "sent"),
            ("send", Some("idmeta"), "not sent"),
        ]
    );
}

#[tokio::test]
async fn the_failover_demo_in_text_shows_both_providers_in_the_history() {
    let ws = Workspace::new();
    let run = run(binary()
        .args(["demo", "--failover", "--database"])
        .arg(ws.db()))
    .await;
    assert_eq!(run.code, 0, "{}", run.all());
    for shown in [
        "idmeta -> twilio",
        "provider           twilio",
        "not sent",
        "verified",
    ] {
        assert!(
            run.stdout.contains(shown),
            "missing {shown:?} in:\n{}",
            run.stdout
        );
    }
}

#[tokio::test]
async fn send_and_check_go_to_twilio_when_it_is_the_provider() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let mut sending = send(&sim.base_url(), &ws.db(), "+60 18-225 8491", "tv-twilio");
    sending.args(["--provider", "twilio", "--json"]);
    with_twilio(&mut sending, &sim.base_url());
    let sent = run(&mut sending).await;
    assert_eq!(sent.code, 0, "{}", sent.all());
    assert_eq!(sent.json()["provider"], "twilio");

    let mut checking = check(&sim.base_url(), &ws.db(), "tv-twilio", CODE);
    checking.args(["--provider", "twilio"]);
    with_twilio(&mut checking, &sim.base_url());
    let checked = run(&mut checking).await;
    assert_eq!(checked.code, 0, "{}", checked.all());
    let counters = sim.counters();
    assert_eq!(
        (
            counters.idmeta_send_requests,
            counters.idmeta_verify_requests,
            counters.twilio_send_requests,
            counters.twilio_check_requests
        ),
        (0, 0, 1, 1)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_send_fails_over_from_an_unreachable_idmeta_and_its_check_follows_it() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let unreachable = closed_port_url();
    let mut sending = send(&unreachable, &ws.db(), "+60 18-225 8491", "tv-failover");
    sending.args(["--failover-to", "twilio", "--json"]);
    with_twilio(&mut sending, &sim.base_url());
    let sent = run(&mut sending).await;
    assert_eq!(sent.code, 0, "{}", sent.all());
    assert_eq!(sent.json()["provider"], "twilio");
    assert!(sim.last_code_for(NUMBER).is_some());

    // The same configuration: the check goes to Twilio, the provider of the send.
    let mut checking = check(&unreachable, &ws.db(), "tv-failover", CODE);
    checking.args(["--failover-to", "twilio"]);
    with_twilio(&mut checking, &sim.base_url());
    let checked = run(&mut checking).await;
    assert_eq!(checked.code, 0, "{}", checked.all());
    let counters = sim.counters();
    assert_eq!(
        (
            counters.twilio_send_requests,
            counters.twilio_check_requests
        ),
        (1, 1)
    );
    sim.shutdown().await;
}

/// `send --failover-to twilio --json` to [`NUMBER`] for `trust_validation`, IDMeta answering
/// with `fault`: the run, and the history's sends as (provider, outcome), newest first.
async fn send_failing_over(
    sim: &Simulator,
    ws: &Workspace,
    fault: Fault,
    trust_validation: &str,
) -> (Run, Vec<(String, String)>) {
    sim.inject(fault, FaultScope::Next(1));
    let mut sending = send(&sim.base_url(), &ws.db(), NUMBER, trust_validation);
    sending.args(["--failover-to", "twilio", "--json"]);
    with_twilio(&mut sending, &sim.base_url());
    let sent = run(&mut sending).await;
    let listed = run(binary()
        .args(["history", "--json", "--trust-validation", trust_validation])
        .args(["--database-url", &ws.database_url()]))
    .await;
    let attempts = listed.json()["attempts"].clone();
    let sends = attempts
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|attempt| {
            let field = |name: &str| attempt[name].as_str().unwrap_or_default().to_owned();
            (field("provider"), field("outcome"))
        })
        .collect();
    (sent, sends)
}

#[tokio::test]
async fn a_503_page_from_idmeta_exits_with_outcome_unknown_and_twilio_is_never_asked() {
    let processed = Fault::ProcessThenFail {
        status: 503,
        html: true,
        retry_after_secs: None,
    };
    let turned_away = Fault::ServerError {
        status: 503,
        html: true,
    };
    for (fault, delivered) in [(turned_away, 0), (processed, 1)] {
        let sim = simulator().await;
        let ws = Workspace::new();

        let (sent, sends) = send_failing_over(&sim, &ws, fault.clone(), "tv-503-page").await;

        assert_eq!(sent.code, 7, "{fault:?}: {}", sent.all());
        assert_eq!(
            sent.json()["error"]["class"],
            "outcome_unknown",
            "{fault:?}"
        );
        let counters = sim.counters();
        assert_eq!(
            (counters.idmeta_send_requests, counters.twilio_send_requests),
            (1, 0),
            "{fault:?}: IDMeta once, Twilio never"
        );
        assert_eq!(
            sim.inbox_for(NUMBER).len(),
            delivered,
            "{fault:?}: a code went out only when IDMeta processed the send"
        );
        assert_eq!(
            sends,
            [("idmeta".to_owned(), "outcome unknown".to_owned())],
            "{fault:?}"
        );
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn idmetas_own_json_503_fails_the_send_over_to_twilio() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let turned_away = Fault::ServerError {
        status: 503,
        html: false,
    };

    let (sent, sends) = send_failing_over(&sim, &ws, turned_away, "tv-503-json").await;

    assert_eq!(sent.code, 0, "{}", sent.all());
    assert_eq!(sent.json()["provider"], "twilio");
    let counters = sim.counters();
    assert_eq!(
        (counters.idmeta_send_requests, counters.twilio_send_requests),
        (1, 1)
    );
    assert_eq!(
        sends,
        [
            ("twilio".to_owned(), "sent".to_owned()),
            ("idmeta".to_owned(), "not sent".to_owned()),
        ]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn twilio_without_credentials_is_a_configuration_error() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let mut sending = send(&sim.base_url(), &ws.db(), "+60 18-225 8491", "tv-none");
    sending.args(["--provider", "twilio"]);
    sending.env(
        "TWILIO_VERIFY_SERVICE_SID",
        phone_verify_sim::DEFAULT_TWILIO_SERVICE_SID,
    );
    fails_with(&mut sending, 3, "no Twilio credentials").await;
    assert_eq!(sim.counters().requests_total, 0);
    sim.shutdown().await;
}
