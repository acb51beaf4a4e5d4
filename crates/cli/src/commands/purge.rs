//! `phone-verify purge`.

use phone_verify::records::PurgeMode;
use serde_json::json;

use crate::args::PurgeArgs;
use crate::exit::{CliError, Exit};
use crate::output::Output;
use crate::wiring::{Access, Stores};

pub(crate) async fn run(args: PurgeArgs, out: Output, stores: &Stores) -> Result<Exit, CliError> {
    let (mode, access) = if args.delete {
        (PurgeMode::Delete, Access::WriteExisting)
    } else {
        // A dry run counts, so it opens the store read-only: it changes nothing on disk.
        (PurgeMode::DryRun, Access::ReadOnly)
    };
    // Built with the policies the other commands run with (the builder's defaults), whose
    // guards keep what they still need from the purge.
    let records = stores.records(&args.store, access).await?;
    let report = records.purge(args.older_than, mode).await?;
    let dry_run = mode == PurgeMode::DryRun;
    let counted = report.attempts;
    if dry_run {
        out.heading("purge (dry run: nothing deleted)");
        out.field("finished before", report.cutoff.to_rfc3339());
        out.field("sends to delete", counted.sends);
        out.field("checks to delete", counted.checks);
        out.field("to delete them", "run again with --delete");
    } else {
        out.heading("purge");
        out.field("finished before", report.cutoff.to_rfc3339());
        out.field("sends deleted", counted.sends);
        out.field("checks deleted", counted.checks);
    }
    out.json(&json!({
        "ok": true,
        "dry_run": dry_run,
        "finished_before": report.cutoff.to_rfc3339(),
        "sends": counted.sends,
        "checks": counted.checks,
    }));
    Ok(Exit::Ok)
}
