//! The finance dashboard's figures (server only): what is owed and overdue now, what came in
//! this month, refunds waiting for a decision, and twelve months of invoiced, collected and
//! refunded money by local month (from the daily rollup, [`ledger`]), drawn as an SVG chart
//! with plotters.

use super::ledger;
use super::server::{EPOCH_CE, Viewer, today};
use super::types::{FinanceSummary, MonthFigures};
use crate::db::Conn;
use crate::error::Result;
use chrono::{Datelike, NaiveDate};
use std::str::FromStr;

/// The local day number of the first of `year`-`month`.
fn first_day(year: i32, month: u32) -> i64 {
    NaiveDate::from_ymd_opt(year, month, 1).map_or(0, |d| i64::from(d.num_days_from_ce()) - EPOCH_CE)
}

/// The last `n` local months up to and including the one of `now`: each month's label
/// (`Nov 2026`) and the local day it starts on, plus the first day of the month after the last.
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
    (labels, firsts.iter().map(|(y, m)| first_day(*y, *m)).collect())
}

/// Sums the rollup's days into the months starting on `bounds` (`[bounds[i], bounds[i+1])`).
fn by_month(days: &[(i64, i64, i64, i64)], labels: Vec<String>, bounds: &[i64]) -> Vec<MonthFigures> {
    labels
        .into_iter()
        .zip(bounds.windows(2))
        .map(|(label, month)| {
            let mut figures = MonthFigures { label, invoiced: 0, collected: 0, refunded: 0 };
            for (_, invoiced, collected, refunded) in days.iter().filter(|d| d.0 >= month[0] && d.0 < month[1]) {
                figures.invoiced += invoiced;
                figures.collected += collected;
                figures.refunded += refunded;
            }
            figures
        })
        .collect()
}

/// The dashboard's figures for the organization of `v`, in `currency`.
pub async fn summary(conn: &mut Conn, v: Viewer<'_>, currency: &str) -> Result<FinanceSummary> {
    let today = today(v.now, v.tz);
    let open = ledger::open(conn, v.org_id, today).await?;
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
    let days = ledger::days(conn, v.org_id, bounds[0], bounds[bounds.len() - 1]).await?;
    let months = by_month(&days, labels, &bounds);
    let chart = super::chart::svg(&months, currency);
    Ok(FinanceSummary {
        currency: currency.to_string(),
        outstanding: open.0,
        open_invoices: open.1,
        overdue: open.2,
        overdue_invoices: open.3,
        collected_this_month: months.last().map_or(0, |m| m.collected),
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
        // The buckets are local days: 1 December 2026 is day 20,788.
        assert_eq!(bounds[11], 20_788);
        assert_eq!(crate::finance::server::day_string(bounds[11]), "2026-12-01");
        let (labels, _) = months(now, "UTC", 12);
        assert_eq!(labels.last().map(String::as_str), Some("Nov 2026"));
    }
}
