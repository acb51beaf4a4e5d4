//! Doubles for tests (features `mocks` and `test-util`).
//!
//! - `mocks`: `MockVerificationGateway`, a mockall double of the gateway port.
//! - `test-util`: `sim`, the simulator of IDMeta and Twilio Verify (real HTTP on loopback, a handset inbox, fault
//!   injection), which `PhoneVerificationBuilder::simulator` wires; the fakes `ManualClock`
//!   (time moves only when told; clones share one time), `SequentialIds` (ids 1, 2, 3, ...)
//!   and `FailingStore` (the in-memory store with chosen operations failing).
//!
//! ```
//! # #[cfg(feature = "test-util")]
//! # {
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! use phone_verify::testing::{FailingStore, StoreOperation, sim};
//! use phone_verify::{PhoneNumber, PhoneVerification, SendCodeError, SendCodeRequest, TrustValidationId};
//!
//! let sim = sim::start(sim::SimConfig::default()).await?;
//! let verification = PhoneVerification::builder()
//!     .simulator(&sim)
//!     .store(FailingStore::failing(&[StoreOperation::ReserveSend]))
//!     .build()
//!     .await?;
//! let request = SendCodeRequest::new(
//!     PhoneNumber::parse("+60182258491")?,
//!     TrustValidationId::parse("tv-1")?,
//! );
//! let error = verification.send_code(&request).await.unwrap_err();
//! assert!(matches!(error, SendCodeError::Store(_)));
//! assert_eq!(sim.counters().idmeta_send_requests, 0, "nothing unrecorded is sent");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "test-util")]
pub use phone_verify_app::{
    CapturedLogs, FailingStore, ManualClock, SequentialIds, StoreOperation,
};
#[cfg(feature = "mocks")]
pub use phone_verify_domain::MockVerificationGateway;

/// The simulator of IDMeta and Twilio Verify (feature `test-util`): [`sim::start`] gives a [`sim::Simulator`] on a
/// loopback port, with its inbox ([`sim::Simulator::last_code_for`]), counters and faults.
#[cfg(feature = "test-util")]
pub mod sim {
    pub use phone_verify_sim::{
        Counters, DEFAULT_IDMETA_TOKEN, DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN,
        DEFAULT_TWILIO_SERVICE_SID, DeliveredSms, Fault, FaultScope, SimClock, SimConfig,
        SimConfigError, SimError, Simulator, start, start_on,
    };
}
