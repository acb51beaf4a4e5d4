//! Which send a check goes to: the current send of a trust validation, chosen from what the
//! provider did, not from the order in which this side started the sends.
//!
//! A provider keeps one live code per trust validation: the code of the send it processed
//! last. Two sends that overlap (a double click, a corrected number) may reach it in either
//! order, so the send *started* last is not always the one whose code the end user can use.
//! The rule, its reasons and its limits are in `docs/architecture.md` ("The current send").

use chrono::{DateTime, Utc};
use phone_verify_domain::{PhoneNumber, ReferenceId};

use crate::time::add;
use crate::{CheckPolicy, CheckRefusal, SendRecord};

/// The send a check goes to, as a store's reservation chose it
/// ([`crate::VerificationStore::reserve_check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckTarget {
    /// The send the check is recorded against and counted for: the current send, or, when
    /// the provider's order of the live sends is not known, the newest of them.
    pub send: SendRecord,
    /// Whether the check names the send to the provider (its reference and number). Only
    /// when the send is known to be the one the provider accepted last; otherwise the
    /// provider checks the code it holds for the trust validation, whichever send it came
    /// from.
    pub narrowed: bool,
    /// The checks of this code already counted as attempts when the check was reserved (set
    /// by [`CheckPolicy::evaluate_attempts`]): what [`crate::CheckedCode::tries_left`] is
    /// computed from.
    pub attempts_before: u32,
}

impl CheckTarget {
    /// The reference the check sends to the provider: the send's, when narrowed.
    pub fn reference(&self) -> Option<&ReferenceId> {
        if self.narrowed {
            self.send.reference()
        } else {
            None
        }
    }

    /// The number the check sends to the provider: the send's, when narrowed and the store
    /// keeps it in clear. A protected store does not have it; the check then names the number
    /// its caller gave, once the store's keys confirm it is the send's
    /// ([`crate::CheckCode::check_with_number`]).
    pub fn phone(&self) -> Option<&PhoneNumber> {
        self.narrowed.then(|| self.send.number.clear()).flatten()
    }
}

/// Whether the provider is known to have accepted `earlier` before `later`: `earlier` was
/// finished before `later` was even started (our clock), or, when our clock cannot tell (the
/// two overlapped), both are the same provider's and carry its submit times, `earlier`'s the
/// smaller. Submit times of two providers are two clocks, of different precision (Twilio's
/// are whole seconds), so they never order sends across providers: an SMS at IDMeta
/// submitted at 10:00:00.5 and a call at Twilio started after it, dated 10:00:00, would
/// otherwise make the SMS the current send, and the code the end user heard would not check.
fn known_to_precede(earlier: &SendRecord, later: &SendRecord) -> bool {
    let finished_before_started = |first: &SendRecord, second: &SendRecord| {
        first
            .finished_at()
            .is_some_and(|finished| finished <= second.started_at)
    };
    if finished_before_started(earlier, later) {
        return true;
    }
    if finished_before_started(later, earlier) {
        return false;
    }
    earlier.provider == later.provider
        && match (earlier.submitted_at(), later.submitted_at()) {
            (Some(earlier), Some(later)) => earlier < later,
            _ => false,
        }
}

impl CheckPolicy {
    /// When a code sent by `send` stops being checkable, counted from the send's start and
    /// its provider's lifetime ([`CheckPolicy::lifetime_of`]). For a provider whose resend
    /// reuses the code, [`CheckPolicy::choose_send`] counts from the first send of the code.
    pub fn expires_at(&self, send: &SendRecord) -> DateTime<Utc> {
        add(send.started_at, self.lifetime_of(&send.provider))
    }

    /// When the code `send` delivered stops being checkable, among `sends` (the trust
    /// validation's): for a provider whose resend re-sends the same code
    /// ([`ProviderRules::resend_reuses_code`](phone_verify_domain::ProviderRules)), the
    /// lifetime runs from the first send holding the same reference, and a resend does not
    /// extend it.
    fn code_expires_at(&self, send: &SendRecord, sends: &[SendRecord]) -> DateTime<Utc> {
        let first = match send.reference() {
            Some(reference) if self.rules_of(&send.provider).resend_reuses_code => sends
                .iter()
                .filter(|other| {
                    other.provider == send.provider && other.reference() == Some(reference)
                })
                .map(|other| other.started_at)
                .min()
                .unwrap_or(send.started_at),
            _ => send.started_at,
        };
        add(first, self.lifetime_of(&send.provider))
    }

