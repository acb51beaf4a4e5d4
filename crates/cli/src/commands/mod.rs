//! One module per command. Each returns the exit code of a success, or a [`CliError`].
//!
//! [`CliError`]: crate::exit::CliError

pub(crate) mod check;
pub(crate) mod demo;
pub(crate) mod history;
pub(crate) mod protect_numbers;
pub(crate) mod purge;
pub(crate) mod reconcile;
pub(crate) mod send;
pub(crate) mod sim;
pub(crate) mod stats;
