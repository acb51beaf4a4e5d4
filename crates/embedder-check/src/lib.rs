//! No code: this crate is the library seen from outside. Its test (`tests/embedder.rs`)
//! depends on `phone-verify` alone, as an embedding back end does, and checks the promises
//! the README makes to one: a code sent and checked, the SQLite store purged, reconciled,
//! converted to protected numbers and closed with its WAL checkpointed, and no phone number
//! in a `trace` log set up the way the README's "Logging" says.
