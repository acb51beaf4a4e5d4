use chrono::{TimeZone, Utc};
use phone_verify_domain::{
    CheckResult, CheckVerdict, CodeState, DeliveryStatus, VerificationStatus,
};

#[test]
fn documented_statuses_map_to_their_codes() {
    let cases = [
        ("PENDING", 0),
        ("REJECTED", 1),
        ("REVIEW_NEEDED", 2),
        ("VERIFIED", 3),
        ("INCOMPLETE", 4),
        ("IN_PROGRESS", 5),
        ("FAILED", 6),
        ("EMPTY", 99),
    ];
    for (name, code) in cases {
        let status = VerificationStatus::from_wire(name, Some(code));
        assert!(
            !matches!(status, VerificationStatus::Other { .. }),
            "{name}"
        );
        assert_eq!(status.as_str(), name);
        assert_eq!(status.code(), Some(code));
    }
}

#[test]
fn an_unknown_status_keeps_its_raw_name_and_code() {
    let status = VerificationStatus::from_wire("ON_HOLD", Some(42));
    assert_eq!(
        status,
        VerificationStatus::Other {
            name: "ON_HOLD".into(),
            code: Some(42)
        }
    );
    assert_eq!(status.to_string(), "ON_HOLD");
    assert_eq!(status.code(), Some(42));
}

#[test]
fn code_states_round_trip_and_keep_unknown_values() {
    for name in [
        "UNKNOWN",
        "VALID",
        "INVALID",
        "EXPIRED",
        "MAX_ATTEMPTS_EXCEEDED",
    ] {
        let state = CodeState::from_wire(name);
        assert!(!matches!(state, CodeState::Other(_)), "{name}");
        assert_eq!(state.as_str(), name);
    }
    assert_eq!(
        CodeState::from_wire("LOCKED"),
        CodeState::Other("LOCKED".into())
    );
}

fn result(code_state: CodeState, status: VerificationStatus) -> CheckResult {
    CheckResult {
        code_state,
        verification_status: status,
        delivery: DeliveryStatus {
            code: 200,
            description: "Verify success".into(),
            updated_on: None,
        },
        reference: None,
        checked_at: Utc
            .with_ymd_and_hms(2026, 5, 14, 10, 1, 0)
            .single()
            .expect("valid time"),
    }
}

#[test]
fn the_verdict_reads_the_code_state_and_the_status_together() {
    use CheckVerdict::*;
    use VerificationStatus as S;
    let cases = [
        (CodeState::Valid, S::Verified, Verified),
        (CodeState::Invalid, S::Pending, WrongCode),
        (CodeState::Expired, S::Rejected, Expired),
        (CodeState::MaxAttemptsExceeded, S::Rejected, TooManyAttempts),
        (CodeState::Unknown, S::Pending, Undetermined),
        (CodeState::Other("LOCKED".into()), S::Pending, Undetermined),
        (CodeState::Valid, S::Rejected, Undetermined),
    ];
    for (state, status, verdict) in cases {
        let r = result(state.clone(), status.clone());
        assert_eq!(r.verdict(), verdict, "{state} {status}");
        assert_eq!(r.is_verified(), verdict == Verified);
    }
}
