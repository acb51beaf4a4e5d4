//! What reaches stderr through logging: no number in any form whatever `RUST_LOG` says, and by
//! default nothing but the one error line and its hint.

use std::time::Duration;

use phone_verify_sim::{Fault, FaultScope, SimConfig};

use crate::support::{
    CODE, NUMBER, Run, TOKEN, Workspace, assert_no_number, binary, check, run, send, simulator,
};

/// Typed with spaces and dashes, as a user would, so a log of the raw input would show them.
const TYPED: &str = "+60 18-225 8491";

/// A number the numbering plan refuses (too short): the library logs what it cannot parse. Its
/// national digits are `support::LEADING_DIGITS`.
const REFUSED: &str = "+60 18-225 84";

/// `RUST_LOG` values that once printed numbers: span filters over each use-case and adapter
/// span, field filters on `phone`, and every module path of `rlibphonenumber` that logs (and
/// their parents), besides the plain most verbose level. With each, whether the use cases log
/// (so the masked number shows): not when only the numbering library is named.
const RUST_LOG_VALUES: &[(&str, bool)] = &[
    ("trace", true),
    ("[send_code]=trace", true),
    ("[check_code]=trace", true),
    ("[history]=trace", true),
    ("[idmeta.send_code]=trace", true),
    ("[{phone}]=trace", true),
    ("[send_code{phone}]=trace", true),
    ("off,[{phone}]=trace", true),
    ("rlibphonenumber=trace", false),
    ("off,rlibphonenumber=trace", false),
    ("rlibphonenumber::phonenumberutil=trace", false),
    (
        "rlibphonenumber::phonenumberutil::phonenumberutil_internal=trace",
        false,
    ),
    ("rlibphonenumber::phonenumber_matcher=trace", false),
    (
        "rlibphonenumber::phonenumber_matcher::matcher_internal=trace",
        false,
    ),
    ("trace,rlibphonenumber=trace,[{phone}]=trace", true),
];

#[tokio::test]
async fn no_rust_log_value_brings_a_number_into_the_output() {
    // One number sent to once per `RUST_LOG` value: the simulator's own limits are off.
    let config = SimConfig::default()
        .idmeta_token(TOKEN)
        .fixed_code(CODE)
        .idmeta_resend_cooldown(Duration::ZERO)
        .idmeta_no_send_limit();
    let sim = phone_verify_sim::start(config)
        .await
        .expect("the simulator starts");
    let url = sim.base_url();
    for (index, &(rust_log, logs_use_cases)) in RUST_LOG_VALUES.iter().enumerate() {
        let ws = Workspace::new();
        let tv = format!("tv-log-{index}");
        let runs: Vec<Run> = vec![
            run(send(&url, &ws.db(), TYPED, &tv).env("RUST_LOG", rust_log)).await,
            run(check(&url, &ws.db(), &tv, CODE).env("RUST_LOG", rust_log)).await,
            run(binary()
                .args(["history", "--phone", TYPED, "--database-url"])
                .arg(ws.database_url())
                .env("RUST_LOG", rust_log))
            .await,
            run(send(&url, &ws.db(), REFUSED, "tv-refused").env("RUST_LOG", rust_log)).await,
        ];
        let codes: Vec<i32> = runs.iter().map(|r| r.code).collect();
        assert_eq!(
            codes,
            [0, 0, 0, 2],
            "RUST_LOG={rust_log:?} exit codes: {}",
            runs[0].all()
        );
        for output in runs.iter().map(Run::all) {
            assert_no_number(&output, &format!("RUST_LOG={rust_log:?}"));
        }
        // The directive did switch logging on: the number shows, masked.
        let logged: String = runs.iter().map(|r| r.stderr.as_str()).collect();
        assert_eq!(
            logged.contains("+60*****8491"),
            logs_use_cases,
            "RUST_LOG={rust_log:?}:\n{logged}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn without_rust_log_a_failure_prints_exactly_its_error_line_and_hint() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let url = sim.base_url();
    // A first send creates the store (and says so on stderr, a line of its own).
    let created = run(&mut send(&url, &ws.db(), "+60143456789", "tv-quiet-0")).await;
    assert_eq!(created.code, 0, "{}", created.all());
    let mut failures = Vec::new();
    sim.inject(Fault::CloseAfterProcessing, FaultScope::Next(1));
    failures.push(run(&mut send(&url, &ws.db(), NUMBER, "tv-quiet-1")).await);
    failures.push(run(&mut send(&url, &ws.db(), NUMBER, "tv-quiet-2")).await);
    sim.inject(
        Fault::ServerError {
            status: 503,
            html: false,
        },
        FaultScope::Next(1),
    );
    failures.push(run(&mut send(&url, &ws.db(), "+60123456789", "tv-quiet-3")).await);
    failures.push(run(&mut check(&url, &ws.db(), "tv-unknown", CODE)).await);
    let codes: Vec<i32> = failures.iter().map(|r| r.code).collect();
    assert_eq!(codes, [7, 4, 6, 4], "exit codes");
    for failure in &failures {
        let lines: Vec<&str> = failure.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            2,
            "one error line and its hint:\n{}",
            failure.stderr
        );
        assert!(lines[0].starts_with("phone-verify: "), "{}", failure.stderr);
        assert!(lines[1].starts_with("  hint: "), "{}", failure.stderr);
    }
    // The same failure with logs asked for still logs it.
    sim.inject(Fault::CloseAfterProcessing, FaultScope::Next(1));
    let logged = run(send(&url, &ws.db(), "+60133456789", "tv-loud").env("RUST_LOG", "warn")).await;
    assert_eq!(logged.code, 7, "{}", logged.all());
    assert!(logged.stderr.contains("WARN"), "{}", logged.stderr);
    sim.shutdown().await;
}
