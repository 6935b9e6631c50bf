//! `gatehouse bench-analytics`: the analytics answers read from the rollups, timed beside the
//! same answers computed from the orders themselves (a raw `GROUP BY`), in-process on the
//! build it runs in (the benchmark uses the release build), and the time a full rebuild of the
//! rollups takes. Checks first that both ways give the same answer.

use app::analytics::rebuild;
use app::analytics::server::{self as analytics, RAW_DAILY, Range};
use app::db::Db;
use app::error::{AppError, Result};
use std::time::Instant;

/// The best sellers computed from the orders and their items.
const RAW_TOP: &str = "SELECT i.product_id, CAST(SUM(i.quantity) AS BIGINT) AS sold \
    FROM orders o JOIN order_items i ON i.order_id = o.id \
    WHERE o.org_id = $1 AND o.local_day >= $2 AND o.local_day <= $3 AND o.status = 'paid' \
    GROUP BY i.product_id ORDER BY sold DESC, i.product_id LIMIT 10";

/// The rows of a raw query over the orders of `org_id` in `range` (`$1`, `$2`, `$3`).
async fn raw<T>(db: &Db, sql: &'static str, org_id: &str, range: Range) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    Ok(sqlx::query_as(sql).bind(org_id).bind(range.start).bind(range.end).fetch_all(&mut *db.conn().await?).await?)
}

/// Milliseconds of `runs` timed runs: p50, p99, and the slowest.
pub fn percentiles(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99), ms[ms.len() - 1])
}

/// Times `f` `runs` times (after one warm-up run).
async fn timed<F, Fut, T>(runs: usize, mut f: F) -> Result<(f64, f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    f().await?;
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        f().await?;
        ms.push(started.elapsed().as_secs_f64() * 1_000.0);
    }
    Ok(percentiles(ms))
}

/// Runs the comparison for the organization called `slug` over the 365 days up to today,
/// handing each line of the report to `say` as soon as it is measured (a run stopped half-way
/// keeps what it measured).
pub async fn run(db: &Db, slug: &str, runs: usize, raw_runs: usize, mut say: impl FnMut(String)) -> Result<()> {
    let mut conn = db.conn().await?;
    let (org_id, tz): (String, String) = sqlx::query_as("SELECT id, timezone FROM organizations WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    let orders: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE org_id = $1")
        .bind(&org_id)
        .fetch_one(&mut *conn)
        .await?;
    let range = Range::last(365, app::time::today(app::db::now(), &tz));
    say(format!(
        "{slug}: {orders} orders; range {} to {} (365 days); {runs} rollup runs, {raw_runs} raw runs",
        app::time::day_string(range.start),
        app::time::day_string(range.end)
    ));

    // The same answers both ways.
    let rollup = analytics::daily(&mut conn, &org_id, range).await?;
    let rows: Vec<(String, i64, i64, i64, i64, i64)> = raw(db, RAW_DAILY, &org_id, range).await?;
    let mut from_orders = vec![[0i64; 4]; rollup.len()];
    for (_, day, paid, items, revenue, refunds) in rows {
        if let Some(slot) = usize::try_from(day - range.start).ok().and_then(|i| from_orders.get_mut(i)) {
            *slot = [paid, items, revenue, refunds];
        }
    }
    let top = analytics::products_sold(&mut conn, &org_id, range, true).await?;
    let raw_top: Vec<(String, i64)> = raw(db, RAW_TOP, &org_id, range).await?;
    let same_top = top.top.iter().map(|p| p.quantity).eq(raw_top.iter().map(|r| r.1));
    say(format!(
        "answers agree: daily series {}, top-10 quantities {}",
        if rollup == from_orders { "yes" } else { "NO" },
        if same_top { "yes" } else { "NO" }
    ));

    let report = |name: &str, (p50, p99, max): (f64, f64, f64)| {
        format!("{name:<44} p50 {p50:>9.2} ms   p99 {p99:>9.2} ms   max {max:>9.2} ms")
    };
    let series = timed(runs, || {
        let (db, org_id) = (db.clone(), org_id.clone());
        async move { analytics::daily(&mut *db.conn().await?, &org_id, range).await }
    })
    .await?;
    let raw_series =
        timed(raw_runs, || raw::<(String, i64, i64, i64, i64, i64)>(db, RAW_DAILY, &org_id, range)).await?;
    let products = timed(runs, || {
        let (db, org_id) = (db.clone(), org_id.clone());
        async move { analytics::products_sold(&mut *db.conn().await?, &org_id, range, true).await }
    })
    .await?;
    let raw_products = timed(raw_runs, || raw::<(String, i64)>(db, RAW_TOP, &org_id, range)).await?;
    say(report("365-day daily series, from the rollup", series));
    say(report("365-day daily series, raw GROUP BY over orders", raw_series));
    say(format!("  rollup faster by (p50): {:.0}x", raw_series.0 / series.0.max(1e-6)));
    say(report("top-10 products with daily series, rollup", products));
    say(report("top-10 products, raw GROUP BY over items", raw_products));
    say(format!("  rollup faster by (p50): {:.0}x", raw_products.0 / products.0.max(1e-6)));

    // A full rebuild, as a change of timezone runs it in the background: to another zone
    // (every order moves), by the server's chunks.
    let other = if tz == "Pacific/Honolulu" { "Asia/Kolkata" } else { "Pacific/Honolulu" };
    let started = Instant::now();
    let mut tx = db.begin().await?;
    rebuild::lock(&mut tx, &org_id).await?;
    rebuild::start(&mut tx, &org_id, &tz, other, app::db::now()).await?;
    tx.commit().await?;
    let steps = rebuild::finish(db, rebuild::CHUNK).await?;
    say(format!(
        "full rebuild of both rollups into {other}, {steps} chunks of {}: {:.1} s",
        rebuild::CHUNK,
        started.elapsed().as_secs_f64()
    ));
    // And back, so the organization's rollups are in its own zone again.
    let mut tx = db.begin().await?;
    rebuild::lock(&mut tx, &org_id).await?;
    rebuild::start(&mut tx, &org_id, other, &tz, app::db::now()).await?;
    tx.commit().await?;
    rebuild::finish(db, rebuild::CHUNK).await?;
    Ok(())
}
