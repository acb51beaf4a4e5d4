//! Counters a test can read to prove what a client did: requests per route, codes per number,
//! connections used.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// A snapshot of the simulator's counters, from [`Simulator::counters`](crate::Simulator::counters)
/// or `GET /__sim/counters`. Requests to `/__sim/` are not counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Counters {
    /// Requests received outside `/__sim/`, whatever their route, method or outcome.
    pub requests_total: u64,
    /// Requests to IDMeta's send route (`POST /api/v3/verifications/phone-verification/send`),
    /// whatever their outcome.
    pub idmeta_send_requests: u64,
    /// Requests to IDMeta's verify route (`POST …/phone-verification/verify`), whatever their
    /// outcome.
    pub idmeta_verify_requests: u64,
    /// Requests to Twilio's send route (`POST /v2/Services/{sid}/Verifications`).
    pub twilio_send_requests: u64,
    /// Requests to Twilio's check route (`POST /v2/Services/{sid}/VerificationCheck`).
    pub twilio_check_requests: u64,
    /// Requests to Twilio's update route (`POST /v2/Services/{sid}/Verifications/{Sid}`),
    /// whatever their outcome.
    pub twilio_update_requests: u64,
    /// Requests answered 404 or 405 because of their path or method.
    pub other_requests: u64,
    /// TCP connections that carried a request outside `/__sim/`. With a client that reuses
    /// connections this stays at 1.
    pub connections_accepted: u64,
    /// Codes sent (SMS delivered to the inbox), all numbers and both providers together.
    pub codes_sent: u64,
    /// Of those, SMS sent through the Twilio routes (a resend of a pending code counts).
    pub twilio_codes_sent: u64,
    /// Twilio verifications ended by an update with `Status=canceled`.
    pub twilio_verifications_canceled: u64,
    /// Codes sent per E.164 number.
    pub codes_sent_per_number: HashMap<String, u64>,
    /// Sends refused by a provider's own limit, both providers together: IDMeta's cooldown or
    /// window limit (429) and Twilio's 60203 (faults not included).
    pub sends_rate_limited: u64,
    /// Faults applied to requests.
    pub faults_applied: u64,
}

/// The live counters, as atomics.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub(crate) requests_total: AtomicU64,
    pub(crate) idmeta_send_requests: AtomicU64,
    pub(crate) idmeta_verify_requests: AtomicU64,
    pub(crate) twilio_send_requests: AtomicU64,
    pub(crate) twilio_check_requests: AtomicU64,
    pub(crate) twilio_update_requests: AtomicU64,
    pub(crate) other_requests: AtomicU64,
    pub(crate) connections_accepted: AtomicU64,
    pub(crate) codes_sent: AtomicU64,
    pub(crate) twilio_codes_sent: AtomicU64,
    pub(crate) twilio_verifications_canceled: AtomicU64,
    pub(crate) sends_rate_limited: AtomicU64,
    pub(crate) faults_applied: AtomicU64,
}

impl Metrics {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, codes_sent_per_number: HashMap<String, u64>) -> Counters {
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Counters {
            requests_total: read(&self.requests_total),
            idmeta_send_requests: read(&self.idmeta_send_requests),
            idmeta_verify_requests: read(&self.idmeta_verify_requests),
            twilio_send_requests: read(&self.twilio_send_requests),
            twilio_check_requests: read(&self.twilio_check_requests),
            twilio_update_requests: read(&self.twilio_update_requests),
            other_requests: read(&self.other_requests),
            connections_accepted: read(&self.connections_accepted),
            codes_sent: read(&self.codes_sent),
            twilio_codes_sent: read(&self.twilio_codes_sent),
            twilio_verifications_canceled: read(&self.twilio_verifications_canceled),
            codes_sent_per_number,
            sends_rate_limited: read(&self.sends_rate_limited),
            faults_applied: read(&self.faults_applied),
        }
    }

    pub(crate) fn reset(&self) {
        for counter in [
            &self.requests_total,
            &self.idmeta_send_requests,
            &self.idmeta_verify_requests,
            &self.twilio_send_requests,
            &self.twilio_check_requests,
            &self.twilio_update_requests,
            &self.other_requests,
            &self.connections_accepted,
            &self.codes_sent,
            &self.twilio_codes_sent,
            &self.twilio_verifications_canceled,
            &self.sends_rate_limited,
            &self.faults_applied,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }
}
