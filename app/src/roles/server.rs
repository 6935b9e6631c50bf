//! Role catalog queries and rules (server only), scoped by the session's organization.

use super::types::RoleView;
use super::{MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};
use crate::access::{Access, BuiltinRole, Domain, Permission, PermissionSet, role_requires_mfa, stored_role};
use crate::db::{Conn, flag, new_id};
use crate::error::{AppError, Result};

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    role_key: String,
    name: String,
    description: String,
    builtin: i64,
    permissions: String,
    members: i64,
}

impl Row {
    fn view(self) -> RoleView {
        let (builtin, permissions, _) = stored_role(self.builtin != 0, &self.role_key, &self.permissions);
        RoleView {
            id: self.id,
            name: self.name,
            description: self.description,
            builtin: builtin.map(BuiltinRole::key).map(str::to_string),
            permissions: permissions.iter().map(|p| p.key().to_string()).collect(),
            mfa_required: role_requires_mfa(builtin, permissions),
            members: self.members,
        }
    }
}

const SELECT: &str = "SELECT r.id, r.role_key, r.name, r.description, r.builtin, r.permissions, \
     CAST((SELECT COUNT(*) FROM memberships m WHERE m.role_id = r.id) AS BIGINT) AS members FROM roles r";

/// Built-in roles first (in their fixed order), then custom ones by name.
pub async fn list(conn: &mut Conn, org_id: &str) -> Result<Vec<RoleView>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE r.org_id = $1 ORDER BY r.name"))
        .bind(org_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut views: Vec<RoleView> = rows.into_iter().map(Row::view).collect();
    let rank = |v: &RoleView| {
        v.builtin
            .as_deref()
            .and_then(|k| BuiltinRole::ALL.iter().position(|b| b.key() == k))
            .unwrap_or(BuiltinRole::ALL.len())
    };
    views.sort_by_key(rank);
    Ok(views)
}

async fn one(conn: &mut Conn, org_id: &str, role_id: &str) -> Result<Row> {
    sqlx::query_as(&format!("{SELECT} WHERE r.id = $1 AND r.org_id = $2"))
        .bind(role_id)
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)
}

fn custom(row: Row) -> Result<Row> {
    if row.builtin != 0 {
        return Err(AppError::conflict("builtin_role", "Built-in roles cannot be changed; create a custom role."));
    }
    Ok(row)
}

/// A custom role's name: 1–50 characters, not a built-in role's name or key, not another
/// role's name here.
pub fn check_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    let invalid = |m: &str| Err(AppError::invalid("name", m));
    if name.is_empty() {
        return invalid("Give the role a name.");
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return invalid(&format!("A role name is at most {MAX_NAME_CHARS} plain characters."));
    }
    let folded = name.to_lowercase().replace([' ', '-'], "_");
    if BuiltinRole::ALL.iter().any(|b| b.key() == folded || b.name().eq_ignore_ascii_case(name)) {
        return invalid("That is the name of a built-in role; choose another.");
    }
    Ok(name.to_string())
}

fn check_description(raw: &str) -> Result<String> {
    let text = raw.trim();
    if text.chars().count() > MAX_DESCRIPTION_CHARS || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::invalid("description", format!("Keep it under {MAX_DESCRIPTION_CHARS} characters.")));
    }
    Ok(text.to_string())
}

fn exceeds(editor: &Access, permissions: PermissionSet) -> Result<()> {
    let missing = editor.beyond_delegable(permissions);
    if !missing.is_empty() {
        return Err(AppError::conflict(
            "role_exceeds_yours",
            format!(
                "A role you make holds only permissions you hold yourself; not: {}.",
                missing.to_keys().replace(' ', ", ")
            ),
        ));
    }
    Ok(())
}

