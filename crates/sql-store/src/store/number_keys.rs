//! A protected store knows it is protected, and by which keys: the first write of a process
//! checks the store's number keys against the ones it was given (`docs/storage.md`, "Numbers
//! at rest"), and records the fingerprints of new ones. A write without keys on a store that
//! has them would put clear numbers into a protected store and miss every cooldown; a key id
//! reused with other material would do the same, silently. Either is refused as
//! [`StoreError::Misconfigured`], before anything is written.

use phone_verify_app::{NumberProtection, StoreError};

use super::{Lock, SqlVerificationStore};
use crate::session::{Atomicity, Session};
use crate::sql;

/// Why a store refuses the number keys it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberKeysError {
    /// The store keeps protected numbers (it has number keys, or rows with a digest), and it
    /// was opened without keys: its writes would keep numbers in clear and miss the guards.
    #[error("the store keeps numbers protected: open it with its number keys")]
    KeysMissing,
    /// A key id the store knows came with other key material than the one it recorded.
    #[error("number key {id} is not the key this store recorded under that id")]
    KeyChanged {
        /// The key's id (not secret).
        id: String,
    },
}

/// Whether the store holds protected numbers: known keys, or any row with a digest (a store
/// protected before the keys were recorded).
async fn is_protected(session: &mut Session) -> Result<bool, StoreError> {
    Ok(session.count(sql::IS_PROTECTED, Vec::new()).await? > 0)
}

/// Checks `numbers` against the keys the store recorded, recording the fingerprint of each
/// key it does not know yet.
async fn check_in(session: &mut Session, numbers: &NumberProtection) -> Result<(), StoreError> {
    let NumberProtection::Keyed(keyring) = numbers else {
        if is_protected(session).await? {
            return Err(StoreError::misconfigured(NumberKeysError::KeysMissing));
        }
        return Ok(());
    };
    for key in keyring.keys() {
        let id = key.id().as_str();
        session
            .execute(
                sql::RECORD_NUMBER_KEY,
                vec![id.to_owned().into(), key.fingerprint().into()],
            )
            .await?;
        let recorded = session
            .integers(sql::NUMBER_KEY_FINGERPRINT, vec![id.to_owned().into()])
            .await?;
        if recorded.first() != Some(&key.fingerprint()) {
            return Err(StoreError::misconfigured(NumberKeysError::KeyChanged {
                id: id.to_owned(),
            }));
        }
    }
    Ok(())
}

impl SqlVerificationStore {
    /// Checks the number keys this store was given against the ones it recorded, once per
    /// store value (its clones share the result), before the first write.
    ///
    /// # Errors
    ///
    /// [`StoreError::Misconfigured`] with a [`NumberKeysError`]; a store failure as usual.
    pub(super) async fn check_number_keys(&self) -> Result<(), StoreError> {
        let _: &() = self
            .keys_checked
            .get_or_try_init(|| async {
                let numbers = self.numbers.clone();
                self.write_in(
                    Lock::Nothing,
                    Atomicity::Savepoint,
                    Box::new(move |session: &mut Session| {
                        Box::pin(async move {
                            check_in(session, &numbers).await?;
                            Ok(((), true))
                        })
                    }),
                )
                .await
            })
            .await?;
        Ok(())
    }
}
