//! Analytics server functions, named after the seed's endpoints: `analytics/summary`,
//! `analytics/revenue_daily`, `analytics/sales_daily`, `analytics/products_sold_daily` — each
//! over `start`..`end` (local `YYYY-MM-DD`, the last 30 days by default, at most 365) — and
//! `analytics/dashboard`, everything the page shows. Each checks its requirement on its first
//! line and records the query in the audit log with its range and metrics.

use crate::access::{Permission, Requirement};
use crate::error::AppError;
use leptos::prelude::*;

pub use super::types::{Dashboard, ImportReport, ImportsPage, ProductsSold, Series, Summary};

#[cfg(feature = "ssr")]
use {
    super::figures::Figures,
    super::rebuild::Current,
    super::server::{self, Range, Shown},
    super::types::{Chart, ProductsChart},
    crate::access::{Ctx, guard},
    crate::audit::Outcome,
    crate::time::day_string,
    std::sync::Arc,
};

/// Opening analytics: the permission and a live step-up unlock.
pub const ANALYTICS: Requirement = Requirement::all(&[Permission::AnalyticsView]).with_step_up();
/// Revenue figures.
pub const REVENUE: Requirement =
    Requirement::all(&[Permission::AnalyticsView, Permission::AnalyticsViewRevenue]).with_step_up();
/// Order and item counts.
pub const SALES: Requirement =
    Requirement::all(&[Permission::AnalyticsView, Permission::AnalyticsViewSales]).with_step_up();
/// Products sold.
pub const PRODUCTS: Requirement =
    Requirement::all(&[Permission::AnalyticsView, Permission::AnalyticsViewProducts]).with_step_up();

/// Where the export form posts (a plain route, so the browser downloads the answer).
pub const EXPORT_PATH: &str = "/api/analytics/export";
/// Exporting the daily revenue.
pub const EXPORT_REVENUE: Requirement =
    Requirement::all(&[Permission::AnalyticsView, Permission::AnalyticsExport, Permission::AnalyticsViewRevenue])
        .with_step_up();
/// Exporting the daily sales, or the customers behind them (revenue only with its permission).
pub const EXPORT_SALES: Requirement =
    Requirement::all(&[Permission::AnalyticsView, Permission::AnalyticsExport, Permission::AnalyticsViewSales])
        .with_step_up();
/// Exporting the top products.
pub const EXPORT_PRODUCTS: Requirement =
    Requirement::all(&[Permission::AnalyticsView, Permission::AnalyticsExport, Permission::AnalyticsViewProducts])
        .with_step_up();
/// Exporting at all (what is asked for is not known yet).
pub const EXPORT: Requirement =
    Requirement::all(&[Permission::AnalyticsView, Permission::AnalyticsExport]).with_step_up();

/// Importing orders (and reading the imports' reports).
pub const ORDERS_WRITE: Requirement = Requirement::all(&[Permission::OrdersWrite]);
/// Where the import form posts its file (`multipart/form-data`; a plain route).
pub const IMPORT_PATH: &str = "/api/analytics/import";

/// The columns of an import file (in any order, named on its first line) and what each holds.
pub const IMPORT_COLUMNS: [(&str, &str); 7] = [
    ("order", "your order reference; lines with the same one make one order"),
    ("placed_at", "when it was placed: 2026-11-20 18:30 in the organization's time, or 2026-11-20T13:00:00Z"),
    ("sku", "the product's SKU"),
    ("quantity", "a whole number from 1"),
    ("unit_price", "optional: the price of one, e.g. 12.50 (empty: the product's list price)"),
    ("status", "optional: paid (the default), refunded or cancelled"),
    ("customer_email", "optional: the address of one of your customers"),
];

/// What an export holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataset {
    /// Revenue per day, beside the period before.
    Revenue,
    /// Paid orders and items per day, beside the period before.
    Sales,
    /// The ten best sellers, with their quantity per day.
    Products,
    /// Per customer who agreed to analytics, masked: paid orders, items (and revenue).
    Customers,
}

impl Dataset {
    pub const ALL: [Dataset; 4] = [Dataset::Revenue, Dataset::Sales, Dataset::Products, Dataset::Customers];

    pub fn key(self) -> &'static str {
        match self {
            Dataset::Revenue => "revenue",
            Dataset::Sales => "sales",
            Dataset::Products => "products",
            Dataset::Customers => "customers",
        }
    }

    pub fn from_key(key: &str) -> Option<Dataset> {
        Dataset::ALL.into_iter().find(|d| d.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Dataset::Revenue => "Revenue per day",
            Dataset::Sales => "Orders per day",
            Dataset::Products => "Top products",
            Dataset::Customers => "Customers (consenting, masked)",
        }
    }

    /// What exporting it takes.
    pub fn requirement(self) -> &'static Requirement {
        match self {
            Dataset::Revenue => &EXPORT_REVENUE,
            Dataset::Sales | Dataset::Customers => &EXPORT_SALES,
            Dataset::Products => &EXPORT_PRODUCTS,
        }
    }
}

