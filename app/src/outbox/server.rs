//! Reading the outbox (server only).

use super::OutboxMessage;
use crate::db::Conn;
use crate::error::Result;
use crate::time::format_local;

/// The newest `limit` messages, newest first, as operators see them (`body` never holds a
/// message's secret: that is only in the sealed copy, which is not read here).
pub async fn newest(conn: &mut Conn, limit: i64) -> Result<Vec<OutboxMessage>> {
    let rows: Vec<(String, i64, String, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT id, created_at, to_addr, subject, body, sent_at FROM outbox ORDER BY created_at DESC, id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
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
