//! The server side of the guard: loads the caller's [`Access`] from the database for every
//! request and applies [`decide`]. Every non-public server function starts with
//! `let cx = guard(&REQUIREMENT).await?;`.

use super::{
    Access, BuiltinRole, Denial, Effect, Effective, OrgAccess, PermissionSet, Requirement, Standing, gate,
    role_requires_mfa, stored_role,
};
use crate::audit::{self, Actor, Event, Outcome};
use crate::auth::session::{self, Expiry, SessionRow};
use crate::config::Config;
use crate::db::{Backend, Conn, Db, now};
use crate::error::{AppError, Result};
use crate::orgs::server::MembershipSummary;
use crate::request::RequestMeta;
use crate::state::{AppState, app_state};
use leptos::prelude::{provide_context, use_context};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::sync::{Arc, LazyLock, Mutex};
use tokio::sync::OnceCell;

/// A guarded call made by a signed-in user (no organization needed).
#[derive(Clone, Debug)]
pub struct UserCtx {
    pub state: AppState,
    pub access: Access,
    pub session_id: String,
    pub meta: RequestMeta,
    pub now: i64,
}

/// A guarded call made in the caller's active organization.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub state: AppState,
    pub access: Access,
    /// The active organization, from the session only.
    pub org: OrgAccess,
    pub session_id: String,
    pub meta: RequestMeta,
    pub now: i64,
    /// The API key making the request, when it is a program's (`/v1`); the access is then
    /// the key's (its scopes within its maker's role), and events name the key.
    pub api_key: Option<Actor>,
}

impl Ctx {
    pub fn org_id(&self) -> &str {
        &self.org.org_id
    }

    pub fn user_id(&self) -> &str {
        &self.access.user_id
    }

    /// An event by the caller in the active organization, with the request's address: add a
    /// target, reason or metadata and write it with [`audit::record`].
    pub fn event(&self, action: &str, outcome: Outcome) -> Event {
        let actor = self.api_key.clone().unwrap_or_else(|| Actor::user(self.user_id(), &self.access.email));
        Event::new(action, actor, outcome).org(Some(self.org_id())).request(&self.meta)
    }

    /// Records that the caller did `action` to `target` (kind, id) in the active organization,
    /// in the transaction `tx` of the change itself.
    pub async fn audit(
        &self,
        tx: &mut Conn,
        action: &str,
        target: (&str, &str),
        metadata: serde_json::Value,
    ) -> Result<()> {
        let event = self.event(action, Outcome::Allowed).target(target.0, target.1).metadata(metadata);
        audit::record(tx, &event, self.now).await?;
        Ok(())
    }
}

/// Checks `requirement` for the current request and returns the caller's context in their
/// active organization. `requirement` must ask for an organization.
pub async fn guard(requirement: &Requirement) -> Result<Ctx> {
    guard_user(requirement).await?.in_org()
}

/// Checks `requirement` for the current request and returns the signed-in caller.
pub async fn guard_user(requirement: &Requirement) -> Result<UserCtx> {
    let state = app_state()?;
    let meta = RequestMeta::current(&state.config);
    let endpoint = use_context::<http::request::Parts>().map(|p| p.uri.path().to_string()).unwrap_or_default();
    authorize(state, meta, &endpoint, requirement).await
}

impl UserCtx {
    /// An event by the caller (in their active organization, if any), with the request's
    /// address: add a target, reason or metadata and write it with [`audit::record`].
    pub fn event(&self, action: &str, outcome: Outcome) -> Event {
        Event::new(action, Actor::user(&self.access.user_id, &self.access.email), outcome)
            .org(self.access.org_id())
            .request(&self.meta)
    }

    /// The context in the active organization (the requirement asked for one).
    pub fn in_org(self) -> Result<Ctx> {
        let UserCtx { state, access, session_id, meta, now } = self;
        let org = access.org.clone().ok_or(AppError::Denied(Denial::OrganizationRequired))?;
        Ok(Ctx { state, access, org, session_id, meta, now, api_key: None })
    }
}

