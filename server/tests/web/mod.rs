//! HTTP test helpers: the app on a seeded database, requests through the real router, and
//! the real sign-in (password, then a TOTP code from the demo secret where enrolled).
#![allow(dead_code)]

use crate::support::TestDb;
use app::state::AppState;
use axum::Router;
use axum::body::Body;
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use tower::ServiceExt;

pub const ORIGIN: &str = "http://127.0.0.1:3000";
pub const DEMO_PASSWORD: &str = server::demo::DEMO_PASSWORD;

/// The app on a seeded test database.
pub async fn app(t: &TestDb) -> Router {
    let config = t.config();
    let hasher = app::auth::PasswordHasher::new(4);
    server::demo::seed_without_orders(&t.db, &hasher, &config.secret_key, app::db::now()).await.unwrap();
    let options = LeptosOptions::builder().output_name("gatehouse").build();
    server::routes::router(AppState::new(options, t.db.clone(), config))
}

/// The app on the demo data with a lighter year of orders (a few a day: the full demo's
/// takes a while in a debug build).
pub async fn app_with_orders(t: &TestDb) -> Router {
    use server::demo_analytics::{ACME_ORDERS, GLOBEX_ORDERS, OrdersPlan};
    let app = app(t).await;
    let light = |plan: &OrdersPlan| OrdersPlan { per_day: plan.per_day / 20 + 1, ..*plan };
    let (acme, globex) = (light(&ACME_ORDERS), light(&GLOBEX_ORDERS));
    let (products, orders) = server::demo::seed_orders(&t.db, [&acme, &globex], app::db::now()).await.unwrap();
    assert!(products > 0 && orders > 1_000, "{orders} orders");
    app
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }

    pub fn header(&self, name: header::HeaderName) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The `name=value` of the cookie this reply sets under `name`, if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().to_string())
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

pub async fn reply(response: Response<Body>) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

/// A same-origin POST of a form, with an optional `Cookie` header.
pub async fn post(app: &Router, path: &str, form: &str, cookie: Option<&str>) -> Reply {
    post_from(app, path, form, cookie, None).await
}

/// [`post`] from the client address `ip` (as the listener would record it).
pub async fn post_from(app: &Router, path: &str, form: &str, cookie: Option<&str>, ip: Option<&str>) -> Reply {
    let mut request = Request::post(path)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let mut request = request.body(Body::from(form.to_string())).unwrap();
    if let Some(ip) = ip {
        let peer: std::net::SocketAddr = format!("{ip}:40000").parse().unwrap();
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    }
    reply(app.clone().oneshot(request).await.unwrap()).await
}

/// Sends `n` copies of a POST at once (each on its own task) and returns the replies.
pub async fn burst(
    app: &Router,
    n: usize,
    path: &str,
    form: &str,
    cookie: Option<&str>,
    ip: Option<&str>,
) -> Vec<Reply> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (app, path, form) = (app.clone(), path.to_string(), form.to_string());
        let (cookie, ip) = (cookie.map(str::to_string), ip.map(str::to_string));
        tasks.spawn(async move { post_from(&app, &path, &form, cookie.as_deref(), ip.as_deref()).await });
    }
    tasks.join_all().await
}

/// How many audit events match `condition` (a fixed SQL condition from the test).
pub async fn events(t: &TestDb, condition: &str) -> i64 {
    let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE {condition}");
    sqlx::query_scalar(&sql).fetch_one(&mut *t.db.conn().await.unwrap()).await.unwrap()
}

pub async fn get(app: &Router, path: &str, cookie: Option<&str>) -> Reply {
    let mut request = Request::get(path).header(header::ACCEPT, "text/html");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    reply(app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap()).await
}

/// A valid TOTP code of the demo secret that `email` has not used yet (the first step from
/// the one before now, within the server's one step of drift, after its last used one).
pub async fn fresh_code(t: &TestDb, email: &str) -> String {
    let last: Option<i64> = sqlx::query_scalar("SELECT totp_last_step FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let now = app::db::now();
    let current = now.div_euclid(app::mfa::totp::STEP_SECS);
    let step = (current - 1..=current + 1)
        .find(|s| last.is_none_or(|l| *s > l))
        .unwrap_or_else(|| panic!("{email} used every code of this minute; a test signs in too often"));
    let secret = app::mfa::totp::from_base32(server::demo::DEMO_TOTP_SECRET).unwrap();
    app::mfa::totp::code_at(&secret, step * app::mfa::totp::STEP_SECS)
}

/// Signs `email` in through the real endpoints (with the authentication code when the user
/// is enrolled) and returns the session cookie as `name=value`.
pub async fn sign_in(app: &Router, t: &TestDb, email: &str) -> String {
    let r = post(app, "/api/auth/sign_in", &format!("email={email}&password={DEMO_PASSWORD}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    if let Some(session) = r.cookie("gh_session") {
        return session;
    }
    let challenge = r.cookie("gh_mfa").unwrap_or_else(|| panic!("{email}: neither a session nor a challenge"));
    let code = fresh_code(t, email).await;
    let r = post(app, "/api/auth/mfa", &format!("code={code}"), Some(&challenge)).await;
    assert_eq!(r.status, StatusCode::OK, "{email}: {}", r.body);
    r.cookie("gh_session").unwrap()
}

/// Signs up through the real endpoints, the whole way: the form (`name`, `email`, `password`,
/// `organization`, form-encoded), then the link from the mail with the same `password`
/// (form-encoded). Returns the session cookie.
pub async fn sign_up(app: &Router, t: &TestDb, form: &str, email: &str, password: &str) -> String {
    let r = post(app, "/api/auth/sign_up", form, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.cookie("gh_session").is_none(), "no session before the address is confirmed");
    assert!(r.header(header::LOCATION).starts_with("/signup/sent"), "{:?}", r.headers);
    let token = crate::support::mailed_token(t, email, "/signup/confirm/").await;
    let r = post(app, "/api/auth/sign_up/confirm", &format!("token={token}&password={password}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.header(header::LOCATION), "/settings/security?required=1&next=/onboarding");
    r.cookie("gh_session").expect("a session once confirmed")
}

/// Sets the step-up PIN of the signed-in `cookie` and unlocks with it: the unlocked session.
pub async fn step_up(app: &Router, cookie: &str) -> String {
    let r = post(app, "/api/security/pin", &format!("password={DEMO_PASSWORD}&pin=482913"), Some(cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = post(app, "/api/security/step_up", "method=pin&code=482913&next=/", Some(cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.cookie("gh_session").unwrap()
}
