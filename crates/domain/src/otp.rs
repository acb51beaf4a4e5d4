//! One-time passcodes.

use std::fmt;
use std::str::FromStr;

/// Fewest digits a code may have.
pub const MIN_OTP_LEN: usize = 4;
/// Most digits a code may have.
pub const MAX_OTP_LEN: usize = 10;

/// Why a code was refused. Never echoes the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OtpCodeError {
    /// The input was empty.
    #[error("code is empty")]
    Empty,
    /// The input held something other than ASCII digits.
    #[error("code must contain only the digits 0-9")]
    NotDigits,
    /// The input had fewer than [`MIN_OTP_LEN`] or more than [`MAX_OTP_LEN`] digits.
    #[error("code must have between {min} and {max} digits")]
    BadLength {
        /// The fewest digits allowed.
        min: usize,
        /// The most digits allowed.
        max: usize,
    },
}

/// A one-time passcode as the end user typed it: 4 to 10 ASCII digits, kept as a string so
/// leading zeros survive.
///
/// It is a secret: `Debug` prints `OtpCode(<redacted>)` and there is no `Display`; the digits
/// are reachable only through [`OtpCode::expose`]. phone-verify never stores it.
///
/// ```
/// use phone_verify_domain::OtpCode;
/// let code = OtpCode::parse("012345")?;
/// assert_eq!(code.expose(), "012345");
/// assert_eq!(format!("{code:?}"), "OtpCode(<redacted>)");
/// # Ok::<(), phone_verify_domain::OtpCodeError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

impl OtpCode {
    /// Validates a code.
    ///
    /// # Errors
    ///
    /// [`OtpCodeError::Empty`], [`OtpCodeError::NotDigits`] (including non-ASCII digits and
    /// whitespace) or [`OtpCodeError::BadLength`].
    pub fn parse(input: &str) -> Result<Self, OtpCodeError> {
        if input.is_empty() {
            return Err(OtpCodeError::Empty);
        }
        if !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OtpCodeError::NotDigits);
        }
        if !(MIN_OTP_LEN..=MAX_OTP_LEN).contains(&input.len()) {
            return Err(OtpCodeError::BadLength {
                min: MIN_OTP_LEN,
                max: MAX_OTP_LEN,
            });
        }
        Ok(Self(input.to_owned()))
    }

    /// The digits. The only way to read them: call it where the code is sent to the provider,
    /// nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode(<redacted>)")
    }
}

impl FromStr for OtpCode {
    type Err = OtpCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for OtpCode {
    type Error = OtpCodeError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}
