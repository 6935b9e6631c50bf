//! Sessions (DESIGN §5): a random 256-bit token in an `HttpOnly; SameSite=Lax` cookie, stored
//! only as its SHA-256; idle and absolute timeouts; killed server-side on sign-out.

/// Why a stored session no longer counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    Live,
    /// Unused for longer than the idle timeout.
    Idle,
    /// Older than the absolute timeout.
    Absolute,
}

/// Decides whether a session is still live at `now`. `idle_secs` is the idle timeout that
/// applies to the user's role (shorter for roles that require MFA).
pub fn expiry(last_seen_at: i64, expires_at: i64, idle_secs: i64, now: i64) -> Expiry {
    if now >= expires_at {
        Expiry::Absolute
    } else if now - last_seen_at >= idle_secs {
        Expiry::Idle
    } else {
        Expiry::Live
    }
}

/// How often `last_seen_at` is written: often enough for idle timeouts measured in minutes,
/// rarely enough that reads do not each cost a write.
pub const TOUCH_EVERY_SECS: i64 = 60;

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::config::Config;
    use crate::db::{Conn, new_id};
    use crate::request::RequestMeta;
    use base64::Engine as _;
    use cookie::{Cookie, SameSite};
    use http::HeaderMap;
    use rand::RngCore;
    use sha2::{Digest, Sha256};

    /// The cookie name. Over https it carries the `__Host-` prefix, which browsers only
    /// accept with `Secure`, `Path=/` and no `Domain`: no subdomain can plant or read it.
    pub fn cookie_name(config: &Config) -> &'static str {
        if config.secure_cookies { "__Host-gh_session" } else { "gh_session" }
    }

    /// A fresh token (256 random bits from the OS, base64url) and its stored hash.
    pub fn new_token() -> (String, String) {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let hash = hash_token(&token);
        (token, hash)
    }

    pub fn hash_token(token: &str) -> String {
        hex::encode(Sha256::digest(token.as_bytes()))
    }

    /// The session token in the request's cookies, if any.
    pub fn session_token_from(headers: &HeaderMap, config: &Config) -> Option<String> {
        cookie_value(headers, cookie_name(config))
    }

    /// The one way Gatehouse builds a cookie: `HttpOnly`, `SameSite=Lax`, `Path=/`, `Secure`
    /// over https (the `__Host-` names need it), living `max_age` seconds (0 removes it).
    fn cookie(config: &Config, name: &'static str, value: &str, max_age: i64) -> String {
        Cookie::build((name, value.to_string()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(config.secure_cookies)
            .max_age(cookie::time::Duration::seconds(max_age))
            .build()
            .to_string()
    }

    /// `Set-Cookie` for a new session.
    pub fn session_cookie(config: &Config, token: &str) -> String {
        cookie(config, cookie_name(config), token, config.session_absolute_secs)
    }

    /// The cookie of a sign-in waiting for its second factor (same protections, 5 minutes).
    pub fn challenge_cookie_name(config: &Config) -> &'static str {
        if config.secure_cookies { "__Host-gh_mfa" } else { "gh_mfa" }
    }

    pub fn challenge_cookie(config: &Config, token: &str) -> String {
        cookie(config, challenge_cookie_name(config), token, crate::mfa::CHALLENGE_SECS)
    }

    pub fn clear_challenge_cookie(config: &Config) -> String {
        cookie(config, challenge_cookie_name(config), "", 0)
    }

    /// The pending-MFA token in the request's cookies, if any.
    pub fn challenge_token_from(headers: &HeaderMap, config: &Config) -> Option<String> {
        cookie_value(headers, challenge_cookie_name(config))
    }

    fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|c| c.name() == name)
            .map(|c| c.value().to_string())
            // A token is 43 base64url characters; anything else cannot be one of ours.
            .filter(|v| v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    }

    /// `Set-Cookie` that removes the session cookie.
    pub fn clear_cookie(config: &Config) -> String {
        cookie(config, cookie_name(config), "", 0)
    }

    /// A session just created: its id and the token for the cookie (never stored).
    pub struct NewSession {
        pub id: String,
        pub token: String,
    }

    impl std::fmt::Debug for NewSession {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("NewSession").field("id", &self.id).finish_non_exhaustive()
        }
    }

    /// Inserts a session for `user_id` with `active_org_id` and returns its token.
    pub async fn create(
        conn: &mut Conn,
        config: &Config,
        user_id: &str,
        active_org_id: Option<&str>,
        mfa_verified: bool,
        meta: &RequestMeta,
        now: i64,
    ) -> Result<NewSession, sqlx::Error> {
        let id = new_id();
        let (token, token_hash) = new_token();
        sqlx::query(
            "INSERT INTO sessions (id, token_hash, user_id, active_org_id, created_at, last_seen_at, \
             expires_at, mfa_verified_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&token_hash)
        .bind(user_id)
        .bind(active_org_id)
        .bind(now)
        .bind(now + config.session_absolute_secs)
        .bind(mfa_verified.then_some(now))
        .bind(meta.ip.as_deref())
        .bind(meta.user_agent.as_deref())
        .execute(&mut *conn)
        .await?;
        Ok(NewSession { id, token })
    }

    /// The stored session behind a token, with its user's standing.
    #[derive(Clone, Debug, sqlx::FromRow)]
    pub struct SessionRow {
        pub id: String,
        pub user_id: String,
        pub active_org_id: Option<String>,
        pub created_at: i64,
        pub last_seen_at: i64,
        pub expires_at: i64,
        pub mfa_verified_at: Option<i64>,
        pub email: String,
        pub name: String,
        pub platform_staff: i64,
        pub mfa_enrolled_at: Option<i64>,
        pub step_up_until: Option<i64>,
    }

    pub async fn find(conn: &mut Conn, token: &str) -> Result<Option<SessionRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT s.id, s.user_id, s.active_org_id, s.created_at, s.last_seen_at, s.expires_at, \
             s.mfa_verified_at, u.email, u.name, u.platform_staff, u.mfa_enrolled_at, s.step_up_until \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(hash_token(token))
        .fetch_optional(&mut *conn)
        .await
    }

    /// Records activity, at most once per [`super::TOUCH_EVERY_SECS`].
    pub async fn touch(conn: &mut Conn, session: &SessionRow, now: i64) -> Result<(), sqlx::Error> {
        if now - session.last_seen_at >= super::TOUCH_EVERY_SECS {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&session.id)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    pub async fn set_active_org(conn: &mut Conn, session_id: &str, org_id: Option<&str>) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE sessions SET active_org_id = $1 WHERE id = $2")
            .bind(org_id)
            .bind(session_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Gives a session a new token as it gains privilege (MFA verified, step-up unlocked):
    /// a token seen before the elevation is worthless after it.
    pub async fn elevate(
        conn: &mut Conn,
        session_id: &str,
        mfa_verified_at: Option<i64>,
        step_up_until: Option<i64>,
    ) -> Result<String, sqlx::Error> {
        let (token, token_hash) = new_token();
        sqlx::query(
            "UPDATE sessions SET token_hash = $1, mfa_verified_at = COALESCE($2, mfa_verified_at), \
             step_up_until = COALESCE($3, step_up_until) WHERE id = $4",
        )
        .bind(&token_hash)
        .bind(mfa_verified_at)
        .bind(step_up_until)
        .bind(session_id)
        .execute(&mut *conn)
        .await?;
        Ok(token)
    }

    /// A session as its owner's session list shows it.
    #[derive(Clone, Debug, sqlx::FromRow)]
    pub struct SessionListing {
        pub id: String,
        pub created_at: i64,
        pub last_seen_at: i64,
        pub ip: Option<String>,
        pub user_agent: Option<String>,
    }

    pub async fn list_for_user(conn: &mut Conn, user_id: &str) -> Result<Vec<SessionListing>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, created_at, last_seen_at, ip, user_agent FROM sessions WHERE user_id = $1 \
             ORDER BY last_seen_at DESC, id",
        )
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await
    }

    /// Deletes one of `user_id`'s sessions; another user's session id is "not found".
    pub async fn delete_own(conn: &mut Conn, user_id: &str, session_id: &str) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(session_id)
            .bind(user_id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            == 1)
    }

    /// Deletes every session of `user_id` but `keep`; returns how many.
    pub async fn delete_others(conn: &mut Conn, user_id: &str, keep: Option<&str>) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(&mut *conn)
            .await?
            .rows_affected())
    }

    /// Kills one session server-side: its token stops working at once.
    pub async fn delete(conn: &mut Conn, session_id: &str) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(session_id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            == 1)
    }

    /// Kills the session behind a token, if any (the pre-login cookie at sign-in).
    pub async fn delete_by_token(conn: &mut Conn, token: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash_token(token)).execute(&mut *conn).await?;
        Ok(())
    }

    /// Drops sessions past their absolute expiry (housekeeping; idle ones are refused on
    /// use and dropped here once absolute expiry passes too).
    pub async fn purge_expired(conn: &mut Conn, now: i64) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_until_idle_or_absolute_timeout() {
        let (idle, created) = (600, 1_000);
        let expires = created + 3_600;
        assert_eq!(expiry(created, expires, idle, created + 599), Expiry::Live);
        assert_eq!(expiry(created, expires, idle, created + 600), Expiry::Idle);
        // Activity keeps it alive…
        assert_eq!(expiry(created + 3_000, expires, idle, created + 3_500), Expiry::Live);
        // …but never past the absolute limit.
        assert_eq!(expiry(created + 3_590, expires, idle, created + 3_600), Expiry::Absolute);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, hash_a) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43); // 256 bits, base64url without padding
        assert_eq!(hash_a, hash_token(&a));
        assert_ne!(hash_a, a);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn cookie_attributes() {
        let lookup = |secure: bool| {
            crate::config::test_config(&[(
                "GATEHOUSE_PUBLIC_URL",
                if secure { "https://gh.example" } else { "http://127.0.0.1:3000" },
            )])
        };
        let plain = session_cookie(&lookup(false), "tok");
        assert!(plain.starts_with("gh_session=tok;"), "{plain}");
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
            assert!(plain.contains(attr), "{plain} lacks {attr}");
        }
        assert!(!plain.contains("Secure"));
        let secure = session_cookie(&lookup(true), "tok");
        assert!(secure.starts_with("__Host-gh_session=tok;") && secure.contains("Secure"), "{secure}");
        assert!(clear_cookie(&lookup(false)).contains("Max-Age=0"));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn only_well_formed_tokens_are_read() {
        let config = crate::config::test_config(&[]);
        let (token, _) = new_token();
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::COOKIE, format!("other=1; gh_session={token}").parse().unwrap());
        assert_eq!(session_token_from(&headers, &config), Some(token));
        headers.insert(http::header::COOKIE, "gh_session=' OR 1=1 --".parse().unwrap());
        assert_eq!(session_token_from(&headers, &config), None);
    }
}
