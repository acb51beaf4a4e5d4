//! `phone-verify demo`: the main job on embedded defaults. The simulator runs in this process
//! on loopback (no real IDMeta or Twilio host is ever called), the store is a SQLite file, and
//! each step of a verification is shown. `--provider twilio` sends through the simulator's
//! Twilio routes; `--failover` makes IDMeta unreachable so the send fails over to Twilio.

use phone_verify::idmeta::{IdmetaClient, SecretString, TrustFlowId};
use phone_verify::ports::Utc;
use phone_verify::sql::DatabaseUrl;
use phone_verify::twilio::TwilioClient;
use phone_verify::{
    OtpCode, PhoneVerification, PhoneVerificationBuilder, ProviderName, SendCodeRequest,
    TrustValidationId,
};
use phone_verify_sim::Simulator;
use serde_json::json;

use crate::args::{DemoArgs, ProviderChoice};
use crate::commands::{check, history, send};
use crate::exit::{CliError, Exit};
use crate::output::Output;
use crate::wiring::{self, Access, Stores};

/// The token the in-process simulator accepts: it is not a real credential.
const DEMO_TOKEN: &str = "demo-token";

pub(crate) async fn run(args: DemoArgs, out: Output, stores: &Stores) -> Result<Exit, CliError> {
    let phone = wiring::phone(&args.phone, None)?;
    let stamp = Utc::now().format("%Y%m%dT%H%M%S%.6f").to_string();

    out.heading("1. start the simulator (IDMeta and Twilio routes, in this process, on loopback)");
    let sim =
        phone_verify_sim::start(phone_verify_sim::SimConfig::default().idmeta_token(DEMO_TOKEN))
            .await
            .map_err(|error| CliError::new(Exit::Config, format!("simulator: {error}")))?;
    out.field("listening on", sim.base_url());

    out.heading("2. open the SQLite store");
    let path = args
        .database
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("phone-verify-demo-{stamp}.db")));
    // A path, not a URL: `a?mode=memory` and `e%41.db` are files of those names.
    let store = stores
        .open(&DatabaseUrl::sqlite_file(&path), Access::CreateIfMissing)
        .await?;
    out.field("database", path.display());

    out.heading("3. send a code");
    let verification = providers(&args, &sim, out)?
        .sql_store(store)
        .build()
        .await?;
    let request = SendCodeRequest::new(
        phone.clone(),
        TrustValidationId::parse(&format!("demo-{stamp}"))
            .map_err(|error| CliError::usage(format!("trust validation: {error}")))?,
    );
    // The simulator's own credentials, which nobody configured: no settings to name.
    let sent = verification
        .send_code(&request)
        .await
        .map_err(|error| CliError::of_send(error, None))?;
    send::report(&request, &sent, out);

    out.heading("4. read the handset's inbox (the simulator's)");
    let code = sim
        .last_code_for(phone.e164())
        .ok_or_else(|| CliError::new(Exit::OutcomeUnknown, "the simulator delivered no code"))?;
    out.field(
        "received",
        format!("a {}-digit code for {phone}", code.len()),
    );

    out.heading("5. check the code");
    let otp = OtpCode::parse(&code)
        .map_err(|error| CliError::new(Exit::OutcomeUnknown, format!("delivered code: {error}")))?;
    let checked = verification
        .check_code(request.trust_validation.clone(), otp, None)
        .await
        .map_err(|error| CliError::of_check(error, None))?;
    let exit = check::report(&request.trust_validation, &checked, out);

    out.heading("6. the recorded history, newest first");
    let page =
        history::of_trust_validation(verification.records(), &request.trust_validation).await?;
    out.records(&page.items, page.next);
    sim.shutdown().await;

    out.json(&json!({
        "ok": exit == Exit::Ok,
        "database": path.display().to_string(),
        "send": send::send_json(&request, &sent),
        "check": check::check_json(&request.trust_validation, &checked),
        "history": history::page_json(&page),
    }));
    Ok(exit)
}

/// The demo's providers, chosen on a new builder: the chosen one on the simulator, or, with
/// `--failover`, IDMeta at a closed port failing over to Twilio on the simulator. Their
/// clients are built here, each when it is shown.
fn providers(
    args: &DemoArgs,
    sim: &Simulator,
    out: Output,
) -> Result<PhoneVerificationBuilder, CliError> {
    let twilio = || {
        TwilioClient::builder()
            .base_url(sim.base_url())
            .allow_plain_http(true)
            .service_sid(phone_verify_sim::DEFAULT_TWILIO_SERVICE_SID)
            .account_credentials(
                SecretString::from(phone_verify_sim::DEFAULT_TWILIO_ACCOUNT_SID),
                SecretString::from(phone_verify_sim::DEFAULT_TWILIO_AUTH_TOKEN),
            )
            .build()
    };
    let idmeta = |base_url: String| {
        IdmetaClient::builder()
            .trust_flow(TrustFlowId::new(147))
            .base_url(base_url)
            .allow_plain_http(true)
            .token(SecretString::from(DEMO_TOKEN))
            .build()
    };
    let builder = PhoneVerification::builder();
    if args.failover {
        let unreachable = closed_port_url()?;
        out.field(
            "idmeta",
            format!("unreachable ({unreachable}, nothing listens)"),
        );
        out.field("failover", "idmeta -> twilio");
        return Ok(builder
            .provider(ProviderName::idmeta(), idmeta(unreachable)?)
            .provider(ProviderName::twilio(), twilio()?)
            .failover_to(ProviderName::twilio()));
    }
    let builder = match args.provider {
        ProviderChoice::Idmeta => builder.provider(ProviderName::idmeta(), idmeta(sim.base_url())?),
        ProviderChoice::Twilio => builder.provider(ProviderName::twilio(), twilio()?),
    };
    out.field("provider", args.provider.name());
    Ok(builder)
}

/// The base URL of a loopback port nothing listens on (bound, then released): a connection
/// to it is refused, so IDMeta is provably unreachable and nothing is sent there.
fn closed_port_url() -> Result<String, CliError> {
    let port =
        |error: std::io::Error| CliError::new(Exit::Config, format!("no loopback port: {error}"));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(port)?;
    let address = listener.local_addr().map_err(port)?;
    drop(listener);
    Ok(format!("http://{address}"))
}
