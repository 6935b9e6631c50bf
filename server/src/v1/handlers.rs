//! The `/v1` handlers. Each starts with [`permit`] and its requirement; the queries are the
//! app's own (the same rules as the pages), the wire types are the API's.

use super::{ApiError, ApiJson, ApiQuery, Caller, Problem, permit};
use app::access::{Permission, Requirement};
use app::analytics::import::{EARLIEST, Lookup};
use app::analytics::server::{NewItem, NewOrder, OrderStatus, record_orders};
use app::error::AppError;
use app::finance::server::Shown;
use axum::Json;
use axum::extract::Path;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type Answer<T> = Result<Json<T>, ApiError>;

pub fn routes() -> OpenApiRouter<app::state::AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers, create_customer))
        .routes(routes!(list_orders, create_order))
        .routes(routes!(create_orders))
        .routes(routes!(list_invoices))
        .routes(routes!(get_invoice))
        .routes(routes!(analytics_summary))
        .routes(routes!(revenue_daily))
        .routes(routes!(sales_daily))
        .routes(routes!(products_sold_daily))
}

/// Customers as the finance pages have them: listing needs `invoices.read`, adding
/// `invoices.create` too.
const CUSTOMERS_READ: Requirement = app::finance::policy::INVOICES_READ;
const CUSTOMERS_WRITE: Requirement = app::finance::policy::INVOICES_CREATE;
const ORDERS_READ: Requirement = Requirement::all(&[Permission::OrdersRead]);
const ORDERS_WRITE: Requirement = Requirement::all(&[Permission::OrdersWrite]);
const INVOICES_READ: Requirement = Requirement::all(&[Permission::InvoicesRead]);
/// The most orders in one batch.
const MAX_BATCH: usize = 1_000;
/// The most rows on one page.
const MAX_PAGE: i64 = 500;

/// A page of a list: `after` is the `next` of the page before.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Rows per page, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

impl PageQuery {
    fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(100),
            Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
            Some(_) => Err(AppError::invalid("limit", format!("Ask for 1 to {MAX_PAGE} rows.")).into()),
        }
    }
}

