//! Two-factor, step-up and session-management server functions.

use crate::access::Requirement;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    super::server::{self as mfa, Verdict},
    crate::access::{UserCtx, guard_user},
    crate::audit::{self, Outcome},
    crate::auth::api::set_cookie,
    crate::auth::server::{clear_second_factor, recheck_password, reserve_second_factor},
    crate::auth::session,
    crate::db::Conn,
    crate::request::RequestMeta,
    crate::state::app_state,
    serde_json::json,
};

/// Managing one's own security settings and sessions needs a session, nothing more.
pub const OWN_SECURITY: Requirement = Requirement::SIGNED_IN;

/// The security page's view of the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityOverview {
    pub email: String,
    pub mfa_enrolled: bool,
    /// The role (or platform staff) requires MFA.
    pub mfa_required: bool,
    pub recovery_codes_left: i64,
    pub has_pin: bool,
    pub step_up_until: Option<String>,
    pub step_up_locked_until: Option<String>,
    pub sessions: Vec<SessionInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: String,
    pub current: bool,
    pub device: String,
    pub ip: Option<String>,
    pub created: String,
    pub last_seen: String,
}

/// What an authenticator app needs to be set up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentStart {
    /// Base32, for typing in by hand.
    pub secret: String,
    pub otpauth_url: String,
    /// The QR code of the URL, as SVG.
    pub qr_svg: String,
}

/// "Chrome on Linux" from a user agent, for the session list.
pub fn describe_user_agent(ua: Option<&str>) -> String {
    let Some(ua) = ua.filter(|ua| !ua.is_empty()) else { return "Unknown device".into() };
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") || ua.contains("HeadlessChrome") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        "Browser"
    };
    let os = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        "another system"
    };
    format!("{browser} on {os}")
}

#[cfg(feature = "ssr")]
fn tz_of(cx: &UserCtx) -> String {
    cx.access.org.as_ref().map(|o| o.timezone.clone()).unwrap_or_else(|| "UTC".into())
}

/// Records an event of the caller about their own account, in the transaction `conn`.
#[cfg(feature = "ssr")]
async fn record(
    conn: &mut Conn,
    cx: &UserCtx,
    action: &str,
    outcome: Outcome,
    reason: Option<&str>,
    meta: serde_json::Value,
) -> Result<(), AppError> {
    let mut event = cx.event(action, outcome).target("user", &cx.access.user_id).metadata(meta);
    if let Some(reason) = reason {
        event = event.reason(reason);
    }
    Ok(audit::record(conn, &event, cx.now).await?)
}

/// Public: the second step of signing in, with the pending-MFA cookie from the first.
#[server(prefix = "/api", endpoint = "auth/mfa")]
pub async fn verify_second_factor(code: String) -> Result<(), AppError> {
    // public: the pending-MFA cookie set by a correct password is the check; attempts are
    // limited per challenge and throttled per user.
    let state = app_state()?;
    let meta = RequestMeta::current(&state.config);
    let challenge = use_context::<http::request::Parts>()
        .and_then(|p| crate::auth::challenge_token_from(&p.headers, &state.config));
    let (new_session, next) = crate::auth::server::complete_second_factor(
        &state.db,
        &state.config,
        challenge.as_deref(),
        &code,
        &meta,
        crate::db::now(),
    )
    .await?;
    set_cookie(session::session_cookie(&state.config, &new_session.token));
    set_cookie(session::clear_challenge_cookie(&state.config));
    leptos_axum::redirect(&crate::auth::api::safe_next(Some(&next)));
    Ok(())
}

