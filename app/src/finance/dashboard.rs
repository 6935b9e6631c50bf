//! The finance dashboard's figures (server only): what is owed and overdue now, what came in
//! this month, refunds waiting for a decision, and twelve months of invoiced, collected and
//! refunded money by local month, drawn as an SVG chart with plotters.

use super::server::{Viewer, today};
use super::types::{FinanceSummary, MonthFigures};
use crate::db::Conn;
use crate::error::Result;
use chrono::{Datelike, NaiveDate, TimeZone};
use std::str::FromStr;

/// The instant local midnight of the first of `year`-`month` begins in `tz` (the earliest,
/// where midnight happens twice; an hour later where it is skipped).
fn month_start(zone: chrono_tz::Tz, year: i32, month: u32) -> i64 {
    let midnight = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default().and_hms_opt(0, 0, 0).unwrap_or_default();
    zone.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(midnight + chrono::Duration::hours(1))).earliest())
        .map(|t| t.timestamp())
        .unwrap_or_default()
}

/// The last `n` local months up to and including the one of `now`: each month's label
/// (`Nov 2026`) and the instants it starts at, plus the start of the month after the last.
pub fn months(now: i64, tz: &str, n: usize) -> (Vec<String>, Vec<i64>) {
    let zone = chrono_tz::Tz::from_str(tz).unwrap_or(chrono_tz::UTC);
    let local = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default().with_timezone(&zone).date_naive();
    let (mut year, mut month) = (local.year(), local.month());
    let mut firsts = Vec::with_capacity(n + 1);
    // Back n - 1 months from this one.
    for _ in 1..n {
        (year, month) = if month == 1 { (year - 1, 12) } else { (year, month - 1) };
    }
    for _ in 0..=n {
        firsts.push((year, month));
        (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    }
    let labels = firsts[..n]
        .iter()
        .map(|(y, m)| NaiveDate::from_ymd_opt(*y, *m, 1).map(|d| d.format("%b %Y").to_string()).unwrap_or_default())
        .collect();
    (labels, firsts.iter().map(|(y, m)| month_start(zone, *y, *m)).collect())
}

/// Sums one series into the buckets `[bounds[i], bounds[i+1])`: one index range per month
/// (`sql` takes the organization and a bucket's bounds as `$1`, `$2`, `$3`).
async fn by_month(conn: &mut Conn, org_id: &str, sql: &str, bounds: &[i64]) -> Result<Vec<i64>> {
    let mut sums = Vec::with_capacity(bounds.len().saturating_sub(1));
    for bucket in bounds.windows(2) {
        let sum: i64 =
            sqlx::query_scalar(sql).bind(org_id).bind(bucket[0]).bind(bucket[1]).fetch_one(&mut *conn).await?;
        sums.push(sum);
    }
    Ok(sums)
}

const INVOICED: &str = "SELECT CAST(COALESCE(SUM(total), 0) AS BIGINT) FROM invoices \
                        WHERE org_id = $1 AND issued_at >= $2 AND issued_at < $3 AND status <> 'void'";
const COLLECTED: &str = "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payments \
                         WHERE org_id = $1 AND status = 'confirmed' AND confirmed_at >= $2 AND confirmed_at < $3";
const REFUNDED: &str = "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM refunds \
                        WHERE org_id = $1 AND status IN ('approved', 'executed') AND approved_at >= $2 AND approved_at < $3";

/// The dashboard's figures for the organization of `v`, in `currency`.
pub async fn summary(conn: &mut Conn, v: Viewer<'_>, currency: &str) -> Result<FinanceSummary> {
    let today = today(v.now, v.tz);
    let open: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(total - paid), 0) AS BIGINT), CAST(COUNT(*) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN due_day < $2 THEN total - paid ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN due_day < $2 THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM invoices WHERE org_id = $1 AND status IN ('issued', 'partially_paid')",
    )
    .bind(v.org_id)
    .bind(today)
    .fetch_one(&mut *conn)
    .await?;
    let awaiting: (i64, i64) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM refunds \
         WHERE org_id = $1 AND status = 'requested' AND expires_at > $2",
    )
    .bind(v.org_id)
    .bind(v.now)
    .fetch_one(&mut *conn)
    .await?;
    let transfers: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM payments WHERE org_id = $1 AND status = 'awaiting_confirmation'",
    )
    .bind(v.org_id)
    .fetch_one(&mut *conn)
    .await?;
    let (labels, bounds) = months(v.now, v.tz, 12);
    let invoiced = by_month(conn, v.org_id, INVOICED, &bounds).await?;
    let collected = by_month(conn, v.org_id, COLLECTED, &bounds).await?;
    let refunded = by_month(conn, v.org_id, REFUNDED, &bounds).await?;
    let months: Vec<MonthFigures> = labels
        .into_iter()
        .enumerate()
        .map(|(i, label)| MonthFigures { label, invoiced: invoiced[i], collected: collected[i], refunded: refunded[i] })
        .collect();
    let chart = super::chart::svg(&months, currency);
    Ok(FinanceSummary {
        currency: currency.to_string(),
        outstanding: open.0,
        open_invoices: open.1,
        overdue: open.2,
        overdue_invoices: open.3,
        collected_this_month: collected.last().copied().unwrap_or_default(),
        refunds_awaiting: awaiting.0,
        refunds_awaiting_amount: awaiting.1,
        transfers_awaiting: transfers,
        months,
        chart,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_local() {
        // 2026-11-30 20:00 UTC is already 1 December in India.
        let now = 1_796_068_800;
        let (labels, bounds) = months(now, "Asia/Kolkata", 12);
        assert_eq!(labels.first().map(String::as_str), Some("Jan 2026"));
        assert_eq!(labels.last().map(String::as_str), Some("Dec 2026"));
        assert_eq!(bounds.len(), 13);
        // 1 December 00:00 in India is 30 November 18:30 UTC.
        assert_eq!(bounds[11], 1_796_063_400);
        let (labels, _) = months(now, "UTC", 12);
        assert_eq!(labels.last().map(String::as_str), Some("Nov 2026"));
    }
}
