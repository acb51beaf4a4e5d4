//! Recognising a phone-verify store from what a database holds, before an open changes
//! anything in it, and deciding what the open may do with it. Each engine gathers what the
//! database holds ([`Contents`]: `crate::sqlite`, `crate::postgres`); judging it is a pure
//! function of that, tested as a table.
//!
//! A store is recognised by sqlx's migration history: `_sqlx_migrations` holds this store's
//! first migration with its checksum, and every migration of this release it holds has this
//! release's checksum. Versions this release does not know are a newer release's, tolerated
//! as the migrator tolerates them. Without a history, a database with no table is empty, and
//! one with tables is another application's.

use phone_verify_app::StoreError;
use sqlx::migrate::Migration;
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::failure::{SqlFailureKind, failure};
use crate::refusal::{NotOurStore, NotOurStoreReason, SchemaBehind, StorePlace};

/// The name of sqlx's migration history, fixed in sqlx 0.8.
pub(crate) const HISTORY_TABLE: &str = "_sqlx_migrations";

/// A row of `_sqlx_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    pub(crate) version: i64,
    pub(crate) checksum: Vec<u8>,
    pub(crate) success: bool,
}

/// What a database holds, as far as telling a store from anything else needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Contents {
    /// How many tables and views it has besides `_sqlx_migrations` (and the engine's own).
    pub(crate) tables: usize,
    /// The rows of `_sqlx_migrations`, `None` without that table, or `Some(Err(()))` when it
    /// cannot be read as sqlx's (another tool's table of that name).
    pub(crate) history: Option<Result<Vec<Applied>, ()>>,
}

impl Contents {
    /// What a database whose tables and views are `names` holds, `history` read from its
    /// `_sqlx_migrations` (called only when `names` has it).
    pub(crate) async fn of<F>(names: &[String], history: F) -> Result<Self, StoreError>
    where
        F: AsyncFnOnce() -> Result<Result<Vec<Applied>, ()>, StoreError>,
    {
        let has_history = names.iter().any(|name| name == HISTORY_TABLE);
        let history = if has_history {
            Some(history().await?)
        } else {
            None
        };
        Ok(Self {
            tables: names.len() - usize::from(has_history),
            history,
        })
    }
}

/// The query that reads `_sqlx_migrations` (qualified by `schema`, when given).
pub(crate) fn history_query(schema: Option<&str>) -> String {
    let table = match schema {
        Some(schema) => format!("{schema}.{HISTORY_TABLE}"),
        None => HISTORY_TABLE.to_owned(),
    };
    format!("SELECT version, checksum, success FROM {table} ORDER BY version")
}

