//! `phone-verify protect-numbers`.

use phone_verify::records::ProtectClearNumbersError;
use serde_json::json;

use crate::args::ProtectNumbersArgs;
use crate::exit::{CliError, Exit};
use crate::output::Output;
use crate::wiring::{Access, NUMBER_KEYS_VAR, Stores};

pub(crate) async fn run(
    args: ProtectNumbersArgs,
    out: Output,
    stores: &Stores,
) -> Result<Exit, CliError> {
    let url = args.store.url()?;
    let Some(keyring) = args.store.keyring()? else {
        return Err(no_keys());
    };
    let current = keyring.current().id().to_string();
    // A dry run counts, so it opens the store read-only: it changes nothing on disk.
    let access = if args.convert {
        Access::WriteExisting
    } else {
        Access::ReadOnly
    };
    let records = stores.records_at(&url, access, Some(keyring)).await?;
    let in_clear = records.count_clear_numbers().await.map_err(failed)?;
    if !args.convert {
        out.heading("protect numbers (dry run: nothing changed)");
        out.field("rows in clear", in_clear);
        out.field("key", &current);
        out.field("to convert them", "run again with --convert");
        out.json(&json!({
            "ok": true,
            "dry_run": true,
            "in_clear": in_clear,
            "key": current,
        }));
        return Ok(Exit::Ok);
    }
    let converted = records
        .protect_clear_numbers(args.batch)
        .await
        .map_err(failed)?;
    out.heading("protect numbers");
    out.field("rows converted", converted);
    out.field("key", &current);
    out.json(&json!({
        "ok": true,
        "dry_run": false,
        "converted": converted,
        "key": current,
    }));
    Ok(Exit::Ok)
}

/// Why nothing, or not everything, was counted or converted.
fn failed(error: ProtectClearNumbersError) -> CliError {
    match error {
        ProtectClearNumbersError::NoKeyring => no_keys(),
        ProtectClearNumbersError::Store(error) => error.into(),
        held @ ProtectClearNumbersError::HeldElsewhere { .. } => {
            CliError::new(Exit::Store, held.to_string())
                .hint("another protect-numbers holds them: run this again once it is done")
        }
        // `NotOpenedByBuilder` cannot happen: the command hands its store to the handle.
        other => CliError::new(Exit::Store, other.to_string()),
    }
}

fn no_keys() -> CliError {
    CliError::new(Exit::Config, "no number keys to protect the numbers with")
        .hint(format!("pass --number-keys-file or set {NUMBER_KEYS_VAR}"))
}