/// The caller's two-factor state, PIN, step-up and sessions.
#[server(prefix = "/api", endpoint = "security/overview")]
pub async fn get_security() -> Result<SecurityOverview, AppError> {
    let cx = guard_user(&OWN_SECURITY).await?;
    let tz = tz_of(&cx);
    let mut conn = cx.state.db.conn().await?;
    let user = mfa::load(&mut conn, &cx.access.user_id).await?;
    let left = mfa::recovery_codes_left(&mut conn, &user.id).await?;
    let step_up_until = cx.access.step_up_until;
    let fmt = |t: i64| crate::time::format_local(t, &tz);
    let sessions = session::list_for_user(&mut conn, &user.id)
        .await?
        .into_iter()
        .map(|s| SessionInfo {
            current: s.id == cx.session_id,
            device: describe_user_agent(s.user_agent.as_deref()),
            ip: s.ip,
            created: fmt(s.created_at),
            last_seen: fmt(s.last_seen_at),
            id: s.id,
        })
        .collect();
    Ok(SecurityOverview {
        email: user.email.clone(),
        mfa_enrolled: user.mfa_enrolled_at.is_some(),
        mfa_required: cx.access.platform_staff || cx.access.org.as_ref().is_some_and(|o| o.mfa_required),
        recovery_codes_left: left,
        has_pin: user.analytics_pin_hash.is_some(),
        step_up_until: step_up_until.filter(|t| *t > cx.now).map(fmt),
        step_up_locked_until: mfa::step_up_locked(&user, cx.now).map(fmt),
        sessions,
    })
}

/// Starts setting up an authenticator app: the current password first (a session alone must
/// not be able to bind an authenticator, ASVS 5.0 V7.5.1), and a current code as well when
/// replacing one.
#[server(prefix = "/api", endpoint = "security/totp/start")]
pub async fn start_totp_enrollment(
    password: Option<String>,
    code: Option<String>,
) -> Result<EnrollmentStart, AppError> {
    let cx = guard_user(&OWN_SECURITY).await?;
    let mut conn = cx.state.db.conn().await?;
    let user = mfa::load(&mut conn, &cx.access.user_id).await?;
    drop(conn);
    // The password check writes its throttle in its own transactions: before ours, never
    // inside it (SQLite has one writer at a time).
    let purpose = if user.mfa_enrolled_at.is_some() { "mfa.reenroll" } else { "mfa.enroll" };
    let code = match user.mfa_enrolled_at {
        Some(_) => Some(super::parse_totp_code(code.as_deref().unwrap_or_default())?),
        None => None,
    };
    recheck_password(&cx, &user.password_hash, password.as_deref().unwrap_or_default(), purpose).await?;
    if code.is_some() {
        // The code counts against the user's second-factor throttle, like at sign-in.
        let refused = cx.event("mfa.reenroll", Outcome::Denied).target("user", &user.id);
        reserve_second_factor(&cx.state.db, &user.id, refused, cx.now).await?;
    }
    let mut tx = cx.state.db.begin().await?;
    if let Some(code) = code {
        let verdict = mfa::accept_totp(&mut tx, &cx.state.config.secret_key, &user, &code, cx.now).await?;
        if !verdict.accepted() {
            record(&mut tx, &cx, "mfa.reenroll", Outcome::Failed, Some("wrong_code"), json!({})).await?;
            tx.commit().await?;
            return Err(AppError::invalid("code", "That code is not right."));
        }
        clear_second_factor(&mut tx, &user.id).await?;
    }
    let secret = mfa::start_enrollment(&mut tx, &cx.state.config.secret_key, &user.id).await?;
    tx.commit().await?;
    let otpauth_url = super::totp::otpauth_url(&secret, &user.email);
    Ok(EnrollmentStart {
        secret: super::totp::to_base32(&secret),
        qr_svg: super::totp::qr_svg(&otpauth_url),
        otpauth_url,
    })
}

