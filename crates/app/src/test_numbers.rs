//! Test numbers: numbers (or ranges) that verify with a fixed code and never reach a
//! provider, for store reviewers, QA and load tests (`docs/architecture.md`, "Test numbers").
//!
//! A send to one is recorded under the provider
//! [`ProviderName::test`](phone_verify_domain::ProviderName::test) and counted by the
//! guards like any other; its fixed code verifies, any other code is a wrong attempt. Only
//! ever configured explicitly: there is no default list.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use phone_verify_domain::{
    Channels, CheckCodeRequest, CheckResult, GatewayError, OtpCode, OtpCodeError, PhoneNumber,
    PhoneNumberError, ProviderRules, ReferenceId, RejectionKind, SendCodeRequest, SendReceipt,
    VerificationGateway,
};

use crate::{Clock, IdSource, RandomIds};

/// The most entries a list of test numbers holds: each send to a number that is not one of
/// them walks the list, so it stays short (ranges cover many numbers in one entry).
pub const MAX_TEST_NUMBER_ENTRIES: usize = 1_000;

/// Why a list of test numbers could not be made. Never echoes a number or a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TestNumbersError {
    /// A number of the entry on this line (1-based; 0 when given to the builder) is not a
    /// valid number.
    #[error("line {line}: not a valid phone number")]
    Number {
        /// The line of the entry.
        line: usize,
        /// Why the number is not valid.
        #[source]
        source: PhoneNumberError,
    },
    /// The entry's code is not a code.
    #[error("line {line}: not a valid code")]
    Code {
        /// The line of the entry.
        line: usize,
        /// Why the code is not valid.
        #[source]
        source: OtpCodeError,
    },
    /// A range whose ends differ in length or country, or whose last number comes before its
    /// first.
    #[error("line {line}: a range runs from a number to a later one of the same length")]
    BadRange {
        /// The line of the entry.
        line: usize,
    },
    /// A number is in two entries: which code verifies it would be a guess.
    #[error("line {line}: a number of this entry is in an earlier one")]
    Overlap {
        /// The line of the entry.
        line: usize,
    },
    /// The line is not `<number or first..last> <code>`.
    #[error("line {line}: expected `<number> <code>` or `<first>..<last> <code>`")]
    Syntax {
        /// The line.
        line: usize,
    },
    /// More than [`MAX_TEST_NUMBER_ENTRIES`] entries.
    #[error("more than {MAX_TEST_NUMBER_ENTRIES} test number entries")]
    TooMany,
}

/// One entry: a number or a range, and its fixed code.
#[derive(Clone)]
struct Entry {
    /// The first number of the range (the number itself for one number).
    first: PhoneNumber,
    /// The last number of the range.
    last: PhoneNumber,
    /// The code that verifies every number of the entry.
    code: OtpCode,
}

impl Entry {
    /// Whether `phone` is one of the entry's numbers: E.164 forms of one length compare as
    /// numbers.
    fn contains(&self, phone: &PhoneNumber) -> bool {
        let e164 = phone.e164();
        e164.len() == self.first.e164().len()
            && self.first.e164() <= e164
            && e164 <= self.last.e164()
    }

    fn overlaps(&self, other: &Entry) -> bool {
        self.first.e164().len() == other.first.e164().len()
            && self.first.e164() <= other.last.e164()
            && other.first.e164() <= self.last.e164()
    }
}

/// Numbers that verify with a fixed code and never reach a provider.
///
/// `Debug` and `Display` mask every number and never show a code.
///
/// ```
/// use phone_verify_app::TestNumbers;
/// use phone_verify_domain::{OtpCode, PhoneNumber};
///
/// let numbers = TestNumbers::parse(
///     "# app store review\n+1 202 555 0100..+1 202 555 0199 424242\n+60 18-225 8491 000000\n",
/// )?;
/// assert!(numbers.contains(&PhoneNumber::parse("+12025550142")?));
/// assert!(!numbers.contains(&PhoneNumber::parse("+12025550200")?));
/// assert_eq!(numbers.to_string(), "+1******0100..+1******0199, +60*****8491");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct TestNumbers {
    entries: Vec<Entry>,
}

impl TestNumbers {
    /// No test numbers.
    pub fn new() -> Self {
        Self::default()
    }

    /// These test numbers and `phone`, verified by `code`.
    ///
    /// # Errors
    ///
    /// [`TestNumbersError::Overlap`] when the number is already a test number;
    /// [`TestNumbersError::TooMany`].
    pub fn number(self, phone: PhoneNumber, code: OtpCode) -> Result<Self, TestNumbersError> {
        self.push(
            0,
            Entry {
                first: phone.clone(),
                last: phone,
                code,
            },
        )
    }

    /// These test numbers and the numbers from `first` to `last` (same length, `last` not
    /// before `first`: `+1 202 555 0100` to `+1 202 555 0199`), each verified by `code`.
    ///
    /// # Errors
    ///
    /// [`TestNumbersError::BadRange`], [`TestNumbersError::Overlap`],
    /// [`TestNumbersError::TooMany`].
    pub fn range(
        self,
        first: PhoneNumber,
        last: PhoneNumber,
        code: OtpCode,
    ) -> Result<Self, TestNumbersError> {
        self.range_on(0, first, last, code)
    }

