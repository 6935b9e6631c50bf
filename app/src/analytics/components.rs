//! `/analytics`: revenue, sales and best sellers over a range of the organization's days,
//! beside the period before. When the session's step-up is due, the page asks for it in place
//! and shows the figures after.

use super::api::{
    ANALYTICS, Dashboard, Dataset, EXPORT_PATH, ExportFormat, IMPORT_PATH, ImportReport, ImportsPage, ORDERS_WRITE,
    analytics_dashboard, order_imports,
};
use super::types::{Chart, ProductsChart, Totals};
use crate::access::Denial;
use crate::error::AppError;
use crate::finance::policy::format_money;
use crate::mfa::components::StepUpForms;
use crate::ui::{ErrorPanel, Loaded, Page, gated};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The ranges offered with one click.
const PRESETS: [i64; 4] = [7, 30, 90, 365];

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let query = use_query_map().read_untracked();
    let (start, end) = (query.get("start"), query.get("end"));
    let days = query.get("days").and_then(|d| d.parse::<i64>().ok());
    let asked = [("start", start.clone()), ("end", end.clone()), ("days", days.map(|d| d.to_string()))]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={}", crate::ui::encode_query_value(&v))))
        .collect::<Vec<_>>();
    let here = if asked.is_empty() { "/analytics".to_string() } else { format!("/analytics?{}", asked.join("&")) };
    let data = gated(ANALYTICS, move || (start.clone(), end.clone(), days), |(s, e, d)| analytics_dashboard(s, e, d));
    let body = Suspend::new(async move {
        match data.await {
            Ok(d) => view! { <Analytics d/> }.into_any(),
            // Step-up is due: the form in place, then this page again.
            Err(AppError::Denied(Denial::StepUpRequired)) => view! { <StepUpForms next=here/> }.into_any(),
            Err(error) => view! { <ErrorPanel error/> }.into_any(),
        }
    });
    view! {
        <Title text="Analytics · Gatehouse"/>
        <Page>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>{body}</Transition>
        </Page>
    }
}

#[component]
fn Analytics(d: Dashboard) -> impl IntoView {
    let s = &d.summary;
    let unlock = match &d.unlocked_until {
        Some(until) => format!("Unlocked for this session until {until}."),
        None => "Unlocked: you signed in with two-factor authentication recently.".into(),
    };
    let currency = s.currency.clone();
    // What may be exported is what the page shows; customers go with the sales figures.
    let datasets: Vec<Dataset> = [
        (d.revenue.is_some(), Dataset::Revenue),
        (d.sales.is_some(), Dataset::Sales),
        (d.products.is_some(), Dataset::Products),
        (d.sales.is_some(), Dataset::Customers),
    ]
    .into_iter()
    .filter_map(|(shown, dataset)| shown.then_some(dataset))
    .collect();
    view! {
        <section class="card">
            <h1>"Analytics"</h1>
            <p class="small muted" role="status">{unlock}</p>
            <RangeForm start=s.start.clone() end=s.end.clone() days=d.days/>
            <p class="muted">
                {format!("{} to {} ({} days, by day in {}), compared with {} to {}.",
                    s.start, s.end, d.days, d.timezone, s.previous_start, s.previous_end)}
            </p>
            {d.rebuilding.map(|r| view! {
                <div class="alert alert-info" role="note">
                    {format!(
                        "The organization's timezone changed to {}. Analytics is being rebuilt for it ({} % done); \
                         until then the figures are by day in {}, as before.",
                        r.to, r.percent(), r.from
                    )}
                </div>
            })}
            <Figures current=s.current.clone() previous=s.previous.clone() currency=currency.clone()/>
            {d.revenue.map(|c| view! { <RevenueChart c currency=currency.clone()/> })}
            {d.sales.map(|c| view! { <SalesChart c/> })}
            {d.products.map(|c| view! { <ProductsTable c currency=currency.clone()/> })}
        </section>
        {d.export.then(|| view! { <ExportForm start=s.start.clone() end=s.end.clone() datasets/> })}
    }
}

#[component]
fn RangeForm(start: String, end: String, days: i64) -> impl IntoView {
    let presets = PRESETS
        .into_iter()
        .map(|n| {
            let here = (n == days).then_some("page");
            view! { <a href=format!("/analytics?days={n}") class="tab" aria-current=here>{format!("{n} days")}</a> }
        })
        .collect_view();
    view! {
        <nav class="tabs" aria-label="Range">{presets}</nav>
        <form method="get" action="/analytics" class="toolbar">
            <label for="range-start">"From"</label>
            <input id="range-start" type="date" name="start" value=start required/>
            <label for="range-end">"To"</label>
            <input id="range-end" type="date" name="end" value=end required/>
            <button type="submit" class="button-secondary">"Show"</button>
            <span class="small muted">"At most 365 days."</span>
        </form>
    }
}

