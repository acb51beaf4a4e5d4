//! Tests of the domain model: every constructor with good and bad input, masking, the error
//! taxonomy, and property tests that parsing never panics.

mod error_chain;
mod gateway;
mod ids;
mod masking;
mod otp;
mod phone;
mod properties;
mod status;
