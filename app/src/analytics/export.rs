//! Analytics exports (`analytics.export`): the shown daily series, the top products or the
//! customers behind them, as CSV, JSON or an SVG chart. Every file carries a watermark — who
//! exported it, from which organization, when, and an `export_id` — and the `analytics.export`
//! event in the audit log carries the same `export_id`, so a file found elsewhere can be traced
//! back to the person and the moment. Customer rows are only those of customers who agreed to
//! analytics, with their names and addresses masked; text cells never read as formulas.

use super::api::{self, Dataset, ExportFormat};
use super::server::{self, Range, Shown};
use super::types::{ProductsSold, Series};
use crate::access::{Ctx, Permission};
use crate::audit::Outcome;
use crate::audit::server::spreadsheet_safe;
use crate::db::Conn;
use crate::error::{AppError, Result};
use crate::finance::policy::{mask_email, mask_name, plain_amount};
use crate::time::day_string;
use serde_json::{Value, json};

/// The most customers one export lists (the best customers of the range first).
pub const CUSTOMER_LIMIT: i64 = 10_000;

/// A file to download.
#[derive(Debug)]
pub struct File {
    pub body: String,
    pub content_type: &'static str,
    pub filename: String,
    pub export_id: String,
}

/// Who exported what and when: written into the file and into the audit event.
struct Watermark {
    export_id: String,
    exported_by: String,
    organization: String,
    slug: String,
    exported_at: String,
    /// The zone the days are in.
    timezone: String,
}

impl Watermark {
    fn of(cx: &Ctx, zone: &str) -> Watermark {
        // A name with a line break in it must not end the comment line of a CSV.
        let clean = |s: &str| s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>();
        Watermark {
            export_id: crate::db::new_ordered_id(),
            exported_by: clean(&cx.access.email),
            organization: clean(&cx.org.name),
            slug: clean(&cx.org.slug),
            exported_at: chrono::DateTime::<chrono::Utc>::from_timestamp(cx.now, 0)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
            timezone: zone.to_string(),
        }
    }

    /// One line of text.
    fn line(&self) -> String {
        format!(
            "Exported by {} from {} ({}) at {}, export {}",
            self.exported_by, self.organization, self.slug, self.exported_at, self.export_id
        )
    }

    /// The `meta` object of a JSON export.
    fn meta(&self, what: Dataset, range: Range, cx: &Ctx) -> Value {
        json!({
            "export_id": self.export_id,
            "exported_by": self.exported_by,
            "organization": self.organization,
            "organization_slug": self.slug,
            "exported_at": self.exported_at,
            "what": what.key(),
            "start": day_string(range.start),
            "end": day_string(range.end),
            "timezone": self.timezone,
            "currency": cx.org.currency,
        })
    }
}

/// Exports `what` over `start`..`end` (local dates, as the analytics endpoints take them) as
/// `format` for the caller, who passed `what`'s requirement ([`Dataset::requirement`]), and
/// records `analytics.export` with the file's `export_id`.
pub async fn export(
    cx: &Ctx,
    what: Dataset,
    format: ExportFormat,
    start: Option<String>,
    end: Option<String>,
) -> Result<File> {
    let zone = api::current(cx).await?.zone;
    let range = api::range(cx, &zone, start, end)?;
    if format == ExportFormat::Svg && what == Dataset::Customers {
        return Err(AppError::invalid("format", "Customers export as CSV or JSON only."));
    }
    let shown = Shown {
        revenue: cx.access.can(Permission::AnalyticsViewRevenue),
        sales: cx.access.can(Permission::AnalyticsViewSales),
    };
    let mark = Watermark::of(cx, &zone);
    let mut tx = cx.state.db.begin().await?;
    let (body, rows) = match what {
        Dataset::Revenue | Dataset::Sales => {
            let series = daily(&mut tx, cx, what, range).await?;
            let rows = series.labels.len();
            (daily_file(cx, what, format, range, &series, &mark), rows)
        }
        Dataset::Products => {
            let sold = server::products_sold(&mut tx, cx.org_id(), range, shown.revenue).await?;
            let rows = sold.top.len();
            (products_file(cx, format, range, &sold, &mark), rows)
        }
        Dataset::Customers => {
            let customers = customers(&mut tx, cx.org_id(), range, &zone).await?;
            let rows = customers.len();
            (customers_file(cx, format, range, &customers, shown.revenue, &mark), rows)
        }
    };
    let body = body?;
    let event = cx.event("analytics.export", Outcome::Allowed).metadata(json!({
        "export_id": mark.export_id,
        "what": what.key(),
        "format": format.key(),
        "start": day_string(range.start),
        "end": day_string(range.end),
        "rows": rows,
        "revenue": shown.revenue && what != Dataset::Sales,
        "customers_masked": what == Dataset::Customers,
    }));
    crate::audit::record(&mut tx, &event, cx.now).await?;
    tx.commit().await?;
    Ok(File {
        body,
        content_type: format.content_type(),
        filename: format!(
            "gatehouse-{}-{}-{}-to-{}.{}",
            what.key(),
            cx.org.slug,
            day_string(range.start),
            day_string(range.end),
            format.key()
        ),
        export_id: mark.export_id,
    })
}

