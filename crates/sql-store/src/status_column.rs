//! The `status` and `status_code` columns of an answered check: the verification status the
//! provider reported, in the domain's stable names, read back tolerantly from the spellings
//! earlier versions wrote (`docs/storage.md`, "The status of a check").
//!
//! - A status the domain names is written as its stable name (`verified`), without a code.
//! - A status kept as the provider sent it (`VerificationStatus::Other`) is written as
//!   `other:` and the raw value, with the provider's code if it gave one, so that a raw value
//!   which happens to spell a stable name still reads back as the raw value it was.
//! - Rows of versions up to 0.1 hold IDMeta's upper-snake names (`VERIFIED`) with IDMeta's
//!   numeric codes, and the raw value alone for a status IDMeta's mapping did not know: they
//!   read as the meaning the name had then (the stable names are those names in lowercase),
//!   or as that raw value with its code.
//!
//! No migration rewrites old rows (the schema is additive, `docs/storage.md`): the reader
//! accepts every spelling ever written, the writer writes only the current one.

use phone_verify_domain::VerificationStatus;

/// What marks a raw value in the `status` column.
const OTHER_PREFIX: &str = "other:";

/// The columns of `status`: the text and the code.
pub(crate) fn write(status: &VerificationStatus) -> (String, Option<i64>) {
    match status {
        VerificationStatus::Other { name, code } => (format!("{OTHER_PREFIX}{name}"), *code),
        named => (named.as_str().to_owned(), None),
    }
}

/// The status the columns hold, in any spelling a version of this crate wrote.
pub(crate) fn read(text: &str, code: Option<i64>) -> VerificationStatus {
    if let Ok(named) = text.parse() {
        return named;
    }
    if let Some(raw) = text.strip_prefix(OTHER_PREFIX) {
        return VerificationStatus::Other {
            name: raw.to_owned(),
            code,
        };
    }
    written_before_stable_names(text).unwrap_or_else(|| VerificationStatus::Other {
        name: text.to_owned(),
        code,
    })
}

/// A name versions up to 0.1 wrote: IDMeta's own, upper-snake, whose lowercase is the stable
/// name of the same meaning (`VERIFIED`, `REVIEW_NEEDED`). Their codes are not needed to read
/// them.
fn written_before_stable_names(text: &str) -> Option<VerificationStatus> {
    let upper_snake = !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte == b'_');
    upper_snake
        .then(|| text.to_ascii_lowercase().parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other(name: &str, code: Option<i64>) -> VerificationStatus {
        VerificationStatus::Other {
            name: name.to_owned(),
            code,
        }
    }

    #[test]
    fn every_status_reads_back_as_it_was_written() {
        use VerificationStatus::*;
        let statuses = [
            Pending,
            Rejected,
            ReviewNeeded,
            Verified,
            Incomplete,
            InProgress,
            Failed,
            Empty,
            other("canceled", None),
            other("ON_HOLD", Some(42)),
            // Raw values that spell a stable name, an old name or the marker stay raw.
            other("verified", Some(3)),
            other("VERIFIED", None),
            other("other:x", None),
            other("", None),
        ];
        for status in statuses {
            let (text, code) = write(&status);
            assert_eq!(read(&text, code), status, "{text:?} {code:?}");
        }
    }

    #[test]
    fn a_named_status_is_written_as_its_stable_name_without_a_code() {
        assert_eq!(
            write(&VerificationStatus::Verified),
            ("verified".to_owned(), None)
        );
        assert_eq!(
            write(&other("canceled", Some(7))),
            ("other:canceled".to_owned(), Some(7))
        );
    }

    #[test]
    fn the_spellings_of_earlier_versions_read_as_what_they_meant() {
        use VerificationStatus::*;
        let old = [
            ("PENDING", Some(0), Pending),
            ("REJECTED", Some(1), Rejected),
            ("REVIEW_NEEDED", Some(2), ReviewNeeded),
            ("VERIFIED", Some(3), Verified),
            ("INCOMPLETE", Some(4), Incomplete),
            ("IN_PROGRESS", Some(5), InProgress),
            ("FAILED", Some(6), Failed),
            ("EMPTY", Some(99), Empty),
            // A status IDMeta's mapping did not know was written raw, with its code.
            ("SOMETHING_NEW", Some(42), other("SOMETHING_NEW", Some(42))),
            ("ON_HOLD", None, other("ON_HOLD", None)),
            // Only the exact upper-snake spelling was IDMeta's.
            ("Verified", Some(3), other("Verified", Some(3))),
        ];
        for (text, code, meaning) in old {
            assert_eq!(read(text, code), meaning, "{text}");
        }
    }
}
