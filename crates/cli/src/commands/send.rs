//! `phone-verify send`.

use phone_verify::ports::DeliveryState;
use phone_verify::{SendCodeRequest, SentCode, TrustValidationId};
use serde_json::json;

use crate::args::SendArgs;
use crate::exit::{CliError, Exit};
use crate::output::Output;
use crate::provider_text;
use crate::wiring::{self, Access, Stores};

pub(crate) async fn run(args: SendArgs, out: Output, stores: &Stores) -> Result<Exit, CliError> {
    let request = SendCodeRequest::new(
        args.phone.parse()?,
        wiring::arg(
            "--trust-validation",
            &args.trust_validation,
            TrustValidationId::parse,
        )?,
    )
    .with_channel(args.channel);
    let request = match args.locale {
        Some(locale) => request.with_locale(locale),
        None => request,
    };
    let (providers, asked) = wiring::providers(&args.provider)?;
    let verification = stores
        .verification(providers, &args.store, Access::CreateIfMissing)
        .await?;
    let sent = verification
        .send_code(&request)
        .await
        .map_err(|error| CliError::of_send(error, asked.get().as_ref()))?;
    report(&request, &sent, out);
    out.json(&send_json(&request, &sent));
    Ok(Exit::Ok)
}

/// Prints a successful send as text (shared with the demo); the provider's description made
/// safe for a terminal.
pub(crate) fn report(request: &SendCodeRequest, sent: &SentCode, out: Output) {
    out.field("phone", &request.phone);
    out.field("trust validation", &request.trust_validation);
    out.field("channel", request.channel);
    out.status("result", "sent", true);
    out.field("provider", &sent.provider);
    out.field("reference", &sent.receipt.reference);
    out.field(
        "delivery",
        provider_text::clean(&delivery(&sent.receipt.delivery.state)),
    );
    out.field("attempt", sent.attempt);
}

pub(crate) fn send_json(request: &SendCodeRequest, sent: &SentCode) -> serde_json::Value {
    json!({
        "ok": true,
        "result": "sent",
        "phone": request.phone.masked(),
        "trust_validation": request.trust_validation.as_str(),
        "channel": request.channel.as_str(),
        "provider": sent.provider.as_str(),
        "reference": sent.receipt.reference.as_str(),
        "submitted_at": sent.receipt.submitted_at.to_rfc3339(),
        "delivery": delivery(&sent.receipt.delivery.state),
        "verification_status": sent.receipt.verification_status.as_str(),
        "attempt": sent.attempt.to_string(),
    })
}

/// The delivery state as printed: its stable name (`in_progress`), or for a state nobody named
/// the provider's code and text (`207 Undeliverable`).
fn delivery(state: &DeliveryState) -> String {
    match state {
        DeliveryState::Other {
            code: Some(code),
            description,
        } => format!("{code} {description}"),
        state => state.as_str().to_owned(),
    }
}