    /// The sends whose checks count against the attempt limit of a check of `target`, among
    /// the trust validation's `sends` (those [`CheckPolicy::choose_send`] chose `target`
    /// from, so the target among them): the target alone, or, for a provider whose limit
    /// counts per code ([`AttemptScope::Code`](phone_verify_domain::AttemptScope)), every
    /// send holding the target's reference (a resend re-sent the same code).
    pub fn sends_sharing_attempts(
        &self,
        target: &CheckTarget,
        sends: &[SendRecord],
    ) -> Vec<crate::AttemptId> {
        let per_code = self.rules_of(&target.send.provider).attempts
            == phone_verify_domain::AttemptScope::Code;
        match target.send.reference() {
            Some(reference) if per_code => sends
                .iter()
                .filter(|send| {
                    send.provider == target.send.provider && send.reference() == Some(reference)
                })
                .map(|send| send.id)
                .collect(),
            _ => vec![target.send.id],
        }
    }

    /// Chooses the send a check at `now` goes to among the sends of one trust validation
    /// (any order; those that cannot have delivered a code are ignored).
    ///
    /// Only sends whose code may still be live count (started less than
    /// [`CheckPolicy::code_lifetime`] ago). The current send is the one every other live send
    /// is known to precede (by the provider's submit time, or because it had finished before
    /// the other started); the check is narrowed to it when it is recorded as sent. When no
    /// such send exists (a send in flight or of unknown outcome overlaps another), the check
    /// goes to the newest live send without naming it to the provider.
    ///
    /// This is the one implementation of the rule: every store calls it inside its atomic
    /// reservation, then [`CheckPolicy::evaluate_attempts`] with the chosen send's checks.
    ///
    /// # Errors
    ///
    /// [`CheckRefusal::NoCodeSent`] when no send may have delivered a code;
    /// [`CheckRefusal::CodeExpired`] when every such code's lifetime is over.
    pub fn choose_send(
        &self,
        sends: impl IntoIterator<Item = SendRecord>,
        now: DateTime<Utc>,
    ) -> Result<CheckTarget, CheckRefusal> {
        let delivered: Vec<SendRecord> = sends
            .into_iter()
            .filter(SendRecord::may_have_delivered)
            .collect();
        let expiries: Vec<DateTime<Utc>> = delivered
            .iter()
            .map(|send| self.code_expires_at(send, &delivered))
            .collect();
        let newest_expiry = expiries
            .iter()
            .copied()
            .max()
            .ok_or(CheckRefusal::NoCodeSent)?;
        let live: Vec<SendRecord> = delivered
            .into_iter()
            .zip(expiries)
            .filter(|(_, expiry)| *expiry > now)
            .map(|(send, _)| send)
            .collect();
        let current = live.iter().find(|candidate| {
            live.iter()
                .all(|other| other.id == candidate.id || known_to_precede(other, candidate))
        });
        if let Some(current) = current {
            return Ok(CheckTarget {
                narrowed: current.reference().is_some(),
                send: current.clone(),
                attempts_before: 0,
            });
        }
        live.into_iter()
            .max_by_key(|send| (send.started_at, send.id))
            .map(|send| CheckTarget {
                send,
                narrowed: false,
                attempts_before: 0,
            })
            .ok_or(CheckRefusal::CodeExpired {
                expired_at: newest_expiry,
            })
    }

    /// Decides a check by the checks already recorded whatever their outcome: `of_send` of the
    /// chosen send, `of_trust_validation` of its trust validation.
    ///
    /// # Errors
    ///
    /// [`CheckRefusal::TooManyChecks`] at [`CheckPolicy::max_checks_per_send`] or
    /// [`CheckPolicy::max_checks_per_trust_validation`].
    pub fn evaluate_checks(
        &self,
        of_send: u64,
        of_trust_validation: u64,
    ) -> Result<(), CheckRefusal> {
        for (count, limit) in [
            (of_send, self.max_checks_per_send),
            (of_trust_validation, self.max_checks_per_trust_validation),
        ] {
            if count >= u64::from(limit) {
                return Err(CheckRefusal::TooManyChecks { limit });
            }
        }
        Ok(())
    }

