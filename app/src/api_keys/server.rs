//! API keys in the database (server only): making, listing and revoking them, and turning a
//! presented key into the [`Access`] of its request.

use super::{API_SCOPES, DEFAULT_DAYS, KeyView, MAX_DAYS, token};
use crate::access::{Access, OrgAccess, Permission, PermissionSet, membership, stored_role};
use crate::audit::Actor;
use crate::db::{Conn, Db, new_id};
use crate::error::{AppError, Result};
use crate::time::format_local;

/// A key to make, read from a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewKey {
    pub name: String,
    pub scopes: PermissionSet,
    pub days: i64,
}

impl NewKey {
    /// Reads the form: a name, at least one scope among [`API_SCOPES`] and within `allowed`
    /// (the maker's role), and a lifetime in days (90 when empty, at most 366). A scope beyond
    /// the maker's role is refused with 403 and named.
    pub fn parse(name: &str, scopes: &[String], days: &str, allowed: PermissionSet) -> Result<NewKey> {
        let name = crate::input::text("name", name.trim(), 80, false)?;
        if name.is_empty() {
            return Err(AppError::invalid("name", "Name the key after what will use it."));
        }
        let mut set = PermissionSet::EMPTY;
        for key in scopes {
            let permission = Permission::from_key(key.trim())
                .filter(|p| API_SCOPES.contains(*p))
                .ok_or_else(|| AppError::invalid("scopes", format!("“{key}” is not a scope of the API.")))?;
            set = set.with(permission);
        }
        if set.is_empty() {
            return Err(AppError::invalid("scopes", "Choose at least one scope."));
        }
        if let Some(beyond) = set.difference(allowed).first() {
            return Err(AppError::refused(
                "scope_beyond_role",
                format!("Your role does not hold “{}”, so no key of yours can.", beyond.key()),
            ));
        }
        let days =
            match days.trim() {
                "" => DEFAULT_DAYS,
                raw => raw.parse::<i64>().ok().filter(|d| (1..=MAX_DAYS).contains(d)).ok_or_else(|| {
                    AppError::invalid("days", format!("Enter a number of days from 1 to {MAX_DAYS}."))
                })?,
            };
        Ok(NewKey { name, scopes: set, days })
    }
}

/// A key just made: its id, the secret (to show once) and its expiry.
pub struct Made {
    pub id: String,
    pub secret: String,
    pub expires_at: i64,
}

/// Stores a new key of `user_id` in `org_id`.
pub async fn create(tx: &mut Conn, org_id: &str, user_id: &str, key: &NewKey, now: i64) -> Result<Made> {
    let id = new_id();
    let secret = token::generate();
    let expires_at = now + key.days * 86_400;
    sqlx::query(
        "INSERT INTO api_keys (id, org_id, user_id, name, prefix, secret_hash, scopes, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(user_id)
    .bind(&key.name)
    .bind(token::display_prefix(&secret))
    .bind(token::hash(&secret))
    .bind(key.scopes.to_keys())
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    Ok(Made { id, secret, expires_at })
}

#[derive(sqlx::FromRow)]
struct ListedRow {
    id: String,
    name: String,
    prefix: String,
    email: String,
    scopes: String,
    created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
    last_used_ip: Option<String>,
    revoked_at: Option<i64>,
    revoked_reason: Option<String>,
    builtin: Option<i64>,
    role_key: Option<String>,
    permissions: Option<String>,
}

fn keys_of(set: PermissionSet) -> Vec<String> {
    set.iter().map(|p| p.key().to_string()).collect()
}

/// The organization's keys, newest first, times in `tz`.
pub async fn list(conn: &mut Conn, org_id: &str, tz: &str, now: i64) -> Result<Vec<KeyView>> {
    let rows: Vec<ListedRow> = sqlx::query_as(
        "SELECT k.id, k.name, k.prefix, u.email, k.scopes, k.created_at, k.expires_at, k.last_used_at, \
         k.last_used_ip, k.revoked_at, k.revoked_reason, r.builtin, r.role_key, r.permissions \
         FROM api_keys k JOIN users u ON u.id = k.user_id \
         LEFT JOIN memberships m ON m.org_id = k.org_id AND m.user_id = k.user_id \
         LEFT JOIN roles r ON r.id = m.role_id \
         WHERE k.org_id = $1 ORDER BY k.created_at DESC, k.id LIMIT 200",
    )
    .bind(org_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let (scopes, _) = PermissionSet::parse_keys(&r.scopes);
            let role = match (r.builtin, r.role_key.as_deref(), r.permissions.as_deref()) {
                (Some(builtin), Some(key), Some(permissions)) => stored_role(builtin != 0, key, permissions).1,
                _ => PermissionSet::EMPTY,
            };
            let ended = match (r.revoked_at, r.revoked_reason) {
                (Some(at), reason) => Some(format!(
                    "revoked {}{}",
                    format_local(at, tz),
                    reason.map(|r| format!(": {r}")).unwrap_or_default()
                )),
                (None, _) if r.expires_at <= now => Some(format!("expired {}", format_local(r.expires_at, tz))),
                _ => None,
            };
            KeyView {
                id: r.id,
                name: r.name,
                prefix: r.prefix,
                maker: r.email,
                scopes: keys_of(scopes),
                effective: keys_of(scopes.intersection(role)),
                created: format_local(r.created_at, tz),
                expires: format_local(r.expires_at, tz),
                last_used: r.last_used_at.map(|at| format_local(at, tz)),
                last_used_ip: r.last_used_ip,
                ended,
            }
        })
        .collect())
}

