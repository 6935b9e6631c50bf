//! The operators' outbox reader.

use crate::access::{Permission, Requirement};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    crate::access::guard_user,
    crate::audit::{self, Actor, Event, Outcome},
    crate::time::format_local,
};

/// Platform staff who may see every organization, MFA-verified (messages hold sign-in codes
/// and invitation links).
pub const OUTBOX_READ: Requirement = Requirement::platform(&[Permission::PlatformTenantsRead]).with_mfa();

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: String,
    /// UTC.
    pub created: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub sent: bool,
}

/// The newest 100 messages, newest first. Reading them is audited.
#[server(prefix = "/api", endpoint = "admin/outbox")]
pub async fn list_outbox() -> Result<Vec<OutboxMessage>, AppError> {
    let cx = guard_user(&OUTBOX_READ).await?;
    let rows: Vec<(String, i64, String, String, String, Option<i64>)> = {
        let mut conn = cx.state.db.conn().await?;
        sqlx::query_as(
            "SELECT id, created_at, to_addr, subject, body, sent_at FROM outbox ORDER BY created_at DESC, id LIMIT 100",
        )
        .fetch_all(&mut *conn)
        .await?
    };
    let mut tx = cx.state.db.begin().await?;
    audit::record(
        &mut tx,
        &Event::new("platform.outbox.view", Actor::user(&cx.access.user_id, &cx.access.email), Outcome::Allowed)
            .metadata(serde_json::json!({ "messages": rows.len() }))
            .request(&cx.meta),
        cx.now,
    )
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(id, created, to, subject, body, sent_at)| OutboxMessage {
            id,
            created: format_local(created, "UTC"),
            to,
            subject,
            body,
            sent: sent_at.is_some(),
        })
        .collect())
}