async fn daily(conn: &mut Conn, cx: &Ctx, what: Dataset, range: Range) -> Result<Series> {
    let pick: &[(&str, usize)] = match what {
        Dataset::Revenue => &[("revenue", 2)],
        _ => &[("orders", 0), ("items", 1)],
    };
    server::series(conn, cx.org_id(), range, pick).await
}

fn daily_file(
    cx: &Ctx,
    what: Dataset,
    format: ExportFormat,
    range: Range,
    s: &Series,
    mark: &Watermark,
) -> Result<String> {
    let units = crate::orgs::minor_units(&cx.org.currency);
    let names: &[&str] = match what {
        Dataset::Revenue => &["revenue", "revenue_previous"],
        _ => &["orders", "items", "orders_previous", "items_previous"],
    };
    match format {
        ExportFormat::Csv => {
            let mut header = vec!["day"];
            header.extend(names);
            let rows = s.labels.iter().enumerate().map(|(i, day)| {
                let mut row = vec![day.clone()];
                for name in names {
                    let value = s.values(name).get(i).copied().unwrap_or_default();
                    row.push(if what == Dataset::Revenue { plain_amount(value, units) } else { value.to_string() });
                }
                row
            });
            csv(mark, &header, rows)
        }
        ExportFormat::Json => {
            let mut file = json!({ "meta": mark.meta(what, range, cx), "labels": s.labels, "series": s.series });
            if what == Dataset::Revenue {
                file["meta"]["amounts"] = json!("minor units of the currency");
            }
            to_json(&file)
        }
        ExportFormat::Svg => Ok(crate::charts::with_footer(
            &match what {
                Dataset::Revenue => super::chart::revenue(&cx.org.currency, s),
                _ => super::chart::sales(s),
            },
            &mark.line(),
        )),
    }
}

fn products_file(
    cx: &Ctx,
    format: ExportFormat,
    range: Range,
    sold: &ProductsSold,
    mark: &Watermark,
) -> Result<String> {
    let units = crate::orgs::minor_units(&cx.org.currency);
    let revenue = sold.top.iter().any(|p| p.revenue.is_some());
    match format {
        ExportFormat::Csv => {
            let mut header = vec!["rank", "sku", "product", "quantity"];
            if revenue {
                header.push("revenue");
            }
            let rows = sold.top.iter().enumerate().map(|(n, p)| {
                let mut row = vec![(n + 1).to_string(), spreadsheet_safe(&p.sku), spreadsheet_safe(&p.name)];
                row.push(p.quantity.to_string());
                row.extend(p.revenue.map(|r| plain_amount(r, units)));
                row
            });
            csv(mark, &header, rows)
        }
        ExportFormat::Json => to_json(&json!({
            "meta": mark.meta(Dataset::Products, range, cx),
            "top": sold.top,
            "labels": sold.labels,
            "series": sold.series,
        })),
        ExportFormat::Svg => Ok(crate::charts::with_footer(&super::chart::products(sold), &mark.line())),
    }
}

