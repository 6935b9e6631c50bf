//! Analytics over HTTP on SQLite and PostgreSQL, the seed's checklist: step-up before any
//! figure (the owner fresh from an MFA sign-in excepted), each chart behind its permission,
//! revenue absent — not null — without its permission, grants and revocations on the next
//! request, ranges checked, every query audited with its range and metrics, the step-up form
//! in place on the page.

#[path = "../../app/tests/support/mod.rs"]
mod support;
mod web;

use http::StatusCode;
use support::TestDb;
use web::{app_with_orders, events, get, post, sign_in, step_up};

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

/// The consultant's membership in Acme (where grants are set).
async fn consultant_in_acme(t: &TestDb) -> String {
    sqlx::query_scalar(
        "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.org_id \
         WHERE u.email = 'consultant@example.test' AND o.slug = 'acme-retail'",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap()
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
    let member = consultant_in_acme(t).await;
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

/// The last year up to today in Acme's days, as an export form's range.
fn last_year(now: i64) -> String {
    let today = app::time::today(now, "Asia/Kolkata");
    format!("start={}&end={}", app::time::day_string(today - 364), app::time::day_string(today))
}

db_test!(exports_are_watermarked_masked_traced_and_behind_their_permissions, |t| {
    let app = app_with_orders(t).await;
    let range = last_year(app::db::now());
    // Two of Acme's customers with paid orders: one agreed to analytics (and has a name a
    // spreadsheet would run as a formula), one did not.
    let acme_buyers: Vec<String> = sqlx::query_scalar(
        "SELECT o.customer_id FROM orders o JOIN organizations g ON g.id = o.org_id \
         WHERE g.slug = 'acme-retail' AND o.status = 'paid' AND o.customer_id IS NOT NULL \
         GROUP BY o.customer_id ORDER BY o.customer_id LIMIT 2",
    )
    .fetch_all(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let mut conn = t.db.conn().await.unwrap();
    sqlx::query("UPDATE customers SET analytics_consent = 0").execute(&mut *conn).await.unwrap();
    for (id, name, consent) in
        [(&acme_buyers[0], "=HYPERLINK(\"http://x.test\")", 1i64), (&acme_buyers[1], "Hidden Person", 0)]
    {
        sqlx::query("UPDATE customers SET name = $1, analytics_consent = $2 WHERE id = $3")
            .bind(name)
            .bind(consent)
            .bind(id)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    drop(conn);

    // The owner, fresh from an MFA sign-in: customers as CSV.
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let r = post(&app, "/api/analytics/export", &format!("what=customers&format=csv&{range}"), Some(&owner)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.header(http::header::CONTENT_DISPOSITION)
            .starts_with("attachment; filename=\"gatehouse-customers-acme-retail-")
    );
    assert_eq!(r.header(http::header::CONTENT_TYPE), "text/csv; charset=utf-8");
    let lines: Vec<&str> = r.body.split("\r\n").filter(|l| !l.is_empty()).collect();
    let mark = lines[0].strip_prefix("# Exported by owner@acme.test from Acme Retail (acme-retail) at ").unwrap();
    let export_id = mark.rsplit_once(", export ").unwrap().1;
    assert_eq!(lines[1], "customer,email,paid_orders,items,revenue");
    assert_eq!(lines.len(), 3, "only the customer who agreed: {lines:?}");
    assert!(lines[2].starts_with("'=********"), "masked and never a formula: {}", lines[2]);
    assert!(!r.body.contains("HYPERLINK") && !r.body.contains("Hidden") && r.body.contains("***@"), "{}", r.body);
    // The audit event carries the file's export number.
    let traced =
        format!("action = 'analytics.export' AND metadata LIKE '%{export_id}%' AND metadata LIKE '%customers%'");
    assert_eq!(events(t, &traced).await, 1);

    // JSON: a meta object with the watermark; SVG: a footer.
    let r = post(&app, "/api/analytics/export", &format!("what=revenue&format=json&{range}"), Some(&owner)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["meta"]["exported_by"], "owner@acme.test");
    assert_eq!(j["meta"]["organization"], "Acme Retail");
    assert!(j["meta"]["export_id"].as_str().is_some_and(|id| id.len() == 36 && id != export_id));
    assert_eq!(j["labels"].as_array().unwrap().len(), 365);
    assert_eq!(j["series"]["revenue"].as_array().unwrap().len(), 365);
    let r = post(&app, "/api/analytics/export", &format!("what=sales&format=svg&{range}"), Some(&owner)).await;
    assert_eq!((r.status, r.header(http::header::CONTENT_TYPE)), (StatusCode::OK, "image/svg+xml"));
    assert!(
        r.body.starts_with("<svg") && r.body.contains(">Exported by owner@acme.test from Acme Retail"),
        "{}",
        r.body
    );

    // Bad input is refused naming the field, and nothing is exported or recorded.
    let exported = events(t, "action = 'analytics.export'").await;
    assert_eq!(exported, 3);
    for (form, field) in [
        (format!("what=secrets&format=csv&{range}"), "what"),
        (format!("what=sales&format=xlsx&{range}"), "format"),
        (format!("what=customers&format=svg&{range}"), "format"),
        ("what=sales&format=csv&start=2025-01-01&end=2026-01-01".to_string(), "end"),
    ] {
        let r = post(&app, "/api/analytics/export", &form, Some(&owner)).await;
        assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{form}");
    }
    assert_eq!(events(t, "action = 'analytics.export'").await, exported);

    // The consultant may see sales but not export them: refused, naming the permission.
    let consultant = consultant(&app, t).await;
    let r = post(&app, "/api/analytics/export", &format!("what=sales&format=csv&{range}"), Some(&consultant)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("analytics.export"), "{}", r.body);
    assert!(
        events(t, "outcome = 'denied' AND target_id = '/api/analytics/export' AND metadata LIKE '%analytics.export%'")
            .await
            >= 1
    );
    // Granted export but still not revenue: no revenue export, and none inside the others.
    let member = consultant_in_acme(t).await;
    let grant = format!("member_id={member}&view=on&view_sales=on&view_products=on&export=on");
    assert_eq!(post(&app, "/api/grants/set", &grant, Some(&owner)).await.status, StatusCode::OK);
    let r = post(&app, "/api/analytics/export", &format!("what=revenue&format=csv&{range}"), Some(&consultant)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("analytics.view_revenue"), "{}", r.body);
    let r =
        post(&app, "/api/analytics/export", &format!("what=customers&format=json&{range}"), Some(&consultant)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["meta"]["exported_by"], "consultant@example.test");
    let rows = j["customers"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].get("revenue").is_none() && rows[0]["orders"].as_i64() > Some(0), "{j}");
    let r = post(&app, "/api/analytics/export", &format!("what=products&format=csv&{range}"), Some(&consultant)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.split("\r\n").nth(1) == Some("rank,sku,product,quantity"), "{}", r.body);
    assert_eq!(r.body.split("\r\n").filter(|l| !l.is_empty()).count(), 12, "the watermark, the header, ten products");
    assert_eq!(events(t, "action = 'analytics.export' AND actor_label = 'consultant@example.test'").await, 2);
});

/// Sends `csv` as the import form does (`multipart/form-data`, the file in `file`).
async fn upload(app: &axum::Router, cookie: &str, filename: &str, csv: &str) -> web::Reply {
    use tower::ServiceExt;
    let boundary = "gatehouse-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let request = http::Request::post("/api/analytics/import")
        .header(http::header::ORIGIN, web::ORIGIN)
        .header(http::header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header(http::header::COOKIE, cookie)
        .body(axum::body::Body::from(body))
        .unwrap();
    web::reply(app.clone().oneshot(request).await.unwrap()).await
}

/// Acme's daily rollup as stored, and as its orders say it should be.
async fn rollup_and_orders(
    t: &TestDb,
    org_id: &str,
) -> (Vec<(i64, i64, i64, i64, i64)>, Vec<(i64, i64, i64, i64, i64)>) {
    let mut conn = t.db.conn().await.unwrap();
    let stored = sqlx::query_as(
        "SELECT day, orders, items, revenue, refunds FROM analytics_daily WHERE org_id = $1 ORDER BY day",
    )
    .bind(org_id)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let computed: Vec<(String, i64, i64, i64, i64, i64)> =
        sqlx::query_as(&format!("{} ORDER BY local_day", app::analytics::server::RAW_DAILY))
            .bind(org_id)
            .bind(i64::MIN)
            .bind(i64::MAX)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    (stored, computed.into_iter().map(|(_, d, o, i, r, f)| (d, o, i, r, f)).collect())
}

db_test!(orders_import_from_csv_reporting_each_bad_line_and_the_rollups_follow, |t| {
    let app = app_with_orders(t).await;
    let (acme, sku, email): (String, String, String) = sqlx::query_as(
        "SELECT g.id, p.sku, c.email FROM organizations g JOIN products p ON p.org_id = g.id \
         JOIN customers c ON c.org_id = g.id WHERE g.slug = 'acme-retail' ORDER BY p.sku, c.email LIMIT 1",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let globex_sku: String = sqlx::query_scalar(
        "SELECT p.sku FROM products p JOIN organizations g ON g.id = p.org_id WHERE g.slug = 'globex' LIMIT 1",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let orders_before: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE org_id = $1")
        .bind(&acme)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    // Kolkata's last second of a day and the first of the next; a bad SKU (Globex's is not
    // Acme's), a bad quantity, an unknown customer; a refunded order.
    let file = format!(
        "order,placed_at,sku,quantity,unit_price,status,customer_email\r\n\
         IMP-1,2026-03-01 23:59:59,{sku},2,10.00,,{email}\r\n\
         IMP-1,2026-03-01 23:59:59,{sku},1,,,{email}\r\n\
         IMP-2,2026-03-02 00:00:00,{sku},1,5.50,paid,\r\n\
         IMP-3,2026-03-02 10:00,{globex_sku},1,,,\r\n\
         IMP-4,2026-03-02 10:00,{sku},-1,,,\r\n\
         IMP-5,2026-03-02 10:00,{sku},1,,,nobody@example.test\r\n\
         IMP-6,2026-03-03T04:30:00Z,{sku},3,2.00,refunded,\r\n"
    );
    let member = sign_in(&app, t, "member@acme.test").await;
    let r = upload(&app, &member, "march.csv", &file).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let report = r.header(http::header::LOCATION).strip_prefix("/analytics/import?report=").unwrap().to_string();
    let j = post(&app, "/api/analytics/imports", &format!("report={report}"), Some(&member)).await.json();
    let got = &j["report"];
    assert_eq!(
        (got["lines"].as_i64(), got["orders"].as_i64(), got["rejected_lines"].as_i64()),
        (Some(7), Some(3), Some(3)),
        "{j}"
    );
    assert_eq!(got["filename"], "march.csv");
    assert_eq!(got["by"], "member@acme.test");
    let lines: Vec<i64> = got["errors"].as_array().unwrap().iter().map(|e| e["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, vec![5, 6, 7], "{j}");
    assert!(got["errors"][0]["message"].as_str().unwrap().contains(&globex_sku), "{j}");
    assert_eq!(j["recent"][0]["id"], report.as_str());
    assert_eq!(events(t, &format!("action = 'orders.import' AND target_id = '{report}'")).await, 1);

    // The orders landed on their Kolkata days, with their totals, and the rollups agree.
    let mut conn = t.db.conn().await.unwrap();
    let days: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT local_day, status, total FROM orders WHERE org_id = $1 AND placed_at IN ($2, $3, $4) ORDER BY placed_at",
    )
    .bind(&acme)
    // 23:59:59 and 00:00:00 in Kolkata, and 04:30 UTC.
    .bind(1772389799i64)
    .bind(1772389800i64)
    .bind(1772512200i64)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    let first = app::time::parse_day("day", "2026-03-01").unwrap();
    let price: i64 = sqlx::query_scalar("SELECT price FROM products WHERE org_id = $1 AND sku = $2")
        .bind(&acme)
        .bind(&sku)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert!(days.contains(&(first, "paid".into(), 2_000 + price)), "{days:?}");
    assert!(days.contains(&(first + 1, "paid".into(), 550)), "{days:?}");
    assert!(days.contains(&(first + 2, "refunded".into(), 600)), "{days:?}");
    let (stored, computed) = rollup_and_orders(t, &acme).await;
    assert_eq!(stored, computed);

    // Two imports at once: both whole, the rollups still exact.
    let again = file.replace("IMP-", "TWO-");
    let (a, b) = tokio::join!(upload(&app, &member, "a.csv", &again), upload(&app, &member, "b.csv", &again));
    assert_eq!((a.status, b.status), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER));
    let orders_after: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE org_id = $1")
        .bind(&acme)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert_eq!(orders_after, orders_before + 9);
    let (stored, computed) = rollup_and_orders(t, &acme).await;
    assert_eq!(stored, computed);

    // A file without the columns: refused whole, nothing recorded.
    let r = upload(&app, &member, "bad.csv", "when,what\r\n2026-01-01,mug\r\n").await;
    assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some("file")));
    assert_eq!(events(t, "action = 'orders.import'").await, 3);
    // No orders.write: refused before the file is read. Another tenant's report: not found.
    let viewer = sign_in(&app, t, "viewer@acme.test").await;
    assert_eq!(upload(&app, &viewer, "x.csv", &file).await.status, StatusCode::FORBIDDEN);
    let globex = sign_in(&app, t, "owner@globex.test").await;
    let r = post(&app, "/api/analytics/imports", &format!("report={report}"), Some(&globex)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let page = get(&app, &format!("/analytics/import?report={report}"), Some(&member)).await;
    assert!(page.body.contains("march.csv") && page.body.contains("Lines not imported"), "{}", page.body);
});

db_test!(a_change_of_timezone_is_rebuilt_in_the_background_and_the_page_says_so, |t| {
    let app = app_with_orders(t).await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let before = post(&app, "/api/analytics/dashboard", "days=365", Some(&owner)).await.json();
    assert_eq!(before["timezone"], "Asia/Kolkata");
    assert!(before.get("rebuilding").is_none(), "{before}");
    let r = post(
        &app,
        "/api/orgs/settings/update",
        "name=Acme+Retail&timezone=America%2FNew_York&currency=INR",
        Some(&owner),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Queued, not run: the same figures, by Kolkata's days, and the page says why.
    let during = post(&app, "/api/analytics/dashboard", "days=365", Some(&owner)).await.json();
    assert_eq!(during["timezone"], "Asia/Kolkata");
    assert_eq!(during["rebuilding"]["to"], "America/New_York");
    assert_eq!(during["summary"]["current"], before["summary"]["current"]);
    let page = get(&app, "/analytics", Some(&owner)).await;
    assert!(page.body.contains("Analytics is being rebuilt for it (0 % done)"), "{}", page.body);
    app::analytics::rebuild::finish(&t.db, 500).await.unwrap();
    let after = post(&app, "/api/analytics/dashboard", "days=365", Some(&owner)).await.json();
    assert_eq!(after["timezone"], "America/New_York");
    assert!(after.get("rebuilding").is_none(), "{after}");
    // The same orders, on other days: a year's totals barely move, but the days do.
    let orders = |j: &serde_json::Value| j["sales"]["data"]["series"]["orders"].clone();
    assert_ne!(orders(&after), orders(&before));
    assert!(!get(&app, "/analytics", Some(&owner)).await.body.contains("being rebuilt"));
});

db_test!(figures_kept_in_memory_follow_every_order_recorded_through_any_server, |t| {
    let app = app_with_orders(t).await;
    // A second server on the same database, keeping figures of its own.
    let options = leptos::prelude::LeptosOptions::builder().output_name("gatehouse").build();
    let other = server::routes::router(app::state::AppState::new(options, t.db.clone(), t.config()));
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let member = sign_in(&app, t, "member@acme.test").await;
    let sku: String = sqlx::query_scalar(
        "SELECT p.sku FROM products p JOIN organizations g ON g.id = p.org_id WHERE g.slug = 'acme-retail' \
         ORDER BY p.sku LIMIT 1",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    // Today's first minute in Kolkata (never in the future): inside the last 30 days.
    let today = app::time::day_string(app::time::today(app::db::now(), "Asia/Kolkata"));
    let line = |n: usize| format!("order,placed_at,sku,quantity,unit_price\r\nMEM-{n},{today} 00:00,{sku},2,10.00\r\n");
    let totals = |j: &serde_json::Value| {
        let current = &j["summary"]["current"];
        let today = j["sales"]["data"]["series"]["orders"].as_array().unwrap().last().unwrap().as_i64().unwrap();
        (
            current["orders"].as_i64().unwrap(),
            current["items"].as_i64().unwrap(),
            current["revenue"].as_i64().unwrap(),
            today,
        )
    };
    let dashboard = |app: &axum::Router| {
        let (app, owner) = (app.clone(), owner.clone());
        async move {
            let r = post(&app, "/api/analytics/dashboard", "", Some(&owner)).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            totals(&r.json())
        }
    };
    // Read twice on each server: the second answer came from memory.
    let before = dashboard(&app).await;
    assert_eq!(dashboard(&app).await, before);
    assert_eq!(dashboard(&other).await, before);
    assert_eq!(dashboard(&other).await, before);

    // An order imported through one server is in the next view on both.
    let r = upload(&app, &member, "today.csv", &line(0)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = (before.0 + 1, before.1 + 2, before.2 + 2_000, before.3 + 1);
    assert_eq!(dashboard(&other).await, after, "the other server's figures were read before the order");
    assert_eq!(dashboard(&app).await, after);
    let r = post(&app, "/api/analytics/summary", "", Some(&owner)).await.json();
    assert_eq!(r["current"]["orders"].as_i64(), Some(after.0));
    let r = post(&other, "/api/analytics/sales_daily", "", Some(&owner)).await.json();
    assert_eq!(r["series"]["orders"].as_array().unwrap().last().unwrap().as_i64(), Some(after.3));

    // Imports and views at once, through both servers: the views after them see every order.
    let files: Vec<String> = (1..=4).map(line).collect();
    let (a, b, c, d, ..) = tokio::join!(
        upload(&app, &member, "a.csv", &files[0]),
        upload(&other, &member, "b.csv", &files[1]),
        upload(&app, &member, "c.csv", &files[2]),
        upload(&other, &member, "d.csv", &files[3]),
        dashboard(&app),
        dashboard(&other),
        dashboard(&app),
        dashboard(&other),
    );
    assert!([a.status, b.status, c.status, d.status].iter().all(|s| *s == StatusCode::SEE_OTHER));
    let last = (before.0 + 5, before.1 + 10, before.2 + 10_000, before.3 + 5);
    assert_eq!(dashboard(&app).await, last);
    assert_eq!(dashboard(&other).await, last);
    let acme: String = sqlx::query_scalar("SELECT id FROM organizations WHERE slug = 'acme-retail'")
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let (stored, computed) = rollup_and_orders(t, &acme).await;
    assert_eq!(stored, computed);
});
