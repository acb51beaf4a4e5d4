use phone_verify_domain::{OtpCode, PhoneNumber, ReferenceId, RegionCode, TrustValidationId};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn parsing_arbitrary_unicode_never_panics(input in "\\PC{0,80}") {
        let _ = PhoneNumber::parse(&input);
        let _ = OtpCode::parse(&input);
        let _ = TrustValidationId::parse(&input);
        let _ = ReferenceId::parse(&input);
        let _ = RegionCode::parse(&input);
    }

    #[test]
    fn parsing_phone_shaped_strings_never_panics(input in "[+]?[0-9 ()./-]{0,40}", region in "[A-Z]{2}") {
        let _ = PhoneNumber::parse(&input);
        if let Ok(region) = RegionCode::parse(&region) {
            let _ = PhoneNumber::parse_national(&input, region);
        }
    }

    #[test]
    fn formatting_then_parsing_gives_the_same_number(cc in "[1-9][0-9]{0,2}", national in "[0-9]{4,13}") {
        if let Ok(number) = PhoneNumber::parse(&format!("+{cc}{national}")) {
            let again = PhoneNumber::parse(number.e164()).expect("E.164 output re-parses");
            prop_assert_eq!(&again, &number);
            let split = PhoneNumber::from_parts(number.country_calling_code(), number.national_number())
                .expect("split output re-parses");
            prop_assert_eq!(&split, &number);
            prop_assert!(!number.to_string().contains(number.national_number()));
        }
    }
}
