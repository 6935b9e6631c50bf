//! Analytics on the server: orders written together with their rollups, ranges of local days,
//! and the series, totals and best sellers — read from the rollups, never from orders.
//!
//! An order's local day is computed here (chrono-tz) when it is written, in the zone read
//! under the organization's row lock ([`super::rebuild::lock`]); SQL never converts time
//! zones. While a change of timezone is rebuilt, writers follow [`super::rebuild`].

use super::types::{ImportReport, ProductsSold, Series, TopProduct, Totals};
use crate::db::{Conn, Value, insert_rows};
use crate::error::{AppError, Result};
use crate::time::{day_string, local_day_and_year, parse_day};
use std::collections::{BTreeMap, BTreeSet};

/// The longest range, in days (both ends included).
pub const MAX_DAYS: i64 = 365;
/// The range shown when none is asked for: the last 30 days, today included.
pub const DEFAULT_DAYS: i64 = 30;

/// A range of local days, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: i64,
    pub end: i64,
}

impl Range {
    /// The range of `start` and `end` as typed (`YYYY-MM-DD`, local dates). Without an end,
    /// today; without a start, the 30 days up to the end. A malformed date, an end before the
    /// start or more than 365 days: 400 naming the field.
    pub fn parse(start: Option<&str>, end: Option<&str>, today: i64) -> Result<Range> {
        let given = |raw: Option<&str>| raw.map(str::trim).filter(|raw| !raw.is_empty()).map(str::to_string);
        let end = match given(end) {
            Some(raw) => parse_day("end", &raw)?,
            None => today,
        };
        let start = match given(start) {
            Some(raw) => parse_day("start", &raw)?,
            None => end - (DEFAULT_DAYS - 1),
        };
        if end < start {
            return Err(AppError::invalid("end", "The end date is before the start date."));
        }
        if end - start + 1 > MAX_DAYS {
            return Err(AppError::invalid("end", format!("A range covers at most {MAX_DAYS} days.")));
        }
        Ok(Range { start, end })
    }

    /// The last `days` days up to and including `today`.
    pub fn last(days: i64, today: i64) -> Range {
        Range { start: today - (days.clamp(1, MAX_DAYS) - 1), end: today }
    }

    pub fn days(self) -> i64 {
        self.end - self.start + 1
    }

    /// The period of the same length just before.
    pub fn previous(self) -> Range {
        Range { start: self.start - self.days(), end: self.start - 1 }
    }

    /// One `YYYY-MM-DD` label per day.
    pub fn labels(self) -> Vec<String> {
        (self.start..=self.end).map(day_string).collect()
    }
}

/// What became of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    Paid,
    Refunded,
    Cancelled,
}

impl OrderStatus {
    pub fn key(self) -> &'static str {
        match self {
            OrderStatus::Paid => "paid",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn from_key(key: &str) -> Option<OrderStatus> {
        [OrderStatus::Paid, OrderStatus::Refunded, OrderStatus::Cancelled].into_iter().find(|s| s.key() == key)
    }
}

/// A line of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewItem {
    pub product_id: String,
    pub quantity: i64,
    pub unit_price: i64,
}

/// An order to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrder {
    pub customer_id: Option<String>,
    /// When it was placed (unix seconds).
    pub placed_at: i64,
    pub status: OrderStatus,
    pub items: Vec<NewItem>,
}

/// The most lines an order has.
pub const MAX_ITEMS: usize = 100;
/// The most of one product in an order line.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// The largest order total in minor units (a hundred billion in major units): beyond any real
/// order, and small enough that the rollups' sums cannot overflow.
pub const MAX_TOTAL: i64 = 10_000_000_000_000;

