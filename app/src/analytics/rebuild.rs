//! Rebuilding an organization's analytics in a new timezone, in the background.
//!
//! A change of timezone ([`start`]) leaves the rollups where they are — served, labelled with
//! the zone they are in — and queues a rebuild. A worker ([`step`], run by the server every
//! moment it has work) takes the orders in chunks, by `(placed_at, id)`: it moves each order's
//! `local_day` to the new zone and adds the chunk to the new rollups (`…_next`). The cursor
//! says how far it got, under the organization's row lock, which writers take too: an order
//! written at or before the cursor is added to both rollups by its writer, one after it is left
//! to the rebuild. The last chunk swaps the new rollups in, in the same transaction. A second
//! change of timezone starts over; a change back to the zone the rollups are in cancels it.

use super::server::offsets;
pub use super::types::Progress;
use crate::db::{Conn, Db};
use crate::error::{AppError, Result};

/// Orders per chunk: one transaction holding the organization's row lock.
pub const CHUNK: i64 = 20_000;

/// A rebuild under way: its zone and how far it got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub target: String,
    pub cursor: (i64, String),
}

impl Pending {
    /// Whether the order `(placed_at, id)` is already counted by the rebuild (its writer then
    /// adds it to the new rollups too).
    pub fn covers(&self, placed_at: i64, id: &str) -> bool {
        (placed_at, id) <= (self.cursor.0, self.cursor.1.as_str())
    }
}

/// The zone an organization's analytics is kept in, and its rebuild if one is under way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zones {
    pub zone: String,
    pub rebuild: Option<Pending>,
}

/// Locks the organization's row until the transaction ends (as writers of rollups and a
/// change of timezone do) and returns its analytics zones. Counts one more change of the
/// rollups ([`Current::version`]): whoever locks may write them.
pub async fn lock(conn: &mut Conn, org_id: &str) -> Result<Zones> {
    let (zone, rebuilding): (String, i64) = sqlx::query_as(
        "UPDATE organizations SET analytics_version = analytics_version + 1 WHERE id = $1 \
         RETURNING COALESCE(analytics_timezone, timezone), \
         CAST(CASE WHEN analytics_timezone IS NULL THEN 0 ELSE 1 END AS BIGINT)",
    )
    .bind(org_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let rebuild = match rebuilding {
        0 => None,
        _ => sqlx::query_as::<_, (String, i64, String)>(
            "SELECT timezone, cursor_placed_at, cursor_id FROM analytics_rebuilds WHERE org_id = $1",
        )
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|(target, at, id)| Pending { target, cursor: (at, id) }),
    };
    Ok(Zones { zone, rebuild })
}

/// What a reader of an organization's analytics needs first (no lock).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Current {
    /// The zone the rollups' days are in.
    pub zone: String,
    /// The rebuild's progress, if one is under way.
    pub rebuilding: Option<Progress>,
    /// How many times the rollups may have changed: figures read after this was are
    /// current for it (see [`super::figures`]).
    pub version: i64,
}

/// Where the analytics of `org_id` stands ([`Current`]).
pub async fn state(conn: &mut Conn, org_id: &str) -> Result<Current> {
    #[derive(sqlx::FromRow)]
    struct Row {
        zone: String,
        version: i64,
        target: Option<String>,
        done: Option<i64>,
        total: Option<i64>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT COALESCE(o.analytics_timezone, o.timezone) AS zone, o.analytics_version AS version, \
            r.timezone AS target, r.done, r.total \
         FROM organizations o LEFT JOIN analytics_rebuilds r ON r.org_id = o.id WHERE o.id = $1",
    )
    .bind(org_id)
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or(AppError::NotFound)?;
    let rebuilding = row.target.map(|to| Progress {
        from: row.zone.clone(),
        to,
        done: row.done.unwrap_or_default(),
        total: row.total.unwrap_or_default(),
    });
    Ok(Current { zone: row.zone, rebuilding, version: row.version })
}

