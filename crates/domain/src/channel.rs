//! How a code reaches the end user (a text, a voice call, a WhatsApp message), the language
//! of the message, and the Android app hash an SMS may carry: what a send asks for beyond the
//! number, and what each provider's adapter declares it honours ([`crate::ProviderRules`]).

use std::fmt;
use std::str::FromStr;

/// How a code reaches the end user.
///
/// Not `#[non_exhaustive]`: a record keeps the channel by its stable name ([`Channel::as_str`],
/// read back with `FromStr`), and a new channel must be a compile error where channels are
/// mapped (an adapter's wire value, a store's column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Channel {
    /// A text message (the default, and the only channel every provider offers).
    #[default]
    Sms,
    /// A voice call that reads the code out: for a landline, or an end user whose SMS did not
    /// arrive ("no SMS? call me instead"). Usually priced above an SMS.
    Call,
    /// A WhatsApp message.
    WhatsApp,
}

crate::stable_names!(Channel, "channel", {
    Sms => "sms",
    Call => "call",
    WhatsApp => "whatsapp",
});

impl Channel {
    /// Every channel, in declaration order.
    pub const ALL: [Channel; 3] = [Channel::Sms, Channel::Call, Channel::WhatsApp];

    const fn bit(self) -> u8 {
        match self {
            Self::Sms => 1,
            Self::Call => 2,
            Self::WhatsApp => 4,
        }
    }
}

/// A set of channels: the ones a provider's adapter offers ([`crate::ProviderRules::channels`]).
///
/// ```
/// use phone_verify_domain::{Channel, Channels};
/// let twilio = Channels::of(&[Channel::Sms, Channel::Call, Channel::WhatsApp]);
/// assert!(twilio.contains(Channel::Call));
/// assert!(!Channels::SMS.contains(Channel::WhatsApp));
/// assert_eq!(twilio.to_string(), "sms, call, whatsapp");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Channels(u8);

impl Channels {
    /// SMS alone: what an adapter declares unless it says otherwise.
    pub const SMS: Channels = Channels(Channel::Sms.bit());

    /// The set of `channels`.
    pub const fn of(channels: &[Channel]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < channels.len() {
            bits |= channels[i].bit();
            i += 1;
        }
        Self(bits)
    }

    /// Whether `channel` is in the set.
    pub const fn contains(self, channel: Channel) -> bool {
        self.0 & channel.bit() != 0
    }

    /// The channels of the set, in [`Channel::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = Channel> {
        Channel::ALL
            .into_iter()
            .filter(move |channel| self.contains(*channel))
    }
}

impl Default for Channels {
    fn default() -> Self {
        Self::SMS
    }
}

impl fmt::Debug for Channels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for Channels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, channel) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(channel.as_str())?;
        }
        Ok(())
    }
}

/// The longest locale tag accepted (BCP 47 allows long tags; a provider's list holds short
/// ones like `en`, `pt-BR`, `zh-HK`).
pub const MAX_LOCALE_LEN: usize = 35;

/// Why a locale tag was refused. Never echoes the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocaleError {
    /// The input was empty.
    #[error("locale is empty")]
    Empty,
    /// The input was longer than [`MAX_LOCALE_LEN`].
    #[error("locale is longer than {MAX_LOCALE_LEN} characters")]
    TooLong,
    /// The input was not a language tag: a language of 2 or 3 letters, then subtags of 1 to
    /// 8 letters or digits, each after a `-`.
    #[error("locale must be a language tag such as `en`, `pt-BR` or `zh-HK`")]
    NotATag,
}

/// The language the end user reads or hears the message in: a BCP 47 language tag (`en`,
/// `ms`, `pt-BR`, `zh-HK`), kept as given.
///
/// Without one, Twilio Verify picks the language from the number's country, so a `+60`
/// number gets Malay even in an English sign-up. IDMeta writes its own message and ignores
/// it ([`crate::ProviderRules::honours_locale`]). Which tags a provider supports is its own
/// list, and a tag outside it is the provider's refusal of the request (nothing sent, not
/// retried without the locale: `docs/provider-api.md`, "Not handled").
///
/// ```
/// use phone_verify_domain::Locale;
/// assert_eq!(Locale::parse("pt-BR")?.as_str(), "pt-BR");
/// assert!(Locale::parse("english please").is_err());
/// # Ok::<(), phone_verify_domain::LocaleError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Locale(String);

