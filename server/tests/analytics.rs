//! Analytics over HTTP on SQLite and PostgreSQL, the seed's checklist: step-up before any
//! figure (the owner fresh from an MFA sign-in excepted), each chart behind its permission,
//! revenue absent — not null — without its permission, grants and revocations on the next
//! request, ranges checked, every query audited with its range and metrics, the step-up form
//! in place on the page.

#[path = "../../app/tests/support/mod.rs"]
mod support;
mod web;

use http::StatusCode;
use server::demo_analytics::{ACME_ORDERS, GLOBEX_ORDERS, OrdersPlan};
use support::TestDb;
use web::{DEMO_PASSWORD, app, events, get, post, sign_in};

/// The app on the demo data with a lighter year of orders (a few a day: the full demo's
/// takes a while in a debug build).
async fn app_with_orders(t: &TestDb) -> axum::Router {
    let app = app(t).await;
    let light = |plan: &OrdersPlan| OrdersPlan { per_day: plan.per_day / 20 + 1, ..*plan };
    let (acme, globex) = (light(&ACME_ORDERS), light(&GLOBEX_ORDERS));
    let (products, orders) = server::demo::seed_orders(&t.db, [&acme, &globex], app::db::now()).await.unwrap();
    assert!(products > 0 && orders > 1_000, "{orders} orders");
    app
}

