//! `phone-verify reconcile`.

use serde_json::json;

use crate::args::ReconcileArgs;
use crate::exit::{CliError, Exit};
use crate::output::Output;
use crate::wiring::{Access, Stores};

pub(crate) async fn run(
    args: ReconcileArgs,
    out: Output,
    stores: &Stores,
) -> Result<Exit, CliError> {
    let records = stores.records(&args.store, Access::WriteExisting).await?;
    let report = records.reconcile(args.older_than).await?;
    out.heading("reconcile");
    out.field("started before", report.cutoff.to_rfc3339());
    out.field("sends abandoned", report.closed.sends);
    out.field("checks abandoned", report.closed.checks);
    out.json(&json!({
        "ok": true,
        "started_before": report.cutoff.to_rfc3339(),
        "sends": report.closed.sends,
        "checks": report.closed.checks,
    }));
    Ok(Exit::Ok)
}
