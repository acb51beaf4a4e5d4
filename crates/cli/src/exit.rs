//! Exit codes, one per error class, and the error type that carries them.

use std::process::ExitCode;

use phone_verify::idmeta::{BaseUrlError, HttpConfigError, IdmetaConfigError};
use phone_verify::policy::{CheckRefusal, SendRefusal};
use phone_verify::ports::{ConflictKind, GatewayError, RateLimitKind, StoreError};
use phone_verify::records::{HistoryError, PurgeError, ReconcileError};
use phone_verify::sql::{NotOurStore, SchemaBehind, SqlFailure, SqlFailureKind};
use phone_verify::twilio::TwilioConfigError;
use phone_verify::{BuildError, CheckCodeError, SendCodeError};

use crate::asked::Configured;

/// The documented exit codes (`phone-verify --help`, `docs/cli.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Done: sent, verified, listed.
    Ok = 0,
    /// A check was answered, but the code is wrong, expired or exhausted.
    NotVerified = 1,
    /// A malformed argument (clap uses 2 for usage errors too).
    Usage = 2,
    /// The provider's configuration (URL, credentials) or the database URL is missing or
    /// invalid.
    Config = 3,
    /// A local guard refused (cooldown, caps, country, prefix, no code sent, local expiry).
    RefusedLocally = 4,
    /// The provider refused (401, 403, 404, 422, 429, `success: false`): nothing was sent. A
    /// 401's hint names the settings the refused credentials came from.
    ProviderRefused = 5,
    /// The provider could not be reached, or its own API said it was unavailable and did not
    /// process the request: nothing was sent; safe to retry (after the wait it gave).
    ProviderUnreachable = 6,
    /// A code may have been sent but no answer says so: do not resend blindly.
    OutcomeUnknown = 7,
    /// The store failed (database locked, corrupt, unreachable), or there is none to read.
    Store = 8,
    /// The provider answered but the answer could not be recorded: reconcile.
    NotRecorded = 9,
    /// The provider holds no pending code for the trust validation (404 on a check): it
    /// expired or was used there, or a newer send replaced it. Not counted as an attempt.
    NoPendingCode = 10,
    /// phone-verify could not build the request (a bug): nothing was sent, and a retry fails
    /// the same way.
    Internal = 11,
    /// The provider refused a new send because the end user already holds a live code for the
    /// number (Twilio's 60203): nothing was sent; tell them to use the code already sent.
    CodeAlreadySent = 12,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// An error of the command line: one clear line for humans, a class for scripts.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct CliError {
    pub(crate) exit: Exit,
    pub(crate) message: String,
    /// What to do about it, when there is something to say.
    pub(crate) hint: Option<String>,
}

impl CliError {
    pub(crate) fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    /// The snake-case name of the class, for `--json`.
    pub(crate) fn class(&self) -> &'static str {
        match self.exit {
            Exit::Ok => "ok",
            Exit::NotVerified => "not_verified",
            Exit::Usage => "usage",
            Exit::Config => "config",
            Exit::RefusedLocally => "refused_locally",
            Exit::ProviderRefused => "provider_refused",
            Exit::ProviderUnreachable => "provider_unreachable",
            Exit::OutcomeUnknown => "outcome_unknown",
            Exit::Store => "store",
            Exit::NotRecorded => "not_recorded",
            Exit::NoPendingCode => "no_pending_code",
            Exit::Internal => "internal",
            Exit::CodeAlreadySent => "code_already_sent",
        }
    }
}

/// An error and its sources on one line, `a: b: c`. Sources here never hold personal data:
/// every error type of the workspace keeps it out of its message.
pub(crate) use phone_verify_domain::error_chain as chain;

