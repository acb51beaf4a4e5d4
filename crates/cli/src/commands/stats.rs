//! `phone-verify stats`.

use phone_verify::records::{CountryStats, SendStats};
use serde_json::{Value, json};

use crate::args::StatsArgs;
use crate::exit::{CliError, Exit};
use crate::output::Output;
use crate::wiring::{Access, Stores};

pub(crate) async fn run(args: StatsArgs, out: Output, stores: &Stores) -> Result<Exit, CliError> {
    let records = stores.records(&args.store, Access::ReadOnly).await?;
    let stats = records.stats(args.since).await?;
    out.heading(&format!(
        "stats from {} to {}",
        stats.since.format("%Y-%m-%d %H:%M:%S UTC"),
        stats.until.format("%Y-%m-%d %H:%M:%S UTC")
    ));
    out.table(&table(&stats));
    out.json(&stats_json(&stats));
    Ok(Exit::Ok)
}

/// The table for people: a row per country, then the total.
fn table(stats: &SendStats) -> Vec<[String; 6]> {
    let mut rows = vec![[
        "country".to_owned(),
        "sent".to_owned(),
        "verified".to_owned(),
        "conversion".to_owned(),
        "refused".to_owned(),
        "refused by reason".to_owned(),
    ]];
    let mut total = CountryStats::new("total");
    for country in &stats.countries {
        rows.push(row(country));
        total.sent += country.sent;
        total.verified += country.verified;
        for (reason, count) in &country.refused {
            *total.refused.entry(reason.clone()).or_default() += count;
        }
    }
    if stats.countries.is_empty() {
        rows.push([
            "(no sends, checks or refusals)".to_owned(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    } else {
        rows.push(row(&total));
    }
    rows
}

fn row(country: &CountryStats) -> [String; 6] {
    let reasons: Vec<String> = country
        .refused
        .iter()
        .map(|(reason, count)| format!("{reason} {count}"))
        .collect();
    [
        country.calling_code.clone(),
        country.sent.to_string(),
        country.verified.to_string(),
        country
            .conversion_percent()
            .map_or_else(|| "-".to_owned(), |percent| format!("{percent:.1} %")),
        country.refused_total().to_string(),
        if reasons.is_empty() {
            "-".to_owned()
        } else {
            reasons.join(", ")
        },
    ]
}

fn stats_json(stats: &SendStats) -> Value {
    json!({
        "ok": true,
        "since": stats.since.to_rfc3339(),
        "until": stats.until.to_rfc3339(),
        "countries": stats.countries.iter().map(|country| json!({
            "calling_code": country.calling_code,
            "sent": country.sent,
            "verified": country.verified,
            "conversion_percent": country.conversion_percent(),
            "refused": country.refused,
        })).collect::<Vec<_>>(),
    })
}
