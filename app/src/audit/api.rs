//! Audit log server functions (their wire types are in `types`).

pub use super::types::{AuditEventView, AuditFilter, AuditPage};
use crate::access::{Permission, Requirement};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::Outcome, crate::access::guard};

/// Browsing the organization's audit log.
pub const AUDIT_READ: Requirement = Requirement::all(&[Permission::AuditRead]);
/// Downloading it as CSV.
pub const AUDIT_EXPORT: Requirement = Requirement::all(&[Permission::AuditExport]);

/// The CSV export: a plain form POST (the browser downloads the answer), not a server
/// function, so it is routed by the server and listed in the endpoint table by this path.
pub const EXPORT_PATH: &str = "/api/audit/export";

/// Events shown per page.
pub const PAGE_SIZE: usize = 50;

/// A page of the active organization's audit log, newest first. Requires `audit.read`;
/// reading the log is itself audited.
#[server(prefix = "/api", endpoint = "audit/events")]
pub async fn list_audit_events(filter: AuditFilter, before: Option<i64>) -> Result<AuditPage, AppError> {
    let cx = guard(&AUDIT_READ).await?;
    let parsed = super::server::ParsedFilter::parse(&filter, &cx.org.timezone)?;
    let page = {
        let mut conn = cx.state.db.conn().await?;
        super::server::page(&mut conn, cx.org_id(), &cx.org.timezone, &parsed, before, PAGE_SIZE).await?
    };
    let event =
        cx.event("audit.view", Outcome::Allowed).metadata(serde_json::json!({ "filter": filter, "before": before }));
    cx.state.reads.record(event, cx.now).await?;
    Ok(page)
}

/// Changing how long the log is kept: an organization setting.
pub const AUDIT_RETENTION: Requirement = Requirement::all(&[Permission::OrgSettingsManage]);

/// The signed checkpoint download: a plain form post, like the export.
pub const CHECKPOINT_PATH: &str = "/api/audit/checkpoint";

/// How long the active organization keeps its audit log. Requires `audit.read`.
#[server(prefix = "/api", endpoint = "audit/retention")]
pub async fn get_audit_retention() -> Result<i64, AppError> {
    let cx = guard(&AUDIT_READ).await?;
    let mut conn = cx.state.db.conn().await?;
    super::server::retention_days(&mut conn, cx.org_id()).await
}

/// Keeps the active organization's audit log for `days` days (90 to 3,650); older events
/// are pruned, leaving a checkpoint that keeps the chain verifiable. Requires
/// `org.settings.manage`. Reloads the audit page.
#[server(prefix = "/api", endpoint = "audit/retention/set")]
pub async fn set_audit_retention(days: String) -> Result<(), AppError> {
    let cx = guard(&AUDIT_RETENTION).await?;
    let days = super::retention::parse_retention_days(&days)?;
    let mut tx = cx.state.db.begin().await?;
    let before = super::server::set_retention_days(&mut tx, cx.org_id(), days).await?;
    cx.audit(
        &mut tx,
        "audit.retention_change",
        ("organization", cx.org_id()),
        serde_json::json!({ "before": before, "after": days }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/audit?done=retention");
    Ok(())
}
