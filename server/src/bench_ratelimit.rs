//! `gatehouse bench-ratelimit`: what counting a request against its limits costs — the two
//! buckets of an API request (key, organization) taken in one transaction, as `/v1` does —
//! one after another and from concurrent tasks, on the database the command is given.

use crate::bench_analytics::percentiles;
use app::db::Db;
use app::error::Result;
use app::ratelimit;
use std::time::Instant;

/// Times `runs` checks one after another, then `runs` more spread over `tasks` concurrent
/// tasks (each its own key, one organization), and prints p50 / p99 in microseconds and the
/// checks per second.
pub async fn run(db: &Db, runs: usize, tasks: usize, say: impl Fn(String)) -> Result<()> {
    let now = app::db::now();
    let mut us = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        ratelimit::hit(db, &[("bench:key:0", "key", i64::MAX), ("bench:org", "org", i64::MAX)], now).await?;
        us.push(started.elapsed().as_secs_f64() * 1e6);
    }
    let total: f64 = us.iter().sum();
    let (p50, p99, max) = percentiles(us);
    say(format!(
        "rate-limit check (2 buckets, 1 transaction), one at a time: p50 {p50:.0} µs, p99 {p99:.0} µs, max {max:.0} µs, {:.0} checks/s",
        runs as f64 / (total / 1e6)
    ));
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for task in 0..tasks {
        let db = db.clone();
        let share = runs / tasks.max(1);
        set.spawn(async move {
            let key = format!("bench:key:{}", task + 1);
            let mut us = Vec::with_capacity(share);
            for _ in 0..share {
                let at = Instant::now();
                ratelimit::hit(&db, &[(&key, "key", i64::MAX), ("bench:org", "org", i64::MAX)], now).await?;
                us.push(at.elapsed().as_secs_f64() * 1e6);
            }
            Ok::<_, app::error::AppError>(us)
        });
    }
    let mut all = Vec::with_capacity(runs);
    for us in set.join_all().await {
        all.extend(us?);
    }
    let seconds = started.elapsed().as_secs_f64();
    let done = all.len();
    let (p50, p99, max) = percentiles(all);
    say(format!(
        "rate-limit check, {tasks} tasks at once: p50 {p50:.0} µs, p99 {p99:.0} µs, max {max:.0} µs, {:.0} checks/s",
        done as f64 / seconds
    ));
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM rate_limits WHERE bucket LIKE 'bench:%'").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
