//! Any string: phone parsing returns a number or a typed error, never panics, and a parsed
//! number re-parses to itself from its E.164 and split forms.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phone_verify_domain::{PhoneNumber, RegionCode};

fuzz_target!(|input: &str| {
    let parsed = match input.split_once('|') {
        Some((region, number)) => match RegionCode::parse(region) {
            Ok(region) => PhoneNumber::parse_national(number, region),
            Err(_) => PhoneNumber::parse(number),
        },
        None => PhoneNumber::parse(input),
    };
    if let Ok(number) = parsed {
        assert_eq!(PhoneNumber::parse(number.e164()).as_ref(), Ok(&number));
        assert_eq!(
            PhoneNumber::from_parts(number.country_calling_code(), number.national_number()).as_ref(),
            Ok(&number)
        );
        assert!(!number.to_string().contains(number.national_number()));
    }
});
