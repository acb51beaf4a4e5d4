//! The end user's client (an IP address, a device, a session), as the application names it:
//! what the guard of clients counts sends by, since a bot reuses its clients across numbers.

use std::fmt;

/// The most bytes of a [`ClientKey`].
pub const MAX_CLIENT_KEY_LEN: usize = 256;

/// An opaque key for the end user's client, chosen by the application (an IP address, a
/// device id, a session id). Personal data: `Debug` shows nothing of it, it has no
/// `Display`, and a store keeps only its keyed digest.
///
/// ```
/// use phone_verify_domain::ClientKey;
/// let client = ClientKey::parse("203.0.113.7")?;
/// assert_eq!(format!("{client:?}"), "ClientKey(..)");
/// assert!(ClientKey::parse("").is_err());
/// # Ok::<(), phone_verify_domain::ClientKeyError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClientKey(String);

/// Why a string is not a [`ClientKey`]. Never holds the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientKeyError {
    /// The key is empty.
    #[error("a client key is empty")]
    Empty,
    /// The key is longer than [`MAX_CLIENT_KEY_LEN`] bytes.
    #[error("a client key is longer than {MAX_CLIENT_KEY_LEN} bytes")]
    TooLong,
    /// The key holds a control character.
    #[error("a client key holds a control character")]
    Control,
}

impl ClientKey {
    /// Takes `input` as a client key: 1 to [`MAX_CLIENT_KEY_LEN`] bytes, no control
    /// character.
    ///
    /// # Errors
    ///
    /// [`ClientKeyError`] says which rule it breaks.
    pub fn parse(input: &str) -> Result<Self, ClientKeyError> {
        if input.is_empty() {
            return Err(ClientKeyError::Empty);
        }
        if input.len() > MAX_CLIENT_KEY_LEN {
            return Err(ClientKeyError::TooLong);
        }
        if input.chars().any(char::is_control) {
            return Err(ClientKeyError::Control);
        }
        Ok(Self(input.to_owned()))
    }

    /// The key itself: for the keyed digest a store keeps, never for a log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientKey(..)")
    }
}
