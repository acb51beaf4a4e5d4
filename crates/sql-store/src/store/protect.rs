//! Converting a store's rows kept in clear to protected numbers (`docs/storage.md`, "Numbers at
//! rest"): in batches, each one short write, safe to run again and beside running instances.

use phone_verify_app::{AttemptId, GuardKey, NumberProtection, StoreError, VerificationStore};
use phone_verify_domain::PhoneNumber;
use uuid::Uuid;

use super::{Backend, Lock, SqlVerificationStore};
use crate::columns::NumberColumns;
use crate::corrupt::{CorruptRow, Defect};
use crate::json;
use crate::session::{Atomicity, Session};
use crate::sql;

/// The size of a conversion batch a caller with no reason to choose takes: one short write.
pub const DEFAULT_PROTECT_BATCH: u32 = 500;

/// The most rows one conversion batch converts, whatever it is asked: each is an `UPDATE` of
/// its own inside the batch's write, so the batch holds SQLite's write lock (PostgreSQL: its
/// rows' locks) about as long as it has rows. A larger batch asked for is taken as this one
/// (`docs/storage.md` has the figures): 10,000 held the lock for seconds and failed sends of
/// other processes (issue 30).
pub const MAX_PROTECT_BATCH: u32 = 500;

/// Why rows could not be converted to protected numbers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtectNumbersError {
    /// The store keeps numbers in clear: it has no key to protect them with
    /// ([`SqlVerificationStore::protect_numbers`]). Nothing was changed.
    #[error("the store has no key to protect numbers with")]
    NoKeyring,
    /// The store failed; the batch is one transaction, so all of it or none was converted,
    /// and running again is safe. A row whose number does not read back is
    /// [`StoreError::Corrupt`], and nothing of the batch is converted.
    #[error("the numbers could not be protected")]
    Store(#[from] StoreError),
}

impl SqlVerificationStore {
    /// How many rows (sends and checks) keep their number, or their number's range, in clear:
    /// what [`SqlVerificationStore::protect_clear_numbers`] has left to convert (a dry run).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`]; nothing changes.
    pub async fn count_clear_numbers(&self) -> Result<u64, StoreError> {
        let mut session = self.read().await?;
        let counted = session.count(sql::COUNT_CLEAR_NUMBERS, Vec::new()).await;
        Self::finish(session, counted.map(|count| (count, true))).await
    }

