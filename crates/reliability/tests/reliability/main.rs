//! Reliability and security tests across the adapter, the use cases and the SQLite store, and
//! the use cases end to end through the adapter and the simulator.
//! One test binary; the parts that need a process of their own (a crash, another process's
//! lock, a memory measurement) run the helper programs of `src/bin/`.

mod conversion;
mod conversion_beside_sends;
mod crash;
mod current_send;
mod end_to_end;
mod failover;
mod faults;
mod leaks;
mod load;
mod memory;
mod number_traces;
mod processed_5xx;
mod properties;
mod pumping;
mod purge_beside_sends;
mod senders;
mod store_failures;
mod store_memory;
mod support;
mod wrong_answers;