impl CliError {
    /// A provider's configuration refused by its adapter's builder, told as `provider`'s.
    /// `http` is the part every adapter shares ([`HttpConfigError`]), when it is that: plain
    /// HTTP refused is told with the command line's fix, not the library's setter.
    fn of_config(
        provider: &str,
        error: &(dyn std::error::Error + 'static),
        http: Option<&HttpConfigError>,
    ) -> Self {
        if let Some(HttpConfigError::BaseUrl(BaseUrlError::InsecureScheme)) = http {
            return Self::new(
                Exit::Config,
                format!("{provider} configuration: the base URL is not HTTPS"),
            )
            .hint(
                "plain HTTP is for a local simulator only (the credentials would travel in \
                 clear): pass --allow-plain-http",
            );
        }
        Self::new(
            Exit::Config,
            format!("{provider} configuration: {}", chain(error)),
        )
    }
}

/// `From` a provider adapter's configuration error, told as `$provider`'s: both adapters wrap
/// the part they share the same way, as their `Http` variant.
macro_rules! from_config_error {
    ($error:ident, $provider:literal) => {
        impl From<$error> for CliError {
            fn from(error: $error) -> Self {
                let http = match &error {
                    $error::Http(http) => Some(http),
                    _ => None,
                };
                Self::of_config($provider, &error, http)
            }
        }
    };
}

from_config_error!(IdmetaConfigError, "idmeta");
from_config_error!(TwilioConfigError, "twilio");

impl From<StoreError> for CliError {
    fn from(error: StoreError) -> Self {
        if let StoreError::Misconfigured { source } = &error {
            let hint = if source.is::<NotOurStore>() {
                "nothing was written; phone-verify opens only a store of its own: check \
                 --database-url (a file of its own, or a PostgreSQL database whose schema \
                 phone_verify it made)"
            } else if source.is::<SchemaBehind>() {
                "nothing was written; this command only reads, and never migrates: run a \
                 command that writes (phone-verify reconcile) with this release first, or \
                 read it with the release that wrote it"
            } else {
                "nothing was written; give the store the number keys it was protected with \
                 (--number-keys-file or PHONE_VERIFY_NUMBER_KEYS), the current key first"
            };
            return Self::new(Exit::Config, format!("store: {}", chain(&error))).hint(hint);
        }
        let failure = sql_failure(&error);
        if let Some(missing) = failure.filter(|f| f.kind() == SqlFailureKind::Missing) {
            return Self::new(Exit::Store, format!("store: {missing}")).hint(
                "only `send` and `demo` create a store (`check`, `history`, `purge`, `reconcile` \
                 and `protect-numbers` never create a store): check --database-url, and \
                 whether the file was moved or deleted",
            );
        }
        let hint = match failure.map(SqlFailure::kind) {
            Some(SqlFailureKind::TlsNotOffered) => {
                "nothing was sent; the URL's sslmode requires TLS: switch TLS on at the server, \
                 or connect with sslmode=prefer (TLS when offered) on a trusted network"
            }
            Some(SqlFailureKind::Tls) => {
                "nothing was sent; check the server's certificate against sslrootcert, and that \
                 the URL's host is the name in it (sslmode=verify-full)"
            }
            _ => {
                "nothing was sent; check --database-url and that no other process holds the \
                 database"
            }
        };
        Self::new(Exit::Store, format!("store: {}", chain(&error))).hint(hint)
    }
}

/// The SQL store's failure behind a store error, when it is one.
fn sql_failure(error: &StoreError) -> Option<&SqlFailure> {
    match error {
        StoreError::Unavailable { source } => source.downcast_ref::<SqlFailure>(),
        _ => None,
    }
}

/// The hint of a refusal that sent nothing and may have said how long to wait.
fn wait_hint(retry_after: Option<std::time::Duration>) -> String {
    match retry_after {
        Some(wait) => format!("nothing was sent; try again in {} s", wait.as_secs().max(1)),
        None => "nothing was sent; try again later".to_owned(),
    }
}

const ACCEPTED_HINT: &str = "the provider accepted the request (HTTP 2xx) but its answer \
     could not be read in full: a send's code is on its way, do not send again; check the code \
     the user receives as usual";

const UNKNOWN_HINT: &str = "a code may have reached the phone: do not send again blindly; \
     look at `phone-verify history` and let the user ask for a new code";

/// Every variant is matched by name (the error enums are not `#[non_exhaustive]`): a new one
/// does not compile until it has an exit code, so it can never fall into "store error".
impl CliError {
    /// A provider's failure, told as `by`'s, the provider asked last (when the run knows it):
    /// named in the message, and its own credentials named in the hint when it refused them.
    fn of_gateway(error: GatewayError, by: Option<&Configured>) -> Self {
        let message = match by {
            Some(by) => format!("provider {}: {}", by.name, chain(&error)),
            None => format!("provider: {}", chain(&error)),
        };
        if error.was_accepted() {
            return Self::new(Exit::OutcomeUnknown, message).hint(ACCEPTED_HINT);
        }
        if error.may_have_been_sent() {
            return Self::new(Exit::OutcomeUnknown, message).hint(UNKNOWN_HINT);
        }
        match error {
            // Always "may have been sent", so caught above; named here so that holds by type.
            GatewayError::OutcomeUnknown { .. }
            | GatewayError::InvalidResponse { .. }
            | GatewayError::ProviderFault { .. } => {
                Self::new(Exit::OutcomeUnknown, message).hint(UNKNOWN_HINT)
            }
            GatewayError::NotSent { .. } => Self::new(Exit::ProviderUnreachable, message)
                .hint("nothing was sent; it is safe to try again"),
            GatewayError::Unavailable { retry_after, .. } => {
                Self::new(Exit::ProviderUnreachable, message).hint(wait_hint(retry_after))
            }
            GatewayError::RequestNotBuilt { .. } => Self::new(Exit::Internal, message)
                .hint("nothing was sent; trying again fails the same way: please report this"),
            GatewayError::Unauthorized => {
                let hint = match by {
                    Some(by) => format!(
                        "nothing was sent; check {}'s credentials: {}",
                        by.name, by.credentials
                    ),
                    None => "nothing was sent; check the provider's credentials".to_owned(),
                };
                Self::new(Exit::ProviderRefused, message).hint(hint)
            }
            GatewayError::RateLimited {
                kind: RateLimitKind::CodeAlreadySent,
                ..
            } => Self::new(Exit::CodeAlreadySent, message).hint(
                "nothing was sent: the number already holds a live code; ask the user to \
                 enter the code already sent (a new one can be sent once it is checked, \
                 cancelled or expired)",
            ),
            GatewayError::RateLimited { retry_after, .. } => {
                Self::new(Exit::ProviderRefused, message).hint(wait_hint(retry_after))
            }
            GatewayError::Rejected { .. } => {
                Self::new(Exit::ProviderRefused, message).hint("nothing was sent")
            }
        }
    }

