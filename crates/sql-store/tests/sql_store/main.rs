//! Tests of the SQL store on both backends: the app's store contract, guards racing across
//! two instances, durability across a restart, migrations run by several instances at once,
//! and the typed errors of a locked, read-only or damaged SQLite file.
//!
//! The PostgreSQL tests read their URL from `PHONE_VERIFY_TEST_POSTGRES_URL`; without it
//! they print `skipped: ...` and pass. Each works in a schema of its own, dropped at the end.

mod contract;
mod durability;
mod files;
mod migrations;
mod races;
mod sqlite_failures;
mod support;
