//! Team queries (server only). Every query is scoped by the session's organization.

use super::types::{AssignableRole, Member};
use crate::access::{Access, BuiltinRole, PermissionSet, role_requires_mfa, stored_role};
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
    builtin: i64,
    permissions: String,
    mfa_enrolled_at: Option<i64>,
    role_conflict: i64,
}

impl MemberRow {
    fn into_member(self, tz: &str) -> Member {
        let r = self;
        let (builtin, permissions, _) = stored_role(r.builtin != 0, &r.role_key, &r.permissions);
        Member {
            mfa_enrolled: r.mfa_enrolled_at.is_some(),
            mfa_required: role_requires_mfa(builtin, permissions),
            role_conflict: r.role_conflict != 0,
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

/// `role_conflict`: the user holds a role with another key in some other organization (which
/// one is not this tenant's business, so only the fact is read).
const MEMBER_SELECT: &str = "SELECT m.id, m.user_id, u.name, u.email, m.role_id, r.role_key, r.name AS role_name, \
     m.created_at, m.last_active_at, r.builtin, r.permissions, u.mfa_enrolled_at, \
     CAST(CASE WHEN EXISTS (SELECT 1 FROM memberships m2 JOIN roles r2 ON r2.id = m2.role_id \
       WHERE m2.user_id = m.user_id AND m2.org_id <> m.org_id AND r2.role_key <> r.role_key) \
       THEN 1 ELSE 0 END AS BIGINT) AS role_conflict \
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

/// Takes the organization's row lock for the rest of the transaction, so that changes to its
/// memberships happen one after another. Two owners demoting each other at the same moment
/// therefore cannot both see the other as the remaining owner.
async fn lock_org(conn: &mut Conn, org_id: &str) -> Result<()> {
    crate::db::lock_row(conn, crate::db::Locked::Organization, org_id).await?;
    Ok(())
}

/// A membership someone wants to change, with its role.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Target {
    pub id: String,
    pub user_id: String,
    pub email: String,
    pub role_id: String,
    pub role_key: String,
    builtin: i64,
}

impl Target {
    fn is_owner(&self) -> bool {
        self.builtin != 0 && self.role_key == "owner"
    }
}

async fn target(conn: &mut Conn, org_id: &str, member_id: &str) -> Result<Target> {
    sqlx::query_as(
        "SELECT m.id, m.user_id, u.email, m.role_id, r.role_key, r.builtin \
         FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id \
         WHERE m.id = $1 AND m.org_id = $2",
    )
    .bind(member_id)
    .bind(org_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)
}

async fn other_owners(conn: &mut Conn, org_id: &str, member_id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM memberships m JOIN roles r ON r.id = m.role_id \
         WHERE m.org_id = $1 AND m.id <> $2 AND r.builtin = 1 AND r.role_key = 'owner'",
    )
    .bind(org_id)
    .bind(member_id)
    .fetch_one(&mut *conn)
    .await?)
}

fn editor_is_owner(editor: &Access) -> bool {
    editor.org.as_ref().is_some_and(|o| o.builtin == Some(BuiltinRole::Owner))
}

/// The rules every change to someone else's membership obeys: not your own, and an owner's
/// membership only by another owner.
fn may_manage(editor: &Access, target: &Target, own_message: &str) -> Result<()> {
    if target.user_id == editor.user_id {
        return Err(AppError::conflict("own_membership", own_message));
    }
    if target.is_owner() && !editor_is_owner(editor) {
        return Err(AppError::conflict("owner_only", "Only an owner can change or remove another owner."));
    }
    Ok(())
}

fn keep_an_owner(remaining: i64) -> Result<()> {
    if remaining < 1 {
        return Err(AppError::conflict(
            "last_owner",
            "An organization always keeps at least one owner. Make someone else owner first.",
        ));
    }
    Ok(())
}

/// What a role change did, for the audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChange {
    pub email: String,
    pub before: String,
    pub after: String,
}

