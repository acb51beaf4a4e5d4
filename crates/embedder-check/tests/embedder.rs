//! An embedder's first day, through `phone-verify` alone: send and check codes, keep the
//! record in SQLite, convert it to protected numbers, reconcile, purge, close, and log at
//! `trace` through an ordinary subscriber set up as the README's "Logging" says (the
//! facade's `PhoneLogGuard` first). The numbering library logs the national number in clear
//! at `trace`; the guard keeps it out. One test in its own binary: the subscriber and the
//! `log` bridge are process-wide.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use phone_verify::numbers::NumberKeyring;
use phone_verify::ports::Utc;
use phone_verify::records::{MIN_ABANDONED_AFTER, PageRequest, PurgeMode};
use phone_verify::sql::{DEFAULT_PROTECT_BATCH, SqliteOptions};
use phone_verify::testing::{ManualClock, sim};
use phone_verify::{
    NextStep, OtpCode, PhoneLogGuard, PhoneNumber, PhoneVerification, SendCodeRequest,
    TrustValidationId,
};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The numbers of day one and day two (the simulator, like IDMeta, refuses a second code to
/// a number within 30 s), and the forms a leak of either could take.
const NUMBER: &str = "+60 18-225 8491";
const SECOND_NUMBER: &str = "+60 18-225 8492";
const CLEAR_FORMS: [&str; 8] = [
    "+60182258491",
    "60182258491",
    "182258491",
    "18-225 8491",
    "+60182258492",
    "60182258492",
    "182258492",
    "18-225 8492",
];

/// Everything the subscriber printed.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned()
    }
}

/// Sends a code to `number` for `trust_validation` and checks the one the simulated handset
/// received, naming the number to the check (a protected store keeps none to name).
async fn send_and_check(
    verification: &PhoneVerification,
    simulator: &sim::Simulator,
    number: &str,
    trust_validation: &str,
) {
    let request = SendCodeRequest::new(
        PhoneNumber::parse(number).expect("a number"),
        TrustValidationId::parse(trust_validation).expect("an id"),
    );
    let sent = verification.send_code(&request).await;
    assert_eq!(
        verification.next_step(&sent),
        NextStep::UseCodeSent,
        "{sent:?}"
    );
    let code = simulator
        .last_code_for(request.phone.e164())
        .expect("the handset received a code");
    let checked = verification
        .check_code(
            request.trust_validation,
            OtpCode::parse(&code).expect("a code"),
            Some(&request.phone),
        )
        .await;
    assert_eq!(
        verification.next_step(&checked),
        NextStep::Verified,
        "{checked:?}"
    );
}

/// The size of the SQLite WAL beside `db`, zero when there is none.
fn wal_bytes(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |meta| meta.len())
}

#[tokio::test]
async fn an_embedder_verifies_numbers_and_looks_after_its_store_with_no_number_in_its_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    // As the README's "Logging" says: the guard first, then the embedder's own layers;
    // `init` installs the `log` bridge too.
    tracing_subscriber::registry()
        .with(PhoneLogGuard::new())
        .with(tracing_subscriber::EnvFilter::new("trace"))
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(move || writer.clone()),
        )
        .init();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("phone-verify.db");
    let simulator = sim::start(sim::SimConfig::default())
        .await
        .expect("the simulator starts");
    let clock = ManualClock::new(Utc::now());

    // Day one: numbers in clear.
    let verification = PhoneVerification::builder()
        .simulator(&simulator)
        .sqlite(&db)
        .clock(clock.clone())
        .build()
        .await
        .expect("the handle builds");
    send_and_check(&verification, &simulator, NUMBER, "signup-1").await;
    verification.records().close().await;
    assert_eq!(wal_bytes(&db), 0, "close checkpoints the WAL into the .db");

    // A backup that copies the .db alone has everything.
    let backup = dir.path().join("backup.db");
    std::fs::copy(&db, &backup).expect("the .db copies");
    let from_backup = PhoneVerification::builder()
        .sqlite_with(&backup, SqliteOptions::default().create_if_missing(false))
        .build_records()
        .await
        .expect("the backup opens, without a provider");
    let phone = PhoneNumber::parse(NUMBER).expect("a number");
    let history = from_backup
        .history_of_number(&phone, PageRequest::first(10))
        .await
        .expect("the history reads");
    assert_eq!(history.items.len(), 2, "the send and the check");
    for record in &history.items {
        let line = record.to_string();
        assert!(
            CLEAR_FORMS.iter().all(|form| !line.contains(form)),
            "{line}"
        );
    }
    from_backup.close().await;

    // Day two: the same store, numbers protected from now on and the old rows converted.
    let keyring = NumberKeyring::parse(&format!("k1:{}", "5a".repeat(32))).expect("a keyring");
    let verification = PhoneVerification::builder()
        .simulator(&simulator)
        .sqlite_with(&db, SqliteOptions::default().create_if_missing(false))
        .protect_numbers(keyring)
        .clock(clock.clone())
        .build()
        .await
        .expect("the handle builds over the same file");
    let records = verification.records();
    assert_eq!(records.count_clear_numbers().await.expect("counted"), 2);
    assert_eq!(
        records
            .protect_clear_numbers(DEFAULT_PROTECT_BATCH)
            .await
            .expect("converted"),
        2
    );
    assert_eq!(records.count_clear_numbers().await.expect("counted"), 0);
    clock.advance(Duration::from_secs(60));
    send_and_check(&verification, &simulator, SECOND_NUMBER, "signup-2").await;

    // Upkeep: nothing was left in flight; a year on, everything goes.
    let reconciled = records
        .reconcile(MIN_ABANDONED_AFTER)
        .await
        .expect("reconciled");
    assert_eq!(reconciled.closed.total(), 0, "{reconciled:?}");
    clock.advance(Duration::from_secs(365 * 24 * 3600));
    let purged = records
        .purge(Duration::from_secs(90 * 24 * 3600), PurgeMode::Delete)
        .await
        .expect("purged");
    assert_eq!(purged.attempts.total(), 4, "{purged:?}");
    let history = records
        .history_of_number(&phone, PageRequest::first(10))
        .await
        .expect("the history reads");
    assert!(history.items.is_empty(), "{history:?}");
    records.close().await;
    assert_eq!(wal_bytes(&db), 0, "close checkpoints the WAL into the .db");

    let text = captured.text();
    assert!(
        text.contains("+60*****8491") && text.contains("+60*****8492"),
        "the masked number is logged, so the capture works:\n{text}"
    );
    for form in CLEAR_FORMS {
        assert!(!text.contains(form), "{form:?} reached the log:\n{text}");
    }
}