// ---- customers ----------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct Customer {
    pub id: String,
    /// Masked (`A*** S***`) without `customers.pii.read`.
    pub name: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub marketing_consent: bool,
    /// Whether the personal details above are masked.
    pub masked: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerPage {
    pub data: Vec<Customer>,
    /// Pass as `after` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Customers by id, a page at a time. Needs `invoices.read`; personal
/// details are shown with `customers.pii.read` (each such page is audited), masked otherwise.
#[utoipa::path(get, path = "/v1/customers", tag = "customers", params(PageQuery),
    responses((status = 200, body = CustomerPage), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_customers(Caller(cx): Caller, ApiQuery(page): ApiQuery<PageQuery>) -> Answer<CustomerPage> {
    permit(&cx, &CUSTOMERS_READ, "/v1/customers").await?;
    let limit = page.limit()?;
    let after = page
        .after
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(app::input::id)
        .transpose()
        .map_err(|_| ApiError(AppError::invalid("after", "Not a page cursor.")))?;
    let pii = cx.access.can(Permission::CustomersPiiRead);
    let shown = if pii { Shown::All } else { Shown::Masked };
    let mut conn = cx.state.db.conn().await?;
    let rows =
        app::finance::server::customers_after(&mut conn, cx.org_id(), shown, after.as_deref(), limit + 1).await?;
    drop(conn);
    let more = rows.len() as i64 > limit;
    let data: Vec<Customer> = rows
        .into_iter()
        .take(limit as usize)
        .map(|c| Customer {
            id: c.id,
            name: c.name,
            email: c.email,
            phone: c.phone,
            address: c.address,
            marketing_consent: c.marketing_consent,
            masked: c.masked,
        })
        .collect();
    if pii {
        let mut tx = cx.state.db.begin().await?;
        let event =
            cx.event("customers.pii_list", app::audit::Outcome::Allowed).metadata(json!({ "customers": data.len() }));
        app::audit::record(&mut tx, &event, cx.now).await?;
        tx.commit().await?;
    }
    let next = if more { data.last().map(|c| c.id.clone()) } else { None };
    Ok(Json(CustomerPage { data, next }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewCustomerBody {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub marketing_consent: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: String,
}

/// Adds a customer. Needs `invoices.read` and `invoices.create`. Accepts `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/customers", tag = "customers", request_body = NewCustomerBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Answer this request once; replay the answer for 24 hours")),
    responses((status = 201, body = Created), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn create_customer(
    Caller(cx): Caller,
    ApiJson(body): ApiJson<NewCustomerBody>,
) -> Result<(http::StatusCode, Json<Created>), ApiError> {
    permit(&cx, &CUSTOMERS_WRITE, "/v1/customers").await?;
    let customer = app::finance::server::NewCustomer::parse(
        &body.name,
        &body.email,
        &body.phone,
        &body.address,
        body.marketing_consent,
    )?;
    let mut tx = cx.state.db.begin().await?;
    let id = app::finance::server::create_customer(&mut tx, cx.org_id(), &customer, cx.now).await?;
    cx.audit(&mut tx, "customers.create", ("customer", &id), json!({ "marketing_consent": body.marketing_consent }))
        .await?;
    tx.commit().await?;
    Ok((http::StatusCode::CREATED, Json(Created { id })))
}

// ---- orders -------------------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
pub struct OrderItemBody {
    /// The product's SKU in this organization.
    pub sku: String,
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i64,
    /// In minor units of the organization's currency; the product's list price when absent.
    #[schema(minimum = 0)]
    pub unit_price: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct OrderBody {
    /// RFC 3339, e.g. `2026-11-20T13:00:00Z`, between 2000 and tomorrow.
    #[schema(format = DateTime)]
    pub placed_at: String,
    /// `paid` (default), `refunded` or `cancelled`.
    pub status: Option<String>,
    /// A customer of this organization, by email.
    pub customer_email: Option<String>,
    /// 1 to 100 lines.
    #[schema(min_items = 1, max_items = 100)]
    pub items: Vec<OrderItemBody>,
}

#[derive(Deserialize, ToSchema)]
pub struct OrderBatchBody {
    /// 1 to 1,000 orders, written together or not at all.
    #[schema(min_items = 1, max_items = 1000)]
    pub orders: Vec<OrderBody>,
}

#[derive(Serialize, ToSchema)]
pub struct OrdersCreated {
    /// The new orders' ids, in the order given.
    pub ids: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Order {
    pub id: String,
    /// RFC 3339, UTC.
    pub placed_at: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Items (quantities summed).
    pub items: i64,
    /// In minor units.
    pub total: i64,
    pub currency: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrderPage {
    pub data: Vec<Order>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Reads one order of the body (`field` names it in errors).
fn order_of(body: &OrderBody, lookup: &Lookup, field: &str, now: i64) -> Result<NewOrder, AppError> {
    let placed_at = chrono::DateTime::parse_from_rfc3339(body.placed_at.trim())
        .map_err(|_| {
            AppError::invalid(format!("{field}.placed_at"), "Give the time as RFC 3339, e.g. 2026-11-20T13:00:00Z.")
        })?
        .timestamp();
    if !(EARLIEST..=now + 86_400).contains(&placed_at) {
        return Err(AppError::invalid(format!("{field}.placed_at"), "Orders are placed between 2000 and tomorrow."));
    }
    let status = match body.status.as_deref().map(str::trim) {
        None | Some("") => OrderStatus::Paid,
        Some(key) => OrderStatus::from_key(key)
            .ok_or_else(|| AppError::invalid(format!("{field}.status"), "Use paid, refunded or cancelled."))?,
    };
    let customer_id =
        match body.customer_email.as_deref().map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()) {
            None => None,
            Some(email) => Some(lookup.customers.get(&email).cloned().ok_or_else(|| {
                AppError::invalid(format!("{field}.customer_email"), "No customer has this email here.")
            })?),
        };
    let mut items = Vec::with_capacity(body.items.len());
    for (n, item) in body.items.iter().enumerate() {
        let (product_id, price) = lookup
            .products
            .get(item.sku.trim())
            .cloned()
            .ok_or_else(|| AppError::invalid(format!("{field}.items[{n}].sku"), "No product has this SKU here."))?;
        items.push(NewItem { product_id, quantity: item.quantity, unit_price: item.unit_price.unwrap_or(price) });
    }
    let order = NewOrder { customer_id, placed_at, status, items };
    order.total(&format!("{field}.items"))?;
    Ok(order)
}

/// Writes `orders` with their rollups in one transaction, audited once.
async fn write_orders(cx: &app::access::Ctx, bodies: &[OrderBody], prefix: &str) -> Result<Vec<String>, ApiError> {
    let lookup = Lookup::load(&mut *cx.state.db.conn().await?, cx.org_id()).await?;
    let orders = bodies
        .iter()
        .enumerate()
        .map(|(n, body)| order_of(body, &lookup, &prefix.replace("{n}", &n.to_string()), cx.now))
        .collect::<Result<Vec<_>, _>>()?;
    let mut tx = cx.state.db.begin().await?;
    let ids = record_orders(&mut tx, cx.org_id(), &cx.org.currency, &orders, cx.now).await?;
    let first = ids.first().cloned().unwrap_or_default();
    cx.audit(&mut tx, "orders.create", ("order", &first), json!({ "orders": ids.len(), "via": "api" })).await?;
    tx.commit().await?;
    Ok(ids)
}

/// Records one order (and its rollups). Needs `orders.write`. Accepts `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/orders", tag = "orders", request_body = OrderBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Answer this request once; replay the answer for 24 hours")),
    responses((status = 201, body = OrdersCreated), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn create_order(
    Caller(cx): Caller,
    ApiJson(body): ApiJson<OrderBody>,
) -> Result<(http::StatusCode, Json<OrdersCreated>), ApiError> {
    permit(&cx, &ORDERS_WRITE, "/v1/orders").await?;
    let ids = write_orders(&cx, std::slice::from_ref(&body), "order").await?;
    Ok((http::StatusCode::CREATED, Json(OrdersCreated { ids })))
}

/// Records up to 1,000 orders at once, all or none. Needs `orders.write`. Accepts
/// `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/orders/batch", tag = "orders", request_body = OrderBatchBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Answer this request once; replay the answer for 24 hours")),
    responses((status = 201, body = OrdersCreated), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn create_orders(
    Caller(cx): Caller,
    ApiJson(body): ApiJson<OrderBatchBody>,
) -> Result<(http::StatusCode, Json<OrdersCreated>), ApiError> {
    permit(&cx, &ORDERS_WRITE, "/v1/orders/batch").await?;
    if body.orders.is_empty() || body.orders.len() > MAX_BATCH {
        return Err(AppError::invalid("orders", format!("Send 1 to {MAX_BATCH} orders.")).into());
    }
    let ids = write_orders(&cx, &body.orders, "orders[{n}]").await?;
    Ok((http::StatusCode::CREATED, Json(OrdersCreated { ids })))
}

/// Orders, newest first, a page at a time. Needs `orders.read`.
#[utoipa::path(get, path = "/v1/orders", tag = "orders", params(PageQuery),
    responses((status = 200, body = OrderPage), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_orders(Caller(cx): Caller, ApiQuery(page): ApiQuery<PageQuery>) -> Answer<OrderPage> {
    permit(&cx, &ORDERS_READ, "/v1/orders").await?;
    let limit = page.limit()?;
    let bad = || ApiError(AppError::invalid("after", "Not a page cursor."));
    let after = match page.after.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(raw) => {
            let (at, id) = raw.split_once(':').ok_or_else(bad)?;
            let id = uuid_like(id).ok_or_else(bad)?;
            Some((at.parse::<i64>().map_err(|_| bad())?, id))
        }
    };
    let mut conn = cx.state.db.conn().await?;
    let rows = app::analytics::server::orders_before(&mut conn, cx.org_id(), after, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let next = if more { rows.get(limit as usize - 1).map(|r| format!("{}:{}", r.placed_at, r.id)) } else { None };
    let data = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| Order {
            id: r.id,
            placed_at: chrono::DateTime::from_timestamp(r.placed_at, 0).map(|t| t.to_rfc3339()).unwrap_or_default(),
            status: r.status,
            customer_id: r.customer_id,
            items: r.items,
            total: r.total,
            currency: r.currency,
        })
        .collect();
    Ok(Json(OrderPage { data, next }))
}

/// An id as we make them (a UUID of any version), or `None`.
fn uuid_like(raw: &str) -> Option<String> {
    let id = raw.trim();
    (id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')).then(|| id.to_ascii_lowercase())
}

// ---- invoices -----------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct Invoice {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The customer's name, masked without `customers.pii.read`.
    pub customer: String,
    /// `draft`, `issued`, `partially_paid`, `paid` or `void`.
    pub status: String,
    pub currency: String,
    /// Minor units.
    pub total: i64,
    pub paid: i64,
    /// `YYYY-MM-DD`.
    pub due_on: String,
    pub overdue: bool,
}

#[derive(Serialize, ToSchema)]
pub struct InvoicePage {
    pub data: Vec<Invoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    /// Only this status.
    pub status: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

fn shown(cx: &app::access::Ctx) -> Shown {
    Shown::names(cx.access.can(Permission::CustomersPiiRead))
}

/// Invoices, newest first, 50 a page. Needs `invoices.read`.
#[utoipa::path(get, path = "/v1/invoices", tag = "invoices", params(InvoiceQuery),
    responses((status = 200, body = InvoicePage), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_invoices(Caller(cx): Caller, ApiQuery(query): ApiQuery<InvoiceQuery>) -> Answer<InvoicePage> {
    permit(&cx, &INVOICES_READ, "/v1/invoices").await?;
    let status = app::finance::api::parse_status(query.status.as_deref())?;
    let after = query.after.filter(|a| !a.is_empty());
    let mut conn = cx.state.db.conn().await?;
    let list = app::finance::server::invoices(
        &mut conn,
        cx.org_id(),
        &cx.org.timezone,
        cx.now,
        shown(&cx),
        status,
        after.as_deref(),
    )
    .await?;
    let data = list
        .rows
        .into_iter()
        .map(|r| Invoice {
            id: r.id,
            number: r.number,
            customer: r.customer,
            status: r.status.key().to_string(),
            currency: r.currency,
            total: r.total,
            paid: r.paid,
            due_on: r.due_on,
            overdue: r.overdue,
        })
        .collect();
    Ok(Json(InvoicePage { data, next: list.next }))
}

#[derive(Serialize, ToSchema)]
pub struct InvoiceLine {
    pub description: String,
    pub quantity: i64,
    /// Minor units.
    pub unit_price: i64,
    /// Tax rate in basis points (1800 = 18 %).
    pub tax_bp: i64,
}

#[derive(Serialize, ToSchema)]
pub struct InvoiceDetail {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub customer: String,
    pub status: String,
    pub currency: String,
    pub due_on: String,
    pub overdue: bool,
    pub lines: Vec<InvoiceLine>,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub paid: i64,
    pub refunded: i64,
    pub version: i64,
}

/// One invoice with its current lines. Needs `invoices.read`; another organization's invoice
/// is not found.
#[utoipa::path(get, path = "/v1/invoices/{id}", tag = "invoices",
    params(("id" = String, Path, description = "The invoice's id")),
    responses((status = 200, body = InvoiceDetail), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_invoice(Caller(cx): Caller, Path(id): Path<String>) -> Answer<InvoiceDetail> {
    permit(&cx, &INVOICES_READ, "/v1/invoices/{id}").await?;
    let id = app::input::id(&id)?;
    let viewer = app::finance::server::Viewer {
        org_id: cx.org_id(),
        user_id: cx.user_id(),
        tz: &cx.org.timezone,
        now: cx.now,
        shown: shown(&cx),
    };
    let mut conn = cx.state.db.conn().await?;
    let i = app::finance::server::invoice(&mut conn, viewer, &id).await?;
    Ok(Json(InvoiceDetail {
        id: i.id,
        number: i.number,
        customer: i.customer.name,
        status: i.status.key().to_string(),
        currency: i.currency,
        due_on: i.due_on,
        overdue: i.overdue,
        lines: i
            .lines
            .into_iter()
            .map(|l| InvoiceLine {
                description: l.description,
                quantity: l.quantity,
                unit_price: l.unit_price,
                tax_bp: l.tax_bp,
            })
            .collect(),
        subtotal: i.totals.subtotal,
        tax: i.totals.tax,
        total: i.totals.total,
        paid: i.paid,
        refunded: i.refunded,
        version: i.version,
    }))
}

// ---- analytics ----------------------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First day, `YYYY-MM-DD` in the organization's timezone (default: 29 days before `end`).
    pub start: Option<String>,
    /// Last day, included (default: today). At most 365 days in all.
    pub end: Option<String>,
}

/// Daily values: one label per local day and one value per label in each series.
#[derive(Serialize, ToSchema)]
pub struct Series {
    pub labels: Vec<String>,
    pub series: BTreeMap<String, Vec<i64>>,
}

impl From<app::analytics::types::Series> for Series {
    fn from(s: app::analytics::types::Series) -> Series {
        Series { labels: s.labels, series: s.series }
    }
}

/// Totals of a period; each figure only with its scope.
#[derive(Serialize, ToSchema)]
pub struct Totals {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_order: Option<i64>,
}

impl From<app::analytics::types::Totals> for Totals {
    fn from(t: app::analytics::types::Totals) -> Totals {
        Totals {
            orders: t.orders,
            items: t.items,
            revenue: t.revenue,
            refunds: t.refunds,
            average_order: t.average_order,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Summary {
    pub start: String,
    pub end: String,
    pub previous_start: String,
    pub previous_end: String,
    pub currency: String,
    pub current: Totals,
    pub previous: Totals,
}

#[derive(Serialize, ToSchema)]
pub struct TopProduct {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductsSold {
    pub labels: Vec<String>,
    pub series: BTreeMap<String, Vec<i64>>,
    pub top: Vec<TopProduct>,
}

/// The range's totals beside the period before it. Needs `analytics.view`; figures need
/// `analytics.view_sales` / `analytics.view_revenue`. Audited.
#[utoipa::path(get, path = "/v1/analytics/summary", tag = "analytics", params(RangeQuery),
    responses((status = 200, body = Summary), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn analytics_summary(Caller(cx): Caller, ApiQuery(q): ApiQuery<RangeQuery>) -> Answer<Summary> {
    permit(&cx, &app::analytics::api::ANALYTICS, "/v1/analytics/summary").await?;
    let s = app::analytics::api::summary_for(&cx, q.start, q.end).await?;
    Ok(Json(Summary {
        start: s.start,
        end: s.end,
        previous_start: s.previous_start,
        previous_end: s.previous_end,
        currency: s.currency,
        current: s.current.into(),
        previous: s.previous.into(),
    }))
}

/// Revenue per day (`revenue`, `revenue_previous`), minor units. Needs `analytics.view` and
/// `analytics.view_revenue`. Audited.
#[utoipa::path(get, path = "/v1/analytics/revenue_daily", tag = "analytics", params(RangeQuery),
    responses((status = 200, body = Series), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn revenue_daily(Caller(cx): Caller, ApiQuery(q): ApiQuery<RangeQuery>) -> Answer<Series> {
    permit(&cx, &app::analytics::api::REVENUE, "/v1/analytics/revenue_daily").await?;
    Ok(Json(app::analytics::api::series_for(&cx, "revenue_daily", q.start, q.end).await?.into()))
}

/// Paid orders and items per day (and the period before). Needs `analytics.view` and
/// `analytics.view_sales`. Audited.
#[utoipa::path(get, path = "/v1/analytics/sales_daily", tag = "analytics", params(RangeQuery),
    responses((status = 200, body = Series), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn sales_daily(Caller(cx): Caller, ApiQuery(q): ApiQuery<RangeQuery>) -> Answer<Series> {
    permit(&cx, &app::analytics::api::SALES, "/v1/analytics/sales_daily").await?;
    Ok(Json(app::analytics::api::series_for(&cx, "sales_daily", q.start, q.end).await?.into()))
}

/// The ten best sellers and their quantity per day (revenue with `analytics.view_revenue`).
/// Needs `analytics.view` and `analytics.view_products`. Audited.
#[utoipa::path(get, path = "/v1/analytics/products_sold_daily", tag = "analytics", params(RangeQuery),
    responses((status = 200, body = ProductsSold), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn products_sold_daily(Caller(cx): Caller, ApiQuery(q): ApiQuery<RangeQuery>) -> Answer<ProductsSold> {
    permit(&cx, &app::analytics::api::PRODUCTS, "/v1/analytics/products_sold_daily").await?;
    let p = app::analytics::api::products_for(&cx, q.start, q.end).await?;
    Ok(Json(ProductsSold {
        labels: p.labels,
        series: p.series,
        top: p
            .top
            .into_iter()
            .map(|t| TopProduct { sku: t.sku, name: t.name, quantity: t.quantity, revenue: t.revenue })
            .collect(),
    }))
}
