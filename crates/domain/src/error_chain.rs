//! An error and its sources on one line, for the workspace's programs (the CLI, the simulator,
//! the benchmark) to report an error with its causes.

/// An error and its sources on one line, `a: b: c`.
///
/// Personal data stays out of it as long as every error in the chain keeps it out of its
/// message, as every error type of this workspace does.
///
/// ```
/// use phone_verify_domain::{PhoneNumber, error_chain};
///
/// let error = PhoneNumber::parse("not a number").expect_err("not a number");
/// assert_eq!(error_chain(&error), error.to_string());
/// ```
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    if let Some(source) = error.source() {
        let rest = error_chain(source);
        // An error whose message already ends with its causes' (a top-level error that
        // names the fix its source gives) is not told twice.
        if !text.ends_with(&rest) {
            text.push_str(": ");
            text.push_str(&rest);
        }
    }
    text
}
