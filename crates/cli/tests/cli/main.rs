//! The `phone-verify` binary, run as a process: the demo, send/check/history against a
//! simulator started by the test, JSON output, every error class's exit code, no secret in any
//! output whatever `RUST_LOG` says, provider text made safe for a terminal, the choice of
//! provider with failover, numbers protected at rest, and commands that only read (or that
//! meet another application's database) leaving the files as they were.

mod channels;
mod commands;
mod errors;
mod failover;
mod inputs;
mod lifecycle;
mod logging;
mod numbers;
mod processes;
mod provider_text;
mod read_only;
mod stats;
mod store_file;
mod support;
mod twilio;
