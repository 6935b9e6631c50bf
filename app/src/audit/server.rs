//! Reading the audit log (server only): filters, paging, CSV export and chain verification.

use super::chain::{HashedEvent, event_hash};
use super::types::{AuditEventView, AuditFilter, AuditPage};
use crate::db::Conn;
use crate::error::{AppError, Result};
use crate::time::format_local;
use crate::time::start_of_day;
use chrono::NaiveDate;

/// A validated filter: bounds in unix seconds, patterns ready for `LIKE`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedFilter {
    actor: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    from: Option<i64>,
    until: Option<i64>,
}

/// `LIKE` metacharacters in user input match themselves (escape character `\`).
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl ParsedFilter {
    pub fn parse(filter: &AuditFilter, tz: &str) -> Result<ParsedFilter> {
        let text = |value: &str, field: &str| -> Result<Option<String>> {
            let value = crate::input::text(field, value.trim(), 100, false)?;
            Ok((!value.is_empty()).then(|| value.to_lowercase()))
        };
        let date = |value: &str, field: &str| -> Result<Option<NaiveDate>> {
            let value = value.trim();
            if value.is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| AppError::invalid(field, "Use a date like 2026-01-31."))
        };
        let outcome = text(&filter.outcome, "outcome")?;
        if let Some(o) = &outcome
            && super::Outcome::parse(o).is_none()
        {
            return Err(AppError::invalid("outcome", "Outcome is one of allowed, denied or failed."));
        }
        let from = date(&filter.from, "from")?;
        let to = date(&filter.to, "to")?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(AppError::invalid("to", "The end date is before the start date."));
        }
        let bad_date = || AppError::invalid("from", "That date is out of range.");
        Ok(ParsedFilter {
            actor: text(&filter.actor, "actor")?.map(|a| format!("%{}%", like_escape(&a))),
            action: text(&filter.action, "action")?.map(|a| format!("{}%", like_escape(&a))),
            outcome,
            from: from.map(|d| start_of_day(d, tz).ok_or_else(bad_date)).transpose()?,
            until: to.map(|d| d.succ_opt().and_then(|next| start_of_day(next, tz)).ok_or_else(bad_date)).transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    actor_type: String,
    actor_label: String,
    action: String,
    target_type: Option<String>,
    target_id: Option<String>,
    outcome: String,
    reason: Option<String>,
    metadata: String,
    ip: Option<String>,
    user_agent: Option<String>,
    created_at: i64,
}

/// Runs the filtered query for `org_id`, newest first, below `before`, at most `limit` rows.
async fn query(
    conn: &mut Conn,
    org_id: &str,
    filter: &ParsedFilter,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<EventRow>> {
    enum Bind {
        Text(String),
        Int(i64),
    }
    let mut sql = String::from(
        "SELECT seq, actor_type, actor_label, action, target_type, target_id, outcome, reason, metadata, ip, \
         user_agent, created_at FROM audit_events WHERE org_id = $1",
    );
    let mut binds = vec![Bind::Text(org_id.to_string())];
    let mut condition = |clause: &str, bind: Bind| {
        binds.push(bind);
        sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
    };
    if let Some(actor) = &filter.actor {
        condition(" AND LOWER(actor_label) LIKE ? ESCAPE '\\'", Bind::Text(actor.clone()));
    }
    if let Some(action) = &filter.action {
        condition(" AND LOWER(action) LIKE ? ESCAPE '\\'", Bind::Text(action.clone()));
    }
    if let Some(outcome) = &filter.outcome {
        condition(" AND outcome = ?", Bind::Text(outcome.clone()));
    }
    if let Some(from) = filter.from {
        condition(" AND created_at >= ?", Bind::Int(from));
    }
    if let Some(until) = filter.until {
        condition(" AND created_at < ?", Bind::Int(until));
    }
    if let Some(before) = before {
        condition(" AND seq < ?", Bind::Int(before));
    }
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    condition(" ORDER BY seq DESC LIMIT ?", Bind::Int(limit));
    let mut q = sqlx::query_as::<_, EventRow>(&sql);
    for bind in binds {
        q = match bind {
            Bind::Text(t) => q.bind(t),
            Bind::Int(i) => q.bind(i),
        };
    }
    Ok(q.fetch_all(&mut *conn).await?)
}

impl EventRow {
    fn into_view(self, tz: &str) -> AuditEventView {
        let target = match (self.target_type, self.target_id) {
            (Some(kind), Some(id)) => Some(format!("{kind}:{id}")),
            (Some(kind), None) => Some(kind),
            _ => None,
        };
        AuditEventView {
            seq: self.seq,
            time: format_local(self.created_at, tz),
            actor: self.actor_label,
            actor_type: self.actor_type,
            action: self.action,
            target,
            outcome: self.outcome,
            reason: self.reason,
            metadata: self.metadata,
            ip: self.ip,
            user_agent: self.user_agent,
        }
    }
}

/// One page of `org_id`'s log.
pub async fn page(
    conn: &mut Conn,
    org_id: &str,
    tz: &str,
    filter: &ParsedFilter,
    before: Option<i64>,
    size: usize,
) -> Result<AuditPage> {
    let mut rows = query(conn, org_id, filter, before, size + 1).await?;
    let more = rows.len() > size;
    rows.truncate(size);
    let next_before = if more { rows.last().map(|r| r.seq) } else { None };
    Ok(AuditPage { events: rows.into_iter().map(|r| r.into_view(tz)).collect(), next_before })
}

/// How many days `org_id` keeps its audit events.
pub async fn retention_days(conn: &mut Conn, org_id: &str) -> Result<i64> {
    sqlx::query_scalar("SELECT audit_retention_days FROM organizations WHERE id = $1")
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)
}

/// Sets how many days `org_id` keeps its audit events; returns the previous setting.
pub async fn set_retention_days(conn: &mut Conn, org_id: &str, days: i64) -> Result<i64> {
    let before = retention_days(conn, org_id).await?;
    sqlx::query("UPDATE organizations SET audit_retention_days = $1 WHERE id = $2")
        .bind(days)
        .bind(org_id)
        .execute(&mut *conn)
        .await?;
    Ok(before)
}

/// The most rows one export may hold.
pub const EXPORT_LIMIT: usize = 100_000;

/// A spreadsheet must never read a cell as a formula (CSV injection): text starting with
/// `=`, `+`, `-`, `@`, tab or carriage return, or the full-width forms of the four signs
/// (which some spreadsheets fold to them), gets a leading apostrophe.
pub fn spreadsheet_safe(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}') => {
            format!("'{text}")
        }
        _ => text.to_string(),
    }
}

