//! The history rows: send latency with a SQL store already holding a small and a large
//! number of past records.

use std::sync::Arc;
use std::time::Instant;

use crate::report::{HistoryRow, app_row_name};
use crate::run::Bench;
use crate::stores::{StoreKind, StoreUnderTest};
use crate::targets::{App, app_policy};

/// For each history size of the plan: a fresh store of `kind`, seeded, then one row of
/// sends through the app. The large history's median is compared with the small one's.
pub(crate) async fn rows(
    bench: &mut Bench<'_>,
    kind: StoreKind,
) -> anyhow::Result<Vec<HistoryRow>> {
    let plan = bench.plan;
    let mut rows: Vec<HistoryRow> = Vec::new();
    for &past_records in &plan.histories {
        let store = StoreUnderTest::open(kind, plan.postgres_url.as_deref()).await?;
        let seeding = Instant::now();
        store.seed_history(past_records).await?;
        let seed_secs = seeding.elapsed().as_secs_f64();
        eprintln!(
            "{} history of {past_records} records seeded in {seed_secs:.1} s",
            kind.label()
        );
        let app = Arc::new(App::new(bench.sim.base_url(), &store, app_policy()).await?);
        let name = app_row_name(kind.label());
        let sends = bench
            .measure(
                name,
                app,
                Some(&store),
                plan.history_concurrency,
                plan.history_requests,
                None,
            )
            .await;
        store.remove().await?;
        let sends = sends?;
        let p50_ratio_to_small = rows
            .first()
            .filter(|small| small.past_records < past_records)
            .map(|small| sends.p50_ms / small.sends.p50_ms);
        rows.push(HistoryRow {
            backend: kind.label().to_owned(),
            past_records,
            seed_secs,
            sends,
            p50_ratio_to_small,
        });
    }
    Ok(rows)
}
