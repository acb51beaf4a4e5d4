//! Use case: the recorded attempts of a number or a trust validation.

use std::sync::Arc;

use phone_verify_domain::{PhoneNumber, TrustValidationId};

use crate::store::{HistorySubject, Page, PageRequest};
use crate::{AttemptRecord, StoreError, StoreOperation, VerificationStore, telemetry};

/// Why a history could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// The store failed to answer; nothing changed.
    #[error("the history could not be read")]
    Store(#[from] StoreError),
}

/// Lists attempts, newest first, paged.
///
/// An attempt whose outcome was never recorded keeps its in-flight state, and its
/// `outcome()` reads as "outcome unknown": a history never shows it as nothing.
#[derive(Debug, Clone)]
pub struct VerificationHistory {
    store: Arc<dyn VerificationStore>,
}

impl VerificationHistory {
    /// One page, the read timed as `history` (`docs/operations.md`).
    async fn read(
        &self,
        subject: &HistorySubject,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, HistoryError> {
        let store = &*self.store;
        let read = store.history(subject, page);
        Ok(telemetry::store_call(store, StoreOperation::History, read).await?)
    }

    /// The use case over `store`.
    pub fn new(store: Arc<dyn VerificationStore>) -> Self {
        Self { store }
    }

    /// The sends to `phone` and the checks of those sends, found as the store keeps numbers
    /// (by the number, or by its digest under every key of a protected store's keyring).
    ///
    /// # Errors
    ///
    /// [`HistoryError::Store`] when the store fails.
    #[tracing::instrument(name = "history", skip_all, fields(phone = %phone))]
    pub async fn of_number(
        &self,
        phone: &PhoneNumber,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, HistoryError> {
        let subject = HistorySubject::Number(self.store.numbers().lookup(phone));
        self.read(&subject, page).await
    }

    /// The sends and checks of `trust_validation`.
    ///
    /// # Errors
    ///
    /// [`HistoryError::Store`] when the store fails.
    #[tracing::instrument(name = "history", skip_all, fields(trust_validation = %trust_validation))]
    pub async fn of_trust_validation(
        &self,
        trust_validation: &TrustValidationId,
        page: PageRequest,
    ) -> Result<Page<AttemptRecord>, HistoryError> {
        let subject = HistorySubject::TrustValidation(trust_validation.clone());
        self.read(&subject, page).await
    }
}