/// The guard itself, for server functions and plain handlers alike: loads the caller's
/// access from the database, decides, applies the tenant gate to what the endpoint does (its
/// [`Effect`] in [`crate::endpoints::ENDPOINTS`], or the page's; writes for anything else), and records
/// a denial in the audit log. A database failure is an error, never an "allowed": the guard
/// fails closed.
pub async fn authorize(
    state: AppState,
    meta: RequestMeta,
    endpoint: &str,
    requirement: &Requirement,
) -> Result<UserCtx> {
    let now = now();
    let loaded = request_access(&state, &meta, now).await?;
    let access = loaded.as_ref().map(|(access, _)| access);
    // A page rendered on the server calls its loads in the page's own request: they do what
    // the page does.
    let effect = match crate::endpoints::find(endpoint) {
        Some(e) => e.effect,
        None => crate::pages::page(endpoint).map_or(Effect::Write, |rule| rule.effect),
    };
    if let Err(denial) = gate(access, requirement, effect) {
        let attempts = record_denial(&state.db, access, ("endpoint", endpoint), denial, &meta, now).await;
        // A visitor hammering guarded endpoints is slowed down, not just counted.
        if attempts > crate::audit::retention::ANONYMOUS_DENIALS_PER_MINUTE {
            return Err(AppError::Throttled { retry_after: (60 - now.rem_euclid(60)).max(1) as u64 });
        }
        return Err(AppError::Denied(denial));
    }
    let (access, session_id) = loaded.ok_or(AppError::Denied(Denial::SignInRequired))?;
    // Server functions called from browsers count against the organization's generous
    // per-minute limit (pages rendered on the server do not).
    if let Some(org) = access.org.as_ref().filter(|_| endpoint.starts_with("/api/")) {
        let limit = crate::billing::Plan::parse(&org.plan).unwrap_or(crate::billing::Plan::Trial).limits();
        let bucket = format!("web:{}", org.org_id);
        let counts = crate::ratelimit::hit(&state.db, &[(&bucket, "org", limit.browser_per_minute)], now).await?;
        if let Some(count) = counts.into_iter().find(|c| c.exceeded()) {
            tracing::warn!(org_id = %org.org_id, hits = count.hits, "browser requests over the organization's limit");
            return Err(AppError::Throttled { retry_after: count.reset.max(1) as u64 });
        }
    }
    Ok(UserCtx { state, access, session_id, meta, now })
}

/// Audits a refused request for `target` (`("endpoint", path)` or `("page", path)`): one
/// event for a signed-in caller; for a visitor, a count per address and minute that becomes
/// one event when the minute is over (so nobody can flood the log). Returns the visitor's
/// refusals this minute (0 for a signed-in caller). Failing to write is logged; the answer
/// stays a denial.
pub(crate) async fn record_denial(
    db: &Db,
    access: Option<&Access>,
    target: (&str, &str),
    denial: Denial,
    meta: &RequestMeta,
    now: i64,
) -> i64 {
    let Some(access) = access else {
        let target = format!("{}:{}", target.0, target.1);
        return match crate::audit::retention::count_anonymous_denial(
            db,
            meta.ip.as_deref(),
            &target,
            denial.code(),
            now,
        )
        .await
        {
            Ok(attempts) => attempts,
            Err(error) => {
                tracing::error!(%error, %target, "could not count a refused anonymous request");
                0
            }
        };
    };
    let actor = Actor::user(&access.user_id, &access.email);
    let permission = match denial {
        Denial::PermissionRequired { permission } => Some(permission.key().to_string()),
        Denial::AnyPermissionRequired { permissions } => Some(permissions.to_keys()),
        _ => None,
    };
    let event = Event::new("access.denied", actor, Outcome::Denied)
        .org(access.org_id())
        .target(target.0, target.1)
        .reason(denial.code())
        .metadata(serde_json::json!({ "permission": permission }))
        .request(meta);
    let result = async {
        let mut tx = db.begin().await?;
        audit::record(&mut tx, &event, now).await?;
        tx.commit().await
    }
    .await;
    if let Err(error) = result {
        tracing::error!(%error, target = target.1, "could not audit a denied request");
    }
    0
}

/// The caller's access as loaded for this request: a session and its access, or `None`.
type Loaded = Option<(Access, String)>;