/// The rows of [`history_query`], read as sqlx's history; `Err(())` when the table is not
/// sqlx's (no such column, another type: another tool's table of that name), and a failure
/// of the database (locked, damaged, unreachable) as such.
pub(crate) fn read_history<R>(
    rows: Result<Vec<R>, sqlx::Error>,
) -> Result<Result<Vec<Applied>, ()>, StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
{
    let read = rows.and_then(|rows| {
        rows.iter()
            .map(|row| {
                Ok(Applied {
                    version: row.try_get(0)?,
                    checksum: row.try_get(1)?,
                    success: row.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    });
    match read {
        Ok(applied) => Ok(Ok(applied)),
        Err(error) => {
            let failure = failure(error);
            if failure.kind() == SqlFailureKind::Database {
                Ok(Err(()))
            } else {
                Err(StoreError::unavailable(failure))
            }
        }
    }
}

/// What a database is to this release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Identity {
    /// No table: a store once migrated.
    Empty,
    /// A phone-verify store; `behind` when a migration of this release is not applied yet.
    Ours { behind: bool },
    /// Not a phone-verify store.
    Foreign(NotOurStoreReason),
}

/// What an open is allowed to do to the database it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Write, and make a new store of an empty database (SQLite's `create_if_missing`, and
    /// every writing PostgreSQL open, which creates its schema).
    Create,
    /// Write to a store that exists already (SQLite without `create_if_missing`).
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    Existing,
    /// Read only: no migration, no change of any kind.
    ReadOnly,
}

/// What `contents` is to this release, whose migrations are `ours`, in version order.
pub(crate) fn identify(contents: &Contents, ours: &[Migration]) -> Identity {
    let applied = match &contents.history {
        None => return without_history(contents.tables),
        Some(Err(())) => return Identity::Foreign(NotOurStoreReason::OtherMigrations),
        // A history with no row yet: a migrator that created its table and failed before
        // its first migration; what decides is whether there are other tables.
        Some(Ok(applied)) if applied.is_empty() => return without_history(contents.tables),
        Some(Ok(applied)) => applied,
    };
    let first = ours.first().map(|migration| migration.version);
    let same = |row: &Applied| {
        ours.iter()
            .find(|migration| migration.version == row.version)
            .map(|migration| *migration.checksum == *row.checksum)
    };
    let starts_as_ours = applied
        .iter()
        .any(|row| Some(row.version) == first && same(row) == Some(true));
    // A version this release knows with other SQL is another application's migration; a
    // version it does not know is a newer release's (or, without our first, another's).
    if !starts_as_ours || applied.iter().any(|row| same(row) == Some(false)) {
        return Identity::Foreign(NotOurStoreReason::OtherMigrations);
    }
    let behind = ours.iter().any(|migration| {
        !applied
            .iter()
            .any(|row| row.version == migration.version && row.success)
    });
    Identity::Ours { behind }
}

fn without_history(tables: usize) -> Identity {
    if tables == 0 {
        Identity::Empty
    } else {
        Identity::Foreign(NotOurStoreReason::OtherTables)
    }
}

/// Whether an open with `access` may go on with a database of `identity` at `place`: a
/// [`StoreError::Misconfigured`] saying why not, before anything is written.
pub(crate) fn admit(
    identity: Identity,
    access: Access,
    place: &StorePlace,
) -> Result<(), StoreError> {
    let not_ours = |reason| {
        Err(StoreError::misconfigured(NotOurStore::new(
            place.clone(),
            reason,
        )))
    };
    match (identity, access) {
        (Identity::Foreign(reason), _) => not_ours(reason),
        (Identity::Empty, Access::Create) => Ok(()),
        (Identity::Empty, Access::Existing | Access::ReadOnly) => {
            not_ours(NotOurStoreReason::Empty)
        }
        (Identity::Ours { behind: true }, Access::ReadOnly) => {
            Err(StoreError::misconfigured(SchemaBehind::new(place.clone())))
        }
        (Identity::Ours { .. }, _) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use sqlx::migrate::MigrationType;

    use super::*;

    fn migration(version: i64, sql: &'static str) -> Migration {
        Migration::new(
            version,
            Cow::Borrowed("m"),
            MigrationType::Simple,
            Cow::Borrowed(sql),
            false,
        )
    }

    fn ours() -> Vec<Migration> {
        vec![migration(1, "one"), migration(2, "two")]
    }

    fn applied(version: i64, sql: &'static str) -> Applied {
        Applied {
            version,
            checksum: migration(version, sql).checksum.into_owned(),
            success: true,
        }
    }

    fn with(tables: usize, rows: Vec<Applied>) -> Contents {
        Contents {
            tables,
            history: Some(Ok(rows)),
        }
    }

    #[test]
    fn a_database_is_ours_only_when_its_history_starts_with_our_first_migration() {
        use NotOurStoreReason::{OtherMigrations, OtherTables};
        let failed = Applied {
            success: false,
            ..applied(2, "two")
        };
        let table = [
            ("nothing at all", Contents::default(), Identity::Empty),
            (
                "another application's tables",
                Contents {
                    tables: 3,
                    history: None,
                },
                Identity::Foreign(OtherTables),
            ),
            ("an empty history alone", with(0, vec![]), Identity::Empty),
            (
                "an empty history and tables",
                with(2, vec![]),
                Identity::Foreign(OtherTables),
            ),
            (
                "ours, up to date",
                with(2, vec![applied(1, "one"), applied(2, "two")]),
                Identity::Ours { behind: false },
            ),
            (
                "ours, one migration behind",
                with(1, vec![applied(1, "one")]),
                Identity::Ours { behind: true },
            ),
            (
                "ours, a migration that failed",
                with(1, vec![applied(1, "one"), failed]),
                Identity::Ours { behind: true },
            ),
            (
                "ours, ahead of this release",
                with(
                    3,
                    vec![applied(1, "one"), applied(2, "two"), applied(3, "x")],
                ),
                Identity::Ours { behind: false },
            ),
            (
                "another sqlx application's first migration",
                with(1, vec![applied(1, "create table users")]),
                Identity::Foreign(OtherMigrations),
            ),
            (
                "another application's, numbered by date",
                with(1, vec![applied(20_240_101_000_000, "create table users")]),
                Identity::Foreign(OtherMigrations),
            ),
            (
                "our first, then a second that is not ours",
                with(2, vec![applied(1, "one"), applied(2, "create table users")]),
                Identity::Foreign(OtherMigrations),
            ),
            (
                "a _sqlx_migrations that is not sqlx's",
                Contents {
                    tables: 0,
                    history: Some(Err(())),
                },
                Identity::Foreign(OtherMigrations),
            ),
        ];
        for (case, contents, expected) in table {
            assert_eq!(identify(&contents, &ours()), expected, "{case}");
        }
    }

    #[test]
    fn an_open_goes_on_only_with_what_it_may_do_to_the_database() {
        let place = StorePlace::File("/srv/app.db".into());
        let refused = |identity, access| {
            admit(identity, access, &place)
                .err()
                .map(|error| phone_verify_domain::error_chain(&error))
        };
        let behind = Identity::Ours { behind: true };
        let current = Identity::Ours { behind: false };
        let foreign = Identity::Foreign(NotOurStoreReason::OtherTables);
        for access in [Access::Create, Access::Existing, Access::ReadOnly] {
            assert_eq!(refused(current, access), None, "{access:?}");
            let not_ours = refused(foreign, access).expect("refused");
            assert!(
                not_ours.ends_with(
                    "the file /srv/app.db is not a phone-verify store: \
                     it holds another application's tables"
                ),
                "{not_ours}"
            );
        }
        assert_eq!(refused(Identity::Empty, Access::Create), None);
        for access in [Access::Existing, Access::ReadOnly] {
            let empty = refused(Identity::Empty, access).expect("refused");
            assert!(
                empty.ends_with("is not a phone-verify store: it is empty"),
                "{empty}"
            );
        }
        assert_eq!(refused(behind, Access::Create), None);
        assert_eq!(refused(behind, Access::Existing), None);
        let read_only = refused(behind, Access::ReadOnly).expect("refused");
        assert!(
            read_only.ends_with("which a read-only open does not migrate"),
            "{read_only}"
        );
    }
}
