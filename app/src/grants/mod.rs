//! Analytics access: per-member grants of the analytics permissions on top of their role.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;

use crate::access::Permission;

/// The permissions `/settings/analytics-access` grants, in column order.
pub const GRANTABLE: [Permission; 5] = [
    Permission::AnalyticsView,
    Permission::AnalyticsViewRevenue,
    Permission::AnalyticsViewSales,
    Permission::AnalyticsViewProducts,
    Permission::AnalyticsExport,
];