/// The file format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
    Svg,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 3] = [ExportFormat::Csv, ExportFormat::Json, ExportFormat::Svg];

    pub fn key(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
            ExportFormat::Svg => "svg",
        }
    }

    pub fn from_key(key: &str) -> Option<ExportFormat> {
        ExportFormat::ALL.into_iter().find(|f| f.key() == key)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
            ExportFormat::Svg => "image/svg+xml",
        }
    }
}

/// What the caller may see of the figures.
#[cfg(feature = "ssr")]
fn shown(cx: &Ctx) -> Shown {
    Shown {
        revenue: cx.access.can(Permission::AnalyticsViewRevenue),
        sales: cx.access.can(Permission::AnalyticsViewSales),
    }
}

/// Where the organization's analytics stands: the zone its days are in (its timezone, or the
/// one before while a change is being rebuilt), the rebuild's progress, the rollups' version.
#[cfg(feature = "ssr")]
pub(super) async fn current(cx: &Ctx) -> Result<Current, AppError> {
    super::rebuild::state(&mut *cx.state.db.conn().await?, cx.org_id()).await
}

/// The figures of `range` as of `current` (read before them), from memory when they were read
/// at that version already.
#[cfg(feature = "ssr")]
async fn figures(cx: &Ctx, current: &Current, range: Range) -> Result<Arc<Figures>, AppError> {
    cx.state.figures.get(&cx.state.db, cx.org_id(), &cx.org.currency, current, range).await
}

/// The range asked for, in the days of `zone`.
#[cfg(feature = "ssr")]
pub(super) fn range(cx: &Ctx, zone: &str, start: Option<String>, end: Option<String>) -> Result<Range, AppError> {
    Range::parse(start.as_deref(), end.as_deref(), crate::time::today(cx.now, zone))
}

/// Records that the caller read `metrics` over `range` (`action`: `analytics.query`, or
/// `analytics.view` for the page).
#[cfg(feature = "ssr")]
async fn audit_query(cx: &Ctx, action: &str, range: Range, metrics: &[&str]) -> Result<(), AppError> {
    let event = cx.event(action, Outcome::Allowed).metadata(serde_json::json!({
        "start": day_string(range.start),
        "end": day_string(range.end),
        "metrics": metrics,
    }));
    cx.state.reads.record(event, cx.now).await
}

/// The range's totals beside the period before it; each figure only with its permission.
/// Requires `analytics.view` and step-up.
#[server(prefix = "/api", endpoint = "analytics/summary")]
pub async fn analytics_summary(start: Option<String>, end: Option<String>) -> Result<Summary, AppError> {
    let cx = guard(&ANALYTICS).await?;
    summary_for(&cx, start, end).await
}

/// [`analytics_summary`] for a caller already allowed [`ANALYTICS`] (a person or an API key).
#[cfg(feature = "ssr")]
pub async fn summary_for(cx: &Ctx, start: Option<String>, end: Option<String>) -> Result<Summary, AppError> {
    let current = current(cx).await?;
    let range = range(cx, &current.zone, start, end)?;
    let shown = shown(cx);
    audit_query(cx, "analytics.query", range, &metrics(shown, "summary")).await?;
    Ok(summary_of(cx, range, &figures(cx, &current, range).await?.both, shown))
}

