//! Auth server functions and their wire types.

use crate::access::{Access, Requirement};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    super::{server, session},
    crate::access::guard_user,
    crate::audit::Actor,
    crate::db::now,
    crate::request::{RequestMeta, append_response_header},
    crate::state::app_state,
    http::{HeaderValue, header::SET_COOKIE},
};

/// The signed-in user as the browser sees them: their access in the active organization and
/// every organization they can switch to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub access: Access,
    pub orgs: Vec<OrgChoice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgChoice {
    pub org_id: String,
    pub name: String,
    pub role_name: String,
    pub active: bool,
}

/// Where to go after signing in: a local path only (never another site, never a header
/// injection), else the workspace home.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.len() <= 512
                && path.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'\\') =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Adds a `Set-Cookie` to the current response.
#[cfg(feature = "ssr")]
pub(crate) fn set_cookie(value: String) {
    crate::request::access_changed();
    match HeaderValue::from_str(&value) {
        Ok(value) => append_response_header(SET_COOKIE, value),
        Err(_) => tracing::error!("a cookie is not a valid header value"),
    }
}

/// Public: the caller's own session, or `None` for visitors. With `path`, the page the
/// session is loaded for: a view of a page the caller may not use is audited here, once.
#[server(prefix = "/api", endpoint = "session")]
pub async fn get_session(path: Option<String>) -> Result<Option<SessionView>, AppError> {
    // public: answers only about the caller's own session cookie, `None` without one.
    let state = app_state()?;
    let meta = RequestMeta::current(&state.config);
    let now = now();
    let loaded = crate::access::request_signed_in(&state, &meta, now).await?;
    // The page is named by its route pattern, never by the raw path the caller sent.
    if let Some(page) = path.as_deref().and_then(crate::pages::page) {
        let access = loaded.as_ref().map(|signed_in| &signed_in.access);
        if let Err(denial) = crate::pages::check(page, access) {
            crate::access::record_denial(&state.db, access, ("page", page.pattern), denial, &meta, now).await;
        }
    }
    let Some(crate::access::SignedIn { access, memberships, .. }) = loaded else {
        return Ok(None);
    };
    let active = access.org_id().map(str::to_string);
    let orgs = memberships
        .into_iter()
        .map(|m| OrgChoice {
            active: active.as_deref() == Some(m.org_id.as_str()),
            org_id: m.org_id,
            name: m.org_name,
            role_name: m.role_name,
        })
        .collect();
    Ok(Some(SessionView { access, orgs }))
}

/// Public: starts a sign-up. A link that creates the account and its organization is mailed
/// to the address; the answer never tells whether the address already has an account.
#[server(prefix = "/api", endpoint = "auth/sign_up")]
pub async fn sign_up(name: String, email: String, password: String, organization: String) -> Result<(), AppError> {
    // public: anyone may ask for an account; throttled per client address.
    let state = app_state()?;
    let meta = RequestMeta::current(&state.config);
    let input = server::SignUpInput::parse(&name, &email, &password, &organization)?;
    server::request_sign_up(&state.db, &state.config, &state.hasher, &input, &meta, now()).await?;
    leptos_axum::redirect(&format!("/signup/sent?email={}", crate::ui::encode_query_value(&input.email)));
    Ok(())
}

/// Public: follows a sign-up link with the password chosen at sign-up: creates the account,
/// its organization (owner) and a trial, then signs in.
#[server(prefix = "/api", endpoint = "auth/sign_up/confirm")]
pub async fn confirm_sign_up(token: String, password: String) -> Result<(), AppError> {
    // public: the mailed single-use token and the password chosen with it are the check.
    let state = app_state()?;
    let meta = RequestMeta::current(&state.config);
    let token = crate::input::token(&token)?;
    let (new_session, _) =
        server::confirm_sign_up(&state.db, &state.config, &state.hasher, token, &password, &meta, now()).await?;
    set_cookie(session::session_cookie(&state.config, &new_session.token));
    // Owners must set up two-factor authentication before the workspace opens to them.
    leptos_axum::redirect("/settings/security?required=1&next=/onboarding");
    Ok(())
}

/// Public: signs in with email and password and goes to `next` (a local path), by way of
/// the authentication-code page when the user has two-factor authentication on.
#[server(prefix = "/api", endpoint = "auth/sign_in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    // public: the credentials are the check; throttled per account and per IP.
    let state = app_state()?;
    let meta = RequestMeta::current(&state.config);
    let next = safe_next(next.as_deref());
    let step = server::sign_in(&state.db, &state.config, &state.hasher, &email, &password, &next, &meta, now()).await?;
    let encoded = crate::ui::encode_query_value(&next);
    match step {
        server::SignInStep::Session { session, enroll_mfa } => {
            set_cookie(session::session_cookie(&state.config, &session.token));
            if enroll_mfa {
                leptos_axum::redirect(&format!("/settings/security?required=1&next={encoded}"));
            } else {
                leptos_axum::redirect(&next);
            }
        }
        server::SignInStep::SecondFactor { challenge } => {
            set_cookie(session::challenge_cookie(&state.config, &challenge));
            leptos_axum::redirect(&format!("/login/mfa?next={encoded}"));
        }
    }
    Ok(())
}

/// Signing out needs a session.
pub const SIGN_OUT: Requirement = Requirement::SIGNED_IN;

/// Signs out: the session is deleted on the server and the cookie cleared.
#[server(prefix = "/api", endpoint = "auth/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let cx = guard_user(&SIGN_OUT).await?;
    server::sign_out(
        &cx.state.db,
        &cx.session_id,
        Actor::user(&cx.access.user_id, &cx.access.email),
        cx.access.org_id(),
        &cx.meta,
        cx.now,
    )
    .await?;
    set_cookie(session::clear_cookie(&cx.state.config));
    leptos_axum::redirect("/login");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_local_path_only() {
        assert_eq!(safe_next(Some("/settings/team")), "/settings/team");
        assert_eq!(safe_next(Some("/finance?tab=refunds")), "/finance?tab=refunds");
        for bad in [
            "https://evil.test",
            "//evil.test",
            "/\\evil.test",
            "javascript:alert(1)",
            "/a\r\nSet-Cookie: x=1",
            "/ünï",
            "",
            "relative",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
