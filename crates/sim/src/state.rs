//! What the simulator remembers: one pending code per trust validation, the sends and the inbox
//! of each number, and the ids it was told are unknown.
//!
//! Maps are sharded behind `parking_lot` mutexes held for a few map operations and never across
//! an await. A send locks its trust validation's shard, then its number's shard, always in that
//! order; everything else holds one lock at a time, so no two requests can deadlock.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use parking_lot::{Mutex, RwLock};
use rand::Rng;
use serde::Serialize;

use crate::clock::to_delta;
use crate::config::{CodeSource, SendLimit, SimConfig};
use crate::mask::Masked;
use crate::wire::{SendRequest, VerifyRequest};

const SHARDS: usize = 32;

/// A map split into independently locked shards.
struct Sharded<K, V> {
    shards: Box<[Mutex<HashMap<K, V>>]>,
    hasher: RandomState,
}

impl<K: Hash + Eq, V> Sharded<K, V> {
    fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
        }
    }

    fn shard<Q: Hash + ?Sized>(&self, key: &Q) -> &Mutex<HashMap<K, V>> {
        // The modulo keeps the index in range whatever the hash.
        let index = (self.hasher.hash_one(key) % SHARDS as u64) as usize;
        &self.shards[index]
    }

    fn clear(&self) {
        for shard in self.shards.iter() {
            shard.lock().clear();
        }
    }
}

/// One SMS the simulator "delivered": what a handset with that number would have received.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeliveredSms {
    /// The provider whose route sent it: `"idmeta"` or `"twilio"`.
    pub provider: &'static str,
    /// The number it went to, E.164 (`+60182258491`).
    pub phone: String,
    /// The code it carried.
    pub code: String,
    /// The send's reference: IDMeta's `data.referenceId`, or Twilio's verification `sid`.
    pub reference_id: String,
    /// The send's `trustValidationId` (empty for Twilio, which has none).
    pub trust_validation_id: String,
    /// The send's `trustFlowId` (0 for Twilio, which has none).
    pub trust_flow_id: i64,
    /// When it was sent, by the simulator's clock.
    pub sent_at: DateTime<Utc>,
    /// Order of delivery across all numbers.
    #[serde(skip)]
    sequence: u64,
}

impl fmt::Debug for DeliveredSms {
    // Phone numbers and codes are personal data: masked here like everywhere else in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveredSms")
            .field("provider", &self.provider)
            .field("phone", &Masked(&self.phone))
            .field("code", &"[redacted]")
            .field("reference_id", &self.reference_id)
            .field("trust_validation_id", &self.trust_validation_id)
            .field("trust_flow_id", &self.trust_flow_id)
            .field("sent_at", &self.sent_at)
            .finish()
    }
}

/// Where a trust validation's code stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeStatus {
    Pending,
    Verified,
    Rejected(Rejection),
}

/// Why a code can no longer be verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    Expired,
    MaxAttempts,
}

#[derive(Debug)]
struct PendingCode {
    trust_flow_id: i64,
    e164: String,
    code: String,
    reference_id: String,
    expires_at: DateTime<Utc>,
    attempts: u32,
    status: CodeStatus,
}

#[derive(Debug, Default)]
struct NumberState {
    last_sent: Option<DateTime<Utc>>,
    /// Send times inside the current limit window, oldest first.
    recent_sends: VecDeque<DateTime<Utc>>,
    codes_sent: u64,
    inbox: VecDeque<DeliveredSms>,
}

/// A send that went through.
#[derive(Debug)]
pub(crate) struct Sent {
    pub(crate) reference_id: String,
}

/// Why a send was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SendRefused {
    /// The number is in its cooldown or over its window limit.
    RateLimited { retry_after_secs: u64 },
}

/// What a verify found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Checked {
    pub(crate) outcome: CheckOutcome,
    pub(crate) reference_id: String,
    pub(crate) e164: String,
}

/// The verdict on a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckOutcome {
    Valid,
    Invalid,
    Rejected(Rejection),
}

/// Why a verify found nothing to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VerifyRefused {
    /// No code was sent for this trust validation (in this trust flow).
    NoCode,
    /// `ref_id` is not the reference of the current code.
    ReferenceMismatch,
    /// `country_code` + `phone_number` is not the number the code went to.
    PhoneMismatch,
    /// The code was already verified.
    AlreadyUsed,
}

/// All of the simulator's memory.
pub(crate) struct Store {
    codes: Sharded<String, PendingCode>,
    numbers: Sharded<String, NumberState>,
    unknown_trust_validations: RwLock<HashSet<String>>,
    unknown_trust_flows: RwLock<HashSet<i64>>,
    sequence: AtomicU64,
}

impl Store {
    pub(crate) fn new() -> Self {
        Self {
            codes: Sharded::new(),
            numbers: Sharded::new(),
            unknown_trust_validations: RwLock::new(HashSet::new()),
            unknown_trust_flows: RwLock::new(HashSet::new()),
            sequence: AtomicU64::new(0),
        }
    }

