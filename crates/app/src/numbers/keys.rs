//! The keys of the numbers' digests: each with an id that every row written under it keeps, and
//! the keyring of a store (the current key and the retired ones).

use std::fmt;
use std::str::FromStr;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use phone_verify_domain::{ClientKey, PhoneNumber};
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

use super::hex;
use super::stored::NumberDigest;

/// The longest key id.
pub const MAX_NUMBER_KEY_ID_LEN: usize = 32;

/// The fewest bytes a key has: 256 bits, the digest's own strength.
pub const MIN_NUMBER_KEY_BYTES: usize = 32;

/// The most bytes a key has: HMAC-SHA256's block. A longer key would be hashed down to 32 bytes
/// first, which adds nothing.
pub const MAX_NUMBER_KEY_BYTES: usize = 64;

/// The id of a [`NumberKey`], kept on every row written under it: 1 to
/// [`MAX_NUMBER_KEY_ID_LEN`] bytes of `a`-`z`, `0`-`9`, `_` and `-` (`k2026`, `primary-2`).
///
/// ```
/// use phone_verify_app::NumberKeyId;
///
/// assert_eq!(NumberKeyId::parse("k2026")?.as_str(), "k2026");
/// assert!(NumberKeyId::parse("K 1").is_err());
/// # Ok::<(), phone_verify_app::NumberKeyIdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NumberKeyId(String);

/// Why a key id is not valid. Never quotes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberKeyIdError {
    /// The id is empty.
    #[error("a key id is empty")]
    Empty,
    /// The id is longer than [`MAX_NUMBER_KEY_ID_LEN`] bytes.
    #[error("a key id is longer than {max} bytes")]
    TooLong {
        /// The longest allowed.
        max: usize,
    },
    /// The id holds a character other than `a`-`z`, `0`-`9`, `_` and `-`.
    #[error("a key id holds a character other than a-z, 0-9, _ and -")]
    InvalidCharacter,
}

impl NumberKeyId {
    /// Validates and wraps an id.
    ///
    /// # Errors
    ///
    /// [`NumberKeyIdError::Empty`], [`NumberKeyIdError::TooLong`] or
    /// [`NumberKeyIdError::InvalidCharacter`].
    pub fn parse(input: &str) -> Result<Self, NumberKeyIdError> {
        if input.is_empty() {
            return Err(NumberKeyIdError::Empty);
        }
        if input.len() > MAX_NUMBER_KEY_ID_LEN {
            return Err(NumberKeyIdError::TooLong {
                max: MAX_NUMBER_KEY_ID_LEN,
            });
        }
        let allowed =
            |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-';
        if !input.bytes().all(allowed) {
            return Err(NumberKeyIdError::InvalidCharacter);
        }
        Ok(Self(input.to_owned()))
    }

    /// The id as rows keep it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NumberKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for NumberKeyId {
    type Err = NumberKeyIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Why a key is not valid. Never holds the key's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberKeyError {
    /// Fewer than [`MIN_NUMBER_KEY_BYTES`] or more than [`MAX_NUMBER_KEY_BYTES`] bytes.
    #[error("a key has {min} to {max} bytes")]
    BadLength {
        /// The fewest allowed.
        min: usize,
        /// The most allowed.
        max: usize,
    },
    /// Every byte is zero: a placeholder, not a key from a random source (a digest under it
    /// is one anyone can compute).
    #[error("a key of zeros is no key: make one from a random source (openssl rand -hex 32)")]
    AllZero,
}

/// One HMAC-SHA256 key of the numbers' digests, with its id. The key's bytes are a
/// [`SecretSlice`], wiped when dropped; `Debug` shows the id only.
///
/// ```
/// use phone_verify_app::{NumberKey, NumberKeyId};
///
/// let key = NumberKey::new(NumberKeyId::parse("k1")?, vec![7; 32].into())?;
/// assert_eq!(format!("{key:?}"), "NumberKey { id: \"k1\", .. }");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct NumberKey {
    id: NumberKeyId,
    secret: SecretSlice<u8>,
}