    /// Converts at most `limit` rows (at least one, at most [`MAX_PROTECT_BATCH`]) that keep
    /// their number in clear to the store's protection (its current key: digest, key id,
    /// masked form), in one short write, and returns how many it converted; zero means none
    /// is left. A send's range in clear (`+601822584**`, the guard of ranges) becomes the
    /// keyed digest a protected store writes for it
    /// ([`NumberProtection::protect_range`]), so that the guard counts old and new sends
    /// together and no prefix of a number stays beside its masked form's last digits; rows
    /// an earlier release converted with their range left in clear are converted too. On SQLite a full batch is followed by [`crate::SQLITE_BATCH_PAUSE`] with the
    /// file's lock free, so that another process's writes get it between two batches. Idempotent: a converted row
    /// keeps no number in clear, so it is never converted twice, and two conversions running
    /// at once skip each other's rows. Instances may keep running, protected: a guard finds a
    /// row by its digest once it is converted, and never by the number.
    ///
    /// On SQLite the store zeroes what it overwrites (`secure_delete`), but the WAL keeps
    /// the pages as they were until it is checkpointed: [`SqlVerificationStore::close`] the
    /// store when done. On PostgreSQL the old row versions stay in the table's files until
    /// `VACUUM` (see `docs/security.md`).
    ///
    /// # Errors
    ///
    /// [`ProtectNumbersError::NoKeyring`] for a store keeping numbers in clear;
    /// [`ProtectNumbersError::Store`] when the write fails (nothing of the batch converted).
    pub async fn protect_clear_numbers(&self, limit: u32) -> Result<u64, ProtectNumbersError> {
        let numbers = self.numbers();
        if !numbers.is_keyed() {
            return Err(ProtectNumbersError::NoKeyring);
        }
        let numbers = numbers.clone();
        let limit = limit.clamp(1, MAX_PROTECT_BATCH);
        self.check_number_keys().await?;
        let (select_numbers, select_ranges, update) = match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => (
                sql::CLEAR_NUMBERS_SQLITE,
                sql::CLEAR_RANGES_SQLITE,
                sql::PROTECT_NUMBERS_SQLITE,
            ),
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => (
                sql::CLEAR_NUMBERS_POSTGRES,
                sql::CLEAR_RANGES_POSTGRES,
                sql::PROTECT_NUMBERS_POSTGRES,
            ),
        };
        let started = std::time::Instant::now();
        let converted = self
            .write_in(
                Lock::Nothing,
                Atomicity::Savepoint,
                Box::new(move |session: &mut Session| {
                    Box::pin(async move {
                        let limit = i64::from(limit);
                        let mut rows = session.clear_numbers(select_numbers, limit).await?;
                        let left = limit - i64::try_from(rows.len()).unwrap_or(limit);
                        if left > 0 {
                            rows.extend(session.clear_numbers(select_ranges, left).await?);
                        }
                        if rows.is_empty() {
                            return Ok((0, true));
                        }
                        let mut protected = Vec::with_capacity(rows.len());
                        for (id, e164, range) in rows {
                            protected.push(protected_row(&numbers, id, e164, range)?);
                        }
                        // One statement for the batch: a statement a row cost a round trip
                        // each, and held the lock for the lot (`docs/storage.md`).
                        let rows =
                            json::rows(protected.iter().map(|row| row.iter().map(String::as_str)));
                        let converted = session.execute(update, vec![rows.into()]).await?;
                        Ok((converted, true))
                    })
                }),
            )
            .await?;
        // What the lock costs others, as for a purge batch (`docs/storage.md`).
        tracing::debug!(
            converted,
            write_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "conversion batch"
        );
        if converted == 0 {
            // The conversion is over: the clear numbers it rewrote go from the WAL too.
            self.truncate_wal().await;
        } else if converted >= u64::from(limit) {
            // A full batch: more may be left, and a caller converts them at once.
            self.pause_between_batches().await;
        }
        Ok(converted)
    }
}

/// The row `id` of an update of [`sql::PROTECT_NUMBERS_SQLITE`] or
/// [`sql::PROTECT_NUMBERS_POSTGRES`]: what it keeps in clear as read (its number `e164` and its
/// `range`, `None` for neither), and their protected forms, each empty where nothing is
/// replaced (a range already keyed is left as it is).
fn protected_row(
    numbers: &NumberProtection,
    id: Uuid,
    e164: Option<String>,
    range: Option<String>,
) -> Result<[String; 7], StoreError> {
    let corrupt = |defect| CorruptRow::of(Some(AttemptId::from_u128(id.as_u128())), defect);
    let columns = match &e164 {
        Some(e164) => {
            let phone = PhoneNumber::parse(e164).map_err(|_| corrupt(Defect::InvalidPhone))?;
            NumberColumns::of(&numbers.at_rest(&phone))
        }
        None => NumberColumns::default(),
    };
    let protected_range = match range.as_deref() {
        Some(clear) if clear.starts_with('+') => GuardKey::parse(clear)
            .ok()
            .and_then(|clear| numbers.protect_range(&clear))
            .ok_or_else(|| corrupt(Defect::InvalidRange))?
            .as_str()
            .to_owned(),
        _ => String::new(),
    };
    Ok([
        id.simple().to_string(),
        e164.unwrap_or_default(),
        columns.digest.unwrap_or_default(),
        columns.key.unwrap_or_default(),
        columns.masked.unwrap_or_default(),
        range.unwrap_or_default(),
        protected_range,
    ])
}
