//! Phone numbers, validated against real numbering-plan metadata.

use std::fmt;
use std::str::FromStr;

use rlibphonenumber::{PHONE_NUMBER_UTIL, ParseError, PhoneNumberFormat, PhoneNumberType, Region};

/// Log targets of dependencies that write phone numbers in clear into their `log` records:
/// prefixes, so each covers every module below it (`rlibphonenumber::phonenumberutil::…`).
///
/// `rlibphonenumber` logs the digits it parses at `trace` and `debug` level through the `log`
/// crate. An application that forwards `log` records (for example `tracing-subscriber` with
/// its default `tracing-log` bridge) must keep them out of its logs. A target directive
/// (`rlibphonenumber=off`) is not enough: span and field directives (`[send_code]=trace`,
/// `[{phone}]=trace`) and longer targets re-enable them. `phone_verify_app::PhoneLogGuard`
/// (feature `log-guard`) is a layer that refuses these targets whatever the filter says.
///
/// ```
/// use phone_verify_domain::PHONE_LOGGING_TARGETS;
/// let target = "rlibphonenumber::phonenumberutil::phonenumberutil_internal";
/// assert!(PHONE_LOGGING_TARGETS.iter().any(|refused| target.starts_with(refused)));
/// ```
pub const PHONE_LOGGING_TARGETS: &[&str] = &["rlibphonenumber"];

/// Longest input accepted before any parsing is attempted.
///
/// The longest human-formatted international number is well under this; anything longer is
/// refused cheaply, so a hostile 10 kB string costs nothing.
pub const MAX_PHONE_INPUT_LEN: usize = 64;

/// Why a phone number was refused.
///
/// No variant carries the input: an error may be logged, and the input is personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneNumberError {
    /// The input was empty or only whitespace.
    #[error("phone number is empty")]
    Empty,
    /// The input was longer than [`MAX_PHONE_INPUT_LEN`] characters.
    #[error("phone number input is longer than {max} characters")]
    InputTooLong {
        /// The limit that was exceeded.
        max: usize,
    },
    /// The input held a character other than ASCII digits, spaces, `+`, `-`, `.`, `(`, `)` or
    /// `/` (letters, control characters, non-ASCII digits, extensions, ...).
    #[error("phone number contains a character that is not allowed")]
    InvalidCharacter,
    /// A national form was given without a region to interpret it in.
    #[error("phone number has no country code and no region was given")]
    MissingCountryCode,
    /// The country calling code is malformed or assigned to no country.
    #[error("phone number has an unknown or malformed country calling code")]
    InvalidCountryCode,
    /// The region is not a two-letter ISO 3166-1 code known to the numbering-plan metadata.
    #[error("region is not a known two-letter country code")]
    UnknownRegion,
    /// The national number is shorter than any number of its country.
    #[error("phone number is too short")]
    TooShort,
    /// The national number is longer than any number of its country.
    #[error("phone number is too long")]
    TooLong,
    /// The digits do not form a number that is valid in its country's numbering plan.
    #[error("phone number is not valid in its country's numbering plan")]
    NotValid,
}

/// A two-letter region (ISO 3166-1 alpha-2, upper case) known to the numbering-plan metadata.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode([u8; 2]);

impl RegionCode {
    /// Parses a region code such as `"MY"` or `"gb"`.
    ///
    /// # Errors
    ///
    /// [`PhoneNumberError::UnknownRegion`] when the input is not two ASCII letters naming a
    /// region with a numbering plan.
    pub fn parse(input: &str) -> Result<Self, PhoneNumberError> {
        let bytes = input.as_bytes();
        if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(PhoneNumberError::UnknownRegion);
        }
        let region = Region::from_code(input).map_err(|_| PhoneNumberError::UnknownRegion)?;
        PHONE_NUMBER_UTIL
            .get_country_code_for_region(region)
            .filter(|code| *code > 0)
            .ok_or(PhoneNumberError::UnknownRegion)?;
        Ok(Self([
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
        ]))
    }

    /// The code as an upper-case string, e.g. `"MY"`.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters, checked in `parse`.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The region the metadata assigned to a parsed number: known by construction, so only
    /// its form is checked (the non-geographic "001" has none of ours).
    fn assigned(region: Region) -> Option<Self> {
        match region.as_region_str().as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Some(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => None,
        }
    }

    fn to_region(self) -> Option<Region> {
        Region::from_code(self.as_str()).ok()
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.as_str())
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RegionCode {
    type Err = PhoneNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// What kind of line a number belongs to, from the numbering plan.
///
/// Used by abuse guards: premium-rate and shared-cost numbers are where SMS-pumping fraud pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NumberKind {
    /// A mobile number.
    Mobile,
    /// A fixed (landline) number.
    FixedLine,
    /// A number the plan cannot tell apart as mobile or fixed (e.g. the US).
    FixedLineOrMobile,
    /// A toll-free number.
    TollFree,
    /// A premium-rate number.
    PremiumRate,
    /// A shared-cost number.
    SharedCost,
    /// A voice-over-IP number.
    Voip,
    /// A personal (follow-me) number.
    PersonalNumber,
    /// A pager.
    Pager,
    /// A universal access number.
    UniversalAccess,
    /// A voicemail access number.
    Voicemail,
    /// Anything else the metadata does not classify.
    Unknown,
}

