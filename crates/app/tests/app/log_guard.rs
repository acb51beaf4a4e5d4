//! `PhoneLogGuard` keeps the numbering-plan library's `log` records, which hold numbers in clear,
//! out of a subscriber whatever its `EnvFilter` says; without it, each of these filters lets
//! them through. The records go through the `log` bridge by hand (`format_trace`), not a
//! process-wide `LogTracer`, which would reach the other tests' subscribers; the real library
//! and bridge run in `crates/reliability` (`leak_probe`) and the CLI tests.

use phone_verify_app::PhoneLogGuard;
use phone_verify_domain::PhoneNumber;
use tracing_log::log;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;

use crate::support::{FULL_NUMBER, NATIONAL_NUMBER};
use phone_verify_app::CapturedLogs as Captured;

/// Filters that enable the library's records: by level, by span, by field, by each module.
const FILTERS: &[&str] = &[
    "trace",
    "[send_code]=trace",
    "[{phone}]=trace",
    "off,[send_code{phone}]=trace",
    "rlibphonenumber=trace",
    "off,rlibphonenumber::phonenumberutil=trace",
    "off,rlibphonenumber::phonenumberutil::phonenumberutil_internal=trace",
    "off,rlibphonenumber::phonenumber_matcher::matcher_internal=trace",
];

/// The modules of `rlibphonenumber` that log, with a record each writes (a number in clear).
const RECORDS: &[(&str, &str)] = &[
    (
        "rlibphonenumber::phonenumberutil::phonenumberutil_internal",
        "Number '182258491' is a mobile number.",
    ),
    (
        "rlibphonenumber::phonenumber_matcher::matcher_internal",
        "Found candidate: +60 18-225 8491, 0",
    ),
];

/// Forwards the library's records through the `log` bridge inside a use-case-like span (with a
/// masked `phone` field), under `filter` and, when `guarded`, the guard; returns what was
/// written.
fn logs_of_the_library(filter: &str, guarded: bool) -> String {
    let captured = Captured::default();
    let output = tracing_subscriber::fmt::layer()
        .with_writer(captured.clone())
        .with_ansi(false);
    let subscriber = tracing_subscriber::registry()
        .with(EnvFilter::new(filter))
        .with(output)
        .with(guarded.then(PhoneLogGuard::new));
    tracing::subscriber::with_default(subscriber, || {
        let masked = PhoneNumber::parse(FULL_NUMBER).expect("valid").masked();
        let _span = tracing::info_span!("send_code", phone = %masked).entered();
        for (target, message) in RECORDS {
            tracing_log::format_trace(
                &log::Record::builder()
                    .target(target)
                    .module_path_static(Some(target))
                    .level(log::Level::Trace)
                    .args(format_args!("{message}"))
                    .build(),
            )
            .expect("forwarded");
        }
        // And a `tracing` event under one of its targets.
        tracing::trace!(target: "rlibphonenumber::phonenumberutil", "for number {FULL_NUMBER}");
        tracing::trace!("parsed");
    });
    captured.text()
}

#[test]
fn with_the_guard_no_filter_lets_the_numbering_library_log_a_number() {
    for filter in FILTERS {
        let logs = logs_of_the_library(filter, true);
        assert!(
            !logs.contains(NATIONAL_NUMBER) && !logs.contains("18-225 8491"),
            "{filter:?} leaked:\n{logs}"
        );
        assert!(!logs.contains("rlibphonenumber"), "{filter:?}:\n{logs}");
        if !filter.contains("rlibphonenumber") {
            assert!(logs.contains("parsed"), "{filter:?} logs the rest:\n{logs}");
        }
    }
}

#[test]
fn without_the_guard_each_filter_lets_the_numbering_library_log_a_number() {
    for filter in FILTERS {
        let logs = logs_of_the_library(filter, false);
        assert!(
            logs.contains(NATIONAL_NUMBER) || logs.contains("18-225 8491"),
            "{filter:?} lets rlibphonenumber log:\n{logs}"
        );
    }
}

#[test]
fn the_guard_refuses_the_library_and_each_of_its_modules_and_nothing_else() {
    for target in [
        "rlibphonenumber",
        "rlibphonenumber::phonenumberutil",
        "rlibphonenumber::phonenumberutil::phonenumberutil_internal",
        "rlibphonenumber::phonenumber_matcher::matcher_internal",
    ] {
        assert!(PhoneLogGuard::refuses(target), "{target}");
    }
    for target in [
        "phone_verify_app::send_code",
        "idmeta_adapter::client",
        "log",
    ] {
        assert!(!PhoneLogGuard::refuses(target), "{target}");
    }
}
