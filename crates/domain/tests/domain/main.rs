//! Tests of the domain model: every constructor with good and bad input, masking, the error
//! taxonomy, and property tests that parsing never panics.

mod error_chain;
mod forwarding;
mod gateway;
mod ids;
mod masking;
// Runs when the feature is on: `cargo test -p phone-verify-domain --features mocks`, or any
// workspace-wide test run (the layers above enable it).
#[cfg(feature = "mocks")]
mod mocks;
mod otp;
mod phone;
mod properties;
mod status;
mod support;