/// Revokes key `id` of `org_id` and returns its name; another tenant's or an unknown key is
/// not found, one revoked already a 409.
pub async fn revoke(tx: &mut Conn, org_id: &str, id: &str, reason: &str, now: i64) -> Result<String> {
    let name: Option<String> = sqlx::query_scalar(
        "UPDATE api_keys SET revoked_at = $3, revoked_reason = $4 \
         WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL RETURNING name",
    )
    .bind(id)
    .bind(org_id)
    .bind(now)
    .bind(reason)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(name) = name {
        return Ok(name);
    }
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM api_keys WHERE id = $1 AND org_id = $2")
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
    match exists {
        Some(_) => Err(AppError::conflict("already_revoked", "This key is already revoked.")),
        None => Err(AppError::NotFound),
    }
}

/// Revokes every live key `user_id` made in `org_id` (they leave it); returns how many.
pub async fn revoke_member_keys(tx: &mut Conn, org_id: &str, user_id: &str, reason: &str, now: i64) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE api_keys SET revoked_at = $3, revoked_reason = $4 \
         WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(now)
    .bind(reason)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// What `gatehouse api-keys create` does for operators: a key of member `email` of the
/// organization `slug`, under the same rules as the settings page (scopes within that
/// member's role), audited on the organization's chain as made by the system for them.
/// Returns the key made and its secret.
pub async fn create_for_member(
    db: &Db,
    slug: &str,
    email: &str,
    name: &str,
    scopes: &str,
    days: &str,
    now: i64,
) -> Result<(super::CreatedKey, String)> {
    let mut tx = db.begin().await?;
    let found: Option<(String, String, String)> = sqlx::query_as(
        "SELECT o.id, u.id, o.timezone FROM organizations o JOIN memberships m ON m.org_id = o.id \
         JOIN users u ON u.id = m.user_id WHERE o.slug = $1 AND u.email = $2",
    )
    .bind(slug)
    .bind(email.trim().to_lowercase())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((org_id, user_id, tz)) = found else {
        return Err(AppError::invalid("user", format!("{email} is not a member of {slug}.")));
    };
    let role = membership(&mut tx, &user_id, &org_id, now)
        .await?
        .map_or(crate::access::PermissionSet::EMPTY, |(_, role)| role);
    let scopes: Vec<String> = scopes.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    let key = NewKey::parse(name, &scopes, days, role)?;
    let made = create(&mut tx, &org_id, &user_id, &key, now).await?;
    let scopes: Vec<String> = keys_of(key.scopes);
    let event = crate::audit::Event::new("api_key.create", Actor::System, crate::audit::Outcome::Allowed)
        .org(Some(&org_id))
        .target("api_key", &made.id)
        .reason("made by an operator with gatehouse api-keys create")
        .metadata(
            serde_json::json!({ "name": key.name, "for": email, "scopes": scopes, "expires_at": made.expires_at }),
        );
    crate::audit::record(&mut tx, &event, now).await?;
    tx.commit().await?;
    let created = super::CreatedKey {
        id: made.id,
        name: key.name,
        secret: made.secret,
        expires: format_local(made.expires_at, &tz),
        scopes,
    };
    Ok((created, org_id))
}