/// A customer in an export: masked name and address, and what they bought in the range.
#[derive(Debug, serde::Serialize)]
pub struct CustomerRow {
    pub customer: String,
    pub email: String,
    pub orders: i64,
    pub items: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue: Option<i64>,
}

/// The paid orders of `range` (days in `zone`) per customer who agreed to analytics, best
/// customers first, names and addresses masked. Revenue is filled in; the caller drops it
/// when not shown. Read from the orders (by when they were placed: right also while a change
/// of timezone is rebuilt): an export is rare and audited, not a chart.
async fn customers(conn: &mut Conn, org_id: &str, range: Range, zone: &str) -> Result<Vec<CustomerRow>> {
    let from = crate::time::day_start(range.start, zone).ok_or(AppError::Internal)?;
    let until = crate::time::day_start(range.end + 1, zone).ok_or(AppError::Internal)?;
    let rows: Vec<(String, Option<String>, i64, i64, i64)> = sqlx::query_as(
        "SELECT c.name, c.email, CAST(COUNT(*) AS BIGINT), CAST(SUM(o.items) AS BIGINT), \
                CAST(SUM(o.total) AS BIGINT) AS spent \
         FROM orders o JOIN customers c ON c.id = o.customer_id AND c.org_id = o.org_id \
         WHERE o.org_id = $1 AND o.placed_at >= $2 AND o.placed_at < $3 AND o.status = 'paid' \
           AND c.analytics_consent = 1 \
         GROUP BY c.id, c.name, c.email ORDER BY spent DESC, c.id LIMIT $4",
    )
    .bind(org_id)
    .bind(from)
    .bind(until)
    .bind(CUSTOMER_LIMIT)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, email, orders, items, revenue)| CustomerRow {
            customer: mask_name(&name),
            email: email.as_deref().map(mask_email).unwrap_or_default(),
            orders,
            items,
            revenue: Some(revenue),
        })
        .collect())
}

fn customers_file(
    cx: &Ctx,
    format: ExportFormat,
    range: Range,
    customers: &[CustomerRow],
    revenue: bool,
    mark: &Watermark,
) -> Result<String> {
    let units = crate::orgs::minor_units(&cx.org.currency);
    let shown = |c: &CustomerRow| c.revenue.filter(|_| revenue);
    match format {
        ExportFormat::Json => {
            let rows: Vec<CustomerRow> = customers
                .iter()
                .map(|c| CustomerRow {
                    customer: c.customer.clone(),
                    email: c.email.clone(),
                    orders: c.orders,
                    items: c.items,
                    revenue: shown(c),
                })
                .collect();
            let mut meta = mark.meta(Dataset::Customers, range, cx);
            meta["customers"] = json!("only customers who agreed to analytics; names and addresses masked");
            to_json(&json!({ "meta": meta, "customers": rows }))
        }
        _ => {
            let mut header = vec!["customer", "email", "paid_orders", "items"];
            if revenue {
                header.push("revenue");
            }
            let rows = customers.iter().map(|c| {
                let mut row = vec![
                    spreadsheet_safe(&c.customer),
                    spreadsheet_safe(&c.email),
                    c.orders.to_string(),
                    c.items.to_string(),
                ];
                row.extend(shown(c).map(|r| plain_amount(r, units)));
                row
            });
            csv(mark, &header, rows)
        }
    }
}

/// RFC 4180 CSV (CRLF line ends) under a `#` comment line with the watermark.
fn csv(mark: &Watermark, header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<String> {
    let csv_error = |error: csv::Error| {
        tracing::error!(%error, "analytics export: CSV writing failed");
        AppError::Internal
    };
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    writer.write_record(header).map_err(csv_error)?;
    for row in rows {
        writer.write_record(&row).map_err(csv_error)?;
    }
    let body = writer.into_inner().map_err(|_| AppError::Internal)?;
    let body = String::from_utf8(body).map_err(|_| AppError::Internal)?;
    Ok(format!("# {}\r\n{body}", mark.line()))
}

fn to_json(value: &Value) -> Result<String> {
    serde_json::to_string_pretty(value).map_err(|_| AppError::Internal)
}
