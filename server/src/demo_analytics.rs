//! Demo orders (DESIGN §10): a catalog and a year of orders for each demo organization, with
//! a shop's shape — busier evenings and weekends, a festive season, slow growth — written
//! through the same path as every order ([`app::analytics::server::record_orders`]), so the
//! rollups are kept as they are in service. The same on every run (a fixed pseudo-random
//! sequence), and only into an organization that has no products yet.

use crate::demo_finance::Sequence;
use app::analytics::server::{NewItem, NewOrder, OrderStatus, create_product, record_orders};
use app::db::{Conn, Db};
use app::error::{AppError, Result};
use chrono::{Datelike, NaiveDate};
use std::str::FromStr;

/// How many orders an organization gets, and from which catalog.
pub struct OrdersPlan {
    /// Paid orders on an ordinary weekday; weekends, the season and growth scale it.
    pub per_day: u64,
    pub days: i64,
    /// SKU prefix, names and prices (minor units).
    pub sku: &'static str,
    pub catalog: &'static [(&'static str, i64)],
    /// The busiest local months (1-12): twice the orders.
    pub season: &'static [u32],
    /// Festival or sale days (month, day): twice again.
    pub festivals: &'static [(u32, u32)],
}

pub const ACME_ORDERS: OrdersPlan = OrdersPlan {
    per_day: 250,
    days: 365,
    sku: "ACM",
    catalog: &[
        ("Cotton kurta", 129_900),
        ("Silk saree", 749_900),
        ("Denim jeans", 199_900),
        ("Linen shirt", 159_900),
        ("Leather sandals", 249_900),
        ("Running shoes", 399_900),
        ("Steel water bottle", 59_900),
        ("Ceramic mug set", 89_900),
        ("Cotton bedsheet", 149_900),
        ("Bath towel pair", 79_900),
        ("Table lamp", 219_900),
        ("Wall clock", 119_900),
        ("Brass diya set", 69_900),
        ("Scented candles", 49_900),
        ("Yoga mat", 99_900),
        ("Backpack", 179_900),
        ("Wireless earbuds", 299_900),
        ("Phone case", 39_900),
        ("Notebook set", 29_900),
        ("Tea sampler", 54_900),
        ("Spice box", 64_900),
        ("Cookware set", 459_900),
        ("Pressure cooker", 329_900),
        ("Handloom dupatta", 109_900),
    ],
    // Dussehra and Diwali shopping; the wedding season in December.
    season: &[10, 11, 12],
    // Diwali (8 November 2026): a few orders a minute in the evening.
    festivals: &[(11, 8)],
};

pub const GLOBEX_ORDERS: OrdersPlan = OrdersPlan {
    per_day: 12,
    days: 365,
    sku: "GLX",
    catalog: &[
        ("Espresso beans 1 kg", 2_490),
        ("Filter coffee 500 g", 1_290),
        ("Milk frother", 3_990),
        ("Grinder", 8_990),
        ("Travel mug", 1_990),
        ("Barista course", 14_900),
        ("Cleaning tablets", 890),
        ("Gift card", 2_500),
    ],
    season: &[11, 12],
    // Black Friday.
    festivals: &[(11, 27)],
};

/// Share of a day's orders placed in each local hour (per mille): quiet nights, a lunch bump,
/// an evening peak (at Acme's busiest, about two orders a minute; four on Diwali).
const HOURS: [u64; 24] = [6, 4, 2, 2, 2, 3, 6, 15, 30, 40, 45, 50, 60, 55, 50, 50, 55, 70, 95, 130, 140, 110, 60, 20];

/// What [`seed_orders`] created.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OrdersReport {
    pub products: usize,
    pub orders: usize,
}

/// How many orders the organization gets on local `date` (before noise).
fn expected(plan: &OrdersPlan, date: NaiveDate, progress: f64) -> f64 {
    let weekday = match date.weekday().num_days_from_monday() {
        0 => 0.85,
        1..=3 => 0.9,
        4 => 1.05,
        5 => 1.45,
        _ => 1.3,
    };
    let season = if plan.season.contains(&date.month()) { 2.0 } else { 1.0 };
    let festival = if plan.festivals.contains(&(date.month(), date.day())) { 2.0 } else { 1.0 };
    // From 80 % to 120 % over the year: a shop that grows.
    let growth = 0.8 + 0.4 * progress;
    plan.per_day as f64 * weekday * season * festival * growth
}

