//! `phone-verify-sim`: a local, stateful simulator of IDMeta's phone verification API v3 and of Twilio
//! Verify v2's send, check and update, in the spirit of stripe-mock.
//!
//! No test, demo or benchmark of phone-verify may reach a real provider, and neither offers a
//! sandbox. This crate answers `POST /api/v3/verifications/phone-verification/send` and
//! `…/verify`, and Twilio's `POST /v2/Services/{sid}/Verifications`, `…/VerificationCheck` and
//! `…/Verifications/{Sid}` (HTTP Basic, form bodies, Twilio's rules and error JSON), over real
//! HTTP on one loopback port, with the request and response shapes the providers document and the
//! behaviour the project assumes where IDMeta's documentation is silent (see
//! `docs/simulator.md`).
//! It keeps codes in memory, delivers them to a "handset inbox" that tests read, counts what
//! clients did, and misbehaves on demand ([`Fault`]).
//!
//! Embed it in tests:
//!
//! ```no_run
//! use phone_verify_sim::{Fault, FaultScope, SimConfig};
//!
//! # async fn demo() -> Result<(), phone_verify_sim::SimError> {
//! let sim = phone_verify_sim::start(SimConfig::default().idmeta_token("t").fixed_code("123456")).await?;
//! let base_url = sim.base_url(); // give this to the client under test
//! sim.inject(Fault::ServerError { status: 503, html: false }, FaultScope::Next(1));
//! // … the client's first request gets a 503, the next ones are answered normally …
//! let code = sim.last_code_for("+60182258491");
//! sim.shutdown().await;
//! # let _ = (base_url, code);
//! # Ok(())
//! # }
//! ```
//!
//! For assertions on the exact bytes a client sends, [`one_shot_server`] answers one request with
//! bytes given in advance and hands the request back.
//!
//! With the `contract` feature, the `contract` module is the contract suite of the gateway port
//! (`phone_verify_domain::VerificationGateway`): every adapter's tests run it against the
//! simulator with one line, `phone_verify_sim::gateway_contract_tests!(MyTarget);`.
//!
//! Run it as a program for tests in other languages: `phone-verify-sim --port 8080 --idmeta-token t`, and
//! drive it over the `/__sim/` routes.

mod admin;
#[cfg(feature = "cli")]
pub mod cli;
mod clock;
mod codes;
mod config;
#[cfg(feature = "contract")]
pub mod contract;
mod counters;
mod error;
mod faults;
mod idmeta_api;
mod idmeta_respond;
mod idmeta_state;
mod idmeta_wire;
mod inbox;
mod mask;
mod pipeline;
mod recorder;
mod respond;
mod routes;
mod server;
mod sharded;
mod twilio_api;
mod twilio_state;

pub use clock::SimClock;
pub use config::{
    DEFAULT_IDMETA_TOKEN, DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN,
    DEFAULT_TWILIO_SERVICE_SID, SimConfig,
};
pub use counters::Counters;
pub use error::{SimConfigError, SimError};
pub use faults::{Fault, FaultScope};
pub use idmeta_api::{IDMETA_SEND_PATH, IDMETA_VERIFY_PATH};
pub use inbox::DeliveredSms;
pub use recorder::{UnvisitedPort, one_shot_server, raw_answer};
pub use routes::CONTROL_PREFIX;
pub use server::{Simulator, start, start_on};
