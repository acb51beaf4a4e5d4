//! `phone-verify check`.

use phone_verify::{CheckedCode, OtpCode, TrustValidationId};
use serde_json::json;

use crate::args::CheckArgs;
use crate::exit::{CliError, Exit};
use crate::input;
use crate::output::Output;
use crate::provider_text;
use crate::wiring::{self, Access, Stores};

pub(crate) async fn run(args: CheckArgs, out: Output, stores: &Stores) -> Result<Exit, CliError> {
    let trust_validation = wiring::arg(
        "--trust-validation",
        &args.trust_validation,
        TrustValidationId::parse,
    )?;
    let raw_code = if args.code == "-" {
        input::code_from_stdin()?.trim().to_owned()
    } else {
        args.code.clone()
    };
    let code = wiring::arg("--code", &raw_code, OtpCode::parse)?;
    let phone = args
        .phone
        .as_deref()
        .map(|raw| wiring::phone(raw, args.region.as_deref()))
        .transpose()?;
    let (providers, asked) = wiring::providers(&args.provider)?;
    let verification = stores
        .verification(providers, &args.store, Access::WriteExisting)
        .await?;
    let checked = verification
        .check_code(trust_validation.clone(), code, phone.as_ref())
        .await
        .map_err(|error| CliError::of_check(error, asked.get().as_ref()))?;
    out.json(&check_json(&trust_validation, &checked));
    Ok(report(&trust_validation, &checked, out))
}

/// Prints a check's answer as text (shared with the demo), the provider's words made safe for a
/// terminal; verified is exit 0, anything else 1.
pub(crate) fn report(
    trust_validation: &TrustValidationId,
    checked: &CheckedCode,
    out: Output,
) -> Exit {
    let verified = checked.is_verified();
    let verdict = checked.verdict().as_str();
    out.field("trust validation", trust_validation);
    out.status("verdict", verdict, verified);
    let result = &checked.result;
    out.field(
        "code state",
        provider_text::clean(result.code_state.as_str()),
    );
    out.field(
        "status",
        provider_text::clean(result.verification_status.as_str()),
    );
    out.field("attempt", checked.attempt);
    if verified {
        Exit::Ok
    } else {
        Exit::NotVerified
    }
}

pub(crate) fn check_json(
    trust_validation: &TrustValidationId,
    checked: &CheckedCode,
) -> serde_json::Value {
    let verified = checked.is_verified();
    let verdict = checked.verdict().as_str();
    json!({
        "ok": verified,
        "verdict": verdict,
        "trust_validation": trust_validation.as_str(),
        "code_state": checked.result.code_state.as_str(),
        "verification_status": checked.result.verification_status.as_str(),
        "reference": checked.result.reference.as_ref().map(|r| r.as_str()),
        "attempt": checked.attempt.to_string(),
        "send": checked.send.to_string(),
    })
}
