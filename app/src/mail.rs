//! Email goes through the `outbox` table (DESIGN §5): written in the transaction of the
//! action that sends it, then relayed by SMTP (`GATEHOUSE_SMTP_URL`) or into a folder of
//! `.eml` files (`GATEHOUSE_MAIL_DIR`, for demos and tests).
//!
//! A message carrying a secret (an invitation link, a sign-up link, a one-time code) is
//! stored twice: a copy with the secret replaced by [`HIDDEN`], which is all operators ever
//! see, and the full text sealed with the server key, which only the relay opens. Once the
//! message is sent, or its secret has expired, the sealed copy is deleted: a database copy
//! or an operator account yields no live link. Log lines name a message, never its body.

use crate::config::SecretKey;
use crate::crypto;
use crate::db::{Conn, new_id};

/// What operators see where a message's secret was.
pub const HIDDEN: &str = "[hidden: only the recipient can see this]";

/// What a message is, for caps and for the operators' list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Invitation,
    SignUp,
    StepUpCode,
    Notice,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Invitation => "invitation",
            Kind::SignUp => "sign_up",
            Kind::StepUpCode => "step_up_code",
            Kind::Notice => "notice",
        }
    }
}

/// A message to queue.
pub struct Mail<'a> {
    pub kind: Kind,
    pub org_id: Option<&'a str>,
    pub to: &'a str,
    pub subject: String,
    pub body: String,
    /// The link or code in `body` that only the recipient may see, and when it stops working.
    pub secret: Option<(&'a str, i64)>,
}

