//! What the Twilio routes remember: at most one pending verification per number (found by its
//! number or its `sid`), and each number's recent sends. Twilio's rules, as its reference
//! states them: a send while a verification is pending re-sends the same code on the same
//! `sid`; a verification lives 10 minutes (the service's lifetime, configurable); the 5th wrong code ends it (60202); an approved,
//! expired or exhausted verification is deleted (404 afterwards); at most 5 sends to one number
//! in 10 minutes (60203).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use rand::Rng;

use crate::clock::to_delta;
use crate::config::{SendLimit, SimConfig};
use crate::state::{admit, new_code};

/// Wrong codes that end a verification.
pub(crate) const MAX_WRONG_CODES: u32 = 5;
/// Sends to one number within any 10 minutes.
const SEND_LIMIT: SendLimit = SendLimit {
    max: 5,
    window: Duration::from_secs(600),
};

/// One send of a verification's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendAttempt {
    pub(crate) time: DateTime<Utc>,
    pub(crate) attempt_sid: String,
}

/// A verification as an answer shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verification {
    pub(crate) sid: String,
    pub(crate) to: String,
    pub(crate) code: String,
    pub(crate) created: DateTime<Utc>,
    pub(crate) updated: DateTime<Utc>,
    /// `created` + the Verify Service's lifetime: a resend does not move it.
    pub(crate) expires: DateTime<Utc>,
    pub(crate) wrong_codes: u32,
    pub(crate) attempts: Vec<SendAttempt>,
}

/// How a check addresses its verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Sid(String),
    To(String),
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Checked {
    /// The right code: the verification is approved (and deleted).
    Approved(Verification),
    /// A wrong code, below the limit: still pending.
    Wrong(Verification),
}

/// Why a check found nothing to check, or ended it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckRefused {
    /// No pending verification (never sent, approved, expired, exhausted): 404 20404.
    NotFound,
    /// This wrong code was the last one allowed: 429 60202; the verification is deleted.
    MaxAttempts,
}

/// 5 sends to this number in 10 minutes already: 429 60203.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MaxSendAttempts;

#[derive(Default)]
struct Book {
    pending: HashMap<String, Verification>,
    number_of_sid: HashMap<String, String>,
    recent_sends: HashMap<String, VecDeque<DateTime<Utc>>>,
}

impl Book {
    /// The pending verification of `to`, once an expired one is deleted.
    fn live(&mut self, to: &str, now: DateTime<Utc>) -> Option<&mut Verification> {
        let expired = self.pending.get(to).is_some_and(|v| now >= v.expires);
        if expired {
            self.delete(to);
        }
        self.pending.get_mut(to)
    }

    fn delete(&mut self, to: &str) -> Option<Verification> {
        let verification = self.pending.remove(to)?;
        self.number_of_sid.remove(&verification.sid);
        Some(verification)
    }
}

/// All of the Twilio routes' memory, behind one lock held for a few map operations.
#[derive(Default)]
pub(crate) struct TwilioStore {
    book: Mutex<Book>,
}

impl TwilioStore {
    /// Sends (or re-sends) the code of `to`'s verification, unless the number is over its limit.
    pub(crate) fn send(
        &self,
        to: &str,
        now: DateTime<Utc>,
        config: &SimConfig,
    ) -> Result<Verification, MaxSendAttempts> {
        let mut book = self.book.lock();
        admit(
            book.recent_sends.entry(to.to_owned()).or_default(),
            now,
            SEND_LIMIT,
        )
        .map_err(|_| MaxSendAttempts)?;
        let attempt = SendAttempt {
            time: now,
            attempt_sid: sid("VL"),
        };
        if let Some(pending) = book.live(to, now) {
            pending.attempts.push(attempt);
            pending.updated = now;
            return Ok(pending.clone());
        }
        let verification = Verification {
            sid: sid("VE"),
            to: to.to_owned(),
            code: new_code(config),
            created: now,
            updated: now,
            expires: now + to_delta(config.twilio.verification_lifetime),
            wrong_codes: 0,
            attempts: vec![attempt],
        };
        book.number_of_sid
            .insert(verification.sid.clone(), to.to_owned());
        book.pending.insert(to.to_owned(), verification.clone());
        Ok(verification)
    }

