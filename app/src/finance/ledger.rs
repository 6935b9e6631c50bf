//! The finance rollup (server only): money invoiced, collected and refunded per organization
//! and local day, kept in `finance_daily` by the same transaction that moves the money, so the
//! dashboard's twelve months are one indexed read of at most 366 rows, never a scan of
//! invoices, payments and refunds.
//!
//! The day is the organization's local day, computed here (chrono-tz), never in SQL, in the
//! zone read under the organization's row lock ([`crate::orgs::server::lock_timezone`]).

use super::policy::InvoiceStatus;
use crate::db::{Conn, Value, insert_rows};
use crate::error::Result;
use crate::time::local_day_and_year;
use std::collections::BTreeMap;

/// The three figures of a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// Issued invoices' totals on the day they were issued (a void takes its total back, an
    /// approved edit adds the change).
    Invoiced,
    /// Confirmed payments on the day they were confirmed.
    Collected,
    /// Approved refunds on the day of their final approval.
    Refunded,
}

impl Figure {
    fn column(self) -> &'static str {
        match self {
            Figure::Invoiced => "invoiced",
            Figure::Collected => "collected",
            Figure::Refunded => "refunded",
        }
    }
}

/// Adds `amount` (negative to take back) to `figure` on the local day of the instant `at`.
/// Takes the organization's row lock until the transaction ends; call it last, after the
/// locks of the invoice the money belongs to.
pub async fn add(conn: &mut Conn, org_id: &str, figure: Figure, at: i64, amount: i64) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    let tz = crate::orgs::server::lock_timezone(conn, org_id).await?;
    let (day, _) = local_day_and_year(at, &tz);
    let column = figure.column();
    sqlx::query(&format!(
        "INSERT INTO finance_daily (org_id, day, {column}) VALUES ($1, $2, $3) \
         ON CONFLICT (org_id, day) DO UPDATE SET {column} = finance_daily.{column} + excluded.{column}"
    ))
    .bind(org_id)
    .bind(day)
    .bind(amount)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Changes what is still owed on `org_id`'s open invoices due on local day `due_day` by
/// `amount` (negative when paid, voided or reduced) and their number by `invoices` (-1 when
/// one is paid in full or voided). The due day is a date, not an instant: no timezone, no
/// organization lock; the upsert is atomic.
pub async fn owed(conn: &mut Conn, org_id: &str, due_day: i64, amount: i64, invoices: i64) -> Result<()> {
    if amount == 0 && invoices == 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO finance_due (org_id, due_day, open_amount, open_invoices) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (org_id, due_day) DO UPDATE SET open_amount = finance_due.open_amount + excluded.open_amount, \
         open_invoices = finance_due.open_invoices + excluded.open_invoices",
    )
    .bind(org_id)
    .bind(due_day)
    .bind(amount)
    .bind(invoices)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What is owed on `org_id`'s open invoices: in total, in number, and the part due before
/// local day `today` (amount, number).
pub async fn open(conn: &mut Conn, org_id: &str, today: i64) -> Result<(i64, i64, i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(open_amount), 0) AS BIGINT), CAST(COALESCE(SUM(open_invoices), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN due_day < $2 THEN open_amount ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN due_day < $2 THEN open_invoices ELSE 0 END), 0) AS BIGINT) \
         FROM finance_due WHERE org_id = $1",
    )
    .bind(org_id)
    .bind(today)
    .fetch_one(&mut *conn)
    .await?)
}

/// Whether an invoice in `status` is still owed on (counted in [`owed`]).
pub fn is_open(status: InvoiceStatus) -> bool {
    matches!(status, InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid)
}

/// The rollup's rows of `org_id` from local day `from` to `until` (exclusive): day,
/// invoiced, collected, refunded.
pub async fn days(conn: &mut Conn, org_id: &str, from: i64, until: i64) -> Result<Vec<(i64, i64, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT day, invoiced, collected, refunded FROM finance_daily \
         WHERE org_id = $1 AND day >= $2 AND day < $3 ORDER BY day",
    )
    .bind(org_id)
    .bind(from)
    .bind(until)
    .fetch_all(&mut *conn)
    .await?)
}

/// Builds the rollups of `org_id` afresh from its invoices, payments and refunds in the
/// timezone `tz`: after bulk writes (the demo, the benchmark's generator) and when the
/// organization's timezone changes (the caller holds the organization's row lock).
pub async fn rebuild(conn: &mut Conn, org_id: &str, tz: &str) -> Result<usize> {
    let sources = [
        (
            Figure::Invoiced,
            "SELECT issued_at, total FROM invoices WHERE org_id = $1 AND issued_at IS NOT NULL AND status <> 'void'",
        ),
        (Figure::Collected, "SELECT confirmed_at, amount FROM payments WHERE org_id = $1 AND status = 'confirmed'"),
        (
            Figure::Refunded,
            "SELECT approved_at, amount FROM refunds WHERE org_id = $1 AND status IN ('approved', 'executed')",
        ),
    ];
    let mut sums: BTreeMap<i64, [i64; 3]> = BTreeMap::new();
    for (n, (_, sql)) in sources.iter().enumerate() {
        let rows: Vec<(i64, i64)> = sqlx::query_as(sql).bind(org_id).fetch_all(&mut *conn).await?;
        for (at, amount) in rows {
            sums.entry(local_day_and_year(at, tz).0).or_default()[n] += amount;
        }
    }
    sqlx::query("DELETE FROM finance_daily WHERE org_id = $1").bind(org_id).execute(&mut *conn).await?;
    let rows: Vec<Vec<Value>> = sums
        .into_iter()
        .map(|(day, [invoiced, collected, refunded])| {
            [Value::Text(Some(org_id.to_string())), Value::Int(Some(day))]
                .into_iter()
                .chain([invoiced, collected, refunded].map(|n| Value::Int(Some(n))))
                .collect()
        })
        .collect();
    insert_rows(conn, "INSERT INTO finance_daily (org_id, day, invoiced, collected, refunded)", &rows, "").await?;
    sqlx::query("DELETE FROM finance_due WHERE org_id = $1").bind(org_id).execute(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO finance_due (org_id, due_day, open_amount, open_invoices) \
         SELECT org_id, due_day, CAST(SUM(total - paid) AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM invoices \
         WHERE org_id = $1 AND status IN ('issued', 'partially_paid') GROUP BY org_id, due_day",
    )
    .bind(org_id)
    .execute(&mut *conn)
    .await?;
    Ok(rows.len())
}
