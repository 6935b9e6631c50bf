//! Role catalog server functions (their wire types are in `types`).

pub use super::types::RoleView;
use crate::access::{Permission, Requirement};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {crate::access::guard, serde_json::json};

/// Reading the catalog.
pub const ROLES_READ: Requirement = Requirement::all(&[Permission::RolesRead]);
/// Creating, editing and deleting custom roles.
pub const ROLES_MANAGE: Requirement = Requirement::all(&[Permission::RolesManage]);

/// Every role of the organization. Requires `roles.read`.
#[server(prefix = "/api", endpoint = "roles/list")]
pub async fn list_roles() -> Result<Vec<RoleView>, AppError> {
    let cx = guard(&ROLES_READ).await?;
    let mut conn = cx.state.db.conn().await?;
    super::server::list(&mut conn, cx.org_id()).await
}

/// Creates a custom role, starting from another role's permissions, then reloads the
/// catalog. Requires `roles.manage`.
#[server(prefix = "/api", endpoint = "roles/create")]
pub async fn create_role(name: String, description: String, template_id: Option<String>) -> Result<(), AppError> {
    let cx = guard(&ROLES_MANAGE).await?;
    let template_id = crate::input::optional_id(template_id.as_deref())?;
    let mut tx = cx.state.db.begin().await?;
    let role =
        super::server::create(&mut tx, &cx.access, cx.org_id(), &name, &description, template_id.as_deref(), cx.now)
            .await?;
    cx.audit(&mut tx, "roles.create", ("role", &role.id), json!({ "name": role.name, "after": role.permissions }))
        .await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/roles?done=created");
    Ok(())
}

/// Adds (`enabled` = `true`) or removes (`false`) a permission of a custom role. Requires
/// `roles.manage`; members holding the role get the change on their next request. Reloads
/// the catalog.
#[server(prefix = "/api", endpoint = "roles/permission")]
pub async fn set_role_permission(role_id: String, permission: String, enabled: String) -> Result<(), AppError> {
    let cx = guard(&ROLES_MANAGE).await?;
    let role_id = crate::input::id(&role_id)?;
    let enabled = crate::input::flag("enabled", &enabled)?;
    let mut tx = cx.state.db.begin().await?;
    let (role, before) =
        super::server::set_permission(&mut tx, &cx.access, cx.org_id(), &role_id, &permission, enabled, cx.now).await?;
    cx.audit(
        &mut tx,
        "roles.update",
        ("role", &role.id),
        json!({ "name": role.name, "before": before, "after": role.permissions }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/roles?done=updated");
    Ok(())
}

/// Deletes an unused custom role, then reloads the catalog. Requires `roles.manage`.
#[server(prefix = "/api", endpoint = "roles/delete")]
pub async fn delete_role(role_id: String) -> Result<(), AppError> {
    let cx = guard(&ROLES_MANAGE).await?;
    let role_id = crate::input::id(&role_id)?;
    let mut tx = cx.state.db.begin().await?;
    let name = super::server::delete(&mut tx, cx.org_id(), &role_id).await?;
    cx.audit(&mut tx, "roles.delete", ("role", &role_id), json!({ "name": name })).await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/roles?done=deleted");
    Ok(())
}
