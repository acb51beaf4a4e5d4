//! What IDMeta's routes remember: one pending code per trust validation, the sends of each
//! number (for the resend cooldown and the window limit), and the ids the simulator was told
//! are unknown. The SMS themselves go to the shared inbox (`inbox.rs`).
//!
//! Maps are sharded behind `parking_lot` mutexes held for a few map operations and never across
//! an await. A send locks its trust validation's shard, then its number's shard, then (to
//! deliver) the number's inbox shard, always in that order; everything else holds one lock at a
//! time, so no two requests can deadlock.

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, TimeDelta, Utc};
use parking_lot::RwLock;
use rand::Rng;

use crate::clock::to_delta;
use crate::codes::new_code;
use crate::config::{SendLimit, SimConfig};
use crate::idmeta_wire::{SendRequest, VerifyRequest};
use crate::inbox::{DeliveredSms, Inbox};
use crate::sharded::Sharded;

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

/// The sends to one number, for its cooldown and window limit.
#[derive(Debug, Default)]
struct SendHistory {
    last_sent: Option<DateTime<Utc>>,
    /// Send times inside the current limit window, oldest first.
    recent_sends: VecDeque<DateTime<Utc>>,
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

/// All of IDMeta's memory.
pub(crate) struct IdmetaStore {
    codes: Sharded<String, PendingCode>,
    sends: Sharded<String, SendHistory>,
    unknown_trust_validations: RwLock<HashSet<String>>,
    unknown_trust_flows: RwLock<HashSet<i64>>,
}

impl IdmetaStore {
    pub(crate) fn new() -> Self {
        Self {
            codes: Sharded::new(),
            sends: Sharded::new(),
            unknown_trust_validations: RwLock::new(HashSet::new()),
            unknown_trust_flows: RwLock::new(HashSet::new()),
        }
    }

    /// Creates or renews the code of a trust validation and delivers it to `inbox`, unless the
    /// number is rate limited.
    pub(crate) fn send(
        &self,
        request: &SendRequest,
        now: DateTime<Utc>,
        config: &SimConfig,
        inbox: &Inbox,
    ) -> Result<Sent, SendRefused> {
        let mut codes = self
            .codes
            .shard(request.trust_validation_id.as_str())
            .lock();
        let mut sends = self.sends.shard(request.e164.as_str()).lock();
        let number = sends.entry(request.e164.clone()).or_default();

        if let Some(last) = number.last_sent {
            let free_at = last + to_delta(config.idmeta.resend_cooldown);
            if now < free_at {
                return Err(SendRefused::RateLimited {
                    retry_after_secs: ceil_secs(free_at - now),
                });
            }
        }
        if let Some(limit) = config.idmeta.send_limit {
            admit(&mut number.recent_sends, now, limit)
                .map_err(|retry_after_secs| SendRefused::RateLimited { retry_after_secs })?;
        }

        let code = new_code(config);
        let reference_id = new_reference_id();
        number.last_sent = Some(now);
        let mut sms = DeliveredSms::new("idmeta", &request.e164, &code, &reference_id, now);
        sms.trust_validation_id = request.trust_validation_id.clone();
        sms.trust_flow_id = request.trust_flow_id;
        inbox.deliver(sms, config.inbox_capacity_per_number);
        codes.insert(
            request.trust_validation_id.clone(),
            PendingCode {
                trust_flow_id: request.trust_flow_id,
                e164: request.e164.clone(),
                code,
                reference_id: reference_id.clone(),
                expires_at: now + to_delta(config.idmeta.code_lifetime),
                attempts: 0,
                status: CodeStatus::Pending,
            },
        );
        Ok(Sent { reference_id })
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

    /// Forgets codes, sends and unknown ids.
    pub(crate) fn reset(&self) {
        self.codes.clear();
        self.sends.clear();
        self.unknown_trust_validations.write().clear();
        self.unknown_trust_flows.write().clear();
    }
}

/// Admits one more send into a sliding window of `limit`, or gives the seconds until the oldest
/// send leaves it.
fn admit(
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

/// A new send's `referenceId`: 32 random upper-case hex digits, as documented.
pub(crate) fn new_reference_id() -> String {
    format!("{:032X}", rand::rng().random::<u128>())
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
}
