//! The operators' outbox reader.

use crate::access::{Permission, Requirement};
use crate::error::AppError;
use leptos::prelude::*;

pub use super::OutboxMessage;
#[cfg(feature = "ssr")]
use {crate::access::guard_user, crate::audit::Outcome};

/// Platform staff who may see every organization, MFA-verified.
pub const OUTBOX_READ: Requirement = Requirement::platform(&[Permission::PlatformTenantsRead]).with_mfa();

/// The newest 100 messages, newest first. Reading them is audited.
#[server(prefix = "/api", endpoint = "admin/outbox")]
pub async fn list_outbox() -> Result<Vec<OutboxMessage>, AppError> {
    let cx = guard_user(&OUTBOX_READ).await?;
    let messages = {
        let mut conn = cx.state.db.conn().await?;
        super::server::newest(&mut conn, 100).await?
    };
    let event =
        cx.event("platform.outbox.view", Outcome::Allowed).metadata(serde_json::json!({ "messages": messages.len() }));
    cx.state.reads.record(event, cx.now).await?;
    Ok(messages)
}
