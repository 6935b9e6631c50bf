//! The public API over HTTP on SQLite and PostgreSQL: keys made once and stored hashed,
//! accepted only as Bearer; never beyond their maker's role (a role change shrinks them at
//! once, a removal revokes them); the tenant gate for programs as for people; idempotent
//! POSTs; rate limits counted in the database — exactly the excess refused in a burst, and
//! shared by two servers on one PostgreSQL; the OpenAPI document covers every route.

#[path = "../../app/tests/support/mod.rs"]
mod support;

mod web;

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode, header};
use support::TestDb;
use tower::ServiceExt;
use web::{Reply, app, app_with_orders, events, post, reply, sign_in, step_up};

async fn call(
    app: &Router,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
    extra: &[(&str, &str)],
) -> Reply {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(key) = key {
        request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let body = match body {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    reply(app.clone().oneshot(request.body(body).unwrap()).await.unwrap()).await
}

async fn get(app: &Router, path: &str, key: &str) -> Reply {
    call(app, "GET", path, Some(key), None, &[]).await
}

fn problem(r: &Reply) -> (StatusCode, String) {
    assert_eq!(r.header(header::CONTENT_TYPE), "application/problem+json", "{}", r.body);
    (r.status, r.json()["code"].as_str().unwrap_or_default().to_string())
}

/// A key of `email` in `slug` with `scopes`, made the operators' way.
async fn key_for(t: &TestDb, slug: &str, email: &str, scopes: &str) -> String {
    let (made, _) = app::api_keys::server::create_for_member(&t.db, slug, email, "test", scopes, "30", app::db::now())
        .await
        .unwrap();
    made.secret
}

async fn scalar(t: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&mut *t.db.conn().await.unwrap()).await.unwrap()
}

async fn execute(t: &TestDb, sql: &str) {
    sqlx::query(sql).execute(&mut *t.db.conn().await.unwrap()).await.unwrap();
}

/// Waits until the current rate-limit window has at least `seconds` left, so a burst lands
/// in one window.
async fn window_with(seconds: i64) {
    let into = app::db::now().rem_euclid(app::ratelimit::WINDOW);
    if app::ratelimit::WINDOW - into < seconds {
        tokio::time::sleep(std::time::Duration::from_secs((app::ratelimit::WINDOW - into + 1) as u64)).await;
    }
}

db_test!(keys_are_shown_once_stored_hashed_and_accepted_only_as_bearer, |t| {
    let app = app_with_orders(t).await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let form = "name=Shop+sync&scopes%5B0%5D=orders.read&scopes%5B3%5D=orders.write&days=";
    let r = post(&app, "/api/api_keys/create", form, Some(&owner)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let key = r.json()["secret"].as_str().unwrap().to_string();
    assert!(app::api_keys::token::well_formed(&key) && key.starts_with("gth_") && key.len() == 40);
    assert_eq!(r.json()["scopes"], serde_json::json!(["orders.read", "orders.write"]));
    // Stored as its hash: the secret is nowhere in the table, nor in the list.
    let rows =
        scalar(t, &format!("SELECT COUNT(*) FROM api_keys WHERE secret_hash = '{}'", app::api_keys::token::hash(&key)))
            .await;
    assert_eq!(rows, 1);
    assert_eq!(
        scalar(t, &format!("SELECT COUNT(*) FROM api_keys WHERE secret_hash = '{key}' OR prefix = '{key}'")).await,
        0
    );
    let list = post(&app, "/api/api_keys", "", Some(&owner)).await;
    assert!(!list.body.contains(&key) && list.body.contains(&key[..10]), "the list shows the prefix only");
    assert_eq!(events(t, "action = 'api_key.create'").await, 1);

    let r = get(&app, "/v1/orders?limit=2", &key).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 2);
    assert!(r.header(http::HeaderName::from_static("ratelimit-policy")).contains("\"key\";q=600;w=60"));
    assert!(r.header(http::HeaderName::from_static("ratelimit")).contains("\"key\";r=599;"));
    // The next page follows the cursor.
    let next = r.json()["next"].as_str().unwrap().to_string();
    let page2 = get(&app, &format!("/v1/orders?limit=2&after={next}"), &key).await;
    assert_ne!(page2.json()["data"][0]["id"], r.json()["data"][0]["id"]);

    // Only in the header: in the address it is refused, whatever it is called.
    for query in [format!("api_key={key}"), format!("token={key}"), format!("q={key}")] {
        let r = call(&app, "GET", &format!("/v1/orders?{query}"), None, None, &[]).await;
        assert_eq!(problem(&r), (StatusCode::BAD_REQUEST, "invalid_input".into()), "{query}");
    }
    let r = call(&app, "GET", "/v1/orders", None, None, &[]).await;
    assert_eq!(problem(&r), (StatusCode::UNAUTHORIZED, "api_key_required".into()));
    assert!(r.header(header::WWW_AUTHENTICATE).starts_with("Bearer"));
    // Without a good key, requests count against the client address: the headers say so.
    assert_eq!(r.header(http::HeaderName::from_static("ratelimit-policy")), "\"address\";q=60;w=60");
    assert!(r.header(http::HeaderName::from_static("ratelimit")).starts_with("\"address\";r="));
    // A typo fails the checksum (no database needed); an unknown well-formed key is unknown.
    let mut typo = key.clone().into_bytes();
    typo[12] = if typo[12] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();
    assert_eq!(problem(&get(&app, "/v1/orders", &typo).await), (StatusCode::UNAUTHORIZED, "invalid_api_key".into()));
    let unknown = app::api_keys::token::generate();
    assert_eq!(problem(&get(&app, "/v1/orders", &unknown).await), (StatusCode::UNAUTHORIZED, "invalid_api_key".into()));
    // Expired, then revoked.
    execute(t, "UPDATE api_keys SET expires_at = 1").await;
    assert_eq!(problem(&get(&app, "/v1/orders", &key).await), (StatusCode::UNAUTHORIZED, "api_key_expired".into()));
    execute(t, &format!("UPDATE api_keys SET expires_at = {}", app::db::now() + 3600)).await;
    assert_eq!(get(&app, "/v1/orders", &key).await.status, StatusCode::OK);
    let key_id: String =
        sqlx::query_scalar("SELECT id FROM api_keys").fetch_one(&mut *t.db.conn().await.unwrap()).await.unwrap();
    let r = post(&app, "/api/api_keys/revoke", &format!("key_id={key_id}"), Some(&owner)).await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    assert_eq!(problem(&get(&app, "/v1/orders", &key).await), (StatusCode::UNAUTHORIZED, "api_key_revoked".into()));
    // Last use is recorded, with the address.
    assert_eq!(scalar(t, "SELECT COUNT(*) FROM api_keys WHERE last_used_at IS NOT NULL").await, 1);
});

db_test!(a_key_never_exceeds_its_maker_and_leaves_with_them, |t| {
    let app = app_with_orders(t).await;
    // Acme's admin holds orders.read but not orders.write: no key of theirs can.
    let admin = sign_in(&app, t, "admin@acme.test").await;
    // A key outlives the session and counts as verified: making one needs step-up.
    let r = post(&app, "/api/api_keys/create", "name=x&scopes%5B0%5D=orders.read&days=30", Some(&admin)).await;
    assert_eq!((r.status, r.json()["code"].clone()), (StatusCode::FORBIDDEN, serde_json::json!("step_up_required")));
    let admin = step_up(&app, &admin).await;
    let r = post(&app, "/api/api_keys/create", "name=x&scopes%5B0%5D=orders.write&days=30", Some(&admin)).await;
    assert_eq!((r.status, r.json()["code"].clone()), (StatusCode::FORBIDDEN, serde_json::json!("scope_beyond_role")));
    let r = post(&app, "/api/api_keys/create", "name=x&scopes%5B0%5D=orders.read&days=400", Some(&admin)).await;
    assert_eq!(r.json()["field"], "days");
    // Grants do not pass to keys: the analyst's revenue grant is not a scope they can give
    // (and analysts cannot make keys at all).
    let analyst = sign_in(&app, t, "analyst@acme.test").await;
    assert_eq!(post(&app, "/api/api_keys", "", Some(&analyst)).await.status, StatusCode::FORBIDDEN);

    // The member's key writes orders; their role shrinks to viewer: at once, it cannot.
    let key = key_for(t, "acme-retail", "member@acme.test", "orders.read,orders.write").await;
    let order = r#"{"placed_at":"2026-11-20T13:00:00Z","items":[{"sku":"ACM-0001","quantity":2}]}"#;
    let sku_exists = scalar(t, "SELECT COUNT(*) FROM products WHERE sku = 'ACM-0001'").await;
    assert_eq!(sku_exists, 1, "the demo catalog has ACM-0001");
    let r = call(&app, "POST", "/v1/orders", Some(&key), Some(order), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let (member, viewer_role): (String, String) = sqlx::query_as(
        "SELECT m.id, r.id FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.org_id = m.org_id \
         WHERE u.email = 'member@acme.test' AND r.role_key = 'viewer'",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let r =
        post(&app, "/api/team/member/role", &format!("member_id={member}&role_id={viewer_role}"), Some(&owner)).await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    let r = call(&app, "POST", "/v1/orders", Some(&key), Some(order), &[]).await;
    assert_eq!(problem(&r), (StatusCode::FORBIDDEN, "permission_required".into()));
    assert_eq!(get(&app, "/v1/orders?limit=1", &key).await.status, StatusCode::OK, "orders.read the viewer keeps");
    let denied = "action = 'access.denied' AND actor_type = 'api_key' AND target_id = '/v1/orders' \
                  AND metadata LIKE '%orders.write%'";
    assert_eq!(events(t, denied).await, 1);
    // Removed from the organization: the key is revoked.
    let r = post(&app, "/api/team/member/remove", &format!("member_id={member}"), Some(&owner)).await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    assert_eq!(problem(&get(&app, "/v1/orders", &key).await), (StatusCode::UNAUTHORIZED, "api_key_revoked".into()));
});

db_test!(the_tenant_gate_holds_for_keys_and_writes_are_idempotent, |t| {
    let app = app_with_orders(t).await;
    let key = key_for(t, "acme-retail", "owner@acme.test", "orders.read,orders.write,invoices.read").await;
    let order = r#"{"placed_at":"2026-11-21T10:00:00Z","items":[{"sku":"ACM-0002","quantity":1}]}"#;
    let orders = || scalar(t, "SELECT COUNT(*) FROM orders");
    let before = orders().await;
    let first = call(&app, "POST", "/v1/orders", Some(&key), Some(order), &[("idempotency-key", "sync-42")]).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let again = call(&app, "POST", "/v1/orders", Some(&key), Some(order), &[("idempotency-key", "sync-42")]).await;
    assert_eq!(
        (again.status, again.body.clone()),
        (StatusCode::CREATED, first.body.clone()),
        "the first answer, replayed"
    );
    assert_eq!(again.header(http::HeaderName::from_static("idempotent-replayed")), "true");
    assert_eq!(orders().await, before + 1);
    let other = order.replace("\"quantity\":1", "\"quantity\":3");
    let r = call(&app, "POST", "/v1/orders", Some(&key), Some(&other), &[("idempotency-key", "sync-42")]).await;
    assert_eq!(problem(&r), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused".into()));
    // Five at once with one new key: one order.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let (app, key) = (app.clone(), key.clone());
        tasks.spawn(async move {
            call(&app, "POST", "/v1/orders", Some(&key), Some(order), &[("idempotency-key", "burst-1")]).await.status
        });
    }
    let statuses = tasks.join_all().await;
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT), "{statuses:?}");
    assert_eq!(orders().await, before + 2);
    // Bad input: a problem naming the field, nothing written.
    let bad = r#"{"placed_at":"yesterday","items":[{"sku":"ACM-0002","quantity":1}]}"#;
    let r = call(&app, "POST", "/v1/orders", Some(&key), Some(bad), &[]).await;
    assert_eq!(problem(&r), (StatusCode::BAD_REQUEST, "invalid_input".into()));
    assert_eq!(r.json()["field"], "order.placed_at");
    let r = call(&app, "POST", "/v1/orders", Some(&key), Some("{not json"), &[]).await;
    assert_eq!(problem(&r).0, StatusCode::BAD_REQUEST);
    // Quantities and totals are bounded (the rollups' sums cannot overflow).
    let huge = order.replace("\"quantity\":1", "\"quantity\":2000000");
    let r = call(&app, "POST", "/v1/orders", Some(&key), Some(&huge), &[]).await;
    assert_eq!(
        (problem(&r), r.json()["field"].clone()),
        ((StatusCode::BAD_REQUEST, "invalid_input".into()), serde_json::json!("order.items"))
    );
    assert_eq!(orders().await, before + 2);

    // Past due: reads 200, writes 402. Suspended: 403 for both.
    let acme = "(SELECT id FROM organizations WHERE slug = 'acme-retail')";
    execute(t, &format!("UPDATE subscriptions SET current_period_end = 1 WHERE org_id = {acme}")).await;
    assert_eq!(get(&app, "/v1/invoices", &key).await.status, StatusCode::OK);
    let r = call(&app, "POST", "/v1/orders", Some(&key), Some(order), &[]).await;
    assert_eq!(problem(&r), (StatusCode::PAYMENT_REQUIRED, "payment_required".into()));
    // Access can still be taken away while the bill is late: a leaked key is revoked.
    let leaked = key_for(t, "acme-retail", "owner@acme.test", "orders.read").await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let leaked_id: String = sqlx::query_scalar("SELECT id FROM api_keys WHERE secret_hash = $1")
        .bind(app::api_keys::token::hash(&leaked))
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let r = post(&app, "/api/api_keys/revoke", &format!("key_id={leaked_id}"), Some(&owner)).await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    assert_eq!(problem(&get(&app, "/v1/orders", &leaked).await).0, StatusCode::UNAUTHORIZED);
    execute(t, &format!("UPDATE subscriptions SET status = 'suspended' WHERE org_id = {acme}")).await;
    assert_eq!(problem(&get(&app, "/v1/invoices", &key).await), (StatusCode::FORBIDDEN, "tenant_suspended".into()));
    let r = call(&app, "POST", "/v1/orders", Some(&key), Some(order), &[]).await;
    assert_eq!(problem(&r), (StatusCode::FORBIDDEN, "tenant_suspended".into()));
    assert_eq!(orders().await, before + 2);
    assert_eq!(
        events(t, "action = 'access.denied' AND actor_type = 'api_key' AND reason = 'tenant_suspended'").await,
        2
    );
    // Orders written by a key are audited as the key's.
    assert_eq!(events(t, "action = 'orders.create' AND actor_type = 'api_key'").await, 2);
});

db_test!(a_burst_over_the_limit_is_refused_exactly_by_its_excess, |t| {
    let app = app(t).await;
    // Globex is on Starter: 120 requests a minute.
    let key = key_for(t, "globex", "owner@globex.test", "orders.read").await;
    window_with(20).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..130 {
        let (app, key) = (app.clone(), key.clone());
        tasks.spawn(async move { get(&app, "/v1/orders?limit=1", &key).await });
    }
    let replies = tasks.join_all().await;
    let refused: Vec<&Reply> = replies.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).collect();
    assert_eq!(refused.len(), 10, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(replies.iter().filter(|r| r.status == StatusCode::OK).count(), 120);
    for r in &refused {
        assert_eq!(problem(r).1, "rate_limited");
        let retry: i64 = r.header(header::RETRY_AFTER).parse().unwrap();
        assert!((1..=60).contains(&retry));
        assert!(r.header(http::HeaderName::from_static("ratelimit")).contains(&format!("\"key\";r=0;t={retry}")));
    }
});

#[tokio::test]
async fn two_servers_on_one_postgres_share_one_limit() {
    let t = TestDb::new(app::db::Backend::Postgres).await;
    let first = app(&t).await;
    // A second server: its own connection pool and state, the same database.
    let db = app::db::Db::connect(&t.url, 5).await.unwrap();
    let options = leptos::prelude::LeptosOptions::builder().output_name("gatehouse").build();
    let second = server::routes::router(app::state::AppState::new(options, db, t.config()));
    let key = key_for(&t, "globex", "owner@globex.test", "orders.read").await;
    window_with(20).await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..130 {
        let (server, key) = (if n % 2 == 0 { first.clone() } else { second.clone() }, key.clone());
        tasks.spawn(async move { get(&server, "/v1/orders?limit=1", &key).await.status });
    }
    let statuses = tasks.join_all().await;
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(refused, 10, "120 a minute between both servers: {statuses:?}");
    t.cleanup().await;
}

db_test!(keys_read_analytics_only_with_the_analytics_scopes_and_each_read_is_audited, |t| {
    let app = app_with_orders(t).await;
    let key = key_for(t, "acme-retail", "owner@acme.test", "analytics.view,analytics.view_sales").await;
    let r = get(&app, "/v1/analytics/sales_daily?start=2026-11-01&end=2026-11-07", &key).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["labels"].as_array().unwrap().len(), 7);
    let r = get(&app, "/v1/analytics/revenue_daily", &key).await;
    assert_eq!(problem(&r), (StatusCode::FORBIDDEN, "analytics_permission_required".into()));
    assert!(r.json()["detail"].as_str().unwrap().contains("analytics.view_revenue"));
    let summary = get(&app, "/v1/analytics/summary", &key).await;
    assert_eq!(summary.status, StatusCode::OK);
    assert!(summary.json()["current"].get("revenue").is_none(), "no revenue without its scope");
    let r = get(&app, "/v1/analytics/sales_daily?start=2026-12-01&end=2026-11-01", &key).await;
    assert_eq!(problem(&r).0, StatusCode::BAD_REQUEST);
    assert_eq!(events(t, "action = 'analytics.query' AND actor_type = 'api_key'").await, 2);
    // A key without analytics scopes reads no analytics, whatever its maker may.
    let orders_only = key_for(t, "acme-retail", "owner@acme.test", "orders.read").await;
    assert_eq!(get(&app, "/v1/analytics/summary", &orders_only).await.status, StatusCode::FORBIDDEN);
    // Customers as the finance pages have them: invoices.read, masked without customers.pii.read.
    let r = get(&app, "/v1/customers?limit=5", &orders_only).await;
    assert_eq!(problem(&r), (StatusCode::FORBIDDEN, "permission_required".into()));
    let invoices = key_for(t, "acme-retail", "owner@acme.test", "invoices.read").await;
    let r = get(&app, "/v1/customers?limit=5", &invoices).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["data"].as_array().unwrap().iter().all(|c| c["masked"] == true));
    let r = get(&app, "/v1/customers?limit=0", &invoices).await;
    assert_eq!(problem(&r), (StatusCode::BAD_REQUEST, "invalid_input".into()));
    // Another tenant's invoice is not found.
    let globex_invoice: String = sqlx::query_scalar(
        "SELECT i.id FROM invoices i JOIN organizations o ON o.id = i.org_id WHERE o.slug = 'globex' LIMIT 1",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let r = get(&app, &format!("/v1/invoices/{globex_invoice}"), &invoices).await;
    assert_eq!(problem(&r), (StatusCode::NOT_FOUND, "not_found".into()));
});