    /// Reads a list: one entry a line, `<number> <code>` or `<first>..<last> <code>`, the code
    /// the line's last word; blank lines and lines starting with `#` are skipped. Numbers are
    /// read as [`PhoneNumber::parse`] reads them (E.164, spaces allowed).
    ///
    /// # Errors
    ///
    /// The first entry that is not valid, by its line ([`TestNumbersError`]).
    pub fn parse(text: &str) -> Result<Self, TestNumbersError> {
        let mut numbers = Self::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let entry = raw.trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            let Some((numbers_part, code)) = entry.rsplit_once(char::is_whitespace) else {
                return Err(TestNumbersError::Syntax { line });
            };
            let code = OtpCode::parse(code.trim())
                .map_err(|source| TestNumbersError::Code { line, source })?;
            let number = |text: &str| {
                PhoneNumber::parse(text.trim())
                    .map_err(|source| TestNumbersError::Number { line, source })
            };
            numbers = match numbers_part.split_once("..") {
                Some((first, last)) => {
                    numbers.range_on(line, number(first)?, number(last)?, code)?
                }
                None => {
                    let phone = number(numbers_part)?;
                    numbers.push(
                        line,
                        Entry {
                            first: phone.clone(),
                            last: phone,
                            code,
                        },
                    )?
                }
            };
        }
        Ok(numbers)
    }

    fn range_on(
        self,
        line: usize,
        first: PhoneNumber,
        last: PhoneNumber,
        code: OtpCode,
    ) -> Result<Self, TestNumbersError> {
        if first.e164().len() != last.e164().len()
            || first.country_calling_code() != last.country_calling_code()
            || first.e164() > last.e164()
        {
            return Err(TestNumbersError::BadRange { line });
        }
        self.push(line, Entry { first, last, code })
    }

    fn push(mut self, line: usize, entry: Entry) -> Result<Self, TestNumbersError> {
        if self.entries.len() >= MAX_TEST_NUMBER_ENTRIES {
            return Err(TestNumbersError::TooMany);
        }
        if self.entries.iter().any(|earlier| earlier.overlaps(&entry)) {
            return Err(TestNumbersError::Overlap { line });
        }
        self.entries.push(entry);
        Ok(self)
    }

    /// Whether `phone` is a test number.
    pub fn contains(&self, phone: &PhoneNumber) -> bool {
        self.entry_of(phone).is_some()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many entries (numbers or ranges) the list has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    fn entry_of(&self, phone: &PhoneNumber) -> Option<(usize, &Entry)> {
        self.entries
            .iter()
            .enumerate()
            .find(|(_, entry)| entry.contains(phone))
    }

    /// The gateway that answers for the test numbers, its receipts and checks dated by
    /// `clock` (the use cases' own).
    pub(crate) fn gateway(self, clock: Arc<dyn Clock>) -> TestNumbersGateway {
        TestNumbersGateway {
            numbers: self,
            clock,
        }
    }
}

/// Masked numbers, never a code: `+1******0100..+1******0199, +60*****8491`.
impl fmt::Display for TestNumbers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, entry) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if entry.first == entry.last {
                write!(f, "{}", entry.first)?;
            } else {
                write!(f, "{}..{}", entry.first, entry.last)?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for TestNumbers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TestNumbers({self})")
    }
}

/// The prefix of a test send's reference: `test-<entry>-<random>`. The entry's index names
/// the fixed code a check of it compares with, so the gateway keeps no state (a restart with
/// the same list checks the codes it sent before).
const REFERENCE_PREFIX: &str = "test-";

/// The gateway of the test numbers: no request leaves the process.
#[derive(Clone)]
pub(crate) struct TestNumbersGateway {
    numbers: TestNumbers,
    clock: Arc<dyn Clock>,
}

impl TestNumbersGateway {
    /// The entry a check is of: by its send's reference, else by the number.
    fn entry_of(&self, request: &CheckCodeRequest) -> Option<&Entry> {
        if let Some(reference) = &request.reference {
            let index = reference
                .as_str()
                .strip_prefix(REFERENCE_PREFIX)?
                .split_once('-')?
                .0
                .parse::<usize>()
                .ok()?;
            return self.numbers.entries.get(index);
        }
        let phone = request.phone.as_ref()?;
        self.numbers.entry_of(phone).map(|(_, entry)| entry)
    }

    fn not_a_test_number() -> GatewayError {
        GatewayError::Rejected {
            kind: RejectionKind::NotFound,
            status: 404,
            message: Some("not a test number".to_owned()),
            field_errors: Default::default(),
        }
    }
}