impl NumberKey {
    /// The key `secret` (32 to 64 bytes, from a random source: `openssl rand -hex 32`) under
    /// the id `id`.
    ///
    /// # Errors
    ///
    /// [`NumberKeyError::BadLength`]; [`NumberKeyError::AllZero`] for a key of zeros.
    pub fn new(id: NumberKeyId, secret: SecretSlice<u8>) -> Result<Self, NumberKeyError> {
        let length = secret.expose_secret().len();
        if !(MIN_NUMBER_KEY_BYTES..=MAX_NUMBER_KEY_BYTES).contains(&length) {
            return Err(NumberKeyError::BadLength {
                min: MIN_NUMBER_KEY_BYTES,
                max: MAX_NUMBER_KEY_BYTES,
            });
        }
        if secret.expose_secret().iter().all(|byte| *byte == 0) {
            return Err(NumberKeyError::AllZero);
        }
        Ok(Self { id, secret })
    }

    /// The key's id.
    pub fn id(&self) -> &NumberKeyId {
        &self.id
    }

    /// HMAC-SHA256 of the number's E.164 form under this key.
    pub fn digest(&self, phone: &PhoneNumber) -> NumberDigest {
        let mut mac = self.mac();
        mac.update(phone.e164().as_bytes());
        NumberDigest::from_bytes(mac.finalize().into_bytes().into())
    }

    /// HMAC-SHA256 under this key of a number range: the E.164 form of `phone` without its
    /// last `hidden_digits` digits and how many digits that hides (fewer than `hidden_digits`
    /// when the number has too few to hide them all), labelled so that it is never a
    /// number's digest. The same two things a range in clear keeps (`+601822584**`), so that
    /// a conversion computes it from such a range alone
    /// ([`crate::NumberProtection::protect_range`]).
    pub fn range_digest(&self, phone: &PhoneNumber, hidden_digits: u8) -> NumberDigest {
        let prefix = range_prefix(phone, hidden_digits);
        self.prefix_digest(prefix, phone.e164().len() - prefix.len())
    }

    /// HMAC-SHA256 under this key of the range of the numbers that start with `prefix` and
    /// have `hidden` digits more.
    pub(crate) fn prefix_digest(&self, prefix: &str, hidden: usize) -> NumberDigest {
        let mut mac = self.mac();
        mac.update(b"phone-verify number range v1:");
        mac.update(prefix.as_bytes());
        // An E.164 number has at most 15 digits: the count always fits the one byte the
        // digest was first defined with.
        mac.update(&[b':', u8::try_from(hidden).unwrap_or(u8::MAX)]);
        NumberDigest::from_bytes(mac.finalize().into_bytes().into())
    }

    /// HMAC-SHA256 under this key of an end user's client key, labelled so that it is never
    /// a number's or a range's digest.
    pub fn client_digest(&self, client: &ClientKey) -> NumberDigest {
        let mut mac = self.mac();
        mac.update(b"phone-verify client v1:");
        mac.update(client.expose().as_bytes());
        NumberDigest::from_bytes(mac.finalize().into_bytes().into())
    }

    /// A fingerprint of the key's material: the first 8 bytes of its HMAC of a fixed label,
    /// as a signed integer. A store records it beside the key's id, so that a key id reused
    /// with other material is told apart; it says nothing of the key.
    pub fn fingerprint(&self) -> i64 {
        let mut mac = self.mac();
        mac.update(b"phone-verify number key fingerprint v1");
        let bytes = mac.finalize().into_bytes();
        let mut first = [0_u8; 8];
        first.copy_from_slice(&bytes[..8]);
        i64::from_be_bytes(first)
    }

    /// Whether `digest` is the number's under this key, compared in constant time.
    pub fn confirms(&self, phone: &PhoneNumber, digest: &NumberDigest) -> bool {
        let mut mac = self.mac();
        mac.update(phone.e164().as_bytes());
        mac.verify_slice(digest.as_bytes()).is_ok()
    }

