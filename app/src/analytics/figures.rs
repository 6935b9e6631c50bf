//! The figures of an organization's range, kept in memory for the next reader: its days
//! beside the period before, its best sellers and the three charts drawn from them.
//!
//! They are read from the rollups once per rollup version ([`Current::version`], counted up
//! under the organization's row lock by every writer of the rollups, in the writer's own
//! transaction). A reader reads the version first and the rollups after, so an entry never
//! holds figures older than its version, and a change of the rollups — an order recorded or
//! imported, a rebuild's step — is a new key: the next view reads it fresh, on every server
//! sharing the database. What a caller may see is decided per request ([`Figures::products`],
//! the callers' `shown`), never by the entry: it holds everything, revenue included.

use super::chart;
use super::rebuild::Current;
use super::server::{self, Day, Range};
use super::types::{ProductsSold, Series};
use crate::db::Db;
use crate::error::Result;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use std::sync::Arc;

/// How much the entries may weigh together ([`Figures::weight`]): a year's figures with its
/// charts weigh about 120 KiB (56 of them the SVGs), a month's about 30 (24).
const CAPACITY_BYTES: u64 = 6 << 20;

/// What one range of one organization held at one version.
#[derive(Debug)]
pub struct Figures {
    /// The period before the range, then the range, day by day.
    pub both: Vec<Day>,
    /// The best sellers, with their revenue.
    products: ProductsSold,
    /// Revenue per day beside the period before, drawn (the currency is part of the key).
    pub revenue_svg: String,
    /// Paid orders per day, drawn.
    pub sales_svg: String,
    /// The best sellers, drawn (quantities only).
    pub products_svg: String,
}

impl Figures {
    /// The best sellers, their revenue only when `revenue` is shown.
    pub fn products(&self, revenue: bool) -> ProductsSold {
        let mut sold = self.products.clone();
        if !revenue {
            sold.top.iter_mut().for_each(|p| p.revenue = None);
        }
        sold
    }

    /// The daily series of the range and the period before (see [`server::series_of`]).
    pub fn series(&self, range: Range, pick: &[(&str, usize)]) -> Series {
        server::series_of(&self.both, range, pick)
    }

    /// About how many bytes the entry keeps.
    fn weight(&self) -> u64 {
        let series: usize = self.products.series.iter().map(|(k, v)| k.len() + 8 * v.len()).sum();
        let labels: usize = self.products.labels.iter().map(|l| l.len() + 24).sum();
        let top: usize = self.products.top.iter().map(|p| p.sku.len() + p.name.len() + 64).sum();
        let svgs = self.revenue_svg.len() + self.sales_svg.len() + self.products_svg.len();
        (std::mem::size_of::<Day>() * self.both.len() + series + labels + top + svgs) as u64
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    org_id: String,
    version: i64,
    start: i64,
    end: i64,
    /// The revenue chart's title and scale.
    currency: String,
}

#[derive(Clone)]
struct ByWeight;

impl Weighter<Key, Arc<Figures>> for ByWeight {
    fn weight(&self, key: &Key, figures: &Arc<Figures>) -> u64 {
        (key.org_id.len() + key.currency.len()) as u64 + figures.weight()
    }
}

/// The figures last read, by organization, version, range and currency; the least used go
/// first when they weigh more than [`CAPACITY_BYTES`].
pub struct FiguresCache(Cache<Key, Arc<Figures>, ByWeight>);

impl Default for FiguresCache {
    fn default() -> FiguresCache {
        FiguresCache(Cache::with_weighter(64, CAPACITY_BYTES, ByWeight))
    }
}

impl std::fmt::Debug for FiguresCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FiguresCache").field("entries", &self.0.len()).field("bytes", &self.0.weight()).finish()
    }
}

impl FiguresCache {
    /// The figures of `range` in `org_id` as of `current` (read just before, by the caller):
    /// from memory, or read from the rollups and kept. Readers of the same key at once wait
    /// for one read.
    pub async fn get(
        &self,
        db: &Db,
        org_id: &str,
        currency: &str,
        current: &Current,
        range: Range,
    ) -> Result<Arc<Figures>> {
        let key = Key {
            org_id: org_id.to_string(),
            version: current.version,
            start: range.start,
            end: range.end,
            currency: currency.to_string(),
        };
        self.0.get_or_insert_async(&key, read(db, org_id, currency, range)).await
    }
}

/// Reads the figures of `range` from the rollups and draws the charts (after the connection
/// went back to the pool).
async fn read(db: &Db, org_id: &str, currency: &str, range: Range) -> Result<Arc<Figures>> {
    let (both, products) = {
        let mut conn = db.conn().await?;
        let both = server::daily(&mut conn, org_id, Range { start: range.previous().start, end: range.end }).await?;
        (both, server::products_sold(&mut conn, org_id, range, true).await?)
    };
    let revenue = server::series_of(&both, range, &[("revenue", 2)]);
    let sales = server::series_of(&both, range, &[("orders", 0)]);
    Ok(Arc::new(Figures {
        revenue_svg: chart::revenue(currency, &revenue),
        sales_svg: chart::sales(&sales),
        products_svg: chart::products(&products),
        both,
        products,
    }))
}
