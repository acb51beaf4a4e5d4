//! The in-memory store against the store contract, one test per case.

use std::sync::Arc;

use phone_verify_app::{InMemoryVerificationStore, VerificationStore};

fn in_memory() -> Arc<dyn VerificationStore> {
    Arc::new(InMemoryVerificationStore::new())
}

phone_verify_app::store_contract_tests!(|| async { in_memory() });

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_in_memory_store_passes_the_whole_contract_in_one_run() {
    phone_verify_app::store_contract::run_all(|| async { in_memory() }).await;
}
