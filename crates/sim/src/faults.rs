//! Faults a test arms to make the simulator misbehave like a real provider on a bad day, and the
//! book that keeps them until they are used up.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

/// One way of misbehaving, applied to one request on the two API routes.
///
/// Faults replace the answer: the request is not processed (no code is sent or checked) unless the
/// variant says so ([`Fault::CloseAfterProcessing`], [`Fault::ProcessThenFail`],
/// [`Fault::ForeignAnswer`], [`Fault::StatusEcho`]). They apply before authentication and
/// validation, except when armed for a [`FaultScope::Phone`], which needs a valid body to find
/// the number.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Answer this status (500, 502, 503; any status outside 500..=599 is answered as 500) with
    /// the provider's JSON error (IDMeta `{"message": …}`, Twilio `{"code": 20503 or 20500, …}`),
    /// or an HTML error page like a proxy would send. The request is not processed.
    ServerError {
        /// The HTTP status.
        status: u16,
        /// An HTML page instead of JSON.
        html: bool,
    },
    /// Answer 429 `{"message":"Too Many Attempts."}`, with `Retry-After: <secs>` when given.
    RateLimited {
        /// The `Retry-After` header, in seconds; none leaves the header out.
        retry_after_secs: Option<u64>,
    },
    /// Answer 200 with the usual envelope but `"success": false`.
    SuccessFalse,
    /// Answer 200, `Content-Type: application/json`, with a body that is not JSON.
    MalformedJson,
    /// Answer 200 with a documented example response cut in half (correct HTTP framing).
    TruncatedJson,
    /// Answer 200 with a body of exactly this many bytes: a JSON object with a huge `padding`
    /// string (valid JSON from 83 bytes up; capped at 256 MiB).
    Oversized {
        /// The body's size in bytes.
        bytes: usize,
    },
    /// Answer 200 headers, then one body byte per trickle interval, forever (until shutdown).
    Trickle,
    /// Close the connection without reading the request body and without answering.
    CloseBeforeRead,
    /// Read the whole request, then close the connection without answering.
    CloseAfterRead,
    /// Process the request normally (a code is sent or checked), then close the connection
    /// without answering: the "outcome unknown" case.
    CloseAfterProcessing,
    /// Process the request normally (a send delivers its code, a check counts or approves),
    /// then answer this 5xx instead: the provider's own JSON error, or the HTML page of a proxy
    /// in front of it. Proxies and load balancers answer so after the origin processed the
    /// request, which is why a 5xx of unknown origin may have sent a code.
    ProcessThenFail {
        /// The HTTP status (500, 502, 503; any status outside 500..=599 is answered as 500).
        status: u16,
        /// A proxy's HTML page instead of the provider's JSON error.
        html: bool,
        /// The `Retry-After` header, in seconds; none leaves the header out.
        retry_after_secs: Option<u64>,
    },
    /// Process the request normally (a send delivers its code, a check counts or approves),
    /// then answer as the provider would, but about another verification: another reference
    /// (IDMeta `data.referenceId`, Twilio `sid`) and another number (IDMeta
    /// `data.verify.inputPhoneNumber`, Twilio `to`: the request's with its last digit
    /// changed). A send's answer is a receipt of that other send; a check's approves it
    /// (IDMeta `codeState: VALID`, `verificationStatus: VERIFIED`; Twilio `status: approved`,
    /// `valid: true`). The trust validation echoed is the request's.
    ForeignAnswer,
    /// Process the request normally, then answer normally but with the E.164 number the request
    /// concerns and a long free text with control characters in the status fields (IDMeta
    /// `verificationStatus` and `data.verify.codeState`; Twilio `status`). Only a 2xx answer is
    /// changed: an error keeps its body.
    StatusEcho,
}

impl Fault {
    /// Whether the fault lets the request be processed and acts on the answer afterwards.
    pub(crate) fn applies_after_processing(&self) -> bool {
        matches!(
            self,
            Fault::CloseAfterProcessing
                | Fault::ProcessThenFail { .. }
                | Fault::ForeignAnswer
                | Fault::StatusEcho
        )
    }
}

/// Which requests a fault applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultScope {
    /// The next `n` requests to the API routes, whatever they carry.
    Next(u32),
    /// Every request for this E.164 number (`+60182258491`) until the faults are cleared. For
    /// verify, the number is the body's `country_code` + `phone_number` or, when absent, the
    /// number the trust validation's code was sent to.
    Phone(String),
    /// The next `n` requests for this E.164 number.
    PhoneNext(String, u32),
}

