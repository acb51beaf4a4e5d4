//! `--test-numbers`, `--channel` and `--locale` through the program, as a user runs them.

use crate::support::{NUMBER, Workspace, check, fails_with, run, send, simulator, with_twilio};

/// The test numbers file of these tests: a range and its fixed code.
const TEST_NUMBERS: &[u8] = b"# the store's review accounts\n+12025550100..+12025550199 424242\n";

#[tokio::test]
async fn a_test_number_is_sent_and_verified_without_the_provider() {
    let sim = simulator().await;
    let url = sim.base_url();
    let ws = Workspace::new();
    let list = ws.file("test-numbers.txt", TEST_NUMBERS);
    let list = list.to_str().expect("a UTF-8 path");

    let mut sending = send(&url, &ws.db(), "+12025550142", "tv-review");
    sending.args(["--test-numbers", list, "--json"]);
    let sent = run(&mut sending).await;
    assert_eq!(sent.code, 0, "{}", sent.all());
    assert_eq!(sent.json()["provider"], "test", "{}", sent.stdout);
    assert!(!sent.all().contains("424242"), "{}", sent.all());

    let mut wrong = check(&url, &ws.db(), "tv-review", "111111");
    wrong.args(["--test-numbers", list]);
    let wrong = run(&mut wrong).await;
    assert_ne!(wrong.code, 0, "{}", wrong.all());
    let mut right = check(&url, &ws.db(), "tv-review", "424242");
    right.args(["--test-numbers", list]);
    let right = run(&mut right).await;
    assert_eq!(right.code, 0, "{}", right.all());
    assert!(right.stdout.contains("verified"), "{}", right.stdout);

    let counters = sim.counters();
    assert_eq!(
        (
            counters.idmeta_send_requests,
            counters.idmeta_verify_requests
        ),
        (0, 0),
        "the provider never heard of the test number"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_bad_test_numbers_file_names_its_line_and_never_quotes_it() {
    let ws = Workspace::new();
    let list = ws.file(
        "test-numbers.txt",
        b"+12025550100 424242\n+12025550150..+12025550100 987654\n",
    );
    let mut sending = send("http://127.0.0.1:9", &ws.db(), NUMBER, "tv-1");
    sending.args(["--test-numbers", list.to_str().expect("a UTF-8 path")]);
    let line = fails_with(&mut sending, 3, "line 2").await;
    let all = run(&mut sending).await.all();
    assert!(!all.contains("987654"), "{all}");
    assert!(!all.contains("12025550150"), "{all}");
    assert!(!line.is_empty());

    // An empty list is no error, but said: every number then goes to the provider.
    let empty = ws.file("empty.txt", b"# nobody yet\n");
    let mut sending = send("http://127.0.0.1:9", &ws.db(), NUMBER, "tv-2");
    sending.args(["--test-numbers", empty.to_str().expect("a UTF-8 path")]);
    let sent = run(&mut sending).await;
    assert_eq!(sent.code, 6, "the provider was tried: {}", sent.all());
    assert!(sent.stderr.contains("holds no entry"), "{}", sent.stderr);
}

#[tokio::test]
async fn a_call_through_idmeta_alone_is_refused_locally_and_names_the_way_out() {
    let sim = simulator().await;
    let url = sim.base_url();
    let ws = Workspace::new();
    let mut sending = send(&url, &ws.db(), NUMBER, "tv-call");
    sending.args(["--channel", "call"]);
    fails_with(&mut sending, 4, "--provider twilio").await;
    assert_eq!(sim.counters().idmeta_send_requests, 0);

    let mut unknown = send(&url, &ws.db(), NUMBER, "tv-pigeon");
    unknown.args(["--channel", "pigeon"]);
    fails_with(&mut unknown, 2, "expected sms, call or whatsapp").await;
    let mut bad_locale = send(&url, &ws.db(), NUMBER, "tv-locale");
    bad_locale.args(["--locale", "not a tag"]);
    fails_with(&mut bad_locale, 2, "--locale").await;
    assert_eq!(sim.counters().idmeta_send_requests, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_call_fails_over_past_idmeta_to_twilio_and_is_checked_there() {
    let sim = simulator().await;
    let url = sim.base_url();
    let ws = Workspace::new();
    let mut sending = send(&url, &ws.db(), NUMBER, "tv-call");
    sending.args([
        "--channel",
        "call",
        "--locale",
        "en",
        "--failover-to",
        "twilio",
        "--json",
    ]);
    with_twilio(&mut sending, &url);
    let sent = run(&mut sending).await;
    assert_eq!(sent.code, 0, "{}", sent.all());
    assert_eq!(sent.json()["provider"], "twilio", "{}", sent.stdout);
    assert_eq!(sent.json()["channel"], "call", "{}", sent.stdout);
    let counters = sim.counters();
    assert_eq!(
        (counters.idmeta_send_requests, counters.twilio_send_requests),
        (0, 1)
    );

    let code = sim.last_code_for(NUMBER).expect("the call was made");
    let mut checking = check(&url, &ws.db(), "tv-call", &code);
    checking.args(["--failover-to", "twilio"]);
    with_twilio(&mut checking, &url);
    let checked = run(&mut checking).await;
    assert_eq!(checked.code, 0, "{}", checked.all());

    // The history names each send's channel; a check has none.
    let mut history = crate::support::binary();
    history.args([
        "history",
        "--database-url",
        &ws.database_url(),
        "--trust-validation",
        "tv-call",
        "--json",
    ]);
    let listed = run(&mut history).await;
    assert_eq!(listed.code, 0, "{}", listed.all());
    let channels: Vec<serde_json::Value> = listed.json()["attempts"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|attempt| attempt["channel"].clone())
        .collect();
    assert_eq!(
        channels,
        [serde_json::Value::Null, "call".into()],
        "{}",
        listed.stdout
    );
    sim.shutdown().await;
}
