//! Identifiers of the provider's objects: trust flows, trust validations and sends.

use std::fmt;
use std::str::FromStr;

/// Longest opaque id accepted ([`TrustValidationId`], [`ReferenceId`]).
pub const MAX_ID_LEN: usize = 128;

/// Why an identifier was refused. Never echoes the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The input was empty.
    #[error("identifier is empty")]
    Empty,
    /// The input was longer than [`MAX_ID_LEN`] bytes.
    #[error("identifier is longer than {max} bytes")]
    TooLong {
        /// The limit that was exceeded.
        max: usize,
    },
    /// The input held whitespace, a control character or a non-ASCII character.
    #[error("identifier contains whitespace, a control or a non-ASCII character")]
    InvalidCharacter,
    /// A numeric identifier was not a non-negative integer.
    #[error("identifier is not a non-negative integer")]
    NotAnInteger,
}

/// Validates an opaque id: non-empty, bounded, printable ASCII without whitespace.
fn validate_opaque(input: &str) -> Result<(), IdError> {
    if input.is_empty() {
        return Err(IdError::Empty);
    }
    if input.len() > MAX_ID_LEN {
        return Err(IdError::TooLong { max: MAX_ID_LEN });
    }
    if !input.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(IdError::InvalidCharacter);
    }
    Ok(())
}

/// Declares an opaque, validated string id with `parse`, `as_str`, `Display` and `FromStr`.
macro_rules! opaque_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps an id: non-empty, at most [`MAX_ID_LEN`] bytes, printable
            /// ASCII without whitespace or control characters.
            ///
            /// # Errors
            ///
            /// [`IdError::Empty`], [`IdError::TooLong`] or [`IdError::InvalidCharacter`].
            pub fn parse(input: &str) -> Result<Self, IdError> {
                validate_opaque(input)?;
                Ok(Self(input.to_owned()))
            }

            /// The id as the provider knows it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(value: &str) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }
    };
}

opaque_id! {
    /// One run of a Trust Flow for one end user (IDMeta's `trustValidationId`): opaque, usually
    /// UUID-like. Not personal data by itself, so it is shown in full in logs.
    ///
    /// ```
    /// use phone_verify_domain::TrustValidationId;
    /// let id = TrustValidationId::parse("7f0c2a4e-9d1b-4c52-8f3a-1b2c3d4e5f60")?;
    /// assert_eq!(id.as_str().len(), 36);
    /// assert!(TrustValidationId::parse("has space").is_err());
    /// # Ok::<(), phone_verify_domain::IdError>(())
    /// ```
    TrustValidationId
}

opaque_id! {
    /// The provider's id of one send (`data.referenceId`, documented as 32 upper-case hex
    /// characters, accepted here in any opaque form so an undocumented change is not an error).
    ReferenceId
}

/// A Trust Flow, configured in IDMeta's dashboard (`trustFlowId`, a non-negative integer).
///
/// ```
/// use phone_verify_domain::TrustFlowId;
/// assert_eq!(TrustFlowId::new(147).get(), 147);
/// assert_eq!("147".parse::<TrustFlowId>()?, TrustFlowId::new(147));
/// # Ok::<(), phone_verify_domain::IdError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrustFlowId(u64);

impl TrustFlowId {
    /// Wraps a flow id. Every `u64` is a valid flow id, so this cannot fail.
    pub const fn new(id: u64) -> Self {
        Self(id)
    }

    /// The numeric id.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Parses a decimal flow id (`"147"`).
    ///
    /// # Errors
    ///
    /// [`IdError::Empty`] for an empty input, [`IdError::NotAnInteger`] for anything that is
    /// not a non-negative decimal integer fitting in 64 bits.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        if input.is_empty() {
            return Err(IdError::Empty);
        }
        if !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::NotAnInteger);
        }
        input.parse().map(Self).map_err(|_| IdError::NotAnInteger)
    }
}

impl From<u64> for TrustFlowId {
    fn from(value: u64) -> Self {
        Self(value)
    }
}

impl fmt::Display for TrustFlowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for TrustFlowId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
