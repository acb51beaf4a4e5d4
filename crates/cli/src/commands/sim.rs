//! `phone-verify sim`: the simulator as a server, with `phone-verify-sim`'s own flags.

use phone_verify_sim::cli::serve;

use crate::args::SimCommand;
use crate::exit::{CliError, Exit, chain};

pub(crate) async fn run(args: SimCommand) -> Result<Exit, CliError> {
    serve(&args.sim)
        .await
        .map_err(|error| CliError::usage(format!("sim: {}", chain(&error))))?;
    Ok(Exit::Ok)
}
