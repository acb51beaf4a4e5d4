//! The contract of the `VerificationGateway` port, as a test suite every adapter runs against
//! the simulator (feature `contract`).
//!
//! The store port has its contract suite (`phone_verify_app::store_contract`); this is the
//! gateway's, in the same form. Each case is an async function taking the adapter under test,
//! described by a [`ContractTarget`], and panicking when the adapter breaks the port's promises:
//! what `GatewayError::may_have_been_sent` and `GatewayError::is_retryable` say after each
//! fault, the error's class, how many requests the simulator saw, which codes it delivered,
//! and the verdicts of checks. A case speaks the port's words only; each provider's own
//! vocabulary (error codes, statuses) is tested where it is mapped, in the adapter's
//! `classify.rs`.
//!
//! [`crate::gateway_contract_tests!`] generates one `#[tokio::test]` per case, each with a
//! simulator of its own. An adapter's test binary puts itself under the contract in one line
//! (tokio with `macros` and `rt` as a dependency or dev-dependency):
//!
//! ```text
//! phone_verify_sim::gateway_contract_tests!(MyProviderTarget);
//! ```
//!
//! where `MyProviderTarget` implements [`ContractTarget`]: it builds the adapter's gateway for a
//! [`GatewaySetup`], names the provider the simulator plays ([`SimulatedProvider`]), and
//! declares which 5xx answers its provider documents as unprocessed ([`ServerAnswer`]). The
//! provider's rules come from the gateway itself (`VerificationGateway::rules`), and the cases
//! hold the adapter to them: what a resend does to the first code, what a check that names no
//! send reaches, how long a code lives, whether a pending code can be cancelled, which channels
//! deliver, and whether a locale and app hash reach the message.
//!
//! The cases are listed once, in that macro, and every adapter runs them through it: a case
//! cannot be left out of one adapter and run on another. The cases live in private modules by
//! topic and are public only through that list, so a case written but not listed does not
//! compile (`dead_code` is denied there). The fault matrix is one table (`faults.rs`), and
//! every [`Fault`] the simulator offers has its rule there: a new fault does not compile until
//! the contract says what the port must give under it.

use std::time::Duration;

use phone_verify_domain::VerificationGateway;

use crate::{Counters, Fault, Simulator};

#[deny(dead_code)]
mod faults;
#[deny(dead_code)]
mod flow;
#[deny(dead_code)]
mod harness;
#[deny(dead_code)]
mod retries;
#[deny(dead_code)]
mod rules;
#[deny(dead_code)]
mod wrong_answers;

crate::gateway_contract_tests!(@list @export);

/// An adapter under the gateway contract: what the cases need to know of it, beyond what its
/// gateway says itself (its rules are read from `VerificationGateway::rules`).
///
/// ```text
/// struct IdmetaTarget;
///
/// impl ContractTarget for IdmetaTarget {
///     fn provider(&self) -> SimulatedProvider {
///         SimulatedProvider::Idmeta
///     }
///
///     fn documented_unprocessed(&self) -> &'static [ServerAnswer] {
///         &[ServerAnswer { status: 503, body: ErrorBody::Provider }]
///     }
///
///     fn gateway(&self, setup: &GatewaySetup<'_>) -> Box<dyn VerificationGateway> {
///         // the adapter's builder, pointed at setup.base_url, with setup's credentials,
///         // retries and request timeout
///     }
/// }
/// ```
pub trait ContractTarget {
    /// The provider the simulator plays for this adapter: which of its routes the adapter
    /// calls, so which counters count its sends and checks, and which codes are its own.
    fn provider(&self) -> SimulatedProvider;

    /// The 5xx answers this provider documents as "turned away unprocessed", which the adapter
    /// must report as `GatewayError::Unavailable` (not sent). Every other 5xx must be
    /// `GatewayError::ProviderFault` (may have been sent), even when the simulator did not
    /// process the request: a 5xx proves nothing by itself (`docs/provider-api.md`, "503 by
    /// evidence"). IDMeta: its own JSON 503; Twilio: none (it documents only a 429 as never
    /// processed).
    fn documented_unprocessed(&self) -> &'static [ServerAnswer];

