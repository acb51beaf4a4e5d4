use phone_verify_domain::{IdError, ReferenceId, TrustFlowId, TrustValidationId};

#[test]
fn trust_validation_ids_accept_uuid_like_values() {
    for input in [
        "7f0c2a4e-9d1b-4c52-8f3a-1b2c3d4e5f60",
        "x",
        "{your_trust_validation_id}",
    ] {
        assert_eq!(
            TrustValidationId::parse(input).expect("valid").as_str(),
            input
        );
    }
    let max = "a".repeat(128);
    assert!(TrustValidationId::parse(&max).is_ok());
}

#[test]
fn bad_opaque_ids_get_the_matching_error() {
    let long = "a".repeat(129);
    let huge = "a".repeat(10_000);
    let cases = [
        ("", IdError::Empty),
        (long.as_str(), IdError::TooLong { max: 128 }),
        (huge.as_str(), IdError::TooLong { max: 128 }),
        ("   ", IdError::InvalidCharacter),
        ("a b", IdError::InvalidCharacter),
        ("abc\n", IdError::InvalidCharacter),
        ("abc\u{7f}", IdError::InvalidCharacter),
        ("ab\u{0}c", IdError::InvalidCharacter),
        ("idé", IdError::InvalidCharacter),
    ];
    for (input, expected) in cases {
        assert_eq!(TrustValidationId::parse(input), Err(expected), "{input:?}");
        assert_eq!(ReferenceId::parse(input), Err(expected), "{input:?}");
    }
}

#[test]
fn reference_ids_accept_the_documented_form() {
    let id = ReferenceId::parse("0123456789ABCDEF0123456789ABCDEF").expect("valid");
    assert_eq!(id.to_string(), "0123456789ABCDEF0123456789ABCDEF");
}

#[test]
fn trust_flow_ids_parse_only_non_negative_integers() {
    assert_eq!(TrustFlowId::parse("0"), Ok(TrustFlowId::new(0)));
    assert_eq!(TrustFlowId::parse("147").map(TrustFlowId::get), Ok(147));
    assert_eq!(TrustFlowId::parse(""), Err(IdError::Empty));
    for bad in [
        "-1",
        "+1",
        "1.5",
        " 1",
        "abc",
        "99999999999999999999999",
        "１",
    ] {
        assert_eq!(
            TrustFlowId::parse(bad),
            Err(IdError::NotAnInteger),
            "{bad:?}"
        );
    }
}