/// Creates a custom role starting from the permissions of `template_id` (any role here, or
/// none). Returns the new role.
pub async fn create(
    conn: &mut Conn,
    editor: &Access,
    org_id: &str,
    name: &str,
    description: &str,
    template_id: Option<&str>,
    now: i64,
) -> Result<RoleView> {
    let name = check_name(name)?;
    let description = check_description(description)?;
    // Names are unique per organization: checked under its lock, so two requests at once
    // cannot both find a name free.
    crate::db::lock_row(conn, crate::db::Locked::Organization, org_id).await?;
    let permissions = match template_id.filter(|t| !t.is_empty()) {
        Some(id) => {
            let t = one(conn, org_id, id).await?;
            stored_role(t.builtin != 0, &t.role_key, &t.permissions).1
        }
        None => PermissionSet::EMPTY,
    }
    .intersection(PermissionSet::TENANT);
    exceeds(editor, permissions)?;
    let taken: Option<String> = sqlx::query_scalar("SELECT id FROM roles WHERE org_id = $1 AND LOWER(name) = $2")
        .bind(org_id)
        .bind(name.to_lowercase())
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() {
        return Err(AppError::invalid("name", "A role with that name exists already."));
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO roles (id, org_id, role_key, name, description, builtin, permissions, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(format!("custom_{}", &id[..8]))
    .bind(&name)
    .bind(&description)
    .bind(flag(false))
    .bind(permissions.to_keys())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(one(conn, org_id, &id).await?.view())
}

/// Adds or removes one permission of a custom role. Returns the permissions before and
/// after. Platform permissions never; permissions the editor does not hold, never added.
pub async fn set_permission(
    conn: &mut Conn,
    editor: &Access,
    org_id: &str,
    role_id: &str,
    key: &str,
    enabled: bool,
    now: i64,
) -> Result<(RoleView, Vec<String>)> {
    let permission =
        Permission::from_key(key).ok_or_else(|| AppError::invalid("permission", "There is no such permission."))?;
    if permission.domain() == Domain::Platform {
        return Err(AppError::invalid("permission", "Platform permissions belong to platform staff only."));
    }
    let row = custom(one(conn, org_id, role_id).await?)?;
    let before = stored_role(false, &row.role_key, &row.permissions).1;
    let after = if enabled {
        exceeds(editor, PermissionSet::of(&[permission]))?;
        before.with(permission)
    } else {
        before.difference(PermissionSet::of(&[permission]))
    };
    sqlx::query("UPDATE roles SET permissions = $1, updated_at = $2 WHERE id = $3 AND org_id = $4")
        .bind(after.to_keys())
        .bind(now)
        .bind(role_id)
        .bind(org_id)
        .execute(&mut *conn)
        .await?;
    let keys = before.iter().map(|p| p.key().to_string()).collect();
    Ok((one(conn, org_id, role_id).await?.view(), keys))
}

/// Deletes a custom role nobody holds and no pending invitation offers. Returns its name.
pub async fn delete(conn: &mut Conn, org_id: &str, role_id: &str) -> Result<String> {
    // Under the organization's lock, like role changes and invitations: nobody can be given
    // the role between the check that nobody holds it and the delete.
    crate::db::lock_row(conn, crate::db::Locked::Organization, org_id).await?;
    let row = custom(one(conn, org_id, role_id).await?)?;
    let invited: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM invitations WHERE org_id = $1 AND role_id = $2 AND status = 'pending'",
    )
    .bind(org_id)
    .bind(role_id)
    .fetch_one(&mut *conn)
    .await?;
    if row.members > 0 || invited > 0 {
        return Err(AppError::conflict(
            "role_in_use",
            format!(
                "{} is in use ({} member(s), {} pending invitation(s)); give them another role first.",
                row.name, row.members, invited
            ),
        ));
    }
    sqlx::query("DELETE FROM invitations WHERE org_id = $1 AND role_id = $2")
        .bind(org_id)
        .bind(role_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM roles WHERE id = $1 AND org_id = $2")
        .bind(role_id)
        .bind(org_id)
        .execute(&mut *conn)
        .await?;
    Ok(row.name)
}