/// Gives member `member_id` of `org_id` the role `role_id`, as `editor` (who holds
/// `team.manage` there). Refused: your own role; a role with permissions you do not hold;
/// another owner's role unless you are an owner; leaving the organization without an owner.
pub async fn change_role(
    conn: &mut Conn,
    editor: &Access,
    org_id: &str,
    member_id: &str,
    role_id: &str,
    now: i64,
) -> Result<RoleChange> {
    lock_org(conn, org_id).await?;
    let target = target(conn, org_id, member_id).await?;
    let role = assignable_role(conn, org_id, role_id).await?;
    may_manage(editor, &target, "Nobody changes their own role. Ask another owner or admin.")?;
    let missing = editor.beyond_delegable(role.permissions);
    if !missing.is_empty() {
        return Err(AppError::conflict(
            "role_exceeds_yours",
            format!(
                "You can only give roles whose permissions you hold yourself; {} also has: {}.",
                role.name,
                missing.to_keys().replace(' ', ", ")
            ),
        ));
    }
    if target.is_owner() && !role.is_owner {
        keep_an_owner(other_owners(conn, org_id, member_id).await?)?;
    }
    sqlx::query("UPDATE memberships SET role_id = $1, updated_at = $2 WHERE id = $3 AND org_id = $4")
        .bind(&role.id)
        .bind(now)
        .bind(member_id)
        .bind(org_id)
        .execute(&mut *conn)
        .await?;
    Ok(RoleChange { email: target.email, before: target.role_key, after: role.key })
}

/// Removes member `member_id` from `org_id`, with their grants there; their API keys there
/// are revoked. Their sessions lose
/// the organization on their next request (the guard reads memberships every time) and fall
/// back to another membership; sessions that had it active are pointed away now. An
/// ownership offer to or from them is withdrawn: it could otherwise be accepted later.
pub async fn remove(conn: &mut Conn, editor: &Access, org_id: &str, member_id: &str, now: i64) -> Result<Target> {
    lock_org(conn, org_id).await?;
    let target = target(conn, org_id, member_id).await?;
    may_manage(editor, &target, "You cannot remove yourself here.")?;
    if target.is_owner() {
        keep_an_owner(other_owners(conn, org_id, member_id).await?)?;
    }
    sqlx::query("DELETE FROM grants WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(&target.user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM memberships WHERE id = $1 AND org_id = $2")
        .bind(member_id)
        .bind(org_id)
        .execute(&mut *conn)
        .await?;
    point_sessions_away(conn, &target.user_id, org_id).await?;
    withdraw_ownership_offers(conn, org_id, &target.user_id, now).await?;
    crate::api_keys::server::revoke_member_keys(conn, org_id, &target.user_id, "its maker left the organization", now)
        .await?;
    Ok(target)
}

/// Cancels the open ownership offer of `org_id` to or from `user_id`, if there is one.
async fn withdraw_ownership_offers(conn: &mut Conn, org_id: &str, user_id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE ownership_transfers SET status = 'cancelled', updated_at = $1 \
         WHERE org_id = $2 AND status = 'pending' AND (to_user_id = $3 OR from_user_id = $3)",
    )
    .bind(now)
    .bind(org_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The user's sessions that have `org_id` active choose another membership on their next
/// request.
async fn point_sessions_away(conn: &mut Conn, user_id: &str, org_id: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET active_org_id = NULL WHERE user_id = $1 AND active_org_id = $2")
        .bind(user_id)
        .bind(org_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Signs member `member_id` out of `org_id`: every session they began up to now loses this
/// organization (other organizations' sessions are not this tenant's to end); they sign in
/// again to come back.
pub async fn force_sign_out(
    conn: &mut Conn,
    editor: &Access,
    org_id: &str,
    member_id: &str,
    now: i64,
) -> Result<Target> {
    let target = target(conn, org_id, member_id).await?;
    may_manage(editor, &target, "To end your own sessions, use Security in your profile.")?;
    sqlx::query("UPDATE memberships SET sessions_valid_after = $1, updated_at = $2 WHERE id = $3 AND org_id = $4")
        .bind(now + 1)
        .bind(now)
        .bind(member_id)
        .bind(org_id)
        .execute(&mut *conn)
        .await?;
    point_sessions_away(conn, &target.user_id, org_id).await?;
    Ok(target)
}

struct RoleRow {
    id: String,
    key: String,
    name: String,
    is_owner: bool,
    permissions: PermissionSet,
}

#[derive(sqlx::FromRow)]
struct StoredRole {
    id: String,
    role_key: String,
    name: String,
    builtin: i64,
    permissions: String,
}

impl StoredRole {
    fn into_row(self) -> RoleRow {
        let (builtin, permissions, _) = stored_role(self.builtin != 0, &self.role_key, &self.permissions);
        RoleRow {
            is_owner: builtin == Some(BuiltinRole::Owner),
            id: self.id,
            key: self.role_key,
            name: self.name,
            permissions,
        }
    }
}

const ROLE_SELECT: &str = "SELECT id, role_key, name, builtin, permissions FROM roles";

async fn assignable_role(conn: &mut Conn, org_id: &str, role_id: &str) -> Result<RoleRow> {
    let row: Option<StoredRole> = sqlx::query_as(&format!("{ROLE_SELECT} WHERE id = $1 AND org_id = $2"))
        .bind(role_id)
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(StoredRole::into_row).ok_or(AppError::NotFound)
}

/// The roles of `org_id`, each marked with whether `editor` may give it.
pub async fn roles(conn: &mut Conn, editor: &Access, org_id: &str) -> Result<Vec<AssignableRole>> {
    let rows: Vec<StoredRole> = sqlx::query_as(&format!("{ROLE_SELECT} WHERE org_id = $1 ORDER BY builtin DESC, name"))
        .bind(org_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let r = r.into_row();
            AssignableRole { assignable: editor.beyond_delegable(r.permissions).is_empty(), id: r.id, name: r.name }
        })
        .collect())
}

/// How long an ownership offer waits for its answer.
pub const TRANSFER_DAYS: i64 = 7;

/// An open ownership offer, as its recipient sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Transfer {
    pub id: String,
    pub from_user_id: String,
    pub from_name: String,
    pub to_user_id: String,
    pub expires_at: i64,
}

