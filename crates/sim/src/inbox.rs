//! The handset inbox both providers' routes deliver to: the messages (SMS, voice calls,
//! WhatsApp messages) each number received, oldest first, and how many codes it was sent.
//!
//! Numbers are sharded behind `parking_lot` mutexes held for a few map operations and never
//! across an await. A delivery takes its number's shard last, after any lock of the provider's
//! own state, and takes no other lock while it holds it, so no two requests can deadlock.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::mask::Masked;
use crate::sharded::Sharded;

/// One message the simulator "delivered": what a handset with that number would have received,
/// on the channel the send asked for (an SMS unless a Twilio send asked for a call or WhatsApp).
/// The name is the historical one: a call or WhatsApp message is recorded here too.
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
    /// The channel it went out on, by its stable name: `"sms"`, `"call"` or `"whatsapp"`
    /// (IDMeta's routes deliver SMS only; Twilio's name it in `Channel`).
    pub channel: &'static str,
    /// The language the send asked for (Twilio's `Locale`), as given; `None` when it asked for
    /// none (the provider picks) or the provider has no such field (IDMeta).
    pub locale: Option<String>,
    /// The Android app hash the SMS ends with (Twilio's `AppHash`), as given; `None` when the
    /// send had none.
    pub app_hash: Option<String>,
    /// When it was sent, by the simulator's clock.
    pub sent_at: DateTime<Utc>,
    /// Order of delivery across all numbers.
    #[serde(skip)]
    sequence: u64,
}

impl DeliveredSms {
    /// An SMS of `provider`'s route, without trust ids (a route that has them sets them), a
    /// locale or an app hash (a route that has them sets them with [`DeliveredSms::via`]).
    pub(crate) fn new(
        provider: &'static str,
        phone: &str,
        code: &str,
        reference_id: &str,
        sent_at: DateTime<Utc>,
    ) -> Self {
        Self {
            provider,
            phone: phone.to_owned(),
            code: code.to_owned(),
            reference_id: reference_id.to_owned(),
            trust_validation_id: String::new(),
            trust_flow_id: 0,
            channel: "sms",
            locale: None,
            app_hash: None,
            sent_at,
            sequence: 0,
        }
    }

    /// This message, delivered on `channel` (a stable name) in `locale`, with `app_hash`.
    pub(crate) fn via(
        self,
        channel: &'static str,
        locale: Option<String>,
        app_hash: Option<String>,
    ) -> Self {
        Self {
            channel,
            locale,
            app_hash,
            ..self
        }
    }
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
            .field("channel", &self.channel)
            .field("locale", &self.locale)
            .field("app_hash", &self.app_hash)
            .field("sent_at", &self.sent_at)
            .finish()
    }
}

/// What one number received.
#[derive(Debug, Default)]
struct Handset {
    codes_sent: u64,
    messages: VecDeque<DeliveredSms>,
}

/// Every number's handset.
pub(crate) struct Inbox {
    numbers: Sharded<String, Handset>,
    sequence: AtomicU64,
}

impl Inbox {
    pub(crate) fn new() -> Self {
        Self {
            numbers: Sharded::new(),
            sequence: AtomicU64::new(0),
        }
    }

    /// Counts an SMS to its number and puts it in the number's inbox, the oldest dropped beyond
    /// `capacity`.
    pub(crate) fn deliver(&self, mut sms: DeliveredSms, capacity: usize) {
        let mut numbers = self.numbers.shard(sms.phone.as_str()).lock();
        let handset = numbers.entry(sms.phone.clone()).or_default();
        handset.codes_sent += 1;
        if capacity == 0 {
            return;
        }
        while handset.messages.len() >= capacity {
            handset.messages.pop_front();
        }
        sms.sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        handset.messages.push_back(sms);
    }

    /// Every message still in the inbox, in delivery order; only those to `e164` when given.
    pub(crate) fn messages(&self, e164: Option<&str>) -> Vec<DeliveredSms> {
        let mut messages: Vec<DeliveredSms> = match e164 {
            Some(e164) => self
                .numbers
                .shard(e164)
                .lock()
                .get(e164)
                .map(|h| h.messages.iter().cloned().collect())
                .unwrap_or_default(),
            None => self
                .numbers
                .shards
                .iter()
                .flat_map(|shard| {
                    let shard = shard.lock();
                    shard
                        .values()
                        .flat_map(|h| h.messages.iter().cloned())
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
            .and_then(|h| h.messages.back())
            .map(|m| m.code.clone())
    }

    /// Codes sent per number since the start (or the last reset).
    pub(crate) fn codes_sent_per_number(&self) -> HashMap<String, u64> {
        let mut counts = HashMap::new();
        for shard in self.numbers.shards.iter() {
            for (number, handset) in shard.lock().iter() {
                counts.insert(number.clone(), handset.codes_sent);
            }
        }
        counts
    }

    /// Forgets every number's messages and counts.
    pub(crate) fn reset(&self) {
        self.numbers.clear();
    }
}
