//! A command line clap refused, told without the values typed.
//!
//! clap's own text quotes them (`invalid value '482913' for '--limit <LIMIT>'`, `unexpected
//! argument '+60182258491' found`), so a code or a phone number typed into the wrong place
//! would be printed back, to a terminal, a CI log or a script's JSON. The text here names the
//! argument, by its definition, and why it was refused; a value typed is never shown.

use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::args::Expected;

/// The refusal on one line, for the error line and `--json`: the argument (`--limit`) and why
/// (`expected a whole number from 1 to 100`).
pub(crate) fn message(error: &clap::Error) -> String {
    let arg = flag_of(text(error, ContextKind::InvalidArg).unwrap_or_default());
    match error.kind() {
        ErrorKind::InvalidValue if text(error, ContextKind::InvalidValue) == Some("") => {
            format!("{arg}: a value is required but none was supplied")
        }
        ErrorKind::InvalidValue => match error.get(ContextKind::ValidValue) {
            Some(ContextValue::Strings(valid)) if !valid.is_empty() => {
                format!("{arg}: expected one of {}", valid.join(", "))
            }
            _ => format!("{arg}: invalid value"),
        },
        ErrorKind::ValueValidation => format!("{arg}: {}", reason(error)),
        ErrorKind::TooManyValues => format!("{arg}: unexpected value (no more were expected)"),
        ErrorKind::UnknownArgument => match typed_flag(error) {
            Some(flag) => format!("unexpected argument '{flag}'"),
            None => "unexpected argument (not shown): a value without its flag, or a flag this \
                     command does not take"
                .to_owned(),
        },
        ErrorKind::InvalidSubcommand => "unrecognized subcommand (not shown)".to_owned(),
        // The rest are told with the arguments' definitions and counts only: clap's first
        // paragraph ("the following required arguments were not provided: --phone <PHONE>"),
        // on one line.
        _ => first_paragraph(error),
    }
}

/// A similar argument, subcommand or value clap found among the command's own (never one
/// typed), as a hint.
pub(crate) fn suggestion(error: &clap::Error) -> Option<String> {
    [
        (ContextKind::SuggestedArg, "argument"),
        (ContextKind::SuggestedSubcommand, "subcommand"),
        (ContextKind::SuggestedValue, "value"),
    ]
    .into_iter()
    .find_map(|(kind, what)| {
        let similar = match error.get(kind)? {
            ContextValue::String(one) => one.clone(),
            ContextValue::Strings(several) => several.join("', '"),
            _ => return None,
        };
        Some(format!("a similar {what} exists: '{similar}'"))
    })
}

/// The text for stderr, in clap's shape: the error line, a tip, the usage line of the command,
/// and where to read more.
pub(crate) fn stderr_text(error: &clap::Error) -> String {
    let mut out = format!("error: {}\n", message(error));
    if let Some(tip) = suggestion(error) {
        out.push_str(&format!("\n  tip: {tip}\n"));
    }
    // The usage line is built from the command's definition: the arguments it requires and
    // the names of those given, never their values.
    if let Some(ContextValue::StyledStr(usage)) = error.get(ContextKind::Usage) {
        out.push_str(&format!("\n{usage}\n"));
    }
    out.push_str("\nFor more information, try '--help'.\n");
    out
}

fn text(error: &clap::Error, kind: ContextKind) -> Option<&str> {
    match error.get(kind)? {
        ContextValue::String(text) => Some(text),
        _ => None,
    }
}

/// `--limit` of a definition `--limit <LIMIT>`.
fn flag_of(definition: &str) -> &str {
    definition.split_whitespace().next().unwrap_or(definition)
}

/// The unknown argument typed, when it is a flag's name (`--bogus`, `-x`: letters and hyphens,
/// as every flag of this command is spelt); `None` for anything else, which may be a value
/// (`+60182258491`, `-6`, `--482913`). clap keeps no `=value` part of it.
fn typed_flag(error: &clap::Error) -> Option<&str> {
    let typed = text(error, ContextKind::InvalidArg)?;
    let name = typed
        .strip_prefix("--")
        .or_else(|| typed.strip_prefix('-').filter(|name| name.len() == 1))?;
    let spelt_as_a_flag = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphabetic() || c == '-');
    spelt_as_a_flag.then_some(typed)
}

