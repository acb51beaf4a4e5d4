//! Numbers at rest: how a store keeps the number of each record, in clear (the default) or
//! protected by a keyed digest, so that no clear number reaches the database
//! (`docs/security.md`, "No clear numbers at rest").
//!
//! The store needs a number only to compare it (the guards per number, the history of a
//! number) and to show it masked. A protected store keeps, instead of the number, its
//! HMAC-SHA256 under the store's current key, that key's id, and the masked form. The use
//! cases compute what the store keeps from the store's own [`NumberProtection`]
//! ([`crate::VerificationStore::numbers`]) before calling it, so every store, in memory or SQL
//! or an embedder's own, keeps and compares only what it is handed, and a protected store is
//! never handed a number in clear.

mod hex;
mod keys;
mod stored;

use std::fmt;
use std::sync::Arc;

use phone_verify_domain::{ClientKey, PhoneNumber};

pub use keys::{
    MAX_NUMBER_KEY_BYTES, MAX_NUMBER_KEY_ID_LEN, MIN_NUMBER_KEY_BYTES, NumberKey, NumberKeyError,
    NumberKeyId, NumberKeyIdError, NumberKeyring, NumberKeyringError,
};
pub use stored::{
    GuardKey, MaskedNumber, NumberDigest, NumberLookup, ProtectedNumber, StoredNumber,
    StoredNumberError,
};

/// How a store keeps numbers: in clear, or protected with a [`NumberKeyring`]. Cheap to
/// clone (the keyring is shared). `Debug` shows the key ids only.
///
/// ```
/// use phone_verify_app::{NumberKeyring, NumberLookup, NumberProtection, StoredNumber};
/// use phone_verify_domain::PhoneNumber;
///
/// let keyring = NumberKeyring::parse(&format!("k1:{}", "ab".repeat(32)))?;
/// let numbers = NumberProtection::keyed(keyring);
/// let phone = PhoneNumber::parse("+60182258491")?;
/// let stored = numbers.at_rest(&phone);
/// assert_eq!(stored.clear(), None);
/// assert_eq!(stored.masked(), "+60*****8491");
/// assert!(stored.matches(&numbers.lookup(&phone)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub enum NumberProtection {
    /// Numbers are kept in full, in E.164 (the default).
    #[default]
    Clear,
    /// Numbers are kept as their digest under the keyring's current key, with the key's id
    /// and the masked form; lookups match the digests under every key of the ring.
    Keyed(Arc<NumberKeyring>),
}

/// The protection of a store that says none: numbers in clear.
pub(crate) static CLEAR: NumberProtection = NumberProtection::Clear;

impl NumberProtection {
    /// Numbers protected with `keyring`.
    pub fn keyed(keyring: NumberKeyring) -> Self {
        Self::Keyed(Arc::new(keyring))
    }

    /// Whether numbers are kept protected.
    pub fn is_keyed(&self) -> bool {
        matches!(self, Self::Keyed(_))
    }

    /// What a new record keeps of `phone`: the number, or its digest under the current key
    /// with the key's id and the masked form.
    pub fn at_rest(&self, phone: &PhoneNumber) -> StoredNumber {
        match self {
            Self::Clear => StoredNumber::Clear(phone.clone()),
            Self::Keyed(keyring) => {
                let current = keyring.current();
                StoredNumber::Protected(Box::new(ProtectedNumber::new(
                    current.id().clone(),
                    current.digest(phone),
                    MaskedNumber::of(phone),
                )))
            }
        }
    }

    /// The range of `phone` as a new record keeps it ([`GuardKey`]): the numbers sharing
    /// all but its last `hidden_digits` digits; under the current key when protected.
    pub fn range_of(&self, phone: &PhoneNumber, hidden_digits: u8) -> GuardKey {
        match self {
            Self::Clear => {
                let prefix = keys::range_prefix(phone, hidden_digits);
                let hidden = phone.e164().len() - prefix.len();
                GuardKey::new(format!("{prefix}{}", "*".repeat(hidden)))
            }
            Self::Keyed(keyring) => {
                let current = keyring.current();
                GuardKey::new(format!(
                    "{}:{}",
                    current.id().as_str(),
                    current.range_digest(phone, hidden_digits)
                ))
            }
        }
    }

