//! What every test sends: the token, distinct valid numbers, requests.

use phone_verify_app::NumberKeyring;
use phone_verify_domain::{PhoneNumber, SendCodeRequest, TrustValidationId};

/// The bearer token the simulator accepts and the client sends. The leak tests search their
/// captured output for it, so it is distinctive.
pub const TOKEN: &str = "reliability-token-7c1e9a";

/// The number keys of a protected store ([`crate::StackConfig::protected_numbers`]): one
/// current key, fixed, so every run keys numbers alike.
///
/// # Panics
///
/// Never: the keyring's text is valid.
pub fn number_keyring() -> NumberKeyring {
    NumberKeyring::parse(&format!("k1:{}", "5a".repeat(32))).expect("a valid keyring")
}

/// The trust flow of every request.
pub const TRUST_FLOW: u64 = 147;

/// The `index`-th of ten million distinct Malaysian mobile numbers (`+6012` and seven
/// digits): valid on the numbering plan, of a kind no guard refuses.
///
/// # Panics
///
/// When `index` is ten million or more (no such number).
pub fn mobile_number(index: u32) -> PhoneNumber {
    assert!(index < 10_000_000, "only ten million numbers");
    PhoneNumber::parse(&format!("+6012{index:07}")).expect("every +6012 number is valid")
}

/// The trust validation id `"{prefix}-{index}"`.
///
/// # Panics
///
/// When the id is not valid (a prefix with characters ids refuse).
pub fn trust_validation(prefix: &str, index: u32) -> TrustValidationId {
    TrustValidationId::parse(&format!("{prefix}-{index}")).expect("a valid trust validation id")
}

/// A send of a code to `phone` for `trust_validation`, in [`TRUST_FLOW`].
pub fn send_request(phone: PhoneNumber, trust_validation: TrustValidationId) -> SendCodeRequest {
    SendCodeRequest::new(phone, trust_validation)
}
