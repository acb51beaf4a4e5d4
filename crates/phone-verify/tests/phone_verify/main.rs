//! Tests of the facade: the builder wires what it is given (real SQLite files, the simulator
//! over real HTTP), and the axum example maps every outcome to the status a front end needs.

// The example's router, driven over HTTP; its `main` runs only as the example.
#[allow(dead_code)]
#[path = "../../examples/axum_signup.rs"]
mod axum_signup;

mod budgets;
mod builder;
mod channels;
mod lifecycle;
mod own_ports;
mod providers;
mod signup;
mod support;
mod surface;
mod twilio_rules;
