use phone_verify_domain::{
    CheckCodeRequest, OtpCode, PhoneNumber, PhoneNumberError, SendCodeRequest, TrustValidationId,
};

const FULL: &str = "+60182258491";
const NATIONAL: &str = "182258491";

fn contains_number(text: &str) -> bool {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    text.contains(NATIONAL) || digits.contains(NATIONAL)
}

#[test]
fn display_and_debug_of_a_phone_number_are_masked() {
    let number = PhoneNumber::parse(FULL).expect("valid");
    assert_eq!(number.to_string(), "+60*****8491");
    assert_eq!(format!("{number:?}"), "PhoneNumber(+60*****8491)");
    assert!(!contains_number(&format!(
        "{number} {number:?} {number:#?}"
    )));
}

#[test]
fn a_short_number_keeps_at_most_half_of_its_digits_visible() {
    // Niue: four-digit national numbers.
    let number = PhoneNumber::parse("+683 7290").expect("valid");
    assert_eq!(number.masked(), "+683**90");
}

#[test]
fn requests_do_not_show_the_number_or_the_code() {
    let phone = PhoneNumber::parse(FULL).expect("valid");
    let send = SendCodeRequest::new(
        phone.clone(),
        TrustValidationId::parse("tv-1").expect("valid"),
    );
    let check = CheckCodeRequest {
        code: OtpCode::parse("918273").expect("valid"),
        trust_validation: TrustValidationId::parse("tv-1").expect("valid"),
        reference: None,
        phone: Some(phone),
    };
    for text in [
        format!("{send:?}"),
        format!("{send:#?}"),
        format!("{check:?}"),
        format!("{check:#?}"),
    ] {
        assert!(!contains_number(&text), "{text}");
        assert!(!text.contains("918273"), "{text}");
    }
}

#[test]
fn errors_never_echo_the_input() {
    let inputs = [
        "+60 18-225 84911",
        "+60182258491 ext 9",
        "0182258491",
        "+999182258491",
    ];
    for input in inputs {
        let error: PhoneNumberError = PhoneNumber::parse(input).expect_err("bad");
        let text = format!("{error} {error:?}");
        assert!(!text.contains("18225"), "{text}");
    }
    let otp_error = OtpCode::parse("12a456").expect_err("bad");
    assert!(!format!("{otp_error} {otp_error:?}").contains("12a456"));
}