    /// The keyed MAC. HMAC pads a key shorter than its block (64 bytes) with zeros; the key
    /// is padded here the same way, so the MAC is built from a block-sized key, which cannot
    /// fail, and is the one RFC 2104 defines for the key as given.
    fn mac(&self) -> Hmac<Sha256> {
        let mut block = [0_u8; MAX_NUMBER_KEY_BYTES];
        let secret = self.secret.expose_secret();
        block[..secret.len()].copy_from_slice(secret);
        let mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
        block.zeroize();
        mac
    }
}

impl fmt::Debug for NumberKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NumberKey")
            .field("id", &self.id.as_str())
            .finish_non_exhaustive()
    }
}

/// The keys a store's numbers are protected with: the **current** key, under which every new
/// row is written, and the **retired** keys, under which older rows may still be. A lookup by
/// number (the guards per number, the history of a number) matches rows under every key of
/// the ring; a row under a key that is not in the ring is found by trust validation only.
/// `Debug` shows the ids only.
///
/// Read from text by [`NumberKeyring::parse`] (a key file, an environment variable):
/// entries `ID:HEX` (the key in hexadecimal, 32 to 64 bytes) separated by white space, the
/// first the current key; a line starting with `#` is a comment.
///
/// ```
/// use phone_verify_app::NumberKeyring;
///
/// let keyring = NumberKeyring::parse(&format!(
///     "# the current key first\nk2:{}\nk1:{}\n",
///     "ab".repeat(32),
///     "cd".repeat(32),
/// ))?;
/// assert_eq!(keyring.current().id().as_str(), "k2");
/// assert_eq!(keyring.retired().len(), 1);
/// # Ok::<(), phone_verify_app::NumberKeyringError>(())
/// ```
#[derive(Debug)]
pub struct NumberKeyring {
    current: NumberKey,
    retired: Vec<NumberKey>,
}

/// Why a keyring's text or keys are not valid. Names the entry by its position (1 for the
/// first), never its content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberKeyringError {
    /// No key at all.
    #[error("no key: give at least the current one, as ID:HEX")]
    Empty,
    /// An entry is not `ID:HEX`, or its key is not hexadecimal.
    #[error("key entry {position} is not ID:HEX")]
    Malformed {
        /// Which entry, from 1.
        position: usize,
    },
    /// An entry's id is not valid.
    #[error("key entry {position} has an invalid id")]
    Id {
        /// Which entry, from 1.
        position: usize,
        /// Why.
        #[source]
        source: NumberKeyIdError,
    },
    /// An entry's key is not valid.
    #[error("key entry {position} has an invalid key")]
    Key {
        /// Which entry, from 1.
        position: usize,
        /// Why.
        #[source]
        source: NumberKeyError,
    },
    /// Two keys have one id: a row's key id would not say which key it is under.
    #[error("key entry {position} repeats the id of an earlier key")]
    DuplicateId {
        /// Which entry, from 1.
        position: usize,
    },
}

impl NumberKeyring {
    /// A keyring of `current` alone.
    pub fn new(current: NumberKey) -> Self {
        Self {
            current,
            retired: Vec::new(),
        }
    }

    /// The same keyring with `key` among the retired keys: rows under it are still found by
    /// number; no row is written under it.
    ///
    /// # Errors
    ///
    /// [`NumberKeyringError::DuplicateId`] when a key of the ring has its id (`position` is
    /// then the key's position in the ring, the current key being 1).
    pub fn with_retired(mut self, key: NumberKey) -> Result<Self, NumberKeyringError> {
        if self.keys().any(|held| held.id == key.id) {
            return Err(NumberKeyringError::DuplicateId {
                position: self.retired.len() + 2,
            });
        }
        self.retired.push(key);
        Ok(self)
    }

    /// Reads a keyring from text (see the type's documentation).
    ///
    /// # Errors
    ///
    /// [`NumberKeyringError`]: no entry, an entry that is not `ID:HEX`, an invalid id or key,
    /// a repeated id.
    pub fn parse(text: &str) -> Result<Self, NumberKeyringError> {
        // A key file saved by an editor that writes a UTF-8 byte-order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let entries = text
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .flat_map(str::split_ascii_whitespace);
        let mut keyring: Option<Self> = None;
        for (index, entry) in entries.enumerate() {
            let key = parse_entry(entry, index + 1)?;
            keyring = Some(match keyring {
                None => Self::new(key),
                Some(ring) => {
                    ring.with_retired(key)
                        .map_err(|_| NumberKeyringError::DuplicateId {
                            position: index + 1,
                        })?
                }
            });
        }
        keyring.ok_or(NumberKeyringError::Empty)
    }