/// Confirms the authenticator with its first code: two-factor is on, this session counts as
/// MFA-verified (with a new token), and ten recovery codes are returned, once.
#[server(prefix = "/api", endpoint = "security/totp/confirm")]
pub async fn confirm_totp_enrollment(code: String) -> Result<Vec<String>, AppError> {
    let cx = guard_user(&OWN_SECURITY).await?;
    let code = super::parse_totp_code(&code)?;
    let mut tx = cx.state.db.begin().await?;
    let user = mfa::load(&mut tx, &cx.access.user_id).await?;
    let Some(codes) = mfa::confirm_enrollment(&mut tx, &cx.state.config.secret_key, &user, &code, cx.now).await? else {
        record(&mut tx, &cx, "mfa.enroll", Outcome::Failed, Some("wrong_code"), json!({})).await?;
        tx.commit().await?;
        return Err(AppError::invalid("code", "That code is not right. Check the time on your device and try again."));
    };
    let token = session::elevate(&mut tx, &cx.session_id, Some(cx.now), None).await?;
    record(&mut tx, &cx, "mfa.enroll", Outcome::Allowed, None, json!({ "method": "totp" })).await?;
    tx.commit().await?;
    set_cookie(session::session_cookie(&cx.state.config, &token));
    Ok(codes)
}

/// Turns two-factor off (password and a current or recovery code). Sessions lose their MFA
/// verification; the others end too when asked. Reloads the security page.
#[server(prefix = "/api", endpoint = "security/totp/disable")]
pub async fn disable_totp(password: String, code: String, end_other_sessions: Option<String>) -> Result<(), AppError> {
    let cx = guard_user(&OWN_SECURITY).await?;
    let end_others = crate::input::checkbox("end_other_sessions", end_other_sessions.as_deref())?;
    let factor = super::parse_second_factor(&code)?;
    let mut conn = cx.state.db.conn().await?;
    let user = mfa::load(&mut conn, &cx.access.user_id).await?;
    drop(conn);
    if user.mfa_enrolled_at.is_none() {
        return Err(AppError::conflict("mfa_not_enrolled", "Two-factor authentication is not on."));
    }
    recheck_password(&cx, &user.password_hash, &password, "mfa.disable").await?;
    let refused = cx.event("mfa.disable", Outcome::Denied).target("user", &user.id);
    reserve_second_factor(&cx.state.db, &user.id, refused, cx.now).await?;
    let mut tx = cx.state.db.begin().await?;
    let verdict = mfa::accept_second_factor(&mut tx, &cx.state.config.secret_key, &user, &factor, cx.now).await?;
    if !verdict.accepted() {
        record(&mut tx, &cx, "mfa.disable", Outcome::Failed, Some("wrong_code"), json!({})).await?;
        tx.commit().await?;
        return Err(AppError::invalid("code", "That code is not right."));
    }
    clear_second_factor(&mut tx, &user.id).await?;
    mfa::disable(&mut tx, &user.id).await?;
    mfa::unverify_sessions(&mut tx, &user.id).await?;
    let ended = if end_others { session::delete_others(&mut tx, &user.id, Some(&cx.session_id)).await? } else { 0 };
    record(&mut tx, &cx, "mfa.disable", Outcome::Allowed, None, json!({ "other_sessions_ended": ended })).await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/security?done=mfa_off");
    Ok(())
}

/// Sets or changes the analytics step-up PIN (password required), then reloads the
/// security page.
#[server(prefix = "/api", endpoint = "security/pin")]
pub async fn set_analytics_pin(password: String, pin: String) -> Result<(), AppError> {
    let cx = guard_user(&OWN_SECURITY).await?;
    super::check_pin_shape(&pin)?;
    if crate::auth::password::is_common(&pin) {
        return Err(AppError::invalid("pin", "That PIN is one of the most common; choose another."));
    }
    let mut conn = cx.state.db.conn().await?;
    let user = mfa::load(&mut conn, &cx.access.user_id).await?;
    drop(conn);
    recheck_password(&cx, &user.password_hash, &password, "step_up.pin_set").await?;
    let hash = cx.state.hasher.hash(&pin).await?;
    let mut tx = cx.state.db.begin().await?;
    mfa::set_pin_hash(&mut tx, &user.id, &hash).await?;
    record(&mut tx, &cx, "step_up.pin_set", Outcome::Allowed, None, json!({})).await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/security?done=pin");
    Ok(())
}

