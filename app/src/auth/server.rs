//! Sign-up, sign-in and sign-out (server only). Functions take the pool, configuration and
//! request facts explicitly, so database tests call them directly on both backends.

use super::password::{PasswordHasher, check_new_password};
use super::session::{self, NewSession};
use super::throttle::{self, ACCOUNT_POLICY, IP_POLICY, ThrottlePolicy};
use super::{MAX_PASSWORD_CHARS, validate_email, validate_person_name};
use crate::access::{role_requires_mfa, stored_role};
use crate::audit::{self, Actor, Event, Outcome};
use crate::config::Config;
use crate::db::{Conn, Db};
use crate::error::{AppError, Result};
use crate::mail::Mail;
use crate::orgs::{self, server::NewOrg};
use crate::request::RequestMeta;
use serde_json::json;

/// Validated sign-up input.
#[derive(Clone)]
pub struct SignUpInput {
    pub name: String,
    pub email: String,
    pub password: String,
    pub organization: String,
}

// The password never reaches a log.
impl std::fmt::Debug for SignUpInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignUpInput")
            .field("email", &self.email)
            .field("organization", &self.organization)
            .finish_non_exhaustive()
    }
}

impl SignUpInput {
    pub fn parse(name: &str, email: &str, password: &str, organization: &str) -> Result<SignUpInput> {
        let name = validate_person_name(name)?;
        let email = validate_email(email)?;
        check_new_password(password, &email).map_err(|p| AppError::invalid("password", p.message()))?;
        let organization =
            orgs::validate_org_name(organization).map_err(|e| AppError::invalid("organization", e.to_string()))?;
        Ok(SignUpInput { name, email, password: password.to_string(), organization })
    }
}

/// Creates a (non-staff) account; `None` when the address already has one.
pub async fn insert_user(
    conn: &mut Conn,
    email: &str,
    name: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<String>> {
    let user_id = crate::db::new_id();
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, platform_staff, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $5) ON CONFLICT (email) DO NOTHING",
    )
    .bind(&user_id)
    .bind(email)
    .bind(name)
    .bind(password_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok((inserted == 1).then_some(user_id))
}

/// Reserves a second-factor attempt of `user_id` (sign-in challenge, re-enrollment, turning
/// two-factor off) against the user's second-factor throttle; a refusal is audited as
/// `event` and answered 429. Clear it with [`clear_second_factor`] once a code was right.
pub async fn reserve_second_factor(db: &Db, user_id: &str, event: Event, now: i64) -> Result<()> {
    let key = throttle::mfa_key(user_id);
    let mut tx = db.begin().await?;
    if throttle::reserve(&mut tx, &ACCOUNT_POLICY, &key, now).await?.is_none() {
        tx.rollback().await?;
        return Err(refuse_throttled(db, &ACCOUNT_POLICY, &key, event, now).await?);
    }
    tx.commit().await?;
    Ok(())
}

/// Forgets `user_id`'s second-factor failures (a right code).
pub async fn clear_second_factor(conn: &mut Conn, user_id: &str) -> Result<()> {
    Ok(throttle::clear(conn, &throttle::mfa_key(user_id)).await?)
}

