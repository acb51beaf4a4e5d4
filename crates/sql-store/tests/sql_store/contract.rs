//! The app's store contract on both engines, one test per case, each on a SQLite file or in a
//! PostgreSQL schema of its own.

#[cfg(feature = "sqlite")]
mod sqlite {
    phone_verify_app::store_contract_tests!(crate::support::disposable_sqlite);
}

#[cfg(feature = "postgres")]
mod postgres {
    phone_verify_app::store_contract_tests!(crate::support::disposable_postgres);
}