/// `+12.5 %` from `before` to `now`; nothing to compare with when `before` is zero.
fn change(now: i64, before: i64) -> String {
    if before == 0 {
        return "no figures in the period before".into();
    }
    let pct = (now - before) as f64 * 100.0 / before as f64;
    format!("{pct:+.1} % on the period before")
}

#[component]
fn Figures(current: Totals, previous: Totals, currency: String) -> impl IntoView {
    let money = |n: i64| format_money(n, &currency);
    let count = |n: i64| n.to_string();
    let figure = |label: &'static str, now: Option<i64>, before: Option<i64>, show: &dyn Fn(i64) -> String| {
        now.map(|now| {
            let before = before.unwrap_or_default();
            view! {
                <div class="figure">
                    <p class="figure-label">{label}</p>
                    <p class="figure-value">{show(now)}</p>
                    <p class="small muted">{change(now, before)}</p>
                </div>
            }
        })
    };
    view! {
        <div class="figures">
            {figure("Revenue", current.revenue, previous.revenue, &money)}
            {figure("Paid orders", current.orders, previous.orders, &count)}
            {figure("Items sold", current.items, previous.items, &count)}
            {figure("Average order", current.average_order, previous.average_order, &money)}
            {figure("Refunded", current.refunds, previous.refunds, &money)}
        </div>
    }
}

/// A daily chart with its caption and, folded below it, its figures as a table: one row per
/// day, one column per `(heading, series)`, each value shown by `show`.
#[component]
fn DailyChart(
    id: &'static str,
    c: Chart,
    caption: String,
    summary: &'static str,
    columns: Vec<(&'static str, &'static str)>,
    show: fn(i64, &str) -> String,
    currency: String,
) -> impl IntoView {
    let values: Vec<Vec<i64>> =
        columns.iter().map(|(_, name)| c.data.series.get(*name).cloned().unwrap_or_default()).collect();
    let rows = c
        .data
        .labels
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let cells = values
                .iter()
                .map(|v| view! { <td class="num">{show(v.get(i).copied().unwrap_or_default(), &currency)}</td> })
                .collect_view();
            view! { <tr><th scope="row">{day.clone()}</th>{cells}</tr> }
        })
        .collect_view();
    let head = columns.iter().map(|(h, _)| view! { <th scope="col" class="num">{*h}</th> }).collect_view();
    let caption_id = format!("{id}-caption");
    view! {
        <figure class="chart">
            <div role="img" aria-labelledby=caption_id.clone() inner_html=c.svg></div>
            <figcaption id=caption_id>{caption}</figcaption>
        </figure>
        <details>
            <summary>{summary}</summary>
            <table class="table">
                <thead><tr><th scope="col">"Day"</th>{head}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
}

#[component]
fn RevenueChart(c: Chart, currency: String) -> impl IntoView {
    let caption = format!(
        "Revenue of paid orders per day in {currency}, as a line, with the period before as a grey line. \
         The figures are in the table below."
    );
    view! {
        <DailyChart id="revenue" c caption summary="Revenue per day as a table"
            columns=vec![("Revenue", "revenue"), ("Same day of the period before", "revenue_previous")]
            show=|n, currency| format_money(n, currency) currency/>
    }
}

#[component]
fn SalesChart(c: Chart) -> impl IntoView {
    view! {
        <DailyChart id="sales" c caption="Paid orders per day, as bars. The figures are in the table below.".into()
            summary="Orders per day as a table"
            columns=vec![("Paid orders", "orders"), ("Items", "items"), ("Orders, period before", "orders_previous")]
            show=|n, _| n.to_string() currency=String::new()/>
    }
}

