//! Use case: send a code, with the record written before and after the provider call.

use std::sync::Arc;

use std::time::Duration;

use phone_verify_domain::{
    CancelCodeRequest, GatewayError, PhoneNumber, ProviderName, ReferenceId, SendCodeRequest,
    SendReceipt, VerificationGateway,
};
use tracing::field::{Empty, display};
use tracing::{Span, error, info, warn};

use crate::store::Reservation;
use crate::telemetry::{self, InFlight, ProviderOperation, SendCounted};
use crate::{
    AttemptId, AttemptRecord, HistorySubject, MAX_PAGE_SIZE, NewSend, PageRequest, SendOutcome,
    SendPolicy, SendRefusal, StoreError, StoreOperation, Wiring, fails_over,
};

/// Why the codes other flows have pending at the provider could not be ended.
enum OtherFlows {
    /// The number's history could not be read: which codes are pending is unknown.
    Unknown(StoreError),
    /// A pending code's cancel failed.
    NotEnded(GatewayError),
}

/// What a successful send returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentCode {
    /// The recorded attempt (of the provider that sent, after a failover).
    pub attempt: AttemptId,
    /// The provider that sent the code, the one a check of it goes to.
    pub provider: ProviderName,
    /// What the provider answered (its reference above all).
    pub receipt: SendReceipt,
}

/// Why a send failed, and what happened to the SMS and to its record.
///
/// Not `#[non_exhaustive]`: a caller maps each variant to what it tells its user (the command
/// line to an exit code), and a new variant must be a compile error there, never fall into a
/// catch-all that reports it as something else.
#[derive(Debug, thiserror::Error)]
pub enum SendCodeError {
    /// A guard refused the send; the provider was not called and no record was written (the
    /// store counts the refusal by country and reason, for `stats`).
    /// [`SendRefusal::retry_at`] says when to try again.
    #[error("the send was refused before reaching the provider")]
    Refused(#[from] SendRefusal),
    /// The attempt could not be recorded (or the limits read, or, for a provider that keeps
    /// one code per number, the number's pending codes read) before the call, so the
    /// provider was not called. Nothing was sent.
    #[error("the send could not be recorded, so it was not made")]
    Store(#[from] StoreError),
    /// The provider call failed; the failure is recorded. Whether an SMS may have gone out
    /// is [`GatewayError::may_have_been_sent`]: an "outcome unknown" send is not retried here,
    /// the caller decides. After a failover, the failure of the last provider tried.
    #[error("the provider did not accept the send")]
    Gateway(#[from] GatewayError),
    /// The provider accepted the send (the code is on its way) but recording its outcome
    /// failed: the record may still read "in flight". Reconcile with the receipt's reference.
    #[error("the code was sent but its outcome could not be recorded")]
    SentButNotRecorded {
        /// The attempt left without an outcome.
        attempt: AttemptId,
        /// What the provider answered.
        receipt: SendReceipt,
        /// Why the outcome could not be recorded.
        #[source]
        source: StoreError,
    },
    /// The provider keeps one pending code per number whoever asked
    /// ([`ProviderRules::isolates_trust_validations`](phone_verify_domain::ProviderRules::isolates_trust_validations) is `false`), a code is pending there
    /// for another trust validation of this number, and ending it failed: the send was not
    /// made (it would have re-sent that code, so a code requested in one flow would verify
    /// this one). It is recorded as not sent. Nothing was sent; try again later.
    #[error("a code pending for another trust validation could not be ended, so none was sent")]
    PendingElsewhere {
        /// The send, recorded as not sent.
        attempt: AttemptId,
        /// Why the other code could not be ended.
        #[source]
        source: GatewayError,
    },
    /// The provider call failed and recording that failed too: the record may still read
    /// "in flight" (outcome unknown).
    #[error("the send failed and its outcome could not be recorded")]
    FailedAndNotRecorded {
        /// The attempt left without an outcome.
        attempt: AttemptId,
        /// What the provider call returned.
        gateway: GatewayError,
        /// Why the outcome could not be recorded.
        #[source]
        source: StoreError,
    },
}

impl SendCodeError {
    /// Whether an SMS may have gone out despite the error: if so, sending again may deliver
    /// a second code and void the first.
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            Self::Refused(_) | Self::Store(_) | Self::PendingElsewhere { .. } => false,
            Self::Gateway(gateway) | Self::FailedAndNotRecorded { gateway, .. } => {
                gateway.may_have_been_sent()
            }
            Self::SentButNotRecorded { .. } => true,
        }
    }
}

/// Sends a code: checks the guards, records the attempt in flight (atomically with the
/// limits), calls the provider, records the outcome.
///
/// Cheap to clone (a few `Arc`s) and shareable across tasks.
#[derive(Debug, Clone)]
pub struct SendCode {
    wiring: Wiring,
    policy: Arc<SendPolicy>,
}

impl SendCode {
    /// The use case over `wiring`, guarded by `policy`.
    pub fn new(wiring: Wiring, policy: SendPolicy) -> Self {
        Self {
            wiring,
            policy: Arc::new(policy),
        }
    }