crate::stable_names!(NumberKind, "number kind", {
    Mobile => "mobile",
    FixedLine => "fixed_line",
    FixedLineOrMobile => "fixed_line_or_mobile",
    TollFree => "toll_free",
    PremiumRate => "premium_rate",
    SharedCost => "shared_cost",
    Voip => "voip",
    PersonalNumber => "personal_number",
    Pager => "pager",
    UniversalAccess => "universal_access",
    Voicemail => "voicemail",
    Unknown => "unknown",
});

impl From<PhoneNumberType> for NumberKind {
    fn from(value: PhoneNumberType) -> Self {
        match value {
            PhoneNumberType::Mobile => Self::Mobile,
            PhoneNumberType::FixedLine => Self::FixedLine,
            PhoneNumberType::FixedLineOrMobile => Self::FixedLineOrMobile,
            PhoneNumberType::TollFree => Self::TollFree,
            PhoneNumberType::PremiumRate => Self::PremiumRate,
            PhoneNumberType::SharedCost => Self::SharedCost,
            PhoneNumberType::VoIP => Self::Voip,
            PhoneNumberType::PersonalNumber => Self::PersonalNumber,
            PhoneNumberType::Pager => Self::Pager,
            PhoneNumberType::UAN => Self::UniversalAccess,
            PhoneNumberType::VoiceMail => Self::Voicemail,
            _ => Self::Unknown,
        }
    }
}

/// A phone number that is valid in its country's numbering plan.
///
/// Built only by [`PhoneNumber::parse`], [`PhoneNumber::parse_national`] or
/// [`PhoneNumber::from_parts`], which all run the same validation: real numbering-plan metadata
/// from `rlibphonenumber`, a maintained port of Google's libphonenumber.
///
/// `Debug` and `Display` mask it (`+60*****8491`), so a number that reaches a log line is not
/// leaked; the full number is reachable only through [`PhoneNumber::e164`] and the other explicit
/// accessors.
///
/// ```
/// use phone_verify_domain::PhoneNumber;
///
/// let number = PhoneNumber::parse("+60 18-225 8491")?;
/// assert_eq!(number.e164(), "+60182258491");
/// assert_eq!(number.country_calling_code(), "+60");
/// assert_eq!(number.national_number(), "182258491");
/// assert_eq!(number.to_string(), "+60*****8491");
/// # Ok::<(), phone_verify_domain::PhoneNumberError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    e164: String,
    /// Length of the `+` and the country calling code at the start of `e164`.
    prefix_len: usize,
    region: Option<RegionCode>,
    kind: NumberKind,
}

impl PhoneNumber {
    /// Parses an international number: E.164 (`+60182258491`) or a human form with a leading
    /// `+` (`+60 18-225 8491`).
    ///
    /// # Errors
    ///
    /// Any [`PhoneNumberError`]; [`PhoneNumberError::MissingCountryCode`] when there is no `+`.
    pub fn parse(input: &str) -> Result<Self, PhoneNumberError> {
        Self::validate(input, None)
    }

    /// Parses a number in the national form of `region` (`018-225 8491` in `MY`), or an
    /// international form, which then wins over the region.
    ///
    /// # Errors
    ///
    /// Any [`PhoneNumberError`].
    pub fn parse_national(input: &str, region: RegionCode) -> Result<Self, PhoneNumberError> {
        Self::validate(input, Some(region))
    }