/// The orders of local `date` in `tz`, pseudo-random from `seq`.
fn orders_of_day(
    plan: &OrdersPlan,
    seq: &mut Sequence,
    date: NaiveDate,
    progress: f64,
    tz: &str,
    products: &[(String, i64)],
    customers: &[String],
) -> Vec<NewOrder> {
    let Some(midnight) = app::time::start_of_day(date, tz) else {
        return Vec::new();
    };
    let mean = expected(plan, date, progress);
    // ±20 % from day to day.
    let count = (mean * (0.8 + seq.next(401) as f64 / 1000.0)).round() as u64;
    let total: u64 = HOURS.iter().sum();
    let mut orders = Vec::with_capacity(count as usize);
    for _ in 0..count {
        // The hour by the day's profile, then any second in it.
        let mut at = seq.next(total);
        let hour = HOURS
            .iter()
            .position(|share| {
                if at < *share {
                    true
                } else {
                    at -= share;
                    false
                }
            })
            .unwrap_or(12);
        let placed_at = midnight + hour as i64 * 3_600 + seq.next(3_600) as i64;
        let lines = 1 + seq.next(3) as usize;
        let items = (0..lines)
            .map(|_| {
                // Best sellers first: the square skews picks to the top of the catalog.
                let r = seq.next(1_000) as f64 / 1_000.0;
                let (product_id, price) = &products[((r * r) * products.len() as f64) as usize];
                NewItem { product_id: product_id.clone(), quantity: 1 + seq.next(3) as i64 / 2, unit_price: *price }
            })
            .collect();
        let status = match seq.next(100) {
            0..=4 => OrderStatus::Refunded,
            5..=6 => OrderStatus::Cancelled,
            _ => OrderStatus::Paid,
        };
        let customer_id = (!customers.is_empty() && seq.next(10) < 6).then(|| seq.pick(customers).clone());
        orders.push(NewOrder { customer_id, placed_at, status, items });
    }
    orders
}

/// Seeds `plan`'s catalog and orders into the organization unless it has products.
pub async fn seed_orders(
    tx: &mut Conn,
    org_id: &str,
    currency: &str,
    tz: &str,
    plan: &OrdersPlan,
    now: i64,
) -> Result<OrdersReport> {
    // One seeding at a time per organization: the count below decides.
    app::db::lock_row(tx, app::db::Locked::Organization, org_id).await?;
    let existing: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM products WHERE org_id = $1")
        .bind(org_id)
        .fetch_one(&mut *tx)
        .await?;
    if existing > 0 {
        return Ok(OrdersReport::default());
    }
    let mut products = Vec::with_capacity(plan.catalog.len());
    for (n, (name, price)) in plan.catalog.iter().enumerate() {
        let sku = format!("{}-{:04}", plan.sku, n + 1);
        products.push((create_product(tx, org_id, &sku, name, *price, now - plan.days * 86_400).await?, *price));
    }
    let customers = customers_of(tx, org_id).await?;
    // Two customers in three agreed to analytics: the only ones an export lists.
    for id in customers.iter().enumerate().filter(|(n, _)| n % 3 != 2).map(|(_, id)| id) {
        sqlx::query("UPDATE customers SET analytics_consent = 1 WHERE id = $1").bind(id).execute(&mut *tx).await?;
    }
    let shop = Shop { plan, tz, products: &products, customers: &customers, now };
    let mut seq = Sequence::new(plan.sku);
    let orders = shop
        .in_batches(&mut seq, async |batch| {
            record_orders(tx, org_id, currency, batch, now).await?;
            Ok(())
        })
        .await?;
    Ok(OrdersReport { products: products.len(), orders })
}