    /// Sends a code to `request.phone` for its trust validation, through the provider the
    /// number is routed to ([`crate::Providers::plan`]).
    ///
    /// Exactly one record is written per provider call, in flight before it and finished
    /// after it, naming the provider. Nothing is retried at the same provider; a failure
    /// that provably sent nothing and was the provider's ([`crate::fails_over`]) moves on to
    /// the next provider of the failover chain, as a new attempt under the same guards. Any
    /// other failure is reported with what it means for the SMS.
    ///
    /// # Errors
    ///
    /// - [`SendCodeError::Refused`]: a guard said no; nothing was sent or recorded (the
    ///   refusal is counted: [`crate::VerificationStore::count_refusal`]).
    /// - [`SendCodeError::Store`]: the first write failed; the provider was not called.
    /// - [`SendCodeError::Gateway`]: the provider call failed; the failure is recorded.
    /// - [`SendCodeError::SentButNotRecorded`], [`SendCodeError::FailedAndNotRecorded`]: the
    ///   second write failed; the error carries the provider's answer for reconciliation.
    #[tracing::instrument(
        name = "send_code",
        skip_all,
        fields(
            phone = %request.phone,
            trust_validation = %request.trust_validation,
            provider = Empty,
            attempt = Empty,
            reference = Empty,
        ),
    )]
    pub async fn send(&self, request: &SendCodeRequest) -> Result<SentCode, SendCodeError> {
        if let Err(refusal) = self.policy.check_number(&request.phone) {
            warn!(%refusal, "send refused by a number guard");
            let provider = self.wiring.providers.routed(&request.phone);
            return Err(self.refused(provider, refusal, &request.phone).await);
        }
        let mut plan = self
            .wiring
            .providers
            .plan_steps(&request.phone, request.channel)
            .peekable();
        if plan.peek().is_none() {
            let refusal = SendRefusal::ChannelNotOffered {
                channel: request.channel,
            };
            warn!(%refusal, "send refused: no provider offers the channel");
            let provider = self.wiring.providers.routed(&request.phone);
            return Err(self.refused(provider, refusal, &request.phone).await);
        }
        while let Some((provider, gateway)) = plan.next() {
            match self.attempt(request, provider, &**gateway).await {
                Err(SendCodeError::Gateway(error))
                    if fails_over(&error) && plan.peek().is_some() =>
                {
                    warn!(%provider, class = error.class().as_str(), "send failed over to the next provider");
                }
                answer => return answer,
            }
        }
        unreachable!("a plan that is not empty ends in an answer")
    }

    /// Where `provider` keeps one pending code per number whoever asked
    /// ([`ProviderRules::isolates_trust_validations`](phone_verify_domain::ProviderRules::isolates_trust_validations) is `false`: Twilio Verify), ends the
    /// codes pending at it for other trust validations of this number, so that this send
    /// starts a new code instead of re-sending theirs: a code requested in one flow never
    /// verifies another. The pending codes are found in the number's recent history (sends
    /// at this provider, with a reference, younger than the provider's code lifetime). A code
    /// the provider no longer holds counts as ended.
    async fn end_other_flows_codes(
        &self,
        request: &SendCodeRequest,
        provider: &ProviderName,
        gateway: &dyn VerificationGateway,
    ) -> Result<(), OtherFlows> {
        let rules = gateway.rules();
        if rules.isolates_trust_validations {
            return Ok(());
        }
        let store = &*self.wiring.store;
        let subject = HistorySubject::Number(store.numbers().lookup(&request.phone));
        // A read failure leaves the pending codes unknown: sending would risk re-sending
        // another flow's code, so it stops the send, as the store's failure it is.
        let page = store
            .history(&subject, PageRequest::first(MAX_PAGE_SIZE))
            .await
            .map_err(OtherFlows::Unknown)?;
        let lifetime = rules.code_lifetime.unwrap_or(Duration::MAX);
        let now = self.wiring.clock.now();
        let mut ended: Vec<&ReferenceId> = Vec::new();
        for record in &page.items {
            let AttemptRecord::Send(send) = record else {
                continue;
            };
            let Some(reference) = send.reference() else {
                continue;
            };
            // Newest first: once a send's code has expired, every later one's has too.
            if crate::time::add(send.started_at, lifetime) <= now {
                break;
            }
            if send.provider != *provider
                || send.trust_validation == request.trust_validation
                || ended.contains(&reference)
            {
                continue;
            }
            info!(%reference, "ending the code pending for another trust validation");
            gateway
                .cancel_code(&CancelCodeRequest {
                    reference: reference.clone(),
                    phone: Some(request.phone.clone()),
                })
                .await
                .map_err(OtherFlows::NotEnded)?;
            ended.push(reference);
        }
        Ok(())
    }

    /// Records `outcome` as the end of `attempt`, and counts the send by what the write did.
    async fn finish(
        &self,
        provider: &ProviderName,
        attempt: AttemptId,
        outcome: SendOutcome,
        phone: &PhoneNumber,
    ) -> Result<(), StoreError> {
        // Counted by what the write does: the outcome moves into it.
        let if_recorded = SendCounted::after_call(&outcome, true);
        let if_not_recorded = SendCounted::after_call(&outcome, false);
        let store = &*self.wiring.store;
        let recorded = telemetry::store_call(
            store,
            StoreOperation::FinishSend,
            store.finish_send(attempt, outcome, self.wiring.clock.now()),
        )
        .await;
        let (counted, reason) = if recorded.is_ok() {
            if_recorded
        } else {
            if_not_recorded
        };
        telemetry::count_send(provider, counted, reason, phone.country_calling_code());
        recorded
    }

    /// One attempt at one provider: reserve, call, record.
    /// Counts a refusal (logged by the caller) in the metrics and in the store's counts of
    /// refusals, which `stats` reads; the error to answer. A store that fails to count it
    /// changes nothing of the answer: the failure is logged and counted as the store's.
    async fn refused(
        &self,
        provider: &ProviderName,
        refusal: SendRefusal,
        phone: &PhoneNumber,
    ) -> SendCodeError {
        telemetry::count_send_refusal(provider, &refusal, phone);
        let store = &*self.wiring.store;
        let counted = store.count_refusal(
            phone.country_calling_code(),
            refusal.as_str(),
            self.wiring.clock.now(),
        );
        if let Err(error) =
            telemetry::store_call(store, StoreOperation::CountRefusal, counted).await
        {
            warn!(%error, "the refusal was answered but not counted in the store");
        }
        refusal.into()
    }

    async fn attempt(
        &self,
        request: &SendCodeRequest,
        provider: &ProviderName,
        gateway: &dyn VerificationGateway,
    ) -> Result<SentCode, SendCodeError> {
        Span::current().record("provider", display(provider));
        let store = &*self.wiring.store;
        let attempt = self.wiring.ids.next_id();
        Span::current().record("attempt", display(attempt));
        // What the store keeps of the number, and how it finds the number's earlier sends,
        // as the store itself says: a protected store is never handed the number.
        let numbers = store.numbers();
        let new_send = NewSend {
            id: attempt,
            number: numbers.at_rest(&request.phone),
            lookup: numbers.lookup(&request.phone),
            trust_validation: request.trust_validation.clone(),
            provider: provider.clone(),
            channel: request.channel,
            range: self
                .policy
                .limits
                .number_ranges
                .map(|ranges| numbers.range_of(&request.phone, ranges.hidden_digits)),
            prefix: self
                .policy
                .limits
                .conversion
                .as_ref()
                .and_then(|breaker| breaker.scope.hidden_digits(&request.phone))
                .map(|hidden| numbers.range_of(&request.phone, hidden)),
            client: self
                .policy
                .limits
                .clients
                .and(request.client.as_ref())
                .and_then(|client| numbers.client_digest(client)),
            started_at: self.wiring.clock.now(),
        };
        let reservation = telemetry::store_call(
            store,
            StoreOperation::ReserveSend,
            store.reserve_send(new_send, &self.policy.limits),
        )
        .await
        .inspect_err(|error| {
            error!(%error, "send not recorded, provider not called");
            telemetry::count_send(
                provider,
                SendCounted::StoreFailed,
                None,
                request.phone.country_calling_code(),
            );
        })?;
        if let Reservation::Refused(refusal) = reservation {
            warn!(%refusal, retry_at = ?refusal.retry_at(), "send refused by a limit");
            return Err(self.refused(provider, refusal, &request.phone).await);
        }

        let other_flows = self.end_other_flows_codes(request, provider, gateway).await;
        if let Err(OtherFlows::Unknown(error)) = other_flows {
            error!(%error, "send not made: the number's pending codes could not be read");
            let outcome = SendOutcome::NotSent {
                class: crate::ErrorClass::NotSent,
            };
            // If this write fails too, the attempt stays in flight until reconciled: never
            // sent, counted as outcome unknown, which errs on the side of the guards.
            let _ = self
                .finish(provider, attempt, outcome, &request.phone)
                .await;
            return Err(SendCodeError::Store(error));
        }
        if let Err(OtherFlows::NotEnded(source)) = other_flows {
            warn!(
                class = source.class().as_str(),
                "send not made: another flow's code is pending"
            );
            let outcome = SendOutcome::NotSent {
                class: source.class(),
            };
            let recorded = self
                .finish(provider, attempt, outcome, &request.phone)
                .await;
            return Err(match recorded {
                Ok(()) => SendCodeError::PendingElsewhere { attempt, source },
                Err(store_error) => SendCodeError::FailedAndNotRecorded {
                    attempt,
                    gateway: source,
                    source: store_error,
                },
            });
        }

        let in_flight = InFlight::start(provider, ProviderOperation::SendCode);
        let answer = telemetry::provider_call(
            provider,
            ProviderOperation::SendCode,
            gateway.send_code(request),
        )
        .await;
        if let Ok(receipt) = &answer {
            Span::current().record("reference", display(&receipt.reference));
        }
        let outcome = SendOutcome::from_gateway(&answer);
        let recorded = self
            .finish(provider, attempt, outcome, &request.phone)
            .await;
        in_flight.recorded(recorded.is_ok());

        match (answer, recorded) {
            (Ok(receipt), Ok(())) => {
                info!("code sent");
                Ok(SentCode {
                    attempt,
                    provider: provider.clone(),
                    receipt,
                })
            }
            (Err(gateway), Ok(())) => {
                warn!(
                    error = %gateway,
                    class = gateway.class().as_str(),
                    may_have_been_sent = gateway.may_have_been_sent(),
                    "send failed"
                );
                Err(gateway.into())
            }
            (Ok(receipt), Err(source)) => {
                error!(error = %source, "code sent but its outcome could not be recorded");
                Err(SendCodeError::SentButNotRecorded {
                    attempt,
                    receipt,
                    source,
                })
            }
            (Err(gateway), Err(source)) => {
                error!(
                    error = %source,
                    class = gateway.class().as_str(),
                    "send failed and its outcome could not be recorded"
                );
                Err(SendCodeError::FailedAndNotRecorded {
                    attempt,
                    gateway,
                    source,
                })
            }
        }
    }
}