    /// Builds a number from the provider's split form: a dialling code with its `+` (`"+60"`)
    /// and the national significant number (`"182258491"`).
    ///
    /// # Errors
    ///
    /// [`PhoneNumberError::InvalidCountryCode`] when `country_code` is not `+` and one to three
    /// digits, [`PhoneNumberError::InvalidCharacter`] when `national_number` is not all ASCII
    /// digits, and any other [`PhoneNumberError`] from validation.
    pub fn from_parts(country_code: &str, national_number: &str) -> Result<Self, PhoneNumberError> {
        let digits = country_code
            .strip_prefix('+')
            .ok_or(PhoneNumberError::InvalidCountryCode)?;
        if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneNumberError::InvalidCountryCode);
        }
        if national_number.trim().is_empty() {
            return Err(PhoneNumberError::Empty);
        }
        if !national_number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneNumberError::InvalidCharacter);
        }
        if national_number.len() > MAX_PHONE_INPUT_LEN {
            return Err(PhoneNumberError::InputTooLong {
                max: MAX_PHONE_INPUT_LEN,
            });
        }
        let number = Self::validate(&format!("+{digits}{national_number}"), None)?;
        if number.country_calling_code() != country_code {
            return Err(PhoneNumberError::InvalidCountryCode);
        }
        Ok(number)
    }

    /// The one validation every constructor runs.
    fn validate(input: &str, region: Option<RegionCode>) -> Result<Self, PhoneNumberError> {
        if input.chars().count() > MAX_PHONE_INPUT_LEN {
            return Err(PhoneNumberError::InputTooLong {
                max: MAX_PHONE_INPUT_LEN,
            });
        }
        let trimmed = input.trim_matches(|c: char| c == ' ');
        if trimmed.is_empty() {
            return Err(PhoneNumberError::Empty);
        }
        // libphonenumber is lenient on purpose (letters as keypad digits, full-width and
        // Arabic-Indic digits, extensions, `tel:` URIs). A number we will send an SMS to has
        // none of those, so refuse them before it sees the input.
        if !trimmed.bytes().all(|b| {
            b.is_ascii_digit() || matches!(b, b' ' | b'+' | b'-' | b'.' | b'(' | b')' | b'/')
        }) {
            return Err(PhoneNumberError::InvalidCharacter);
        }
        if trimmed.bytes().filter(|b| *b == b'+').count() > 1
            || trimmed.find('+').is_some_and(|at| at != 0)
        {
            return Err(PhoneNumberError::InvalidCharacter);
        }
        if !trimmed.starts_with('+') && region.is_none() {
            return Err(PhoneNumberError::MissingCountryCode);
        }
        let parsed = PHONE_NUMBER_UTIL
            .parse(trimmed, region.and_then(RegionCode::to_region))
            .map_err(|error| match error {
                ParseError::InvalidCountryCode => PhoneNumberError::InvalidCountryCode,
                ParseError::TooShortAfterIdd | ParseError::TooShortNsn => {
                    PhoneNumberError::TooShort
                }
                ParseError::TooLongNsn => PhoneNumberError::TooLong,
                ParseError::NotANumber(_) => PhoneNumberError::NotValid,
            })?;
        if !parsed.is_valid() {
            return Err(PhoneNumberError::NotValid);
        }
        let e164 = parsed.format_as(PhoneNumberFormat::E164).into_owned();
        let prefix_len = 1 + parsed.country_code.to_string().len();
        let region = parsed.get_region_code().and_then(RegionCode::assigned);
        Ok(Self {
            prefix_len,
            region,
            kind: parsed.get_type().into(),
            e164,
        })
    }

    /// The full number in E.164 form, e.g. `"+60182258491"`.
    ///
    /// This is personal data: do not log it. `Display` gives a masked form for logs.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// The country calling code as the provider wants it, with its `+`, e.g. `"+60"`.
    pub fn country_calling_code(&self) -> &str {
        &self.e164[..self.prefix_len]
    }

    /// The national significant number, without country code or national prefix, e.g.
    /// `"182258491"`. Personal data: do not log it.
    pub fn national_number(&self) -> &str {
        &self.e164[self.prefix_len..]
    }

    /// The region the number belongs to, when the plan assigns it to one (a few shared codes,
    /// such as `+800`, have none).
    pub fn region(&self) -> Option<RegionCode> {
        self.region
    }

    /// The kind of line, from the numbering plan.
    pub fn kind(&self) -> NumberKind {
        self.kind
    }

    /// A form safe for logs: the country code and the last digits, the rest as `*`
    /// (`+60*****8491`). At most 4 and at most half of the national digits stay visible.
    pub fn masked(&self) -> String {
        let national = self.national_number();
        let visible = (national.len() / 2).min(4);
        let hidden = national.len() - visible;
        let mut out = String::with_capacity(self.e164.len());
        out.push_str(self.country_calling_code());
        out.extend(std::iter::repeat_n('*', hidden));
        out.push_str(&national[hidden..]);
        out
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

/// Masked, for logs: see [`PhoneNumber::masked`].
impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl FromStr for PhoneNumber {
    type Err = PhoneNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for PhoneNumber {
    type Error = PhoneNumberError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}
