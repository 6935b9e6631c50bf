//! Grant queries (server only), scoped by the session's organization.

use super::GRANTABLE;
use super::types::{MemberAccess, Source};
use crate::access::{Access, Permission, PermissionSet, stored_role};
use crate::db::{Conn, new_id};
use crate::error::{AppError, Result};
use crate::time::{format_local, start_of_day};
use chrono::NaiveDate;
use std::collections::HashMap;

/// Grants last at most this long.
pub const MAX_GRANT_DAYS: i64 = 366;

/// `expires_on` (`YYYY-MM-DD` in `tz`, empty for never) as the instant the grant ends: the
/// start of that day. It must be after today and within a year.
pub fn parse_expiry(expires_on: Option<&str>, tz: &str, now: i64) -> Result<Option<i64>> {
    let Some(text) = expires_on.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let invalid = |m: &str| AppError::invalid("expires_on", m);
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| invalid("Use a date like 2026-01-31."))?;
    let at = start_of_day(date, tz).ok_or_else(|| invalid("That date is out of range."))?;
    if at <= now {
        return Err(invalid("The expiry must be a future day."));
    }
    if at > now + MAX_GRANT_DAYS * 86_400 {
        return Err(invalid("A grant lasts at most a year."));
    }
    Ok(Some(at))
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: String,
    user_id: String,
    name: String,
    email: String,
    role_key: String,
    role_name: String,
    builtin: i64,
    permissions: String,
}

impl MemberRow {
    fn role_permissions(&self) -> PermissionSet {
        stored_role(self.builtin != 0, &self.role_key, &self.permissions).1
    }
}

const MEMBER_SELECT: &str = "SELECT m.id, m.user_id, u.name, u.email, r.role_key, r.name AS role_name, r.builtin, \
     r.permissions FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id";

#[derive(sqlx::FromRow)]
struct GrantRow {
    user_id: String,
    permission: String,
    granted_by: Option<String>,
    granted_at: i64,
    expires_at: Option<i64>,
}

/// The live grants of `org_id`, of one user when `user_id` is given.
async fn live_grants(conn: &mut Conn, org_id: &str, user_id: Option<&str>, now: i64) -> Result<Vec<GrantRow>> {
    let sql = format!(
        "SELECT g.user_id, g.permission, u.name AS granted_by, g.granted_at, g.expires_at \
         FROM grants g LEFT JOIN users u ON u.id = g.granted_by \
         WHERE g.org_id = $1 AND (g.expires_at IS NULL OR g.expires_at > $2){}",
        if user_id.is_some() { " AND g.user_id = $3" } else { "" }
    );
    let mut query = sqlx::query_as(&sql).bind(org_id).bind(now);
    if let Some(user_id) = user_id {
        query = query.bind(user_id);
    }
    Ok(query.fetch_all(&mut *conn).await?)
}

/// Every member of `org_id` with where each grantable permission comes from.
pub async fn list(conn: &mut Conn, org_id: &str, tz: &str, now: i64) -> Result<Vec<MemberAccess>> {
    let members: Vec<MemberRow> =
        sqlx::query_as(&format!("{MEMBER_SELECT} WHERE m.org_id = $1 ORDER BY u.name, u.email"))
            .bind(org_id)
            .fetch_all(&mut *conn)
            .await?;
    let mut grants: HashMap<(String, String), GrantRow> = HashMap::new();
    for g in live_grants(conn, org_id, None, now).await? {
        grants.insert((g.user_id.clone(), g.permission.clone()), g);
    }
    Ok(members
        .into_iter()
        .map(|m| {
            let role = m.role_permissions();
            let sources = GRANTABLE
                .iter()
                .map(|p| {
                    if role.contains(*p) {
                        return Source::Role;
                    }
                    match grants.get(&(m.user_id.clone(), p.key().to_string())) {
                        Some(g) => Source::Grant {
                            by: g.granted_by.clone(),
                            at: format_local(g.granted_at, tz),
                            until: g.expires_at.map(|t| format_local(t, tz)),
                        },
                        None => Source::Absent,
                    }
                })
                .collect();
            MemberAccess { member_id: m.id, name: m.name, email: m.email, role_name: m.role_name, sources }
        })
        .collect())
}

/// What `set` changed, for the audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantChange {
    pub email: String,
    pub before: Vec<&'static str>,
    pub after: Vec<&'static str>,
    pub added: Vec<&'static str>,
    pub removed: Vec<&'static str>,
}

/// Makes `wanted` exactly the member's live grants among the grantable permissions (those
/// their role gives are skipped). New grants get `expires_at`; kept ones keep theirs. The
/// granter must hold every permission they grant.
pub async fn set(
    conn: &mut Conn,
    editor: &Access,
    org_id: &str,
    member_id: &str,
    wanted: &[Permission],
    expires_at: Option<i64>,
    now: i64,
) -> Result<GrantChange> {
    let member: MemberRow = sqlx::query_as(&format!("{MEMBER_SELECT} WHERE m.id = $1 AND m.org_id = $2"))
        .bind(member_id)
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    let role = member.role_permissions();
    let wanted = PermissionSet::of(wanted).difference(role);
    let missing = editor.beyond_delegable(wanted);
    if !missing.is_empty() {
        return Err(AppError::conflict(
            "grant_exceeds_yours",
            format!("You can only grant permissions you hold yourself: {}.", missing.to_keys().replace(' ', ", ")),
        ));
    }
    let current = PermissionSet::of(
        &live_grants(conn, org_id, Some(&member.user_id), now)
            .await?
            .iter()
            .filter_map(|g| Permission::from_key(&g.permission))
            .filter(|p| GRANTABLE.contains(p))
            .collect::<Vec<_>>(),
    );
    let added = wanted.difference(current);
    let removed = current.difference(wanted);
    for p in added.iter() {
        // An expired grant of the same permission may still be stored: replace it.
        sqlx::query(
            "INSERT INTO grants (id, org_id, user_id, permission, granted_by, granted_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (org_id, user_id, permission) DO UPDATE SET \
             granted_by = excluded.granted_by, granted_at = excluded.granted_at, expires_at = excluded.expires_at",
        )
        .bind(new_id())
        .bind(org_id)
        .bind(&member.user_id)
        .bind(p.key())
        .bind(&editor.user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    }
    for p in removed.iter() {
        sqlx::query("DELETE FROM grants WHERE org_id = $1 AND user_id = $2 AND permission = $3")
            .bind(org_id)
            .bind(&member.user_id)
            .bind(p.key())
            .execute(&mut *conn)
            .await?;
    }
    let keys = |set: PermissionSet| set.iter().map(Permission::key).collect::<Vec<_>>();
    Ok(GrantChange {
        email: member.email,
        before: keys(current),
        after: keys(wanted),
        added: keys(added),
        removed: keys(removed),
    })
}