#[component]
fn ProductsTable(c: ProductsChart, currency: String) -> impl IntoView {
    let revenue = c.data.top.iter().any(|p| p.revenue.is_some());
    let rows = c
        .data
        .top
        .iter()
        .enumerate()
        .map(|(n, p)| {
            view! {
                <tr>
                    <td class="num">{n + 1}</td>
                    <th scope="row">{p.name.clone()}</th>
                    <td>{p.sku.clone()}</td>
                    <td class="num">{p.quantity}</td>
                    {p.revenue.map(|r| view! { <td class="num">{format_money(r, &currency)}</td> })}
                </tr>
            }
        })
        .collect_view();
    let empty = c.data.top.is_empty();
    view! {
        <h2>"Top products"</h2>
        {empty.then(|| view! { <p class="muted">"No products were sold in this range."</p> })}
        {(!empty).then(|| view! {
            <figure class="chart">
                <div role="img" aria-labelledby="products-caption" inner_html=c.svg.clone()></div>
                <figcaption id="products-caption">"The ten products sold most in the range by quantity, by SKU, as bars. Names and figures are in the table below."</figcaption>
            </figure>
        })}
        <table class="table">
            <thead>
                <tr>
                    <th scope="col" class="num">"#"</th>
                    <th scope="col">"Product"</th>
                    <th scope="col">"SKU"</th>
                    <th scope="col" class="num">"Quantity"</th>
                    {revenue.then(|| view! { <th scope="col" class="num">"Revenue"</th> })}
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// Downloads of what the page shows, over the same range: each file names who exported it,
/// when, and an export number kept in the audit log.
#[component]
fn ExportForm(start: String, end: String, datasets: Vec<Dataset>) -> impl IntoView {
    let options = datasets.into_iter().map(|d| view! { <option value=d.key()>{d.label()}</option> }).collect_view();
    let formats = ExportFormat::ALL
        .into_iter()
        .map(|f| view! { <option value=f.key()>{f.key().to_uppercase()}</option> })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="export-heading">
            <h2 id="export-heading">"Export"</h2>
            <form method="post" action=EXPORT_PATH class="toolbar">
                <input type="hidden" name="start" value=start/>
                <input type="hidden" name="end" value=end/>
                <label for="export-what">"What"</label>
                <select id="export-what" name="what">{options}</select>
                <label for="export-format">"Format"</label>
                <select id="export-format" name="format">{formats}</select>
                <button type="submit" class="button-secondary">"Download"</button>
            </form>
            <p class="small muted">
                "Every file names who exported it, when, and an export number that is kept in the audit log. "
                "Customer rows cover only customers who agreed to analytics, with names and addresses masked; "
                "customers export as CSV or JSON."
            </p>
        </section>
    }
}

/// `/analytics/import`: a CSV file of orders in, a report of every line out.
#[component]
pub fn ImportPage() -> impl IntoView {
    let report = use_query_map().read_untracked().get("report");
    let data = gated(ORDERS_WRITE, move || report.clone(), order_imports);
    view! {
        <Title text="Import orders · Gatehouse"/>
        <Page>
            <Loaded resource=data render=|page: ImportsPage| view! { <Imports page/> }/>
        </Page>
    }
}

#[component]
fn Imports(page: ImportsPage) -> impl IntoView {
    let columns = super::api::IMPORT_COLUMNS;
    view! {
        {page.report.map(|report| view! { <ImportResult report/> })}
        <section class="card" aria-labelledby="import-heading">
            <h1 id="import-heading">"Import orders"</h1>
            <p>"A CSV file (UTF-8, comma-separated, at most 1 MB) with one line per order line and these columns on its first line:"</p>
            <ul class="small">
                {columns.iter().map(|(name, help)| view! { <li><code>{*name}</code>" — "{*help}</li> }).collect_view()}
            </ul>
            <p class="small muted">
                "Lines with the same order reference make one order. A bad line is reported with its line number "
                "and its order is left out; the other orders are imported and appear in analytics at once."
            </p>
            <form method="post" action=IMPORT_PATH enctype="multipart/form-data" class="toolbar">
                <label for="import-file">"CSV file"</label>
                <input id="import-file" type="file" name="file" accept=".csv,text/csv" required/>
                <button type="submit">"Import"</button>
            </form>
        </section>
        <RecentImports recent=page.recent/>
    }
}

#[component]
fn ImportResult(report: ImportReport) -> impl IntoView {
    let count = |n: i64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let summary = format!(
        "{} imported {} at {}: {} from {}; {} not imported.",
        if report.by.is_empty() { "A former member".to_string() } else { report.by.clone() },
        report.filename,
        report.at,
        count(report.orders, "order"),
        count(report.lines, "line"),
        count(report.rejected_lines, "line"),
    );
    let kept = report.errors.len() as i64;
    let errors = report
        .errors
        .into_iter()
        .map(|e| view! { <tr><td class="num">{e.line}</td><td>{e.message}</td></tr> })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="report-heading">
            <h2 id="report-heading">"Import report"</h2>
            <p role="status">{summary}</p>
            {(kept > 0).then(|| view! {
                <table class="table" aria-label="Lines not imported">
                    <thead><tr><th scope="col" class="num">"Line"</th><th scope="col">"Problem"</th></tr></thead>
                    <tbody>{errors}</tbody>
                </table>
            })}
            {(report.rejected_lines > kept).then(|| view! {
                <p class="small muted">{format!("The first {kept} problems are listed; fix them and import the rest again.")}</p>
            })}
        </section>
    }
}

#[component]
fn RecentImports(recent: Vec<ImportReport>) -> impl IntoView {
    let empty = recent.is_empty();
    let rows = recent
        .into_iter()
        .map(|r| {
            view! {
                <tr>
                    <td class="nowrap"><a href=format!("/analytics/import?report={}", r.id)>{r.at}</a></td>
                    <td>{r.filename}</td>
                    <td>{r.by}</td>
                    <td class="num">{r.orders}</td>
                    <td class="num">{r.rejected_lines}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="recent-imports">
            <h2 id="recent-imports">"Latest imports"</h2>
            {empty.then(|| view! { <p class="muted">"No orders have been imported yet."</p> })}
            {(!empty).then(|| view! {
                <table class="table">
                    <thead><tr>
                        <th scope="col">"When"</th><th scope="col">"File"</th><th scope="col">"By"</th>
                        <th scope="col" class="num">"Orders"</th><th scope="col" class="num">"Lines not imported"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            })}
        </section>
    }
}
