//! The benchmark's smoke configuration, run as CI runs it: it must finish, fill every table
//! and find no failed send and no missing record. Timings are never asserted.

use phone_verify_bench::{Plan, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_smoke_run_fills_every_table_without_an_error_or_a_lost_record() {
    let plan = Plan::smoke();
    let report = run(&plan).await.expect("the smoke run completes");

    // Baseline, adapter, app over in-memory and SQLite (and PostgreSQL when configured), at
    // each concurrency.
    let per_concurrency = if plan.postgres_url.is_some() { 5 } else { 4 };
    assert_eq!(
        report.sends.len(),
        per_concurrency * plan.concurrencies.len()
    );
    let backends = per_concurrency - 3;
    assert_eq!(report.history.len(), backends * 2);
    assert_eq!(report.in_flight.len(), 2 * plan.in_flight.len());
    for row in report
        .sends
        .iter()
        .chain(report.history.iter().map(|h| &h.sends))
    {
        assert_eq!(row.errors, 0, "{}: {:?}", row.name, row.first_error);
        assert_eq!(row.records_found, row.records_expected, "{}", row.name);
    }
    for row in &report.in_flight {
        assert_eq!(row.errors, 0, "{}: {:?}", row.name, row.first_error);
        assert_eq!(row.arrived, row.in_flight as u64, "{}", row.name);
    }
    assert_eq!(report.total_errors(), 0);
    assert_eq!(report.record_mismatches(), 0);

    let markdown = report.to_markdown();
    assert!(
        markdown.contains("| baseline (bare reqwest) | 1 |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("errors: 0; records missing or extra: 0"),
        "{markdown}"
    );
}
