//! The simulator's own tests, over real HTTP on loopback. One test binary; one module per concern.

mod admin;
mod counters;
mod errors;
mod faults;
mod flow;
mod lifecycle;
mod program;
mod rate_limits;
mod shapes;
mod support;
mod twilio;
mod twilio_channels;
mod twilio_update;
