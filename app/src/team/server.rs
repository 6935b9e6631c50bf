//! Team queries (server only). Every query is scoped by the session's organization.

use super::api::Member;
use crate::db::Conn;
use crate::error::{AppError, Result};
use crate::time::format_local;

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: String,
    user_id: String,
    name: String,
    email: String,
    role_id: String,
    role_key: String,
    role_name: String,
    created_at: i64,
    last_active_at: Option<i64>,
}

impl MemberRow {
    fn into_member(self, tz: &str) -> Member {
        let r = self;
        Member {
            id: r.id,
            user_id: r.user_id,
            name: r.name,
            email: r.email,
            role_id: r.role_id,
            role_key: r.role_key,
            role_name: r.role_name,
            joined: format_local(r.created_at, tz),
            last_active: r.last_active_at.map(|t| format_local(t, tz)),
        }
    }
}

const MEMBER_SELECT: &str = "SELECT m.id, m.user_id, u.name, u.email, m.role_id, r.role_key, r.name AS role_name, \
     m.created_at, m.last_active_at \
     FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id";

/// The members of `org_id`, by name.
pub async fn list(conn: &mut Conn, org_id: &str, tz: &str) -> Result<Vec<Member>> {
    let rows: Vec<MemberRow> = sqlx::query_as(&format!("{MEMBER_SELECT} WHERE m.org_id = $1 ORDER BY u.name, u.email"))
        .bind(org_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.into_member(tz)).collect())
}

/// One member of `org_id`; a membership of another organization answers 404.
pub async fn find(conn: &mut Conn, org_id: &str, tz: &str, member_id: &str) -> Result<Member> {
    let row: Option<MemberRow> = sqlx::query_as(&format!("{MEMBER_SELECT} WHERE m.id = $1 AND m.org_id = $2"))
        .bind(member_id)
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| r.into_member(tz)).ok_or(AppError::NotFound)
}
