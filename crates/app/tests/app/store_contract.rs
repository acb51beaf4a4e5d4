//! The in-memory store against the store contract, one test per case.

use std::sync::Arc;

use phone_verify_app::{InMemoryVerificationStore, VerificationStore};

fn in_memory() -> Arc<dyn VerificationStore> {
    Arc::new(InMemoryVerificationStore::new())
}

phone_verify_app::store_contract_tests!(|| async { in_memory() });
