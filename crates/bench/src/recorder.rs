//! The recorder of the "metrics on" rows: the Prometheus exporter's, without its HTTP
//! listener, installed once as the process's recorder behind a switch, so the rows before it
//! is switched on run as with no recorder at all.
//!
//! Switched off, every metric handle it gives out is a no-op, as the facade's own when no
//! recorder is installed: the use cases build the same keys either way, and only the
//! recording differs.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use phone_verify_domain::metric_names;

/// The Prometheus recorder behind a switch.
struct Switched {
    on: AtomicBool,
    prometheus: PrometheusRecorder,
}

impl Recorder for Switched {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.prometheus.describe_counter(key, unit, description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.prometheus.describe_gauge(key, unit, description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.prometheus.describe_histogram(key, unit, description);
    }

    fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
        if self.on.load(Ordering::Relaxed) {
            self.prometheus.register_counter(key, metadata)
        } else {
            Counter::noop()
        }
    }

    fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
        if self.on.load(Ordering::Relaxed) {
            self.prometheus.register_gauge(key, metadata)
        } else {
            Gauge::noop()
        }
    }

    fn register_histogram(&self, key: &Key, metadata: &Metadata<'_>) -> Histogram {
        if self.on.load(Ordering::Relaxed) {
            self.prometheus.register_histogram(key, metadata)
        } else {
            Histogram::noop()
        }
    }
}

static RECORDER: OnceLock<(&'static Switched, PrometheusHandle)> = OnceLock::new();

/// The process's recorder, installed on first use (switched off).
fn recorder() -> &'static (&'static Switched, PrometheusHandle) {
    RECORDER.get_or_init(|| {
        // Histograms with buckets, as a service scraping them would configure (a summary's
        // quantiles cost more per sample).
        let buckets = [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0];
        let prometheus = PrometheusBuilder::new()
            .set_buckets(&buckets)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = prometheus.handle();
        let switched: &'static Switched = Box::leak(Box::new(Switched {
            on: AtomicBool::new(false),
            prometheus,
        }));
        // Another recorder already installed (an embedding program's) is left alone: the
        // "metrics on" rows then measure that one.
        let _ = metrics::set_global_recorder(switched);
        (switched, handle)
    })
}

/// Metrics recorded while this lives.
pub(crate) struct MetricsOn(());

impl MetricsOn {
    /// Switches the recorder on.
    pub(crate) fn start() -> Self {
        recorder().0.on.store(true, Ordering::Relaxed);
        Self(())
    }
}

impl Drop for MetricsOn {
    fn drop(&mut self) {
        recorder().0.on.store(false, Ordering::Relaxed);
    }
}

/// The sends the recorder has counted so far (`phone_verify_sends_total`, every series), its
/// histograms' samples drained first.
pub(crate) fn sends_counted() -> u64 {
    let handle = &recorder().1;
    handle.run_upkeep();
    handle
        .render()
        .lines()
        .filter(|line| line.starts_with(&format!("{}{{", metric_names::SENDS_TOTAL)))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .map(|count| count as u64)
        .sum()
}