/// Emails a one-time step-up code (at most one a minute).
#[server(prefix = "/api", endpoint = "security/step_up/email")]
pub async fn send_step_up_code() -> Result<(), AppError> {
    let cx = guard_user(&OWN_SECURITY).await?;
    let mut tx = cx.state.db.begin().await?;
    let wait = mfa::email_code_wait(&mut tx, &cx.access.user_id, "step_up", cx.now).await?;
    if wait > 0 {
        return Err(AppError::Throttled { retry_after: wait as u64 });
    }
    let code = mfa::create_email_code(&mut tx, &cx.access.user_id, "step_up", cx.now).await?;
    let mail = crate::mail::Mail {
        kind: crate::mail::Kind::StepUpCode,
        org_id: cx.access.org_id(),
        to: &cx.access.email,
        subject: "Your Gatehouse verification code".into(),
        body: format!(
            "Your Gatehouse verification code is {code}.\n\nIt unlocks analytics for this session and expires in 10 minutes. \
             If you did not ask for it, someone may be using your account: change your password."
        ),
        secret: Some((&code, cx.now + super::EMAIL_CODE_SECS)),
    };
    crate::mail::enqueue(&mut tx, &cx.state.config.secret_key, &mail, cx.now).await?;
    record(&mut tx, &cx, "step_up.email_code_sent", Outcome::Allowed, None, json!({})).await?;
    tx.commit().await?;
    Ok(())
}

/// Unlocks analytics for this session for 24 hours with an authenticator code
/// (`method=totp`), the analytics PIN (`pin`) or an emailed code (`email`). Five failures
/// in a row lock step-up for 30 minutes. Success issues a new session token.
#[server(prefix = "/api", endpoint = "security/step_up")]
pub async fn step_up(method: String, code: String, next: Option<String>) -> Result<(), AppError> {
    let cx = guard_user(&OWN_SECURITY).await?;
    let method = super::StepUpMethod::parse(&method)?;
    let tz = tz_of(&cx);
    let audit_meta = json!({ "method": method.as_str() });
    // The attempt is reserved before the secret is checked: at most five are ever evaluated
    // before the lock, however many arrive at once.
    let mut tx = cx.state.db.begin().await?;
    if mfa::reserve_step_up(&mut tx, &cx.access.user_id, cx.now).await?.is_none() {
        let user = mfa::load(&mut tx, &cx.access.user_id).await?;
        record(&mut tx, &cx, "step_up", Outcome::Denied, Some("locked"), audit_meta).await?;
        tx.commit().await?;
        let until = mfa::step_up_locked(&user, cx.now).unwrap_or(cx.now + super::STEP_UP_LOCK_SECS);
        return Err(locked(until, &tz));
    }
    let user = mfa::load(&mut tx, &cx.access.user_id).await?;
    tx.commit().await?;
    let accepted = match method {
        super::StepUpMethod::Totp => match super::parse_totp_code(&code) {
            Ok(code) => {
                let mut tx = cx.state.db.begin().await?;
                let verdict = mfa::accept_totp(&mut tx, &cx.state.config.secret_key, &user, &code, cx.now).await?;
                tx.commit().await?;
                verdict == Verdict::Totp
            }
            Err(_) => false,
        },
        super::StepUpMethod::Pin => match &user.analytics_pin_hash {
            Some(hash) if super::check_pin_shape(&code).is_ok() => cx.state.hasher.verify(&code, Some(hash)).await?,
            _ => false,
        },
        super::StepUpMethod::Email => {
            let digits = code.trim();
            if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
                let mut tx = cx.state.db.begin().await?;
                let ok = mfa::spend_email_code(&mut tx, &user.id, "step_up", digits, cx.now).await?;
                tx.commit().await?;
                ok
            } else {
                false
            }
        }
    };
    let mut tx = cx.state.db.begin().await?;
    if !accepted {
        let locked_until = mfa::lock_step_up_if_spent(&mut tx, &user.id, cx.now).await?;
        let reason = if locked_until.is_some() { "locked_now" } else { "wrong_code" };
        record(&mut tx, &cx, "step_up", Outcome::Failed, Some(reason), audit_meta).await?;
        tx.commit().await?;
        return Err(match locked_until {
            Some(until) => locked(until, &tz),
            None => {
                AppError::invalid("code", "That is not right. After 5 failed attempts step-up locks for 30 minutes.")
            }
        });
    }
    mfa::clear_step_up_failures(&mut tx, &user.id).await?;
    let token = session::elevate(&mut tx, &cx.session_id, None, Some(cx.now + super::STEP_UP_SECS)).await?;
    record(&mut tx, &cx, "step_up", Outcome::Allowed, None, audit_meta).await?;
    tx.commit().await?;
    set_cookie(session::session_cookie(&cx.state.config, &token));
    leptos_axum::redirect(&crate::auth::api::safe_next(next.as_deref()));
    Ok(())
}