/// Who is calling with a key: the key, and the access it gives in its organization.
#[derive(Clone, Debug)]
pub struct KeyCaller {
    pub key_id: String,
    pub name: String,
    pub prefix: String,
    pub access: Access,
    pub org: OrgAccess,
}

impl KeyCaller {
    /// The key as an audit actor: its id, and its name, prefix and maker as the label.
    pub fn actor(&self) -> Actor {
        Actor::ApiKey {
            id: self.key_id.clone(),
            label: format!("{} ({}…) of {}", self.name, self.prefix, self.access.email),
        }
    }
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    org_id: String,
    user_id: String,
    name: String,
    prefix: String,
    scopes: String,
    expires_at: i64,
    revoked_at: Option<i64>,
    email: String,
    user_name: String,
}

fn unauthenticated(code: &str, message: &str) -> AppError {
    AppError::Unauthenticated { code: code.to_string(), message: message.to_string() }
}

/// The caller of a request presenting `key`: refused with 401 when the key is malformed or
/// its checksum fails (without asking the database), unknown, revoked, expired, or its maker
/// is no longer a member. The access is the key's scopes within the maker's role as it is
/// now (a role that shrank shrinks the key at once); MFA and step-up are for people, so a
/// key counts as having them. Records the time and address of use.
pub async fn authenticate(db: &Db, key: &str, ip: Option<&str>, now: i64) -> Result<KeyCaller> {
    if !token::well_formed(key) {
        return Err(unauthenticated("invalid_api_key", "This is not a Gatehouse API key (its checksum fails)."));
    }
    let mut conn = db.conn().await?;
    let row: Option<KeyRow> = sqlx::query_as(
        "SELECT k.id, k.org_id, k.user_id, k.name, k.prefix, k.scopes, k.expires_at, k.revoked_at, u.email, \
         u.name AS user_name FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.secret_hash = $1",
    )
    .bind(token::hash(key))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Err(unauthenticated("invalid_api_key", "This API key is not known."));
    };
    if row.revoked_at.is_some() {
        return Err(unauthenticated("api_key_revoked", "This API key was revoked."));
    }
    if row.expires_at <= now {
        return Err(unauthenticated("api_key_expired", "This API key has expired."));
    }
    let Some((org, role)) = membership(&mut conn, &row.user_id, &row.org_id, now).await? else {
        return Err(unauthenticated("api_key_revoked", "The member who made this API key has left."));
    };
    let (scopes, _) = PermissionSet::parse_keys(&row.scopes);
    let permissions = scopes.intersection(role).intersection(API_SCOPES);
    sqlx::query(
        "UPDATE api_keys SET last_used_at = $2, last_used_ip = $3 WHERE id = $1 \
         AND (last_used_at IS NULL OR last_used_at < $2 OR last_used_ip IS DISTINCT FROM $3)",
    )
    .bind(&row.id)
    .bind(now)
    .bind(ip)
    .execute(&mut *conn)
    .await?;
    let access = Access {
        user_id: row.user_id,
        email: row.email,
        name: row.user_name,
        platform_staff: false,
        org: Some(org.clone()),
        granted: permissions,
        permissions,
        delegable: PermissionSet::EMPTY,
        mfa_enrolled: true,
        mfa_verified: true,
        step_up: true,
        step_up_until: None,
    };
    Ok(KeyCaller { key_id: row.id, name: row.name, prefix: row.prefix, access, org })
}

/// How long the first answer to an `Idempotency-Key` is kept and replayed.
pub const IDEMPOTENCY_SECS: i64 = 86_400;

/// The fingerprint of a request for idempotency: method, path and body.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b" ");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// What an `Idempotency-Key` finds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// The key is new: it is reserved for this request, which must now be served and its
    /// answer stored ([`complete`]) or the reservation released ([`release`]).
    Reserved,
    /// The same request was answered before: replay this status and body.
    Replay { status: u16, body: String },
    /// The same key came with another request: 422.
    Mismatch,
    /// The first request with this key is still being served: 409.
    InProgress,
}

