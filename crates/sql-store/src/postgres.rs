//! The PostgreSQL backend: a schema of its own, and transactions that take advisory locks
//! (per number and per trust validation for a send, per trust validation for a check) before they read
//! the guards' counts, so that instances on one database reserve one at a time per key.

use std::time::Duration;

use phone_verify_app::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions as _, Connection as _};

use crate::failure::{failure, migration_error, store_error};
use crate::identity::{self, Access, Contents};
use crate::migrations;
use crate::options::{PostgresOptions, SchemaName};
use crate::pool::close_pool;
use crate::refusal::{NotOurStore, NotOurStoreReason, StorePlace};
use crate::session::{Session, Value};

/// The first key of the store's advisory locks, one per kind of thing locked: the two-key
/// lock space, which does not overlap the one-key space sqlx's migrator locks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(i32)]
pub(crate) enum LockClass {
    /// The schema, while it is created.
    Schema = 0x5076_0000,
    /// A phone number (E.164), while a send to it is reserved.
    Number = 0x5076_0001,
    /// A trust validation, while a send or a check for it is reserved. (`0x5076_0003`, a
    /// send while a check of it was reserved, is retired: a check now chooses its send under
    /// the trust validation's lock.)
    TrustValidation = 0x5076_0002,
    /// The scrub after a conversion or a purge (`SqlVerificationStore::scrub_number_traces`),
    /// held by the session that runs it: two `REINDEX … CONCURRENTLY` of one index at once
    /// deadlock, so scrubs run one after the other. The second key is the schema's.
    Scrub = 0x5076_0004,
}

/// The second key of `value`'s advisory lock ([`lock_key`]), for a lock taken elsewhere.
pub(crate) fn key_of(value: &str) -> i32 {
    lock_key(value)
}

/// The second key: 32-bit FNV-1a of the locked value. Two values with one hash share a lock,
/// which only makes them wait for each other.
fn lock_key(value: &str) -> i32 {
    let hash = value.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    hash.cast_signed()
}

const LOCK: &str = "SELECT pg_advisory_xact_lock($1, $2)";
const LOCK_TWO: &str = "SELECT pg_advisory_xact_lock($1, $2), pg_advisory_xact_lock($3, $4)";

/// Opens a pool whose connections work in the options' schema. A writing open creates the
/// schema and migrates it; a read-only one changes nothing (no DDL, every transaction
/// read-only at the server). Either way, a schema that is not a phone-verify store is
/// refused first.
pub(crate) async fn connect(
    base: PgConnectOptions,
    options: &PostgresOptions,
) -> Result<PgPool, StoreError> {
    let schema = options.schema.as_str();
    let mut settings = vec![
        ("search_path", schema.to_owned()),
        ("lock_timeout", millis(options.lock_timeout)),
    ];
    if options.read_only {
        settings.push(("default_transaction_read_only", String::from("on")));
    }
    let connect = base.options(settings);
    // One connection first, outside the pool: a refused port, a failed handshake or refused
    // credentials answer at once with their own error, where the pool would retry until its
    // acquire timeout and say only that it timed out.
    let probe = connect
        .connect()
        .await
        .map_err(|error| StoreError::unavailable(failure(error)))?;
    // Closing is a courtesy to the server; the connection is dropped either way.
    let _ = probe.close().await;
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .connect_with(connect)
        .await
        .map_err(|error| StoreError::unavailable(failure(error)))?;
    if let Err(error) = prepare(&pool, options).await {
        close_pool(&pool).await;
        return Err(error);
    }
    Ok(pool)
}

/// Looks at the schema, refuses it when it is not a phone-verify store (or, read-only, not
/// one of this release), and otherwise creates and migrates it unless read-only.
async fn prepare(pool: &PgPool, options: &PostgresOptions) -> Result<(), StoreError> {
    let place = StorePlace::Schema(options.schema.clone());
    let Some(contents) = contents(pool, &options.schema).await? else {
        if options.read_only {
            let missing = NotOurStore::new(place, NotOurStoreReason::Missing);
            return Err(StoreError::misconfigured(missing));
        }
        create_schema(pool, options.schema.as_str()).await?;
        return migrate(pool).await;
    };
    let ours = migrations::POSTGRES
        .migrator()
        .await
        .map_err(migration_error)?;
    let access = if options.read_only {
        Access::ReadOnly
    } else {
        Access::Create
    };
    identity::admit(
        identity::identify(&contents, &ours.migrations),
        access,
        &place,
    )?;
    if options.read_only {
        return Ok(());
    }
    create_schema(pool, options.schema.as_str()).await?;
    migrate(pool).await
}