    /// A failed send; a provider's failure told as `by`'s ([`CliError::of_gateway`]).
    pub(crate) fn of_send(error: SendCodeError, by: Option<&Configured>) -> Self {
        match error {
            SendCodeError::Refused(refusal @ SendRefusal::ChannelNotOffered { .. }) => {
                Self::new(Exit::RefusedLocally, format!("send refused: {refusal}")).hint(
                    "nothing was sent; IDMeta sends SMS alone: wire Twilio for calls and \
                     WhatsApp (--provider twilio, or --failover-to twilio)",
                )
            }
            SendCodeError::Refused(refusal) => {
                let cli = Self::new(Exit::RefusedLocally, format!("send refused: {refusal}"));
                match refusal.retry_at() {
                    Some(at) => cli.hint(format!(
                        "nothing was sent; try again after {}",
                        at.to_rfc3339()
                    )),
                    None => cli.hint("nothing was sent"),
                }
            }
            SendCodeError::Store(store) => store.into(),
            error @ SendCodeError::PendingElsewhere { .. } => {
                Self::new(Exit::ProviderUnreachable, chain(&error)).hint(
                    "nothing was sent: the code pending for another trust validation of this \
                     number could not be ended, and a send would have re-sent it; try again",
                )
            }
            SendCodeError::Gateway(gateway) => Self::of_gateway(gateway, by),
            SendCodeError::SentButNotRecorded {
                attempt,
                receipt,
                source,
            } => {
                let hint = if closed_meanwhile(&source) {
                    format!(
                        "the code is on its way; attempt {attempt} was closed meanwhile as \
                         abandoned (a reconcile ran while the call was live), and still counts \
                         against the guards; check the code as usual"
                    )
                } else {
                    format!(
                        "the code is on its way; attempt {attempt} still reads \"in flight\" \
                         and counts against the guards until a check's answer records it or \
                         `phone-verify reconcile` closes it as abandoned; check the code as usual"
                    )
                };
                Self::new(
                    Exit::NotRecorded,
                    format!(
                        "the code was sent (reference {}) but not recorded: {}",
                        receipt.reference,
                        chain(&source)
                    ),
                )
                .hint(hint)
            }
            error @ SendCodeError::FailedAndNotRecorded { .. } => {
                let hint = not_recorded_hint(error.may_have_been_sent());
                Self::new(Exit::NotRecorded, chain(&error)).hint(hint)
            }
        }
    }

