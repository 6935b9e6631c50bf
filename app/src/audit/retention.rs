//! Keeping the audit log for years without letting it be flooded or quietly shortened:
//! retention with verifiable pruning, signed checkpoints of a chain's head, and anonymous
//! refusals counted per address and minute.

use super::record::{Actor, Event, PLATFORM_CHAIN, record};
use super::{GENESIS, Outcome};
use crate::config::SecretKey;
use crate::db::{Conn, Db};
use crate::error::{AppError, Result};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

/// Days an organization keeps its audit events, unless it chose otherwise…
pub const DEFAULT_RETENTION_DAYS: i64 = 400;
/// …and never fewer than this.
pub const MIN_RETENTION_DAYS: i64 = 90;
pub const MAX_RETENTION_DAYS: i64 = 3650;

/// The action of the event a prune leaves behind.
pub const PRUNED: &str = "audit.pruned";

/// Reads a retention of `raw` days.
pub fn parse_retention_days(raw: &str) -> Result<i64> {
    match raw.trim().parse::<i64>() {
        Ok(days) if (MIN_RETENTION_DAYS..=MAX_RETENTION_DAYS).contains(&days) => Ok(days),
        _ => Err(AppError::invalid(
            "days",
            format!("Keep the log between {MIN_RETENTION_DAYS} and {MAX_RETENTION_DAYS} days."),
        )),
    }
}

/// What a prune removed, as recorded in its checkpoint event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruneCheckpoint {
    /// Events up to and including this one are gone…
    pub through_seq: i64,
    /// …and this was the hash of the last of them, which the first remaining event links to.
    pub through_hash: String,
    pub events: i64,
    pub retention_days: i64,
}

/// Deletes the events of `chain` older than `retention_days` (all of them older than the
/// cutoff, from the start of the chain) and appends a checkpoint event naming the last one
/// pruned and its hash: the chain stays verifiable from there. Deletes only under a permit
/// written and removed in this transaction (the database refuses any other delete).
pub async fn prune_chain(
    db: &Db,
    chain: &str,
    org_id: Option<&str>,
    retention_days: i64,
    now: i64,
) -> Result<Option<PruneCheckpoint>> {
    let mut tx = db.begin().await?;
    // The chain head's lock: no event is appended while the start is cut.
    sqlx::query("UPDATE audit_chains SET seq = seq WHERE chain = $1").bind(chain).execute(&mut *tx).await?;
    let cutoff = now - retention_days * 86_400;
    let last: Option<(i64, String)> = sqlx::query_as(
        "SELECT seq, hash FROM audit_events WHERE chain = $1 AND created_at < $2 ORDER BY seq DESC LIMIT 1",
    )
    .bind(chain)
    .bind(cutoff)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((through_seq, through_hash)) = last else {
        tx.commit().await?;
        return Ok(None);
    };
    sqlx::query("INSERT INTO audit_prune_permits (chain, through_seq) VALUES ($1, $2)")
        .bind(chain)
        .bind(through_seq)
        .execute(&mut *tx)
        .await?;
    let events = sqlx::query("DELETE FROM audit_events WHERE chain = $1 AND seq <= $2")
        .bind(chain)
        .bind(through_seq)
        .execute(&mut *tx)
        .await?
        .rows_affected() as i64;
    sqlx::query("DELETE FROM audit_prune_permits WHERE chain = $1").bind(chain).execute(&mut *tx).await?;
    let checkpoint = PruneCheckpoint { through_seq, through_hash, events, retention_days };
    let event = Event::new(PRUNED, Actor::System, Outcome::Allowed)
        .org(org_id)
        .metadata(serde_json::to_value(&checkpoint).unwrap_or_default());
    record(&mut tx, &event, now).await?;
    tx.commit().await?;
    tracing::info!(chain, through_seq, events, "audit log pruned");
    Ok(Some(checkpoint))
}

/// Prunes every organization's chain by its retention, and the platform chain by the
/// default. Returns how many events went.
pub async fn prune_all(db: &Db, now: i64) -> Result<i64> {
    let orgs: Vec<(String, i64)> = {
        let mut conn = db.conn().await?;
        sqlx::query_as("SELECT id, audit_retention_days FROM organizations ORDER BY id").fetch_all(&mut *conn).await?
    };
    let mut pruned = 0;
    for (org_id, days) in orgs {
        pruned += prune_chain(db, &org_id, Some(&org_id), days, now).await?.map_or(0, |c| c.events);
    }
    pruned += prune_chain(db, PLATFORM_CHAIN, None, DEFAULT_RETENTION_DAYS, now).await?.map_or(0, |c| c.events);
    Ok(pruned)
}

