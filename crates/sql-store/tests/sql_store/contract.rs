//! The app's store contract: on SQLite one test per case, each on a file of its own; on
//! PostgreSQL every case in one test (so that it can report itself skipped), each case in a
//! schema of its own.

use crate::support;

phone_verify_app::store_contract_tests!(support::disposable_sqlite);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_postgres_store_passes_the_whole_contract() {
    let Some(url) = support::postgres_url("the_postgres_store_passes_the_whole_contract") else {
        return;
    };
    phone_verify_app::store_contract::run_all(|| support::disposable_postgres(&url)).await;
}
