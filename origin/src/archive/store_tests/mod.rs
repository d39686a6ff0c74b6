//! One store test suite, two engines (issue 17): every test here takes a fresh [`fixture::Fixture`] and is
//! run on SQLite and on PostgreSQL (`on_sqlite::…`, `on_postgres::…`), so that both keep the same
//! guarantees. What only one engine has (SQLite's migrations from its old layouts; PostgreSQL's
//! migration lock) is tested beside that engine.

mod batches;
mod cases;
mod copy;
pub(crate) mod fixture;
mod records;
mod sampling;
mod staff;

use batches::*;
use cases::*;
use records::*;
use sampling::*;
use staff::*;

/// Runs each named test (a `fn(Fixture)` of this module) on both engines.
macro_rules! on_both_engines {
    ($($test:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[test]
            fn $test() {
                super::$test(super::fixture::sqlite(stringify!($test)));
            })*
        }
        mod on_postgres {
            $(#[test]
            fn $test() {
                if let Some(f) = super::fixture::postgres(stringify!($test)) {
                    super::$test(f);
                }
            })*
        }
    };
}

on_both_engines!(
    archived_records_cannot_be_updated_or_deleted,
    a_second_record_for_a_revisit_changes_nothing,
    the_outbox_returns_a_phones_messages_newest_first,
    records_are_chained_in_the_order_they_are_stored,
    terminations_are_append_only_and_the_latest_date_counts,
    records_are_found_by_policy_or_time_a_page_at_a_time,
    concurrent_deliveries_store_each_record_once_and_keep_the_chain_whole,
    an_append_on_a_stale_state_is_refused,
    the_case_log_refuses_update_and_delete,
    the_verifier_names_every_tampered_entry,
    the_staff_store_keeps_accounts_sessions_and_an_append_only_log,
    staff_are_listed_their_role_changed_and_disabled_for_good,
    a_sample_run_is_redrawn_reviewed_and_kept_append_only,
    the_statistics_agree_with_the_records,
    concurrent_runs_get_their_own_ids_and_one_review_of_a_state_lands,
    a_batch_is_stored_whole_and_chained_in_the_order_given,
    a_commit_that_fails_acknowledges_nothing_of_its_batch,
    concurrent_deliveries_are_acknowledged_stored_once_and_in_order,
);
