//! The versioned schema of each backend, embedded in the binary and run by sqlx's migrator.
//!
//! The files are embedded with `include_str!` and handed to the migrator through its public
//! [`MigrationSource`] trait, rather than with `sqlx::migrate!`: the macro would build sqlx's
//! drivers (and SQLite's C sources) a second time, for the host, on every clean build.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// One migration: version, description, SQL. A migration whose SQL both engines read alike
/// is written once, in `migrations/common/`, and listed for each.
pub(crate) type Embedded = (i64, &'static str, &'static str);

/// The migrations of one backend, in version order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migrations(pub(crate) &'static [Embedded]);

/// The migrations of the engine whose own files are in `migrations/<$engine>/` (1, 2 and 5);
/// every other one is in `migrations/common/`, read alike by both. One list for both engines,
/// so that a migration cannot be added to one and forgotten in the other.
macro_rules! migrations {
    ($engine:literal) => {
        Migrations(&[
            (
                1,
                "verification attempts",
                include_str!(concat!(
                    "../migrations/",
                    $engine,
                    "/0001_verification_attempts.sql"
                )),
            ),
            (
                2,
                "current send",
                include_str!(concat!("../migrations/", $engine, "/0002_current_send.sql")),
            ),
            (
                3,
                "lifecycle",
                include_str!("../migrations/common/0003_lifecycle.sql"),
            ),
            (
                4,
                "provider",
                include_str!("../migrations/common/0004_provider.sql"),
            ),
            (
                5,
                "protected numbers",
                include_str!(concat!(
                    "../migrations/",
                    $engine,
                    "/0005_protected_numbers.sql"
                )),
            ),
            (
                6,
                "number keys",
                include_str!("../migrations/common/0006_number_keys.sql"),
            ),
            (
                7,
                "linear purge",
                include_str!("../migrations/common/0007_linear_purge.sql"),
            ),
            (
                8,
                "channel",
                include_str!("../migrations/common/0008_channel.sql"),
            ),
            (
                9,
                "calling code",
                include_str!("../migrations/common/0009_calling_code.sql"),
            ),
            (
                10,
                "number range",
                include_str!("../migrations/common/0010_number_range.sql"),
            ),
            (
                11,
                "verified by country",
                include_str!("../migrations/common/0011_verified_by_country.sql"),
            ),
            (
                12,
                "client digest",
                include_str!("../migrations/common/0012_client_digest.sql"),
            ),
            (
                13,
                "clear ranges",
                include_str!("../migrations/common/0013_clear_ranges.sql"),
            ),
            (
                14,
                "refusal counts",
                include_str!("../migrations/common/0014_refusal_counts.sql"),
            ),
            (
                15,
                "breaker prefix",
                include_str!("../migrations/common/0015_breaker_prefix.sql"),
            ),
        ])
    };
}

#[cfg(feature = "sqlite")]
pub(crate) const SQLITE: Migrations = migrations!("sqlite");

#[cfg(feature = "postgres")]
pub(crate) const POSTGRES: Migrations = migrations!("postgres");

impl MigrationSource<'static> for Migrations {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

impl Migrations {
    /// The migrator. Versions applied by a newer release of this crate are tolerated, so an
    /// instance of the previous release keeps working during a rolling upgrade; migrations
    /// are therefore additive (see `docs/storage.md`).
    pub(crate) async fn migrator(self) -> Result<Migrator, sqlx::migrate::MigrateError> {
        let mut migrator = Migrator::new(self).await?;
        migrator.set_ignore_missing(true);
        Ok(migrator)
    }
}

/// A database of the first schema, with a send and a check in it, migrated to the current
/// one: the rows read back unchanged and the new outcome can be written.
#[cfg(test)]
mod upgrade_tests {
    use chrono::{TimeZone, Utc};
    use phone_verify_app::{
        AttemptRecord, CheckOutcome, CheckPolicy, CheckReservation, HistorySubject, NewCheck,
        PageRequest, SendOutcome, VerificationStore,
    };
    use phone_verify_domain::{ProviderName, ReferenceId, TrustValidationId};
    use uuid::Uuid;