    /// Checks `code` against the verification `target` addresses.
    pub(crate) fn check(
        &self,
        target: &Target,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<Checked, CheckRefused> {
        let mut book = self.book.lock();
        let to = match target {
            Target::To(to) => to.clone(),
            Target::Sid(sid) => book
                .number_of_sid
                .get(sid)
                .cloned()
                .ok_or(CheckRefused::NotFound)?,
        };
        let pending = book.live(&to, now).ok_or(CheckRefused::NotFound)?;
        pending.updated = now;
        if pending.code == code {
            let approved = book.delete(&to).ok_or(CheckRefused::NotFound)?;
            return Ok(Checked::Approved(approved));
        }
        pending.wrong_codes += 1;
        if pending.wrong_codes >= MAX_WRONG_CODES {
            book.delete(&to);
            return Err(CheckRefused::MaxAttempts);
        }
        Ok(Checked::Wrong(pending.clone()))
    }

    /// The number `target` addresses, for faults armed for a number.
    pub(crate) fn number_of(&self, target: &Target) -> Option<String> {
        match target {
            Target::To(to) => Some(to.clone()),
            Target::Sid(sid) => self.book.lock().number_of_sid.get(sid).cloned(),
        }
    }

    /// Forgets every verification and send.
    pub(crate) fn reset(&self) {
        *self.book.lock() = Book::default();
    }
}

/// A Twilio SID: the prefix and 32 lowercase hexadecimal characters.
pub(crate) fn sid(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::rng().random::<u128>())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 14, 10, 0, 0).unwrap() + chrono::TimeDelta::seconds(secs)
    }

    fn config() -> SimConfig {
        SimConfig::default().fixed_code("123456")
    }

    #[test]
    fn a_resend_while_pending_keeps_the_sid_and_the_code() {
        let store = TwilioStore::default();
        let first = store.send("+15017122661", at(0), &config()).expect("sent");
        let again = store.send("+15017122661", at(30), &config()).expect("sent");
        assert_eq!(again.sid, first.sid);
        assert_eq!(again.attempts.len(), 2);
        // Past the lifetime a send starts a new verification.
        let later = store
            .send("+15017122661", at(601), &config())
            .expect("sent");
        assert_ne!(later.sid, first.sid);
    }

    #[test]
    fn the_fifth_wrong_code_ends_the_verification() {
        let store = TwilioStore::default();
        let sent = store.send("+15017122661", at(0), &config()).expect("sent");
        let target = Target::Sid(sent.sid);
        for _ in 1..MAX_WRONG_CODES {
            assert!(matches!(
                store.check(&target, "000000", at(1)),
                Ok(Checked::Wrong(_))
            ));
        }
        assert_eq!(
            store.check(&target, "000000", at(1)),
            Err(CheckRefused::MaxAttempts)
        );
        assert_eq!(
            store.check(&target, "123456", at(1)),
            Err(CheckRefused::NotFound)
        );
    }

    #[test]
    fn an_approved_or_expired_verification_is_gone() {
        let store = TwilioStore::default();
        store.send("+15017122661", at(0), &config()).expect("sent");
        let target = Target::To("+15017122661".into());
        assert!(matches!(
            store.check(&target, "123456", at(1)),
            Ok(Checked::Approved(_))
        ));
        assert_eq!(
            store.check(&target, "123456", at(2)),
            Err(CheckRefused::NotFound)
        );
        store.send("+15017122661", at(10), &config()).expect("sent");
        assert_eq!(
            store.check(&target, "123456", at(610)),
            Err(CheckRefused::NotFound)
        );
    }

    #[test]
    fn a_sixth_send_in_ten_minutes_is_refused() {
        let store = TwilioStore::default();
        for i in 0..5 {
            store
                .send("+15017122661", at(i), &config())
                .expect("within the limit");
        }
        assert_eq!(
            store.send("+15017122661", at(5), &config()),
            Err(MaxSendAttempts)
        );
        assert!(store.send("+15017122661", at(600), &config()).is_ok());
    }
}