/// A live session as loaded by [`load_signed_in`]: the caller's access, the session's id, and
/// the organizations the user belongs to (the page frame's switcher), all from one statement.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub access: Access,
    pub session_id: String,
    pub memberships: Vec<MembershipSummary>,
    /// Whether an ownership offer to the user is open in the active organization, when the
    /// statement that loaded the access could tell (`None`: it fell back to another
    /// organization; ask [`crate::team::server::offer_for`]).
    pub offer_open: Option<bool>,
}

/// The request's memo of the caller's access: the first guard (or page frame) of an HTTP
/// request loads it, every later one in the same request reuses it. Provided per request by
/// [`provide_request_memo`]; a committed write or a new session cookie in the request
/// empties it ([`crate::request::access_changed`]), so the next guard loads again.
#[derive(Clone, Default)]
struct AccessMemo(Arc<Mutex<MemoCell>>);

/// One load, with the session token it was made for.
type MemoCell = Arc<OnceCell<(Option<String>, Option<SignedIn>)>>;

impl AccessMemo {
    fn cell(&self) -> MemoCell {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    fn forget(&self) {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::default();
    }
}

/// Gives the current request (a page render or a server-function call) its own memo of the
/// caller's access; called by the router for every request.
pub fn provide_request_memo() {
    let memo = AccessMemo::default();
    let forget = memo.clone();
    provide_context(memo);
    provide_context(crate::request::OnAccessChange(Arc::new(move || forget.forget())));
}

/// The caller's access for this request: loaded once ([`load_access`]) and reused by every
/// guard of the same request, unless something in the request changed it since. Outside a
/// request with a memo (plain handlers, the CLI) it is simply loaded.
pub async fn request_access(state: &AppState, meta: &RequestMeta, now: i64) -> Result<Loaded> {
    let access = |s: SignedIn| (s.access, s.session_id);
    let copy = |s: &SignedIn| (s.access.clone(), s.session_id.clone());
    memoized(state, meta, now, access, copy).await
}

/// [`request_access`] with the user's memberships (the page frame's switcher): the same load.
pub async fn request_signed_in(state: &AppState, meta: &RequestMeta, now: i64) -> Result<Option<SignedIn>> {
    memoized(state, meta, now, |s| s, SignedIn::clone).await
}

/// The request's memoized load, as `take` makes of a fresh one or `copy` of the memo's.
async fn memoized<T>(
    state: &AppState,
    meta: &RequestMeta,
    now: i64,
    take: impl Fn(SignedIn) -> T,
    copy: impl Fn(&SignedIn) -> T,
) -> Result<Option<T>> {
    let token = meta.session_token.as_deref();
    let Some(memo) = use_context::<AccessMemo>() else {
        return Ok(load_signed_in(&state.db, &state.config, token, now).await?.map(take));
    };
    let cell = memo.cell();
    let (loaded_for, loaded) = cell
        .get_or_try_init(|| async {
            let loaded = load_signed_in(&state.db, &state.config, token, now).await?;
            Ok::<_, AppError>((token.map(str::to_string), loaded))
        })
        .await?;
    // One request carries one cookie; anything else is loaded on its own, never mixed up.
    if loaded_for.as_deref() != token {
        return Ok(load_signed_in(&state.db, &state.config, token, now).await?.map(take));
    }
    Ok(loaded.as_ref().map(copy))
}

/// The caller's access for a session token, or `None` when there is no live session (see
/// [`load_signed_in`]).
pub async fn load_access(db: &Db, config: &Config, token: Option<&str>, now: i64) -> Result<Loaded> {
    Ok(load_signed_in(db, config, token, now).await?.map(|s| (s.access, s.session_id)))
}

/// The live session of a token, or `None`. Expired sessions are deleted on sight. One
/// statement in the usual case: the session, its user, the membership in its active
/// organization with the role, the organization and its subscription, the live grants there,
/// and the user's memberships (see [`ACCESS_SELECT`]); a session whose active organization
/// is unset or no longer usable falls back to another membership.
pub async fn load_signed_in(db: &Db, config: &Config, token: Option<&str>, now: i64) -> Result<Option<SignedIn>> {
    let Some(token) = token else { return Ok(None) };
    let mut conn = db.conn().await?;
    let sql = match db.backend() {
        Backend::Sqlite => &*ACCESS_SELECT_SQLITE,
        Backend::Postgres => &*ACCESS_SELECT_POSTGRES,
    };
    let Some(row) = sqlx::query_as::<_, AccessRow>(sql)
        .bind(session::hash_token(token))
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let AccessRow { session, org: org_row, grants, memberships, offers } = row;
    let mut offer_open = None;
    let (org, grants) = match org_row {
        Some(row) => {
            let grants = grants
                .as_deref()
                .map_or(PermissionSet::EMPTY, |keys| parse_grants(keys, &row.org_id, &session.user_id));
            offer_open = Some(offers > 0);
            (Some(row.into_access(now)), grants)
        }
        // No usable active organization: another membership, and its grants.
        None => match fallback_org(&mut conn, &session).await? {
            Some(row) => {
                let grants = live_grants(&mut conn, &row.org_id, &session.user_id, now).await?;
                (Some(row.into_access(now)), grants)
            }
            None => (None, PermissionSet::EMPTY),
        },
    };
    let (role_permissions, mfa_required) = match &org {
        Some((org, permissions)) => (*permissions, org.mfa_required),
        None => (PermissionSet::EMPTY, false),
    };
    let idle = if mfa_required || session.platform_staff != 0 {
        config.session_privileged_idle_secs
    } else {
        config.session_idle_secs
    };
    if session::expiry(session.last_seen_at, session.expires_at, idle, now) != Expiry::Live {
        session::delete(&mut conn, &session.id).await?;
        return Ok(None);
    }
    session::touch(&mut conn, &session, now).await?;

    let mfa_verified = session.mfa_verified_at.is_some();
    let Effective { mut granted, mut permissions, delegable } =
        Access::effective(role_permissions, grants, mfa_required, mfa_verified);
    let owner_recently_verified = org.as_ref().is_some_and(|(o, _)| o.builtin == Some(BuiltinRole::Owner))
        && session.mfa_verified_at.is_some_and(|at| now - at < crate::mfa::OWNER_EXEMPT_SECS);
    let step_up = session.step_up_until.is_some_and(|until| until > now) || owner_recently_verified;
    let platform_staff = session.platform_staff != 0;
    if platform_staff {
        // Platform staff always sign in with MFA before their permissions apply.
        granted = granted.union(PermissionSet::PLATFORM);
        if mfa_verified {
            permissions = permissions.union(PermissionSet::PLATFORM);
        }
    }
    let access = Access {
        user_id: session.user_id.clone(),
        email: session.email.clone(),
        name: session.name.clone(),
        platform_staff,
        org: org.map(|(org, _)| org),
        granted,
        permissions,
        delegable,
        mfa_enrolled: session.mfa_enrolled_at.is_some(),
        mfa_verified,
        step_up,
        step_up_until: session.step_up_until,
    };
    Ok(Some(SignedIn { access, session_id: session.id, memberships, offer_open }))
}

/// The user's unexpired grants in `org_id`. Read on every request: a revoked or expired
/// grant stops applying at the very next one.
async fn live_grants(conn: &mut Conn, org_id: &str, user_id: &str, now: i64) -> Result<PermissionSet> {
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT permission FROM grants WHERE org_id = $1 AND user_id = $2 AND (expires_at IS NULL OR expires_at > $3)",
    )
    .bind(org_id)
    .bind(user_id)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    Ok(parse_grants(&keys.join(" "), org_id, user_id))
}