#[cfg(feature = "ssr")]
fn locked(until: i64, tz: &str) -> AppError {
    AppError::conflict(
        "step_up_locked",
        format!(
            "Step-up is locked after 5 failed attempts. Try again after {} ({tz}).",
            crate::time::format_local(until, tz)
        ),
    )
}

/// Signs out one of the caller's other sessions (another user's session id: 404), then
/// reloads the security page.
#[server(prefix = "/api", endpoint = "security/sessions/revoke")]
pub async fn revoke_session(session_id: String) -> Result<(), AppError> {
    let cx = guard_user(&OWN_SECURITY).await?;
    let session_id = crate::input::id(&session_id)?;
    let mut tx = cx.state.db.begin().await?;
    if !session::delete_own(&mut tx, &cx.access.user_id, &session_id).await? {
        return Err(AppError::NotFound);
    }
    record(&mut tx, &cx, "session.revoke", Outcome::Allowed, None, json!({ "session": session_id })).await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/security?done=session");
    Ok(())
}

/// Signs out every session of the caller but this one, then reloads the security page.
#[server(prefix = "/api", endpoint = "security/sessions/revoke_others")]
pub async fn revoke_other_sessions() -> Result<u64, AppError> {
    let cx = guard_user(&OWN_SECURITY).await?;
    let mut tx = cx.state.db.begin().await?;
    let ended = session::delete_others(&mut tx, &cx.access.user_id, Some(&cx.session_id)).await?;
    record(&mut tx, &cx, "session.revoke_others", Outcome::Allowed, None, json!({ "ended": ended })).await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/security?done=sessions");
    Ok(ended)
}

/// Changes the password (the current one required); ends the other sessions when asked.
/// Reloads the security page.
#[server(prefix = "/api", endpoint = "security/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    end_other_sessions: Option<String>,
) -> Result<(), AppError> {
    let cx = guard_user(&OWN_SECURITY).await?;
    let end_others = crate::input::checkbox("end_other_sessions", end_other_sessions.as_deref())?;
    let mut conn = cx.state.db.conn().await?;
    let user = mfa::load(&mut conn, &cx.access.user_id).await?;
    drop(conn);
    crate::auth::password::check_new_password(&new_password, &user.email)
        .map_err(|p| AppError::invalid("new_password", p.message()))?;
    recheck_password(&cx, &user.password_hash, &current_password, "auth.password_change").await?;
    let hash = cx.state.hasher.hash(&new_password).await?;
    let mut tx = cx.state.db.begin().await?;
    mfa::set_password_hash(&mut tx, &user.id, &hash, cx.now).await?;
    let ended = if end_others { session::delete_others(&mut tx, &user.id, Some(&cx.session_id)).await? } else { 0 };
    record(&mut tx, &cx, "auth.password_change", Outcome::Allowed, None, json!({ "other_sessions_ended": ended }))
        .await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/security?done=password");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_plainly() {
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
        assert_eq!(describe_user_agent(Some(chrome)), "Chrome on Linux");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_user_agent(Some(safari)), "Safari on iOS");
        let firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0";
        assert_eq!(describe_user_agent(Some(firefox)), "Firefox on Windows");
        assert_eq!(describe_user_agent(None), "Unknown device");
        assert_eq!(describe_user_agent(Some("curl/8.0")), "Browser on another system");
    }
}
