//! Rows whose verification status was written the way versions up to 0.1 wrote it (IDMeta's
//! upper-snake names and numeric codes, and a status nobody named as its raw value) read back
//! with their meanings on both engines, next to rows written now (`docs/storage.md`, "The
//! status of a check"). No migration rewrites them.

use std::time::Duration;

use phone_verify_app::{
    AttemptId, AttemptRecord, CheckOutcome, CheckPolicy, CheckReservation, NewCheck, Reservation,
    SendLimits, SendOutcome, VerificationStore,
};
use phone_verify_domain::{CheckVerdict, ReferenceId, VerificationStatus};

use crate::support;
#[cfg(feature = "postgres")]
use crate::support::FreshSchema;
#[cfg(feature = "sqlite")]
use crate::support::SqliteDir;

fn other(name: &str, code: Option<i64>) -> VerificationStatus {
    VerificationStatus::Other {
        name: name.to_owned(),
        code,
    }
}

/// A spelling an earlier version left in `status` and `status_code`.
type Spelling = (&'static str, Option<i64>);

/// The checks of the test: the spelling an earlier version left in the row (`None`: the row is
/// left as this version wrote it) and the status it reads as.
fn checks() -> Vec<(u128, Option<Spelling>, VerificationStatus)> {
    vec![
        (2, Some(("VERIFIED", Some(3))), VerificationStatus::Verified),
        (3, Some(("PENDING", Some(0))), VerificationStatus::Pending),
        (4, Some(("REJECTED", Some(1))), VerificationStatus::Rejected),
        (5, Some(("ON_HOLD", Some(42))), other("ON_HOLD", Some(42))),
        // Written now: a raw value that spells a stable name stays a raw value.
        (6, None, other("verified", Some(7))),
        (7, None, VerificationStatus::Verified),
    ]
}

/// The SQL that gives a check's row an earlier version's spelling; `$1`-style placeholders,
/// which both engines read.
const OLD_SPELLING: &str =
    "UPDATE verification_attempts SET status = $1, status_code = $2 WHERE id = $3";

/// Rewrites the rows of [`checks`] to their old spellings through `$pool`, and closes it (a
/// macro: the two engines' pools share no trait that sqlx's queries accept).
macro_rules! respell {
    ($pool:expr) => {{
        let pool = $pool;
        for (n, spelling, _) in checks() {
            if let Some((text, code)) = spelling {
                sqlx::query(OLD_SPELLING)
                    .bind(text)
                    .bind(code)
                    .bind(uuid::Uuid::from_u128(n))
                    .execute(&pool)
                    .await
                    .expect("rewrites the row");
            }
        }
        pool.close().await;
    }};
}

/// A sent send and one answered check of it per [`checks`], written through the store.
async fn write_checks(store: &dyn VerificationStore) {
    let t0 = support::t0();
    let reservation = store
        .reserve_send(support::new_send(1, "tv-a", t0), &SendLimits::default())
        .await
        .expect("the send reserves");
    assert_eq!(reservation, Reservation::Reserved);
    let reference = ReferenceId::parse("0123456789ABCDEF0123456789ABCDEF").expect("a reference");
    store
        .finish_send(
            AttemptId::from_u128(1),
            SendOutcome::Sent {
                reference: reference.clone(),
                submitted_at: None,
            },
            t0,
        )
        .await
        .expect("the send finishes");
    let policy = CheckPolicy {
        max_attempts: 10,
        ..CheckPolicy::default()
    };
    for (n, _, status) in checks() {
        let id = AttemptId::from_u128(n);
        let started_at = t0 + Duration::from_secs(u64::try_from(n).expect("small"));
        let check = NewCheck {
            id,
            trust_validation: support::validation("tv-a"),
            started_at,
        };
        let reserved = store
            .reserve_check(check, &policy)
            .await
            .expect("the check reserves");
        assert!(
            matches!(reserved, CheckReservation::Reserved(_)),
            "{reserved:?}"
        );
        let outcome = CheckOutcome::Answered {
            verdict: CheckVerdict::WrongCode,
            status,
            reference: Some(reference.clone()),
        };
        store
            .finish_check(id, outcome, started_at)
            .await
            .expect("the check finishes");
    }
}

/// Every check reads back with the status [`checks`] expects.
async fn assert_read_back(store: &dyn VerificationStore) {
    let history = support::history_of_number(store).await;
    for (n, spelling, expected) in checks() {
        let id = AttemptId::from_u128(n);
        let status = history.iter().find_map(|record| match record {
            AttemptRecord::Check(check) if check.id == id => match check.outcome() {
                CheckOutcome::Answered { status, .. } => Some(status),
                other => panic!("check {n} is answered, read {other:?}"),
            },
            _ => None,
        });
        assert_eq!(status, Some(expected), "check {n} written as {spelling:?}");
    }
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn a_sqlite_file_reads_the_statuses_earlier_versions_wrote() {
    let dir = SqliteDir::new();
    let store = dir
        .open(phone_verify_sql_store::SqliteOptions::default())
        .await;
    write_checks(&store).await;
    let pool = sqlx::SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new().filename(dir.file()),
    )
    .await
    .expect("opens");
    respell!(pool);
    assert_read_back(&store).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_postgres_schema_reads_the_statuses_earlier_versions_wrote() {
    let Some(url) = phone_verify_sql_store::test_postgres_url(
        "a_postgres_schema_reads_the_statuses_earlier_versions_wrote",
    ) else {
        return;
    };
    let schema = FreshSchema::new(&url).await;
    let store = schema.connect().await;
    write_checks(&store).await;
    let pool = schema.raw_pool().await;
    respell!(pool);
    assert_read_back(&store).await;
    store.close().await;
}
