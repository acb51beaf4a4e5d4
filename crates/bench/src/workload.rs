//! The sends of a run: every one to a new, valid number and a new trust validation, so no
//! guard of the app and no cooldown of the simulator refuses it, and the request the
//! baseline posts is byte for byte what the adapter would.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use bytes::Bytes;
use phone_verify_domain::{PhoneNumber, SendCodeRequest, TrustValidationId};
use serde_json::json;

/// The trust flow of every send.
pub(crate) const TRUST_FLOW: u64 = 147;
/// Malaysia's country calling code, as the adapter sends it; its mobiles are `01X` and seven
/// digits.
const COUNTRY_CODE: &str = "+60";
/// Numbers in one block of a mobile prefix.
pub(crate) const BLOCK: u64 = 10_000_000;
/// Odd and not a multiple of 5, so coprime with [`BLOCK`]: `n * MULTIPLIER % BLOCK` visits
/// every number of a block once, in an order that spreads consecutive sends over the whole
/// block (and over the stores' number index), as real traffic does.
pub(crate) const MULTIPLIER: u64 = 7_654_321;
/// Malaysian mobile prefixes under which every seven-digit number is valid (`018` and others
/// are not: only some of their ranges are allocated); the first is the history's.
const MOBILE_PREFIXES: [&str; 3] = ["12", "16", "19"];
/// The prefix of the trust validations of benchmark sends (the history's are `history-`).
pub(crate) const TRUST_VALIDATION_PREFIX: &str = "bench-";

/// The national number of the `n`-th number of the run (without the country code): the
/// [`MULTIPLIER`]'s permutation of the block, its seven digits then read backwards. The
/// multiplier alone cycles the leading digits with a short period: 20,000 consecutive sends
/// fell in only 100 blocks of 1,000 numbers, 200 sends a block, so the guard of ranges (which
/// reads a block's sends of the hour) read 200 rows a send, where honest traffic spread over
/// a country puts a few sends an hour in a block (`docs/performance.md`). Read backwards,
/// every 10,000 consecutive sends fall in 10,000 distinct blocks.
pub(crate) fn national_number(n: u64) -> String {
    let block = usize::try_from(n / BLOCK).unwrap_or(usize::MAX) % MOBILE_PREFIXES.len();
    let scrambled = (n % BLOCK) * MULTIPLIER % BLOCK;
    let digits = format!("{scrambled:07}");
    let backwards: String = digits.chars().rev().collect();
    format!("{}{backwards}", MOBILE_PREFIXES[block])
}

/// One send, prepared before the clock starts: the domain request for the library, the
/// JSON body for the baseline.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) request: SendCodeRequest,
    pub(crate) body: Bytes,
}

/// Hands out numbers never used before in the run.
#[derive(Debug)]
pub(crate) struct Numbers {
    next: AtomicU64,
}

impl Numbers {
    /// Numbers from `first` on (the history takes those below).
    pub(crate) fn starting_at(first: u64) -> Self {
        Self {
            next: AtomicU64::new(first),
        }
    }

    /// `count` new sends.
    pub(crate) fn jobs(&self, count: usize) -> anyhow::Result<Vec<Job>> {
        let first = self.next.fetch_add(count as u64, Ordering::Relaxed);
        (first..first + count as u64).map(job).collect()
    }
}

fn job(n: u64) -> anyhow::Result<Job> {
    let national = national_number(n);
    let trust_validation = format!("{TRUST_VALIDATION_PREFIX}{n}");
    let request = SendCodeRequest::new(
        PhoneNumber::from_parts(COUNTRY_CODE, &national)
            .context("a generated number is not a valid Malaysian mobile")?,
        TrustValidationId::parse(&trust_validation)
            .context("a generated trust validation is not valid")?,
    );
    let body = serde_json::to_vec(&json!({
        "country_code": COUNTRY_CODE,
        "phone_number": national,
        "trustFlowId": TRUST_FLOW,
        "trustValidationId": trust_validation,
    }))?;
    Ok(Job {
        request,
        body: Bytes::from(body),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn consecutive_sends_get_distinct_valid_mobile_numbers() {
        let jobs = Numbers::starting_at(BLOCK - 50)
            .jobs(100)
            .expect("valid numbers");
        let numbers: HashSet<&str> = jobs.iter().map(|j| j.request.phone.e164()).collect();
        assert_eq!(numbers.len(), 100);
        assert!(
            jobs.iter()
                .all(|j| j.request.phone.e164().starts_with("+601"))
        );
    }

    #[test]
    fn consecutive_sends_spread_over_the_blocks_of_a_thousand_numbers() {
        let blocks: HashSet<String> = (0..10_000)
            .map(|n| {
                let national = national_number(n);
                national[..national.len() - 3].to_owned()
            })
            .collect();
        assert_eq!(blocks.len(), 10_000, "a block of 1,000 numbers each");
    }

    #[test]
    fn the_baseline_body_carries_the_same_number_as_the_request() {
        let job = &Numbers::starting_at(7).jobs(1).expect("valid")[0];
        let body: serde_json::Value = serde_json::from_slice(&job.body).expect("json");
        assert_eq!(
            format!(
                "{}{}",
                body["country_code"].as_str().unwrap_or_default(),
                body["phone_number"].as_str().unwrap_or_default()
            ),
            job.request.phone.e164()
        );
    }
}
