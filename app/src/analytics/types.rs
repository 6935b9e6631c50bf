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
    /// The zone the days are in.
    pub timezone: String,
    /// A change of timezone being rebuilt: the days are still in `timezone` until it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rebuilding: Option<Progress>,
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

/// A line of an imported file that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

/// An import of orders from a file: who, when, what came of each line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub id: String,
    pub filename: String,
    /// When, in the organization's time.
    pub at: String,
    /// Who imported (their email; empty when they have since been deleted).
    pub by: String,
    /// Lines of data in the file.
    pub lines: i64,
    pub orders: i64,
    pub rejected_lines: i64,
    /// The rejected lines (the first thousand), by line number; empty in lists.
    pub errors: Vec<LineError>,
}

/// `/analytics/import`: one import's report (after an import, or when asked for) and the
/// latest imports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportsPage {
    pub report: Option<ImportReport>,
    pub recent: Vec<ImportReport>,
}

/// Where a rebuild of analytics in a new timezone stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The zone the rollups are in now.
    pub from: String,
    /// The zone they are being rebuilt in.
    pub to: String,
    pub done: i64,
    pub total: i64,
}

impl Progress {
    /// Percent done: below 100 until the new rollups are in.
    pub fn percent(&self) -> i64 {
        if self.total <= 0 { 100 } else { (self.done * 100 / self.total).clamp(0, 99) }
    }
}
