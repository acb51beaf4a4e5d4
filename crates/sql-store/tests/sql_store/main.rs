//! Tests of the SQL store on both backends: the app's store contract, guards racing across
//! two instances, durability across a restart, migrations run by several instances at once,
//! no clear number in a protected store's file or table (and the conversion of one in clear),
//! another application's database refused by name and left as it was, read-only opens that
//! change nothing on disk, and the typed errors of a locked, read-only or unreachable SQLite
//! file.
//!
//! Each backend's tests are compiled under its feature (`sqlite`, `postgres`), so
//! `--no-default-features --features sqlite` runs the SQLite tests alone.
//!
//! The PostgreSQL tests read their URL from `PHONE_VERIFY_TEST_POSTGRES_URL`; without it they
//! print `skipped: ...` and pass, except in CI (`CI=true`), where they fail. Each works in a
//! schema of its own, dropped at the end.

#[cfg(feature = "postgres")]
mod clocks;
mod contract;
mod durability;
#[cfg(feature = "sqlite")]
mod files;
mod migrations;
mod not_ours;
mod number_keys;
mod numbers_at_rest;
mod old_spellings;
mod races;
mod read_only;
#[cfg(feature = "sqlite")]
mod sqlite_failures;
mod support;
#[cfg(feature = "postgres")]
mod tls;
#[cfg(feature = "postgres")]
mod without_postgres;