/// An attempt `policy` refused for `key` (its reservation rolled back): audited as `event`
/// with the reason `throttled` and the wait, in its own transaction. Returns the answer.
async fn refuse_throttled(db: &Db, policy: &ThrottlePolicy, key: &str, event: Event, now: i64) -> Result<AppError> {
    let mut tx = db.begin().await?;
    let wait = throttle::wait_for(&mut tx, policy, key, now).await?;
    let mut event = event.reason("throttled");
    if let Some(metadata) = event.metadata.as_object_mut() {
        metadata.insert("retry_after".into(), wait.into());
    }
    audit::record(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(AppError::Throttled { retry_after: wait as u64 })
}

/// How long a sign-up link works.
pub const SIGNUP_LINK_SECS: i64 = 24 * 3600;

/// Sign-ups started from one address: ten an hour are free, then each waits longer.
pub const SIGNUP_POLICY: ThrottlePolicy =
    ThrottlePolicy { free_failures: 10, base_delay: 30, max_delay: 3600, forget_after: 3600 };

/// Starts a sign-up. The answer is the same whether or not the address has an account, and
/// costs the same (a password hash either way): a new address is sent a link that creates
/// the account ([`confirm_sign_up`]); an existing one is sent a note that it already has an
/// account. Throttled per client address.
pub async fn request_sign_up(
    db: &Db,
    config: &Config,
    hasher: &PasswordHasher,
    input: &SignUpInput,
    meta: &RequestMeta,
    now: i64,
) -> Result<()> {
    let actor = Actor::Anonymous { label: input.email.clone() };
    if let Some(ip) = &meta.ip {
        let key = format!("signup:{ip}");
        let mut tx = db.begin().await?;
        if throttle::reserve(&mut tx, &SIGNUP_POLICY, &key, now).await?.is_none() {
            tx.rollback().await?;
            let event = Event::new("auth.sign_up", actor, Outcome::Denied).request(meta);
            return Err(refuse_throttled(db, &SIGNUP_POLICY, &key, event, now).await?);
        }
        tx.commit().await?;
    }
    // Hash before the transaction: it is slow and needs no lock.
    let password_hash = hasher.hash(&input.password).await?;
    let mut tx = db.begin().await?;
    let existing: Option<String> =
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(&input.email).fetch_optional(&mut *tx).await?;
    let origin = &config.public_origin;
    let (subject, body, link) = match &existing {
        None => {
            let (token, token_hash) = session::new_token();
            sqlx::query(
                "INSERT INTO signup_requests (id, token_hash, email, name, password_hash, organization, created_at, \
                 expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(crate::db::new_id())
            .bind(&token_hash)
            .bind(&input.email)
            .bind(&input.name)
            .bind(&password_hash)
            .bind(&input.organization)
            .bind(now)
            .bind(now + SIGNUP_LINK_SECS)
            .execute(&mut *tx)
            .await?;
            let link = format!("{origin}/signup/confirm/{token}");
            let body = format!(
                "Hello {},\n\nConfirm your email address to create your Gatehouse account and the organization \
                 {}:\n\n{link}\n\nThe link works once, for 24 hours. If you did not sign up, ignore this email.\n",
                input.name, input.organization
            );
            ("Confirm your Gatehouse account", body, Some(link))
        }
        Some(_) => {
            let body = format!(
                "Hello,\n\nSomeone asked to create a Gatehouse account with this address, which already has one. \
                 If it was you, sign in at {origin}/login.\n\n\
                 If it was not you, you can ignore this email: nothing was changed.\n"
            );
            ("You already have a Gatehouse account", body, None)
        }
    };
    let mail = Mail {
        kind: if link.is_some() { crate::mail::Kind::SignUp } else { crate::mail::Kind::Notice },
        org_id: None,
        to: &input.email,
        subject: subject.into(),
        body,
        secret: link.as_deref().map(|link| (link, now + SIGNUP_LINK_SECS)),
    };
    crate::mail::enqueue(&mut tx, &config.secret_key, &mail, now).await?;
    audit::record(
        &mut tx,
        &Event::new("auth.sign_up_request", actor, Outcome::Allowed)
            .metadata(json!({ "organization": input.organization, "existing_account": existing.is_some() }))
            .request(meta),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SignupRequest {
    email: String,
    name: String,
    password_hash: String,
    organization: String,
    expires_at: i64,
}

/// Creates the account of a confirmed sign-up: user + organization + owner membership +
/// trial subscription + session in one transaction, audited in it: all of it, or nothing.
///
/// Whoever follows the link must also know the password chosen at sign-up: otherwise
/// someone could ask for an account in another person's name, with a password of their own,
/// and wait for that person to click (account pre-hijacking). Wrong passwords count against
/// the address's sign-in throttle. The link is claimed atomically once the password is right
/// (it works once, even when followed twice at once).
pub async fn confirm_sign_up(
    db: &Db,
    config: &Config,
    hasher: &PasswordHasher,
    token: &str,
    password: &str,
    meta: &RequestMeta,
    now: i64,
) -> Result<(NewSession, NewOrg)> {
    let invalid = || {
        AppError::conflict("signup_link_invalid", "This link does not work (any more). Sign up again to get a new one.")
    };
    let token_hash = session::hash_token(token);
    let request: SignupRequest = {
        let mut conn = db.conn().await?;
        sqlx::query_as(
            "SELECT email, name, password_hash, organization, expires_at FROM signup_requests WHERE token_hash = $1",
        )
        .bind(&token_hash)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(invalid)?
    };
    if request.expires_at <= now {
        return Err(invalid());
    }
    let key = throttle::account_key(&request.email);
    let actor = Actor::Anonymous { label: request.email.clone() };
    let mut tx = db.begin().await?;
    if throttle::reserve(&mut tx, &ACCOUNT_POLICY, &key, now).await?.is_none() {
        tx.rollback().await?;
        let event = Event::new("auth.sign_up", actor, Outcome::Denied).request(meta);
        return Err(refuse_throttled(db, &ACCOUNT_POLICY, &key, event, now).await?);
    }
    tx.commit().await?;
    if !hasher.verify(password, Some(&request.password_hash)).await? {
        let mut tx = db.begin().await?;
        let event = Event::new("auth.sign_up", actor, Outcome::Failed).reason("wrong_password").request(meta);
        audit::record(&mut tx, &event, now).await?;
        tx.commit().await?;
        return Err(AppError::invalid(
            "password",
            "That is not the password chosen when signing up. If you did not sign up, ignore the email.",
        ));
    }
    let mut tx = db.begin().await?;
    throttle::clear(&mut tx, &key).await?;
    let claimed = sqlx::query("DELETE FROM signup_requests WHERE token_hash = $1 AND expires_at > $2")
        .bind(&token_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if claimed != 1 {
        tx.commit().await?;
        return Err(invalid());
    }
    let Some(user_id) = insert_user(&mut tx, &request.email, &request.name, &request.password_hash, now).await? else {
        tx.commit().await?;
        return Err(AppError::conflict("email_taken", "An account with this email already exists. Sign in instead."));
    };
    let org = orgs::server::create_with_owner(&mut tx, &user_id, &request.organization, now).await?;
    if let Some(old) = &meta.session_token {
        session::delete_by_token(&mut tx, old).await?;
    }
    let new_session = session::create(&mut tx, config, &user_id, Some(&org.id), false, meta, now).await?;
    audit::record(
        &mut tx,
        &Event::new("auth.sign_up", Actor::user(&user_id, &request.email), Outcome::Allowed)
            .org(Some(&org.id))
            .target("organization", &org.id)
            .metadata(json!({ "organization": request.organization, "slug": org.slug }))
            .request(meta),
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user_id = %user_id, org_id = %org.id, "signed up");
    Ok((new_session, org))
}

/// Drops sign-up requests whose link expired (housekeeping).
pub async fn purge_expired_signups(conn: &mut Conn, now: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM signup_requests WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected())
}

#[derive(sqlx::FromRow)]
struct Credentials {
    id: String,
    email: String,
    password_hash: String,
    mfa_enrolled_at: Option<i64>,
    platform_staff: i64,
}

/// Where a correct password leads.
#[derive(Debug)]
pub enum SignInStep {
    /// Signed in. `enroll_mfa`: the user's role requires MFA they have not set up yet, so
    /// they are sent to enrollment (their privileged permissions wait for it).
    Session { session: NewSession, enroll_mfa: bool },
    /// The password was right and the second factor is due: the token goes into the
    /// short-lived challenge cookie.
    SecondFactor { challenge: String },
}

/// Checks email and password. Unknown emails and wrong passwords cost the same time and get
/// the same answer; repeated failures are throttled per account and per IP. A user enrolled
/// in MFA gets a challenge for the second factor; anyone else a new session (the pre-login
/// session, if any, is killed).
#[allow(clippy::too_many_arguments)]
pub async fn sign_in(
    db: &Db,
    config: &Config,
    hasher: &PasswordHasher,
    email: &str,
    password: &str,
    next: &str,
    meta: &RequestMeta,
    now: i64,
) -> Result<SignInStep> {
    let email = validate_email(email).map_err(|_| AppError::InvalidCredentials)?;
    if password.is_empty() || password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(AppError::InvalidCredentials);
    }
    let account_key = throttle::account_key(&email);
    let ip_key = meta.ip.as_deref().map(throttle::ip_key);

    let mut conn = db.conn().await?;
    let user: Option<Credentials> =
        sqlx::query_as("SELECT id, email, password_hash, mfa_enrolled_at, platform_staff FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&mut *conn)
            .await?;
    drop(conn);
    let actor = match &user {
        Some(u) => Actor::user(&u.id, &u.email),
        None => Actor::Anonymous { label: email.clone() },
    };

    // The attempt is reserved against both limits before the password is checked.
    let mut tx = db.begin().await?;
    let mut failures = throttle::reserve(&mut tx, &ACCOUNT_POLICY, &account_key, now).await?;
    let mut refused_by = (failures.is_none()).then_some((&ACCOUNT_POLICY, account_key.as_str()));
    if let (Some(ip_key), None) = (&ip_key, refused_by)
        && throttle::reserve(&mut tx, &IP_POLICY, ip_key, now).await?.is_none()
    {
        refused_by = Some((&IP_POLICY, ip_key.as_str()));
        failures = None;
    }
    if let Some((policy, key)) = refused_by {
        tx.rollback().await?;
        tracing::warn!(ip = ?meta.ip, "sign-in throttled");
        let event = Event::new("auth.sign_in", actor, Outcome::Denied).request(meta);
        return Err(refuse_throttled(db, policy, key, event, now).await?);
    }
    tx.commit().await?;

    let valid = hasher.verify(password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
    let Some(user) = user.filter(|_| valid) else {
        // The reservation stands as the failure.
        let mut tx = db.begin().await?;
        audit::record(
            &mut tx,
            &Event::new("auth.sign_in", actor, Outcome::Failed)
                .reason("invalid_credentials")
                .metadata(json!({ "account_failures": failures }))
                .request(meta),
            now,
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::InvalidCredentials);
    };

    let mut tx = db.begin().await?;
    throttle::clear(&mut tx, &account_key).await?;
    if let Some(ip_key) = &ip_key {
        throttle::release(&mut tx, ip_key).await?;
    }
    if user.mfa_enrolled_at.is_some() {
        let challenge = crate::mfa::server::create_challenge(&mut tx, &user.id, next, now).await?;
        tx.commit().await?;
        return Ok(SignInStep::SecondFactor { challenge });
    }
    let (session, org_id) = open_session(&mut tx, config, &user.id, false, meta, now).await?;
    let enroll_mfa = user.platform_staff != 0 || role_requires_mfa_in(&mut tx, &user.id, org_id.as_deref()).await?;
    audit::record(
        &mut tx,
        &Event::new("auth.sign_in", Actor::user(&user.id, &user.email), Outcome::Allowed)
            .org(org_id.as_deref())
            .target("session", &session.id)
            .metadata(json!({ "mfa": null }))
            .request(meta),
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, session_id = %session.id, "signed in");
    Ok(SignInStep::Session { session, enroll_mfa })
}

/// Opens a session in the user's most recently used organization, killing the pre-login
/// session the request carried, if any.
async fn open_session(
    conn: &mut crate::db::Conn,
    config: &Config,
    user_id: &str,
    mfa_verified: bool,
    meta: &RequestMeta,
    now: i64,
) -> Result<(NewSession, Option<String>)> {
    if let Some(old) = &meta.session_token {
        session::delete_by_token(conn, old).await?;
    }
    let org_id: Option<String> = sqlx::query_scalar(
        "SELECT org_id FROM memberships WHERE user_id = $1 \
         ORDER BY COALESCE(last_active_at, 0) DESC, created_at, org_id LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    let new_session = session::create(conn, config, user_id, org_id.as_deref(), mfa_verified, meta, now).await?;
    Ok((new_session, org_id))
}

/// Whether the user's role in `org_id` requires MFA.
async fn role_requires_mfa_in(conn: &mut crate::db::Conn, user_id: &str, org_id: Option<&str>) -> Result<bool> {
    let Some(org_id) = org_id else { return Ok(false) };
    let role: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT r.role_key, r.builtin, r.permissions FROM memberships m JOIN roles r ON r.id = m.role_id \
         WHERE m.user_id = $1 AND m.org_id = $2",
    )
    .bind(user_id)
    .bind(org_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(role.is_some_and(|(key, builtin, permissions)| {
        let (builtin, permissions, _) = stored_role(builtin != 0, &key, &permissions);
        role_requires_mfa(builtin, permissions)
    }))
}

/// The second step of an MFA sign-in: the challenge cookie's token and a TOTP or recovery
/// code. Accepted: a new MFA-verified session and where to go. Refused: the attempt is
/// counted against the challenge (5 at most) and the user's MFA throttle, and audited.
pub async fn complete_second_factor(
    db: &Db,
    config: &Config,
    challenge_token: Option<&str>,
    code: &str,
    meta: &RequestMeta,
    now: i64,
) -> Result<(NewSession, String)> {
    use crate::mfa::server::{self as mfa, Verdict};
    let expired = || AppError::conflict("sign_in_expired", "This sign-in has expired. Sign in again.");
    let token = challenge_token.ok_or_else(expired)?;
    let mut conn = db.conn().await?;
    let challenge = mfa::find_challenge(&mut conn, token, now).await?.ok_or_else(expired)?;
    let user = mfa::load(&mut conn, &challenge.user_id).await?;
    drop(conn);
    let mfa_key = throttle::mfa_key(&user.id);
    let actor = Actor::user(&user.id, &user.email);

    // The attempt is reserved against the challenge's five and the user's second-factor
    // throttle before the code is checked.
    let mut tx = db.begin().await?;
    let Some(attempts) = mfa::reserve_challenge_attempt(&mut tx, &challenge.id, now).await? else {
        // Used up, or gone since it was read (expired, or spent by a code sent twice).
        let used_up = mfa::challenge_attempts(&mut tx, &challenge.id)
            .await?
            .is_some_and(|a| a >= crate::mfa::CHALLENGE_MAX_ATTEMPTS);
        mfa::delete_challenge(&mut tx, &challenge.id).await?;
        let reason = if used_up { "too_many_attempts" } else { "challenge_expired" };
        let event = Event::new("auth.mfa", actor, Outcome::Denied).reason(reason).request(meta);
        audit::record(&mut tx, &event, now).await?;
        tx.commit().await?;
        return Err(if used_up {
            AppError::conflict("sign_in_expired", "Too many wrong codes. Sign in again.")
        } else {
            expired()
        });
    };
    if throttle::reserve(&mut tx, &ACCOUNT_POLICY, &mfa_key, now).await?.is_none() {
        tx.rollback().await?;
        let event = Event::new("auth.mfa", actor, Outcome::Denied).request(meta);
        return Err(refuse_throttled(db, &ACCOUNT_POLICY, &mfa_key, event, now).await?);
    }
    tx.commit().await?;

    let factor = crate::mfa::parse_second_factor(code);
    let mut tx = db.begin().await?;
    let verdict = match &factor {
        Ok(factor) => mfa::accept_second_factor(&mut tx, &config.secret_key, &user, factor, now).await?,
        Err(_) => Verdict::Wrong,
    };
    if !verdict.accepted() {
        if attempts >= crate::mfa::CHALLENGE_MAX_ATTEMPTS {
            mfa::delete_challenge(&mut tx, &challenge.id).await?;
        }
        let (outcome, reason) = match (&factor, verdict) {
            (Err(_), _) => (Outcome::Failed, "malformed_code"),
            (_, Verdict::Replayed) => (Outcome::Denied, "replayed_code"),
            (_, Verdict::RecoveryUsed) => (Outcome::Denied, "recovery_code_already_used"),
            _ => (Outcome::Failed, "wrong_code"),
        };
        audit::record(
            &mut tx,
            &Event::new("auth.mfa", actor, outcome)
                .reason(reason)
                .metadata(json!({ "attempts": attempts }))
                .request(meta),
            now,
        )
        .await?;
        tx.commit().await?;
        if reason == "replayed_code" {
            tracing::warn!(user_id = %user.id, "a TOTP code was replayed");
        }
        return Err(match (factor, verdict) {
            (Err(error), _) => error,
            (_, Verdict::Replayed) => {
                AppError::invalid("code", "That code was already used. Wait for the next code in your app.")
            }
            (_, Verdict::RecoveryUsed) => AppError::invalid("code", "That recovery code was already used."),
            _ if attempts >= crate::mfa::CHALLENGE_MAX_ATTEMPTS => {
                AppError::conflict("sign_in_expired", "Too many wrong codes. Sign in again.")
            }
            _ => AppError::invalid("code", "That code is not right. Check your authenticator app and try again."),
        });
    }
    mfa::delete_challenge(&mut tx, &challenge.id).await?;
    throttle::clear(&mut tx, &mfa_key).await?;
    let (session, org_id) = open_session(&mut tx, config, &user.id, true, meta, now).await?;
    let method = if verdict == Verdict::Recovery { "recovery_code" } else { "totp" };
    if verdict == Verdict::Recovery {
        let left = mfa::recovery_codes_left(&mut tx, &user.id).await?;
        audit::record(
            &mut tx,
            &Event::new("mfa.recovery_code_used", actor.clone(), Outcome::Allowed)
                .org(org_id.as_deref())
                .metadata(json!({ "codes_left": left }))
                .request(meta),
            now,
        )
        .await?;
    }
    audit::record(
        &mut tx,
        &Event::new("auth.sign_in", actor, Outcome::Allowed)
            .org(org_id.as_deref())
            .target("session", &session.id)
            .metadata(json!({ "mfa": method }))
            .request(meta),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((session, challenge.next_path))
}

/// Kills the session server-side; its cookie stops working at once.
pub async fn sign_out(
    db: &Db,
    session_id: &str,
    actor: Actor,
    org_id: Option<&str>,
    meta: &RequestMeta,
    now: i64,
) -> Result<()> {
    let mut tx = db.begin().await?;
    session::delete(&mut tx, session_id).await?;
    audit::record(
        &mut tx,
        &Event::new("auth.sign_out", actor, Outcome::Allowed).org(org_id).target("session", session_id).request(meta),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates a further organization for a signed-in user, who becomes its owner, and makes
/// it the session's active organization.
pub async fn create_org(
    db: &Db,
    user_id: &str,
    email: &str,
    session_id: &str,
    name: &str,
    meta: &RequestMeta,
    now: i64,
) -> Result<NewOrg> {
    let name = orgs::validate_org_name(name)?;
    let mut tx = db.begin().await?;
    let org = orgs::server::create_with_owner(&mut tx, user_id, &name, now).await?;
    session::set_active_org(&mut tx, session_id, Some(&org.id)).await?;
    audit::record(
        &mut tx,
        &Event::new("org.create", Actor::user(user_id, email), Outcome::Allowed)
            .org(Some(&org.id))
            .target("organization", &org.id)
            .metadata(json!({ "name": name, "slug": org.slug }))
            .request(meta),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(org)
}

/// Re-checks a signed-in user's password before a security change (`purpose` names it, e.g.
/// `mfa.disable`). The attempt is reserved against the account's sign-in throttle before the
/// password is checked, so a stolen session cannot guess faster than a sign-in form; a wrong
/// or throttled attempt is audited as `auth.password_check`.
pub async fn recheck_password(
    cx: &crate::access::UserCtx,
    password_hash: &str,
    password: &str,
    purpose: &str,
) -> Result<()> {
    let db = &cx.state.db;
    let key = throttle::account_key(&cx.access.email);
    let event = |outcome: Outcome, reason: &str| {
        cx.event("auth.password_check", outcome).target("user", &cx.access.user_id).reason(reason)
    };
    let mut tx = db.begin().await?;
    if throttle::reserve(&mut tx, &ACCOUNT_POLICY, &key, cx.now).await?.is_none() {
        tx.rollback().await?;
        let refused = event(Outcome::Denied, "throttled").metadata(json!({ "for": purpose }));
        return Err(refuse_throttled(db, &ACCOUNT_POLICY, &key, refused, cx.now).await?);
    }
    tx.commit().await?;
    let valid = cx.state.hasher.verify(password, Some(password_hash)).await?;
    let mut tx = db.begin().await?;
    if valid {
        throttle::clear(&mut tx, &key).await?;
    } else {
        let metadata = json!({ "for": purpose });
        audit::record(&mut tx, &event(Outcome::Failed, "wrong_password").metadata(metadata), cx.now).await?;
    }
    tx.commit().await?;
    if valid { Ok(()) } else { Err(AppError::invalid("password", "That is not your current password.")) }
}
