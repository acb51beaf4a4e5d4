//! Tests of the use cases (with the mockall gateway and the in-memory store), routing and
//! failover between providers, the guards, the
//! in-memory store against the store contract, masking in traces, and the log guard.

mod check_code;
mod clock_and_ids;
mod failover;
mod guards;
mod history;
mod in_memory;
mod lifecycle;
mod log_guard;
mod metrics;
mod protected_numbers;
mod record_display;
mod send_code;
mod store_contract;
mod support;
mod tracing_masking;
mod wrapped_ports;
