//! # phone-verify-app
//!
//! The use cases of phone-verify, the layer an embedding system calls: *send a code, then
//! record it* and *check a code, then record the result*. It sits in the middle of the
//! hexagon: it depends on [`phone_verify_domain`] (types and the `VerificationGateway` port)
//! and defines the storage and clock ports it needs, so the provider and the store can be
//! swapped or mocked. It depends on no adapter.
//!
//! This crate is thin until the use-case issue lands; today it only re-exports the domain so
//! that embedding code can depend on one crate.

pub use phone_verify_domain as domain;