    /// Decides a check of `target`, whose code already has `counted` checks counting as
    /// attempts, and keeps that count in the target ([`CheckTarget::attempts_before`]).
    ///
    /// # Errors
    ///
    /// [`CheckRefusal::TooManyAttempts`] at [`CheckPolicy::max_attempts`].
    pub fn evaluate_attempts(
        &self,
        target: &mut CheckTarget,
        counted: u64,
    ) -> Result<(), CheckRefusal> {
        if counted >= u64::from(self.max_attempts) {
            return Err(CheckRefusal::TooManyAttempts {
                limit: self.max_attempts,
            });
        }
        // Below `max_attempts`, so it fits.
        target.attempts_before = u32::try_from(counted).unwrap_or(u32::MAX);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;
    use phone_verify_domain::{ProviderName, TrustValidationId};

    use super::*;
    use crate::{AttemptId, ErrorClass, SendOutcome, SendState};

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_778_752_800 + seconds, 0)
            .single()
            .expect("a valid instant")
    }

    fn reference(n: u8) -> ReferenceId {
        ReferenceId::parse(&format!("0123456789ABCDEF0123456789ABCD{n:02}")).expect("a ref")
    }

    fn send(id: u128, started: i64, state: SendState) -> SendRecord {
        SendRecord {
            id: AttemptId::from_u128(id),
            number: crate::StoredNumber::Clear(
                PhoneNumber::parse(&format!("+6018225849{}", id % 10)).expect("a number"),
            ),
            trust_validation: TrustValidationId::parse("tv").expect("an id"),
            provider: ProviderName::idmeta(),
            channel: phone_verify_domain::Channel::Sms,
            started_at: at(started),
            state,
        }
    }

    fn sent(id: u128, started: i64, finished: i64, submitted: Option<i64>) -> SendRecord {
        send(
            id,
            started,
            SendState::Finished {
                at: at(finished),
                outcome: SendOutcome::Sent {
                    reference: reference(u8::try_from(id).expect("small")),
                    submitted_at: submitted.map(at),
                },
            },
        )
    }

    fn unknown(id: u128, started: i64, finished: i64) -> SendRecord {
        send(
            id,
            started,
            SendState::Finished {
                at: at(finished),
                outcome: SendOutcome::OutcomeUnknown {
                    class: Some(ErrorClass::OutcomeUnknown),
                },
            },
        )
    }

    fn not_sent(id: u128, started: i64) -> SendRecord {
        send(
            id,
            started,
            SendState::Finished {
                at: at(started + 1),
                outcome: SendOutcome::NotSent {
                    class: ErrorClass::NotSent,
                },
            },
        )
    }

    fn choose(sends: Vec<SendRecord>, now: i64) -> Result<(u128, bool), CheckRefusal> {
        CheckPolicy::default()
            .choose_send(sends, at(now))
            .map(|target| (target.send.id.as_u128(), target.narrowed))
    }

    #[test]
    fn the_current_send_is_chosen_from_what_the_provider_did() {
        /// What is checked, the sends, when, and the send chosen (and whether narrowed).
        type Case = (
            &'static str,
            Vec<SendRecord>,
            i64,
            Result<(u128, bool), CheckRefusal>,
        );
        let cases: Vec<Case> = vec![
            ("nothing sent", vec![], 10, Err(CheckRefusal::NoCodeSent)),
            (
                "only sends that delivered nothing",
                vec![not_sent(1, 0)],
                10,
                Err(CheckRefusal::NoCodeSent),
            ),
            (
                "one sent send",
                vec![sent(1, 0, 1, Some(0))],
                10,
                Ok((1, true)),
            ),
            (
                "one sent send recorded without a submit time",
                vec![sent(1, 0, 1, None)],
                10,
                Ok((1, true)),
            ),
            (
                "one send in flight",
                vec![send(1, 0, SendState::InFlight)],
                10,
                Ok((1, false)),
            ),
            (
                "sequential sends: the later",
                vec![sent(1, 0, 1, Some(0)), sent(2, 40, 41, Some(40))],
                50,
                Ok((2, true)),
            ),
            (
                "overlapping sends: the one the provider accepted last, though started first",
                vec![sent(1, 0, 9, Some(8)), sent(2, 1, 2, Some(1))],
                20,
                Ok((1, true)),
            ),
            (
                "sequential sends at two providers: our clock, whatever their submit times say",
                vec![
                    sent(1, 0, 1, Some(3)),
                    SendRecord {
                        provider: ProviderName::twilio(),
                        ..sent(2, 2, 3, Some(2))
                    },
                ],
                20,
                Ok((2, true)),
            ),
            (
                "overlapping sends at two providers: their submit times do not order them",
                vec![
                    sent(1, 0, 9, Some(8)),
                    SendRecord {
                        provider: ProviderName::twilio(),
                        ..sent(2, 1, 2, Some(1))
                    },
                ],
                20,
                Ok((2, false)),
            ),
            (
                "overlapping sends with equal submit times: unknown order",
                vec![sent(1, 0, 9, Some(5)), sent(2, 1, 9, Some(5))],
                20,
                Ok((2, false)),
            ),
            (
                "an overlapping send in flight: unknown order, the newest",
                vec![send(1, 0, SendState::InFlight), sent(2, 1, 2, Some(1))],
                20,
                Ok((2, false)),
            ),
            (
                "a send in flight after a sent one: unknown whether it arrived",
                vec![sent(1, 0, 1, Some(0)), send(2, 40, SendState::InFlight)],
                50,
                Ok((2, false)),
            ),
            (
                "an outcome-unknown send finished before the sent one started",
                vec![unknown(1, 0, 15), sent(2, 40, 41, Some(40))],
                50,
                Ok((2, true)),
            ),
            (
                "an outcome-unknown send overlapping the sent one",
                vec![unknown(1, 0, 15), sent(2, 10, 11, Some(10))],
                50,
                Ok((2, false)),
            ),
            (
                "a send whose code has expired no longer competes",
                vec![
                    send(1, 0, SendState::InFlight),
                    sent(2, 290, 291, Some(290)),
                ],
                301,
                Ok((2, true)),
            ),
            (
                "every code expired",
                vec![sent(1, 0, 1, Some(0)), sent(2, 10, 11, Some(10))],
                310,
                Err(CheckRefusal::CodeExpired {
                    expired_at: at(310),
                }),
            ),
        ];
        for (case, sends, now, expected) in cases {
            assert_eq!(choose(sends, now), expected, "{case}");
        }
    }

    #[test]
    fn an_unnarrowed_target_names_neither_reference_nor_number() {
        let policy = CheckPolicy::default();
        let target = policy
            .choose_send(
                vec![send(1, 0, SendState::InFlight), sent(2, 1, 2, Some(1))],
                at(20),
            )
            .expect("a target");
        assert_eq!((target.reference(), target.phone()), (None, None));
        let target = policy
            .choose_send(vec![sent(2, 1, 2, Some(1))], at(20))
            .expect("a target");
        assert_eq!(target.reference(), Some(&reference(2)));
        assert_eq!(target.phone(), target.send.number.clear());
        assert!(target.phone().is_some());
    }

    #[test]
    fn attempts_are_refused_at_the_limit() {
        let policy = CheckPolicy {
            max_attempts: 2,
            code_lifetime: Duration::from_secs(60),
            ..CheckPolicy::default()
        };
        let mut target = policy
            .choose_send(vec![sent(2, 1, 2, Some(1))], at(20))
            .expect("a live send");
        assert_eq!(policy.evaluate_attempts(&mut target, 1), Ok(()));
        assert_eq!(target.attempts_before, 1);
        assert_eq!(
            policy.evaluate_attempts(&mut target, 2),
            Err(CheckRefusal::TooManyAttempts { limit: 2 })
        );
    }
}
