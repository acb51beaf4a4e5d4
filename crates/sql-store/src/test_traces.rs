//! What PostgreSQL keeps of a value outside the live rows (feature `test-support`): the raw
//! pages of an index and the planner's statistics of a column, as bytes to search, for the
//! tests that prove a conversion or a purge leaves no number behind (`docs/security.md`).

/// The raw pages of `relation` (pageinspect's `get_raw_page`, installed in `public` once for
/// the database), concatenated: live entries, dead ones and the free space between.
///
/// # Panics
///
/// When pageinspect cannot be installed or a page cannot be read: a test helper.
pub async fn postgres_raw_pages(pool: &sqlx::PgPool, relation: &str) -> Vec<u8> {
    for attempt in 0..5 {
        // Two tests installing it at once may collide on the catalog: try again.
        match sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS pageinspect SCHEMA public")
            .execute(pool)
            .await
        {
            Ok(_) => break,
            Err(error) if attempt == 4 => panic!("pageinspect: {error}"),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let pages: i64 = sqlx::query_scalar(
        "SELECT pg_relation_size($1::regclass) / current_setting('block_size')::bigint",
    )
    .bind(relation)
    .fetch_one(pool)
    .await
    .expect("the relation's size");
    let mut bytes = Vec::new();
    for page in 0..pages {
        let raw: Vec<u8> = sqlx::query_scalar("SELECT public.get_raw_page($1, $2::int)")
            .bind(relation)
            .bind(page)
            .fetch_one(pool)
            .await
            .expect("a raw page");
        bytes.extend(raw);
    }
    bytes
}

/// What the planner's statistics (`most_common_vals`, `histogram_bounds`) say of `columns` of
/// the attempts' table in `schema`.
///
/// # Panics
///
/// When the statistics cannot be read: a test helper.
pub async fn postgres_column_statistics(
    pool: &sqlx::PgPool,
    schema: &str,
    columns: &[&str],
) -> Vec<u8> {
    let text: Option<String> = sqlx::query_scalar(
        "SELECT string_agg(coalesce(most_common_vals::text, '') || ' ' \
         || coalesce(histogram_bounds::text, ''), E'\n') FROM pg_stats \
         WHERE schemaname = $1 AND tablename = 'verification_attempts' \
         AND attname = ANY($2)",
    )
    .bind(schema)
    .bind(columns)
    .fetch_one(pool)
    .await
    .expect("reads the statistics");
    text.unwrap_or_default().into_bytes()
}
