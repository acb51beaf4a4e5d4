//! Human output (aligned, masked, colour only on a terminal) or JSON for scripts.

use std::io::IsTerminal;

use phone_verify::ports::ErrorClass;
use phone_verify::records::{AttemptRecord, CheckOutcome, PageCursor, SendOutcome};
use serde_json::{Value, json};

/// Where a command's results go: text for people, or one JSON document on stdout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    json: bool,
    colour: bool,
}

const LABEL_WIDTH: usize = 18;

impl Output {
    pub(crate) fn new(json: bool) -> Self {
        let colour = !json
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Self { json, colour }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// A step of a command, in bold.
    pub(crate) fn heading(&self, text: &str) {
        if !self.json {
            println!("{}", self.paint("1", text));
        }
    }

    /// An aligned `label  value` line.
    pub(crate) fn field(&self, label: &str, value: impl std::fmt::Display) {
        if !self.json {
            println!("  {label:<LABEL_WIDTH$} {value}");
        }
    }

    /// A status word, green when good and red when not.
    pub(crate) fn status(&self, label: &str, value: &str, good: bool) {
        let painted = self.paint(if good { "32" } else { "31" }, value);
        self.field(label, painted);
    }

    /// The whole result as one JSON document (JSON mode only).
    pub(crate) fn json(&self, value: &Value) {
        if self.json {
            println!("{value}");
        }
    }

    /// Rows of cells, the first the header, in columns as wide as their widest cell; the
    /// last column left unpadded.
    pub(crate) fn table<const N: usize>(&self, rows: &[[String; N]]) {
        if self.json {
            return;
        }
        let mut widths = [0_usize; N];
        for row in rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for row in rows {
            let mut line = String::from(" ");
            for (column, (cell, width)) in row.iter().zip(widths).enumerate() {
                line.push(' ');
                if column + 1 == N {
                    line.push_str(cell);
                } else if column == 0 {
                    line.push_str(&format!("{cell:<width$}"));
                } else {
                    line.push_str(&format!("{cell:>width$}"));
                }
            }
            println!("{}", line.trim_end());
        }
    }

    /// A history page: a table for people.
    pub(crate) fn records(&self, records: &[AttemptRecord], next: Option<PageCursor>) {
        if self.json {
            return;
        }
        if records.is_empty() {
            println!("  (no attempts)");
        }
        println!(
            "  {:<24} {:<6} {:<14} {:<8} {:<8} {:<20} reference",
            "started (UTC)", "kind", "phone", "provider", "channel", "outcome"
        );
        for record in records {
            let row = record_json(record);
            println!(
                "  {:<24} {:<6} {:<14} {:<8} {:<8} {:<20} {}",
                record.started_at().format("%Y-%m-%d %H:%M:%S%.3f"),
                row["kind"].as_str().unwrap_or_default(),
                record.number().masked(),
                row["provider"].as_str().unwrap_or("-"),
                row["channel"].as_str().unwrap_or("-"),
                row["outcome"].as_str().unwrap_or_default(),
                record.reference().map(|r| r.as_str()).unwrap_or("-"),
            );
        }
        if let Some(cursor) = next {
            println!("  more: --after {}", cursor_text(&cursor));
        }
    }
}

/// A cursor as `--after` takes it: `<started_at RFC 3339>,<attempt id>`.
pub(crate) fn cursor_text(cursor: &PageCursor) -> String {
    format!("{},{}", cursor.started_at.to_rfc3339(), cursor.id)
}

/// The outcome of a send as one word.
pub(crate) fn send_outcome_name(outcome: &SendOutcome) -> String {
    match outcome {
        SendOutcome::Sent { .. } => "sent".to_owned(),
        SendOutcome::Refused { reason } => format!("refused ({reason})"),
        SendOutcome::RateLimited { .. } => "rate limited".to_owned(),
        SendOutcome::NotSent { .. } => "not sent".to_owned(),
        SendOutcome::OutcomeUnknown { class } => unknown_outcome_name(*class),
    }
}

/// An unknown outcome: in flight (never recorded), abandoned (closed by `reconcile`), or
/// a failure that may have reached the provider.
fn unknown_outcome_name(class: Option<ErrorClass>) -> String {
    match class {
        None => "outcome unknown (in flight)",
        Some(ErrorClass::Abandoned) => "outcome unknown (abandoned)",
        Some(_) => "outcome unknown",
    }
    .to_owned()
}

fn check_outcome_name(outcome: &CheckOutcome) -> String {
    match outcome {
        CheckOutcome::Answered { verdict, .. } => verdict.as_str().to_owned(),
        CheckOutcome::NotChecked { .. } => "not checked".to_owned(),
        CheckOutcome::NoPendingCode => "no pending code".to_owned(),
        CheckOutcome::OutcomeUnknown { class } => unknown_outcome_name(*class),
    }
}

/// One attempt as JSON; the number masked, never the code (which is never stored anyway).
pub(crate) fn record_json(record: &AttemptRecord) -> Value {
    let (kind, outcome, provider, channel) = match record {
        AttemptRecord::Send(send) => (
            "send",
            send_outcome_name(&send.outcome()),
            Some(send.provider.as_str()),
            Some(send.channel.as_str()),
        ),
        AttemptRecord::Check(check) => ("check", check_outcome_name(&check.outcome()), None, None),
    };
    json!({
        "id": record.id().to_string(),
        "kind": kind,
        "started_at": record.started_at().to_rfc3339(),
        "phone": record.number().masked(),
        "trust_validation": record.trust_validation().as_str(),
        "reference": record.reference().map(|r| r.as_str()),
        "provider": provider,
        "channel": channel,
        "outcome": outcome,
        "in_flight": record.is_in_flight(),
    })
}
