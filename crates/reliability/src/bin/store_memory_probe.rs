//! The in-memory store under a long run, measured on its own:
//! `store_memory_probe <sends> <retention seconds | forever>`.
//!
//! Records `sends` sends (and a check of every fourth) on an `InMemoryVerificationStore`,
//! one simulated second apart (explicit timestamps: no waiting), to 1,000 numbers in turn,
//! each for a trust validation of its own. Reads this process's peak resident size and the
//! store's size a quarter of the way through and at the end, and prints one line:
//! `len_quarter=… len_end=… peak_quarter_kib=… peak_end_kib=…`. With `forever` the store is
//! told to keep everything: the control, whose growth the measurement must see.

use std::time::Duration;

use anyhow::Context as _;
use chrono::{TimeZone, Utc};
use phone_verify_app::{
    AttemptId, CheckOutcome, CheckPolicy, CheckReservation, InMemoryVerificationStore, NewCheck,
    NewSend, Reservation, SendLimits, SendOutcome, VerificationStore,
};
use phone_verify_domain::{CheckVerdict, ReferenceId, VerificationStatus};
use phone_verify_reliability::fixture::{mobile_number, trust_validation};
use phone_verify_reliability::process::peak_rss_kib;

const NUMBERS: u32 = 1_000;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let usage = "usage: store_memory_probe <sends> <retention seconds | forever>";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [sends, retention] = args.as_slice() else {
        anyhow::bail!(usage);
    };
    let sends: u32 = sends.parse().context(usage)?;
    let retention = match retention.as_str() {
        "forever" => Duration::MAX,
        seconds => Duration::from_secs(seconds.parse().context(usage)?),
    };
    let store = InMemoryVerificationStore::new().keep_for(retention);
    let numbers: Vec<_> = (0..NUMBERS).map(mobile_number).collect();
    let reference = ReferenceId::parse("0123456789ABCDEF0123456789ABCDEF")?;
    let (limits, policy) = (SendLimits::default(), CheckPolicy::default());
    let start = Utc
        .with_ymd_and_hms(2026, 5, 14, 10, 0, 0)
        .single()
        .context("a valid instant")?;
    let mut quarter = (0, 0);
    for index in 0..sends {
        let at = start + Duration::from_secs(u64::from(index));
        let send = AttemptId::from_u128(u128::from(index) * 2);
        let tv = trust_validation("memory", index);
        let phone = &numbers[(index % NUMBERS) as usize];
        let new_send = NewSend {
            id: send,
            number: store.numbers().at_rest(phone),
            lookup: store.numbers().lookup(phone),
            trust_validation: tv.clone(),
            provider: phone_verify_domain::ProviderName::idmeta(),
            channel: phone_verify_domain::Channel::Sms,
            range: None,
            prefix: None,
            client: None,
            started_at: at,
        };
        let reserved = store.reserve_send(new_send, &limits).await?;
        anyhow::ensure!(
            reserved == Reservation::Reserved,
            "send {index}: {reserved:?}"
        );
        let outcome = SendOutcome::Sent {
            reference: reference.clone(),
            submitted_at: Some(at),
        };
        store.finish_send(send, outcome, at).await?;
        if index % 4 == 0 {
            let check = AttemptId::from_u128(u128::from(index) * 2 + 1);
            let new_check = NewCheck {
                id: check,
                trust_validation: tv,
                started_at: at,
            };
            let reserved = store.reserve_check(new_check, &policy).await?;
            anyhow::ensure!(
                matches!(reserved, CheckReservation::Reserved(_)),
                "check {index}: {reserved:?}"
            );
            let outcome = CheckOutcome::Answered {
                verdict: CheckVerdict::Verified,
                status: VerificationStatus::Pending,
                reference: None,
            };
            store.finish_check(check, outcome, at).await?;
        }
        if index + 1 == sends / 4 {
            quarter = (store.len(), peak_rss_kib().context("no /proc/self/status")?);
        }
    }
    let peak_end = peak_rss_kib().context("no /proc/self/status")?;
    println!(
        "len_quarter={} len_end={} peak_quarter_kib={} peak_end_kib={peak_end}",
        quarter.0,
        store.len(),
        quarter.1,
    );
    Ok(())
}
