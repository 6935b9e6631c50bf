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

/// Messages a relay round sends at most, and attempts before a message is given up.
pub const RELAY_BATCH: i64 = 20;
pub const MAX_ATTEMPTS: i64 = 5;

/// The SMTP side of the outbox.
pub struct Relay {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

/// What a relay round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RelayReport {
    pub sent: usize,
    pub failed: usize,
}

impl Relay {
    /// From `GATEHOUSE_SMTP_URL` (lettre's URL form: `smtp://user:pass@host:587?tls=required`
    /// for STARTTLS, `smtps://user:pass@host:465` for TLS, `smtp://host:25` in the clear)
    /// and the sender. The error says what is wrong without repeating the URL (it may hold a
    /// password).
    pub fn new(url: &str, from: &str) -> Result<Relay, String> {
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .map_err(|e| format!("not a usable SMTP URL ({e})"))?
            .build();
        let from = from.parse().map_err(|_| "GATEHOUSE_MAIL_FROM is not an email address".to_string())?;
        Ok(Relay { transport, from })
    }

    /// Sends up to `RELAY_BATCH` unsent messages, oldest first. Each is claimed by bumping
    /// its attempt count (so two servers never send one message twice), marked sent on
    /// success, and kept with the error otherwise, until `MAX_ATTEMPTS`.
    pub async fn send_pending(&self, db: &crate::db::Db, now: i64) -> Result<RelayReport, sqlx::Error> {
        use lettre::AsyncTransport;
        let mut conn = db.conn().await?;
        let pending: Vec<(String, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, to_addr, subject, body, attempts FROM outbox WHERE sent_at IS NULL AND attempts < $1 \
             ORDER BY created_at, id LIMIT $2",
        )
        .bind(MAX_ATTEMPTS)
        .bind(RELAY_BATCH)
        .fetch_all(&mut *conn)
        .await?;
        let mut report = RelayReport::default();
        for (id, to, subject, body, attempts) in pending {
            let claimed =
                sqlx::query("UPDATE outbox SET attempts = $1 WHERE id = $2 AND attempts = $3 AND sent_at IS NULL")
                    .bind(attempts + 1)
                    .bind(&id)
                    .bind(attempts)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
            if claimed == 0 {
                continue;
            }
            let message = to.parse().map_err(|e: lettre::address::AddressError| e.to_string()).and_then(|to| {
                lettre::Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(subject)
                    .header(lettre::message::header::ContentType::TEXT_PLAIN)
                    .body(body)
                    .map_err(|e| e.to_string())
            });
            let outcome = match message {
                Ok(message) => self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
                Err(error) => Err(error),
            };
            match outcome {
                Ok(()) => {
                    sqlx::query("UPDATE outbox SET sent_at = $1, last_error = NULL WHERE id = $2")
                        .bind(now)
                        .bind(&id)
                        .execute(&mut *conn)
                        .await?;
                    tracing::info!(outbox_id = %id, "email relayed");
                    report.sent += 1;
                }
                Err(error) => {
                    let error: String = error.chars().take(500).collect();
                    sqlx::query("UPDATE outbox SET last_error = $1 WHERE id = $2")
                        .bind(&error)
                        .bind(&id)
                        .execute(&mut *conn)
                        .await?;
                    tracing::warn!(outbox_id = %id, attempt = attempts + 1, %error, "email relay failed");
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }
}
