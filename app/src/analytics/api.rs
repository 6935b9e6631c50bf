//! Analytics server functions.

use crate::access::{Permission, Requirement};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::access::guard;

/// Opening analytics: the permission and a live step-up unlock.
pub const ANALYTICS: Requirement = Requirement::all(&[Permission::AnalyticsView]).with_step_up();

/// Which analytics areas the caller may see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsAreas {
    pub revenue: bool,
    pub sales: bool,
    pub products: bool,
    pub export: bool,
    /// When this session's unlock ends (`None`: exempt as a recently verified owner).
    pub unlocked_until: Option<String>,
}

/// What the caller may see in analytics. Requires `analytics.view` and step-up.
#[server(prefix = "/api", endpoint = "analytics/access")]
pub async fn analytics_access() -> Result<AnalyticsAreas, AppError> {
    let cx = guard(&ANALYTICS).await?;
    let mut conn = cx.state.db.conn().await?;
    let until = crate::mfa::server::step_up_until(&mut conn, &cx.session_id).await?;
    Ok(AnalyticsAreas {
        revenue: cx.access.can(Permission::AnalyticsViewRevenue),
        sales: cx.access.can(Permission::AnalyticsViewSales),
        products: cx.access.can(Permission::AnalyticsViewProducts),
        export: cx.access.can(Permission::AnalyticsExport),
        unlocked_until: until.filter(|t| *t > cx.now).map(|t| crate::time::format_local(t, &cx.org.timezone)),
    })
}
