//! Sends a code and checks it, against the local simulator (never a real IDMeta host).
//!
//! ```sh
//! cargo run -p idmeta-adapter --example send_code
//! ```

use idmeta_adapter::{IdmetaClient, SecretString};
use phone_verify_domain::{
    CheckCodeRequest, OtpCode, PhoneNumber, SendCodeRequest, TrustValidationId, VerificationGateway,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = phone_verify_sim::start(
        phone_verify_sim::SimConfig::default().idmeta_token("example-token"),
    )
    .await?;
    println!("simulator listening on {}", sim.base_url());

    let gateway = IdmetaClient::builder()
        .trust_flow(idmeta_adapter::TrustFlowId::new(147))
        .base_url(sim.base_url())
        .allow_plain_http(true) // loopback simulator only
        .token(SecretString::from("example-token"))
        .build()?;

    let phone = PhoneNumber::parse("+60 18-225 8491")?;
    let trust_validation = TrustValidationId::parse("example-trust-validation")?;
    let receipt = gateway
        .send_code(&SendCodeRequest::new(
            phone.clone(),
            trust_validation.clone(),
        ))
        .await?;
    println!("sent to {phone}: reference {}", receipt.reference);

    // The simulator's handset inbox stands in for the end user reading the SMS.
    let code = sim
        .last_code_for(phone.e164())
        .ok_or("no code was delivered")?;
    let result = gateway
        .check_code(&CheckCodeRequest {
            code: OtpCode::parse(&code)?,
            trust_validation,
            reference: Some(receipt.reference),
            phone: Some(phone),
        })
        .await?;
    println!(
        "check: {:?} ({})",
        result.verdict(),
        result.verification_status
    );
    sim.shutdown().await;
    Ok(())
}