/// Why a value was refused. The command line's own parsers say it without quoting the value
/// ([`Expected`]); another's (the simulator's flags) is shown only when no three characters in
/// a row of the value are in it (`invalid IP address syntax`, not `482913 is not in 0..=65535`).
fn reason(error: &clap::Error) -> String {
    let Some(source) = std::error::Error::source(error) else {
        return "invalid value".to_owned();
    };
    if let Some(expected) = source.downcast_ref::<Expected>() {
        return expected.to_string();
    }
    let reason = source.to_string();
    let value = text(error, ContextKind::InvalidValue).unwrap_or_default();
    if quotes(&reason, value) {
        "invalid value".to_owned()
    } else {
        reason
    }
}

/// Whether `reason` holds three characters in a row of `value`, or of its digits alone (a
/// number parsed and printed back loses its `+`, spaces and leading zeros).
fn quotes(reason: &str, value: &str) -> bool {
    let reason = reason.to_lowercase();
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    [value.to_lowercase(), digits].iter().any(|value| {
        let chars: Vec<char> = value.chars().collect();
        chars
            .windows(3)
            .any(|window| reason.contains(&window.iter().collect::<String>()))
    })
}

/// clap's own first paragraph on one line, without its `error: `.
fn first_paragraph(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let paragraph: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.is_empty())
        .collect();
    let message = paragraph.join(" ");
    message
        .strip_prefix("error: ")
        .unwrap_or(&message)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;
    use crate::args::Cli;

    const SECRETS: [&str; 4] = [
        "+60182258491",
        "482913",
        "60 18-225 8491x",
        "999999999999999",
    ];

    /// Fails when the refusal of `line`, on stderr or in `--json`, shows `secret` or its digits.
    fn assert_not_shown(line: &[&str], secret: &str) {
        let Err(error) = Cli::try_parse_from(line) else {
            return;
        };
        let digits: String = secret.chars().filter(char::is_ascii_digit).collect();
        for shown in [message(&error), stderr_text(&error)] {
            assert!(
                !shown.contains(secret) && !shown.contains(&digits),
                "{line:?} shows the value: {shown}"
            );
        }
    }

    #[test]
    fn no_flag_of_any_command_shows_the_value_it_refused() {
        let cli = Cli::command();
        for command in cli.get_subcommands() {
            for arg in command.get_arguments() {
                let Some(long) = arg.get_long() else { continue };
                for secret in SECRETS {
                    let flag = format!("--{long}");
                    let joined = format!("--{long}={secret}");
                    let name = command.get_name();
                    assert_not_shown(&["phone-verify", name, &flag, secret], secret);
                    assert_not_shown(&["phone-verify", name, &joined], secret);
                }
            }
        }
    }

    #[test]
    fn a_stray_value_an_unknown_flag_or_subcommand_is_not_shown() {
        for secret in SECRETS {
            let unknown = format!("--{secret}");
            let glued = format!("--phone{secret}");
            for line in [
                &["phone-verify", secret][..],
                &["phone-verify", "send", secret],
                &["phone-verify", "history", "--json", &unknown],
                &["phone-verify", "check", &glued],
                &["phone-verify", "send", "--bogus", secret],
            ] {
                assert_not_shown(line, secret);
            }
        }
    }

    #[test]
    fn a_refusal_names_the_argument_and_why() {
        let cases: [(&[&str], &str); 6] = [
            (
                &["history", "--limit", "482913"],
                "--limit: expected a whole number from 1 to 100",
            ),
            (
                &["send", "--provider", "482913"],
                "--provider: expected one of idmeta, twilio",
            ),
            (
                &["send", "--allow-plain-http=482913"],
                "--allow-plain-http: unexpected value (no more were expected)",
            ),
            (&["send", "--bogus=482913"], "unexpected argument '--bogus'"),
            (
                &["sim", "--host", "nowhere"],
                "--host: invalid IP address syntax",
            ),
            (&["sim", "--port", "482913"], "--port: invalid value"),
        ];
        for (args, said) in cases {
            let line = std::iter::once(&"phone-verify").chain(args);
            let error = Cli::try_parse_from(line).expect_err("refused");
            assert_eq!(message(&error), said, "{args:?}");
        }
        let similar =
            Cli::try_parse_from(["phone-verify", "send", "--phon", "482913"]).expect_err("refused");
        assert_eq!(
            suggestion(&similar).as_deref(),
            Some("a similar argument exists: '--phone'")
        );
    }
}