impl Locale {
    /// Validates a language tag.
    ///
    /// # Errors
    ///
    /// [`LocaleError`]: empty, too long, or not a tag.
    pub fn parse(input: &str) -> Result<Self, LocaleError> {
        if input.is_empty() {
            return Err(LocaleError::Empty);
        }
        if input.len() > MAX_LOCALE_LEN {
            return Err(LocaleError::TooLong);
        }
        let mut subtags = input.split('-');
        let language = subtags.next().unwrap_or_default();
        let language_ok =
            (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_alphabetic());
        let rest_ok = subtags.all(|subtag| {
            (1..=8).contains(&subtag.len()) && subtag.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if !(language_ok && rest_ok) {
            return Err(LocaleError::NotATag);
        }
        Ok(Self(input.to_owned()))
    }

    /// The tag as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Locale {
    type Err = LocaleError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

/// How many characters an app hash has.
pub const APP_HASH_LEN: usize = 11;

/// Why an app hash was refused. Never echoes the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an app hash is {APP_HASH_LEN} characters of A-Z, a-z, 0-9, + and /")]
pub struct AppHashError;

/// An Android app's hash string (11 characters of base 64), which an SMS carries at its end so
/// that Android's SMS Retriever hands the code to that app without the end user typing it.
/// Twilio Verify appends it (`AppHash`) to SMS only, and refuses it with any other channel
/// (error 60602), so its adapter sends it with SMS alone. Not a secret: it is in every message.
///
/// ```
/// use phone_verify_domain::AppHash;
/// assert_eq!(AppHash::parse("He42w354ol9")?.as_str(), "He42w354ol9");
/// assert!(AppHash::parse("short").is_err());
/// # Ok::<(), phone_verify_domain::AppHashError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppHash(String);

impl AppHash {
    /// Validates an app hash.
    ///
    /// # Errors
    ///
    /// [`AppHashError`] unless the input is exactly [`APP_HASH_LEN`] base-64 characters.
    pub fn parse(input: &str) -> Result<Self, AppHashError> {
        let base64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
        if input.len() != APP_HASH_LEN || !input.bytes().all(base64) {
            return Err(AppHashError);
        }
        Ok(Self(input.to_owned()))
    }

    /// The hash as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AppHash {
    type Err = AppHashError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_read_back_by_their_stable_names() {
        for channel in Channel::ALL {
            assert_eq!(channel.as_str().parse::<Channel>(), Ok(channel));
        }
        assert!("SMS".parse::<Channel>().is_err(), "names are exact");
        assert_eq!(Channel::default(), Channel::Sms);
    }

    #[test]
    fn a_set_holds_what_it_was_made_of() {
        let set = Channels::of(&[Channel::WhatsApp, Channel::Sms]);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Channel::Sms, Channel::WhatsApp]
        );
        assert!(!set.contains(Channel::Call));
        assert_eq!(Channels::default(), Channels::SMS);
        assert_eq!(format!("{set:?}"), "{Sms, WhatsApp}");
    }

    #[test]
    fn locales_are_language_tags() {
        for good in ["en", "ms", "pt-BR", "zh-HK", "es-419", "sr-Latn-RS", "fil"] {
            assert_eq!(
                Locale::parse(good).map(|l| l.to_string()),
                Ok(good.to_owned())
            );
        }
        assert_eq!(Locale::parse(""), Err(LocaleError::Empty));
        assert_eq!(Locale::parse(&"a".repeat(36)), Err(LocaleError::TooLong));
        for bad in [
            "e",
            "engl",
            "en_GB",
            "en-",
            "-en",
            "en--GB",
            "en GB",
            "e1",
            "en-abcdefghi",
        ] {
            assert_eq!(Locale::parse(bad), Err(LocaleError::NotATag), "{bad}");
        }
    }

    #[test]
    fn app_hashes_are_eleven_base64_characters() {
        assert!(AppHash::parse("He42w354ol9").is_ok());
        assert!(AppHash::parse("KRkY+kXZhTh").is_ok());
        for bad in [
            "",
            "He42w354ol",
            "He42w354ol9x",
            "He42w354ol=",
            "He42w354öl",
        ] {
            assert_eq!(AppHash::parse(bad), Err(AppHashError), "{bad}");
        }
    }
}
