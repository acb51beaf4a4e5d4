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

/// One migration: version, description, SQL.
type Embedded = (i64, &'static str, &'static str);

/// The migrations of one backend, in version order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migrations(&'static [Embedded]);

#[cfg(feature = "sqlite")]
pub(crate) const SQLITE: Migrations = Migrations(&[(
    1,
    "verification attempts",
    include_str!("../migrations/sqlite/0001_verification_attempts.sql"),
)]);

#[cfg(feature = "postgres")]
pub(crate) const POSTGRES: Migrations = Migrations(&[(
    1,
    "verification attempts",
    include_str!("../migrations/postgres/0001_verification_attempts.sql"),
)]);

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
