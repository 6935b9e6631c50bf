//! Team server functions (their wire types are in `types`).

pub use super::types::{AssignableRole, Member, OwnershipOffer};
use crate::error::AppError;
use leptos::prelude::*;

use crate::access::{Permission, Requirement};
#[cfg(feature = "ssr")]
use {crate::access::guard, serde_json::json};

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
    let member_id = crate::input::id(&member_id)?;
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

/// Gives a member another role, then reloads the member's page. Requires `team.manage`; see
/// `server::change_role` for the rules (never your own role, never more than you hold,
/// always one owner left).
#[server(prefix = "/api", endpoint = "team/member/role")]
pub async fn change_member_role(member_id: String, role_id: String) -> Result<(), AppError> {
    let cx = guard(&TEAM_MANAGE).await?;
    let (member_id, role_id) = (crate::input::id(&member_id)?, crate::input::id(&role_id)?);
    let mut tx = cx.state.db.begin().await?;
    let change = super::server::change_role(&mut tx, &cx.access, cx.org_id(), &member_id, &role_id, cx.now).await?;
    cx.audit(
        &mut tx,
        "team.role_change",
        ("membership", &member_id),
        json!({ "member": change.email, "before": change.before, "after": change.after }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/settings/team/{member_id}?done=role"));
    Ok(())
}

/// Removes a member from the organization. Requires `team.manage`.
#[server(prefix = "/api", endpoint = "team/member/remove")]
pub async fn remove_member(member_id: String) -> Result<(), AppError> {
    let cx = guard(&TEAM_MANAGE).await?;
    let member_id = crate::input::id(&member_id)?;
    let mut tx = cx.state.db.begin().await?;
    let removed = super::server::remove(&mut tx, &cx.access, cx.org_id(), &member_id, cx.now).await?;
    cx.audit(
        &mut tx,
        "team.member_remove",
        ("membership", &member_id),
        json!({ "member": removed.email, "before": removed.role_key, "after": null }),
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
    let member_id = crate::input::id(&member_id)?;
    let mut tx = cx.state.db.begin().await?;
    let target = super::server::force_sign_out(&mut tx, &cx.access, cx.org_id(), &member_id, cx.now).await?;
    cx.audit(&mut tx, "team.force_sign_out", ("membership", &member_id), json!({ "member": target.email })).await?;
    tx.commit().await?;
    Ok(())
}

/// Offering ownership: an owner's permission, and step-up (DESIGN §5) — an owner fresh from
/// an MFA sign-in is exempt.
pub const TRANSFER: Requirement = Requirement::all(&[Permission::OrgOwnershipTransfer]).with_step_up();

/// Offers ownership to a member, who must accept it. Requires `org.ownership.transfer` and
/// step-up.
#[server(prefix = "/api", endpoint = "team/ownership/offer")]
pub async fn offer_ownership(member_id: String) -> Result<(), AppError> {
    let cx = guard(&TRANSFER).await?;
    let member_id = crate::input::id(&member_id)?;
    let mut tx = cx.state.db.begin().await?;
    let (id, target) = super::server::offer_ownership(&mut tx, &cx.access, cx.org_id(), &member_id, cx.now).await?;
    cx.audit(&mut tx, "team.ownership_offer", ("ownership_transfer", &id), json!({ "to": target.email })).await?;
    tx.commit().await?;
    Ok(())
}

/// Public: the ownership offer addressed to the caller in their active organization, if any
/// (`None` for visitors and people without an organization).
#[server(prefix = "/api", endpoint = "team/ownership/pending")]
pub async fn pending_ownership_offer() -> Result<Option<OwnershipOffer>, AppError> {
    // public: answers only about the caller's own session, like /api/session.
    let state = crate::state::app_state()?;
    let meta = crate::request::RequestMeta::current(&state.config);
    let now = crate::db::now();
    let Some(signed_in) = crate::access::request_signed_in(&state, &meta, now).await? else { return Ok(None) };
    // The access load said whether one is open (the usual answer: none, and nothing to read).
    let Some(org) = signed_in.access.org.filter(|_| signed_in.offer_open != Some(false)) else { return Ok(None) };
    let user_id = signed_in.access.user_id;
    let mut conn = state.db.conn().await?;
    let offer = super::server::offer_for(&mut conn, &org.org_id, &user_id, now).await?;
    Ok(offer.map(|o| OwnershipOffer {
        id: o.id,
        from_name: o.from_name,
        expires: crate::time::format_local(o.expires_at, &org.timezone),
    }))
}

/// Accepts (`accept` = `true`) or declines (`false`) the ownership offer addressed to the
/// caller.
#[server(prefix = "/api", endpoint = "team/ownership/answer")]
pub async fn answer_ownership(transfer_id: String, accept: String) -> Result<(), AppError> {
    let cx = guard(&Requirement::MEMBER).await?;
    let transfer_id = crate::input::id(&transfer_id)?;
    let accept = crate::input::flag("accept", &accept)?;
    let mut tx = cx.state.db.begin().await?;
    let offer =
        super::server::answer_ownership(&mut tx, cx.org_id(), cx.user_id(), &transfer_id, accept, cx.now).await?;
    let action = if accept { "team.ownership_accept" } else { "team.ownership_decline" };
    cx.audit(
        &mut tx,
        action,
        ("ownership_transfer", &offer.id),
        json!({ "from_user": offer.from_user_id, "before": "owner → admin", "accepted": accept }),
    )
    .await?;
    tx.commit().await?;
    // The home page, where the offer was answered, shows the new standing.
    leptos_axum::redirect("/");
    Ok(())
}
