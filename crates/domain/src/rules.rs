//! What a provider's adapter declares about how its provider keeps codes: the rules the use
//! cases apply to that provider's sends and checks, as data rather than branches on a
//! provider's name (`docs/provider-api.md`, "What an adapter declares").

use std::time::Duration;

use crate::Channels;

/// Which of a provider's codes a check reaches when it names no send (no reference): how the
/// provider keeps its live codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeScope {
    /// One live code per trust validation (IDMeta): a check that names no send checks the
    /// trust validation's code. A number is named only with the send's reference, to narrow
    /// the check to that send.
    TrustValidation,
    /// One pending verification per number (Twilio Verify): a check that names no send must
    /// name the number, whichever trust validation asked for the code.
    Number,
}

/// What the provider's limit on wrong codes counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptScope {
    /// The checks of each send (IDMeta: a new send brings a new code and a new allowance).
    Send,
    /// The checks of each code, whichever send delivered it (Twilio: a resend re-sends the
    /// verification's code, and its checks count together).
    Code,
}

/// How a provider keeps codes, as its adapter declares it
/// ([`crate::VerificationGateway::rules`]). The use cases read it for the provider of each
/// send: how a check addresses the code, how long a code lives and from when, and what the
/// attempt limit counts.
///
/// Build one from [`ProviderRules::per_trust_validation`] (the default: IDMeta's model) or
/// [`ProviderRules::per_number`] (Twilio Verify's); `#[non_exhaustive]`, so a new rule can be
/// declared without breaking an adapter.
///
/// ```
/// use std::time::Duration;
/// use phone_verify_domain::{AttemptScope, CodeScope, ProviderRules};
///
/// let twilio = ProviderRules::per_number(Duration::from_secs(600));
/// assert_eq!(twilio.code_scope, CodeScope::Number);
/// assert!(twilio.resend_reuses_code);
/// assert_eq!(twilio.attempts, AttemptScope::Code);
/// assert_eq!(ProviderRules::default().code_lifetime, None);
///
/// // What a send may ask beyond the number: SMS alone, no locale, unless declared.
/// use phone_verify_domain::{Channel, Channels};
/// let rules = twilio.offering(Channels::of(&[Channel::Sms, Channel::Call])).honouring_locale();
/// assert!(rules.channels.contains(Channel::Call));
/// assert!(rules.honours_locale);
/// assert!(!ProviderRules::default().channels.contains(Channel::Call));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProviderRules {
    /// What a check that names no send reaches.
    pub code_scope: CodeScope,
    /// How long the provider keeps a code checkable; `None` when the adapter does not know
    /// (the lifetime of the application's check policy applies). When a resend reuses the code,
    /// the lifetime runs from the first send of it and a resend does not extend it.
    pub code_lifetime: Option<Duration>,
    /// Whether a send to a number whose code is still pending re-sends that code (and the
    /// same reference) instead of a new one.
    pub resend_reuses_code: bool,
    /// What the limit on wrong codes counts.
    pub attempts: AttemptScope,
    /// Whether the provider keeps trust validations apart. When it does not (one pending code
    /// per number, whoever asked), a send for one trust validation to a number whose code is
    /// pending for another must end that code first, or a code requested in one flow would
    /// verify the other ([`crate::VerificationGateway::cancel_code`]).
    pub isolates_trust_validations: bool,
    /// The channels the provider delivers codes on. Routing sends a request only to a provider
    /// that offers its channel, and fails over only among those ([`Channels::SMS`] unless
    /// declared).
    pub channels: Channels,
    /// Whether the provider writes the message in the language a send asks for
    /// ([`crate::SendCodeRequest::locale`]) and puts the Android app hash in an SMS
    /// ([`crate::SendCodeRequest::app_hash`]). When it does not, both are ignored, by this
    /// declaration: the send goes out in the provider's own words (`false` unless declared).
    pub honours_locale: bool,
}

impl ProviderRules {
    /// One live code per trust validation, each send a new code with its own attempts, the
    /// lifetime the application's (IDMeta's model, and the default).
    pub const fn per_trust_validation() -> Self {
        Self {
            code_scope: CodeScope::TrustValidation,
            code_lifetime: None,
            resend_reuses_code: false,
            attempts: AttemptScope::Send,
            isolates_trust_validations: true,
            channels: Channels::SMS,
            honours_locale: false,
        }
    }

    /// One pending verification per number, living `code_lifetime` from its first send; a
    /// resend re-sends the same code, whose checks count together; trust validations are not
    /// kept apart (Twilio Verify's model).
    pub const fn per_number(code_lifetime: Duration) -> Self {
        Self {
            code_scope: CodeScope::Number,
            code_lifetime: Some(code_lifetime),
            resend_reuses_code: true,
            attempts: AttemptScope::Code,
            isolates_trust_validations: false,
            channels: Channels::SMS,
            honours_locale: false,
        }
    }

    /// These rules, the provider offering `channels`.
    #[must_use]
    pub const fn offering(self, channels: Channels) -> Self {
        Self { channels, ..self }
    }

    /// These rules, the provider honouring a send's locale and app hash.
    #[must_use]
    pub const fn honouring_locale(self) -> Self {
        Self {
            honours_locale: true,
            ..self
        }
    }
}

impl Default for ProviderRules {
    fn default() -> Self {
        Self::per_trust_validation()
    }
}
