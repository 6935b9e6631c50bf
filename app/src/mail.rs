//! Email goes through the `outbox` table (DESIGN §5): written in the transaction of the
//! action that sends it, relayed by SMTP when one is configured, readable by operators
//! otherwise. Log lines name the message, never its body (it may hold a code or a link).

use crate::db::{Conn, new_id};

/// Queues a message; returns its id.
pub async fn enqueue(
    conn: &mut Conn,
    org_id: Option<&str>,
    to: &str,
    subject: &str,
    body: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    let id = new_id();
    sqlx::query("INSERT INTO outbox (id, org_id, to_addr, subject, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(org_id)
        .bind(to)
        .bind(subject)
        .bind(body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    tracing::info!(outbox_id = %id, to, subject, "email queued in the outbox");
    Ok(id)
}
