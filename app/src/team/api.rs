//! Team server functions and their wire types.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::access::{Permission, Requirement};
#[cfg(feature = "ssr")]
use {
    crate::access::guard,
    crate::audit::{self, Actor, Event, Outcome},
    serde_json::json,
};

/// A member of the organization as the roster shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The membership id (used in URLs).
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role_id: String,
    pub role_key: String,
    pub role_name: String,
    /// When they joined, in the organization's timezone.
    pub joined: String,
    /// When they last used this organization, in its timezone.
    pub last_active: Option<String>,
    /// Two-factor authentication is on for their account.
    pub mfa_enrolled: bool,
    /// Their role here requires two-factor authentication.
    pub mfa_required: bool,
    /// They hold a different role in another organization (which one is not shown).
    pub role_conflict: bool,
}

impl Member {
    /// In a role that requires two-factor authentication without having set it up.
    pub fn mfa_missing(&self) -> bool {
        self.mfa_required && !self.mfa_enrolled
    }
}

/// A role of the organization, and whether the caller may give it to someone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignableRole {
    pub id: String,
    pub name: String,
    /// Every permission of the role is one the caller holds.
    pub assignable: bool,
}

/// Reading the roster.
pub const TEAM_READ: Requirement = Requirement::all(&[Permission::TeamRead]);
/// Changing roles, removing members, forcing sign-out.
pub const TEAM_MANAGE: Requirement = Requirement::all(&[Permission::TeamManage]);

/// The members of the active organization. Requires `team.read`.
#[server(prefix = "/api", endpoint = "team/members")]
pub async fn list_members() -> Result<Vec<Member>, AppError> {
    let cx = guard(&TEAM_READ).await?;
    let mut conn = cx.state.db.conn().await?;
    super::server::list(&mut conn, cx.org_id(), &cx.org.timezone).await
}

/// One member of the active organization (404 for anyone else's). Requires `team.read`.
#[server(prefix = "/api", endpoint = "team/member")]
pub async fn get_member(member_id: String) -> Result<Member, AppError> {
    let cx = guard(&TEAM_READ).await?;
    let mut conn = cx.state.db.conn().await?;
    super::server::find(&mut conn, cx.org_id(), &cx.org.timezone, &member_id).await
}

/// Picking a role: for a role change or an invitation.
pub const PICK_ROLE: Requirement = Requirement::any(&[Permission::TeamManage, Permission::TeamInvite]);

/// The organization's roles for the role pickers. Requires `team.manage` or `team.invite`.
#[server(prefix = "/api", endpoint = "team/roles")]
pub async fn list_assignable_roles() -> Result<Vec<AssignableRole>, AppError> {
    let cx = guard(&PICK_ROLE).await?;
    let mut conn = cx.state.db.conn().await?;
    super::server::roles(&mut conn, &cx.access, cx.org_id()).await
}

/// Gives a member another role. Requires `team.manage`; see `server::change_role` for the
/// rules (never your own role, never more than you hold, always one owner left).
#[server(prefix = "/api", endpoint = "team/member/role")]
pub async fn change_member_role(member_id: String, role_id: String) -> Result<(), AppError> {
    let cx = guard(&TEAM_MANAGE).await?;
    let mut tx = cx.state.db.begin().await?;
    let change = super::server::change_role(&mut tx, &cx.access, cx.org_id(), &member_id, &role_id, cx.now).await?;
    audit::record(
        &mut tx,
        &Event::new("team.role_change", Actor::user(cx.user_id(), &cx.access.email), Outcome::Allowed)
            .org(Some(cx.org_id()))
            .target("membership", &member_id)
            .metadata(json!({ "member": change.email, "before": change.before, "after": change.after }))
            .request(&cx.meta),
        cx.now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member from the organization. Requires `team.manage`.
#[server(prefix = "/api", endpoint = "team/member/remove")]
pub async fn remove_member(member_id: String) -> Result<(), AppError> {
    let cx = guard(&TEAM_MANAGE).await?;
    let mut tx = cx.state.db.begin().await?;
    let removed = super::server::remove(&mut tx, &cx.access, cx.org_id(), &member_id).await?;
    audit::record(
        &mut tx,
        &Event::new("team.member_remove", Actor::user(cx.user_id(), &cx.access.email), Outcome::Allowed)
            .org(Some(cx.org_id()))
            .target("membership", &member_id)
            .metadata(json!({ "member": removed.email, "before": removed.role_key, "after": null }))
            .request(&cx.meta),
        cx.now,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/team");
    Ok(())
}

/// Signs a member out of the organization everywhere. Requires `team.manage`.
#[server(prefix = "/api", endpoint = "team/member/sign_out")]
pub async fn force_sign_out(member_id: String) -> Result<(), AppError> {
    let cx = guard(&TEAM_MANAGE).await?;
    let mut tx = cx.state.db.begin().await?;
    let target = super::server::force_sign_out(&mut tx, &cx.access, cx.org_id(), &member_id, cx.now).await?;
    audit::record(
        &mut tx,
        &Event::new("team.force_sign_out", Actor::user(cx.user_id(), &cx.access.email), Outcome::Allowed)
            .org(Some(cx.org_id()))
            .target("membership", &member_id)
            .metadata(json!({ "member": target.email }))
            .request(&cx.meta),
        cx.now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
