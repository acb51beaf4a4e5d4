//! What a simulator accepts and how it behaves: [`SimConfig`] and its builder methods.

use std::fmt;
use std::time::Duration;

use crate::clock::SimClock;
use crate::error::SimConfigError;

/// The bearer token IDMeta's routes accept when none is configured.
pub const DEFAULT_IDMETA_TOKEN: &str = "sim-token";
/// The Account SID the Twilio routes accept (HTTP Basic user) when none is configured.
pub const DEFAULT_TWILIO_ACCOUNT_SID: &str = "AC00000000000000000000000000000000";
/// The Auth Token the Twilio routes accept (HTTP Basic password) when none is configured.
pub const DEFAULT_TWILIO_AUTH_TOKEN: &str = "sim-auth-token";
/// The Verify Service SID the Twilio routes serve when none is configured.
pub const DEFAULT_TWILIO_SERVICE_SID: &str = "VA00000000000000000000000000000000";

/// How a simulator behaves. Build it from [`SimConfig::default`] with the builder methods, then
/// hand it to [`start`](crate::start).
///
/// ```
/// use std::time::Duration;
/// use phone_verify_sim::SimConfig;
///
/// let config = SimConfig::default()
///     .idmeta_token("test-token")
///     .fixed_code("123456")
///     .idmeta_resend_cooldown(Duration::ZERO);
/// # let _ = config;
/// ```
///
/// Methods named `idmeta_*` configure IDMeta's routes, `twilio_*` Twilio's; the others both.
/// The defaults, each an assumption of ours (see `docs/simulator.md`): 6-digit random codes and
/// the system clock for both; on IDMeta's routes token `sim-token`, codes valid 300 s, 5 verify
/// attempts, 30 s resend cooldown, at most 5 codes per number per hour. On the Twilio routes,
/// Twilio's documented default: a verification lives 10 minutes.
#[derive(Clone)]
pub struct SimConfig {
    pub(crate) code_length: usize,
    pub(crate) codes: CodeSource,
    pub(crate) clock: SimClock,
    pub(crate) inbox_capacity_per_number: usize,
    pub(crate) max_body_bytes: usize,
    pub(crate) body_read_timeout: Duration,
    pub(crate) trickle_interval: Duration,
    pub(crate) shutdown_grace: Duration,
    pub(crate) idmeta: IdmetaAccount,
    pub(crate) twilio: TwilioAccount,
}

/// What IDMeta's routes accept, one bearer token, and how they treat codes and sends.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct IdmetaAccount {
    pub(crate) token: String,
    /// How long a code can be verified after it was sent.
    pub(crate) code_lifetime: Duration,
    /// How long a number waits after a code before it can be sent another.
    pub(crate) resend_cooldown: Duration,
    /// Verify attempts one code allows, the right one included.
    pub(crate) max_attempts: u32,
    /// Codes per number within a sliding window; `None`: no window limit.
    pub(crate) send_limit: Option<SendLimit>,
}

/// What the Twilio routes accept, one HTTP Basic pair and one Verify Service, and how that
/// service behaves.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct TwilioAccount {
    pub(crate) user: String,
    pub(crate) secret: String,
    pub(crate) service_sid: String,
    /// How long a verification can be checked after it was created.
    pub(crate) verification_lifetime: Duration,
}

/// The shortest and longest verification lifetimes Twilio support can set for a service.
pub(crate) const TWILIO_LIFETIMES: std::ops::RangeInclusive<Duration> =
    Duration::from_secs(2 * 60)..=Duration::from_secs(24 * 60 * 60);

/// How codes are made.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum CodeSource {
    Random,
    Fixed(String),
}

/// At most `max` codes to one number within any `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SendLimit {
    pub(crate) max: u32,
    pub(crate) window: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            code_length: 6,
            codes: CodeSource::Random,
            clock: SimClock::system(),
            inbox_capacity_per_number: 100,
            max_body_bytes: 64 * 1024,
            body_read_timeout: Duration::from_secs(5),
            trickle_interval: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(1),
            idmeta: IdmetaAccount {
                token: DEFAULT_IDMETA_TOKEN.to_owned(),
                code_lifetime: Duration::from_secs(300),
                resend_cooldown: Duration::from_secs(30),
                max_attempts: 5,
                send_limit: Some(SendLimit {
                    max: 5,
                    window: Duration::from_secs(3600),
                }),
            },
            twilio: TwilioAccount {
                user: DEFAULT_TWILIO_ACCOUNT_SID.to_owned(),
                secret: DEFAULT_TWILIO_AUTH_TOKEN.to_owned(),
                service_sid: DEFAULT_TWILIO_SERVICE_SID.to_owned(),
                // The reference: "A verification expires 10 minutes after it is created".
                verification_lifetime: Duration::from_secs(10 * 60),
            },
        }
    }
}