    /// The key new rows are written under.
    pub fn current(&self) -> &NumberKey {
        &self.current
    }

    /// The keys older rows may be under.
    pub fn retired(&self) -> &[NumberKey] {
        &self.retired
    }

    /// Every key, the current one first.
    pub fn keys(&self) -> impl Iterator<Item = &NumberKey> {
        std::iter::once(&self.current).chain(&self.retired)
    }

    /// The key of the ring with this id, if any.
    pub fn key(&self, id: &NumberKeyId) -> Option<&NumberKey> {
        self.keys().find(|key| key.id == *id)
    }
}

impl FromStr for NumberKeyring {
    type Err = NumberKeyringError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// One `ID:HEX` entry, the `position`-th.
fn parse_entry(entry: &str, position: usize) -> Result<NumberKey, NumberKeyringError> {
    let (id, key) = entry
        .split_once(':')
        .ok_or(NumberKeyringError::Malformed { position })?;
    let id =
        NumberKeyId::parse(id).map_err(|source| NumberKeyringError::Id { position, source })?;
    let bytes = hex::decode(key).ok_or(NumberKeyringError::Malformed { position })?;
    NumberKey::new(id, SecretSlice::from(bytes))
        .map_err(|source| NumberKeyringError::Key { position, source })
}

#[cfg(test)]
mod hygiene_tests {
    use super::*;

    #[test]
    fn a_key_of_zeros_is_refused_and_a_byte_order_mark_is_no_part_of_a_key_file() {
        let id = || NumberKeyId::parse("k1").expect("an id");
        assert_eq!(
            NumberKey::new(id(), vec![0; 32].into()).map(|_| ()),
            Err(NumberKeyError::AllZero)
        );
        assert!(matches!(
            NumberKeyring::parse(&format!("k1:{}", "00".repeat(32))),
            Err(NumberKeyringError::Key {
                position: 1,
                source: NumberKeyError::AllZero
            })
        ));
        let with_bom = format!("\u{feff}k1:{}\n", "ab".repeat(32));
        let keyring = NumberKeyring::parse(&with_bom).expect("the mark is skipped");
        assert_eq!(keyring.current().id().as_str(), "k1");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, byte: u8) -> NumberKey {
        NumberKey::new(
            NumberKeyId::parse(id).expect("an id"),
            vec![byte; 32].into(),
        )
        .expect("a key")
    }

    fn phone() -> PhoneNumber {
        PhoneNumber::parse("+60182258491").expect("a number")
    }

    #[test]
    fn the_digest_is_hmac_sha256_of_the_e164_form() {
        // Computed apart from this code, with
        // `printf '+60182258491' | openssl dgst -sha256 -mac HMAC -macopt hexkey:0707…07`
        // (32 bytes of 7), so that an operator can reproduce a row's digest.
        let digest = key("k1", 7).digest(&phone());
        assert_eq!(
            digest.to_string(),
            "1ebddb6b6a1ed2f315a36b3cb655e44dd15fbe7ebaf76dd69a4dd715e917b1b0"
        );
    }

    #[test]
    fn padding_the_key_gives_the_mac_of_the_key_as_given() {
        let secret = [0x42_u8; 40];
        let ours = NumberKey::new(
            NumberKeyId::parse("k").expect("an id"),
            secret.to_vec().into(),
        )
        .expect("a key")
        .digest(&phone());
        let mut reference =
            <Hmac<Sha256> as Mac>::new_from_slice(&secret).expect("any length is a key");
        reference.update(phone().e164().as_bytes());
        let reference: [u8; 32] = reference.finalize().into_bytes().into();
        assert_eq!(ours.as_bytes(), &reference);
    }