    /// A failed check; a provider's failure told as `by`'s ([`CliError::of_gateway`]).
    pub(crate) fn of_check(error: CheckCodeError, by: Option<&Configured>) -> Self {
        match error {
            CheckCodeError::Refused(CheckRefusal::NoCodeSent) => Self::new(
                Exit::RefusedLocally,
                "no code was sent for this trust validation",
            )
            .hint("send one first with `phone-verify send`"),
            CheckCodeError::NoPendingCode { .. } => Self::new(
                Exit::NoPendingCode,
                "the provider holds no pending code for this trust validation",
            )
            .hint(
                "the code expired or was used, or a newer send replaced it; this check used \
                 up no attempt; send a new code with `phone-verify send`",
            ),
            CheckCodeError::Refused(refusal) => {
                Self::new(Exit::RefusedLocally, format!("check refused: {refusal}"))
                    .hint("the provider was not asked; send a new code")
            }
            CheckCodeError::NumberNeeded { .. } => Self::usage(
                "the provider finds this code by the phone number, and the store keeps none \
                 in clear",
            )
            .hint("the provider was not asked; check again with --phone and the number"),
            CheckCodeError::Store(store) => store.into(),
            CheckCodeError::Gateway(gateway) => Self::of_gateway(gateway, by),
            CheckCodeError::CheckedButNotRecorded {
                attempt,
                result,
                source,
            } => {
                let verdict = result.verdict();
                let used = if result.is_verified() {
                    "; the code verified, and is now used up"
                } else {
                    ""
                };
                let record = if closed_meanwhile(&source) {
                    format!("check {attempt} was closed meanwhile as abandoned")
                } else {
                    format!("check {attempt} still reads \"in flight\"")
                };
                Self::new(
                    Exit::NotRecorded,
                    format!(
                        "the code was checked ({verdict}) but the answer could not be recorded: {}",
                        chain(&source)
                    ),
                )
                .hint(format!(
                    "{record}{used}; do not check the same code again to learn the answer"
                ))
            }
            error @ CheckCodeError::FailedAndNotRecorded { .. } => {
                let hint = not_recorded_hint(error.may_have_been_sent());
                Self::new(Exit::NotRecorded, chain(&error)).hint(hint)
            }
        }
    }
}

/// Whether recording an answer failed because the attempt was already finished: a
/// reconciliation closed it as abandoned while its call was live.
fn closed_meanwhile(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::Conflict {
            kind: ConflictKind::AlreadyFinished
        }
    )
}