impl NewOrder {
    /// The order's total, refused (400 naming `field`) when it has no lines, too many, a
    /// quantity outside 1..=[`MAX_QUANTITY`], a negative price, or a total over [`MAX_TOTAL`].
    pub fn total(&self, field: &str) -> Result<i64> {
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            return Err(AppError::invalid(field, format!("An order has between 1 and {MAX_ITEMS} items.")));
        }
        self.items.iter().try_fold(0i64, |sum, item| {
            if !(1..=MAX_QUANTITY).contains(&item.quantity) || item.unit_price < 0 {
                return Err(AppError::invalid(
                    field,
                    "Quantities are whole numbers from 1 to 1,000,000 and prices are not negative.",
                ));
            }
            item.quantity
                .checked_mul(item.unit_price)
                .and_then(|line| sum.checked_add(line))
                .filter(|total| *total <= MAX_TOTAL)
                .ok_or_else(|| AppError::invalid(field, "The order's total is too large."))
        })
    }

    fn quantity(&self) -> i64 {
        self.items.iter().map(|i| i.quantity).sum()
    }
}

/// What one order adds to the rollups: per day orders, items, revenue, refunds; per day and
/// product quantity and revenue. Paid orders count as sales; refunded ones only as refunds.
#[derive(Default)]
struct Deltas {
    daily: BTreeMap<i64, [i64; 4]>,
    products: BTreeMap<(i64, String), [i64; 2]>,
}

impl Deltas {
    fn add(&mut self, day: i64, order: &NewOrder, total: i64) {
        let d = self.daily.entry(day).or_default();
        match order.status {
            OrderStatus::Paid => {
                d[0] += 1;
                d[1] += order.quantity();
                d[2] += total;
                for item in &order.items {
                    let p = self.products.entry((day, item.product_id.clone())).or_default();
                    p[0] += item.quantity;
                    p[1] += item.quantity * item.unit_price;
                }
            }
            OrderStatus::Refunded => d[3] += total,
            OrderStatus::Cancelled => {}
        }
    }

    /// Adds the deltas to the rollups (`suffix` "") or to the ones a rebuild builds ("_next").
    async fn apply(self, conn: &mut Conn, org_id: &str, suffix: &str) -> Result<()> {
        let org = || Value::Text(Some(org_id.to_string()));
        let int = |n: i64| Value::Int(Some(n));
        let daily: Vec<Vec<Value>> = self
            .daily
            .into_iter()
            .map(|(day, d)| vec![org(), int(day), int(d[0]), int(d[1]), int(d[2]), int(d[3])])
            .collect();
        let t = format!("analytics_daily{suffix}");
        insert_rows(
            conn,
            &format!("INSERT INTO {t} (org_id, day, orders, items, revenue, refunds)"),
            &daily,
            &format!(
                "ON CONFLICT (org_id, day) DO UPDATE SET orders = {t}.orders + excluded.orders, \
                 items = {t}.items + excluded.items, revenue = {t}.revenue + excluded.revenue, \
                 refunds = {t}.refunds + excluded.refunds"
            ),
        )
        .await?;
        let products: Vec<Vec<Value>> = self
            .products
            .into_iter()
            .map(|((day, product), p)| vec![org(), int(day), Value::Text(Some(product)), int(p[0]), int(p[1])])
            .collect();
        let t = format!("analytics_daily_product{suffix}");
        insert_rows(
            conn,
            &format!("INSERT INTO {t} (org_id, day, product_id, quantity, revenue)"),
            &products,
            &format!(
                "ON CONFLICT (org_id, day, product_id) DO UPDATE SET \
                 quantity = {t}.quantity + excluded.quantity, revenue = {t}.revenue + excluded.revenue"
            ),
        )
        .await?;
        Ok(())
    }
}

