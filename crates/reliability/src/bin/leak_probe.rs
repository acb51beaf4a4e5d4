//! Runs sends and checks, successful and failing, through the whole library with logging at
//! its most verbose, as an application would set it up: `leak_probe documented [FILTER]` or
//! `leak_probe unfiltered [FILTER]`.
//!
//! Logging goes to stderr through a global `tracing` subscriber filtered by `FILTER` (an
//! `EnvFilter`, `trace` by default: span and field directives such as `[{phone}]=trace` are
//! what a target directive cannot hold back), with the `log` crate bridged into it
//! (`tracing_log::LogTracer`), as an application that also wants its dependencies' `log`
//! records does. `documented` adds the layer `docs/security.md` prescribes
//! (`phone_verify::PhoneLogGuard`, as an embedder gets it); `unfiltered` does not. The simulator runs in this
//! process and its own target is off: it stands in for the provider, its logs are not the
//! library's.
//!
//! When done, it prints on stdout every secret the logs must not hold, one per line: the
//! token, each number (E.164, E.164 digits, national digits, and spaced as the national
//! format writes it) and each code (delivered or typed). The test searches stderr for each.

use std::time::Duration;

use anyhow::Context as _;
use phone_verify::PhoneLogGuard;
use phone_verify_domain::{OtpCode, PhoneNumber};
use phone_verify_reliability::fixture::{TOKEN, mobile_number, send_request, trust_validation};
use phone_verify_reliability::{Stack, StackConfig};
use phone_verify_sim::{Fault, FaultScope, SimConfig};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;

/// A code no delivered code can be (codes are 8 random digits, this one has 9), typed by a
/// careless end user.
const TYPED_WRONG: &str = "314159265";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let documented = match std::env::args().nth(1).as_deref() {
        Some("documented") => true,
        Some("unfiltered") => false,
        _ => anyhow::bail!("usage: leak_probe documented|unfiltered [FILTER]"),
    };
    let directives = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "trace".to_owned());
    let filter = EnvFilter::try_new(format!("{directives},phone_verify_sim=off"))
        .context("a valid filter")?;
    tracing_log::LogTracer::init().context("the log bridge installs")?;
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .finish()
        .with(documented.then(PhoneLogGuard::new));
    tracing::subscriber::set_global_default(subscriber).context("the subscriber installs")?;

    let stack = Stack::start(StackConfig {
        sim: SimConfig::default().code_length(8),
        ..StackConfig::default()
    })
    .await?;
    // Numbers with digits found nowhere else in the output, one per send: a failed send may
    // have delivered, so the cooldown guard would refuse a second one to its number.
    let numbers: Vec<PhoneNumber> = (0..9).map(|i| mobile_number(7_346_512 + 11 * i)).collect();
    let send = |index: usize| {
        let request = send_request(
            numbers[index].clone(),
            trust_validation("leak", index as u32),
        );
        let verification = stack.verification.clone();
        async move { verification.send_code(&request).await }
    };
    let tv = |index| trust_validation("leak", index);
    let delivered = |index: usize| -> anyhow::Result<OtpCode> {
        let code = stack
            .sim
            .last_code_for(numbers[index].e164())
            .context("delivered")?;
        Ok(OtpCode::parse(&code)?)
    };

    // A send and the right code; then the used code again (the provider refuses it); then
    // the same number again at once (refused by the cooldown guard).
    send(0).await.context("the first send succeeds")?;
    stack
        .verification
        .check_code(tv(0), delivered(0)?, None)
        .await?;
    stack
        .verification
        .check_code(tv(0), delivered(0)?, None)
        .await
        .ok();
    stack
        .verification
        .send_code(&send_request(
            numbers[0].clone(),
            trust_validation("leak-again", 0),
        ))
        .await
        .ok();
    // A send whose answer is lost after delivery, then its code checked.
    stack
        .sim
        .inject(Fault::CloseAfterProcessing, FaultScope::Next(1));
    send(1).await.ok();
    stack
        .verification
        .check_code(tv(1), delivered(1)?, None)
        .await?;
    // Provider failures: 500, 503, `success: false`, an unreadable answer, a timeout.
    let faults = [
        Fault::ServerError {
            status: 500,
            html: true,
        },
        Fault::ServerError {
            status: 503,
            html: false,
        },
        Fault::SuccessFalse,
        Fault::MalformedJson,
        Fault::Delay(Duration::from_secs(1)),
    ];
    for (index, fault) in (2..).zip(faults) {
        stack.sim.inject(fault, FaultScope::Next(1));
        send(index).await.ok();
    }
    // A wrong code typed, then a check whose answer is lost.
    send(7).await?;
    stack
        .verification
        .check_code(tv(7), OtpCode::parse(TYPED_WRONG)?, None)
        .await?;
    stack.sim.inject(Fault::CloseAfterRead, FaultScope::Next(1));
    stack
        .verification
        .check_code(tv(7), OtpCode::parse(TYPED_WRONG)?, None)
        .await
        .ok();
    // A number that is not one, parsed (the numbering-plan library logs what it refuses).
    PhoneNumber::parse("+60 12 734").ok();

    println!("{TOKEN}");
    println!("{TYPED_WRONG}");
    for phone in &numbers {
        println!("{}", phone.e164());
        println!("{}", &phone.e164()[1..]);
        println!("{}", phone.national_number());
        for separator in [" ", "-"] {
            println!("{}", spaced(phone.national_number(), separator));
        }
    }
    for sms in stack.sim.inbox() {
        println!("{}", sms.code);
    }
    Ok(())
}

/// A national number as people and the national format space it, `12 734 6512` or
/// `12-734 6512`: a log that reformats a number would show one of these.
fn spaced(national: &str, separator: &str) -> String {
    format!(
        "{}{separator}{} {}",
        &national[..2],
        &national[2..5],
        &national[5..]
    )
}