    /// The adapter's gateway, as `setup` describes it: pointed at `setup.base_url` (plain HTTP
    /// allowed), with credentials the simulator accepts or refuses, the retry policy asked for
    /// and `setup.request_timeout` as the timeout of one attempt. Everything else is the
    /// adapter's default; the waits between retries may be as short as the adapter allows.
    fn gateway(&self, setup: &GatewaySetup<'_>) -> Box<dyn VerificationGateway>;
}

/// The provider the simulator plays for an adapter under the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimulatedProvider {
    /// IDMeta v3: the `send` and `verify` routes.
    Idmeta,
    /// Twilio Verify v2: the `Verifications`, `VerificationCheck` and update routes.
    Twilio,
}

impl SimulatedProvider {
    /// Requests that reached this provider's send route.
    pub fn send_requests(self, counters: &Counters) -> u64 {
        match self {
            Self::Idmeta => counters.idmeta_send_requests,
            Self::Twilio => counters.twilio_send_requests,
        }
    }

    /// Requests that reached this provider's check route.
    pub fn check_requests(self, counters: &Counters) -> u64 {
        match self {
            Self::Idmeta => counters.idmeta_verify_requests,
            Self::Twilio => counters.twilio_check_requests,
        }
    }

    /// Codes this provider delivered (SMS in the inbox).
    pub fn codes_delivered(self, counters: &Counters) -> u64 {
        match self {
            Self::Idmeta => counters.codes_sent - counters.twilio_codes_sent,
            Self::Twilio => counters.twilio_codes_sent,
        }
    }
}

/// A 5xx answer by what a client can see of it: its status and whose body it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerAnswer {
    /// The HTTP status (500 to 599).
    pub status: u16,
    /// Whose body it carries.
    pub body: ErrorBody,
}

impl ServerAnswer {
    /// The 5xx a fault answers with ([`Fault::ServerError`], [`Fault::ProcessThenFail`]), if
    /// it answers with one.
    pub fn of(fault: &Fault) -> Option<Self> {
        let (status, html) = match fault {
            Fault::ServerError { status, html } | Fault::ProcessThenFail { status, html, .. } => {
                (*status, *html)
            }
            _ => return None,
        };
        Some(Self {
            // The simulator answers a status outside 500..=599 as 500.
            status: if (500..=599).contains(&status) {
                status
            } else {
                500
            },
            body: if html {
                ErrorBody::ProxyPage
            } else {
                ErrorBody::Provider
            },
        })
    }
}

/// Whose body a 5xx answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorBody {
    /// The provider's own error JSON (IDMeta `{"message": …}`, Twilio `{"code": 20503, …}`).
    Provider,
    /// An HTML page, as a proxy or load balancer in front of the provider answers.
    ProxyPage,
}

/// How a case wants the gateway built ([`ContractTarget::gateway`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct GatewaySetup<'a> {
    /// The simulator the case runs; its credentials are the ones to present when they are to
    /// be accepted ([`Simulator::idmeta_token`], [`Simulator::twilio_credentials`],
    /// [`Simulator::twilio_service_sid`]).
    pub sim: &'a Simulator,
    /// Where the gateway sends its requests: the simulator's base URL, or a port nothing
    /// listens on.
    pub base_url: String,
    /// Whether the simulator is to accept the gateway's credentials.
    pub credentials: Credentials,
    /// The retry policy.
    pub retries: Retries,
    /// The timeout of one attempt.
    pub request_timeout: Duration,
}

/// The credentials a gateway under the contract presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// The ones the simulator accepts.
    Accepted,
    /// Ones the simulator refuses (a wrong secret).
    Refused,
}

/// The retry policy a gateway under the contract runs.
///
/// There is no "no retries": the cases run the adapter as it ships, so that the one request
/// the simulator must see after each fault proves that the shipped policy never repeats a
/// request that may have been processed (with no retries, one request would prove nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retries {
    /// The adapter's default policy (only a request that provably never left is retried).
    AsShipped,
    /// The default policy with the caller's opt-in: also retry a rate limit (or an
    /// unprocessed 503) whose `Retry-After` is at most this long.
    RetryAfterUpTo(Duration),
}

