//! The adapter against the simulator over real sockets, and against a raw TCP server where the
//! exact bytes on the wire matter.

mod config;
mod connect;
mod contract;
mod exact_request;
mod faults;
mod flow;
mod logging;
mod support;