/// The permissions of space-separated grant keys (unknown keys are logged and ignored).
fn parse_grants(keys: &str, org_id: &str, user_id: &str) -> PermissionSet {
    let (set, unknown) = PermissionSet::parse_keys(keys);
    if !unknown.is_empty() {
        tracing::warn!(%org_id, %user_id, ?unknown, "grants hold unknown permission keys");
    }
    set
}

#[derive(sqlx::FromRow)]
struct OrgRoleRow {
    org_id: String,
    name: String,
    slug: String,
    timezone: String,
    currency: String,
    onboarding_state: String,
    role_id: String,
    role_key: String,
    role_name: String,
    builtin: i64,
    permissions: String,
    subscription_status: Option<String>,
    plan: Option<String>,
    trial_ends_at: Option<i64>,
    current_period_end: Option<i64>,
}

const ORG_ROLE_SELECT: &str = "SELECT o.id AS org_id, o.name, o.slug, o.timezone, o.currency, o.onboarding_state, \
     r.id AS role_id, r.role_key, r.name AS role_name, r.builtin, r.permissions, \
     s.status AS subscription_status, s.plan, s.trial_ends_at, s.current_period_end \
     FROM memberships m JOIN organizations o ON o.id = m.org_id JOIN roles r ON r.id = m.role_id \
     LEFT JOIN subscriptions s ON s.org_id = o.id";

