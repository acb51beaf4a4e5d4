//! The metrics of the use cases, read back from `metrics-util`'s debugging recorder installed
//! on the test's own thread: the exact series each branch of a send and a check emits, so a
//! renamed or lost metric fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use async_trait::async_trait;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use phone_verify_app::domain::metric_names;
use phone_verify_app::{
    CheckPolicy, FailingStore, InMemoryVerificationStore, NumberPrefix, ProviderName, Providers,
    SendCode, SendLimits, SendPolicy, StoreOperation as Op, VerificationStore, Wiring,
};
use phone_verify_domain::{
    CheckCodeRequest, CheckResult, GatewayError, MockVerificationGateway, PhoneNumber, RegionCode,
    RejectionKind, SendCodeRequest, SendReceipt, VerificationGateway,
};

use crate::support::{
    CODE, FULL_NUMBER, Harness, NATIONAL_NUMBER, REFERENCE, accepting_gateway, code,
    failing_gateway, gateway_error, receipt, reference, request, request_to, secs, tv, verified,
    wrong,
};

/// What a run emitted: one line per series, `name{label=value,...} value` (counters and
/// gauges) or `name{...} samples=N` (histograms), labels sorted.
#[derive(Debug)]
struct Emitted(BTreeMap<String, String>);

impl Emitted {
    /// The lines of the metric `name`.
    fn of(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(series, _)| series.split('{').next() == Some(name))
            .map(|(series, value)| format!("{series} {value}"))
            .collect()
    }

    /// Every label (name, value) of every series.
    fn labels(&self) -> BTreeSet<(String, String)> {
        self.0
            .keys()
            .filter_map(|series| series.split_once('{'))
            .flat_map(|(_, labels)| {
                labels
                    .trim_end_matches('}')
                    .split(',')
                    .filter(|pair| !pair.is_empty())
                    .filter_map(|pair| pair.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// Runs `run` on a current-thread runtime with a debugging recorder installed on this thread
/// only (tests running in parallel do not see each other's metrics).
fn emitted<F: Future>(run: impl FnOnce() -> F) -> (F::Output, Emitted) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let output = metrics::with_local_recorder(&recorder, || runtime.block_on(run()));
    let lines = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let (_, key) = key.into_parts();
            let mut labels: Vec<String> = key
                .labels()
                .map(|label| format!("{}={}", label.key(), label.value()))
                .collect();
            labels.sort();
            let series = format!("{}{{{}}}", key.name(), labels.join(","));
            let value = match value {
                DebugValue::Counter(n) => n.to_string(),
                DebugValue::Gauge(v) => v.into_inner().to_string(),
                DebugValue::Histogram(samples) => format!("samples={}", samples.len()),
            };
            (series, value)
        })
        .collect();
    (output, Emitted(lines))
}

fn lines(expected: &[&str]) -> Vec<String> {
    let mut lines: Vec<String> = expected.iter().map(|line| (*line).to_owned()).collect();
    lines.sort();
    lines
}

const SENDS: &str = metric_names::SENDS_TOTAL;
const CHECKS: &str = metric_names::CHECKS_TOTAL;

/// The keys' labels are interned for the process (`telemetry/keys.rs`), but no handle is kept:
/// a recorder installed after sends were made without one sees the sends made under it.
#[test]
fn a_recorder_installed_after_the_first_send_counts_the_next() {
    let harness = Harness::new(accepting_gateway(2));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime
        .block_on(harness.send.send(&request()))
        .expect("sent without a recorder");
    let other = request_to(
        PhoneNumber::parse("+60182258492").expect("a valid number"),
        "tv-2",
    );
    let (sent, emitted) = emitted(|| harness.send.send(&other));
    sent.expect("sent under the recorder");
    assert_eq!(
        emitted.of(SENDS),
        ["phone_verify_sends_total{country_code=60,outcome=sent,provider=idmeta} 1"],
        "{emitted:?}"
    );
}

#[test]
fn a_sent_code_emits_one_send_one_timed_call_and_two_timed_writes() {
    let (_, emitted) = emitted(|| async {
        let harness = Harness::new(accepting_gateway(1));
        harness.send.send(&request()).await.expect("sent");
    });
    assert_eq!(
        emitted.0.keys().cloned().collect::<Vec<_>>(),
        lines(&[
            "phone_verify_calls_in_flight{kind=send,provider=idmeta}",
            "phone_verify_provider_call_seconds{class=ok,operation=send_code,provider=idmeta}",
            "phone_verify_sends_total{country_code=60,outcome=sent,provider=idmeta}",
            "phone_verify_store_operation_seconds{engine=memory,operation=finish_send}",
            "phone_verify_store_operation_seconds{engine=memory,operation=reserve_send}",
        ]),
        "{emitted:?}"
    );
    assert_eq!(
        emitted.of(SENDS),
        ["phone_verify_sends_total{country_code=60,outcome=sent,provider=idmeta} 1"]
    );
    assert_eq!(
        emitted.of(metric_names::CALLS_IN_FLIGHT),
        ["phone_verify_calls_in_flight{kind=send,provider=idmeta} 0"]
    );
    assert_eq!(
        emitted.of(metric_names::PROVIDER_CALL_SECONDS),
        [
            "phone_verify_provider_call_seconds{class=ok,operation=send_code,provider=idmeta} samples=1"
        ]
    );
}

#[test]
fn the_provider_label_is_the_name_the_wiring_gives() {
    let (_, emitted) = emitted(|| async {
        let providers = Providers::new(
            ProviderName::parse("sms-co").expect("a valid name"),
            Arc::new(accepting_gateway(1)),
        );
        let wiring = Wiring::with_providers(providers, Arc::new(InMemoryVerificationStore::new()));
        SendCode::new(wiring, SendPolicy::default())
            .send(&request())
            .await
            .expect("sent");
    });
    assert_eq!(
        emitted.of(SENDS),
        ["phone_verify_sends_total{country_code=60,outcome=sent,provider=sms-co} 1"]
    );
}

/// Two sends of `tv-1` under `policy` (the second to `second`): the sends counter.
fn two_sends(policy: SendPolicy, second: PhoneNumber) -> Vec<String> {
    let (_, emitted) = emitted(|| async {
        let harness = Harness::with(
            accepting_gateway(1),
            Arc::new(InMemoryVerificationStore::new()),
            policy,
        );
        harness
            .send
            .send(&request())
            .await
            .expect("the first is sent");
        harness
            .send
            .send(&request_to(second, "tv-1"))
            .await
            .expect_err("the second is refused");
    });
    emitted.of(SENDS)
}

/// One send of `phone` under `policy`, which a number guard refuses.
fn refused_send(policy: SendPolicy, phone: PhoneNumber) -> Emitted {
    let (_, emitted) = emitted(|| async {
        let mut gateway = MockVerificationGateway::new();
        gateway.expect_send_code().never();
        let harness = Harness::with(gateway, Arc::new(InMemoryVerificationStore::new()), policy);
        harness
            .send
            .send(&request_to(phone, "tv-1"))
            .await
            .expect_err("refused");
    });
    emitted
}

fn phone() -> PhoneNumber {
    PhoneNumber::parse(FULL_NUMBER).expect("a valid number")
}

#[test]
fn every_guard_refusal_of_a_send_is_counted_with_its_reason_and_country_code() {
    let only_gb = SendPolicy {
        allowed_regions: Some(BTreeSet::from([RegionCode::parse("GB").expect("a region")])),
        ..SendPolicy::default()
    };
    let no_6018 = SendPolicy {
        denied_prefixes: vec![NumberPrefix::parse("+6018").expect("a prefix")],
        ..SendPolicy::default()
    };
    let premium = PhoneNumber::parse("+44 909 876 5432").expect("a valid number");
    let by_number: [(SendPolicy, PhoneNumber, &str); 3] = [
        (
            only_gb,
            phone(),
            "phone_verify_sends_total{country_code=60,outcome=refused,provider=idmeta,reason=country_not_allowed} 1",
        ),
        (
            no_6018,
            phone(),
            "phone_verify_sends_total{country_code=60,outcome=refused,provider=idmeta,reason=prefix_denied} 1",
        ),
        (
            SendPolicy::default(),
            premium,
            "phone_verify_sends_total{country_code=44,outcome=refused,provider=idmeta,reason=number_kind_denied} 1",
        ),
    ];
    for (policy, phone, expected) in by_number {
        let emitted = refused_send(policy, phone);
        assert_eq!(emitted.of(SENDS), [expected]);
        // The one store operation: the refusal's count, for `stats`.
        assert_eq!(
            emitted.of(metric_names::STORE_OPERATION_SECONDS),
            [
                "phone_verify_store_operation_seconds{engine=memory,operation=count_refusal} samples=1"
            ],
            "{emitted:?}"
        );
        assert!(
            emitted.of(metric_names::PROVIDER_CALL_SECONDS).is_empty(),
            "{emitted:?}"
        );
    }

    let no_cooldown = |limits: SendLimits| SendPolicy {
        limits: SendLimits {
            cooldown: secs(0),
            ..limits
        },
        ..SendPolicy::default()
    };
    let by_limit: [(SendPolicy, &str); 3] = [
        (
            SendPolicy::default(),
            "phone_verify_sends_total{country_code=60,outcome=refused,provider=idmeta,reason=cooling_down} 1",
        ),
        (
            no_cooldown(SendLimits {
                max_per_number: 1,
                ..SendLimits::default()
            }),
            "phone_verify_sends_total{country_code=60,outcome=refused,provider=idmeta,reason=number_limit_reached} 1",
        ),
        (
            no_cooldown(SendLimits {
                max_per_trust_validation: 1,
                ..SendLimits::default()
            }),
            "phone_verify_sends_total{country_code=60,outcome=refused,provider=idmeta,reason=trust_validation_limit_reached} 1",
        ),
    ];
    for (policy, refused) in by_limit {
        assert_eq!(
            two_sends(policy, phone()),
            lines(&[
                refused,
                "phone_verify_sends_total{country_code=60,outcome=sent,provider=idmeta} 1"
            ])
        );
    }
}

/// One send whose provider call fails with the error named `class` (support's names).
fn failed_send(class: &'static str) -> Emitted {
    let (_, emitted) = emitted(|| async {
        let harness = Harness::new(failing_gateway(class));
        harness.send.send(&request()).await.expect_err("failed");
    });
    emitted
}

#[test]
fn every_gateway_error_of_a_send_is_counted_by_what_it_means_and_timed_by_its_class() {
    let cases = [
        ("not_sent", "outcome=not_sent", "not_sent"),
        (
            "rejected",
            "outcome=rejected,provider=idmeta,reason=invalid_request",
            "rejected",
        ),
        (
            "unauthorized",
            "outcome=rejected,provider=idmeta,reason=unauthorized",
            "unauthorized",
        ),
        ("rate_limited", "outcome=rate_limited", "rate_limited"),
        (
            "outcome_unknown",
            "outcome=outcome_unknown",
            "outcome_unknown",
        ),
        (
            "provider_fault_500",
            "outcome=outcome_unknown",
            "provider_fault",
        ),
        (
            "provider_fault_503",
            "outcome=outcome_unknown",
            "provider_fault",
        ),
        ("unavailable", "outcome=not_sent", "unavailable"),
        (
            "invalid_response",
            "outcome=outcome_unknown",
            "invalid_response",
        ),
    ];
    for (error, counted, class) in cases {
        let emitted = failed_send(error);
        let labels = if counted.contains("provider=") {
            counted.to_owned()
        } else {
            format!("{counted},provider=idmeta")
        };
        assert_eq!(
            emitted.of(SENDS),
            [format!(
                "phone_verify_sends_total{{country_code=60,{labels}}} 1"
            )],
            "{error}"
        );
        assert_eq!(
            emitted.of(metric_names::PROVIDER_CALL_SECONDS),
            [format!(
                "phone_verify_provider_call_seconds{{class={class},operation=send_code,provider=idmeta}} samples=1"
            )],
            "{error}"
        );
        assert!(
            emitted
                .of(metric_names::RECORDS_LEFT_IN_FLIGHT_TOTAL)
                .is_empty(),
            "{error}"
        );
    }
}

/// One send over a store failing `operation`, the provider answering `answer`.
fn send_over_failing_store(operation: Op, answer: Option<&'static str>) -> Emitted {
    let (_, emitted) = emitted(|| async {
        let mut gateway = MockVerificationGateway::new();
        match answer {
            None => {
                gateway.expect_send_code().never();
            }
            Some("sent") => {
                gateway
                    .expect_send_code()
                    .returning(|_| Ok(receipt(reference(1))));
            }
            Some(class) => {
                gateway
                    .expect_send_code()
                    .returning(move |_| Err(gateway_error(class)));
            }
        }
        let store: Arc<dyn VerificationStore> = Arc::new(FailingStore::failing(&[operation]));
        let harness = Harness::with(gateway, store, SendPolicy::default());
        harness
            .send
            .send(&request())
            .await
            .expect_err("a store failure");
    });
    emitted
}

#[test]
fn a_store_failure_at_each_write_of_a_send_is_counted_with_the_send() {
    let emitted = send_over_failing_store(Op::ReserveSend, None);
    assert_eq!(
        emitted.of(SENDS),
        ["phone_verify_sends_total{country_code=60,outcome=store_failed,provider=idmeta} 1"]
    );
    assert_eq!(
        emitted.of(metric_names::STORE_ERRORS_TOTAL),
        [
            "phone_verify_store_errors_total{engine=custom,kind=unavailable,operation=reserve_send} 1"
        ]
    );
    assert!(
        emitted.of(metric_names::CALLS_IN_FLIGHT).is_empty(),
        "{emitted:?}"
    );

    for (answer, counted) in [
        ("sent", "sent_not_recorded"),
        ("outcome_unknown", "failed_not_recorded"),
    ] {
        let emitted = send_over_failing_store(Op::FinishSend, Some(answer));
        assert_eq!(
            emitted.of(SENDS),
            [format!(
                "phone_verify_sends_total{{country_code=60,outcome={counted},provider=idmeta}} 1"
            )]
        );
        assert_second_write_failed(&emitted, "send");
        assert_eq!(
            emitted.of(metric_names::CALLS_IN_FLIGHT),
            ["phone_verify_calls_in_flight{kind=send,provider=idmeta} 0"]
        );
    }
}

/// The failed second write of a `kind` attempt: one store error, one record left in flight.
fn assert_second_write_failed(emitted: &Emitted, kind: &str) {
    assert_eq!(
        emitted.of(metric_names::STORE_ERRORS_TOTAL),
        [format!(
            "phone_verify_store_errors_total{{engine=custom,kind=unavailable,operation=finish_{kind}}} 1"
        )]
    );
    assert_eq!(
        emitted.of(metric_names::RECORDS_LEFT_IN_FLIGHT_TOTAL),
        [format!(
            "phone_verify_records_left_in_flight_total{{cause=store_failed,kind={kind},provider=idmeta}} 1"
        )]
    );
}

/// A provider that never answers.
#[derive(Debug)]
struct Silent;

#[async_trait]
impl VerificationGateway for Silent {
    async fn send_code(&self, _: &SendCodeRequest) -> Result<SendReceipt, GatewayError> {
        std::future::pending().await
    }

    async fn check_code(&self, _: &CheckCodeRequest) -> Result<CheckResult, GatewayError> {
        std::future::pending().await
    }
}

#[test]
fn a_send_cancelled_during_the_provider_call_is_counted_as_left_in_flight() {
    let (_, emitted) = emitted(|| async {
        let send = SendCode::new(
            Wiring::new(Arc::new(Silent), Arc::new(InMemoryVerificationStore::new())),
            SendPolicy::default(),
        );
        let request = request();
        let mut sending = pin!(send.send(&request));
        let polled = poll_fn(|cx| Poll::Ready(sending.as_mut().poll(cx))).await;
        assert!(polled.is_pending(), "the provider has not answered");
    });
    assert_eq!(
        emitted.of(metric_names::RECORDS_LEFT_IN_FLIGHT_TOTAL),
        ["phone_verify_records_left_in_flight_total{cause=cancelled,kind=send,provider=default} 1"]
    );
    assert_eq!(
        emitted.of(metric_names::CALLS_IN_FLIGHT),
        ["phone_verify_calls_in_flight{kind=send,provider=default} 0"]
    );
    assert!(
        emitted.of(SENDS).is_empty(),
        "a cancelled send has no outcome: {emitted:?}"
    );
}

/// A provider's answer to a check, built fresh each time.
type Answer = Box<dyn Fn() -> Result<CheckResult, GatewayError> + Send>;

/// A case: its name, the provider's answer, the check counter's labels, the call's class.
type CheckCase = (&'static str, Answer, &'static str, &'static str);

/// A send of `tv-1` accepted, then one check answered by `answer`, over `store`.
fn sent_then_checked(
    store: Arc<dyn VerificationStore>,
    answer: impl Fn() -> Result<CheckResult, GatewayError> + Send + 'static,
) -> Emitted {
    let (_, emitted) = emitted(|| async move {
        let mut gateway = accepting_gateway(1);
        gateway
            .expect_check_code()
            .times(1)
            .returning(move |_| answer());
        let harness = Harness::with(gateway, store, SendPolicy::default());
        harness.send.send(&request()).await.expect("sent");
        let _ = harness.check.check(tv(), code()).await;
    });
    emitted
}

#[test]
fn every_answer_to_a_check_is_counted_with_its_verdict_or_what_it_means() {
    let in_memory = || -> Arc<dyn VerificationStore> { Arc::new(InMemoryVerificationStore::new()) };
    let cases: [CheckCase; 6] = [
        (
            "verified",
            Box::new(|| Ok(verified())),
            "outcome=answered,provider=idmeta,verdict=verified",
            "ok",
        ),
        (
            "wrong code",
            Box::new(|| Ok(wrong())),
            "outcome=answered,provider=idmeta,verdict=wrong_code",
            "ok",
        ),
        (
            "no pending code",
            Box::new(|| {
                Err(GatewayError::Rejected {
                    kind: RejectionKind::NotFound,
                    status: 404,
                    message: None,
                    field_errors: Default::default(),
                })
            }),
            "outcome=no_pending_code,provider=idmeta",
            "rejected",
        ),
        (
            "not sent",
            Box::new(|| Err(gateway_error("not_sent"))),
            "outcome=not_checked,provider=idmeta",
            "not_sent",
        ),
        (
            "unknown",
            Box::new(|| Err(gateway_error("outcome_unknown"))),
            "outcome=outcome_unknown,provider=idmeta",
            "outcome_unknown",
        ),
        (
            "unauthorized",
            Box::new(|| Err(gateway_error("unauthorized"))),
            "outcome=not_checked,provider=idmeta",
            "unauthorized",
        ),
    ];
    for (case, answer, counted, class) in cases {
        let emitted = sent_then_checked(in_memory(), answer);
        assert_eq!(
            emitted.of(CHECKS),
            [format!(
                "phone_verify_checks_total{{country_code=60,{counted}}} 1"
            )],
            "{case}"
        );
        assert_eq!(
            emitted.of(metric_names::PROVIDER_CALL_SECONDS),
            lines(&[
                &format!(
                    "phone_verify_provider_call_seconds{{class={class},operation=check_code,provider=idmeta}} samples=1"
                ),
                "phone_verify_provider_call_seconds{class=ok,operation=send_code,provider=idmeta} samples=1",
            ]),
            "{case}"
        );
        assert_eq!(
            emitted.of(metric_names::CALLS_IN_FLIGHT),
            lines(&[
                "phone_verify_calls_in_flight{kind=check,provider=idmeta} 0",
                "phone_verify_calls_in_flight{kind=send,provider=idmeta} 0",
            ]),
            "{case}"
        );
    }
}

#[test]
fn every_guard_refusal_of_a_check_is_counted_with_its_reason() {
    let refused = |reason: &str| {
        format!("phone_verify_checks_total{{outcome=refused,provider=idmeta,reason={reason}}} 1")
    };

    let (_, nothing_sent) = emitted(|| async {
        let harness = Harness::new(MockVerificationGateway::new());
        harness
            .check
            .check(tv(), code())
            .await
            .expect_err("refused");
    });
    assert_eq!(nothing_sent.of(CHECKS), [refused("no_code_sent")]);

    let (_, expired) = emitted(|| async {
        let harness = Harness::new(accepting_gateway(1));
        harness.send.send(&request()).await.expect("sent");
        harness
            .clock
            .advance(CheckPolicy::default().code_lifetime + secs(1));
        harness
            .check
            .check(tv(), code())
            .await
            .expect_err("refused");
    });
    assert_eq!(expired.of(CHECKS), [refused("code_expired")]);

    let (_, exhausted) = emitted(|| async {
        let mut gateway = accepting_gateway(1);
        gateway
            .expect_check_code()
            .times(5)
            .returning(|_| Ok(wrong()));
        let harness = Harness::new(gateway);
        harness.send.send(&request()).await.expect("sent");
        for _ in 0..6 {
            let _ = harness.check.check(tv(), code()).await;
        }
    });
    assert_eq!(
        exhausted.of(CHECKS),
        lines(&[
            "phone_verify_checks_total{country_code=60,outcome=answered,provider=idmeta,verdict=wrong_code} 5",
            &refused("too_many_attempts"),
        ])
    );
}

#[test]
fn a_store_failure_at_each_write_of_a_check_is_counted_with_the_check() {
    let failing = |operation: Op| -> (Arc<FailingStore>, Arc<dyn VerificationStore>) {
        let store = Arc::new(FailingStore::default());
        store.fail_on(operation);
        (Arc::clone(&store), store)
    };

    let (store, port) = failing(Op::ReserveCheck);
    let (_, emitted) = emitted(|| async move {
        store.recover();
        let mut gateway = accepting_gateway(1);
        gateway.expect_check_code().never();
        let harness = Harness::with(gateway, port, SendPolicy::default());
        harness.send.send(&request()).await.expect("sent");
        store.fail_on(Op::ReserveCheck);
        harness
            .check
            .check(tv(), code())
            .await
            .expect_err("not recorded");
    });
    assert_eq!(
        emitted.of(CHECKS),
        ["phone_verify_checks_total{outcome=store_failed,provider=idmeta} 1"]
    );
    assert_eq!(
        emitted.of(metric_names::STORE_ERRORS_TOTAL),
        [
            "phone_verify_store_errors_total{engine=custom,kind=unavailable,operation=reserve_check} 1"
        ]
    );

    for (answer, counted) in [
        (
            "verified",
            "outcome=checked_not_recorded,provider=idmeta,verdict=verified",
        ),
        (
            "outcome_unknown",
            "outcome=failed_not_recorded,provider=idmeta",
        ),
    ] {
        let (store, port) = failing(Op::FinishCheck);
        let emitted = sent_then_checked(port, move || match answer {
            "verified" => Ok(verified()),
            class => Err(gateway_error(class)),
        });
        drop(store);
        assert_eq!(
            emitted.of(CHECKS),
            [format!(
                "phone_verify_checks_total{{country_code=60,{counted}}} 1"
            )],
            "{answer}"
        );
        assert_second_write_failed(&emitted, "check");
    }
}

#[test]
fn a_history_read_is_timed_and_its_failure_counted() {
    let (_, emitted) = emitted(|| async {
        let harness = Harness::with(
            MockVerificationGateway::new(),
            Arc::new(FailingStore::failing(&[Op::History])),
            SendPolicy::default(),
        );
        harness
            .history
            .of_trust_validation(&tv(), phone_verify_app::PageRequest::first(10))
            .await
            .expect_err("the store is down");
    });
    assert_eq!(
        emitted.0.keys().cloned().collect::<Vec<_>>(),
        lines(&[
            "phone_verify_store_errors_total{engine=custom,kind=unavailable,operation=history}",
            "phone_verify_store_operation_seconds{engine=custom,operation=history}",
        ])
    );
}

/// Every label value a metric may carry, besides country calling codes and provider names.
const BOUNDED_VALUES: &[&str] = &[
    // outcomes of sends and checks
    "sent",
    "refused",
    "store_failed",
    "rejected",
    "rate_limited",
    "not_sent",
    "outcome_unknown",
    "sent_not_recorded",
    "failed_not_recorded",
    "answered",
    "no_pending_code",
    "not_checked",
    "checked_not_recorded",
    // reasons: the guards' and the provider's
    "cooling_down",
    "number_limit_reached",
    "trust_validation_limit_reached",
    "country_not_allowed",
    "prefix_denied",
    "number_kind_denied",
    "no_code_sent",
    "code_expired",
    "too_many_attempts",
    "invalid_request",
    "not_found",
    "forbidden",
    "unsuccessful",
    "unauthorized",
    // verdicts, classes, operations, engines, kinds, causes
    "verified",
    "wrong_code",
    "expired",
    "undetermined",
    "ok",
    "request_not_built",
    "provider_fault",
    "invalid_response",
    "send_code",
    "check_code",
    "reserve_send",
    "finish_send",
    "reserve_check",
    "finish_check",
    "history",
    "count_refusal",
    "memory",
    "sqlite",
    "postgres",
    "custom",
    "unavailable",
    "conflict",
    "corrupt",
    "send",
    "check",
    "cancelled",
];

#[test]
fn no_label_carries_a_number_a_code_a_reference_or_an_id() {
    let runs = [
        refused_send(
            SendPolicy::default(),
            PhoneNumber::parse("+44 909 876 5432").expect("a number"),
        ),
        failed_send("rejected"),
        send_over_failing_store(Op::FinishSend, Some("sent")),
        sent_then_checked(
            Arc::new(InMemoryVerificationStore::new()),
            || Ok(verified()),
        ),
    ];
    let keys: BTreeSet<&str> = [
        "provider",
        "outcome",
        "reason",
        "country_code",
        "verdict",
        "class",
        "operation",
        "engine",
        "kind",
        "cause",
    ]
    .into();
    for emitted in runs {
        for (key, value) in emitted.labels() {
            assert!(keys.contains(key.as_str()), "unknown label {key}");
            let bounded = match key.as_str() {
                "provider" => ProviderName::parse(&value).is_ok(),
                "country_code" => {
                    (1..=3).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit())
                }
                _ => BOUNDED_VALUES.contains(&value.as_str()),
            };
            assert!(bounded, "{key}={value} is outside the bounded set");
            for secret in [NATIONAL_NUMBER, CODE, REFERENCE, "tv-1"] {
                assert!(!value.contains(secret), "{key}={value}");
            }
        }
    }
}

#[test]
fn every_metric_is_in_the_operations_guide() {
    let guide = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/operations.md"
    ))
    .expect("docs/operations.md");
    for name in metric_names::ALL {
        assert!(
            guide.contains(&format!("`{name}`")),
            "{name} is not documented"
        );
    }
}