    use super::Migrations;
    use crate::SqlVerificationStore;

    /// One sent send and one answered check of it, in the columns of the first schema. The
    /// placeholders are `$1`-style, which both engines read.
    const FIRST_SCHEMA_ROWS: [&str; 2] = [
        "INSERT INTO verification_attempts (id, kind, phone_e164, trust_flow, trust_validation, \
         reference, started_at_ns, finished_at_ns, outcome, counts) \
         VALUES ($1, 'send', '+60182258491', 147, 'tv-old', '0123456789ABCDEF0123456789ABCDEF', \
         1778752800000000000, 1778752801000000000, 'sent', TRUE)",
        "INSERT INTO verification_attempts (id, kind, phone_e164, trust_flow, trust_validation, \
         send_id, reference, started_at_ns, finished_at_ns, outcome, verdict, status, \
         status_code, counts) \
         VALUES ($2, 'check', '+60182258491', 147, 'tv-old', $1, \
         '0123456789ABCDEF0123456789ABCDEF', 1778752810000000000, 1778752811000000000, \
         'answered', 'wrong_code', 'PENDING', 0, TRUE)",
    ];

    fn ids() -> (Uuid, Uuid) {
        (Uuid::from_u128(1), Uuid::from_u128(2))
    }

    /// Brings `$pool`'s database to the first schema of `$migrations` only, writes
    /// [`FIRST_SCHEMA_ROWS`] and closes the pool (a macro: the two engines' pools share no
    /// trait that sqlx's queries accept).
    macro_rules! first_schema_with_rows {
        ($pool:expr, $migrations:expr) => {{
            let pool = $pool;
            Migrations(&$migrations.0[..1])
                .migrator()
                .await
                .expect("a migrator")
                .run(&pool)
                .await
                .expect("the first schema");
            let (send, check) = ids();
            for row in FIRST_SCHEMA_ROWS {
                sqlx::query(row)
                    .bind(send)
                    .bind(check)
                    .execute(&pool)
                    .await
                    .expect("a row of the first schema");
            }
            pool.close().await;
        }};
    }