/// A membership is usable from a session unless an admin forced sign-out after the session
/// began (`$2`: the session's creation time).
const USABLE_FALLBACK: &str = "(m.sessions_valid_after IS NULL OR m.sessions_valid_after <= $2)";

/// The whole of a request's access in one statement: the session by its token's hash (`$1`),
/// its user, and — when the membership in its active organization is usable — that
/// membership's role, organization and subscription, with the live grants there at `$2`
/// folded into one space-separated column (`{AGG}`: the backend's string aggregate); and all
/// of the user's memberships as a JSON array of `[org id, org name, role name, membership
/// id]` in name order (`{ORGS}`, the backend's JSON aggregate; the page frame lists them);
/// and how many ownership offers to the user are open there (at most one: the home page asks
/// for the offer only when there is one).
const ACCESS_SELECT: &str = "SELECT s.id, s.user_id, s.active_org_id, s.created_at, s.last_seen_at, s.expires_at, \
     s.mfa_verified_at, u.email, u.name, u.platform_staff, u.mfa_enrolled_at, s.step_up_until, \
     o.id AS org_id, o.name AS org_name, o.slug, o.timezone, o.currency, o.onboarding_state, \
     r.id AS role_id, r.role_key, r.name AS role_name, r.builtin, r.permissions, \
     sub.status AS subscription_status, sub.plan, sub.trial_ends_at, sub.current_period_end, \
     (SELECT {AGG} FROM grants g WHERE g.org_id = o.id AND g.user_id = s.user_id \
       AND (g.expires_at IS NULL OR g.expires_at > $2)) AS grants, \
     (SELECT {ORGS} FROM memberships um JOIN organizations uo ON uo.id = um.org_id \
       JOIN roles ur ON ur.id = um.role_id WHERE um.user_id = s.user_id) AS memberships, \
     (SELECT CAST(COUNT(*) AS BIGINT) FROM ownership_transfers t WHERE t.org_id = o.id AND t.status = 'pending' \
       AND t.to_user_id = s.user_id AND t.expires_at > $2) AS offers \
     FROM sessions s JOIN users u ON u.id = s.user_id \
     LEFT JOIN memberships m ON m.user_id = s.user_id AND m.org_id = s.active_org_id \
       AND (m.sessions_valid_after IS NULL OR m.sessions_valid_after <= s.created_at) \
     LEFT JOIN organizations o ON o.id = m.org_id \
     LEFT JOIN roles r ON r.id = m.role_id \
     LEFT JOIN subscriptions sub ON sub.org_id = o.id \
     WHERE s.token_hash = $1";

static ACCESS_SELECT_SQLITE: LazyLock<String> = LazyLock::new(|| {
    ACCESS_SELECT
        .replace("{AGG}", "group_concat(g.permission, ' ')")
        .replace("{ORGS}", "json_group_array(json_array(uo.id, uo.name, ur.name, um.id) ORDER BY uo.name, uo.id)")
});
static ACCESS_SELECT_POSTGRES: LazyLock<String> = LazyLock::new(|| {
    ACCESS_SELECT.replace("{AGG}", "string_agg(g.permission, ' ')").replace(
        "{ORGS}",
        "CAST(json_agg(json_build_array(uo.id, uo.name, ur.name, um.id) ORDER BY uo.name, uo.id) AS TEXT)",
    )
});

/// A row of [`ACCESS_SELECT`].
struct AccessRow {
    session: SessionRow,
    /// `None` when the active organization is unset or its membership is not usable.
    org: Option<OrgRoleRow>,
    grants: Option<String>,
    memberships: Vec<MembershipSummary>,
    /// Open ownership offers to the user in the active organization.
    offers: i64,
}

