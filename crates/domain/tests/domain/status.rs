use chrono::{TimeZone, Utc};
use phone_verify_domain::{
    CheckResult, CheckVerdict, CodeState, DeliveryState, VerificationStatus,
};

#[test]
fn every_named_status_reads_back_from_its_stable_name() {
    use VerificationStatus::*;
    let named = [
        (Pending, "pending"),
        (Rejected, "rejected"),
        (ReviewNeeded, "review_needed"),
        (Verified, "verified"),
        (Incomplete, "incomplete"),
        (InProgress, "in_progress"),
        (Failed, "failed"),
        (Empty, "empty"),
    ];
    for (status, name) in named {
        assert_eq!(status.stable_name(), Some(name));
        assert_eq!(status.as_str(), name);
        assert_eq!(status.to_string(), name);
        assert_eq!(name.parse::<VerificationStatus>(), Ok(status));
    }
}

#[test]
fn a_status_without_a_meaning_keeps_its_raw_value_and_has_no_stable_name() {
    let status = VerificationStatus::Other {
        name: "canceled".into(),
        code: None,
    };
    assert_eq!(status.stable_name(), None);
    assert_eq!(status.as_str(), "canceled");
    assert_eq!(status.to_string(), "canceled");
    // A raw value is not a name, whatever it spells: only the stable names read back.
    for raw in ["canceled", "PENDING", "VERIFIED", ""] {
        let refused = raw.parse::<VerificationStatus>().expect_err(raw);
        assert_eq!(refused.what(), "verification status");
    }
}

#[test]
fn every_named_code_state_reads_back_and_an_unnamed_one_stays_raw() {
    use CodeState::*;
    let named = [
        (Unknown, "unknown"),
        (Valid, "valid"),
        (Invalid, "invalid"),
        (Expired, "expired"),
        (MaxAttemptsExceeded, "max_attempts_exceeded"),
    ];
    for (state, name) in named {
        assert_eq!(state.stable_name(), Some(name));
        assert_eq!(name.parse::<CodeState>(), Ok(state));
    }
    let locked = Other("LOCKED".into());
    assert_eq!((locked.stable_name(), locked.as_str()), (None, "LOCKED"));
    assert!(
        "VALID".parse::<CodeState>().is_err(),
        "IDMeta's spelling is not ours"
    );
}

#[test]
fn every_named_delivery_state_reads_back_and_an_unnamed_one_keeps_code_and_text() {
    use DeliveryState::*;
    for (state, name) in [
        (InProgress, "in_progress"),
        (Delivered, "delivered"),
        (NotReported, "not_reported"),
    ] {
        assert_eq!(state.stable_name(), Some(name));
        assert_eq!(name.parse::<DeliveryState>(), Ok(state));
    }
    let carrier = Other {
        code: Some(207),
        description: "Undeliverable".into(),
    };
    assert_eq!(carrier.stable_name(), None);
    assert_eq!(carrier.as_str(), "Undeliverable");
}

fn result(code_state: CodeState, status: VerificationStatus) -> CheckResult {
    let checked_at = Utc
        .with_ymd_and_hms(2026, 5, 14, 10, 1, 0)
        .single()
        .expect("valid time");
    CheckResult::new(code_state, status, checked_at)
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