    /// The range a protected store keeps for `range`, a range as a store in clear keeps it
    /// (`+601822584**`, from [`NumberProtection::range_of`]): its keyed digest under the
    /// current key with the key's id, the very range `range_of` gives a new send of one of its
    /// numbers, so that the guard of ranges counts converted and new sends together. What a
    /// conversion to protected numbers writes in place of a range in clear (a prefix in clear
    /// beside the masked form's last digits would give the whole number back). `None` when
    /// numbers are kept in clear or `range` is no range in clear (already keyed).
    ///
    /// ```
    /// use phone_verify_app::{NumberKeyring, NumberProtection};
    /// use phone_verify_domain::PhoneNumber;
    ///
    /// let keyed = NumberProtection::keyed(NumberKeyring::parse(&format!("k1:{}", "ab".repeat(32)))?);
    /// let phone = PhoneNumber::parse("+60182258491")?;
    /// let in_clear = NumberProtection::Clear.range_of(&phone, 2);
    /// assert_eq!(keyed.protect_range(&in_clear), Some(keyed.range_of(&phone, 2)));
    /// assert_eq!(keyed.protect_range(&keyed.range_of(&phone, 2)), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn protect_range(&self, range: &GuardKey) -> Option<GuardKey> {
        let Self::Keyed(keyring) = self else {
            return None;
        };
        let text = range.as_str();
        let digits = text.strip_prefix('+')?.trim_end_matches('*');
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix = &text[..=digits.len()];
        let current = keyring.current();
        Some(GuardKey::new(format!(
            "{}:{}",
            current.id().as_str(),
            current.prefix_digest(prefix, text.len() - prefix.len())
        )))
    }

    /// What a new record keeps of the end user's `client`: its HMAC under the current key, with
    /// the key's id (`k1:` and 64 hexadecimal digits); `None` in a store in clear, which has no
    /// key to keep it by (a client key is personal data, never kept in clear: the guard of
    /// clients needs number keys).
    pub fn client_digest(&self, client: &ClientKey) -> Option<GuardKey> {
        match self {
            Self::Clear => None,
            Self::Keyed(keyring) => {
                let current = keyring.current();
                Some(GuardKey::new(format!(
                    "{}:{}",
                    current.id().as_str(),
                    current.client_digest(client)
                )))
            }
        }
    }

    /// How to find the records of `phone`: by the number, or by its digest under each key of
    /// the ring (the current key's first).
    pub fn lookup(&self, phone: &PhoneNumber) -> NumberLookup {
        match self {
            Self::Clear => NumberLookup::Clear(phone.clone()),
            Self::Keyed(keyring) => {
                NumberLookup::Digests(keyring.keys().map(|key| key.digest(phone)).collect())
            }
        }
    }

    /// Whether `phone` is the number `stored` keeps: the same number in clear, or a digest
    /// that the ring's key of the record's id confirms (in constant time). A record under a
    /// key that is not in the ring confirms nothing.
    pub fn confirms(&self, phone: &PhoneNumber, stored: &StoredNumber) -> bool {
        match (self, stored) {
            (_, StoredNumber::Clear(kept)) => kept.e164() == phone.e164(),
            (Self::Keyed(keyring), StoredNumber::Protected(protected)) => keyring
                .key(protected.key())
                .is_some_and(|key| key.confirms(phone, protected.digest())),
            (Self::Clear, StoredNumber::Protected(_)) => false,
        }
    }
}

