//! A number as a record keeps it: in clear, or as a keyed digest with its masked form.

use std::fmt;

use phone_verify_domain::PhoneNumber;

use super::hex;
use super::keys::NumberKeyId;

/// HMAC-SHA256 of a number's E.164 form under one [`crate::NumberKey`]: what a protected
/// record keeps instead of the number, so that equal numbers find each other and nothing
/// gives the number back without the key. `Display` is lowercase hexadecimal (64 digits), as
/// the SQL stores keep it; `Debug` shows its first 8 digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NumberDigest([u8; 32]);

/// Why a stored digest or masked form does not read back. Never quotes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoredNumberError {
    /// A digest is not 64 hexadecimal digits.
    #[error("a number digest is not 64 hexadecimal digits")]
    Digest,
    /// A masked form is not `+`, a country code, at least as many `*` as visible digits,
    /// and at most 4 visible digits: it could hold more of the number than a masked form
    /// shows.
    #[error("a masked number is not of the masked form")]
    Masked,
    /// A guard key (a range or a client digest) is empty, too long or holds a character none has.
    #[error("a guard key is not of a guard key's form")]
    Range,
}

impl NumberDigest {
    /// The digest of these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Reads the 64 hexadecimal digits of `Display` back.
    ///
    /// # Errors
    ///
    /// [`StoredNumberError::Digest`].
    pub fn parse_hex(text: &str) -> Result<Self, StoredNumberError> {
        hex::decode(text)
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .map(Self)
            .ok_or(StoredNumberError::Digest)
    }

    /// The digest's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for NumberDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for NumberDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NumberDigest({}…)", hex::encode(&self.0[..4]))
    }
}

/// What a guard beyond the number counts sends by, as a record keeps it:
///
/// - the range a number belongs to, the numbers sharing all of it but its last few digits
///   ([`crate::NumberProtection::range_of`]; the guard of [`crate::NumberRanges`] counts the
///   distinct numbers of a range): in clear, the number's E.164 prefix and how many digits it
///   hides (`+601822584**`); protected, the prefix's keyed digest under the current key, with
///   the key's id (`k1:` and 64 hexadecimal digits);
/// - the end user's client ([`crate::NumberProtection::client_digest`]; the guard of
///   [`crate::ClientLimits`]): always its keyed digest with the key's id.
///
/// `Debug` shows nothing of it: a range in clear is most of a number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct GuardKey(String);

/// The longest [`GuardKey`] a store reads back.
const MAX_GUARD_KEY_LEN: usize = 100;

impl GuardKey {
    pub(crate) fn new(text: String) -> Self {
        Self(text)
    }

    /// Reads a range back as a store keeps it: 1 to 100 characters of `+`, `*`, `:`, `_`,
    /// `-`, ASCII letters and digits.
    ///
    /// # Errors
    ///
    /// [`StoredNumberError::Range`] for anything else.
    pub fn parse(text: &str) -> Result<Self, StoredNumberError> {
        let well_formed = !text.is_empty()
            && text.len() <= MAX_GUARD_KEY_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+*:_-".contains(&b));
        if !well_formed {
            return Err(StoredNumberError::Range);
        }
        Ok(Self(text.to_owned()))
    }

    /// The range as a store keeps it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for GuardKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GuardKey(..)")
    }
}

/// A number's masked form (`+60*****8491`, [`PhoneNumber::masked`]): the country code and at
/// most 4 last digits, never more digits than are hidden. What a protected record shows
/// instead of the number; built from a number, or read back and checked to be of that form,
/// so that it cannot carry a number in clear.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MaskedNumber(String);

impl MaskedNumber {
    /// The masked form of `phone`.
    pub fn of(phone: &PhoneNumber) -> Self {
        Self(phone.masked())
    }

    /// Reads a masked form back, as a store keeps it.
    ///
    /// # Errors
    ///
    /// [`StoredNumberError::Masked`] when `text` is not of the masked form.
    pub fn parse(text: &str) -> Result<Self, StoredNumberError> {
        let rest = text.strip_prefix('+').ok_or(StoredNumberError::Masked)?;
        let country = rest.bytes().take_while(u8::is_ascii_digit).count();
        let rest = &rest[country..];
        let hidden = rest.bytes().take_while(|b| *b == b'*').count();
        let visible = &rest[hidden..];
        let well_formed = (1..=3).contains(&country)
            && hidden > 0
            && visible.len() <= 4
            && visible.len() <= hidden
            && visible.bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            return Err(StoredNumberError::Masked);
        }
        Ok(Self(text.to_owned()))
    }

    /// The masked form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MaskedNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A number kept protected: its digest under a key, the key's id, and its masked form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProtectedNumber {
    key: NumberKeyId,
    digest: NumberDigest,
    masked: MaskedNumber,
}

impl ProtectedNumber {
    /// A protected number as a store reads it back.
    pub fn new(key: NumberKeyId, digest: NumberDigest, masked: MaskedNumber) -> Self {
        Self {
            key,
            digest,
            masked,
        }
    }

    /// The id of the key the digest is under.
    pub fn key(&self) -> &NumberKeyId {
        &self.key
    }