/// Faults armed and not yet used up, in the order they were armed.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    armed: Mutex<Vec<Armed>>,
    // Lets the hot path skip the lock while no fault is armed (load benchmarks).
    len: AtomicUsize,
}

#[derive(Debug)]
struct Armed {
    fault: Fault,
    phone: Option<String>,
    remaining: Option<u32>,
}

impl FaultBook {
    pub(crate) fn arm(&self, fault: Fault, scope: FaultScope) {
        let (phone, remaining) = match scope {
            FaultScope::Next(0) | FaultScope::PhoneNext(_, 0) => return,
            FaultScope::Next(n) => (None, Some(n)),
            FaultScope::Phone(phone) => (Some(phone), None),
            FaultScope::PhoneNext(phone, n) => (Some(phone), Some(n)),
        };
        let mut armed = self.armed.lock();
        armed.push(Armed {
            fault,
            phone,
            remaining,
        });
        self.len.store(armed.len(), Ordering::Release);
    }

    pub(crate) fn clear(&self) {
        let mut armed = self.armed.lock();
        armed.clear();
        self.len.store(0, Ordering::Release);
    }

    /// Uses up one request of the oldest fault armed for the next requests.
    pub(crate) fn take_next(&self) -> Option<Fault> {
        self.take(|armed| armed.phone.is_none())
    }

    /// Uses up one request of the oldest fault armed for this number.
    pub(crate) fn take_for_phone(&self, e164: &str) -> Option<Fault> {
        self.take(|armed| armed.phone.as_deref() == Some(e164))
    }

    /// Whether any fault is armed for some number (so verify must look its number up).
    pub(crate) fn any_for_phones(&self) -> bool {
        self.len.load(Ordering::Acquire) > 0 && self.armed.lock().iter().any(|a| a.phone.is_some())
    }

    /// The faults still armed, with what is left of their scope.
    pub(crate) fn pending(&self) -> Vec<(Fault, FaultScope)> {
        self.armed
            .lock()
            .iter()
            .map(|armed| {
                let scope = match (&armed.phone, armed.remaining) {
                    (None, Some(n)) => FaultScope::Next(n),
                    (None, None) => FaultScope::Next(u32::MAX),
                    (Some(phone), None) => FaultScope::Phone(phone.clone()),
                    (Some(phone), Some(n)) => FaultScope::PhoneNext(phone.clone(), n),
                };
                (armed.fault.clone(), scope)
            })
            .collect()
    }

    fn take(&self, matches: impl Fn(&Armed) -> bool) -> Option<Fault> {
        if self.len.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut armed = self.armed.lock();
        let index = armed.iter().position(matches)?;
        let entry = &mut armed[index];
        let fault = entry.fault.clone();
        if let Some(remaining) = &mut entry.remaining {
            *remaining -= 1;
            if *remaining == 0 {
                armed.remove(index);
            }
        }
        self.len.store(armed.len(), Ordering::Release);
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_for_the_next_two_requests_is_used_up_after_two() {
        let book = FaultBook::default();
        book.arm(Fault::SuccessFalse, FaultScope::Next(2));
        assert_eq!(book.take_next(), Some(Fault::SuccessFalse));
        assert_eq!(book.take_next(), Some(Fault::SuccessFalse));
        assert_eq!(book.take_next(), None);
    }

    #[test]
    fn a_phone_fault_matches_only_its_number_and_stays_until_cleared() {
        let book = FaultBook::default();
        book.arm(Fault::MalformedJson, FaultScope::Phone("+6011".into()));
        assert_eq!(book.take_next(), None);
        assert_eq!(book.take_for_phone("+6012"), None);
        assert_eq!(book.take_for_phone("+6011"), Some(Fault::MalformedJson));
        assert_eq!(book.take_for_phone("+6011"), Some(Fault::MalformedJson));
        book.clear();
        assert_eq!(book.take_for_phone("+6011"), None);
    }

    #[test]
    fn faults_are_used_in_the_order_they_were_armed() {
        let book = FaultBook::default();
        book.arm(Fault::TruncatedJson, FaultScope::Next(1));
        book.arm(Fault::Trickle, FaultScope::Next(1));
        assert_eq!(book.take_next(), Some(Fault::TruncatedJson));
        assert_eq!(book.take_next(), Some(Fault::Trickle));
    }

    #[test]
    fn a_scope_of_zero_requests_arms_nothing() {
        let book = FaultBook::default();
        book.arm(Fault::Trickle, FaultScope::Next(0));
        assert!(book.pending().is_empty());
    }
}
