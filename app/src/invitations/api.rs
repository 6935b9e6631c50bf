//! Invitation server functions (their wire types are in `types`).

pub use super::types::{BatchProblem, InvitationInfo, InvitationList, InvitationState, InvitationView, InviteOutcome};
use crate::access::{Permission, Requirement};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::server::{self, Sender},
    crate::access::{guard, guard_user},
    crate::audit::{self, Actor, Event, Outcome},
    crate::auth::api::set_cookie,
    crate::auth::session,
    crate::db::now,
    crate::request::RequestMeta,
    crate::state::app_state,
    serde_json::json,
};

/// Sending, resending and revoking invitations, and reading the pending list.
pub const TEAM_INVITE: Requirement = Requirement::all(&[Permission::TeamInvite]);
/// Accepting an invitation as the signed-in user.
pub const ACCEPT: Requirement = Requirement::SIGNED_IN;

#[cfg(feature = "ssr")]
fn sender(cx: &crate::access::Ctx) -> Sender<'_> {
    Sender {
        org_id: cx.org_id(),
        org_name: &cx.org.name,
        inviter: &cx.access,
        public_origin: &cx.state.config.public_origin,
        key: &cx.state.config.secret_key,
    }
}

/// Invites every valid address of `emails` (separated by commas, semicolons or new lines;
/// at most 50) with `role_id`, an optional `message` and an expiry of `expires_in_days`
/// (1–30, default 7). Invalid, repeated, already-member and already-invited addresses are
/// named in the answer; the rest are invited. Requires `team.invite`.
#[server(prefix = "/api", endpoint = "invitations/create")]
pub async fn invite_people(
    emails: String,
    role_id: String,
    message: String,
    expires_in_days: String,
) -> Result<InviteOutcome, AppError> {
    let cx = guard(&TEAM_INVITE).await?;
    let role_id = crate::input::id(&role_id)?;
    let list = server::split_emails(&emails);
    let days = server::parse_days(&expires_in_days)?;
    let message = server::check_message(&message)?;
    let mut tx = cx.state.db.begin().await?;
    let batch = server::invite(&mut tx, &sender(&cx), &list, &role_id, &message, days, cx.now).await?;
    for sent in &batch.sent {
        cx.audit(
            &mut tx,
            "team.invite",
            ("invitation", &sent.id),
            json!({ "email": sent.email, "role": sent.role_key, "expires_at": sent.expires_at }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(InviteOutcome { invited: batch.sent.into_iter().map(|s| s.email).collect(), problems: batch.problems })
}

/// The organization's invitations with counts. Requires `team.invite`.
#[server(prefix = "/api", endpoint = "invitations/list")]
pub async fn list_invitations() -> Result<InvitationList, AppError> {
    let cx = guard(&TEAM_INVITE).await?;
    let mut conn = cx.state.db.conn().await?;
    server::list(&mut conn, cx.org_id(), &cx.org.timezone, cx.now).await
}

/// Sends an invitation again with a fresh link and expiry. Requires `team.invite`.
#[server(prefix = "/api", endpoint = "invitations/resend")]
pub async fn resend_invitation(invitation_id: String) -> Result<(), AppError> {
    let cx = guard(&TEAM_INVITE).await?;
    let invitation_id = crate::input::id(&invitation_id)?;
    let mut tx = cx.state.db.begin().await?;
    let sent = server::resend(&mut tx, &sender(&cx), &invitation_id, cx.now).await?;
    cx.audit(
        &mut tx,
        "team.invite_resend",
        ("invitation", &sent.id),
        json!({ "email": sent.email, "expires_at": sent.expires_at }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Withdraws a pending invitation. Requires `team.invite`.
#[server(prefix = "/api", endpoint = "invitations/revoke")]
pub async fn revoke_invitation(invitation_id: String) -> Result<(), AppError> {
    let cx = guard(&TEAM_INVITE).await?;
    let invitation_id = crate::input::id(&invitation_id)?;
    let mut tx = cx.state.db.begin().await?;
    let email = server::revoke(&mut tx, cx.org_id(), &invitation_id, cx.now).await?;
    cx.audit(&mut tx, "team.invite_revoke", ("invitation", &invitation_id), json!({ "email": email })).await?;
    tx.commit().await?;
    Ok(())
}

/// Public: what an invitation link leads to (the link's token is the key; an unknown token
/// is not found).
#[server(prefix = "/api", endpoint = "invitations/show")]
pub async fn show_invitation(token: String) -> Result<InvitationInfo, AppError> {
    // public: the 256-bit token in the link is the capability.
    let state = app_state()?;
    let meta = RequestMeta::current(&state.config);
    let now = now();
    let signed_in = crate::access::request_access(&state, &meta, now).await?;
    let token = crate::input::token(&token)?;
    let mut conn = state.db.conn().await?;
    let invitation = server::by_token(&mut conn, token).await?;
    Ok(invitation.info(signed_in.map(|(a, _)| a.email), now))
}

/// Where to go once a member: enrollment first when the role requires two-factor.
#[cfg(feature = "ssr")]
fn after_joining(invitation: &server::ByToken, mfa_enrolled: bool) {
    if invitation.role_requires_mfa() && !mfa_enrolled {
        leptos_axum::redirect("/settings/security?required=1&next=/");
    } else {
        leptos_axum::redirect("/");
    }
}

/// Accepts an invitation as the signed-in user, whose address must be the invited one, and
/// switches to the organization.
#[server(prefix = "/api", endpoint = "invitations/accept")]
pub async fn accept_invitation(token: String) -> Result<(), AppError> {
    let cx = guard_user(&ACCEPT).await?;
    let token = crate::input::token(&token)?;
    let mut tx = cx.state.db.begin().await?;
    let invitation = server::by_token(&mut tx, token).await?;
    server::accept(&mut tx, &invitation, &cx.access.user_id, &cx.access.email, cx.now).await?;
    session::set_active_org(&mut tx, &cx.session_id, Some(&invitation.org_id)).await?;
    let event = cx
        .event("team.invite_accept", Outcome::Allowed)
        .org(Some(&invitation.org_id))
        .target("invitation", &invitation.id)
        .metadata(json!({ "role": invitation.role_name, "new_account": false }));
    audit::record(&mut tx, &event, cx.now).await?;
    tx.commit().await?;
    after_joining(&invitation, cx.access.mfa_enrolled);
    Ok(())
}

/// Public: accepts an invitation by creating the invited account (name and password) and
/// signing it in. An address that already has an account is asked to sign in instead.
#[server(prefix = "/api", endpoint = "invitations/accept_new")]
pub async fn accept_invitation_new_account(token: String, name: String, password: String) -> Result<(), AppError> {
    // public: the token in the link is the capability, and the account is new.
    let state = app_state()?;
    let meta = RequestMeta::current(&state.config);
    let now = now();
    let token = crate::input::token(&token)?;
    let name = crate::auth::validate_person_name(&name)?;
    let invitation = {
        let mut conn = state.db.conn().await?;
        server::by_token(&mut conn, token).await?
    };
    invitation.check_open(now)?;
    crate::auth::password::check_new_password(&password, &invitation.email)
        .map_err(|p| AppError::invalid("password", p.message()))?;
    let hash = state.hasher.hash(&password).await?;
    let mut tx = state.db.begin().await?;
    let user_id =
        crate::auth::server::insert_user(&mut tx, &invitation.email, &name, &hash, now).await?.ok_or_else(|| {
            AppError::conflict(
                "email_taken",
                "An account with this address already exists: sign in, then open the link again.",
            )
        })?;
    server::accept(&mut tx, &invitation, &user_id, &invitation.email, now).await?;
    if let Some(old) = &meta.session_token {
        session::delete_by_token(&mut tx, old).await?;
    }
    let new_session =
        session::create(&mut tx, &state.config, &user_id, Some(&invitation.org_id), false, &meta, now).await?;
    audit::record(
        &mut tx,
        &Event::new("team.invite_accept", Actor::user(&user_id, &invitation.email), Outcome::Allowed)
            .org(Some(&invitation.org_id))
            .target("invitation", &invitation.id)
            .metadata(json!({ "role": invitation.role_name, "new_account": true }))
            .request(&meta),
        now,
    )
    .await?;
    tx.commit().await?;
    set_cookie(session::session_cookie(&state.config, &new_session.token));
    after_joining(&invitation, false);
    Ok(())
}