/// What the schema holds, or `None` when there is no such schema.
async fn contents(pool: &PgPool, schema: &SchemaName) -> Result<Option<Contents>, StoreError> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
            .bind(schema.as_str())
            .fetch_one(pool)
            .await
            .map_err(store_error)?;
    if !exists {
        return Ok(None);
    }
    // Tables, partitioned tables, views, materialized views and foreign tables.
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
    )
    .bind(schema.as_str())
    .fetch_all(pool)
    .await
    .map_err(store_error)?;
    let contents = Contents::of(&names, async || {
        // `schema` is a validated `SchemaName`: safe to splice, as identifiers cannot be bound.
        let rows = sqlx::query(&identity::history_query(Some(schema.as_str())))
            .fetch_all(pool)
            .await;
        identity::read_history(rows)
    })
    .await?;
    Ok(Some(contents))
}

fn millis(duration: Duration) -> String {
    format!("{}ms", duration.as_millis())
}

/// Creates the schema if missing. Two sessions creating one schema at once can fail on
/// PostgreSQL's catalog, even with `IF NOT EXISTS`, so it is done under an advisory lock.
async fn create_schema(pool: &PgPool, schema: &str) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(store_error)?;
    sqlx::query(LOCK)
        .bind(LockClass::Schema as i32)
        .bind(lock_key(schema))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
    // `schema` is a validated `SchemaName`: safe to splice, as identifiers cannot be bound.
    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
    tx.commit().await.map_err(store_error)
}

/// Brings the schema up to date. sqlx's migrator holds a database-wide advisory lock while it
/// runs, so instances starting together migrate one after the other.
pub(crate) async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let migrator = migrations::POSTGRES
        .migrator()
        .await
        .map_err(migration_error)?;
    migrator.run(pool).await.map_err(migration_error)
}

/// A transaction holding the advisory locks of `keys`, taken in the order given. Every
/// caller takes them in [`LockClass`] order (a number before a trust validation), so two
/// transactions never wait for each other in a cycle.
pub(crate) async fn begin_locked(
    pool: &PgPool,
    keys: &[(LockClass, &str)],
) -> Result<Session, StoreError> {
    debug_assert!(keys.is_sorted_by_key(|(class, _)| *class));
    let mut session = begin_read(pool).await?;
    // Two locks a statement (one round trip for a send's number and trust validation): a
    // target list is evaluated left to right, so the order holds within a statement too.
    for pair in keys.chunks(2) {
        let mut values = Vec::with_capacity(4);
        for (class, value) in pair {
            values.push(Value::from(*class as i32));
            values.push(lock_key(value).into());
        }
        let statement = if pair.len() == 2 { LOCK_TWO } else { LOCK };
        session.execute(statement, values).await?;
    }
    Ok(session)
}

/// A connection outside any transaction: each statement commits on its own, in one round
/// trip. Only for a write of one statement, which is as atomic alone as in a transaction.
pub(crate) async fn autocommit(pool: &PgPool) -> Result<Session, StoreError> {
    let connection = pool.acquire().await.map_err(store_error)?;
    Ok(Session::PostgresAutocommit(connection))
}

/// A plain transaction (read committed).
pub(crate) async fn begin_read(pool: &PgPool) -> Result<Session, StoreError> {
    let tx = pool.begin().await.map_err(store_error)?;
    Ok(Session::Postgres(tx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_are_fnv_1a_so_every_release_locks_the_same_key() {
        // Published FNV-1a 32-bit test vectors.
        assert_eq!(lock_key(""), 0x811c_9dc5_u32.cast_signed());
        assert_eq!(lock_key("a"), 0xe40c_292c_u32.cast_signed());
        assert_eq!(lock_key("foobar"), 0xbf9c_f968_u32.cast_signed());
    }
}