impl<'r> sqlx::FromRow<'r, AnyRow> for AccessRow {
    fn from_row(row: &'r AnyRow) -> std::result::Result<Self, sqlx::Error> {
        let session = SessionRow::from_row(row)?;
        let org = match row.try_get::<Option<String>, _>("org_id")? {
            Some(org_id) => Some(OrgRoleRow {
                org_id,
                name: row.try_get("org_name")?,
                slug: row.try_get("slug")?,
                timezone: row.try_get("timezone")?,
                currency: row.try_get("currency")?,
                onboarding_state: row.try_get("onboarding_state")?,
                role_id: row.try_get("role_id")?,
                role_key: row.try_get("role_key")?,
                role_name: row.try_get("role_name")?,
                builtin: row.try_get("builtin")?,
                permissions: row.try_get("permissions")?,
                subscription_status: row.try_get("subscription_status")?,
                plan: row.try_get("plan")?,
                trial_ends_at: row.try_get("trial_ends_at")?,
                current_period_end: row.try_get("current_period_end")?,
            }),
            None => None,
        };
        // `[[org id, org name, role name, membership id], …]`; PostgreSQL's aggregate of no
        // rows is NULL.
        let memberships: Option<String> = row.try_get("memberships")?;
        let memberships: Vec<(String, String, String, String)> = match memberships {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| sqlx::Error::ColumnDecode { index: "memberships".to_string(), source: Box::new(e) })?,
            None => Vec::new(),
        };
        let memberships = memberships
            .into_iter()
            .map(|(org_id, org_name, role_name, membership_id)| MembershipSummary {
                org_id,
                org_name,
                role_name,
                membership_id,
            })
            .collect();
        Ok(AccessRow { session, org, grants: row.try_get("grants")?, memberships, offers: row.try_get("offers")? })
    }
}

/// The membership a session falls back to when its active organization is unset or no longer
/// usable (removed from it, or signed out of it by an admin): the user's most recently used
/// usable one, recorded in the session.
async fn fallback_org(conn: &mut Conn, session: &SessionRow) -> Result<Option<OrgRoleRow>> {
    let row: Option<OrgRoleRow> = sqlx::query_as(&format!(
        "{ORG_ROLE_SELECT} WHERE m.user_id = $1 AND {USABLE_FALLBACK} \
         ORDER BY COALESCE(m.last_active_at, 0) DESC, m.created_at, m.org_id LIMIT 1"
    ))
    .bind(&session.user_id)
    .bind(session.created_at)
    .fetch_optional(&mut *conn)
    .await?;
    let fallback = row.as_ref().map(|r| r.org_id.as_str());
    if fallback != session.active_org_id.as_deref() {
        session::set_active_org(conn, &session.id, fallback).await?;
    }
    Ok(row)
}

impl OrgRoleRow {
    /// The organization as the caller stands in it, and their role's permissions.
    fn into_access(self, now: i64) -> (OrgAccess, PermissionSet) {
        let r = self;
        let (builtin, permissions, unknown) = stored_role(r.builtin != 0, &r.role_key, &r.permissions);
        if !unknown.is_empty() {
            tracing::warn!(role_id = %r.role_id, ?unknown, "custom role holds unknown permission keys");
        }
        let org = OrgAccess {
            org_id: r.org_id,
            name: r.name,
            slug: r.slug,
            timezone: r.timezone,
            currency: r.currency,
            role_id: r.role_id,
            role_key: r.role_key,
            role_name: r.role_name,
            builtin,
            mfa_required: role_requires_mfa(builtin, permissions),
            onboarding_complete: r.onboarding_state == "complete",
            standing: Standing::of(r.subscription_status.as_deref(), r.trial_ends_at, r.current_period_end, now),
            plan: r.plan.unwrap_or_else(|| "trial".into()),
        };
        (org, permissions)
    }
}

/// `user_id`'s membership in `org_id` — the organization as they stand in it and their
/// role's permissions — or `None` when they are not a member (for API keys, which act for
/// the member who made them).
pub async fn membership(
    conn: &mut Conn,
    user_id: &str,
    org_id: &str,
    now: i64,
) -> Result<Option<(OrgAccess, PermissionSet)>> {
    let row: Option<OrgRoleRow> = sqlx::query_as(&format!("{ORG_ROLE_SELECT} WHERE m.user_id = $1 AND m.org_id = $2"))
        .bind(user_id)
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.into_access(now)))
}
