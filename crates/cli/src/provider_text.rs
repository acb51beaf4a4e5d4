//! The provider's free text (a delivery description, an unlisted code state or status), made
//! safe for a terminal before the text output prints it.
//!
//! The provider may send anything there: escape sequences that rewrite the screen, a carriage
//! return or line feed that forges a line of our output, bidirectional controls that reorder
//! it, an echo of the phone number, or a page of text. [`clean`] escapes every control and
//! invisible formatting character, masks every digit run that could be a phone number, and
//! caps the length. JSON output needs none of this: `serde_json` escapes control characters,
//! and scripts get the provider's values as they came.

use phone_verify::PhoneNumber;

/// Longest text printed, in characters, the `…` that marks a cut included.
pub(crate) const MAX_CHARS: usize = 100;

/// A run of this many digits or more (separators aside) may be a phone number: the shortest
/// national significant numbers with a country code are about this long.
const MIN_NUMBER_DIGITS: usize = 7;

/// `raw` with control and invisible formatting characters escaped (`\u{1b}`), every run of
/// at least seven digits masked (`+60*****8491` when it is a valid international number,
/// every digit as `*` otherwise), cut to [`MAX_CHARS`].
pub(crate) fn clean(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::new();
    let mut at = 0;
    while at < chars.len() {
        match number_end(&chars, at) {
            Some(end) => {
                push_number(&mut out, &chars[at..end]);
                at = end;
            }
            None => {
                push_char(&mut out, chars[at]);
                at += 1;
            }
        }
    }
    cap(out)
}

/// Where the run of digits and separators that starts at `at` (with a digit, or a `+` before
/// one) ends, after its last digit; `None` when no run starts there.
fn number_end(chars: &[char], at: usize) -> Option<usize> {
    let first_digit = if chars[at] == '+' { at + 1 } else { at };
    if !chars.get(first_digit).copied().is_some_and(is_digit) {
        return None;
    }
    let mut end = first_digit + 1;
    for (offset, &c) in chars[first_digit + 1..].iter().enumerate() {
        if is_digit(c) {
            end = first_digit + offset + 2;
        } else if !is_separator(c) {
            break;
        }
    }
    Some(end)
}

/// Any character a reader takes for a digit (full-width and other scripts' digits too).
fn is_digit(c: char) -> bool {
    c.is_numeric()
}

/// What numbers are written with between their digits, and what a hostile text could hide
/// between them so that no run looks long.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')' | '/') || is_hidden(c)
}

fn push_number(out: &mut String, run: &[char]) {
    if run.iter().filter(|c| is_digit(**c)).count() < MIN_NUMBER_DIGITS {
        run.iter().for_each(|c| push_char(out, *c));
        return;
    }
    let text: String = run.iter().collect();
    match PhoneNumber::parse(&text) {
        Ok(number) => out.push_str(&number.masked()),
        Err(_) => {
            for &c in run {
                if is_digit(c) {
                    out.push('*');
                } else {
                    push_char(out, c);
                }
            }
        }
    }
}

fn push_char(out: &mut String, c: char) {
    if is_hidden(c) {
        out.extend(c.escape_unicode());
    } else {
        out.push(c);
    }
}

/// Control characters (C0, DEL, C1: escape, carriage return, line feed, tab, ...), line and
/// paragraph separators, and the invisible formatting characters: bidirectional controls,
/// zero-width characters, the byte-order mark, tags.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

fn cap(text: String) -> String {
    if text.chars().count() <= MAX_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::{MAX_CHARS, clean};

    #[test]
    fn ordinary_text_is_printed_as_it_came() {
        for text in [
            "Call in progress",
            "Verify success",
            "VALID",
            "MAX_ATTEMPTS_EXCEEDED",
        ] {
            assert_eq!(clean(text), text);
        }
        assert_eq!(
            clean("attempt 3 of 5, code 103"),
            "attempt 3 of 5, code 103"
        );
    }

    #[test]
    fn control_and_invisible_characters_are_escaped() {
        let cases = [
            ("\u{1b}[2J\u{1b}[31mred", "\\u{1b}[2J\\u{1b}[31mred"),
            (
                "ok\r\nphone-verify: forged",
                "ok\\u{d}\\u{a}phone-verify: forged",
            ),
            ("a\tb\u{7f}c\u{9b}d", "a\\u{9}b\\u{7f}c\\u{9b}d"),
            ("\u{202e}desrever", "\\u{202e}desrever"),
            (
                "x\u{2066}y\u{2069}z\u{200b}\u{feff}",
                "x\\u{2066}y\\u{2069}z\\u{200b}\\u{feff}",
            ),
            ("line\u{2028}sep", "line\\u{2028}sep"),
        ];
        for (raw, printed) in cases {
            assert_eq!(clean(raw), printed, "{raw:?}");
        }
    }

    #[test]
    fn anything_that_could_be_a_phone_number_is_masked() {
        let cases = [
            ("sent to +60182258491", "sent to +60*****8491"),
            ("sent to +60 18-225 8491.", "sent to +60*****8491."),
            ("sent to 60182258491", "sent to ***********"),
            ("sent to 018-225 8491", "sent to ***-*** ****"),
            ("(018) 225 8491", "(***) *** ****"),
            ("+60\u{0}182\u{1b}258491", "+**\\u{0}***\\u{1b}******"),
            ("１８２２５８４９１", "*********"),
            ("code 103 in 12 s", "code 103 in 12 s"),
        ];
        for (raw, printed) in cases {
            assert_eq!(clean(raw), printed, "{raw:?}");
        }
    }

    #[test]
    fn long_text_is_cut_to_the_cap() {
        let printed = clean(&"a".repeat(10_000));
        assert_eq!(printed.chars().count(), MAX_CHARS);
        assert!(printed.ends_with('…'));
        let escapes = clean(&"\u{1b}".repeat(1_000));
        assert_eq!(escapes.chars().count(), MAX_CHARS);
    }
}