    /// The digest.
    pub fn digest(&self) -> &NumberDigest {
        &self.digest
    }

    /// The masked form.
    pub fn masked(&self) -> &MaskedNumber {
        &self.masked
    }
}

/// A number as a record keeps it. Which of the two a store writes is the store's
/// [`crate::NumberProtection`]; a store reads back either (rows written before protection was
/// switched on stay in clear until converted).
///
/// `Debug` and `Display` show the masked form only.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum StoredNumber {
    /// The number itself (E.164).
    Clear(PhoneNumber),
    /// Its keyed digest and masked form: nothing gives the number back without the key.
    /// (Boxed, so that a record kept in clear is no bigger than before protection existed.)
    Protected(Box<ProtectedNumber>),
}

impl StoredNumber {
    /// The number, when the record keeps it in clear.
    pub fn clear(&self) -> Option<&PhoneNumber> {
        match self {
            Self::Clear(phone) => Some(phone),
            Self::Protected(_) => None,
        }
    }

    /// The country calling code (`+60`), whichever way the number is kept: a protected
    /// number's masked form begins with it ([`MaskedNumber`] keeps the calling code and hides
    /// the digits after it).
    pub fn calling_code(&self) -> &str {
        match self {
            Self::Clear(phone) => phone.country_calling_code(),
            Self::Protected(protected) => {
                let masked = protected.masked.as_str();
                masked.find('*').map_or(masked, |star| &masked[..star])
            }
        }
    }

    /// The masked form (`+60*****8491`), whichever way the number is kept.
    pub fn masked(&self) -> String {
        match self {
            Self::Clear(phone) => phone.masked(),
            Self::Protected(protected) => protected.masked.as_str().to_owned(),
        }
    }

    /// Whether a lookup by number finds this record: the same number in clear, or a digest
    /// the lookup holds.
    pub fn matches(&self, lookup: &NumberLookup) -> bool {
        match (self, lookup) {
            (Self::Clear(phone), NumberLookup::Clear(looked_up)) => {
                phone.e164() == looked_up.e164()
            }
            (Self::Protected(protected), NumberLookup::Digests(digests)) => {
                digests.contains(&protected.digest)
            }
            (Self::Clear(_), NumberLookup::Digests(_))
            | (Self::Protected(_), NumberLookup::Clear(_)) => false,
        }
    }
}

impl fmt::Debug for StoredNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Clear(phone) => write!(f, "Clear({phone:?})"),
            Self::Protected(protected) => {
                write!(f, "Protected({}, {})", protected.key, protected.masked)
            }
        }
    }
}

impl fmt::Display for StoredNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// How a store finds the records of one number: the number in clear, or its digest under each
/// key of the store's keyring (the current key's first). Made by
/// [`crate::NumberProtection::lookup`]; a protected lookup never holds the number.
#[derive(Clone, PartialEq, Eq)]
pub enum NumberLookup {
    /// Records keeping this number in clear.
    Clear(PhoneNumber),
    /// Records keeping one of these digests.
    Digests(Vec<NumberDigest>),
}

impl fmt::Debug for NumberLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Clear(phone) => write!(f, "Clear({phone:?})"),
            Self::Digests(digests) => f.debug_tuple("Digests").field(digests).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_form_reads_back_and_a_number_never_passes_for_one() {
        let phone = PhoneNumber::parse("+60182258491").expect("a number");
        let masked = MaskedNumber::of(&phone);
        assert_eq!(MaskedNumber::parse(masked.as_str()), Ok(masked));
        for ok in ["+1****", "+44****4567", "+6****91"] {
            assert!(MaskedNumber::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "+60182258491",
            "60*****8491",
            "+60*****84910",
            "+60**18491",
            "+6018*****8491",
            "+60*****84a1",
            "+*****8491",
            "",
        ] {
            assert_eq!(
                MaskedNumber::parse(bad),
                Err(StoredNumberError::Masked),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_digest_reads_back_from_its_hex_and_debug_shows_only_its_start() {
        let digest = NumberDigest::from_bytes([0xab; 32]);
        assert_eq!(NumberDigest::parse_hex(&digest.to_string()), Ok(digest));
        assert_eq!(format!("{digest:?}"), "NumberDigest(abababab…)");
        for bad in ["ab", &"ab".repeat(33), &"zz".repeat(32)] {
            assert_eq!(NumberDigest::parse_hex(bad), Err(StoredNumberError::Digest));
        }
    }

    #[test]
    fn debug_and_display_of_a_stored_number_are_masked() {
        let phone = PhoneNumber::parse("+60182258491").expect("a number");
        let protected = StoredNumber::Protected(Box::new(ProtectedNumber::new(
            NumberKeyId::parse("k1").expect("an id"),
            NumberDigest::from_bytes([1; 32]),
            MaskedNumber::of(&phone),
        )));
        for stored in [StoredNumber::Clear(phone.clone()), protected] {
            let shown = format!(
                "{stored} {stored:?} {:?}",
                NumberLookup::Clear(phone.clone())
            );
            assert!(shown.contains("+60*****8491"), "{shown}");
            assert!(!shown.contains("182258491"), "{shown}");
        }
    }
}