    /// Reads back what [`FIRST_SCHEMA_ROWS`] wrote (the send as IDMeta's SMS), then records a check the provider had
    /// no code for (an outcome the first schema refused).
    async fn assert_upgraded(store: &SqlVerificationStore) {
        let tv = TrustValidationId::parse("tv-old").expect("an id");
        let history = store
            .history(
                &HistorySubject::TrustValidation(tv.clone()),
                PageRequest::first(10),
            )
            .await
            .expect("the history reads");
        let [AttemptRecord::Check(check), AttemptRecord::Send(send)] = history.items.as_slice()
        else {
            panic!("a check and a send, got {:?}", history.items);
        };
        let reference = ReferenceId::parse("0123456789ABCDEF0123456789ABCDEF").expect("a ref");
        assert_eq!(
            send.outcome(),
            SendOutcome::Sent {
                reference: reference.clone(),
                submitted_at: None
            }
        );
        assert_eq!(check.send, send.id);
        assert_eq!(check.reference.as_ref(), Some(&reference));
        assert_eq!(
            send.provider,
            ProviderName::idmeta(),
            "a send written before providers were named is IDMeta's"
        );
        assert_eq!(
            send.channel,
            phone_verify_domain::Channel::Sms,
            "a send written before channels were named was an SMS"
        );

        let started_at = Utc
            .timestamp_opt(1_778_752_820, 0)
            .single()
            .expect("an instant");
        let id = phone_verify_app::AttemptId::from_u128(3);
        let check = NewCheck {
            id,
            trust_validation: tv,
            started_at,
        };
        let reserved = store
            .reserve_check(check, &CheckPolicy::default())
            .await
            .expect("reserves");
        assert!(
            matches!(reserved, CheckReservation::Reserved(_)),
            "{reserved:?}"
        );
        store
            .finish_check(id, CheckOutcome::NoPendingCode, started_at)
            .await
            .expect("the new outcome is accepted");

        // A new send reserves on the upgraded schema, and its guards count the old send of
        // the trust validation.
        let phone = phone_verify_domain::PhoneNumber::parse("+60123456789").expect("a number");
        let limits = phone_verify_app::SendLimits {
            max_per_trust_validation: 1,
            ..phone_verify_app::SendLimits::default()
        };
        let send = |id: u128, tv: &str| phone_verify_app::NewSend {
            id: phone_verify_app::AttemptId::from_u128(id),
            number: store.numbers().at_rest(&phone),
            lookup: store.numbers().lookup(&phone),
            trust_validation: TrustValidationId::parse(tv).expect("an id"),
            provider: ProviderName::idmeta(),
            channel: phone_verify_domain::Channel::Sms,
            range: None,
            prefix: None,
            client: None,
            started_at,
        };
        let refused = store
            .reserve_send(send(4, "tv-old"), &limits)
            .await
            .expect("reads the guards");
        assert!(
            matches!(refused, phone_verify_app::Reservation::Refused(_)),
            "the old send counts: {refused:?}"
        );
        let reserved = store
            .reserve_send(send(5, "tv-new"), &limits)
            .await
            .expect("reserves");
        assert_eq!(reserved, phone_verify_app::Reservation::Reserved);
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn a_sqlite_file_of_the_first_schema_keeps_its_attempts_through_the_upgrade() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("first-schema.db");
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("opens");
        first_schema_with_rows!(pool, super::SQLITE);

        let store = SqlVerificationStore::open_sqlite(&path, crate::SqliteOptions::default())
            .await
            .expect("opens and upgrades");
        assert_upgraded(&store).await;
        let schema: String = {
            let pool = sqlx::SqlitePool::connect_with(
                sqlx::sqlite::SqliteConnectOptions::new().filename(&path),
            )
            .await
            .expect("opens");
            let (sql,): (String,) = sqlx::query_as(
                "SELECT group_concat(name, ',') FROM sqlite_master WHERE name LIKE 'verification%'",
            )
            .fetch_one(&pool)
            .await
            .expect("reads the schema");
            sql
        };
        assert!(
            !schema.contains("0001") && !schema.contains("0004"),
            "the old tables are gone: {schema}"
        );
        assert_eq!(
            schema.split(',').count(),
            20,
            "the attempts and their seventeen indexes, the number keys and the refusal counts: {schema}"
        );
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn a_postgres_schema_of_the_first_version_keeps_its_attempts_through_the_upgrade() {
        let Some(url) = crate::test_postgres_url(
            "a_postgres_schema_of_the_first_version_keeps_its_attempts_through_the_upgrade",
        ) else {
            return;
        };
        let schema = format!(
            "pv_test_{}_upgrade_{}",
            Utc::now().timestamp(),
            &Uuid::new_v4().simple().to_string()[..8]
        );
        let admin = sqlx::PgPool::connect(&url).await.expect("connects");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .expect("a schema");
        let base: sqlx::postgres::PgConnectOptions = url.parse().expect("a URL");
        let pool = sqlx::PgPool::connect_with(base.options([("search_path", schema.as_str())]))
            .await
            .expect("connects");
        first_schema_with_rows!(pool, super::POSTGRES);

        let options = crate::PostgresOptions::default()
            .schema(crate::SchemaName::parse(&schema).expect("a schema name"));
        let store = SqlVerificationStore::open_postgres(&url, options)
            .await
            .expect("connects and upgrades");
        assert_upgraded(&store).await;
        store.close().await;
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin)
            .await
            .expect("drops the schema");
    }
}