/// The filtered log of `org_id` as RFC 4180 CSV (CRLF line ends, quoted where needed).
pub async fn export_csv(conn: &mut Conn, org_id: &str, tz: &str, filter: &ParsedFilter) -> Result<(String, usize)> {
    let rows = query(conn, org_id, filter, None, EXPORT_LIMIT).await?;
    let count = rows.len();
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let header = [
        "seq",
        "time_utc",
        "time_local",
        "actor_type",
        "actor",
        "action",
        "target_type",
        "target_id",
        "outcome",
        "reason",
        "ip",
        "user_agent",
        "metadata",
    ];
    let csv_error = |error: csv::Error| {
        tracing::error!(%error, "audit export: CSV writing failed");
        AppError::Internal
    };
    writer.write_record(header).map_err(csv_error)?;
    for r in rows {
        let utc = chrono::DateTime::<chrono::Utc>::from_timestamp(r.created_at, 0)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        let fields = [
            r.seq.to_string(),
            utc,
            format_local(r.created_at, tz),
            r.actor_type,
            r.actor_label,
            r.action,
            r.target_type.unwrap_or_default(),
            r.target_id.unwrap_or_default(),
            r.outcome,
            r.reason.unwrap_or_default(),
            r.ip.unwrap_or_default(),
            r.user_agent.unwrap_or_default(),
            r.metadata,
        ];
        writer.write_record(fields.iter().map(|f| spreadsheet_safe(f))).map_err(csv_error)?;
    }
    let bytes = writer.into_inner().map_err(|e| csv_error(e.into_error().into()))?;
    Ok((String::from_utf8_lossy(&bytes).into_owned(), count))
}

/// The first place a chain does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenLink {
    pub chain: String,
    pub seq: i64,
    pub event_id: Option<String>,
    pub problem: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub chains: usize,
    pub events: usize,
    /// The first broken link of each broken chain.
    pub broken: Vec<BrokenLink>,
}

#[derive(sqlx::FromRow)]
struct StoredEvent {
    id: String,
    chain: String,
    seq: i64,
    org_id: Option<String>,
    actor_type: String,
    actor_id: Option<String>,
    actor_label: String,
    action: String,
    target_type: Option<String>,
    target_id: Option<String>,
    outcome: String,
    reason: Option<String>,
    metadata: String,
    ip: Option<String>,
    user_agent: Option<String>,
    created_at: i64,
    prev_hash: String,
    hash: String,
}

