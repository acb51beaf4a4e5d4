//! Phone numbers: parsing ([`crate::PhoneNumber`], failing with [`PhoneNumberError`]), their
//! region and kind, and keeping them protected at rest.
//!
//! With a [`NumberKeyring`] given to the builder (`protect_numbers`), a store keeps each
//! number as its HMAC-SHA256 under the current key ([`NumberDigest`]) and its masked form
//! ([`MaskedNumber`]), never the number (`docs/security.md`, "No clear numbers at rest");
//! [`StoredNumber`] is what a record holds.
//!
//! [`TestNumbers`] are numbers (or ranges) that verify with a fixed code and never reach a
//! provider, for store reviewers, QA and load tests (the builder's `test_numbers`).

pub use phone_verify_app::{
    MaskedNumber, NumberDigest, NumberKey, NumberKeyError, NumberKeyId, NumberKeyIdError,
    NumberKeyring, NumberKeyringError, NumberLookup, NumberProtection, ProtectedNumber,
    StoredNumber, StoredNumberError, TestNumbers, TestNumbersError,
};
pub use phone_verify_domain::{NumberKind, PhoneNumberError, RegionCode};
