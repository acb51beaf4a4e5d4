//! IDMeta's wire vocabulary and the one mapping from it onto the domain's meanings: the
//! upper-snake names of `verificationStatus` and `data.verify.codeState`, and the carrier codes
//! of `data.status` (`docs/provider-api.md`, "Status vocabularies").
//!
//! A name decides the meaning; `verificationStatusCode` is kept only with a name this mapping
//! does not know (which of IDMeta's two code tables it follows is not documented: 0 = `PENDING`
//! and 3 = `VERIFIED` are both seen). A value it does not know is kept raw as `Other`, never an
//! error.

use phone_verify_domain::{CodeState, DeliveryState, VerificationStatus};

/// `verificationStatus`, with `verificationStatusCode` for a name not listed here.
pub(crate) fn verification_status(name: &str, code: Option<i64>) -> VerificationStatus {
    match name {
        "PENDING" => VerificationStatus::Pending,
        "REJECTED" => VerificationStatus::Rejected,
        "REVIEW_NEEDED" => VerificationStatus::ReviewNeeded,
        "VERIFIED" => VerificationStatus::Verified,
        "INCOMPLETE" => VerificationStatus::Incomplete,
        "IN_PROGRESS" => VerificationStatus::InProgress,
        "FAILED" => VerificationStatus::Failed,
        "EMPTY" => VerificationStatus::Empty,
        _ => VerificationStatus::unlisted(name, code),
    }
}

/// `data.verify.codeState`: `UNKNOWN` and `VALID` are documented, the others assumed.
pub(crate) fn code_state(value: &str) -> CodeState {
    match value {
        "UNKNOWN" => CodeState::Unknown,
        "VALID" => CodeState::Valid,
        "INVALID" => CodeState::Invalid,
        "EXPIRED" => CodeState::Expired,
        "MAX_ATTEMPTS_EXCEEDED" => CodeState::MaxAttemptsExceeded,
        other => CodeState::unlisted(other),
    }
}

/// `data.status.code`: the two documented codes, 103 "Call in progress" (on a send) and 200
/// "Verify success" (on a verify: the code came back, so the SMS arrived). Every other code
/// follows the upstream carrier's open set and is kept with its description.
pub(crate) fn delivery_state(code: i64, description: &str) -> DeliveryState {
    match code {
        103 => DeliveryState::InProgress,
        200 => DeliveryState::Delivered,
        _ => DeliveryState::Other {
            code: Some(code),
            description: description.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_status_name_has_its_meaning_whatever_its_code() {
        use VerificationStatus::*;
        // IDMeta's names with the codes its documentation gives them.
        let documented = [
            ("PENDING", 0, Pending),
            ("REJECTED", 1, Rejected),
            ("REVIEW_NEEDED", 2, ReviewNeeded),
            ("VERIFIED", 3, Verified),
            ("INCOMPLETE", 4, Incomplete),
            ("IN_PROGRESS", 5, InProgress),
            ("FAILED", 6, Failed),
            ("EMPTY", 99, Empty),
        ];
        for (name, code, meaning) in documented {
            assert_eq!(verification_status(name, Some(code)), meaning, "{name}");
            assert_eq!(verification_status(name, Some(42)), meaning, "{name}");
            assert_eq!(verification_status(name, None), meaning, "{name}");
        }
    }

    #[test]
    fn an_unlisted_status_keeps_its_raw_name_and_code() {
        assert_eq!(
            verification_status("ON_HOLD", Some(42)),
            VerificationStatus::Other {
                name: "ON_HOLD".into(),
                code: Some(42)
            }
        );
        // The domain's own spelling is not IDMeta's.
        assert!(matches!(
            verification_status("verified", Some(3)),
            VerificationStatus::Other { .. }
        ));
    }

    #[test]
    fn an_unlisted_status_that_is_no_short_token_is_never_kept_as_sent() {
        let hostile = [
            "SENT_TO_+60182258491".to_owned(),
            "60182258491".to_owned(),
            "CODE_918273".to_owned(),
            "ON\u{1b}[31mHOLD".to_owned(),
            "A".repeat(64 * 1024),
        ];
        for raw in hostile {
            assert_eq!(
                verification_status(&raw, Some(7)),
                VerificationStatus::Other {
                    name: "unlisted".into(),
                    code: Some(7)
                },
                "{}",
                raw.len()
            );
            assert_eq!(code_state(&raw), CodeState::Other("unlisted".into()));
        }
    }

    #[test]
    fn every_code_state_has_its_meaning_and_an_unlisted_one_stays_raw() {
        use CodeState::*;
        for (name, meaning) in [
            ("UNKNOWN", Unknown),
            ("VALID", Valid),
            ("INVALID", Invalid),
            ("EXPIRED", Expired),
            ("MAX_ATTEMPTS_EXCEEDED", MaxAttemptsExceeded),
        ] {
            assert_eq!(code_state(name), meaning, "{name}");
        }
        assert_eq!(code_state("LOCKED"), Other("LOCKED".into()));
    }

    #[test]
    fn the_documented_delivery_codes_have_meanings_and_carrier_codes_stay_raw() {
        assert_eq!(
            delivery_state(103, "Call in progress"),
            DeliveryState::InProgress
        );
        assert_eq!(
            delivery_state(200, "Verify success"),
            DeliveryState::Delivered
        );
        assert_eq!(
            delivery_state(207, "Undeliverable"),
            DeliveryState::Other {
                code: Some(207),
                description: "Undeliverable".into()
            }
        );
    }
}