impl SimConfig {
    /// The bearer token IDMeta's routes accept (`Authorization: Bearer <token>`, compared
    /// exactly; default [`DEFAULT_IDMETA_TOKEN`]).
    #[must_use]
    pub fn idmeta_token(mut self, token: impl Into<String>) -> Self {
        self.idmeta.token = token.into();
        self
    }

    /// The number of digits of a random code, on both providers' routes (4 to 10; default 6).
    #[must_use]
    pub fn code_length(mut self, digits: usize) -> Self {
        self.code_length = digits;
        self
    }

    /// How long an IDMeta code can be verified after it was sent (default 300 s). Twilio's
    /// verifications have their own:
    /// [`twilio_verification_lifetime`](Self::twilio_verification_lifetime).
    #[must_use]
    pub fn idmeta_code_lifetime(mut self, lifetime: Duration) -> Self {
        self.idmeta.code_lifetime = lifetime;
        self
    }

    /// How long a number must wait after an IDMeta code before IDMeta's send route sends it
    /// another one (default 30 s; [`Duration::ZERO`] turns the cooldown off).
    #[must_use]
    pub fn idmeta_resend_cooldown(mut self, cooldown: Duration) -> Self {
        self.idmeta.resend_cooldown = cooldown;
        self
    }

    /// How many verify attempts one IDMeta code allows, the right one included (at least 1;
    /// default 5). Twilio's checks follow Twilio's fixed rule (5, then 60202).
    #[must_use]
    pub fn idmeta_max_attempts(mut self, attempts: u32) -> Self {
        self.idmeta.max_attempts = attempts;
        self
    }

    /// Every code is `code` (4 to 10 digits), on both providers' routes, for deterministic
    /// tests. Overrides [`code_length`](Self::code_length).
    #[must_use]
    pub fn fixed_code(mut self, code: impl Into<String>) -> Self {
        self.codes = CodeSource::Fixed(code.into());
        self
    }

    /// Codes are random digits (the default).
    #[must_use]
    pub fn random_codes(mut self) -> Self {
        self.codes = CodeSource::Random;
        self
    }

    /// At most `max` IDMeta codes to one number within any sliding `window` (default 5 per
    /// hour); IDMeta's next send is answered 429. Twilio's sends follow Twilio's fixed rule (5
    /// per verification, then 60203).
    #[must_use]
    pub fn idmeta_send_limit(mut self, max: u32, window: Duration) -> Self {
        self.idmeta.send_limit = Some(SendLimit { max, window });
        self
    }

    /// No per-number window limit on IDMeta's send route (its resend cooldown still applies).
    /// For load benchmarks.
    #[must_use]
    pub fn idmeta_no_send_limit(mut self) -> Self {
        self.idmeta.send_limit = None;
        self
    }

    /// The clock for expiry, cooldowns and timestamps (default: the system clock). Pass a
    /// [`SimClock::manual`] and keep a clone to move time in tests.
    #[must_use]
    pub fn clock(mut self, clock: SimClock) -> Self {
        self.clock = clock;
        self
    }

    /// How many delivered messages the inbox keeps per number, oldest dropped first (default 100).
    #[must_use]
    pub fn inbox_capacity_per_number(mut self, messages: usize) -> Self {
        self.inbox_capacity_per_number = messages;
        self
    }

    /// The largest request body accepted; larger ones are answered 413 (default 64 KiB).
    #[must_use]
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// How long the rest of a request body may take to arrive once its headers have; past it the
    /// request is answered 408 and its connection closed (default 5 s). A client that sends half
    /// a body then stalls does not hold a connection forever.
    #[must_use]
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// The pause between two bytes of a [`Fault::Trickle`](crate::Fault::Trickle) body
    /// (default 1 s).
    #[must_use]
    pub fn trickle_interval(mut self, interval: Duration) -> Self {
        self.trickle_interval = interval;
        self
    }