/// The metrics a summary shows the caller.
#[cfg(feature = "ssr")]
fn metrics(shown: Shown, what: &'static str) -> Vec<&'static str> {
    let mut metrics = vec![what];
    if shown.sales {
        metrics.extend(["orders", "items"]);
    }
    if shown.revenue {
        metrics.extend(["revenue", "refunds"]);
    }
    metrics
}

#[cfg(feature = "ssr")]
fn summary_of(cx: &Ctx, range: Range, both: &[server::Day], shown: Shown) -> Summary {
    let (previous, current) = both.split_at(both.len() / 2);
    Summary {
        start: day_string(range.start),
        end: day_string(range.end),
        previous_start: day_string(range.previous().start),
        previous_end: day_string(range.previous().end),
        currency: cx.org.currency.clone(),
        current: server::totals(current, shown),
        previous: server::totals(previous, shown),
    }
}

/// Revenue per day (`revenue`, and `revenue_previous` for the period before), in minor units.
/// Requires `analytics.view`, `analytics.view_revenue` and step-up.
#[server(prefix = "/api", endpoint = "analytics/revenue_daily")]
pub async fn revenue_daily(start: Option<String>, end: Option<String>) -> Result<Series, AppError> {
    let cx = guard(&REVENUE).await?;
    series_for(&cx, "revenue_daily", start, end).await
}

/// A daily series (`revenue_daily` or `sales_daily`) for a caller already allowed its
/// requirement ([`REVENUE`], [`SALES`]): a person or an API key.
#[cfg(feature = "ssr")]
pub async fn series_for(
    cx: &Ctx,
    which: &'static str,
    start: Option<String>,
    end: Option<String>,
) -> Result<Series, AppError> {
    let pick: &[(&str, usize)] = match which {
        "revenue_daily" => &[("revenue", 2)],
        "sales_daily" => &[("orders", 0), ("items", 1)],
        _ => return Err(AppError::NotFound),
    };
    let current = current(cx).await?;
    let range = range(cx, &current.zone, start, end)?;
    audit_query(cx, "analytics.query", range, &[which]).await?;
    Ok(figures(cx, &current, range).await?.series(range, pick))
}

/// Paid orders and the items in them per day (and the period before). Requires
/// `analytics.view`, `analytics.view_sales` and step-up.
#[server(prefix = "/api", endpoint = "analytics/sales_daily")]
pub async fn sales_daily(start: Option<String>, end: Option<String>) -> Result<Series, AppError> {
    let cx = guard(&SALES).await?;
    series_for(&cx, "sales_daily", start, end).await
}

/// The ten best-selling products and their quantity per day (revenue only with
/// `analytics.view_revenue`). Requires `analytics.view`, `analytics.view_products` and step-up.
#[server(prefix = "/api", endpoint = "analytics/products_sold_daily")]
pub async fn products_sold_daily(start: Option<String>, end: Option<String>) -> Result<ProductsSold, AppError> {
    let cx = guard(&PRODUCTS).await?;
    products_for(&cx, start, end).await
}

/// [`products_sold_daily`] for a caller already allowed [`PRODUCTS`].
#[cfg(feature = "ssr")]
pub async fn products_for(cx: &Ctx, start: Option<String>, end: Option<String>) -> Result<ProductsSold, AppError> {
    let current = current(cx).await?;
    let range = range(cx, &current.zone, start, end)?;
    audit_query(cx, "analytics.query", range, &["products_sold_daily"]).await?;
    Ok(figures(cx, &current, range).await?.products(shown(cx).revenue))
}

/// Everything `/analytics` shows for a range (`days`: the last 7, 30, 90 or 365 days instead
/// of `start` and `end`), each chart only with its permission. Requires `analytics.view` and
/// step-up; the view is audited with its range and metrics.
#[server(prefix = "/api", endpoint = "analytics/dashboard")]
pub async fn analytics_dashboard(
    start: Option<String>,
    end: Option<String>,
    days: Option<i64>,
) -> Result<Dashboard, AppError> {
    let cx = guard(&ANALYTICS).await?;
    let current = current(&cx).await?;
    let range = match days {
        Some(days) if !(1..=server::MAX_DAYS).contains(&days) => {
            return Err(AppError::invalid("days", "Choose between 1 and 365 days."));
        }
        Some(days) => Range::last(days, crate::time::today(cx.now, &current.zone)),
        None => range(&cx, &current.zone, start, end)?,
    };
    let shown = shown(&cx);
    let products = cx.access.can(Permission::AnalyticsViewProducts);
    let mut metrics = metrics(shown, "dashboard");
    if products {
        metrics.push("products");
    }
    audit_query(&cx, "analytics.view", range, &metrics).await?;
    let figures = figures(&cx, &current, range).await?;
    let summary = summary_of(&cx, range, &figures.both, shown);
    let revenue = shown
        .revenue
        .then(|| Chart { data: figures.series(range, &[("revenue", 2)]), svg: figures.revenue_svg.clone() });
    let sales = shown
        .sales
        .then(|| Chart { data: figures.series(range, &[("orders", 0), ("items", 1)]), svg: figures.sales_svg.clone() });
    let products =
        products.then(|| ProductsChart { data: figures.products(shown.revenue), svg: figures.products_svg.clone() });
    let until = cx.access.step_up_until;
    Ok(Dashboard {
        summary,
        days: range.days(),
        revenue,
        sales,
        products,
        export: cx.access.can(Permission::AnalyticsExport),
        unlocked_until: until.filter(|t| *t > cx.now).map(|t| crate::time::format_local(t, &cx.org.timezone)),
        timezone: current.zone,
        rebuilding: current.rebuilding,
    })
}

/// The report of the import `report` (another organization's: 404) and the ten latest
/// imports. Requires `orders.write`.
#[server(prefix = "/api", endpoint = "analytics/imports")]
pub async fn order_imports(report: Option<String>) -> Result<ImportsPage, AppError> {
    let cx = guard(&ORDERS_WRITE).await?;
    let mut conn = cx.state.db.conn().await?;
    let report = match crate::input::optional_id(report.as_deref())? {
        Some(id) => Some(server::import_report(&mut conn, cx.org_id(), &cx.org.timezone, &id).await?),
        None => None,
    };
    let recent = server::recent_imports(&mut conn, cx.org_id(), &cx.org.timezone).await?;
    Ok(ImportsPage { report, recent })
}
