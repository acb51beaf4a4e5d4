//! Every constructor of a value from outside input, across the crates, returns the value or
//! a typed error for any input, never panics, and never echoes the input in its error (the
//! input may be personal data, and errors are logged). What parses round-trips.
//!
//! Complements `crates/domain/tests/domain/properties.rs` (phone parsing, no panic) with the
//! constructors it does not reach: the app's and the SQL store's, `TrustFlowId::parse`,
//! `PhoneNumber::from_parts`, and the no-echo and round-trip properties.

use std::str::FromStr as _;

use phone_verify_app::{AttemptId, ErrorClass, NumberPrefix};
use phone_verify_domain::{
    OtpCode, PhoneNumber, ReferenceId, RegionCode, TrustFlowId, TrustValidationId,
};
use phone_verify_sql_store::SchemaName;
use proptest::prelude::*;

/// A marker no error message holds (they are lower-case English), put in front of every
/// input so an error that quotes its input is caught.
const MARK: &str = "Zq";

/// Fails unless the error's `Display` and `Debug` leave out the marked input.
fn no_echo<E: std::fmt::Display + std::fmt::Debug>(
    result: Result<impl Sized, E>,
) -> Result<(), TestCaseError> {
    if let Err(error) = result {
        let shown = format!("{error} {error:?}");
        prop_assert!(!shown.contains(MARK), "the error quotes its input: {shown}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn every_constructor_gives_a_value_or_an_error_that_does_not_quote_the_input(
        rest in "\\PC{0,80}",
    ) {
        let input = format!("{MARK}{rest}");
        no_echo(PhoneNumber::parse(&input))?;
        no_echo(PhoneNumber::from_parts(&input, &input))?;
        no_echo(PhoneNumber::from_parts("+60", &input))?;
        no_echo(OtpCode::parse(&input))?;
        no_echo(TrustValidationId::parse(&input))?;
        no_echo(ReferenceId::parse(&input))?;
        no_echo(TrustFlowId::parse(&input))?;
        no_echo(RegionCode::parse(&input))?;
        no_echo(NumberPrefix::parse(&input))?;
        no_echo(AttemptId::from_str(&input))?;
        no_echo(SchemaName::parse(&input))?;
        no_echo(ErrorClass::from_str(&input))?;
    }

    #[test]
    fn every_constructor_survives_arbitrary_unicode(input in "\\PC{0,200}") {
        let _ = PhoneNumber::from_parts(&input, &input);
        let _ = TrustFlowId::parse(&input);
        let _ = NumberPrefix::parse(&input);
        let _ = AttemptId::from_str(&input);
        let _ = SchemaName::parse(&input);
        let _ = ErrorClass::from_str(&input);
    }

    #[test]
    fn what_parses_reads_back_as_itself(input in "[ -~]{0,40}", digits in "[0-9]{1,25}") {
        if let Ok(id) = TrustValidationId::parse(&input) {
            prop_assert_eq!(TrustValidationId::parse(id.as_str()).ok(), Some(id));
        }
        if let Ok(id) = ReferenceId::parse(&input) {
            prop_assert_eq!(ReferenceId::parse(id.as_str()).ok(), Some(id));
        }
        if let Ok(flow) = TrustFlowId::parse(&digits) {
            prop_assert_eq!(flow.to_string().parse::<u128>().ok(), digits.parse::<u128>().ok());
        }
        if let Ok(code) = OtpCode::parse(&digits) {
            prop_assert_eq!(code.expose(), digits.as_str());
        }
        let prefix = format!("+{digits}");
        if let Ok(parsed) = NumberPrefix::parse(&prefix) {
            prop_assert_eq!(parsed.as_str(), prefix.as_str());
        }
        if let Ok(id) = AttemptId::from_str(&input) {
            prop_assert_eq!(AttemptId::from_str(&id.to_string()).ok(), Some(id));
        }
        if let Ok(class) = ErrorClass::from_str(&input) {
            prop_assert_eq!(class.as_str(), input.as_str());
        }
    }
}