/// The hint of a failure whose outcome could not be recorded: it follows whether the provider
/// may have acted on the request.
fn not_recorded_hint(may_have_been_sent: bool) -> &'static str {
    if may_have_been_sent {
        UNKNOWN_HINT
    } else {
        "nothing was sent, but the attempt still reads \"in flight\" in the history"
    }
}

/// A handle the builder could not build, told as the part that failed: a provider's
/// configuration or the store as when the command line opens them itself. The rest (a
/// failover to a provider not chosen, or to the one every number goes to) the arguments cannot
/// ask for, and would be a configuration error.
impl From<BuildError> for CliError {
    fn from(error: BuildError) -> Self {
        match error {
            BuildError::Idmeta(error) => error.into(),
            BuildError::Twilio(error) => error.into(),
            BuildError::Store(error) => error.into(),
            BuildError::Reconcile(error) => error.into(),
            other => Self::new(Exit::Config, chain(&other)),
        }
    }
}

impl From<HistoryError> for CliError {
    fn from(error: HistoryError) -> Self {
        Self::new(Exit::Store, format!("history: {}", chain(&error)))
    }
}

impl From<PurgeError> for CliError {
    fn from(error: PurgeError) -> Self {
        match error {
            PurgeError::TooRecent { minimum } => Self::usage(format!(
                "--older-than: records younger than {}s are still needed by the guards",
                minimum.as_secs()
            ))
            .hint("purge only what the cooldown, the window and live codes no longer need"),
            PurgeError::Store { deleted, source } => {
                Self::new(Exit::Store, format!("purge: {}", chain(&source))).hint(format!(
                    "{} attempts were deleted before the failure; running the purge again is safe",
                    deleted.total()
                ))
            }
            other => Self::new(Exit::Store, format!("purge: {}", chain(&other))),
        }
    }
}

impl From<ReconcileError> for CliError {
    fn from(error: ReconcileError) -> Self {
        match error {
            ReconcileError::TooRecent { minimum } => Self::usage(format!(
                "reconcile: --older-than must be at least {} s: a younger attempt may still be a \
                 live provider call",
                minimum.as_secs()
            ))
            .hint("nothing was closed"),
            other => Self::new(Exit::Store, format!("reconcile: {}", chain(&other)))
                .hint("running it again is safe"),
        }
    }
}

#[cfg(test)]
mod tests {
    use phone_verify::ports::BoxError;
    use phone_verify::records::AttemptId;

    use super::*;

