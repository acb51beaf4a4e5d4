//! The Twilio adapter against the simulator's Twilio routes over real sockets, and against a
//! raw TCP server where the exact bytes on the wire matter.

mod channels;
mod config;
mod contract;
mod exact_request;
mod faults;
mod flow;
mod logging;
mod support;