/// Reserves `key` of API key `api_key_id` for the request `hash`, or finds what it was used
/// for (within [`IDEMPOTENCY_SECS`]). Atomic: of two requests with one key at once, one
/// reserves it and the other finds it in progress.
pub async fn reserve(db: &Db, api_key_id: &str, key: &str, hash: &str, now: i64) -> Result<Idempotency> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM idempotency_keys WHERE api_key_id = $1 AND idempotency_key = $2 AND created_at <= $3")
        .bind(api_key_id)
        .bind(key)
        .bind(now - IDEMPOTENCY_SECS)
        .execute(&mut *tx)
        .await?;
    let reserved = sqlx::query(
        "INSERT INTO idempotency_keys (api_key_id, idempotency_key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (api_key_id, idempotency_key) DO NOTHING",
    )
    .bind(api_key_id)
    .bind(key)
    .bind(hash)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let found = if reserved {
        Idempotency::Reserved
    } else {
        let (stored_hash, status, body): (String, Option<i64>, Option<String>) = sqlx::query_as(
            "SELECT request_hash, status, response FROM idempotency_keys WHERE api_key_id = $1 AND idempotency_key = $2",
        )
        .bind(api_key_id)
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
        match (stored_hash == hash, status) {
            (false, _) => Idempotency::Mismatch,
            (true, None) => Idempotency::InProgress,
            (true, Some(status)) => {
                Idempotency::Replay { status: u16::try_from(status).unwrap_or(500), body: body.unwrap_or_default() }
            }
        }
    };
    tx.commit().await?;
    Ok(found)
}

/// Stores the answer to a reserved key, to be replayed.
pub async fn complete(db: &Db, api_key_id: &str, key: &str, status: u16, body: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE idempotency_keys SET status = $3, response = $4 WHERE api_key_id = $1 AND idempotency_key = $2",
    )
    .bind(api_key_id)
    .bind(key)
    .bind(i64::from(status))
    .bind(body)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Gives a reserved key up (the request failed on our side: it may be tried again).
pub async fn release(db: &Db, api_key_id: &str, key: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM idempotency_keys WHERE api_key_id = $1 AND idempotency_key = $2 AND status IS NULL")
        .bind(api_key_id)
        .bind(key)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Drops answers older than [`IDEMPOTENCY_SECS`]; returns how many.
pub async fn purge_idempotency(db: &Db, now: i64) -> Result<u64> {
    let mut tx = db.begin().await?;
    let purged = sqlx::query("DELETE FROM idempotency_keys WHERE created_at <= $1")
        .bind(now - IDEMPOTENCY_SECS)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(purged)
}

impl KeyCaller {
    /// The context of the key's request, as a person's would be in its organization (events
    /// name the key).
    pub fn into_ctx(
        self,
        state: crate::state::AppState,
        meta: crate::request::RequestMeta,
        now: i64,
    ) -> crate::access::Ctx {
        let api_key = Some(self.actor());
        crate::access::Ctx { state, access: self.access, org: self.org, session_id: String::new(), meta, now, api_key }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_is_read_strictly_and_never_beyond_the_role() {
        let analyst = PermissionSet::of(&[Permission::AnalyticsView, Permission::AnalyticsViewSales]);
        let scopes = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect::<Vec<_>>();
        let key =
            NewKey::parse(" CI export ", &scopes(&["analytics.view", "analytics.view_sales"]), "", analyst).unwrap();
        assert_eq!((key.name.as_str(), key.days, key.scopes), ("CI export", DEFAULT_DAYS, analyst));
        let refused = NewKey::parse("k", &scopes(&["analytics.view_revenue"]), "30", analyst).unwrap_err();
        assert_eq!(refused.code(), "scope_beyond_role");
        assert_eq!(refused.status(), 403);
        let field = |r: Result<NewKey>| r.unwrap_err().field().map(str::to_string);
        assert_eq!(field(NewKey::parse("", &scopes(&["analytics.view"]), "", analyst)).as_deref(), Some("name"));
        assert_eq!(field(NewKey::parse("k", &[], "", analyst)).as_deref(), Some("scopes"));
        // Not an API scope (team.manage), a platform permission, nonsense: all refused.
        for bad in ["team.manage", "platform.tenants.manage", "nope"] {
            assert_eq!(
                field(NewKey::parse("k", &scopes(&[bad]), "", PermissionSet::TENANT)).as_deref(),
                Some("scopes")
            );
        }
        for days in ["0", "367", "-1", "ten"] {
            assert_eq!(field(NewKey::parse("k", &scopes(&["analytics.view"]), days, analyst)).as_deref(), Some("days"));
        }
        assert_eq!(NewKey::parse("k", &scopes(&["analytics.view"]), "366", analyst).unwrap().days, 366);
    }
}
