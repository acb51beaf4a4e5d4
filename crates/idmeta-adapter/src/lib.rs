//! # idmeta-adapter
//!
//! The adapter that implements the domain's `VerificationGateway` port over HTTP against
//! IDMeta's phone verification API (v3). It is an outer ring of the hexagon: it depends on
//! [`phone_verify_domain`] and nothing depends on it except composition roots (the CLI,
//! examples, tests).
//!
//! This crate is thin until the adapter issue lands; it holds no HTTP code yet.

pub use phone_verify_domain as domain;