/// Offers ownership of `org_id` to member `member_id`, as `editor` (an owner). A previous
/// open offer is cancelled. The recipient must accept before anything changes.
pub async fn offer_ownership(
    conn: &mut Conn,
    editor: &Access,
    org_id: &str,
    member_id: &str,
    now: i64,
) -> Result<(String, Target)> {
    lock_org(conn, org_id).await?;
    let target = target(conn, org_id, member_id).await?;
    if !editor_is_owner(editor) {
        return Err(AppError::conflict("owner_only", "Only an owner can hand over the organization."));
    }
    if target.user_id == editor.user_id || target.is_owner() {
        return Err(AppError::conflict("already_owner", "Offer ownership to a member who is not an owner yet."));
    }
    sqlx::query(
        "UPDATE ownership_transfers SET status = 'cancelled', updated_at = $1 WHERE org_id = $2 AND status = 'pending'",
    )
    .bind(now)
    .bind(org_id)
    .execute(&mut *conn)
    .await?;
    let id = crate::db::new_id();
    sqlx::query(
        "INSERT INTO ownership_transfers (id, org_id, from_user_id, to_user_id, expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(&editor.user_id)
    .bind(&target.user_id)
    .bind(now + TRANSFER_DAYS * 86_400)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok((id, target))
}

/// The open, unexpired offer of `org_id` addressed to `user_id`, if any.
pub async fn offer_for(conn: &mut Conn, org_id: &str, user_id: &str, now: i64) -> Result<Option<Transfer>> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.from_user_id, u.name AS from_name, t.to_user_id, t.expires_at FROM ownership_transfers t \
         JOIN users u ON u.id = t.from_user_id \
         WHERE t.org_id = $1 AND t.to_user_id = $2 AND t.status = 'pending' AND t.expires_at > $3",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The recipient's answer. Accepting makes them owner and the offering owner an admin, in
/// one step under the organization's lock; the offer must still be open and its sender still
/// an owner.
pub async fn answer_ownership(
    conn: &mut Conn,
    org_id: &str,
    user_id: &str,
    transfer_id: &str,
    accept: bool,
    now: i64,
) -> Result<Transfer> {
    lock_org(conn, org_id).await?;
    let offer =
        offer_for(conn, org_id, user_id, now).await?.filter(|t| t.id == transfer_id).ok_or(AppError::NotFound)?;
    let status = if accept { "accepted" } else { "declined" };
    sqlx::query("UPDATE ownership_transfers SET status = $1, updated_at = $2 WHERE id = $3 AND org_id = $4")
        .bind(status)
        .bind(now)
        .bind(transfer_id)
        .bind(org_id)
        .execute(&mut *conn)
        .await?;
    if !accept {
        return Ok(offer);
    }
    let role = |key: &'static str| {
        sqlx::query_scalar::<_, String>("SELECT id FROM roles WHERE org_id = $1 AND role_key = $2 AND builtin = 1")
            .bind(org_id)
            .bind(key)
    };
    let owner_role = role("owner").fetch_one(&mut *conn).await?;
    let admin_role = role("admin").fetch_one(&mut *conn).await?;
    let demoted = sqlx::query(
        "UPDATE memberships SET role_id = $1, updated_at = $2 WHERE org_id = $3 AND user_id = $4 AND role_id = $5",
    )
    .bind(&admin_role)
    .bind(now)
    .bind(org_id)
    .bind(&offer.from_user_id)
    .bind(&owner_role)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if demoted == 0 {
        return Err(AppError::conflict("offer_stale", "Whoever offered this is no longer an owner; the offer lapsed."));
    }
    sqlx::query("UPDATE memberships SET role_id = $1, updated_at = $2 WHERE org_id = $3 AND user_id = $4")
        .bind(&owner_role)
        .bind(now)
        .bind(org_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(offer)
}