/// A chain's head as the server vouched for it at `signed_at`: whoever keeps this file can
/// later prove that the log still holds that event (nothing was cut from its end).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    pub format: String,
    pub chain: String,
    pub seq: i64,
    pub hash: String,
    /// When the event was written (unix seconds).
    pub event_at: i64,
    pub signed_at: i64,
    /// HMAC-SHA256 of the fields above under a key derived from the server key.
    pub mac: String,
}

const CHECKPOINT_FORMAT: &str = "gatehouse-audit-checkpoint-v1";

fn checkpoint_mac(key: &SecretKey, c: &SignedCheckpoint) -> Result<Hmac<Sha256>> {
    // A key of its own for this purpose, derived from the server key.
    let mut derive = Hmac::<Sha256>::new_from_slice(&key.0).map_err(|_| AppError::Internal)?;
    derive.update(b"gatehouse audit checkpoint key");
    let derived = derive.finalize().into_bytes();
    let mut mac = Hmac::<Sha256>::new_from_slice(&derived).map_err(|_| AppError::Internal)?;
    let message = format!("{}\n{}\n{}\n{}\n{}\n{}", c.format, c.chain, c.seq, c.hash, c.event_at, c.signed_at);
    mac.update(message.as_bytes());
    Ok(mac)
}

/// Signs the current head of `chain`.
pub async fn sign_head(conn: &mut Conn, key: &SecretKey, chain: &str, now: i64) -> Result<SignedCheckpoint> {
    let (seq, hash, event_at): (i64, String, i64) = sqlx::query_as(
        "SELECT e.seq, e.hash, e.created_at FROM audit_chains c JOIN audit_events e ON e.chain = c.chain \
         AND e.seq = c.seq WHERE c.chain = $1",
    )
    .bind(chain)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let mut checkpoint = SignedCheckpoint {
        format: CHECKPOINT_FORMAT.into(),
        chain: chain.into(),
        seq,
        hash,
        event_at,
        signed_at: now,
        mac: String::new(),
    };
    checkpoint.mac = hex::encode(checkpoint_mac(key, &checkpoint)?.finalize().into_bytes());
    Ok(checkpoint)
}

/// What a signed checkpoint proves about the log as it is now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckpointCheck {
    /// The log still holds the checkpoint's event, unchanged.
    Extends,
    /// The event was pruned under retention; the last prune's record matches what is left.
    Pruned,
    /// The signature is not ours, or the file was edited.
    BadSignature,
    /// The log ends before the checkpoint's event: its end was cut off.
    Truncated { log_ends_at: i64 },
    /// The event is there but is not the one the checkpoint saw.
    Replaced,
}

/// Checks `checkpoint` against the log (signature first, then the event it names).
pub async fn check_checkpoint(
    conn: &mut Conn,
    key: &SecretKey,
    checkpoint: &SignedCheckpoint,
) -> Result<CheckpointCheck> {
    let Ok(mac) = hex::decode(&checkpoint.mac) else { return Ok(CheckpointCheck::BadSignature) };
    if checkpoint.format != CHECKPOINT_FORMAT || checkpoint_mac(key, checkpoint)?.verify_slice(&mac).is_err() {
        return Ok(CheckpointCheck::BadSignature);
    }
    let last: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM audit_events WHERE chain = $1")
            .bind(&checkpoint.chain)
            .fetch_one(&mut *conn)
            .await?;
    if last < checkpoint.seq {
        return Ok(CheckpointCheck::Truncated { log_ends_at: last });
    }
    let stored: Option<String> = sqlx::query_scalar("SELECT hash FROM audit_events WHERE chain = $1 AND seq = $2")
        .bind(&checkpoint.chain)
        .bind(checkpoint.seq)
        .fetch_optional(&mut *conn)
        .await?;
    match stored {
        Some(hash) if hash == checkpoint.hash => Ok(CheckpointCheck::Extends),
        Some(_) => Ok(CheckpointCheck::Replaced),
        None => {
            // Gone: only a prune may have taken it. The prune's record must cover it, and the
            // event must have been old enough then under a retention of at least the minimum
            // (the checkpoint's own time is signed): a forged "prune" of recent events, or one
            // dated in the future, does not explain a gap.
            let pruned = latest_prune(conn, &checkpoint.chain).await?;
            let now = crate::db::now();
            Ok(match pruned {
                Some((p, at))
                    if p.through_seq >= checkpoint.seq
                        && at <= now
                        && checkpoint.event_at < at - p.retention_days.max(MIN_RETENTION_DAYS) * 86_400 =>
                {
                    CheckpointCheck::Pruned
                }
                _ => CheckpointCheck::Replaced,
            })
        }
    }
}