/// Generates one `#[tokio::test]` per case of the gateway contract, each running the case on
/// `$target`, an expression of a type that implements
/// [`ContractTarget`](crate::contract::ContractTarget) (usually a unit struct):
///
/// ```text
/// phone_verify_sim::gateway_contract_tests!(IdmetaTarget);
/// ```
///
/// The list of cases below is the only one: the cases' public names in
/// [`contract`](crate::contract) are made from it too. The invoking crate needs tokio (with
/// `macros` and `rt`) for `#[tokio::test]`.
#[macro_export]
macro_rules! gateway_contract_tests {
    // The one list of cases, `topic::case`, handed to the rule `$then` names.
    (@list $($then:tt)*) => {
        $crate::gateway_contract_tests!($($then)* [
            faults::a_send_left_without_an_answer_is_outcome_unknown_and_never_resent,
            faults::a_check_left_without_an_answer_is_outcome_unknown_and_never_repeated,
            faults::a_5xx_to_a_send_may_have_sent_unless_the_provider_documents_it_unprocessed,
            faults::a_5xx_to_a_check_may_have_counted_unless_the_provider_documents_it_unprocessed,
            faults::a_rate_limited_send_sent_nothing_and_carries_the_wait_asked_for,
            faults::a_rate_limited_check_counted_nothing_and_carries_the_wait_asked_for,
            faults::an_unreadable_2xx_to_a_send_was_accepted_and_may_have_sent,
            faults::an_unreadable_2xx_to_a_check_was_accepted_and_may_have_counted,
            faults::a_refusal_in_a_2xx_to_a_send_is_unsuccessful_and_sent_nothing,
            faults::a_refusal_in_a_2xx_to_a_check_is_unsuccessful_and_counted_nothing,
            retries::a_rate_limit_is_retried_only_when_the_caller_opts_in,
            retries::a_provider_nothing_listens_on_is_not_sent_and_may_be_retried,
            retries::refused_credentials_are_unauthorized_and_neither_send_nor_check,
            flow::a_sent_code_checked_by_its_send_verifies,
            flow::every_channel_the_rules_offer_delivers_a_code_on_it_that_verifies,
            flow::a_wrong_code_is_an_answer_and_the_right_code_still_verifies,
            flow::too_many_wrong_codes_is_an_answer_after_which_the_code_never_verifies,
            flow::a_used_code_leaves_no_pending_code,
            flow::a_check_where_no_code_was_sent_is_no_pending_code,
            flow::the_provider_s_own_limit_on_sends_is_a_rate_limit_that_delivers_nothing,
            rules::a_resend_does_to_the_first_code_what_the_rules_declare,
            rules::a_locale_and_app_hash_reach_the_message_only_where_the_rules_honour_them,
            rules::the_code_of_a_send_whose_answer_was_lost_verifies_through_the_declared_code_scope,
            rules::a_check_naming_only_the_trust_validation_reaches_its_code_only_where_the_rules_say_so,
            rules::a_code_lives_as_long_as_the_rules_declare_and_then_never_verifies,
            rules::cancel_ends_a_pending_code_only_where_trust_validations_are_not_kept_apart,
            wrong_answers::a_check_answered_about_another_verification_is_no_verdict,
            wrong_answers::a_status_that_echoes_the_number_is_unlisted_never_verified_and_keeps_no_form_of_it,
        ]);
    };
    // In `phone_verify_sim::contract`: the cases' public names.
    (@export [$($topic:ident :: $case:ident),* $(,)?]) => {
        $(pub use $topic::$case;)*
    };
    // In an adapter's tests: one test per case.
    (@tests $target:expr, [$($topic:ident :: $case:ident),* $(,)?]) => {
        $(
            #[tokio::test]
            async fn $case() {
                $crate::contract::$case(&$target).await;
            }
        )*
    };
    ($target:expr) => {
        $crate::gateway_contract_tests!(@list @tests $target,);
    };
}