async fn customers_of(conn: &mut Conn, org_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT id FROM customers WHERE org_id = $1 ORDER BY id")
        .bind(org_id)
        .fetch_all(&mut *conn)
        .await?)
}

/// A shop's days of orders: its plan, zone, catalog (id, price) and customers, up to `now`.
struct Shop<'a> {
    plan: &'a OrdersPlan,
    tz: &'a str,
    products: &'a [(String, i64)],
    customers: &'a [String],
    now: i64,
}

/// Orders per batch: what one statement set and (for the generator) one transaction write.
const BATCH: usize = 1_000;

impl Shop<'_> {
    /// Generates the plan's days up to today (local) and hands them to `write` oldest first,
    /// [`BATCH`] orders at a time. Returns how many orders were written.
    async fn in_batches(
        &self,
        seq: &mut Sequence,
        mut write: impl AsyncFnMut(&[NewOrder]) -> Result<()>,
    ) -> Result<usize> {
        let zone = chrono_tz::Tz::from_str(self.tz).unwrap_or(chrono_tz::UTC);
        let today = chrono::DateTime::from_timestamp(self.now, 0).unwrap_or_default().with_timezone(&zone).date_naive();
        let (mut written, mut batch) = (0, Vec::with_capacity(BATCH));
        for back in (0..self.plan.days).rev() {
            let date = today - chrono::Duration::days(back);
            let progress = 1.0 - back as f64 / self.plan.days as f64;
            let day = orders_of_day(self.plan, seq, date, progress, self.tz, self.products, self.customers);
            for order in day.into_iter().filter(|o| o.placed_at <= self.now) {
                batch.push(order);
                if batch.len() == BATCH {
                    write(&batch).await?;
                    written += batch.len();
                    batch.clear();
                }
            }
        }
        if !batch.is_empty() {
            write(&batch).await?;
            written += batch.len();
        }
        Ok(written)
    }
}

/// Adds about `count` orders over the last `days` days to the organization called `slug`,
/// from its catalog (the benchmark's data: `gatehouse generate-orders`), [`BATCH`] orders per
/// transaction, calling `progress` with the orders written so far. Returns how many.
pub async fn generate_orders(
    db: &Db,
    slug: &str,
    count: u64,
    days: i64,
    now: i64,
    mut progress: impl FnMut(usize),
) -> Result<usize> {
    let mut conn = db.conn().await?;
    let (org_id, currency, tz): (String, String, String) =
        sqlx::query_as("SELECT id, currency, timezone FROM organizations WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(AppError::NotFound)?;
    let products: Vec<(String, i64)> = sqlx::query_as("SELECT id, price FROM products WHERE org_id = $1 ORDER BY sku")
        .bind(&org_id)
        .fetch_all(&mut *conn)
        .await?;
    if products.is_empty() {
        return Err(AppError::conflict("no_products", "Seed the demo first: the organization has no products."));
    }
    let customers = customers_of(&mut conn, &org_id).await?;
    drop(conn);
    // The ordinary weekday that makes `count` over `days` with the plan's shape.
    let days = days.max(1);
    let zone = chrono_tz::Tz::from_str(&tz).unwrap_or(chrono_tz::UTC);
    let today = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default().with_timezone(&zone).date_naive();
    let unit = OrdersPlan { per_day: 1, days, ..ACME_ORDERS };
    let shape: f64 = (0..days)
        .map(|back| expected(&unit, today - chrono::Duration::days(back), 1.0 - back as f64 / days as f64))
        .sum();
    let plan = OrdersPlan { per_day: (count as f64 / shape.max(1.0)).round().max(1.0) as u64, days, ..ACME_ORDERS };
    let shop = Shop { plan: &plan, tz: &tz, products: &products, customers: &customers, now };
    let mut seq = Sequence::new(&format!("generated{now}"));
    let mut written = 0;
    shop.in_batches(&mut seq, async |batch| {
        let mut tx = db.begin().await?;
        record_orders(&mut tx, &org_id, &currency, batch, now).await?;
        tx.commit().await?;
        written += batch.len();
        progress(written);
        Ok(())
    })
    .await
}