    /// Creates or renews the code of a trust validation and delivers it, unless the number is
    /// rate limited.
    pub(crate) fn send(
        &self,
        request: &SendRequest,
        now: DateTime<Utc>,
        config: &SimConfig,
    ) -> Result<Sent, SendRefused> {
        let mut codes = self
            .codes
            .shard(request.trust_validation_id.as_str())
            .lock();
        let mut numbers = self.numbers.shard(request.e164.as_str()).lock();
        let number = numbers.entry(request.e164.clone()).or_default();

        if let Some(last) = number.last_sent {
            let free_at = last + to_delta(config.resend_cooldown);
            if now < free_at {
                return Err(SendRefused::RateLimited {
                    retry_after_secs: ceil_secs(free_at - now),
                });
            }
        }
        if let Some(limit) = config.send_limit {
            admit(&mut number.recent_sends, now, limit)
                .map_err(|retry_after_secs| SendRefused::RateLimited { retry_after_secs })?;
        }

        let code = new_code(config);
        let reference_id = new_reference_id();
        number.last_sent = Some(now);
        self.deliver_to(
            number,
            DeliveredSms {
                provider: "idmeta",
                phone: request.e164.clone(),
                code: code.clone(),
                reference_id: reference_id.clone(),
                trust_validation_id: request.trust_validation_id.clone(),
                trust_flow_id: request.trust_flow_id,
                sent_at: now,
                sequence: 0,
            },
            config.inbox_capacity_per_number,
        );
        codes.insert(
            request.trust_validation_id.clone(),
            PendingCode {
                trust_flow_id: request.trust_flow_id,
                e164: request.e164.clone(),
                code,
                reference_id: reference_id.clone(),
                expires_at: now + to_delta(config.code_lifetime),
                attempts: 0,
                status: CodeStatus::Pending,
            },
        );
        Ok(Sent { reference_id })
    }

    /// Delivers an SMS of another provider's route to its number's inbox, and counts it.
    pub(crate) fn deliver(
        &self,
        provider: &'static str,
        phone: &str,
        code: &str,
        reference_id: &str,
        sent_at: DateTime<Utc>,
        capacity: usize,
    ) {
        let mut numbers = self.numbers.shard(phone).lock();
        let number = numbers.entry(phone.to_owned()).or_default();
        let sms = DeliveredSms {
            provider,
            phone: phone.to_owned(),
            code: code.to_owned(),
            reference_id: reference_id.to_owned(),
            trust_validation_id: String::new(),
            trust_flow_id: 0,
            sent_at,
            sequence: 0,
        };
        self.deliver_to(number, sms, capacity);
    }

    /// Counts an SMS to `number` and puts it in its inbox, the oldest dropped beyond `capacity`.
    fn deliver_to(&self, number: &mut NumberState, mut sms: DeliveredSms, capacity: usize) {
        number.codes_sent += 1;
        if capacity == 0 {
            return;
        }
        while number.inbox.len() >= capacity {
            number.inbox.pop_front();
        }
        sms.sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        number.inbox.push_back(sms);
    }

    /// Checks a code: counts the attempt, expires it, or burns it after too many attempts.
    pub(crate) fn verify(
        &self,
        request: &VerifyRequest,
        now: DateTime<Utc>,
        max_attempts: u32,
    ) -> Result<Checked, VerifyRefused> {
        let mut codes = self
            .codes
            .shard(request.trust_validation_id.as_str())
            .lock();
        let pending = codes
            .get_mut(&request.trust_validation_id)
            .filter(|pending| pending.trust_flow_id == request.trust_flow_id)
            .ok_or(VerifyRefused::NoCode)?;
        if request
            .ref_id
            .as_ref()
            .is_some_and(|ref_id| *ref_id != pending.reference_id)
        {
            return Err(VerifyRefused::ReferenceMismatch);
        }
        if request
            .e164
            .as_ref()
            .is_some_and(|e164| *e164 != pending.e164)
        {
            return Err(VerifyRefused::PhoneMismatch);
        }
        let outcome = match pending.status {
            CodeStatus::Verified => return Err(VerifyRefused::AlreadyUsed),
            CodeStatus::Rejected(why) => CheckOutcome::Rejected(why),
            CodeStatus::Pending if now >= pending.expires_at => {
                pending.status = CodeStatus::Rejected(Rejection::Expired);
                CheckOutcome::Rejected(Rejection::Expired)
            }
            CodeStatus::Pending => {
                pending.attempts += 1;
                if request.otp == pending.code {
                    pending.status = CodeStatus::Verified;
                    CheckOutcome::Valid
                } else if pending.attempts >= max_attempts {
                    pending.status = CodeStatus::Rejected(Rejection::MaxAttempts);
                    CheckOutcome::Rejected(Rejection::MaxAttempts)
                } else {
                    CheckOutcome::Invalid
                }
            }
        };
        Ok(Checked {
            outcome,
            reference_id: pending.reference_id.clone(),
            e164: pending.e164.clone(),
        })
    }