/// Queues the rebuild of `org_id`'s analytics in `to`, its new timezone, whose previous one
/// was `before`: called by the change itself, under the organization's row lock. A rebuild
/// under way starts over; a change back to the zone the rollups are in ends it.
pub async fn start(conn: &mut Conn, org_id: &str, before: &str, to: &str, now: i64) -> Result<()> {
    let zone: String = sqlx::query_scalar(
        "UPDATE organizations SET analytics_timezone = COALESCE(analytics_timezone, $1) WHERE id = $2 \
         RETURNING analytics_timezone",
    )
    .bind(before)
    .bind(org_id)
    .fetch_one(&mut *conn)
    .await?;
    clear_next(conn, org_id).await?;
    if zone == to {
        sqlx::query("DELETE FROM analytics_rebuilds WHERE org_id = $1").bind(org_id).execute(&mut *conn).await?;
        sqlx::query("UPDATE organizations SET analytics_timezone = NULL WHERE id = $1")
            .bind(org_id)
            .execute(&mut *conn)
            .await?;
        return Ok(());
    }
    let total: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE org_id = $1")
        .bind(org_id)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO analytics_rebuilds (org_id, timezone, cursor_placed_at, cursor_id, done, total, started_at, updated_at) \
         VALUES ($1, $2, $3, '', 0, $4, $5, $5) \
         ON CONFLICT (org_id) DO UPDATE SET timezone = excluded.timezone, cursor_placed_at = excluded.cursor_placed_at, \
         cursor_id = '', done = 0, total = excluded.total, started_at = excluded.started_at, updated_at = excluded.updated_at",
    )
    .bind(org_id)
    .bind(to)
    .bind(i64::MIN)
    .bind(total)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn clear_next(conn: &mut Conn, org_id: &str) -> Result<()> {
    for table in ["analytics_daily_next", "analytics_daily_product_next"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE org_id = $1")).bind(org_id).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Orders of `$1` after the cursor `($2, $3)` and up to `($4, $5)`.
const CHUNK_ORDERS: &str = "org_id = $1 AND (placed_at, id) > ($2, $3) AND (placed_at, id) <= ($4, $5)";
/// The same, with the chunk's first and last `placed_at` as `$6` and `$7`: PostgreSQL cannot
/// estimate a range of row values and would join all order items by hash (6 s a chunk at 10
/// million orders); the plain range makes it a nested loop (0.1 s).
const CHUNK_ORDERS_PLACED: &str = "org_id = $1 AND (placed_at, id) > ($2, $3) AND (placed_at, id) <= ($4, $5) \
     AND placed_at >= $6 AND placed_at <= $7";

/// Works one chunk of the rebuild waiting longest (`chunk` orders; the last one swaps the
/// rollups in). Returns whether there was work: `false` when no rebuild is under way.
pub async fn step(db: &Db, chunk: i64, now: i64) -> Result<bool> {
    let org_id: Option<String> =
        sqlx::query_scalar("SELECT org_id FROM analytics_rebuilds ORDER BY updated_at, org_id LIMIT 1")
            .fetch_optional(&mut *db.conn().await?)
            .await?;
    let Some(org_id) = org_id else { return Ok(false) };
    let mut tx = db.begin().await?;
    let zones = lock(&mut tx, &org_id).await?;
    // Ended or started over since: the next step sees the new state.
    let Some(pending) = zones.rebuild else {
        tx.commit().await?;
        return Ok(true);
    };
    let from = pending.cursor.clone();
    let end: Option<(i64, String)> = sqlx::query_as(
        "SELECT placed_at, id FROM orders WHERE org_id = $1 AND (placed_at, id) > ($2, $3) \
         ORDER BY placed_at, id LIMIT 1 OFFSET $4",
    )
    .bind(&org_id)
    .bind(from.0)
    .bind(&from.1)
    .bind(chunk.max(1) - 1)
    .fetch_optional(&mut *tx)
    .await?;
    let last = end.is_none();
    let end = end.unwrap_or((i64::MAX, String::new()));
    let bounds: (Option<i64>, Option<i64>, i64) = sqlx::query_as(&format!(
        "SELECT MIN(placed_at), MAX(placed_at), CAST(COUNT(*) AS BIGINT) FROM orders WHERE {CHUNK_ORDERS}"
    ))
    .bind(&org_id)
    .bind(from.0)
    .bind(&from.1)
    .bind(end.0)
    .bind(&end.1)
    .fetch_one(&mut *tx)
    .await?;
    if let (Some(first), Some(latest)) = (bounds.0, bounds.1) {
        let chunk = Chunk { org_id: &org_id, from: &from, end: &end, placed: (first, latest) };
        let segments = offsets(&pending.target, first, latest + 1);
        for (n, (start, offset)) in segments.iter().enumerate() {
            let until = segments.get(n + 1).map_or(latest + 1, |s| s.0);
            // Floor division of a positive count of seconds: the same in both databases.
            let sql = format!(
                "UPDATE orders SET local_day = (placed_at + $8) / 86400 \
                 WHERE {CHUNK_ORDERS_PLACED} AND placed_at >= $9 AND placed_at < $10"
            );
            chunk.bind(sqlx::query(&sql)).bind(offset).bind(start).bind(until).execute(&mut *tx).await?;
        }
        add_chunk(&mut tx, &chunk).await?;
    }
    if last {
        swap(&mut tx, &org_id, &pending.target).await?;
    } else {
        sqlx::query(
            "UPDATE analytics_rebuilds SET cursor_placed_at = $1, cursor_id = $2, done = done + $3, updated_at = $4 \
             WHERE org_id = $5",
        )
        .bind(end.0)
        .bind(&end.1)
        .bind(bounds.2)
        .bind(now)
        .bind(&org_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Adds the chunk's orders (their `local_day` already in the new zone) to the new rollups.
/// The orders of one chunk: after `from`, up to `end`, placed from `placed.0` to `placed.1`.
struct Chunk<'a> {
    org_id: &'a str,
    from: &'a (i64, String),
    end: &'a (i64, String),
    placed: (i64, i64),
}

impl<'a> Chunk<'a> {
    /// `query` with the chunk's bounds as `$1`..`$7` (see [`CHUNK_ORDERS_PLACED`]).
    fn bind<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>
    where
        'a: 'q,
    {
        query
            .bind(self.org_id)
            .bind(self.from.0)
            .bind(self.from.1.as_str())
            .bind(self.end.0)
            .bind(self.end.1.as_str())
            .bind(self.placed.0)
            .bind(self.placed.1)
    }
}

async fn add_chunk(tx: &mut Conn, chunk: &Chunk<'_>) -> Result<()> {
    let daily = format!(
        "INSERT INTO analytics_daily_next (org_id, day, orders, items, revenue, refunds) \
         SELECT org_id, local_day, \
            CAST(SUM(CASE WHEN status = 'paid' THEN 1 ELSE 0 END) AS BIGINT), \
            CAST(SUM(CASE WHEN status = 'paid' THEN items ELSE 0 END) AS BIGINT), \
            CAST(SUM(CASE WHEN status = 'paid' THEN total ELSE 0 END) AS BIGINT), \
            CAST(SUM(CASE WHEN status = 'refunded' THEN total ELSE 0 END) AS BIGINT) \
         FROM orders WHERE {CHUNK_ORDERS_PLACED} GROUP BY org_id, local_day \
         ON CONFLICT (org_id, day) DO UPDATE SET orders = analytics_daily_next.orders + excluded.orders, \
            items = analytics_daily_next.items + excluded.items, revenue = analytics_daily_next.revenue + excluded.revenue, \
            refunds = analytics_daily_next.refunds + excluded.refunds"
    );
    chunk.bind(sqlx::query(&daily)).execute(&mut *tx).await?;
    let of_orders = CHUNK_ORDERS_PLACED
        .replace("org_id", "o.org_id")
        .replace("(placed_at, id)", "(o.placed_at, o.id)")
        .replace("placed_at >=", "o.placed_at >=")
        .replace("placed_at <=", "o.placed_at <=");
    let products = format!(
        "INSERT INTO analytics_daily_product_next (org_id, day, product_id, quantity, revenue) \
         SELECT o.org_id, o.local_day, i.product_id, CAST(SUM(i.quantity) AS BIGINT), \
            CAST(SUM(i.quantity * i.unit_price) AS BIGINT) \
         FROM orders o JOIN order_items i ON i.order_id = o.id \
         WHERE {of_orders} AND o.status = 'paid' GROUP BY o.org_id, o.local_day, i.product_id \
         ON CONFLICT (org_id, day, product_id) DO UPDATE SET \
            quantity = analytics_daily_product_next.quantity + excluded.quantity, \
            revenue = analytics_daily_product_next.revenue + excluded.revenue"
    );
    chunk.bind(sqlx::query(&products)).execute(&mut *tx).await?;
    Ok(())
}

/// The new rollups become the rollups, in `target`: the organization's timezone (unless it
/// was changed outside [`start`]).
async fn swap(tx: &mut Conn, org_id: &str, target: &str) -> Result<()> {
    for (live, columns) in [
        ("analytics_daily", "org_id, day, orders, items, revenue, refunds"),
        ("analytics_daily_product", "org_id, day, product_id, quantity, revenue"),
    ] {
        sqlx::query(&format!("DELETE FROM {live} WHERE org_id = $1")).bind(org_id).execute(&mut *tx).await?;
        sqlx::query(&format!("INSERT INTO {live} ({columns}) SELECT {columns} FROM {live}_next WHERE org_id = $1"))
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
    }
    clear_next(tx, org_id).await?;
    sqlx::query("DELETE FROM analytics_rebuilds WHERE org_id = $1").bind(org_id).execute(&mut *tx).await?;
    sqlx::query(
        "UPDATE organizations SET analytics_timezone = CASE WHEN timezone = $1 THEN NULL ELSE $1 END WHERE id = $2",
    )
    .bind(target)
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Runs every rebuild under way to its end (the command line, tests). Returns the steps.
pub async fn finish(db: &Db, chunk: i64) -> Result<u64> {
    let mut steps = 0;
    while step(db, chunk, crate::db::now()).await? {
        steps += 1;
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_covers_orders_up_to_it() {
        let p = Pending { target: "UTC".into(), cursor: (100, "b".into()) };
        assert!(p.covers(99, "z") && p.covers(100, "a") && p.covers(100, "b"));
        assert!(!p.covers(100, "c") && !p.covers(101, ""));
        let fresh = Pending { target: "UTC".into(), cursor: (i64::MIN, String::new()) };
        assert!(!fresh.covers(i64::MIN + 1, ""));
    }

    #[test]
    fn progress_stays_below_done_until_it_is() {
        let p = Progress { from: "A".into(), to: "B".into(), done: 10, total: 10 };
        assert_eq!(p.percent(), 99, "the swap ends it, not the count");
        assert_eq!(Progress { done: 1, total: 4, ..p.clone() }.percent(), 25);
        assert_eq!(Progress { done: 0, total: 0, ..p }.percent(), 100);
    }
}
