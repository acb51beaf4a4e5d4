//! `phone-verify purge`.

use std::sync::Arc;

use phone_verify_app::{CheckPolicy, PurgeMode, PurgeRecords, SendLimits, SystemClock};
use serde_json::json;

use crate::args::PurgeArgs;
use crate::exit::{CliError, Exit};
use crate::output::Output;
use crate::wiring::{Create, Stores};

pub(crate) async fn run(args: PurgeArgs, out: Output, stores: &Stores) -> Result<Exit, CliError> {
    let store = stores.open(&args.store, Create::Never).await?;
    // The guards the other commands run with: what they still need is never purged.
    let purge = PurgeRecords::new(
        store,
        Arc::new(SystemClock),
        &SendLimits::default(),
        &CheckPolicy::default(),
    );
    let mode = if args.delete {
        PurgeMode::Delete
    } else {
        PurgeMode::DryRun
    };
    let report = purge.purge(args.older_than, mode).await?;
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
