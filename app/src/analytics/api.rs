//! Analytics server functions, named after the seed's endpoints: `analytics/summary`,
//! `analytics/revenue_daily`, `analytics/sales_daily`, `analytics/products_sold_daily` — each
//! over `start`..`end` (local `YYYY-MM-DD`, the last 30 days by default, at most 365) — and
//! `analytics/dashboard`, everything the page shows. Each checks its requirement on its first
//! line and records the query in the audit log with its range and metrics.

use crate::access::{Permission, Requirement};
use crate::error::AppError;
use leptos::prelude::*;

pub use super::types::{Dashboard, ProductsSold, Series, Summary};

#[cfg(feature = "ssr")]
use {
    super::server::{self, Range, Shown},
    super::types::{Chart, ProductsChart},
    crate::access::{Ctx, guard},
    crate::audit::Outcome,
    crate::time::day_string,
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

/// What the caller may see of the figures.
#[cfg(feature = "ssr")]
fn shown(cx: &Ctx) -> Shown {
    Shown {
        revenue: cx.access.can(Permission::AnalyticsViewRevenue),
        sales: cx.access.can(Permission::AnalyticsViewSales),
    }
}

/// The range asked for, in the organization's days.
#[cfg(feature = "ssr")]
fn range(cx: &Ctx, start: Option<String>, end: Option<String>) -> Result<Range, AppError> {
    Range::parse(start.as_deref(), end.as_deref(), crate::time::today(cx.now, &cx.org.timezone))
}

/// Records that the caller read `metrics` over `range` (`action`: `analytics.query`, or
/// `analytics.view` for the page).
#[cfg(feature = "ssr")]
async fn audit_query(cx: &Ctx, action: &str, range: Range, metrics: &[&str]) -> Result<(), AppError> {
    let mut tx = cx.state.db.begin().await?;
    let event = cx.event(action, Outcome::Allowed).metadata(serde_json::json!({
        "start": day_string(range.start),
        "end": day_string(range.end),
        "metrics": metrics,
    }));
    crate::audit::record(&mut tx, &event, cx.now).await?;
    tx.commit().await?;
    Ok(())
}

/// Minor units per major unit of the organization's currency.
#[cfg(feature = "ssr")]
fn scale(cx: &Ctx) -> f64 {
    10f64.powi(i32::from(crate::orgs::minor_units(&cx.org.currency)))
}

/// The range's totals beside the period before it; each figure only with its permission.
/// Requires `analytics.view` and step-up.
#[server(prefix = "/api", endpoint = "analytics/summary")]
pub async fn analytics_summary(start: Option<String>, end: Option<String>) -> Result<Summary, AppError> {
    let cx = guard(&ANALYTICS).await?;
    let range = range(&cx, start, end)?;
    let shown = shown(&cx);
    audit_query(&cx, "analytics.query", range, &metrics(shown, "summary")).await?;
    let mut conn = cx.state.db.conn().await?;
    let both = server::daily(&mut conn, cx.org_id(), Range { start: range.previous().start, end: range.end }).await?;
    Ok(summary_of(&cx, range, &both, shown))
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
    let range = range(&cx, start, end)?;
    audit_query(&cx, "analytics.query", range, &["revenue_daily"]).await?;
    let mut conn = cx.state.db.conn().await?;
    server::series(&mut conn, cx.org_id(), range, &[("revenue", 2)]).await
}

/// Paid orders and the items in them per day (and the period before). Requires
/// `analytics.view`, `analytics.view_sales` and step-up.
#[server(prefix = "/api", endpoint = "analytics/sales_daily")]
pub async fn sales_daily(start: Option<String>, end: Option<String>) -> Result<Series, AppError> {
    let cx = guard(&SALES).await?;
    let range = range(&cx, start, end)?;
    audit_query(&cx, "analytics.query", range, &["sales_daily"]).await?;
    let mut conn = cx.state.db.conn().await?;
    server::series(&mut conn, cx.org_id(), range, &[("orders", 0), ("items", 1)]).await
}

/// The ten best-selling products and their quantity per day (revenue only with
/// `analytics.view_revenue`). Requires `analytics.view`, `analytics.view_products` and step-up.
#[server(prefix = "/api", endpoint = "analytics/products_sold_daily")]
pub async fn products_sold_daily(start: Option<String>, end: Option<String>) -> Result<ProductsSold, AppError> {
    let cx = guard(&PRODUCTS).await?;
    let range = range(&cx, start, end)?;
    audit_query(&cx, "analytics.query", range, &["products_sold_daily"]).await?;
    let mut conn = cx.state.db.conn().await?;
    server::products_sold(&mut conn, cx.org_id(), range, shown(&cx).revenue).await
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
    let range = match days {
        Some(days) if !(1..=server::MAX_DAYS).contains(&days) => {
            return Err(AppError::invalid("days", "Choose between 1 and 365 days."));
        }
        Some(days) => Range::last(days, crate::time::today(cx.now, &cx.org.timezone)),
        None => range(&cx, start, end)?,
    };
    let shown = shown(&cx);
    let products = cx.access.can(Permission::AnalyticsViewProducts);
    let mut metrics = metrics(shown, "dashboard");
    if products {
        metrics.push("products");
    }
    audit_query(&cx, "analytics.view", range, &metrics).await?;
    let mut conn = cx.state.db.conn().await?;
    let both = server::daily(&mut conn, cx.org_id(), Range { start: range.previous().start, end: range.end }).await?;
    let summary = summary_of(&cx, range, &both, shown);
    let revenue = shown.revenue.then(|| {
        let data = server::series_of(&both, range, &[("revenue", 2)]);
        let title = format!("Revenue per day ({})", cx.org.currency);
        let svg = super::chart::line(
            &title,
            &data.labels,
            data.values("revenue"),
            data.values("revenue_previous"),
            scale(&cx),
        );
        Chart { data, svg }
    });
    let sales = shown.sales.then(|| {
        let data = server::series_of(&both, range, &[("orders", 0), ("items", 1)]);
        let svg = super::chart::bars("Paid orders per day", &data.labels, data.values("orders"));
        Chart { data, svg }
    });
    let products = match products {
        true => {
            let data = server::products_sold(&mut conn, cx.org_id(), range, shown.revenue).await?;
            let rows: Vec<(String, i64)> = data.top.iter().map(|p| (p.sku.clone(), p.quantity)).collect();
            let svg = super::chart::ranking("Top products by quantity sold", &rows);
            Some(ProductsChart { data, svg })
        }
        false => None,
    };
    let until = crate::mfa::server::step_up_until(&mut conn, &cx.session_id).await?;
    Ok(Dashboard {
        summary,
        days: range.days(),
        revenue,
        sales,
        products,
        export: cx.access.can(Permission::AnalyticsExport),
        unlocked_until: until.filter(|t| *t > cx.now).map(|t| crate::time::format_local(t, &cx.org.timezone)),
    })
}
