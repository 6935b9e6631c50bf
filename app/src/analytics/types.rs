//! What analytics answers carry. A figure the caller may not see is absent: `None` fields
//! are left out of the JSON, never sent as `null` or zero.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Daily series: one label per local day (`YYYY-MM-DD`) of the range, and each series one
/// value per label (days without orders are zero). The `…_previous` series hold the period of
/// the same length just before, day by day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    pub labels: Vec<String>,
    pub series: BTreeMap<String, Vec<i64>>,
}

impl Series {
    /// The values of the series `name` (none when it is not part of the answer).
    pub fn values(&self, name: &str) -> &[i64] {
        self.series.get(name).map_or(&[], Vec::as_slice)
    }
}

/// Totals of a period. Sales figures need `analytics.view_sales`, money
/// `analytics.view_revenue`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunds: Option<i64>,
    /// Revenue per paid order, in minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_order: Option<i64>,
}

/// The summary of a range and of the period of the same length before it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub start: String,
    pub end: String,
    pub previous_start: String,
    pub previous_end: String,
    pub currency: String,
    pub current: Totals,
    pub previous: Totals,
}

/// A product among the best sellers of a range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopProduct {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue: Option<i64>,
}

/// Products sold per day: one series per product of the top ten (keyed by SKU), and the
/// ten with their totals, best first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductsSold {
    pub labels: Vec<String>,
    pub series: BTreeMap<String, Vec<i64>>,
    pub top: Vec<TopProduct>,
}

/// Everything `/analytics` shows for a range, each part present only with its permission.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub summary: Summary,
    /// Days in the range.
    pub days: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue: Option<Chart>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales: Option<Chart>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub products: Option<ProductsChart>,
    pub export: bool,
    /// When this session's unlock ends (`None`: exempt as a recently verified owner).
    pub unlocked_until: Option<String>,
}

/// A daily chart: its series and the SVG drawn from them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chart {
    pub data: Series,
    pub svg: String,
}

/// The top-products chart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductsChart {
    pub data: ProductsSold,
    pub svg: String,
}
