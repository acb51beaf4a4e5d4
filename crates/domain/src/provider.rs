//! The name of a verification provider, as records keep it and routing names it.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// Longest provider name accepted ([`ProviderName`]).
pub const MAX_PROVIDER_NAME_LEN: usize = 32;

/// Why a provider name was refused. Never echoes the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderNameError {
    /// The input was empty.
    #[error("provider name is empty")]
    Empty,
    /// The input was longer than [`MAX_PROVIDER_NAME_LEN`] bytes.
    #[error("provider name is longer than {max} bytes")]
    TooLong {
        /// The limit that was exceeded.
        max: usize,
    },
    /// The input held something other than `a`-`z`, `0`-`9`, `_` and `-`.
    #[error("provider name may hold only a-z, 0-9, '_' and '-'")]
    InvalidCharacter,
}

/// Which provider served a send (`idmeta`, `twilio`, ...): a short stable name,
/// `[a-z0-9_-]{1,32}`, written to every send record so a check goes to the provider that
/// holds the code. The composition root gives each wired gateway its name.
///
/// ```
/// use phone_verify_domain::ProviderName;
/// let twilio = ProviderName::parse("twilio")?;
/// assert_eq!(twilio.as_str(), "twilio");
/// assert!(ProviderName::parse("Twilio").is_err());
/// assert_eq!(ProviderName::idmeta().as_str(), "idmeta");
/// # Ok::<(), phone_verify_domain::ProviderNameError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderName(Cow<'static, str>);

impl ProviderName {
    /// Validates and wraps a name: 1 to [`MAX_PROVIDER_NAME_LEN`] bytes of `a`-`z`, `0`-`9`,
    /// `_` and `-`.
    ///
    /// # Errors
    ///
    /// [`ProviderNameError::Empty`], [`ProviderNameError::TooLong`] or
    /// [`ProviderNameError::InvalidCharacter`].
    pub fn parse(input: &str) -> Result<Self, ProviderNameError> {
        match check(input) {
            Ok(()) => Ok(Self(Cow::Owned(input.to_owned()))),
            Err(error) => Err(error),
        }
    }

    /// A name known when the program is written, checked by the compiler when used in a
    /// `const` (`const TWILIO: ProviderName = ProviderName::from_static("twilio");`).
    ///
    /// # Panics
    ///
    /// When `name` is not a valid name: at compile time in a `const`, else at the call.
    pub const fn from_static(name: &'static str) -> Self {
        assert!(check(name).is_ok(), "not a valid provider name");
        Self(Cow::Borrowed(name))
    }

    /// `idmeta`: the name of the first provider, which every record written before records
    /// named their provider reads as (the stores' default).
    pub const fn idmeta() -> Self {
        Self::from_static("idmeta")
    }

    /// `default`: the name a gateway given without one is wired under (the facade's
    /// `gateway(..)`, the app's `Wiring::new`). Not `idmeta`: such a gateway is any provider,
    /// a decorator or a test double, and its records should not pass for IDMeta's.
    pub const fn unnamed() -> Self {
        Self::from_static("default")
    }

    /// `twilio`: the name the Twilio Verify adapter is wired under by the command line.
    pub const fn twilio() -> Self {
        Self::from_static("twilio")
    }

    /// `test`: the name the sends to test numbers are recorded under. No provider is called
    /// for them, and no gateway may be wired under this name beside test numbers.
    pub const fn test() -> Self {
        Self::from_static("test")
    }

    /// The name as records and routing spell it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as an owned string value, without a copy when it was written in the program
    /// ([`ProviderName::from_static`]): what a metric's label takes.
    pub fn to_cow(&self) -> Cow<'static, str> {
        self.0.clone()
    }
}

/// The rules of [`ProviderName::parse`], usable in a `const`.
const fn check(input: &str) -> Result<(), ProviderNameError> {
    let bytes = input.as_bytes();
    if bytes.is_empty() {
        return Err(ProviderNameError::Empty);
    }
    if bytes.len() > MAX_PROVIDER_NAME_LEN {
        return Err(ProviderNameError::TooLong {
            max: MAX_PROVIDER_NAME_LEN,
        });
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
            return Err(ProviderNameError::InvalidCharacter);
        }
        i += 1;
    }
    Ok(())
}

impl fmt::Debug for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProviderName({})", self.0)
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ProviderName {
    type Err = ProviderNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for ProviderName {
    type Error = ProviderNameError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_lowercase_names_are_accepted() {
        let cases: [(&str, Result<(), ProviderNameError>); 7] = [
            ("idmeta", Ok(())),
            ("twilio_verify-2", Ok(())),
            (&"a".repeat(32), Ok(())),
            ("", Err(ProviderNameError::Empty)),
            (&"a".repeat(33), Err(ProviderNameError::TooLong { max: 32 })),
            ("Twilio", Err(ProviderNameError::InvalidCharacter)),
            ("id meta", Err(ProviderNameError::InvalidCharacter)),
        ];
        for (input, expected) in cases {
            assert_eq!(
                ProviderName::parse(input).map(|_| ()),
                expected,
                "{input:?}"
            );
        }
    }

    #[test]
    fn an_error_never_echoes_the_input() {
        let error = ProviderName::parse("SECRET").expect_err("refused");
        assert!(!error.to_string().contains("SECRET"));
    }
}
