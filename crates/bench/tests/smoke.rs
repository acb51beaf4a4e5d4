//! The benchmark's smoke configuration, run as CI runs it: it must finish, fill every table
//! and find no failed send and no missing record. Timings are never asserted.

use phone_verify_bench::{Plan, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_smoke_run_fills_every_table_without_an_error_or_a_lost_record() {
    let plan = Plan::smoke();
    let report = run(&plan).await.expect("the smoke run completes");

    // Baseline, baseline with the adapter's decode, adapter, app over in-memory and SQLite (and
    // PostgreSQL when configured), each without and with a metrics recorder, and the floor
    // of each SQL store, at each concurrency.
    let app_stores = if plan.postgres_url.is_some() { 3 } else { 2 };
    let sql_stores = app_stores - 1;
    assert!(plan.metrics, "the smoke run measures with metrics too");
    // Each SQL store's app row also runs under the guards against pumping.
    assert_eq!(
        report.sends.len(),
        (3 + 2 * app_stores + 2 * sql_stores) * plan.concurrencies.len()
    );
    let pumping = report
        .sends
        .iter()
        .filter(|row| row.name.ends_with("+ pumping guards"))
        .count();
    assert_eq!(pumping, sql_stores * plan.concurrencies.len());
    // One pair of the guards' rounds per SQL store and concurrency, the send table's rows.
    assert_eq!(report.guards.len(), sql_stores * plan.concurrencies.len());
    for pair in &report.guards {
        assert!(
            pair.throughput_off > 0.0 && pair.throughput_on > 0.0,
            "{pair:?}"
        );
    }
    // Every SQL app row has its ratio to its engine's floor, and no other row has one.
    for row in &report.sends {
        let over_sql = row.name.starts_with("app send_code (SQLite)")
            || row.name.starts_with("app send_code (PostgreSQL)");
        assert_eq!(row.ratio_to_floor.is_some(), over_sql, "{}", row.name);
    }
    let floors = report
        .sends
        .iter()
        .filter(|row| row.name.starts_with("floor: bare SQL ("))
        .count();
    assert_eq!(floors, sql_stores * plan.concurrencies.len());
    // One round of the metrics measurement per app store and concurrency.
    assert_eq!(report.metrics.len(), app_stores * plan.concurrencies.len());
    let with_metrics: Vec<_> = report
        .sends
        .iter()
        .filter(|row| row.name.ends_with("+ metrics"))
        .collect();
    assert_eq!(with_metrics.len(), app_stores * plan.concurrencies.len());
    for row in with_metrics {
        // The recorder was on and counted every send of the row, none of the others'.
        assert_eq!(
            row.sends_counted_by_metrics,
            Some(row.records_expected),
            "{}",
            row.name
        );
    }
    let backends = app_stores - 1;
    assert_eq!(report.history.len(), backends * 2);
    assert_eq!(report.in_flight.len(), 2 * plan.in_flight.len());
    for row in report
        .sends
        .iter()
        .chain(report.history.iter().map(|h| &h.sends))
    {
        assert_eq!(row.errors, 0, "{}: {:?}", row.name, row.first_error);
        assert_eq!(row.records_found, row.records_expected, "{}", row.name);
        // A send allocates (a request, a body, a future at least): the column is read.
        assert!(
            row.allocations_per_send.is_some_and(|calls| calls >= 1.0),
            "{}: {:?} allocations a send",
            row.name,
            row.allocations_per_send
        );
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
    assert!(
        markdown.contains("| app send_code (in-memory) + metrics | 1 |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| floor: bare SQL (SQLite) | 1 |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("### What the metrics recorder costs"),
        "{markdown}"
    );
    assert!(markdown.contains("throughput with metrics"), "{markdown}");
    assert!(markdown.contains("× its floor"), "{markdown}");
    // The recorder's cost without the network was measured, and the table reads it.
    let cost = report.metrics_cost.expect("measured in the smoke run");
    assert!(cost.off_ns > 0.0 && cost.on_ns > 0.0, "{cost:?}");
    assert!(markdown.contains("Without the network"), "{markdown}");
    assert!(
        markdown.contains("| baseline + adapter's decode | 1 |"),
        "{markdown}"
    );
    assert!(markdown.contains("the decode alone"), "{markdown}");
    // One statement through sqlx, for each SQL backend of the run.
    assert_eq!(report.statements.len(), backends, "{:?}", report.statements);
    for row in &report.statements {
        assert!(row.select_us > 0.0 && row.insert_us > 0.0, "{row:?}");
    }
    assert!(
        markdown.contains("### One statement through sqlx")
            && markdown.contains("| SQLite | 200 |"),
        "{markdown}"
    );
}

/// `purge-locks` on small shapes: it must finish and give a row per shape, each batch of
/// which deleted or converted what the shape holds. Timings are never asserted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purge_lock_measurement_runs_every_shape_and_purges_what_each_holds() {
    let args = phone_verify_bench::PurgeLockArgs {
        in_use: 40,
        small: 30,
        large: 700,
        convert: 600,
        postgres_url: None,
    };
    let table = phone_verify_bench::measure_purge_locks(&args)
        .await
        .expect("the measurement completes");
    let rows: Vec<&str> = table
        .lines()
        .filter(|line| line.starts_with("| SQLite"))
        .collect();
    assert_eq!(rows.len(), 3, "{table}");
    // The deleted (or converted) column: the small trust validations' sends and checks, the
    // large one's attempts, the rows in clear.
    let done: Vec<&str> = rows
        .iter()
        .map(|row| row.split('|').nth(8).unwrap_or_default().trim())
        .collect();
    assert_eq!(done, ["60", "700", "600"], "{table}");
}

/// The library loop (`phone-verify-bench library-loop`, the program profiled under DHAT and
/// perf) sends through the library and counts what a send costs the allocator.
#[tokio::test]
async fn the_library_loop_sends_and_counts_its_allocations() {
    let figures = phone_verify_bench::library_loop(200)
        .await
        .expect("the loop runs");
    assert_eq!(figures.sends, 200);
    assert!(figures.ns_per_send > 0.0, "{figures:?}");
    assert!(figures.allocations_per_send >= 1.0, "{figures:?}");
}