#[async_trait]
impl VerificationGateway for TestNumbersGateway {
    async fn send_code(&self, request: &SendCodeRequest) -> Result<SendReceipt, GatewayError> {
        let Some((index, _)) = self.numbers.entry_of(&request.phone) else {
            return Err(Self::not_a_test_number());
        };
        let reference = ReferenceId::parse(&format!(
            "{REFERENCE_PREFIX}{index}-{:032x}",
            RandomIds.next_id().as_u128()
        ))
        .map_err(|error| GatewayError::RequestNotBuilt {
            source: Box::new(error),
        })?;
        Ok(SendReceipt::accepted(reference, self.clock.now()))
    }

    async fn check_code(&self, request: &CheckCodeRequest) -> Result<CheckResult, GatewayError> {
        let entry = self.entry_of(request).ok_or_else(Self::not_a_test_number)?;
        let now = self.clock.now();
        let result = if request.code == entry.code {
            CheckResult::verified(now)
        } else {
            CheckResult::wrong_code(now)
        };
        Ok(match &request.reference {
            Some(reference) => result.with_reference(reference.clone()),
            None => result,
        })
    }

    /// Each send a code of its own trust validation, on any channel; locale ignored.
    fn rules(&self) -> ProviderRules {
        ProviderRules::per_trust_validation()
            .offering(Channels::of(&phone_verify_domain::Channel::ALL))
    }
}

impl fmt::Debug for TestNumbersGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestNumbersGateway")
            .field("numbers", &self.numbers)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;
    use phone_verify_domain::TrustValidationId;

    fn phone(text: &str) -> PhoneNumber {
        PhoneNumber::parse(text).expect("a number")
    }

    fn code(text: &str) -> OtpCode {
        OtpCode::parse(text).expect("a code")
    }

    #[test]
    fn a_range_holds_its_ends_and_what_lies_between_and_nothing_else() {
        let numbers = TestNumbers::new()
            .range(phone("+12025550100"), phone("+12025550199"), code("424242"))
            .expect("a range");
        for inside in ["+12025550100", "+12025550150", "+12025550199"] {
            assert!(numbers.contains(&phone(inside)), "{inside}");
        }
        for outside in ["+12025550099", "+12025550200", "+60182258491"] {
            assert!(!numbers.contains(&phone(outside)), "{outside}");
        }
    }

    #[test]
    fn bad_lists_are_refused_by_line_without_quoting_them() {
        let cases = [
            ("+60182258491\n", TestNumbersError::Syntax { line: 1 }),
            (
                "\n+12025550199..+12025550100 1234\n",
                TestNumbersError::BadRange { line: 2 },
            ),
            (
                "+12025550100..+60182258491 1234\n",
                TestNumbersError::BadRange { line: 1 },
            ),
            (
                "+12025550100..+12025550199 1234\n# x\n+12025550150 9999\n",
                TestNumbersError::Overlap { line: 3 },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                TestNumbers::parse(text).map(|_| ()),
                Err(expected),
                "{text}"
            );
        }
        let bad_code = TestNumbers::parse("+60182258491 12ab").expect_err("a bad code");
        assert!(matches!(bad_code, TestNumbersError::Code { line: 1, .. }));
        assert!(!bad_code.to_string().contains("12ab"));
        let bad_number = TestNumbers::parse("+6018225 1234").expect_err("a bad number");
        assert!(matches!(
            bad_number,
            TestNumbersError::Number { line: 1, .. }
        ));
        assert!(!bad_number.to_string().contains("6018225"));
    }

    #[test]
    fn neither_debug_nor_display_shows_a_code_or_a_whole_number() {
        let numbers = TestNumbers::parse("+60182258491 918273").expect("a list");
        for shown in [format!("{numbers}"), format!("{numbers:?}")] {
            assert!(!shown.contains("918273"), "{shown}");
            assert!(!shown.contains("182258491"), "{shown}");
            assert!(shown.contains("+60*****8491"), "{shown}");
        }
    }

    #[tokio::test]
    async fn the_fixed_code_verifies_its_send_and_another_code_is_wrong() {
        let gateway = TestNumbers::parse("+12025550100..+12025550199 424242\n+60182258491 000000")
            .expect("a list")
            .gateway(Arc::new(ManualClock::new(chrono::Utc::now())));
        let tv = TrustValidationId::parse("tv-1").expect("an id");
        let malaysian = SendCodeRequest::new(phone("+60182258491"), tv.clone());
        let receipt = gateway.send_code(&malaysian).await.expect("sent");
        let check = |code_text: &str, reference: Option<ReferenceId>| CheckCodeRequest {
            code: code(code_text),
            trust_validation: tv.clone(),
            reference,
            phone: None,
        };
        let right = gateway
            .check_code(&check("000000", Some(receipt.reference.clone())))
            .await
            .expect("answered");
        assert!(right.is_verified());
        let wrong = gateway
            .check_code(&check("424242", Some(receipt.reference)))
            .await
            .expect("answered");
        assert_eq!(
            wrong.verdict(),
            phone_verify_domain::CheckVerdict::WrongCode
        );
        let other = SendCodeRequest::new(phone("+60182258492"), tv);
        assert!(matches!(
            gateway.send_code(&other).await,
            Err(GatewayError::Rejected { .. })
        ));
    }
}
