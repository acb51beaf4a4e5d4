//! How the store keeps and searches numbers: in clear or protected with a keyring, and by
//! which column and keys a lookup finds a number's rows.

use std::sync::Arc;

use phone_verify_app::{NumberKeyring, NumberLookup, NumberProtection};

use super::SqlVerificationStore;
use crate::sql;

impl SqlVerificationStore {
    /// The same store, keeping numbers protected with `keyring`: a new row keeps the number's
    /// HMAC-SHA256 under the current key, the key's id and the masked form, never the number,
    /// and a lookup by number matches the rows under every key of the ring. Rows written in
    /// clear before stay so (and are found only by trust validation) until
    /// [`SqlVerificationStore::protect_clear_numbers`] converts them.
    ///
    /// ```no_run
    /// use phone_verify_app::NumberKeyring;
    /// use phone_verify_sql_store::SqlVerificationStore;
    ///
    /// # async fn wire(keys: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let keyring = NumberKeyring::parse(keys)?; // from a key file or a secret store
    /// let store = SqlVerificationStore::open("sqlite://phone-verify.db")
    ///     .await?
    ///     .protect_numbers(keyring);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn protect_numbers(self, keyring: NumberKeyring) -> Self {
        Self {
            numbers: NumberProtection::keyed(keyring),
            keys_checked: Arc::default(),
            ..self
        }
    }
}

/// The column a number's rows are searched in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NumberColumn {
    /// `phone_e164`, for numbers in clear.
    E164,
    /// `phone_digest`, for protected numbers.
    Digest,
}

impl NumberColumn {
    /// The guard per number's query on this column.
    pub(super) fn guard(self) -> &'static str {
        match self {
            Self::E164 => sql::COUNTED_SENDS_TO_NUMBER_AFTER,
            Self::Digest => sql::COUNTED_SENDS_TO_DIGEST_AFTER,
        }
    }

    /// The send's guards in one statement on this column ([`sql::SEND_GUARDS_BY_NUMBER`]).
    pub(super) fn send_guards(self) -> &'static str {
        match self {
            Self::E164 => sql::SEND_GUARDS_BY_NUMBER,
            Self::Digest => sql::SEND_GUARDS_BY_DIGEST,
        }
    }

    /// The history's queries on this column: the first page, a later page.
    pub(super) fn history(self) -> (&'static str, &'static str) {
        match self {
            Self::E164 => (sql::HISTORY_OF_NUMBER, sql::HISTORY_OF_NUMBER_AFTER),
            Self::Digest => (sql::HISTORY_OF_DIGEST, sql::HISTORY_OF_DIGEST_AFTER),
        }
    }
}

/// Where and by what a lookup searches a number's rows: its E.164 form, or each digest.
pub(super) fn number_keys(lookup: &NumberLookup) -> (NumberColumn, Vec<String>) {
    match lookup {
        NumberLookup::Clear(phone) => (NumberColumn::E164, vec![phone.e164().to_owned()]),
        NumberLookup::Digests(digests) => (
            NumberColumn::Digest,
            digests.iter().map(ToString::to_string).collect(),
        ),
    }
}