// A body may hold a secret: never printed.
impl std::fmt::Debug for Mail<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail").field("to", &self.to).field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// Queues `mail`; returns its id.
pub async fn enqueue(conn: &mut Conn, key: &SecretKey, mail: &Mail<'_>, now: i64) -> Result<String, sqlx::Error> {
    let id = new_id();
    let (body, sealed, expires_at) = match mail.secret {
        Some((secret, expires_at)) if !secret.is_empty() => (
            mail.body.replace(secret, HIDDEN),
            Some(crypto::seal(key, &sealed_owner(&id), mail.body.as_bytes())),
            Some(expires_at),
        ),
        _ => (mail.body.clone(), None, None),
    };
    sqlx::query(
        "INSERT INTO outbox (id, kind, org_id, to_addr, subject, body, sealed_body, secret_expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(mail.kind.as_str())
    .bind(mail.org_id)
    .bind(mail.to)
    .bind(&mail.subject)
    .bind(&body)
    .bind(sealed)
    .bind(expires_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    tracing::info!(outbox_id = %id, to = mail.to, subject = %mail.subject, "email queued in the outbox");
    Ok(id)
}

/// The associated data of a sealed body: its message, so it cannot be moved to another.
fn sealed_owner(id: &str) -> String {
    format!("outbox:{id}")
}

/// The full text of message `id` from its sealed copy (the relay; tests that play the
/// recipient). `None` when it does not open with `key`.
pub fn open_sealed(key: &SecretKey, id: &str, sealed: &str) -> Option<String> {
    crypto::open(key, &sealed_owner(id), sealed).ok().and_then(|bytes| String::from_utf8(bytes).ok())
}

/// Deletes the sealed copies of secrets that expired before they were sent; returns how many.
pub async fn purge_expired_secrets(conn: &mut Conn, now: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE outbox SET sealed_body = NULL, last_error = COALESCE(last_error, 'its link or code expired unsent') \
         WHERE sealed_body IS NOT NULL AND secret_expires_at <= $1",
    )
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Messages a relay round sends at most, and attempts before a message is given up.
pub const RELAY_BATCH: i64 = 20;
pub const MAX_ATTEMPTS: i64 = 5;

/// Where the relay delivers.
enum Transport {
    Smtp(lettre::AsyncSmtpTransport<lettre::Tokio1Executor>),
    /// One `.eml` file per message in a folder.
    Folder(lettre::AsyncFileTransport<lettre::Tokio1Executor>),
}

/// The delivering side of the outbox.
pub struct Relay {
    transport: Transport,
    from: lettre::message::Mailbox,
    key: SecretKey,
}

/// What a relay round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RelayReport {
    pub sent: usize,
    pub failed: usize,
}

#[derive(sqlx::FromRow)]
struct Pending {
    id: String,
    to_addr: String,
    subject: String,
    body: String,
    sealed_body: Option<String>,
    secret_expires_at: Option<i64>,
    attempts: i64,
}

impl Relay {
    /// By SMTP, from `GATEHOUSE_SMTP_URL` (lettre's URL form: `smtp://user:pass@host:587?tls=required`
    /// for STARTTLS, `smtps://user:pass@host:465` for TLS, `smtp://host:25` in the clear),
    /// with the sender and the key that opens sealed bodies. The error says what is wrong
    /// without repeating the URL (it may hold a password).
    pub fn smtp(url: &str, from: &str, key: &SecretKey) -> Result<Relay, String> {
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .map_err(|e| format!("not a usable SMTP URL ({e})"))?
            .build();
        Relay::new(Transport::Smtp(transport), from, key)
    }

    /// Into the folder `dir` (created if missing), one `.eml` file per message.
    pub fn folder(dir: &str, from: &str, key: &SecretKey) -> Result<Relay, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {dir}: {e}"))?;
        Relay::new(Transport::Folder(lettre::AsyncFileTransport::new(dir)), from, key)
    }

    fn new(transport: Transport, from: &str, key: &SecretKey) -> Result<Relay, String> {
        let from = from.parse().map_err(|_| "GATEHOUSE_MAIL_FROM is not an email address".to_string())?;
        Ok(Relay { transport, from, key: key.clone() })
    }

    /// Sends up to `RELAY_BATCH` unsent messages, oldest first. Each is claimed by bumping
    /// its attempt count (so two servers never send one message twice), marked sent on
    /// success (its sealed copy deleted), and kept with the error otherwise, until
    /// `MAX_ATTEMPTS`. A message whose secret expired is not sent.
    pub async fn send_pending(&self, db: &crate::db::Db, now: i64) -> Result<RelayReport, sqlx::Error> {
        let mut conn = db.conn().await?;
        let pending: Vec<Pending> = sqlx::query_as(
            "SELECT id, to_addr, subject, body, sealed_body, secret_expires_at, attempts FROM outbox \
             WHERE sent_at IS NULL AND attempts < $1 AND (secret_expires_at IS NULL OR secret_expires_at > $2) \
             ORDER BY created_at, id LIMIT $3",
        )
        .bind(MAX_ATTEMPTS)
        .bind(now)
        .bind(RELAY_BATCH)
        .fetch_all(&mut *conn)
        .await?;
        let mut report = RelayReport::default();
        for message in pending {
            let claimed =
                sqlx::query("UPDATE outbox SET attempts = $1 WHERE id = $2 AND attempts = $3 AND sent_at IS NULL")
                    .bind(message.attempts + 1)
                    .bind(&message.id)
                    .bind(message.attempts)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
            if claimed == 0 {
                continue;
            }
            let id = message.id.clone();
            let attempt = message.attempts + 1;
            match self.deliver(message).await {
                Ok(()) => {
                    sqlx::query("UPDATE outbox SET sent_at = $1, last_error = NULL, sealed_body = NULL WHERE id = $2")
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
                    tracing::warn!(outbox_id = %id, attempt, %error, "email relay failed");
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }

    async fn deliver(&self, message: Pending) -> Result<(), String> {
        use lettre::AsyncTransport;
        let body = match (&message.sealed_body, message.secret_expires_at) {
            (Some(sealed), _) => open_sealed(&self.key, &message.id, sealed)
                .ok_or("its sealed body does not open with this server's key")?,
            // Sent already, or expired: the secret is gone, and so is the reason to send.
            (None, Some(_)) => return Err("its link or code is gone".into()),
            (None, None) => message.body,
        };
        let to = message.to_addr.parse().map_err(|e: lettre::address::AddressError| e.to_string())?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(email).await.map(|_| ()).map_err(|e| e.to_string()),
            Transport::Folder(folder) => folder.send(email).await.map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}
