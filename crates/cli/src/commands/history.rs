//! `phone-verify history`.

use std::str::FromStr;

use phone_verify::ports::{DateTime, Utc};
use phone_verify::records::{AttemptId, AttemptRecord, Page, PageCursor, PageRequest};
use phone_verify::{TrustValidationId, VerificationRecords};
use serde_json::json;

use crate::args::HistoryArgs;
use crate::exit::{CliError, Exit};
use crate::output::{Output, cursor_text, record_json};
use crate::wiring::{self, Access, Stores};

pub(crate) async fn run(args: HistoryArgs, out: Output, stores: &Stores) -> Result<Exit, CliError> {
    let page = match &args.after {
        Some(raw) => PageRequest::after(args.limit, parse_cursor(raw)?),
        None => PageRequest::first(args.limit),
    };
    let phone = args
        .subject
        .phone
        .as_deref()
        .map(|raw| wiring::phone(raw, args.region.as_deref()))
        .transpose()?;
    let trust_validation = args
        .subject
        .trust_validation
        .as_deref()
        .map(|raw| wiring::arg("--trust-validation", raw, TrustValidationId::parse))
        .transpose()?;
    let records = stores.records(&args.store, Access::ReadOnly).await?;
    let listed = match (&phone, &trust_validation) {
        (Some(phone), _) => {
            out.heading(&format!("history of {phone}"));
            records.history_of_number(phone, page).await?
        }
        (None, Some(id)) => {
            out.heading(&format!("history of trust validation {id}"));
            records.history_of_trust_validation(id, page).await?
        }
        (None, None) => return Err(CliError::usage("give --phone or --trust-validation")),
    };
    out.records(&listed.items, listed.next);
    out.json(&page_json(&listed));
    Ok(Exit::Ok)
}

/// Lists the history of one trust validation (the demo's last step).
pub(crate) async fn of_trust_validation(
    records: &VerificationRecords,
    id: &TrustValidationId,
) -> Result<Page<AttemptRecord>, CliError> {
    Ok(records
        .history_of_trust_validation(id, PageRequest::first(20))
        .await?)
}

pub(crate) fn page_json(page: &Page<AttemptRecord>) -> serde_json::Value {
    json!({
        "ok": true,
        "attempts": page.items.iter().map(record_json).collect::<Vec<_>>(),
        "next": page.next.as_ref().map(cursor_text),
    })
}

fn parse_cursor(raw: &str) -> Result<PageCursor, CliError> {
    let bad = || CliError::usage("--after: expected the cursor printed by the previous page");
    let (time, id) = raw.split_once(',').ok_or_else(bad)?;
    Ok(PageCursor {
        started_at: DateTime::parse_from_rfc3339(time)
            .map_err(|_| bad())?
            .with_timezone(&Utc),
        id: AttemptId::from_str(id).map_err(|_| bad())?,
    })
}