/// Which of `ids` are not rows of `table` in `org_id` (a closed list of tables).
async fn foreign(conn: &mut Conn, table: &'static str, org_id: &str, ids: &BTreeSet<&str>) -> Result<Vec<String>> {
    let mut found = BTreeSet::new();
    let ids: Vec<&str> = ids.iter().copied().collect();
    for chunk in ids.chunks(500) {
        let marks: Vec<String> = (2..chunk.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!("SELECT id FROM {table} WHERE org_id = $1 AND id IN ({})", marks.join(", "));
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(org_id);
        for id in chunk {
            query = query.bind(*id);
        }
        found.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(ids.into_iter().filter(|id| !found.contains(*id)).map(str::to_string).collect())
}

/// Writes `orders` into `org_id` with their items, and adds them to the rollups in the same
/// transaction (one upsert per day and per day and product, for the whole batch). Products
/// and customers of another organization are not found (404). Returns the orders' ids.
pub async fn record_orders(
    conn: &mut Conn,
    org_id: &str,
    currency: &str,
    orders: &[NewOrder],
    now: i64,
) -> Result<Vec<String>> {
    let products: BTreeSet<&str> = orders.iter().flat_map(|o| o.items.iter().map(|i| i.product_id.as_str())).collect();
    let customers: BTreeSet<&str> = orders.iter().filter_map(|o| o.customer_id.as_deref()).collect();
    if !foreign(conn, "products", org_id, &products).await?.is_empty()
        || !foreign(conn, "customers", org_id, &customers).await?.is_empty()
    {
        return Err(AppError::NotFound);
    }
    let zones = super::rebuild::lock(conn, org_id).await?;
    let mut ids = Vec::with_capacity(orders.len());
    let mut order_rows = Vec::with_capacity(orders.len());
    let mut item_rows = Vec::new();
    let (mut deltas, mut next) = (Deltas::default(), Deltas::default());
    for (n, order) in orders.iter().enumerate() {
        let total = order.total(&format!("orders[{n}]"))?;
        let (day, _) = local_day_and_year(order.placed_at, &zones.zone);
        let id = crate::db::new_ordered_id();
        // An order the rebuild has passed is counted in the new zone here; a later one the
        // rebuild counts when it gets there.
        let stored_day = match &zones.rebuild {
            Some(rebuild) if rebuild.covers(order.placed_at, &id) => {
                let (new_day, _) = local_day_and_year(order.placed_at, &rebuild.target);
                next.add(new_day, order, total);
                new_day
            }
            _ => day,
        };
        order_rows.push(vec![
            Value::Text(Some(id.clone())),
            Value::Text(Some(org_id.to_string())),
            Value::Text(order.customer_id.clone()),
            Value::Int(Some(order.placed_at)),
            Value::Int(Some(stored_day)),
            Value::Text(Some(order.status.key().to_string())),
            Value::Int(Some(order.quantity())),
            Value::Int(Some(total)),
            Value::Text(Some(currency.to_string())),
            Value::Int(Some(now)),
        ]);
        for (position, item) in order.items.iter().enumerate() {
            item_rows.push(vec![
                Value::Text(Some(id.clone())),
                Value::Int(Some(position as i64)),
                Value::Text(Some(item.product_id.clone())),
                Value::Int(Some(item.quantity)),
                Value::Int(Some(item.unit_price)),
            ]);
        }
        deltas.add(day, order, total);
        ids.push(id);
    }
    insert_rows(
        conn,
        "INSERT INTO orders (id, org_id, customer_id, placed_at, local_day, status, items, total, currency, created_at)",
        &order_rows,
        "",
    )
    .await?;
    insert_rows(conn, "INSERT INTO order_items (order_id, position, product_id, quantity, unit_price)", &item_rows, "")
        .await?;
    deltas.apply(conn, org_id, "").await?;
    next.apply(conn, org_id, "_next").await?;
    Ok(ids)
}

/// An order as the API lists it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderRow {
    pub id: String,
    pub customer_id: Option<String>,
    pub placed_at: i64,
    pub status: String,
    pub items: i64,
    pub total: i64,
    pub currency: String,
}

/// Up to `limit` orders of `org_id`, newest first, placed before the keyset cursor `after`
/// (`placed_at` and id of the last order of the page before).
pub async fn orders_before(
    conn: &mut Conn,
    org_id: &str,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<OrderRow>> {
    let (at, id) = after.unwrap_or((i64::MAX, String::new()));
    Ok(sqlx::query_as(
        "SELECT id, customer_id, placed_at, status, items, total, currency FROM orders \
         WHERE org_id = $1 AND placed_at <= $2 AND (placed_at < $2 OR id < $3) \
         ORDER BY placed_at DESC, id DESC LIMIT $4",
    )
    .bind(org_id)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// Adds a product (SKU unique in the organization; the same SKU again is refused, also when
/// two add it at once). Returns its id.
pub async fn create_product(
    conn: &mut Conn,
    org_id: &str,
    sku: &str,
    name: &str,
    price: i64,
    now: i64,
) -> Result<String> {
    let id = crate::db::new_id();
    let inserted: Option<String> = sqlx::query_scalar(
        "INSERT INTO products (id, org_id, sku, name, price, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (org_id, sku) DO NOTHING RETURNING id",
    )
    .bind(&id)
    .bind(org_id)
    .bind(sku)
    .bind(name)
    .bind(price)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    inserted.ok_or_else(|| AppError::conflict("sku_taken", "A product with this SKU already exists."))
}

/// The instants in `[from, until)` where the UTC offset of `tz` changes, with the offset (in
/// seconds) from each: the segments over which an order's local day is plain arithmetic.
pub(super) fn offsets(tz: &str, from: i64, until: i64) -> Vec<(i64, i64)> {
    use chrono::Offset;
    use std::str::FromStr;
    let zone = chrono_tz::Tz::from_str(tz).unwrap_or(chrono_tz::UTC);
    let offset = |t: i64| {
        use chrono::TimeZone;
        i64::from(
            zone.offset_from_utc_datetime(&chrono::DateTime::from_timestamp(t, 0).unwrap_or_default().naive_utc())
                .fix()
                .local_minus_utc(),
        )
    };
    let mut segments = vec![(from, offset(from))];
    // Zones change offset at most a few times a year, never twice within an hour.
    let mut t = from;
    while t < until {
        let next = (t + 3_600).min(until);
        let (mut lo, mut hi) = (t, next);
        if offset(hi) != offset(lo) {
            // The change is in (lo, hi]: find its first second.
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset(mid) == offset(lo) { lo = mid } else { hi = mid }
            }
            segments.push((hi, offset(hi)));
        }
        t = next;
    }
    segments
}

/// The daily rollup computed from the orders themselves (`$1` organization, `$2`..`$3`
/// local days): what the rebuild writes, and what the benchmark compares the rollup with.
pub const RAW_DAILY: &str = "SELECT org_id, local_day, \
        CAST(SUM(CASE WHEN status = 'paid' THEN 1 ELSE 0 END) AS BIGINT), \
        CAST(SUM(CASE WHEN status = 'paid' THEN items ELSE 0 END) AS BIGINT), \
        CAST(SUM(CASE WHEN status = 'paid' THEN total ELSE 0 END) AS BIGINT), \
        CAST(SUM(CASE WHEN status = 'refunded' THEN total ELSE 0 END) AS BIGINT) \
    FROM orders WHERE org_id = $1 AND local_day >= $2 AND local_day <= $3 GROUP BY org_id, local_day";

/// The per-product rollup computed from the orders and their items.
pub const RAW_PRODUCTS: &str = "SELECT o.org_id, o.local_day, i.product_id, \
        CAST(SUM(i.quantity) AS BIGINT), CAST(SUM(i.quantity * i.unit_price) AS BIGINT) \
    FROM orders o JOIN order_items i ON i.order_id = o.id \
    WHERE o.org_id = $1 AND o.local_day >= $2 AND o.local_day <= $3 AND o.status = 'paid' \
    GROUP BY o.org_id, o.local_day, i.product_id";

/// One day of the daily rollup: orders, items, revenue, refunds.
pub type Day = [i64; 4];

/// The daily rollup over `range`, one entry per day (zeros where nothing was sold).
pub async fn daily(conn: &mut Conn, org_id: &str, range: Range) -> Result<Vec<Day>> {
    let rows: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT day, orders, items, revenue, refunds FROM analytics_daily \
         WHERE org_id = $1 AND day >= $2 AND day <= $3",
    )
    .bind(org_id)
    .bind(range.start)
    .bind(range.end)
    .fetch_all(&mut *conn)
    .await?;
    let mut days = vec![[0; 4]; usize::try_from(range.days()).unwrap_or_default()];
    for (day, orders, items, revenue, refunds) in rows {
        if let Some(slot) = usize::try_from(day - range.start).ok().and_then(|i| days.get_mut(i)) {
            *slot = [orders, items, revenue, refunds];
        }
    }
    Ok(days)
}

/// What the caller may see of analytics figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shown {
    pub revenue: bool,
    pub sales: bool,
}

/// The totals of `days`, each figure present only when `shown` allows it.
pub fn totals(days: &[Day], shown: Shown) -> Totals {
    let sum = |i: usize| days.iter().map(|d| d[i]).sum::<i64>();
    let (orders, revenue) = (sum(0), sum(2));
    Totals {
        orders: shown.sales.then_some(orders),
        items: shown.sales.then_some(sum(1)),
        revenue: shown.revenue.then_some(revenue),
        refunds: shown.revenue.then_some(sum(3)),
        average_order: (shown.revenue && orders > 0).then(|| revenue / orders),
    }
}

/// The daily series of `range` and of the period before it: `pick` names each series and the
/// figure (index into a [`Day`]) it draws.
pub async fn series(conn: &mut Conn, org_id: &str, range: Range, pick: &[(&str, usize)]) -> Result<Series> {
    let both = daily(conn, org_id, Range { start: range.previous().start, end: range.end }).await?;
    Ok(series_of(&both, range, pick))
}

/// [`series`] from days already read (the previous period first, then the range).
pub fn series_of(both: &[Day], range: Range, pick: &[(&str, usize)]) -> Series {
    let (previous, current) = both.split_at(usize::try_from(range.days()).unwrap_or_default().min(both.len()));
    let mut series = BTreeMap::new();
    for (name, index) in pick {
        series.insert(name.to_string(), current.iter().map(|d| d[*index]).collect());
        series.insert(format!("{name}_previous"), previous.iter().map(|d| d[*index]).collect());
    }
    Series { labels: range.labels(), series }
}

/// How many best sellers are shown.
pub const TOP: i64 = 10;

/// The ten products sold most (by quantity) in `range`, and each one's quantity per day.
/// Revenue is present only when `revenue` is shown.
pub async fn products_sold(conn: &mut Conn, org_id: &str, range: Range, revenue: bool) -> Result<ProductsSold> {
    // Summed per product first, then joined to the products: joining every day's row before
    // grouping by the product's columns took SQLite twice as long (a sorter over the names).
    let top: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT t.product_id, p.sku, p.name, t.sold, t.earned \
         FROM (SELECT product_id, CAST(SUM(quantity) AS BIGINT) AS sold, CAST(SUM(revenue) AS BIGINT) AS earned \
               FROM analytics_daily_product WHERE org_id = $1 AND day >= $2 AND day <= $3 \
               GROUP BY product_id) t \
         JOIN products p ON p.id = t.product_id \
         ORDER BY t.sold DESC, p.sku LIMIT $4",
    )
    .bind(org_id)
    .bind(range.start)
    .bind(range.end)
    .bind(TOP)
    .fetch_all(&mut *conn)
    .await?;
    let mut series: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    if !top.is_empty() {
        let marks: Vec<String> = (4..top.len() + 4).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT day, product_id, quantity FROM analytics_daily_product \
             WHERE org_id = $1 AND day >= $2 AND day <= $3 AND product_id IN ({})",
            marks.join(", ")
        );
        let mut query = sqlx::query_as::<_, (i64, String, i64)>(&sql).bind(org_id).bind(range.start).bind(range.end);
        for (id, ..) in &top {
            query = query.bind(id);
        }
        let sku: BTreeMap<&str, &str> = top.iter().map(|(id, sku, ..)| (id.as_str(), sku.as_str())).collect();
        let days = usize::try_from(range.days()).unwrap_or_default();
        for (_, s, ..) in &top {
            series.insert(s.clone(), vec![0; days]);
        }
        for (day, product, quantity) in query.fetch_all(&mut *conn).await? {
            let slot = sku
                .get(product.as_str())
                .and_then(|s| series.get_mut(*s))
                .and_then(|v| usize::try_from(day - range.start).ok().and_then(|i| v.get_mut(i)));
            if let Some(slot) = slot {
                *slot = quantity;
            }
        }
    }
    Ok(ProductsSold {
        labels: range.labels(),
        series,
        top: top
            .into_iter()
            .map(|(_, sku, name, quantity, earned)| TopProduct {
                sku,
                name,
                quantity,
                revenue: revenue.then_some(earned),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked_and_default_to_thirty_days() {
        let today = parse_day("d", "2026-11-26").unwrap();
        let r = Range::parse(None, None, today).unwrap();
        assert_eq!((day_string(r.start), day_string(r.end), r.days()), ("2026-10-28".into(), "2026-11-26".into(), 30));
        assert_eq!(r.previous().days(), 30);
        assert_eq!(day_string(r.previous().end), "2026-10-27");
        let year = Range::parse(Some("2025-11-27"), Some("2026-11-26"), today).unwrap();
        assert_eq!(year.days(), 365);
        assert_eq!(year.labels().len(), 365);
        let field = |r: Result<Range>| match r {
            Err(AppError::Invalid { field, .. }) => field.unwrap_or_default(),
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(field(Range::parse(Some("2025-11-26"), Some("2026-11-26"), today)), "end", "366 days");
        assert_eq!(field(Range::parse(Some("2026-11-27"), Some("2026-11-26"), today)), "end", "reversed");
        assert_eq!(field(Range::parse(Some("2026-13-01"), None, today)), "start");
        assert_eq!(field(Range::parse(None, Some("26/11/2026"), today)), "end");
    }

    #[test]
    fn offset_segments_follow_daylight_saving() {
        // 2026 in Berlin: +01:00, +02:00 from 29 March 01:00 UTC, +01:00 from 25 October 01:00 UTC.
        let from = 1_767_225_600; // 2026-01-01 00:00 UTC
        let until = from + 365 * 86_400;
        let segments = offsets("Europe/Berlin", from, until);
        assert_eq!(segments, vec![(from, 3_600), (1_774_746_000, 7_200), (1_792_890_000, 3_600)]);
        assert_eq!(offsets("Asia/Kolkata", from, until), vec![(from, 19_800)]);
    }

    #[test]
    fn totals_leave_out_what_is_not_shown() {
        let days = [[2, 5, 1_000, 0], [1, 1, 500, 200]];
        let all = totals(&days, Shown { revenue: true, sales: true });
        assert_eq!(
            (all.orders, all.items, all.revenue, all.refunds, all.average_order),
            (Some(3), Some(6), Some(1_500), Some(200), Some(500))
        );
        let sales = totals(&days, Shown { revenue: false, sales: true });
        assert_eq!((sales.revenue, sales.refunds, sales.average_order), (None, None, None));
        let json = serde_json::to_string(&sales).unwrap();
        assert!(!json.contains("revenue") && !json.contains("refunds"), "{json}");
    }
}

/// An import as its report shows it.
#[derive(sqlx::FromRow)]
struct ImportRow {
    id: String,
    filename: String,
    created_at: i64,
    imported_by: Option<String>,
    lines: i64,
    orders: i64,
    rejected_lines: i64,
    errors: String,
}

impl ImportRow {
    fn report(self, tz: &str, with_errors: bool) -> ImportReport {
        ImportReport {
            errors: if with_errors { serde_json::from_str(&self.errors).unwrap_or_default() } else { Vec::new() },
            id: self.id,
            filename: self.filename,
            at: crate::time::format_local(self.created_at, tz),
            by: self.imported_by.unwrap_or_default(),
            lines: self.lines,
            orders: self.orders,
            rejected_lines: self.rejected_lines,
        }
    }
}

const IMPORT: &str = "SELECT i.id, i.filename, i.created_at, u.email AS imported_by, i.lines, i.orders, i.rejected_lines, \
     i.errors FROM order_imports i LEFT JOIN users u ON u.id = i.user_id";

/// The import `id` of `org_id` with its rejected lines (404 when it is not one of its own).
pub async fn import_report(conn: &mut Conn, org_id: &str, tz: &str, id: &str) -> Result<ImportReport> {
    let row: Option<ImportRow> = sqlx::query_as(&format!("{IMPORT} WHERE i.org_id = $1 AND i.id = $2"))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.ok_or(AppError::NotFound)?.report(tz, true))
}

/// The ten latest imports of `org_id`, newest first, without their rejected lines.
pub async fn recent_imports(conn: &mut Conn, org_id: &str, tz: &str) -> Result<Vec<ImportReport>> {
    let rows: Vec<ImportRow> =
        sqlx::query_as(&format!("{IMPORT} WHERE i.org_id = $1 ORDER BY i.created_at DESC, i.id DESC LIMIT 10"))
            .bind(org_id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.report(tz, false)).collect())
}
