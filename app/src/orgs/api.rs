//! Organization server functions and their wire types.

use crate::access::{Permission, Requirement};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    super::server::{self, SettingsInput},
    crate::access::{guard, guard_user},
    crate::audit::{self, Outcome},
    serde_json::json,
};

/// An organization's settings as the settings and onboarding pages show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSettings {
    pub name: String,
    pub slug: String,
    pub timezone: String,
    pub currency: String,
    pub onboarding_complete: bool,
    /// Every IANA timezone name, for the picker.
    pub timezones: Vec<String>,
}

/// Reading and changing the organization's settings, and finishing onboarding.
pub const ORG_SETTINGS: Requirement = Requirement::all(&[Permission::OrgSettingsManage]);

/// Switching to one of one's own organizations (membership is checked in the query).
pub const SWITCH_ORG: Requirement = Requirement::SIGNED_IN;

/// Any signed-in user may create an organization of their own.
pub const CREATE_ORG: Requirement = Requirement::SIGNED_IN;

/// Makes `org_id` the session's active organization. Not a member: 404.
#[server(prefix = "/api", endpoint = "orgs/switch")]
pub async fn switch_org(org_id: String) -> Result<(), AppError> {
    let cx = guard_user(&SWITCH_ORG).await?;
    let org_id = crate::input::id(&org_id)?;
    let mut tx = cx.state.db.begin().await?;
    let membership_id = server::membership_id(&mut tx, &cx.access.user_id, &org_id).await?;
    crate::auth::session::set_active_org(&mut tx, &cx.session_id, Some(&org_id)).await?;
    server::mark_active(&mut tx, &membership_id, cx.now).await?;
    let event = cx.event("org.switch", Outcome::Allowed).org(Some(&org_id)).target("organization", &org_id);
    audit::record(&mut tx, &event, cx.now).await?;
    tx.commit().await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// The active organization's settings. Requires `org.settings.manage`.
#[server(prefix = "/api", endpoint = "orgs/settings")]
pub async fn get_org_settings() -> Result<OrgSettings, AppError> {
    let cx = guard(&ORG_SETTINGS).await?;
    let mut conn = cx.state.db.conn().await?;
    let org = server::find(&mut conn, cx.org_id()).await?;
    Ok(OrgSettings {
        name: org.name,
        slug: org.slug,
        timezone: org.timezone,
        currency: org.currency,
        onboarding_complete: org.onboarding_state == "complete",
        timezones: server::timezone_names(),
    })
}

#[cfg(feature = "ssr")]
async fn save_settings(
    cx: crate::access::Ctx,
    name: String,
    timezone: String,
    currency: String,
    complete_onboarding: bool,
) -> Result<(), AppError> {
    let input = SettingsInput::parse(&name, &timezone, &currency)?;
    let mut tx = cx.state.db.begin().await?;
    let (before, after) = server::update_settings(&mut tx, cx.org_id(), &input, complete_onboarding, cx.now).await?;
    let action = if complete_onboarding { "org.onboarding.complete" } else { "org.settings.update" };
    cx.audit(&mut tx, action, ("organization", cx.org_id()), json!({ "before": before, "after": after })).await?;
    tx.commit().await?;
    Ok(())
}

/// Saves name, timezone and currency, then reloads the settings page (the name shows in the
/// header). Requires `org.settings.manage`.
#[server(prefix = "/api", endpoint = "orgs/settings/update")]
pub async fn update_org_settings(name: String, timezone: String, currency: String) -> Result<(), AppError> {
    let cx = guard(&ORG_SETTINGS).await?;
    save_settings(cx, name, timezone, currency, false).await?;
    leptos_axum::redirect("/settings/organization?done=settings");
    Ok(())
}

/// Saves the settings and opens the workspace to every member. Requires `org.settings.manage`.
#[server(prefix = "/api", endpoint = "orgs/onboarding/complete")]
pub async fn complete_onboarding(name: String, timezone: String, currency: String) -> Result<(), AppError> {
    let cx = guard(&ORG_SETTINGS).await?;
    save_settings(cx, name, timezone, currency, true).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Creates another organization owned by the caller and switches to it.
#[server(prefix = "/api", endpoint = "orgs/create")]
pub async fn create_organization(name: String) -> Result<(), AppError> {
    let cx = guard_user(&CREATE_ORG).await?;
    crate::auth::server::create_org(
        &cx.state.db,
        &cx.access.user_id,
        &cx.access.email,
        &cx.session_id,
        &name,
        &cx.meta,
        cx.now,
    )
    .await?;
    leptos_axum::redirect("/onboarding");
    Ok(())
}