    /// The number a trust validation's code was sent to.
    pub(crate) fn number_of(&self, trust_validation_id: &str) -> Option<String> {
        let codes = self.codes.shard(trust_validation_id).lock();
        codes.get(trust_validation_id).map(|p| p.e164.clone())
    }

    pub(crate) fn mark_unknown_trust_validation(&self, id: String) {
        self.unknown_trust_validations.write().insert(id);
    }

    pub(crate) fn mark_unknown_trust_flow(&self, id: i64) {
        self.unknown_trust_flows.write().insert(id);
    }

    pub(crate) fn is_unknown_trust_validation(&self, id: &str) -> bool {
        self.unknown_trust_validations.read().contains(id)
    }

    pub(crate) fn is_unknown_trust_flow(&self, id: i64) -> bool {
        self.unknown_trust_flows.read().contains(&id)
    }

    /// Every message still in the inbox, in delivery order; only those to `e164` when given.
    pub(crate) fn inbox(&self, e164: Option<&str>) -> Vec<DeliveredSms> {
        let mut messages: Vec<DeliveredSms> = match e164 {
            Some(e164) => self
                .numbers
                .shard(e164)
                .lock()
                .get(e164)
                .map(|n| n.inbox.iter().cloned().collect())
                .unwrap_or_default(),
            None => self
                .numbers
                .shards
                .iter()
                .flat_map(|shard| {
                    let shard = shard.lock();
                    shard
                        .values()
                        .flat_map(|n| n.inbox.iter().cloned())
                        .collect::<Vec<_>>()
                })
                .collect(),
        };
        messages.sort_by_key(|m| m.sequence);
        messages
    }

    /// The newest code delivered to `e164`.
    pub(crate) fn last_code_for(&self, e164: &str) -> Option<String> {
        let numbers = self.numbers.shard(e164).lock();
        numbers
            .get(e164)
            .and_then(|n| n.inbox.back())
            .map(|m| m.code.clone())
    }

    /// Codes sent per number since the start (or the last reset).
    pub(crate) fn codes_sent_per_number(&self) -> HashMap<String, u64> {
        let mut counts = HashMap::new();
        for shard in self.numbers.shards.iter() {
            for (number, state) in shard.lock().iter() {
                counts.insert(number.clone(), state.codes_sent);
            }
        }
        counts
    }

    /// Forgets everything: codes, numbers, inboxes and unknown ids.
    pub(crate) fn reset(&self) {
        self.codes.clear();
        self.numbers.clear();
        self.unknown_trust_validations.write().clear();
        self.unknown_trust_flows.write().clear();
    }
}

/// Admits one more send into a sliding window of `limit`, or gives the seconds until the oldest
/// send leaves it.
pub(crate) fn admit(
    recent_sends: &mut VecDeque<DateTime<Utc>>,
    now: DateTime<Utc>,
    limit: SendLimit,
) -> Result<(), u64> {
    let window = to_delta(limit.window);
    while recent_sends
        .front()
        .is_some_and(|&sent| sent + window <= now)
    {
        recent_sends.pop_front();
    }
    if recent_sends.len() >= limit.max as usize {
        let oldest = recent_sends.front().copied().unwrap_or(now);
        return Err(ceil_secs(oldest + window - now));
    }
    recent_sends.push_back(now);
    Ok(())
}

/// A new code, as the configuration says.
/// A new send's `referenceId`: 32 random upper-case hex digits, as documented.
pub(crate) fn new_reference_id() -> String {
    format!("{:032X}", rand::rng().random::<u128>())
}

pub(crate) fn new_code(config: &SimConfig) -> String {
    match &config.codes {
        CodeSource::Fixed(code) => code.clone(),
        CodeSource::Random => random_code(config.code_length),
    }
}

fn random_code(digits: usize) -> String {
    let mut rng = rand::rng();
    (0..digits)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// Whole seconds, rounded up, at least 1: a `Retry-After` that is never "now".
fn ceil_secs(delta: TimeDelta) -> u64 {
    let millis = delta.num_milliseconds().max(0) as u64;
    millis.div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(ceil_secs(TimeDelta::milliseconds(1)), 1);
        assert_eq!(ceil_secs(TimeDelta::milliseconds(29_001)), 30);
        assert_eq!(ceil_secs(TimeDelta::seconds(30)), 30);
        assert_eq!(ceil_secs(TimeDelta::zero()), 1);
    }

    #[test]
    fn random_codes_have_the_configured_number_of_digits() {
        for digits in [4, 6, 10] {
            let code = random_code(digits);
            assert_eq!(code.len(), digits);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