/// The record of the latest prune of `chain` and when it ran, if it was ever pruned.
pub async fn latest_prune(conn: &mut Conn, chain: &str) -> Result<Option<(PruneCheckpoint, i64)>> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT metadata, created_at FROM audit_events WHERE chain = $1 AND action = $2 ORDER BY seq DESC LIMIT 1",
    )
    .bind(chain)
    .bind(PRUNED)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.and_then(|(metadata, at)| Some((serde_json::from_str(&metadata).ok()?, at))))
}

/// Where a chain's remaining events start: after the last pruned event, or at the genesis.
pub(super) fn chain_start(prune: Option<&PruneCheckpoint>) -> (i64, String) {
    match prune {
        Some(p) => (p.through_seq + 1, p.through_hash.clone()),
        None => (1, GENESIS.to_string()),
    }
}

/// Anonymous refusals one address may make in a minute before they are answered with 429.
pub const ANONYMOUS_DENIALS_PER_MINUTE: i64 = 60;

/// Counts a refused anonymous request from `ip` in the current minute (one row per address
/// and minute, taken with one atomic upsert) instead of writing an event for each; returns
/// how many this address made in this minute so far.
pub async fn count_anonymous_denial(
    db: &Db,
    ip: Option<&str>,
    target: &str,
    reason: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let attempts: i64 = sqlx::query_scalar(
        "INSERT INTO anonymous_denials (ip, minute, attempts, first_target, reason, first_at, last_at) \
         VALUES ($1, $2, 1, $3, $4, $5, $5) \
         ON CONFLICT (ip, minute) DO UPDATE SET attempts = anonymous_denials.attempts + 1, last_at = $5 \
         RETURNING attempts",
    )
    .bind(ip.unwrap_or("unknown"))
    .bind(now.div_euclid(60))
    .bind(target.chars().take(200).collect::<String>())
    .bind(reason)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(attempts)
}

/// Writes each finished minute's count of anonymous refusals of each address as one event
/// on the platform chain (`access.denied`, with the count), and forgets the count. Returns
/// how many events it wrote.
pub async fn flush_anonymous_denials(db: &Db, now: i64) -> Result<usize> {
    #[derive(sqlx::FromRow)]
    struct Bucket {
        ip: String,
        minute: i64,
        attempts: i64,
        first_target: String,
        reason: String,
        first_at: i64,
        last_at: i64,
    }
    let mut tx = db.begin().await?;
    let buckets: Vec<Bucket> = sqlx::query_as(
        "DELETE FROM anonymous_denials WHERE minute < $1 \
         RETURNING ip, minute, attempts, first_target, reason, first_at, last_at",
    )
    .bind(now.div_euclid(60))
    .fetch_all(&mut *tx)
    .await?;
    for b in &buckets {
        let (kind, id) = b.first_target.split_once(':').unwrap_or(("endpoint", b.first_target.as_str()));
        let mut event = Event::new("access.denied", Actor::Anonymous { label: "anonymous".into() }, Outcome::Denied)
            .target(kind, id)
            .reason(b.reason.clone())
            .metadata(json!({
                "attempts": b.attempts,
                "minute_start": b.minute * 60,
                "first_at": b.first_at,
                "last_at": b.last_at,
                "aggregated": true,
            }));
        event.ip = (b.ip != "unknown").then(|| b.ip.clone());
        record(&mut tx, &event, now).await?;
    }
    tx.commit().await?;
    Ok(buckets.len())
}
