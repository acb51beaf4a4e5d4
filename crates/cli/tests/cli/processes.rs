//! Many `phone-verify send` processes at once on one SQLite file, as a fleet of short-lived
//! workers (or a user's shell loop) runs them: each process has its own pool and its own
//! group-commit writer, and only the file's write lock stands between them. The guards must
//! still hold across them, and no send may go unrecorded.

use std::process::{Command, Output};

use phone_verify_app::{HistorySubject, PageRequest, VerificationStore};
use phone_verify_domain::TrustValidationId;
use phone_verify_sql_store::{SqlVerificationStore, SqliteOptions};

use crate::support::{NUMBER, Workspace, send, simulator};

/// How many processes start at once.
const PROCESSES: usize = 12;

/// Starts every command at once (a new, missing store file included), then waits for all.
async fn all_at_once(commands: Vec<Command>) -> Vec<Output> {
    tokio::task::spawn_blocking(move || {
        let children: Vec<_> = commands
            .into_iter()
            .map(|mut command| command.spawn().expect("the binary starts"))
            .collect();
        children
            .into_iter()
            .map(|child| child.wait_with_output().expect("the binary ends"))
            .collect()
    })
    .await
    .expect("joined")
}

fn quiet(mut command: Command) -> Command {
    command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    command
}

async fn sends_recorded(ws: &Workspace, trust_validations: &[String]) -> usize {
    let store = SqlVerificationStore::open_sqlite(ws.db(), SqliteOptions::default())
        .await
        .expect("the store opens");
    let mut sent = 0;
    for tv in trust_validations {
        let page = store
            .history(
                &HistorySubject::TrustValidation(TrustValidationId::parse(tv).expect("an id")),
                PageRequest::first(10),
            )
            .await
            .expect("the history reads");
        sent += page.items.len();
    }
    store.close().await;
    sent
}

#[tokio::test(flavor = "multi_thread")]
async fn processes_sending_to_one_number_at_once_send_one_code() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let tvs: Vec<String> = (0..PROCESSES).map(|n| format!("tv-crowd-{n}")).collect();
    let commands = tvs
        .iter()
        .map(|tv| quiet(send(&sim.base_url(), &ws.db(), NUMBER, tv)))
        .collect();

    let outputs = all_at_once(commands).await;

    let codes: Vec<i32> = outputs
        .iter()
        .map(|output| output.status.code().expect("exited"))
        .collect();
    let sent = codes.iter().filter(|code| **code == 0).count();
    let refused = codes.iter().filter(|code| **code == 4).count();
    let stderr: Vec<String> = outputs
        .iter()
        .map(|output| String::from_utf8_lossy(&output.stderr).into_owned())
        .collect();
    assert_eq!(
        (sent, refused),
        (1, PROCESSES - 1),
        "one sent, the rest refused by the cooldown: {codes:?}\n{stderr:#?}"
    );
    let counters = sim.counters();
    assert_eq!(
        (counters.idmeta_send_requests, counters.codes_sent),
        (1, 1),
        "one request reached the provider"
    );
    // The refused sends wrote nothing; the one sent is recorded.
    assert_eq!(sends_recorded(&ws, &tvs).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn processes_sending_to_different_numbers_at_once_all_send_and_all_are_recorded() {
    let sim = simulator().await;
    let ws = Workspace::new();
    let tvs: Vec<String> = (0..PROCESSES).map(|n| format!("tv-fleet-{n}")).collect();
    let commands = tvs
        .iter()
        .enumerate()
        .map(|(n, tv)| {
            // One number of each block of a thousand: the default guard of ranges refuses a
            // fourth number of one block within the hour.
            let number = format!("+6012{n:02}34567");
            quiet(send(&sim.base_url(), &ws.db(), &number, tv))
        })
        .collect();

    let outputs = all_at_once(commands).await;

    for output in &outputs {
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(sim.counters().codes_sent, PROCESSES as u64);
    assert_eq!(sends_recorded(&ws, &tvs).await, PROCESSES);
}