    fn io_error() -> BoxError {
        Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))
    }

    fn store_error() -> StoreError {
        StoreError::conflict(ConflictKind::AlreadyFinished)
    }

    #[test]
    fn a_request_that_could_not_be_built_is_neither_unreachable_nor_a_store_error() {
        let error = CliError::of_send(
            SendCodeError::Gateway(GatewayError::RequestNotBuilt { source: io_error() }),
            None,
        );
        assert_eq!(error.exit, Exit::Internal);
        assert_eq!(error.class(), "internal");
        assert!(!error.message.contains("reach"), "{}", error.message);
    }

    #[test]
    fn an_unreadable_2xx_says_the_request_was_accepted_and_other_unreadable_answers_do_not() {
        let unreadable = |status| {
            CliError::of_send(
                SendCodeError::Gateway(GatewayError::InvalidResponse {
                    status,
                    reason: "truncated".into(),
                }),
                None,
            )
        };
        let accepted = unreadable(201);
        assert_eq!(accepted.exit, Exit::OutcomeUnknown);
        assert_eq!(accepted.hint.as_deref(), Some(ACCEPTED_HINT));
        assert_eq!(unreadable(302).hint.as_deref(), Some(UNKNOWN_HINT));
    }

    #[test]
    fn a_late_answer_after_a_reconcile_says_what_happened_to_the_code_and_the_record() {
        use phone_verify::ports::{
            CheckResult, CodeState, DeliveryState, DeliveryStatus, VerificationStatus,
        };
        let attempt = AttemptId::from_u128(7);
        let closed = || StoreError::conflict(ConflictKind::AlreadyFinished);
        let verified = CheckResult {
            code_state: CodeState::Valid,
            verification_status: VerificationStatus::Verified,
            delivery: DeliveryStatus {
                state: DeliveryState::NotReported,
                updated_on: None,
            },
            reference: None,
            checked_at: phone_verify::ports::DateTime::UNIX_EPOCH,
        };
        let late = CliError::of_check(
            CheckCodeError::CheckedButNotRecorded {
                attempt,
                result: verified,
                source: closed(),
            },
            None,
        );
        assert_eq!(late.exit, Exit::NotRecorded);
        assert!(late.message.contains("(verified)"), "{}", late.message);
        let hint = late.hint.unwrap_or_default();
        assert!(
            hint.contains("used up") && hint.contains("abandoned"),
            "{hint}"
        );
        assert!(!hint.contains("in flight"), "{hint}");
    }

    #[test]
    fn a_late_send_after_a_reconcile_says_the_code_is_on_its_way_and_the_attempt_abandoned() {
        use phone_verify::ports::{
            CodeState, DeliveryState, DeliveryStatus, ReferenceId, SendReceipt, VerificationStatus,
        };
        let attempt = AttemptId::from_u128(7);
        let reference = "0123456789ABCDEF0123456789ABCDEF";
        let late = |source| {
            CliError::of_send(
                SendCodeError::SentButNotRecorded {
                    attempt,
                    receipt: SendReceipt {
                        reference: ReferenceId::parse(reference).expect("a reference"),
                        submitted_at: phone_verify::ports::DateTime::UNIX_EPOCH,
                        delivery: DeliveryStatus {
                            state: DeliveryState::InProgress,
                            updated_on: None,
                        },
                        code_state: CodeState::Unknown,
                        verification_status: VerificationStatus::Pending,
                    },
                    source,
                },
                None,
            )
        };

        let closed = late(StoreError::conflict(ConflictKind::AlreadyFinished));
        assert_eq!(closed.exit, Exit::NotRecorded);
        assert!(closed.message.contains(reference), "{}", closed.message);
        let hint = closed.hint.unwrap_or_default();
        for said in [
            "on its way",
            "closed meanwhile as abandoned",
            "still counts",
        ] {
            assert!(hint.contains(said), "{said}: {hint}");
        }
        assert!(!hint.contains("in flight"), "{hint}");

        let unrecorded = late(StoreError::unavailable(io_error()));
        assert_eq!(unrecorded.exit, Exit::NotRecorded);
        let hint = unrecorded.hint.unwrap_or_default();
        for said in ["on its way", "\"in flight\"", "phone-verify reconcile"] {
            assert!(hint.contains(said), "{said}: {hint}");
        }
    }

    #[test]
    fn a_live_code_at_the_provider_says_to_use_it_and_other_rate_limits_to_wait() {
        let limited = |kind, retry_after| {
            CliError::of_send(
                SendCodeError::Gateway(GatewayError::RateLimited {
                    retry_after,
                    kind,
                    provider_code: None,
                }),
                None,
            )
        };
        let live = limited(RateLimitKind::CodeAlreadySent, None);
        assert_eq!((live.exit as u8, live.class()), (12, "code_already_sent"));
        assert!(
            live.hint
                .as_deref()
                .is_some_and(|h| h.contains("code already sent")),
            "{:?}",
            live.hint
        );
        let busy = limited(
            RateLimitKind::NumberBusy,
            Some(std::time::Duration::from_secs(3)),
        );
        assert_eq!(busy.exit, Exit::ProviderRefused);
        assert_eq!(
            busy.hint.as_deref(),
            Some("nothing was sent; try again in 3 s")
        );
    }

    #[test]
    fn only_a_store_failure_exits_as_a_store_error() {
        let attempt = AttemptId::from_u128(1);
        let unsent = || GatewayError::NotSent { source: io_error() };
        let sends = [
            (SendCodeError::Store(store_error()), Exit::Store),
            (SendCodeError::Gateway(unsent()), Exit::ProviderUnreachable),
            (
                SendCodeError::FailedAndNotRecorded {
                    attempt,
                    gateway: unsent(),
                    source: store_error(),
                },
                Exit::NotRecorded,
            ),
        ];
        for (error, exit) in sends {
            assert_eq!(CliError::of_send(error, None).exit, exit);
        }
        let checks = [
            (CheckCodeError::Store(store_error()), Exit::Store),
            (
                CheckCodeError::NoPendingCode { attempt },
                Exit::NoPendingCode,
            ),
            (
                CheckCodeError::FailedAndNotRecorded {
                    attempt,
                    gateway: unsent(),
                    source: store_error(),
                },
                Exit::NotRecorded,
            ),
        ];
        for (error, exit) in checks {
            assert_eq!(CliError::of_check(error, None).exit, exit);
        }
    }

    #[test]
    fn an_unrecorded_failure_says_a_code_may_be_out_only_when_the_provider_may_have_sent_one() {
        let attempt = AttemptId::from_u128(1);
        let failed = |gateway| SendCodeError::FailedAndNotRecorded {
            attempt,
            gateway,
            source: store_error(),
        };
        let unsent = CliError::of_send(failed(GatewayError::NotSent { source: io_error() }), None);
        assert!(
            unsent
                .hint
                .as_deref()
                .is_some_and(|h| h.starts_with("nothing was sent")),
            "{:?}",
            unsent.hint
        );
        let unknown = CliError::of_send(
            failed(GatewayError::OutcomeUnknown { source: io_error() }),
            None,
        );
        assert_eq!(unknown.hint.as_deref(), Some(UNKNOWN_HINT));
    }

    #[test]
    fn plain_http_refused_at_either_provider_names_the_command_line_s_fix() {
        let plain = || HttpConfigError::BaseUrl(BaseUrlError::InsecureScheme);
        let idmeta = CliError::from(IdmetaConfigError::Http(plain()));
        let twilio = CliError::from(TwilioConfigError::Http(plain()));
        for (error, provider) in [(idmeta, "idmeta"), (twilio, "twilio")] {
            assert_eq!(error.exit, Exit::Config);
            assert_eq!(
                error.message,
                format!("{provider} configuration: the base URL is not HTTPS")
            );
            let hint = error.hint.unwrap_or_default();
            assert!(hint.contains("--allow-plain-http"), "{hint}");
        }
        let other = CliError::from(TwilioConfigError::MissingServiceSid);
        assert_eq!(
            other.message,
            "twilio configuration: no Verify Service SID was given"
        );
    }

    #[test]
    fn refused_credentials_are_hinted_with_those_of_the_provider_asked_last() {
        let twilio = Configured {
            name: phone_verify::ProviderName::twilio(),
            credentials: "the Auth Token in TWILIO_AUTH_TOKEN".to_owned(),
        };
        let refused = || SendCodeError::Gateway(GatewayError::Unauthorized);
        let error = CliError::of_send(refused(), Some(&twilio));
        assert_eq!(error.exit, Exit::ProviderRefused);
        assert!(
            error.message.starts_with("provider twilio: "),
            "{}",
            error.message
        );
        assert_eq!(
            error.hint.as_deref(),
            Some(
                "nothing was sent; check twilio's credentials: the Auth Token in TWILIO_AUTH_TOKEN"
            )
        );
        let unknown = CliError::of_send(refused(), None);
        let hint = unknown.hint.unwrap_or_default();
        assert!(
            !hint.contains("IDMETA") && !hint.contains("TWILIO"),
            "{hint}"
        );
    }
}
