//! # phone-verify-reliability
//!
//! Tests that break phone-verify on purpose, across the adapter, the use cases and the SQLite
//! store, and the helpers they share. It composes the library as an embedding back end does,
//! through the facade's builder ([`phone_verify::PhoneVerification::builder`]): the real
//! [`phone_verify::idmeta::IdmetaClient`] (wrapped, when a test needs to act between two writes), the
//! real [`SqlVerificationStore`] on a temporary file, against the local simulator
//! ([`phone_verify_sim`]); it never wires a use case by hand. Nothing depends on it; it is not
//! published.
//!
//! - [`Stack`]: the simulator, the adapter, a SQLite store and the facade's handle, wired once.
//! - [`fixture`]: the token, distinct valid numbers, requests.
//! - [`drive`]: many operations at once, as a busy application runs them.
//! - [`process`]: the process's peak memory, and the helper programs' protocol.
//! - [`pumping`]: the SMS-pumping scenario, legitimate sign-ups mixed with an attack, under a
//!   policy of guards.
//!
//! The helper programs (`src/bin/`) run as separate processes: `crash_child` sends until it is
//! killed, `lock_holder` holds a SQLite file's write lock, `memory_probe` is a client whose
//! memory is measured apart from the test's. One is run by hand: `pumping` prints the table
//! of the SMS-pumping scenario. The promises these tests prove, and which test proves each,
//! are listed in `docs/reliability.md` and `docs/security.md`.
//!
//! [`SqlVerificationStore`]: phone_verify_sql_store::SqlVerificationStore

pub mod drive;
pub mod fixture;
pub mod process;
pub mod pumping;
mod stack;

pub use stack::{
    Engine, Routing, Stack, StackConfig, closed_port_url, gateway, gateway_builder, open_store,
    sql_failure_kind, twilio_gateway_builder,
};
