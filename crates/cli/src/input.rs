//! What the tool reads besides its arguments: the token file, the number keys file and a code
//! on stdin, each read
//! up to a bound (a file or a pipe can be endless), and a warning when a file holding a
//! secret or personal data is readable by group or others.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::exit::{CliError, Exit};

/// The most bytes of an API token (a token is a few hundred bytes; an HTTP header of more
/// than a few KiB is refused by servers anyway).
pub(crate) const MAX_TOKEN_BYTES: u64 = 4096;

/// The most bytes of the line `--code -` reads (a code is 4 to 10 digits; the rest is room
/// for spaces and a line ending).
pub(crate) const MAX_CODE_LINE_BYTES: u64 = 64;

/// The token file's contents (untrimmed), read up to [`MAX_TOKEN_BYTES`], after a warning if
/// the file is readable by group or others.
pub(crate) fn token_file(path: &Path) -> Result<String, CliError> {
    secret_file(path, "token file", "the API token", MAX_TOKEN_BYTES)
}

/// The number keys file's contents (`--number-keys-file`), read as the token file is.
pub(crate) fn keys_file(path: &Path) -> Result<String, CliError> {
    secret_file(
        path,
        "number keys file",
        "the keys of the numbers' digests",
        MAX_TOKEN_BYTES,
    )
}

/// The most bytes of a test numbers file: room for its 1000 entries with comments.
pub(crate) const MAX_TEST_NUMBERS_BYTES: u64 = 64 * 1024;

/// The test numbers file's contents (`--test-numbers`), read as the token file is, up to
/// [`MAX_TEST_NUMBERS_BYTES`]: its fixed codes verify its numbers.
pub(crate) fn test_numbers_file(path: &Path) -> Result<String, CliError> {
    secret_file(
        path,
        "test numbers file",
        "the fixed codes of the test numbers",
        MAX_TEST_NUMBERS_BYTES,
    )
}

/// The contents (untrimmed) of the file `what` names, which holds `holds`, read up to `max`
/// bytes, after a warning if the file is readable by group or others.
fn secret_file(path: &Path, what: &str, holds: &str, max: u64) -> Result<String, CliError> {
    let unreadable = |error: std::io::Error| {
        CliError::new(
            Exit::Config,
            format!("cannot read the {what} {}: {error}", path.display()),
        )
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    if let Ok(metadata) = file.metadata() {
        warn_if_shared(
            path,
            &metadata,
            &format!("the {what}"),
            &format!("it holds {holds}"),
        );
    }
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > max {
        return Err(CliError::new(
            Exit::Config,
            format!("the {what} {} holds more than {max} bytes", path.display()),
        )
        .hint(format!("the file should hold {holds} alone")));
    }
    String::from_utf8(bytes).map_err(|_| {
        CliError::new(
            Exit::Config,
            format!("the {what} {} is not UTF-8 text", path.display()),
        )
    })
}

/// The first line of stdin (untrimmed), up to [`MAX_CODE_LINE_BYTES`].
pub(crate) fn code_from_stdin() -> Result<String, CliError> {
    let mut line = String::new();
    BufReader::new(std::io::stdin().lock().take(MAX_CODE_LINE_BYTES + 1))
        .read_line(&mut line)
        .map_err(|error| CliError::usage(format!("--code -: cannot read stdin: {error}")))?;
    if line.len() as u64 > MAX_CODE_LINE_BYTES {
        return Err(CliError::new(
            Exit::Config,
            format!("--code -: the line on stdin is longer than {MAX_CODE_LINE_BYTES} bytes"),
        )
        .hint("pipe the code alone, on one line"));
    }
    Ok(line)
}

/// One line on stderr (not a log event: logs are off by default) when `path` is readable by
/// group or others, as ssh does for a private key. `what` names the file, `why` says what it
/// holds.
pub(crate) fn warn_if_shared(path: &Path, metadata: &std::fs::Metadata, what: &str, why: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o044 != 0 {
            eprintln!(
                "phone-verify: warning: {what} {} is readable by group or others (mode {mode:04o}) \
                 and {why}: chmod 600 it",
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (path, metadata, what, why);
}