/// Sets the analytics PIN of the signed-in `cookie` and unlocks with it: the unlocked session.
async fn step_up(app: &axum::Router, cookie: &str) -> String {
    let r = post(app, "/api/security/pin", &format!("password={DEMO_PASSWORD}&pin=482913"), Some(cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = post(app, "/api/security/step_up", "method=pin&code=482913&next=/analytics", Some(cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.cookie("gh_session").unwrap()
}

/// The consultant (an analyst in Acme without the revenue grant), in Acme, unlocked.
async fn consultant(app: &axum::Router, t: &TestDb) -> String {
    let cookie = sign_in(app, t, "consultant@example.test").await;
    let acme: String = sqlx::query_scalar("SELECT id FROM organizations WHERE slug = 'acme-retail'")
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let r = post(app, "/api/orgs/switch", &format!("org_id={acme}"), Some(&cookie)).await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    step_up(app, &cookie).await
}

db_test!(revenue_is_absent_without_its_permission_and_follows_grants, |t| {
    let app = app_with_orders(t).await;
    let consultant = consultant(&app, t).await;
    let j = post(&app, "/api/analytics/summary", "", Some(&consultant)).await.json();
    assert!(j["current"]["orders"].is_i64() && j["current"]["items"].is_i64(), "{j}");
    for key in ["revenue", "refunds", "average_order"] {
        assert!(j["current"].get(key).is_none() && j["previous"].get(key).is_none(), "{key} present: {j}");
    }
    let page = post(&app, "/api/analytics/dashboard", "", Some(&consultant)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let j = page.json();
    assert!(j.get("revenue").is_none() && j["sales"].is_object() && j["products"].is_object(), "{j}");
    assert!(j["products"]["data"]["top"].as_array().unwrap().iter().all(|p| p.get("revenue").is_none()));
    // The revenue series itself: refused, naming the permission, and the refusal audited.
    let r = post(&app, "/api/analytics/revenue_daily", "", Some(&consultant)).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (StatusCode::FORBIDDEN, Some("analytics_permission_required")));
    assert!(r.body.contains("analytics.view_revenue"), "{}", r.body);
    assert!(events(t, "outcome = 'denied' AND metadata LIKE '%analytics.view_revenue%'").await >= 1);

    // The owner grants revenue: the very next request has it; revoked, the next one has not.
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let member: String = sqlx::query_scalar(
        "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.org_id \
         WHERE u.email = 'consultant@example.test' AND o.slug = 'acme-retail'",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let grant = format!("member_id={member}&view=on&view_revenue=on&view_sales=on&view_products=on");
    assert_eq!(post(&app, "/api/grants/set", &grant, Some(&owner)).await.status, StatusCode::OK);
    let r = post(&app, "/api/analytics/revenue_daily", "", Some(&consultant)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["labels"].as_array().unwrap().len(), 30);
    assert_eq!(j["series"]["revenue"].as_array().unwrap().len(), 30);
    assert_eq!(j["series"]["revenue_previous"].as_array().unwrap().len(), 30);
    let total: i64 = j["series"]["revenue"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).sum();
    assert!(total > 0, "a month of demo orders has revenue");
    let summary = post(&app, "/api/analytics/summary", "", Some(&consultant)).await.json();
    assert_eq!(summary["current"]["revenue"].as_i64(), Some(total), "the summary adds up the same days");
    let grant = format!("member_id={member}&view=on&view_sales=on&view_products=on");
    assert_eq!(post(&app, "/api/grants/set", &grant, Some(&owner)).await.status, StatusCode::OK);
    assert_eq!(post(&app, "/api/analytics/revenue_daily", "", Some(&consultant)).await.status, StatusCode::FORBIDDEN);
});

db_test!(ranges_are_checked_and_every_query_is_audited, |t| {
    let app = app_with_orders(t).await;
    let analyst = step_up(&app, &sign_in(&app, t, "analyst@acme.test").await).await;
    for (form, field) in [
        ("start=2025-01-01&end=2026-01-01", "end"),
        ("start=2026-02-01&end=2026-01-01", "end"),
        ("start=2026-13-01&end=2026-12-31", "start"),
        ("start=2026-01-01&end=yesterday", "end"),
    ] {
        for path in ["/api/analytics/summary", "/api/analytics/sales_daily", "/api/analytics/products_sold_daily"] {
            let r = post(&app, path, form, Some(&analyst)).await;
            assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{path} {form}");
        }
    }
    let before = events(t, "action = 'analytics.query'").await;
    // 365 days inclusive is the longest range: one label per day.
    let r = post(&app, "/api/analytics/sales_daily", "start=2025-01-01&end=2025-12-31", Some(&analyst)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["labels"].as_array().unwrap().len(), 365);
    assert_eq!(j["labels"][0], "2025-01-01");
    assert_eq!(j["series"]["orders"].as_array().unwrap().len(), 365);
    let r = post(&app, "/api/analytics/products_sold_daily", "start=2025-06-01&end=2025-06-30", Some(&analyst)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(events(t, "action = 'analytics.query'").await, before + 2, "one event per query");
    assert_eq!(
        events(
            t,
            "action = 'analytics.query' AND metadata LIKE '%2025-01-01%' AND metadata LIKE '%2025-12-31%' \
             AND metadata LIKE '%sales_daily%'"
        )
        .await,
        1
    );
    // Refused queries add no query event.
    post(&app, "/api/analytics/summary", "start=2025-01-01&end=2026-01-01", Some(&analyst)).await;
    assert_eq!(events(t, "action = 'analytics.query'").await, before + 2);
});

db_test!(the_unlock_lasts_24_hours_and_members_without_analytics_are_refused, |t| {
    let app = app_with_orders(t).await;
    let analyst = step_up(&app, &sign_in(&app, t, "analyst@acme.test").await).await;
    assert_eq!(post(&app, "/api/analytics/summary", "", Some(&analyst)).await.status, StatusCode::OK);
    // A day later the unlock is over: step-up again.
    let token = analyst.split_once('=').unwrap().1;
    sqlx::query("UPDATE sessions SET step_up_until = $1 WHERE token_hash = $2")
        .bind(app::db::now() - 1)
        .bind(app::auth::session::hash_token(token))
        .execute(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let r = post(&app, "/api/analytics/summary", "", Some(&analyst)).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (StatusCode::FORBIDDEN, Some("step_up_required")));
    // No analytics permission: refused whatever the unlock, and no link in the sidebar.
    let member = sign_in(&app, t, "member@acme.test").await;
    for path in ["/api/analytics/summary", "/api/analytics/sales_daily", "/api/analytics/dashboard"] {
        assert_eq!(post(&app, path, "", Some(&member)).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(!get(&app, "/", Some(&member)).await.body.contains("href=\"/analytics\""));
    assert!(get(&app, "/", Some(&analyst)).await.body.contains("href=\"/analytics\""));
});

db_test!(the_page_asks_for_step_up_in_place_then_shows_the_charts, |t| {
    let app = app_with_orders(t).await;
    let analyst = sign_in(&app, t, "analyst@acme.test").await;
    let page = get(&app, "/analytics?days=7", Some(&analyst)).await;
    assert!(page.body.contains("Verify it&#x27;s you") || page.body.contains("Verify it's you"), "{}", page.body);
    assert!(page.body.contains("Unlock with PIN") || page.body.contains("Emailed code"), "{}", page.body);
    assert!(page.body.contains("/analytics?days=7"), "comes back to the same range");
    assert!(!page.body.contains("Access denied"));
    let unlocked = step_up(&app, &analyst).await;
    let page = get(&app, "/analytics?days=7", Some(&unlocked)).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Revenue per day (INR)",
        "Paid orders per day",
        "Top products",
        "<svg",
        "7 days",
        "Unlocked for this session until",
    ] {
        assert!(page.body.contains(text), "the page lacks {text}");
    }
    assert_eq!(events(t, "action = 'analytics.view'").await, 1, "one view event for the page");
});
