use phone_verify_domain::{OtpCode, OtpCodeError};

#[test]
fn codes_keep_their_leading_zeros() {
    for input in ["0000", "012345", "0123456789"] {
        assert_eq!(OtpCode::parse(input).expect("valid").expose(), input);
    }
}

#[test]
fn bad_codes_get_the_matching_error() {
    let bad_length = OtpCodeError::BadLength { min: 4, max: 10 };
    let long = "1".repeat(10_000);
    let cases = [
        ("", OtpCodeError::Empty),
        ("123", bad_length),
        ("12345678901", bad_length),
        (long.as_str(), bad_length),
        ("12 345", OtpCodeError::NotDigits),
        (" 123456", OtpCodeError::NotDigits),
        ("12345a", OtpCodeError::NotDigits),
        ("１２３４５６", OtpCodeError::NotDigits),
        ("1234\u{0}", OtpCodeError::NotDigits),
        ("    ", OtpCodeError::NotDigits),
    ];
    for (input, expected) in cases {
        assert_eq!(OtpCode::parse(input), Err(expected), "{input:?}");
    }
}

#[test]
fn debug_of_a_code_is_redacted() {
    let code = OtpCode::parse("482913").expect("valid");
    assert_eq!(format!("{code:?}"), "OtpCode(<redacted>)");
    assert_eq!(format!("{:?}", Some(code)), "Some(OtpCode(<redacted>))");
}