db_test!(the_openapi_document_covers_every_route_and_the_docs_render_it, |t| {
    let app = app(t).await;
    let r = call(&app, "GET", "/v1/openapi.json", None, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let document = r.json();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    // Every route the API serves is in the document...
    let served = [
        ("get", "/v1/customers"),
        ("post", "/v1/customers"),
        ("get", "/v1/orders"),
        ("post", "/v1/orders"),
        ("post", "/v1/orders/batch"),
        ("get", "/v1/invoices"),
        ("get", "/v1/invoices/{id}"),
        ("get", "/v1/analytics/summary"),
        ("get", "/v1/analytics/revenue_daily"),
        ("get", "/v1/analytics/sales_daily"),
        ("get", "/v1/analytics/products_sold_daily"),
    ];
    let documented: Vec<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |m| (m.clone(), path.clone())))
        .collect();
    for (method, path) in served {
        assert!(documented.contains(&(method.into(), path.into())), "{method} {path} is not documented");
    }
    assert_eq!(documented.len(), served.len(), "{documented:?}");
    // ...and everything documented is served (an answer, not "no such route").
    let key = key_for(t, "acme-retail", "owner@acme.test", "orders.read").await;
    for (method, path) in &documented {
        let path = path.replace("{id}", "6f1c2a4e-8b7d-4c3a-9e2f-1a2b3c4d5e6f");
        let r = call(&app, &method.to_uppercase(), &path, Some(&key), Some("{}"), &[]).await;
        assert!(r.status != StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(r.header(header::CONTENT_TYPE).contains("json"), "{method} {path}: {}", r.body);
    }
    let page = call(&app, "GET", "/docs/api", None, None, &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("GET /v1/orders") && page.body.contains("Authorization: Bearer"));
    assert!(!page.body.contains("<script"), "no script, no CDN");
});