impl fmt::Debug for NumberProtection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Clear => f.write_str("Clear"),
            Self::Keyed(keyring) => f.debug_tuple("Keyed").field(&**keyring).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring(ids: &[(&str, u8)]) -> NumberKeyring {
        let mut keys = ids.iter().map(|(id, byte)| {
            NumberKey::new(
                NumberKeyId::parse(id).expect("an id"),
                vec![*byte; 32].into(),
            )
            .expect("a key")
        });
        let mut ring = NumberKeyring::new(keys.next().expect("a current key"));
        for key in keys {
            ring = ring.with_retired(key).expect("distinct ids");
        }
        ring
    }

    fn phone(n: u8) -> PhoneNumber {
        PhoneNumber::parse(&format!("+6018225849{n}")).expect("a number")
    }

    #[test]
    fn a_range_holds_its_neighbours_and_a_protected_one_keeps_no_prefix_in_clear() {
        let clear = NumberProtection::Clear;
        assert_eq!(clear.range_of(&phone(1), 2).as_str(), "+601822584**");
        assert_eq!(clear.range_of(&phone(1), 1).as_str(), "+6018225849*");
        let far = PhoneNumber::parse("+60182259991").expect("a number");
        let keyed = NumberProtection::keyed(keyring(&[("k1", 1)]));
        for numbers in [&clear, &keyed] {
            assert_eq!(
                numbers.range_of(&phone(1), 2),
                numbers.range_of(&phone(7), 2)
            );
            assert_ne!(numbers.range_of(&phone(1), 2), numbers.range_of(&far, 2));
            assert_ne!(
                numbers.range_of(&phone(1), 2),
                numbers.range_of(&phone(1), 3)
            );
            assert_eq!(
                format!("{:?}", numbers.range_of(&phone(1), 2)),
                "GuardKey(..)"
            );
        }
        let protected = keyed.range_of(&phone(1), 2);
        assert!(
            protected.as_str().starts_with("k1:"),
            "{}",
            protected.as_str()
        );
        assert!(
            !protected.as_str().contains("1822584"),
            "{}",
            protected.as_str()
        );
        assert_eq!(GuardKey::parse(protected.as_str()), Ok(protected));
        // Never fewer digits than the calling code and one more.
        assert_eq!(clear.range_of(&phone(1), 200).as_str(), "+601********");
    }

    #[test]
    fn a_range_in_clear_protects_to_the_range_a_protected_store_writes_for_its_numbers() {
        let keyed = NumberProtection::keyed(keyring(&[("k2", 2), ("k1", 1)]));
        let clear = NumberProtection::Clear;
        let numbers = [
            "+60182258491",
            "+447400123456",
            "+12015550123",
            "+6591234567",
        ];
        for number in numbers {
            let phone = PhoneNumber::parse(number).expect("a number");
            // 200: more than any number has, the prefix kept at its floor.
            for hidden in [1, 2, 3, 6, 200] {
                let in_clear = clear.range_of(&phone, hidden);
                let protected = keyed.protect_range(&in_clear);
                assert_eq!(
                    protected,
                    Some(keyed.range_of(&phone, hidden)),
                    "{number}, {hidden} hidden"
                );
                let protected = protected.expect("protected");
                assert!(protected.as_str().starts_with("k2:"));
                assert_eq!(keyed.protect_range(&protected), None, "already keyed");
                assert_eq!(clear.protect_range(&in_clear), None, "no key");
            }
        }
        for not_a_range in ["+", "+**", "*", "+60a1**", "k1:abc", "+60*1*"] {
            let range = GuardKey::parse(not_a_range).expect("a guard key");
            assert_eq!(keyed.protect_range(&range), None, "{not_a_range}");
        }
    }

    #[test]
    fn a_protected_number_is_found_by_its_number_under_every_key_of_the_ring() {
        let old = NumberProtection::keyed(keyring(&[("k1", 1)]));
        let rotated = NumberProtection::keyed(keyring(&[("k2", 2), ("k1", 1)]));
        let written_before = old.at_rest(&phone(1));
        let written_after = rotated.at_rest(&phone(1));
        let StoredNumber::Protected(after) = &written_after else {
            panic!("protected: {written_after:?}");
        };
        assert_eq!(after.key().as_str(), "k2", "new rows use the current key");
        for stored in [&written_before, &written_after] {
            assert!(stored.matches(&rotated.lookup(&phone(1))), "{stored:?}");
            assert!(!stored.matches(&rotated.lookup(&phone(2))), "{stored:?}");
            assert!(rotated.confirms(&phone(1), stored));
            assert!(!rotated.confirms(&phone(2), stored));
        }
        assert!(
            !written_after.matches(&old.lookup(&phone(1))),
            "the old ring does not know the new key"
        );
        assert!(!old.confirms(&phone(1), &written_after));
    }

    #[test]
    fn clear_and_protected_records_never_match_each_others_lookups() {
        let keyed = NumberProtection::keyed(keyring(&[("k1", 1)]));
        let clear = NumberProtection::Clear;
        assert!(!clear.at_rest(&phone(1)).matches(&keyed.lookup(&phone(1))));
        assert!(!keyed.at_rest(&phone(1)).matches(&clear.lookup(&phone(1))));
        assert!(clear.at_rest(&phone(1)).matches(&clear.lookup(&phone(1))));
        assert!(keyed.confirms(&phone(1), &clear.at_rest(&phone(1))));
        assert!(!clear.confirms(&phone(1), &keyed.at_rest(&phone(1))));
    }

    #[test]
    fn a_protected_lookup_and_record_hold_no_form_of_the_number() {
        let keyed = NumberProtection::keyed(keyring(&[("k2", 2), ("k1", 1)]));
        let shown = format!(
            "{:?} {:?} {keyed:?}",
            keyed.at_rest(&phone(1)),
            keyed.lookup(&phone(1))
        );
        assert!(!shown.contains("182258491"), "{shown}");
        assert!(shown.contains("k2") && shown.contains("k1"), "{shown}");
    }
}