    /// How long [`Simulator::shutdown`](crate::Simulator::shutdown) lets requests in flight
    /// finish before it closes their connections (default 1 s).
    #[must_use]
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// The HTTP Basic pair the Twilio routes accept: an Account SID and its Auth Token, or an
    /// API key SID and its secret (default [`DEFAULT_TWILIO_ACCOUNT_SID`] and
    /// [`DEFAULT_TWILIO_AUTH_TOKEN`]).
    #[must_use]
    pub fn twilio_credentials(
        mut self,
        user: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.twilio.user = user.into();
        self.twilio.secret = secret.into();
        self
    }

    /// The Verify Service SID the Twilio routes serve; any other answers 404 (default
    /// [`DEFAULT_TWILIO_SERVICE_SID`]).
    #[must_use]
    pub fn twilio_service_sid(mut self, sid: impl Into<String>) -> Self {
        self.twilio.service_sid = sid.into();
        self
    }

    /// How long a Twilio verification can be checked after it was created (default 10 minutes,
    /// Twilio's; a resend does not extend it). Twilio support can set a service's anywhere from
    /// 2 minutes to 24 hours, and so can this (outside that range [`start`](crate::start)
    /// refuses the configuration).
    #[must_use]
    pub fn twilio_verification_lifetime(mut self, lifetime: Duration) -> Self {
        self.twilio.verification_lifetime = lifetime;
        self
    }

    /// Checks the knobs that [`start`](crate::start) cannot work with.
    pub(crate) fn validate(&self) -> Result<(), SimConfigError> {
        if self.idmeta.token.is_empty() {
            return Err(SimConfigError::EmptyIdmetaToken);
        }
        if self.twilio.user.is_empty() || self.twilio.secret.is_empty() {
            return Err(SimConfigError::EmptyTwilioCredentials);
        }
        if !(MIN_CODE_LENGTH..=MAX_CODE_LENGTH).contains(&self.code_length) {
            return Err(SimConfigError::CodeLength {
                digits: self.code_length,
            });
        }
        if let CodeSource::Fixed(code) = &self.codes {
            let digits_only = code.bytes().all(|b| b.is_ascii_digit());
            if !(MIN_CODE_LENGTH..=MAX_CODE_LENGTH).contains(&code.len()) || !digits_only {
                return Err(SimConfigError::FixedCode);
            }
        }
        if self.idmeta.max_attempts == 0 {
            return Err(SimConfigError::ZeroIdmetaAttempts);
        }
        if self.idmeta.send_limit.is_some_and(|limit| limit.max == 0) {
            return Err(SimConfigError::ZeroIdmetaSendLimit);
        }
        if self.max_body_bytes == 0 {
            return Err(SimConfigError::ZeroBodyLimit);
        }
        if self.body_read_timeout.is_zero() {
            return Err(SimConfigError::ZeroBodyReadTimeout);
        }
        if !TWILIO_LIFETIMES.contains(&self.twilio.verification_lifetime) {
            return Err(SimConfigError::TwilioVerificationLifetime {
                lifetime: self.twilio.verification_lifetime,
            });
        }
        Ok(())
    }
}

/// The shortest code, random or fixed, and the shortest `otp` a verify accepts (shorter: 422).
pub(crate) const MIN_CODE_LENGTH: usize = 4;
/// The longest code, random or fixed, and the longest `otp` a verify accepts (longer: 422).
pub(crate) const MAX_CODE_LENGTH: usize = 10;

impl fmt::Debug for SimConfig {
    // The token and a fixed code are secrets of a sort: keep them out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("code_length", &self.code_length)
            .field(
                "codes",
                &match self.codes {
                    CodeSource::Random => "random",
                    CodeSource::Fixed(_) => "fixed",
                },
            )
            .field("clock", &self.clock)
            .field("inbox_capacity_per_number", &self.inbox_capacity_per_number)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("trickle_interval", &self.trickle_interval)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("idmeta_token", &"[redacted]")
            .field("idmeta_code_lifetime", &self.idmeta.code_lifetime)
            .field("idmeta_resend_cooldown", &self.idmeta.resend_cooldown)
            .field("idmeta_max_attempts", &self.idmeta.max_attempts)
            .field("idmeta_send_limit", &self.idmeta.send_limit)
            .field("twilio_credentials", &"[redacted]")
            .field("twilio_service_sid", &self.twilio.service_sid)
            .field(
                "twilio_verification_lifetime",
                &self.twilio.verification_lifetime,
            )
            .finish()
    }
}
