//! The console's queries (server only). Only organizations, subscriptions, memberships'
//! counts and bank transfers are read: nothing of a tenant's own data.

use super::Tenant;
use crate::billing::Plan;
use crate::billing::server::status_at;
use crate::db::Conn;
use crate::error::{AppError, Result};
use crate::time::format_local;

#[derive(sqlx::FromRow)]
pub struct TenantRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub created_at: i64,
    pub plan: Option<String>,
    pub status: Option<String>,
    pub payment_method: Option<String>,
    pub trial_ends_at: Option<i64>,
    pub current_period_end: Option<i64>,
    pub members: i64,
    pub last_active_at: Option<i64>,
}

impl TenantRow {
    pub fn tenant(&self, now: i64) -> Tenant {
        Tenant {
            id: self.id.clone(),
            name: self.name.clone(),
            slug: self.slug.clone(),
            plan: self.plan.as_deref().and_then(Plan::parse).unwrap_or(Plan::Trial),
            status: status_at(
                self.status.as_deref().unwrap_or("active"),
                self.trial_ends_at,
                self.current_period_end,
                now,
            ),
            members: self.members,
            last_active: self.last_active_at.map(|at| format_local(at, "UTC")),
        }
    }
}

const TENANT_SELECT: &str = "SELECT o.id, o.name, o.slug, o.created_at, s.plan, s.status, s.payment_method, \
     s.trial_ends_at, s.current_period_end, \
     (SELECT COUNT(*) FROM memberships m WHERE m.org_id = o.id) AS members, \
     (SELECT MAX(m.last_active_at) FROM memberships m WHERE m.org_id = o.id) AS last_active_at \
     FROM organizations o LEFT JOIN subscriptions s ON s.org_id = o.id";

/// Tenants whose name or slug contains `query` (case-insensitive; all when empty), by name,
/// at most `limit`.
pub async fn search(conn: &mut Conn, query: &str, limit: i64) -> Result<Vec<TenantRow>> {
    let escaped: String = query
        .to_lowercase()
        .chars()
        .flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] })
        .collect();
    let pattern = format!("%{escaped}%");
    Ok(sqlx::query_as(&format!(
        "{TENANT_SELECT} WHERE LOWER(o.name) LIKE $1 ESCAPE '\\' OR LOWER(o.slug) LIKE $1 ESCAPE '\\' \
         ORDER BY LOWER(o.name), o.id LIMIT $2"
    ))
    .bind(pattern)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// One tenant; 404 when there is none.
pub async fn find(conn: &mut Conn, org_id: &str) -> Result<TenantRow> {
    sqlx::query_as(&format!("{TENANT_SELECT} WHERE o.id = $1"))
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)
}
