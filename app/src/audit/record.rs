//! Writing audit events.

use super::Outcome;
use super::chain::{GENESIS, HashedEvent, event_hash};
use crate::db::{Conn, new_id};
use crate::request::RequestMeta;
use std::sync::LazyLock;

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
    record_all(conn, &[(event, now)]).await
}

/// Appends `events` (each with its time), in their order, to their chains on `conn`, by a few
/// statements per chain however many events it gets: its head advanced past all of them at
/// once, then inserts of up to 16 of them each (the trigger moves the head's hash at the
/// last one). What [`record`] does for one event, for the audited reads written together on
/// PostgreSQL.
pub async fn record_all(conn: &mut Conn, events: &[(&Event, i64)]) -> Result<(), sqlx::Error> {
    let mut chains: Vec<(&str, Vec<(&Event, i64)>)> = Vec::new();
    for &(event, now) in events {
        let chain = event.org_id.as_deref().unwrap_or(PLATFORM_CHAIN);
        match chains.iter_mut().find(|(c, _)| *c == chain) {
            Some((_, same)) => same.push((event, now)),
            None => chains.push((chain, vec![(event, now)])),
        }
    }
    for (chain, events) in chains {
        append(conn, chain, &events).await?;
    }
    Ok(())
}

/// The columns of `audit_events`, in the order [`append`] binds them.
const COLUMNS: usize = 18;

/// Appends `events` to `chain`: its head advanced by their number, then the inserts.
async fn append(conn: &mut Conn, chain: &str, events: &[(&Event, i64)]) -> Result<(), sqlx::Error> {
    let count = events.len() as i64;
    let advance = || {
        sqlx::query_as::<_, (i64, String)>(
            "UPDATE audit_chains SET seq = seq + $2 WHERE chain = $1 RETURNING seq, last_hash",
        )
        .bind(chain)
        .bind(count)
    };
    // A chain has no head before its first event: the first writer creates it (once, however
    // many race to it) and advances it like everyone else.
    let (last_seq, mut prev_hash) = match advance().fetch_optional(&mut *conn).await? {
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
    struct Row {
        id: String,
        seq: i64,
        metadata: String,
        prev_hash: String,
        hash: String,
    }
    let mut rows = Vec::with_capacity(events.len());
    for (n, &(event, now)) in events.iter().enumerate() {
        let (id, seq, metadata) = (new_id(), last_seq - count + 1 + n as i64, event.metadata.to_string());
        let hash = event_hash(&prev_hash, &hashed(chain, seq, &id, event, &metadata, now));
        rows.push(Row { id, seq, metadata, prev_hash: std::mem::replace(&mut prev_hash, hash.clone()), hash });
    }
    // By inserts of 16, 8, 4, 2 or 1 rows: a handful of statements, each kept prepared on
    // the connection like any other (a statement for each batch size would be prepared anew
    // for nearly every batch). Larger ones would save a statement or two and weigh on every
    // connection that keeps them.
    let mut rest = rows.iter().zip(events);
    let mut left = events.len();
    while left > 0 {
        let size = INSERT_SIZES.into_iter().find(|size| *size <= left).unwrap_or(1);
        left -= size;
        let mut insert = sqlx::query(insert_sql(size));
        for (row, &(event, now)) in rest.by_ref().take(size) {
            let h = hashed(chain, row.seq, &row.id, event, &row.metadata, now);
            insert = insert
                .bind(h.id)
                .bind(h.chain)
                .bind(h.seq)
                .bind(h.org_id)
                .bind(h.actor_type)
                .bind(h.actor_id)
                .bind(h.actor_label)
                .bind(h.action)
                .bind(h.target_type)
                .bind(h.target_id)
                .bind(h.outcome)
                .bind(h.reason)
                .bind(h.metadata)
                .bind(h.ip)
                .bind(h.user_agent)
                .bind(now)
                .bind(&row.prev_hash)
                .bind(&row.hash);
        }
        insert.execute(&mut *conn).await?;
    }
    // The chain's head now carries the last event's hash (trigger `audit_events_chain_head`).
    Ok(())
}

/// The stored fields of `event` as the chain hashes them.
fn hashed<'a>(
    chain: &'a str,
    seq: i64,
    id: &'a str,
    event: &'a Event,
    metadata: &'a str,
    created_at: i64,
) -> HashedEvent<'a> {
    let (actor_type, actor_id, actor_label) = event.actor.parts();
    HashedEvent {
        chain,
        seq,
        id,
        org_id: event.org_id.as_deref(),
        actor_type,
        actor_id,
        actor_label,
        action: &event.action,
        target_type: event.target.as_ref().map(|t| t.0.as_str()),
        target_id: event.target.as_ref().map(|t| t.1.as_str()),
        outcome: event.outcome.as_str(),
        reason: event.reason.as_deref(),
        metadata,
        ip: event.ip.as_deref(),
        user_agent: event.user_agent.as_deref(),
        created_at,
    }
}

/// The row counts of the inserts [`append`] writes, largest first (1 must be last).
const INSERT_SIZES: [usize; 5] = [16, 8, 4, 2, 1];

/// `INSERT INTO audit_events … VALUES` with `rows` rows of placeholders (one of
/// [`INSERT_SIZES`]; each made once per process).
fn insert_sql(rows: usize) -> &'static str {
    static SQL: LazyLock<Vec<String>> = LazyLock::new(|| INSERT_SIZES.iter().map(|rows| values(*rows)).collect());
    let at = INSERT_SIZES.iter().position(|size| *size == rows).unwrap_or(INSERT_SIZES.len() - 1);
    &SQL[at]
}

fn values(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO audit_events (id, chain, seq, org_id, actor_type, actor_id, actor_label, action, \
         target_type, target_id, outcome, reason, metadata, ip, user_agent, created_at, prev_hash, hash) VALUES ",
    );
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..COLUMNS {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", row * COLUMNS + column + 1));
        }
        sql.push(')');
    }
    sql
}