    #[test]
    fn a_digest_is_confirmed_by_its_key_and_number_only() {
        let (k1, k2) = (key("k1", 1), key("k2", 2));
        let digest = k1.digest(&phone());
        let other = PhoneNumber::parse("+60182258492").expect("a number");
        assert!(k1.confirms(&phone(), &digest));
        assert!(!k2.confirms(&phone(), &digest));
        assert!(!k1.confirms(&other, &digest));
    }

    #[test]
    fn keys_of_the_wrong_length_are_refused() {
        for length in [0, 31, 65] {
            let made = NumberKey::new(
                NumberKeyId::parse("k").expect("an id"),
                vec![1; length].into(),
            );
            assert!(
                matches!(made, Err(NumberKeyError::BadLength { min: 32, max: 64 })),
                "{length} bytes"
            );
        }
    }

    #[test]
    fn a_keyring_reads_the_current_key_first_and_skips_comments() {
        let text = format!(
            "# rotated in May\n  k2:{}  k1:{}\n# k0:{}\n",
            "0A".repeat(32),
            "0b".repeat(48),
            "0c".repeat(32)
        );
        let keyring = NumberKeyring::parse(&text).expect("a keyring");
        let ids: Vec<&str> = keyring.keys().map(|key| key.id().as_str()).collect();
        assert_eq!(ids, ["k2", "k1"]);
        assert_eq!(
            keyring
                .key(&NumberKeyId::parse("k1").expect("an id"))
                .map(NumberKey::id),
            Some(&NumberKeyId::parse("k1").expect("an id"))
        );
    }

    #[test]
    fn bad_keyrings_are_refused_by_position_without_quoting_the_key() {
        let secret = "ab".repeat(32);
        let cases = [
            (String::new(), NumberKeyringError::Empty),
            ("# only a comment".to_owned(), NumberKeyringError::Empty),
            (
                secret.clone(),
                NumberKeyringError::Malformed { position: 1 },
            ),
            (
                format!("k1:{secret} k2:{}zz", &secret[2..]),
                NumberKeyringError::Malformed { position: 2 },
            ),
            (
                format!("K1:{secret}"),
                NumberKeyringError::Id {
                    position: 1,
                    source: NumberKeyIdError::InvalidCharacter,
                },
            ),
            (
                format!("k1:{}", &secret[..60]),
                NumberKeyringError::Key {
                    position: 1,
                    source: NumberKeyError::BadLength { min: 32, max: 64 },
                },
            ),
            (
                format!("k1:{secret} k2:{secret} k1:{secret}"),
                NumberKeyringError::DuplicateId { position: 3 },
            ),
        ];
        for (text, expected) in cases {
            let error = NumberKeyring::parse(&text).expect_err("refused");
            assert_eq!(error, expected, "{text:?}");
            let message = format!("{error} {error:?}");
            assert!(!message.contains("abab"), "{message}");
        }
    }

    #[test]
    fn debug_of_a_keyring_shows_ids_and_never_the_keys() {
        let keyring = NumberKeyring::new(key("k2", 0xab))
            .with_retired(key("k1", 0xcd))
            .expect("distinct ids");
        let shown = format!("{keyring:?} {:?}", keyring.current());
        assert!(shown.contains("k2") && shown.contains("k1"), "{shown}");
        for byte in ["171", "205", "ab", "cd", "AB", "CD"] {
            assert!(!shown.contains(&format!("{byte}, {byte}")), "{shown}");
            assert!(!shown.contains(&byte.repeat(2)), "{shown}");
        }
    }

    #[test]
    fn a_retired_key_may_not_repeat_an_id() {
        let refused = NumberKeyring::new(key("k1", 1)).with_retired(key("k1", 2));
        assert!(matches!(
            refused,
            Err(NumberKeyringError::DuplicateId { position: 2 })
        ));
    }
}

/// The E.164 form of `phone` without its last `hidden_digits` digits (never fewer than the
/// calling code's digits and one more).
pub(crate) fn range_prefix(phone: &PhoneNumber, hidden_digits: u8) -> &str {
    let e164 = phone.e164();
    let floor = phone.country_calling_code().len() + 1;
    let end = e164
        .len()
        .saturating_sub(usize::from(hidden_digits))
        .max(floor)
        .min(e164.len());
    &e164[..end]
}
