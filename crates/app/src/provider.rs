//! The name of the provider the use cases are wired to, as their metrics label it.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use metrics::SharedString;

/// The longest [`ProviderName`].
pub const MAX_PROVIDER_NAME_LEN: usize = 32;

/// The name of a verification provider, as the `provider` label of the use cases' metrics
/// carries it: 1 to [`MAX_PROVIDER_NAME_LEN`] characters of `a-z`, `0-9`, `_` and `-`
/// (`idmeta`). [`ProviderName::default`] is `default`, for a [`crate::Wiring`] whose provider
/// was not named.
///
/// ```
/// use phone_verify_app::ProviderName;
///
/// assert_eq!(ProviderName::parse("idmeta")?.as_str(), "idmeta");
/// assert!(ProviderName::parse("IDMeta").is_err());
/// // A literal is checked at compile time:
/// const IDMETA: ProviderName = ProviderName::from_static("idmeta");
/// assert_eq!(IDMETA, ProviderName::parse("idmeta")?);
/// # Ok::<(), phone_verify_app::ProviderNameError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ProviderName(SharedString);

/// Why a string is not a [`ProviderName`]. The string itself is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a provider name is 1 to 32 characters of a-z, 0-9, `_` and `-`")]
pub struct ProviderNameError;

const fn is_valid(name: &str) -> bool {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_PROVIDER_NAME_LEN {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
            return false;
        }
        i += 1;
    }
    true
}

impl ProviderName {
    /// Validates a name.
    ///
    /// # Errors
    ///
    /// [`ProviderNameError`] when `name` is empty, too long or has another character.
    pub fn parse(name: &str) -> Result<Self, ProviderNameError> {
        if !is_valid(name) {
            return Err(ProviderNameError);
        }
        Ok(Self(SharedString::from_shared(Arc::from(name))))
    }

    /// Validates a literal; in a `const` the check runs at compile time, so a bad literal
    /// does not build.
    ///
    /// # Panics
    ///
    /// When `name` is not a valid name (at compile time in a `const`).
    pub const fn from_static(name: &'static str) -> Self {
        assert!(is_valid(name), "not a valid provider name");
        Self(SharedString::const_str(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a metric label value (a cheap clone: no copy of the string).
    pub(crate) fn label(&self) -> SharedString {
        self.0.clone()
    }
}

impl Default for ProviderName {
    /// `default`.
    fn default() -> Self {
        Self::from_static("default")
    }
}

impl fmt::Debug for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProviderName({})", self.as_str())
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
    fn only_short_lowercase_names_are_provider_names() {
        for good in ["idmeta", "twilio-verify", "a", "sms_2", &"x".repeat(32)] {
            assert_eq!(
                ProviderName::parse(good).map(|n| n.to_string()),
                Ok(good.to_owned())
            );
        }
        for bad in [
            "",
            "IDMeta",
            "id meta",
            "idmeta.eu",
            "+60182258491x",
            &"x".repeat(33),
        ] {
            assert_eq!(ProviderName::parse(bad), Err(ProviderNameError), "{bad:?}");
        }
        assert_eq!(ProviderName::default().as_str(), "default");
    }
}
