//! The guard holds across processes: two stores with pools of their own (two instances) on
//! one database race fifty sends to one number, and exactly one passes.

use std::sync::Arc;

use phone_verify_app::{Reservation, SendLimits, SendRefusal, VerificationStore};
#[cfg(feature = "sqlite")]
use phone_verify_sql_store::SqliteOptions;

use crate::support;
#[cfg(feature = "postgres")]
use crate::support::FreshSchema;
#[cfg(feature = "sqlite")]
use crate::support::SqliteDir;

async fn race_fifty_sends(instances: [Arc<dyn VerificationStore>; 2]) {
    let limits = Arc::new(SendLimits::default());
    let tasks: Vec<_> = (0..50u128)
        .map(|n| {
            let store = Arc::clone(&instances[usize::from(n % 2 == 1)]);
            let limits = Arc::clone(&limits);
            tokio::spawn(async move {
                let send = support::new_send(1000 + n, &format!("tv-{n}"), support::t0());
                store.reserve_send(send, &limits).await
            })
        })
        .collect();
    let mut reserved = 0;
    for task in tasks {
        match task.await.expect("the task completes") {
            Ok(Reservation::Reserved) => reserved += 1,
            Ok(Reservation::Refused(SendRefusal::CoolingDown { .. })) => {}
            other => panic!("a racing send is reserved or cooling down, got {other:?}"),
        }
    }
    assert_eq!(reserved, 1, "exactly one of the racing sends passes");
    for store in &instances {
        let history = support::history_of_number(&**store).await;
        assert_eq!(
            history.len(),
            1,
            "each instance sees the one send: {history:?}"
        );
    }
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_sends_racing_from_two_sqlite_instances_let_exactly_one_through() {
    let dir = SqliteDir::new();
    let first = dir.open(SqliteOptions::default()).await;
    let second = dir.open(SqliteOptions::default()).await;
    race_fifty_sends([first.into_port(), second.into_port()]).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_sends_racing_from_two_postgres_instances_let_exactly_one_through() {
    let Some(url) = phone_verify_sql_store::test_postgres_url(
        "fifty_sends_racing_from_two_postgres_instances_let_exactly_one_through",
    ) else {
        return;
    };
    let schema = FreshSchema::new(&url).await;
    let first = schema.connect().await;
    let second = schema.connect().await;
    race_fifty_sends([first.into_port(), second.into_port()]).await;
}
