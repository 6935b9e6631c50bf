//! API key server functions: list, make (the secret is in the answer, once) and revoke.

use super::{CreatedKey, KeysPage};
use crate::access::{Permission, Requirement};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::{API_SCOPES, ScopeChoice, server},
    crate::access::guard,
    crate::time::format_local,
    serde_json::json,
};

/// Listing and revoking the organization's keys.
pub const API_KEYS_MANAGE: Requirement = Requirement::all(&[Permission::ApiKeysManage]);

/// Making a key: also a fresh verification (step-up), since a key outlives the session and
/// counts as verified wherever step-up guards data.
pub const API_KEYS_CREATE: Requirement = API_KEYS_MANAGE.with_step_up();

/// The organization's keys, and the scopes the caller may give a new one.
#[server(prefix = "/api", endpoint = "api_keys")]
pub async fn list_api_keys() -> Result<KeysPage, AppError> {
    let cx = guard(&API_KEYS_MANAGE).await?;
    let mut conn = cx.state.db.conn().await?;
    let keys = server::list(&mut conn, cx.org_id(), &cx.org.timezone, cx.now).await?;
    let scopes = API_SCOPES
        .intersection(cx.access.delegable)
        .iter()
        .map(|p| ScopeChoice { key: p.key().to_string(), label: p.label().to_string() })
        .collect();
    Ok(KeysPage { keys, scopes })
}

/// Makes a key acting for the caller with `scopes` (each indexed by its place in the form,
/// `scopes[3]=orders.read`), within the caller's role, for `days` (90 when empty, at most
/// 366). The answer holds the key: it is never shown again.
#[server(prefix = "/api", endpoint = "api_keys/create")]
pub async fn create_api_key(
    name: String,
    #[server(default)] scopes: Vec<String>,
    days: String,
) -> Result<CreatedKey, AppError> {
    let cx = guard(&API_KEYS_CREATE).await?;
    let key = server::NewKey::parse(&name, &scopes, &days, cx.access.delegable)?;
    let mut tx = cx.state.db.begin().await?;
    let made = server::create(&mut tx, cx.org_id(), cx.user_id(), &key, cx.now).await?;
    let scopes: Vec<String> = key.scopes.iter().map(|p| p.key().to_string()).collect();
    let metadata = json!({ "name": key.name, "scopes": scopes, "expires_at": made.expires_at });
    cx.audit(&mut tx, "api_key.create", ("api_key", &made.id), metadata).await?;
    tx.commit().await?;
    Ok(CreatedKey {
        id: made.id,
        name: key.name,
        secret: made.secret,
        expires: format_local(made.expires_at, &cx.org.timezone),
        scopes,
    })
}

/// Revokes a key of the organization at once.
#[server(prefix = "/api", endpoint = "api_keys/revoke")]
pub async fn revoke_api_key(key_id: String) -> Result<(), AppError> {
    let cx = guard(&API_KEYS_MANAGE).await?;
    let key_id = crate::input::id(&key_id)?;
    let mut tx = cx.state.db.begin().await?;
    let reason = format!("revoked by {}", cx.access.email);
    let name = server::revoke(&mut tx, cx.org_id(), &key_id, &reason, cx.now).await?;
    cx.audit(&mut tx, "api_key.revoke", ("api_key", &key_id), json!({ "name": name })).await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/api-keys?done=revoked");
    Ok(())
}
