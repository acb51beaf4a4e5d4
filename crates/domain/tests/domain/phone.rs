use phone_verify_domain::{NumberKind, PhoneNumber, PhoneNumberError, RegionCode};

fn region(code: &str) -> RegionCode {
    RegionCode::parse(code).expect("a known region")
}

#[test]
fn e164_and_human_forms_of_one_number_are_equal() {
    let forms = [
        "+60182258491",
        "+60 18-225 8491",
        " +60 18 225 8491 ",
        "+60 (18) 225.8491",
    ];
    for form in forms {
        let number = PhoneNumber::parse(form).unwrap_or_else(|e| panic!("{form:?}: {e}"));
        assert_eq!(number.e164(), "+60182258491", "{form:?}");
        assert_eq!(number.country_calling_code(), "+60");
        assert_eq!(number.national_number(), "182258491");
        assert_eq!(number.region(), Some(region("MY")));
        assert_eq!(number.kind(), NumberKind::Mobile);
    }
}

#[test]
fn the_providers_split_form_builds_the_same_number() {
    let number = PhoneNumber::from_parts("+60", "182258491").expect("valid");
    assert_eq!(number, PhoneNumber::parse("+60182258491").expect("valid"));
}

#[test]
fn a_national_form_is_read_in_its_region() {
    let number = PhoneNumber::parse_national("018-225 8491", region("MY")).expect("valid");
    assert_eq!(number.e164(), "+60182258491");
    let uk = PhoneNumber::parse_national("07400 123456", region("gb")).expect("valid");
    assert_eq!(uk.e164(), "+447400123456");
    assert_eq!(uk.national_number(), "7400123456");
}

#[test]
fn an_international_form_wins_over_the_region() {
    let number = PhoneNumber::parse_national("+44 7400 123456", region("MY")).expect("valid");
    assert_eq!(number.e164(), "+447400123456");
    assert_eq!(number.region(), Some(region("GB")));
}

#[test]
fn numbers_of_several_countries_are_accepted() {
    let cases = [
        ("+1 202-555-0173", "+1", "2025550173", Some("US")),
        ("+44 20 7183 8750", "+44", "2071838750", Some("GB")),
        ("+49 1512 3456789", "+49", "15123456789", Some("DE")),
        ("+33 6 12 34 56 78", "+33", "612345678", Some("FR")),
        ("+91 98765 43210", "+91", "9876543210", Some("IN")),
        ("+65 8123 4567", "+65", "81234567", Some("SG")),
        ("+61 412 345 678", "+61", "412345678", Some("AU")),
        ("+55 11 91234-5678", "+55", "11912345678", Some("BR")),
        ("+39 06 1234 5678", "+39", "0612345678", Some("IT")),
    ];
    for (input, code, national, region_code) in cases {
        let number = PhoneNumber::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(number.country_calling_code(), code, "{input}");
        assert_eq!(number.national_number(), national, "{input}");
        assert_eq!(
            number.region().map(|r| r.to_string()).as_deref(),
            region_code
        );
    }
}

#[test]
fn a_number_with_one_digit_too_many_is_refused() {
    // The case `phonenumber` gets wrong (its issue #31).
    let error = PhoneNumber::parse("+60 18-225 84911").expect_err("one digit too many");
    assert!(
        matches!(
            error,
            PhoneNumberError::NotValid | PhoneNumberError::TooLong
        ),
        "{error:?}"
    );
    assert!(PhoneNumber::from_parts("+60", "1822584911").is_err());
}

#[test]
fn bad_inputs_get_the_matching_error() {
    use PhoneNumberError::*;
    let long = "1".repeat(10_000);
    let cases: Vec<(&str, PhoneNumberError)> = vec![
        ("", Empty),
        ("   ", Empty),
        ("+60 18 CALL NOW", InvalidCharacter),
        ("+60182258491 ext. 12", InvalidCharacter),
        ("tel:+60182258491", InvalidCharacter),
        ("+60\u{0}182258491", InvalidCharacter),
        ("+60\n182258491", InvalidCharacter),
        ("\t", InvalidCharacter),
        ("+６０１８２２５８４９１", InvalidCharacter),
        ("+٦٠١٨٢٢٥٨٤٩١", InvalidCharacter),
        ("60+182258491", InvalidCharacter),
        ("++60182258491", InvalidCharacter),
        ("0182258491", MissingCountryCode),
        ("+999 182258491", InvalidCountryCode),
        ("+60 1", TooShort),
        ("+1 202 555 01", NotValid),
        (long.as_str(), InputTooLong { max: 64 }),
    ];
    for (input, expected) in cases {
        let got = PhoneNumber::parse(input).expect_err("must be refused");
        assert_eq!(got, expected, "input of {} chars", input.chars().count());
    }
}

#[test]
fn a_wrong_country_code_in_the_split_form_is_refused() {
    assert_eq!(
        PhoneNumber::from_parts("60", "182258491"),
        Err(PhoneNumberError::InvalidCountryCode)
    );
    assert_eq!(
        PhoneNumber::from_parts("+6a", "182258491"),
        Err(PhoneNumberError::InvalidCountryCode)
    );
    assert_eq!(
        PhoneNumber::from_parts("+6000", "182258491"),
        Err(PhoneNumberError::InvalidCountryCode)
    );
    assert_eq!(
        PhoneNumber::from_parts("+60", "18225849a"),
        Err(PhoneNumberError::InvalidCharacter)
    );
    assert_eq!(
        PhoneNumber::from_parts("+60", ""),
        Err(PhoneNumberError::Empty)
    );
    // A valid UK national number under Malaysia's code is not a valid Malaysian number.
    assert!(PhoneNumber::from_parts("+60", "7400123456").is_err());
}

#[test]
fn unknown_regions_are_refused() {
    for input in ["", "M", "MYS", "ZZ", "1A", "M\u{0}", "ＭＹ"] {
        assert_eq!(
            RegionCode::parse(input),
            Err(PhoneNumberError::UnknownRegion),
            "{input:?}"
        );
    }
    assert_eq!(region("my").as_str(), "MY");
}

#[test]
fn a_premium_rate_number_says_so() {
    let number = PhoneNumber::parse("+44 909 876 5432").expect("valid UK premium-rate");
    assert_eq!(number.kind(), NumberKind::PremiumRate);
}

#[test]
fn from_str_and_try_from_call_the_same_validation() {
    let a: PhoneNumber = "+60182258491".parse().expect("valid");
    let b = PhoneNumber::try_from("+60 18-225 8491").expect("valid");
    assert_eq!(a, b);
    assert!("+60 18-225 84911".parse::<PhoneNumber>().is_err());
}
