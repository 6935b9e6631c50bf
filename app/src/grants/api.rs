//! Grant server functions (their wire types are in `types`).

pub use super::types::{MemberAccess, Source};
use crate::access::{Permission, Requirement};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {crate::access::guard, serde_json::json};

/// Reading and changing grants.
pub const GRANTS_MANAGE: Requirement = Requirement::all(&[Permission::GrantsManage]);

/// Every member with their analytics permissions. Requires `grants.manage`.
#[server(prefix = "/api", endpoint = "grants/list")]
pub async fn list_analytics_access() -> Result<Vec<MemberAccess>, AppError> {
    let cx = guard(&GRANTS_MANAGE).await?;
    let mut conn = cx.state.db.conn().await?;
    super::server::list(&mut conn, cx.org_id(), &cx.org.timezone, cx.now).await
}

/// Sets a member's analytics grants to exactly the ticked ones (permissions their role gives
/// are left alone), each new grant expiring at the start of `expires_on` (a date in the
/// organization's timezone) when given. Requires `grants.manage`; applies from the member's
/// next request. Reloads the analytics access page.
#[server(prefix = "/api", endpoint = "grants/set")]
#[allow(clippy::too_many_arguments)]
pub async fn set_analytics_grants(
    member_id: String,
    view: Option<String>,
    view_revenue: Option<String>,
    view_sales: Option<String>,
    view_products: Option<String>,
    export: Option<String>,
    expires_on: Option<String>,
) -> Result<(), AppError> {
    let cx = guard(&GRANTS_MANAGE).await?;
    let member_id = crate::input::id(&member_id)?;
    let ticked = [view, view_revenue, view_sales, view_products, export].map(|v| v.is_some_and(|v| !v.is_empty()));
    let wanted = super::GRANTABLE.iter().zip(ticked).filter(|(_, on)| *on).map(|(p, _)| *p).collect::<Vec<_>>();
    let expires_at = super::server::parse_expiry(expires_on.as_deref(), &cx.org.timezone, cx.now)?;
    let mut tx = cx.state.db.begin().await?;
    let change = super::server::set(&mut tx, &cx.access, cx.org_id(), &member_id, &wanted, expires_at, cx.now).await?;
    if !change.added.is_empty() || !change.removed.is_empty() {
        cx.audit(
            &mut tx,
            "grants.update",
            ("membership", &member_id),
            json!({
                "member": change.email,
                "before": change.before,
                "after": change.after,
                "added": change.added,
                "removed": change.removed,
                "expires_at": expires_at,
            }),
        )
        .await?;
    }
    tx.commit().await?;
    leptos_axum::redirect("/settings/analytics-access?done=saved");
    Ok(())
}
