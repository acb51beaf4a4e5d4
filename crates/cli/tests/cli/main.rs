//! The `phone-verify` binary, run as a process: the demo, send/check/history against a
//! simulator started by the test, JSON output, every error class's exit code, and no secret
//! in any output.

mod commands;
mod errors;
mod inputs;
mod store_file;
mod support;