/// Recomputes every hash of every chain (or only `only_chain`) and checks that sequence
/// numbers have no gaps, each event links to the one before, and the chain head names the
/// last event. An edited, deleted, inserted or reordered row breaks one of these. A chain
/// pruned under retention starts where its latest prune checkpoint says. (A cut-off end
/// whose chain head was rewritten too is caught against a signed checkpoint instead:
/// `retention::check_checkpoint`.)
pub async fn verify(conn: &mut Conn, only_chain: Option<&str>) -> Result<VerifyReport> {
    let heads: Vec<(String, i64, String)> = match only_chain {
        Some(chain) => {
            sqlx::query_as("SELECT chain, seq, last_hash FROM audit_chains WHERE chain = $1")
                .bind(chain)
                .fetch_all(&mut *conn)
                .await?
        }
        None => {
            sqlx::query_as("SELECT chain, seq, last_hash FROM audit_chains ORDER BY chain")
                .fetch_all(&mut *conn)
                .await?
        }
    };
    let mut report = VerifyReport { chains: heads.len(), ..VerifyReport::default() };
    for (chain, head_seq, head_hash) in heads {
        let events: Vec<StoredEvent> = sqlx::query_as(
            "SELECT id, chain, seq, org_id, actor_type, actor_id, actor_label, action, target_type, target_id, \
             outcome, reason, metadata, ip, user_agent, created_at, prev_hash, hash \
             FROM audit_events WHERE chain = $1 ORDER BY seq",
        )
        .bind(&chain)
        .fetch_all(&mut *conn)
        .await?;
        report.events += events.len();
        // A pruned chain starts after the last pruned event, whose hash the latest prune's
        // checkpoint event (itself in the chain, so itself verified) carries.
        let prune = events
            .iter()
            .rev()
            .find(|e| e.action == super::retention::PRUNED)
            .and_then(|e| serde_json::from_str::<super::retention::PruneCheckpoint>(&e.metadata).ok());
        let (mut expected_seq, mut prev) = super::retention::chain_start(prune.as_ref());
        let mut broken = None;
        for e in &events {
            let link = |problem: &str| BrokenLink {
                chain: chain.clone(),
                seq: e.seq,
                event_id: Some(e.id.clone()),
                problem: problem.to_string(),
            };
            if e.seq != expected_seq {
                broken = Some(link(&format!("expected event {expected_seq} here: events are missing or reordered")));
                break;
            }
            if e.prev_hash != prev {
                broken = Some(link("does not link to the event before it"));
                break;
            }
            let hashed = HashedEvent {
                chain: &e.chain,
                seq: e.seq,
                id: &e.id,
                org_id: e.org_id.as_deref(),
                actor_type: &e.actor_type,
                actor_id: e.actor_id.as_deref(),
                actor_label: &e.actor_label,
                action: &e.action,
                target_type: e.target_type.as_deref(),
                target_id: e.target_id.as_deref(),
                outcome: &e.outcome,
                reason: e.reason.as_deref(),
                metadata: &e.metadata,
                ip: e.ip.as_deref(),
                user_agent: e.user_agent.as_deref(),
                created_at: e.created_at,
            };
            if event_hash(&e.prev_hash, &hashed) != e.hash {
                broken = Some(link("its content no longer matches its hash (edited)"));
                break;
            }
            prev = e.hash.clone();
            expected_seq += 1;
        }
        if broken.is_none() && (expected_seq - 1 != head_seq || prev != head_hash) {
            broken = Some(BrokenLink {
                chain: chain.clone(),
                seq: expected_seq,
                event_id: None,
                problem: format!("the chain head names event {head_seq}, the log ends at {}", expected_seq - 1),
            });
        }
        report.broken.extend(broken);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(spreadsheet_safe("+1"), "'+1");
        assert_eq!(spreadsheet_safe("-2"), "'-2");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("\tcmd"), "'\tcmd");
        assert_eq!(spreadsheet_safe("\u{FF1D}SUM(A1)"), "'\u{FF1D}SUM(A1)");
        assert_eq!(spreadsheet_safe("\u{FF20}cmd"), "'\u{FF20}cmd");
        assert_eq!(spreadsheet_safe("owner@acme.test"), "owner@acme.test");
        assert_eq!(spreadsheet_safe(""), "");
    }

    #[test]
    fn filters_are_validated_and_escaped() {
        let f = |actor: &str, outcome: &str, from: &str, to: &str| AuditFilter {
            actor: actor.into(),
            outcome: outcome.into(),
            from: from.into(),
            to: to.into(),
            ..AuditFilter::default()
        };
        let parsed = ParsedFilter::parse(&f("50%_off", "", "", ""), "UTC").unwrap();
        assert_eq!(parsed.actor.as_deref(), Some("%50\\%\\_off%"));
        assert_eq!(ParsedFilter::parse(&f("", "maybe", "", ""), "UTC").unwrap_err().field(), Some("outcome"));
        assert_eq!(ParsedFilter::parse(&f("", "", "31/01/2026", ""), "UTC").unwrap_err().field(), Some("from"));
        assert_eq!(ParsedFilter::parse(&f("", "", "2026-02-01", "2026-01-01"), "UTC").unwrap_err().field(), Some("to"));
        assert!(ParsedFilter::parse(&f(&"x".repeat(101), "", "", ""), "UTC").is_err());
    }

    #[test]
    fn dates_are_days_in_the_organization_timezone() {
        let parsed = ParsedFilter::parse(
            &AuditFilter { from: "2026-01-01".into(), to: "2026-01-01".into(), ..Default::default() },
            "Asia/Kolkata",
        )
        .unwrap();
        // Midnight in India is 18:30 UTC the day before; the day is 24 hours long.
        assert_eq!(parsed.from, Some(1_767_205_800));
        assert_eq!(parsed.until, Some(1_767_205_800 + 86_400));
    }
}
