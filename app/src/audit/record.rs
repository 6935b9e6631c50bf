//! Writing audit events.

use super::Outcome;
use super::chain::{GENESIS, HashedEvent, event_hash};
use crate::db::{Conn, new_id};
use crate::request::RequestMeta;

/// The chain of events that belong to no organization (failed sign-ins of unknown
/// accounts, platform staff actions).
pub const PLATFORM_CHAIN: &str = "platform";

/// Who acted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User {
        id: String,
        label: String,
    },
    ApiKey {
        id: String,
        label: String,
    },
    System,
    /// Not signed in; the label is what they claimed to be (an email), if anything.
    Anonymous {
        label: String,
    },
}

impl Actor {
    pub fn user(id: &str, email: &str) -> Actor {
        Actor::User { id: id.to_string(), label: email.to_string() }
    }

    fn parts(&self) -> (&'static str, Option<&str>, &str) {
        match self {
            Actor::User { id, label } => ("user", Some(id), label),
            Actor::ApiKey { id, label } => ("api_key", Some(id), label),
            Actor::System => ("system", None, "system"),
            Actor::Anonymous { label } => ("anonymous", None, label),
        }
    }
}

/// One audit event, built with the setters and written with [`record`].
#[derive(Clone, Debug)]
pub struct Event {
    pub org_id: Option<String>,
    pub actor: Actor,
    pub action: String,
    pub target: Option<(String, String)>,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub metadata: serde_json::Value,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Event {
    /// An event `action` (dotted, e.g. `auth.sign_in`) by `actor` with `outcome`.
    pub fn new(action: &str, actor: Actor, outcome: Outcome) -> Event {
        Event {
            org_id: None,
            actor,
            action: action.to_string(),
            target: None,
            outcome,
            reason: None,
            metadata: serde_json::Value::Object(Default::default()),
            ip: None,
            user_agent: None,
        }
    }

    pub fn org(mut self, org_id: Option<&str>) -> Event {
        self.org_id = org_id.map(str::to_string);
        self
    }

    pub fn target(mut self, kind: &str, id: &str) -> Event {
        self.target = Some((kind.to_string(), id.to_string()));
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Event {
        self.reason = Some(reason.into());
        self
    }

    pub fn metadata(mut self, metadata: serde_json::Value) -> Event {
        self.metadata = metadata;
        self
    }

    /// Client address and user agent of the request.
    pub fn request(mut self, meta: &RequestMeta) -> Event {
        self.ip = meta.ip.clone();
        self.user_agent = meta.user_agent.clone();
        self
    }
}

/// Appends `event` to its organization's chain (or the platform chain) on `conn`, which
/// should be the transaction of the change being audited: two statements (advance the head,
/// insert the event; the insert's trigger moves the head's hash). Concurrent writers to one
/// chain are serialized by the chain head row: PostgreSQL locks it for the `UPDATE`, SQLite
/// holds the database write lock.
pub async fn record(conn: &mut Conn, event: &Event, now: i64) -> Result<(), sqlx::Error> {
    let chain = event.org_id.as_deref().unwrap_or(PLATFORM_CHAIN);
    let advance = || {
        sqlx::query_as::<_, (i64, String)>(
            "UPDATE audit_chains SET seq = seq + 1 WHERE chain = $1 RETURNING seq, last_hash",
        )
        .bind(chain)
    };
    // A chain has no head before its first event: the first writer creates it (once, however
    // many race to it) and advances it like everyone else.
    let (seq, prev_hash) = match advance().fetch_optional(&mut *conn).await? {
        Some(head) => head,
        None => {
            sqlx::query(
                "INSERT INTO audit_chains (chain, seq, last_hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO NOTHING",
            )
            .bind(chain)
            .bind(GENESIS)
            .execute(&mut *conn)
            .await?;
            advance().fetch_one(&mut *conn).await?
        }
    };
    let id = new_id();
    let metadata = event.metadata.to_string();
    let (actor_type, actor_id, actor_label) = event.actor.parts();
    let hashed = HashedEvent {
        chain,
        seq,
        id: &id,
        org_id: event.org_id.as_deref(),
        actor_type,
        actor_id,
        actor_label,
        action: &event.action,
        target_type: event.target.as_ref().map(|t| t.0.as_str()),
        target_id: event.target.as_ref().map(|t| t.1.as_str()),
        outcome: event.outcome.as_str(),
        reason: event.reason.as_deref(),
        metadata: &metadata,
        ip: event.ip.as_deref(),
        user_agent: event.user_agent.as_deref(),
        created_at: now,
    };
    let hash = event_hash(&prev_hash, &hashed);
    sqlx::query(
        "INSERT INTO audit_events (id, chain, seq, org_id, actor_type, actor_id, actor_label, action, \
         target_type, target_id, outcome, reason, metadata, ip, user_agent, created_at, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(&id)
    .bind(chain)
    .bind(seq)
    .bind(hashed.org_id)
    .bind(actor_type)
    .bind(actor_id)
    .bind(actor_label)
    .bind(hashed.action)
    .bind(hashed.target_type)
    .bind(hashed.target_id)
    .bind(hashed.outcome)
    .bind(hashed.reason)
    .bind(&metadata)
    .bind(hashed.ip)
    .bind(hashed.user_agent)
    .bind(now)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    // The chain's head now carries this event's hash (trigger `audit_events_chain_head`).
    Ok(())
}
