//! The contract of the [`VerificationStore`] port, as a test suite every implementation runs
//! (feature `store-contract`).
//!
//! Each case is an async function taking a fresh, empty store and panicking when the store
//! breaks the contract. [`crate::store_contract_tests!`] generates one `#[tokio::test]` per
//! case, each with a store of its own:
//!
//! ```text
//! // In the tests of a store crate (tokio with `macros` and `rt-multi-thread` as a
//! // dev-dependency):
//! phone_verify_app::store_contract_tests!(|| async {
//!     std::sync::Arc::new(MySqlStore::connect_fresh().await) as std::sync::Arc<dyn VerificationStore>
//! });
//! ```
//!
//! The cases are listed once, in that macro, and every store runs them through it: a case
//! cannot be left out of one store and run on another. The cases live in private modules by
//! topic and are public only through that list, so a case written but not listed does not
//! compile (`dead_code` is denied here).
//!
//! The concurrency cases spawn tasks with `tokio::spawn`: the generated tests run on a
//! multi-thread tokio runtime so that they really run in parallel.

use std::sync::Arc;

use crate::VerificationStore;

#[deny(dead_code)]
mod checks;
#[deny(dead_code)]
mod concurrency;
#[deny(dead_code)]
mod fixtures;
#[deny(dead_code)]
mod history;
#[deny(dead_code)]
mod lifecycle;
#[deny(dead_code)]
mod numbers;
#[deny(dead_code)]
mod sends;
#[deny(dead_code)]
mod stats;

crate::store_contract_tests!(@list @export);

/// What a store maker given to [`crate::store_contract_tests!`] returns: a store, or `None`
/// when the store cannot be had here (a database not configured), which skips the case. A
/// maker that skips says why itself.
pub trait FreshStore {
    /// The store to run the case on, if any.
    fn into_store(self) -> Option<Arc<dyn VerificationStore>>;
}

impl FreshStore for Arc<dyn VerificationStore> {
    fn into_store(self) -> Option<Arc<dyn VerificationStore>> {
        Some(self)
    }
}

impl FreshStore for Option<Arc<dyn VerificationStore>> {
    fn into_store(self) -> Option<Arc<dyn VerificationStore>> {
        self
    }
}

/// Generates one `#[tokio::test]` (multi-thread) per contract case, each with a store from
/// `$make_store`: a closure returning a future of `Arc<dyn VerificationStore>`, or of
/// `Option<Arc<dyn VerificationStore>>` to skip the case with `None` (see
/// [`store_contract::FreshStore`](crate::store_contract::FreshStore)).
///
/// The list of cases below is the only one: the cases' public names in
/// [`store_contract`](crate::store_contract) are made from it too.
#[macro_export]
macro_rules! store_contract_tests {
    // The one list of cases, `topic::case`, handed to the rule `$then` names.
    (@list $($then:tt)*) => {
        $crate::store_contract_tests!($($then)* [
            sends::a_reserved_send_reads_back_in_flight_as_outcome_unknown,
            sends::a_finished_send_reads_back_with_its_outcome,
            sends::a_send_reads_back_with_its_channel_and_every_channel_counts,
            sends::a_country_budget_caps_the_sends_to_the_country_whatever_the_numbers,
            sends::a_range_of_numbers_takes_so_many_distinct_numbers_within_the_window,
            sends::a_country_whose_codes_are_not_verified_is_refused_for_a_cool_off,
            sends::the_breaker_judges_a_country_on_its_latest_sends_only,
            sends::a_prefix_whose_codes_are_not_verified_is_refused_and_its_country_served,
            sends::a_client_cools_down_and_is_capped_whatever_the_numbers,
            sends::an_outcome_is_recorded_once_and_only_for_a_stored_attempt,
            sends::an_attempt_id_is_stored_once,
            sends::a_send_within_the_cooldown_is_refused_until_the_cooldown_ends,
            sends::sends_beyond_the_cap_per_number_are_refused_until_the_oldest_leaves_the_window,
            sends::sends_beyond_the_cap_per_trust_validation_are_refused_for_good,
            sends::sends_that_delivered_nothing_do_not_use_up_the_limits,
            checks::a_check_goes_to_the_send_the_provider_accepted_last,
            checks::a_send_reads_back_with_its_provider_and_a_check_goes_to_it,
            checks::a_send_reserved_before_a_check_is_the_send_it_goes_to,
            checks::checks_are_refused_once_the_attempt_limit_is_reached,
            checks::a_check_without_a_live_code_is_refused_and_writes_nothing,
            checks::an_answer_closes_the_send_in_flight_and_names_the_reference,
            checks::an_answer_naming_another_send_moves_the_check_to_it,
            checks::a_check_the_provider_had_no_code_for_is_no_attempt,
            checks::sends_sharing_a_reference_are_one_code_whose_checks_go_to_the_newest_and_count_together,
            checks::every_check_counts_against_the_bounds_whatever_the_provider_answered,
            history::history_lists_sends_and_checks_newest_first_in_pages,
            history::history_pages_do_not_skip_or_repeat_attempts_started_at_the_same_instant,
            concurrency::concurrent_sends_to_one_number_let_exactly_one_through,
            concurrency::concurrent_checks_of_one_send_let_exactly_the_limit_through,
            concurrency::concurrent_protected_sends_during_a_key_rotation_let_exactly_one_through,
            concurrency::concurrent_sends_to_one_country_spend_its_budget_and_one_writer_keeps_it_exact,
            lifecycle::a_purge_deletes_the_trust_validations_finished_before_the_cutoff,
            lifecycle::a_purge_keeps_a_trust_validation_still_in_use,
            lifecycle::a_purge_goes_in_batches_of_whole_trust_validations,
            lifecycle::a_send_arriving_between_batches_keeps_its_trust_validation_whole,
            lifecycle::sends_racing_a_purge_leave_their_trust_validations_whole,
            lifecycle::attempts_left_in_flight_are_closed_as_abandoned_and_still_count,
            numbers::protected_sends_keep_no_number_and_the_guards_per_number_still_hold,
            numbers::history_of_a_protected_number_finds_its_sends_and_checks_by_digest,
            numbers::after_a_key_rotation_lookups_match_every_key_and_new_sends_use_the_current_one,
            numbers::clear_and_protected_rows_of_one_number_read_back_as_they_were_kept,
            stats::the_stats_count_each_country_s_sends_verified_codes_and_refusals,
            stats::refusals_counted_at_once_are_all_counted,
            stats::a_purge_deletes_the_counts_of_refusals_before_its_cutoff,
        ]);
    };
    // In `phone_verify_app::store_contract`: the cases' public names.
    (@export [$($topic:ident :: $case:ident),* $(,)?]) => {
        $(pub use $topic::$case;)*
    };
    // In a store's tests: one test per case.
    (@tests $make_store:expr, [$($topic:ident :: $case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let fresh = ($make_store)().await;
                if let Some(store) = $crate::store_contract::FreshStore::into_store(fresh) {
                    $crate::store_contract::$case(store).await;
                }
            }
        )*
    };
    ($make_store:expr) => {
        $crate::store_contract_tests!(@list @tests $make_store,);
    };
}
