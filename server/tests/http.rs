//! The HTTP surface through the real router and its middleware, on SQLite and PostgreSQL:
//! statuses, security headers, cookies, CSRF, body limits and bad input.

#[path = "../../app/tests/support/mod.rs"]
mod support;

mod web;

use axum::body::Body;
use http::{Request, StatusCode, header};
use support::count;
use tower::ServiceExt;
use web::{DEMO_PASSWORD, ORIGIN, app, get, post, reply, sign_in};

db_test!(pages_carry_security_headers, |t| {
    let app = app(t).await;
    let r = get(&app, "/login", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let csp = r.header(header::CONTENT_SECURITY_POLICY);
    assert!(csp.contains("script-src 'self' 'nonce-") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(r.body.contains(&format!("nonce=\"{nonce}\"")), "inline scripts carry the page's nonce");
    assert_eq!(r.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(r.header(header::REFERRER_POLICY), "same-origin");
    assert_eq!(r.header(header::X_FRAME_OPTIONS), "DENY");
    assert_eq!(r.header(header::CACHE_CONTROL), "no-store");
    // Another request, another nonce.
    let again = get(&app, "/login", None).await;
    assert_ne!(again.header(header::CONTENT_SECURITY_POLICY), csp);
    assert!(r.body.contains("<label for=\"email\">Email"));
});

db_test!(unknown_pages_are_404_and_health_is_200, |t| {
    let app = app(t).await;
    let r = get(&app, "/no/such/page", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Not found"));
    assert_eq!(get(&app, "/healthz", None).await.status, StatusCode::OK);
});

// Another router built while pages render (each test builds its own) never stalls a page:
// finding the page routes suppresses resource loads process-wide (leptos-rs/leptos#4773), so
// it happens once per process.
db_test!(pages_render_while_other_routers_are_built, |t| {
    let app = app(t).await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let state = app::state::AppState::new(
        leptos::prelude::LeptosOptions::builder().output_name("gatehouse").build(),
        t.db.clone(),
        t.config(),
    );
    let building = tokio::task::spawn_blocking(move || {
        for _ in 0..30 {
            drop(server::routes::router(state.clone()));
        }
    });
    for _ in 0..30 {
        let r = tokio::time::timeout(std::time::Duration::from_secs(20), get(&app, "/settings/team", Some(&owner)))
            .await
            .expect("a page rendered while a router was built never finished");
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("owner@acme.test"), "the roster loaded");
    }
    building.await.unwrap();
});

db_test!(sign_in_sets_a_hardened_cookie_and_sign_out_kills_it, |t| {
    let app = app(t).await;
    let r = post(&app, "/api/auth/sign_in", &format!("email=member@acme.test&password={DEMO_PASSWORD}"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let set_cookie = r.header(header::SET_COOKIE).to_string();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie} lacks {attribute}");
    }
    assert!(!set_cookie.contains("Secure"), "plain http in tests");
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    assert_eq!(post(&app, "/api/security/overview", "", Some(&cookie)).await.status, StatusCode::OK);
    let out = post(&app, "/api/auth/sign_out", "", Some(&cookie)).await;
    assert_eq!(out.status, StatusCode::OK);
    assert!(out.header(header::SET_COOKIE).contains("Max-Age=0"));
    // The old cookie is dead on the server, whatever the browser does with it.
    let r = post(&app, "/api/security/overview", "", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["code"], "sign_in_required");
});

db_test!(wrong_password_and_unknown_email_get_the_same_answer, |t| {
    let app = app(t).await;
    let wrong = post(&app, "/api/auth/sign_in", "email=owner@acme.test&password=nope-nope-nope", None).await;
    let unknown = post(&app, "/api/auth/sign_in", "email=ghost@acme.test&password=nope-nope-nope", None).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!((wrong.status, wrong.body.clone()), (unknown.status, unknown.body.clone()));
    assert_eq!(wrong.json()["message"], "Incorrect email or password.");
});

db_test!(cross_origin_writes_are_refused_and_change_nothing, |t| {
    let app = app(t).await;
    let users = count(&t.db, "users").await;
    let request = Request::post("/api/auth/sign_up")
        .header(header::ORIGIN, "https://evil.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("name=Eve&email=eve@evil.test&password=a+long+passphrase+here&organization=Evil"))
        .unwrap();
    let r = reply(app.clone().oneshot(request).await.unwrap()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["code"], "cross_origin_request");
    assert_eq!(count(&t.db, "users").await, users);
    // A signed-in browser's cookie without any Origin or Referer is refused as well.
    let cookie = sign_in(&app, t, "owner@acme.test").await;
    let request = Request::post("/api/auth/sign_out").header(header::COOKIE, &cookie).body(Body::empty()).unwrap();
    let r = reply(app.clone().oneshot(request).await.unwrap()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(post(&app, "/api/team/members", "", Some(&cookie)).await.status, StatusCode::OK, "still signed in");
});

db_test!(oversized_bodies_are_refused_before_reading, |t| {
    let app = app(t).await;
    let body = format!("email=x@y.test&password={}", "a".repeat(app::config::MAX_BODY_BYTES));
    // Streamed without a length: cut off at the limit.
    let r = post(&app, "/api/auth/sign_in", &body, None).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["code"], "payload_too_large");
    // Announced: refused before reading.
    let request = Request::post("/api/auth/sign_in")
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap();
    let r = reply(app.clone().oneshot(request).await.unwrap()).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
});

db_test!(bad_input_gets_a_clear_4xx_and_changes_nothing, |t| {
    let app = app(t).await;
    let users = count(&t.db, "users").await;
    let cases = [
        ("name=A&email=not-an-email&password=a+long+passphrase+here&organization=Org", "email"),
        ("name=A&email=a@b.test&password=password1&organization=Org", "password"),
        ("name=A&email=a@b.test&password=short&organization=Org", "password"),
        ("name=A&email=a@b.test&password=a+long+passphrase+here&organization=X", "organization"),
        ("name=A&email=a%27%3B+DROP+TABLE+users%3B--@b.test&password=a+long+passphrase+here&organization=Org", "email"),
    ];
    for (form, field) in cases {
        let r = post(&app, "/api/auth/sign_up", form, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{form}: {}", r.body);
        assert_eq!(r.json()["field"], field, "{form}");
    }
    // Missing and malformed arguments are 400 as well, never 500.
    let r = post(&app, "/api/auth/sign_up", "name=A", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(count(&t.db, "users").await, users);

    // Settings: unknown timezone and currency are named.
    let cookie = sign_in(&app, t, "owner@acme.test").await;
    let r =
        post(&app, "/api/orgs/settings/update", "name=Acme+Retail&timezone=Mars%2FBase&currency=INR", Some(&cookie))
            .await;
    assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some("timezone")));
    let r = post(&app, "/api/orgs/settings/update", "name=Acme+Retail&timezone=UTC&currency=XXX", Some(&cookie)).await;
    assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some("currency")));
    let tz: String = sqlx::query_scalar("SELECT timezone FROM organizations WHERE slug = 'acme-retail'")
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert_eq!(tz, "Asia/Kolkata", "a refused update changes nothing");
});

db_test!(unicode_passwords_work_in_any_normal_form, |t| {
    let app = app(t).await;
    // "Ünïcödé passphrase ✓" precomposed at sign-up, decomposed at sign-in.
    let composed = "%C3%9Cn%C3%AFc%C3%B6d%C3%A9+passphrase+%E2%9C%93";
    let decomposed = "U%CC%88ni%CC%88co%CC%88de%CC%81+passphrase+%E2%9C%93";
    let form = format!("name=Uni&email=uni@example.test&password={composed}&organization=Unicode+Org");
    web::sign_up(&app, t, &form, "uni@example.test", composed).await;
    let r = post(&app, "/api/auth/sign_in", &format!("email=uni@example.test&password={decomposed}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
});

db_test!(missing_or_forged_cookies_are_401, |t| {
    let app = app(t).await;
    let r = post(&app, "/api/team/members", "", None).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("sign_in_required")));
    let forged = "gh_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let r = post(&app, "/api/team/members", "", Some(forged)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = post(&app, "/api/team/members", "", Some("gh_session=' OR '1'='1")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
});

db_test!(another_tenants_rows_answer_404, |t| {
    let app = app(t).await;
    let globex_owner_membership: String = sqlx::query_scalar(
        "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'owner@globex.test'",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let acme = sign_in(&app, t, "owner@acme.test").await;
    let r = post(&app, "/api/team/member", &format!("member_id={globex_owner_membership}"), Some(&acme)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let page = get(&app, &format!("/settings/team/{globex_owner_membership}"), Some(&acme)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let globex = sign_in(&app, t, "owner@globex.test").await;
    let r = post(&app, "/api/team/member", &format!("member_id={globex_owner_membership}"), Some(&globex)).await;
    assert_eq!(r.status, StatusCode::OK);
    // Switching into an organization one is not a member of: 404 as well.
    let globex_id: String = sqlx::query_scalar("SELECT id FROM organizations WHERE slug = 'globex'")
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let r = post(&app, "/api/orgs/switch", &format!("org_id={globex_id}"), Some(&acme)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});

db_test!(pages_redirect_visitors_and_deny_the_unauthorized, |t| {
    let app = app(t).await;
    let r = get(&app, "/settings/team", None).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.header(header::LOCATION), "/login?next=/settings/team");
    let member = sign_in(&app, t, "member@acme.test").await;
    let r = get(&app, "/settings/team", Some(&member)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Access denied") && r.body.contains("team.read"));
    let admin = sign_in(&app, t, "admin@acme.test").await;
    let r = get(&app, "/settings/team", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("owner@acme.test"));
});

db_test!(server_functions_accept_post_only, |t| {
    let app = app(t).await;
    let r = get(&app, "/api/team/members", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
});

db_test!(throttled_sign_in_says_when_to_retry, |t| {
    let app = app(t).await;
    for _ in 0..5 {
        post(&app, "/api/auth/sign_in", "email=viewer@acme.test&password=wrong-wrong", None).await;
    }
    let r = post(&app, "/api/auth/sign_in", &format!("email=viewer@acme.test&password={DEMO_PASSWORD}"), None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json()["code"], "too_many_attempts");
    assert!(r.header(header::RETRY_AFTER).parse::<u64>().unwrap() >= 1);
});

db_test!(switching_organization_changes_the_active_org, |t| {
    let app = app(t).await;
    let consultant = sign_in(&app, t, "consultant@example.test").await;
    let session = post(&app, "/api/session", "", Some(&consultant)).await.json();
    let orgs = session["orgs"].as_array().unwrap();
    assert_eq!(orgs.len(), 2);
    let other = orgs.iter().find(|o| o["active"] == false).unwrap();
    let r = post(&app, "/api/orgs/switch", &format!("org_id={}", other["org_id"].as_str().unwrap()), Some(&consultant))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let session = post(&app, "/api/session", "", Some(&consultant)).await.json();
    assert_eq!(session["access"]["org"]["org_id"], other["org_id"]);
});

db_test!(privileged_calls_wait_for_mfa_and_denials_are_audited, |t| {
    let app = app(t).await;
    // The finance admin's role requires MFA they have not set up: finance stays closed.
    let finadmin = sign_in(&app, t, "finadmin@acme.test").await;
    let session = post(&app, "/api/session", "", Some(&finadmin)).await.json();
    assert!(session["access"]["granted"].as_array().unwrap().iter().any(|p| p == "invoices.read"));
    assert!(!session["access"]["permissions"].as_array().unwrap().iter().any(|p| p == "invoices.read"));
    let r = post(&app, "/api/orgs/settings", "", Some(&finadmin)).await;
    assert_eq!(r.json()["code"], "permission_required", "settings were never theirs");
    // A member lacks the permission outright; the denial names it and is audited.
    let member = sign_in(&app, t, "member@acme.test").await;
    let r = post(&app, "/api/team/members", "", Some(&member)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["denial"]["permission"], "team.read");
    let (actor, reason, target): (String, String, String) = sqlx::query_as(
        "SELECT actor_label, reason, target_id FROM audit_events WHERE action = 'access.denied' \
         AND actor_label = 'member@acme.test'",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    assert_eq!(
        (actor.as_str(), reason.as_str(), target.as_str()),
        ("member@acme.test", "permission_required", "/api/team/members")
    );
    // Anonymous denials are recorded too, outside any organization: counted per address and
    // minute, written when the minute is over.
    post(&app, "/api/team/members", "", None).await;
    app::audit::retention::flush_anonymous_denials(&t.db, app::db::now() + 60).await.unwrap();
    let anonymous: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'access.denied' AND actor_type = 'anonymous' \
         AND chain = 'platform'",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    assert_eq!(anonymous, 1);
});

db_test!(a_revoked_grant_stops_applying_on_the_next_request, |t| {
    let app = app(t).await;
    // Without the demo's revenue grant, to watch one come and go.
    sqlx::query("DELETE FROM grants").execute(&mut *t.db.conn().await.unwrap()).await.unwrap();
    let analyst = sign_in(&app, t, "analyst@acme.test").await;
    let session = post(&app, "/api/session", "", Some(&analyst)).await.json();
    assert!(!session["access"]["permissions"].as_array().unwrap().iter().any(|p| p == "analytics.view_revenue"));
    let (org, user): (String, String) = sqlx::query_as(
        "SELECT m.org_id, m.user_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'analyst@acme.test'",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    sqlx::query("INSERT INTO grants (id, org_id, user_id, permission, granted_at) VALUES ('g1', $1, $2, 'analytics.view_revenue', 0)")
        .bind(&org)
        .bind(&user)
        .execute(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let session = post(&app, "/api/session", "", Some(&analyst)).await.json();
    assert!(session["access"]["permissions"].as_array().unwrap().iter().any(|p| p == "analytics.view_revenue"));
    sqlx::query("DELETE FROM grants WHERE id = 'g1'").execute(&mut *t.db.conn().await.unwrap()).await.unwrap();
    let session = post(&app, "/api/session", "", Some(&analyst)).await.json();
    assert!(!session["access"]["permissions"].as_array().unwrap().iter().any(|p| p == "analytics.view_revenue"));
    // An expired grant does not apply either.
    sqlx::query(
        "INSERT INTO grants (id, org_id, user_id, permission, granted_at, expires_at) VALUES ('g2', $1, $2, 'analytics.export', 0, 1)",
    )
    .bind(&org)
    .bind(&user)
    .execute(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let session = post(&app, "/api/session", "", Some(&analyst)).await.json();
    assert!(!session["access"]["permissions"].as_array().unwrap().iter().any(|p| p == "analytics.export"));
});

db_test!(audit_log_is_browsed_and_exported_as_safe_csv, |t| {
    let app = app(t).await;
    let admin = sign_in(&app, t, "admin@acme.test").await;
    let r = post(&app, "/api/audit/events", "filter[action]=auth.&filter[outcome]=allowed", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let events = r.json()["events"].as_array().unwrap().clone();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["action"].as_str().unwrap().starts_with("auth.") && e["outcome"] == "allowed"));
    let r = post(&app, "/api/audit/events", "filter[from]=31-01-2026", Some(&admin)).await;
    assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some("from")));

    let request = Request::post("/api/audit/export")
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &admin)
        .body(Body::from("action=audit."))
        .unwrap();
    let r = reply(app.clone().oneshot(request).await.unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.header(header::CONTENT_TYPE), "text/csv; charset=utf-8");
    assert!(r.header(header::CONTENT_DISPOSITION).starts_with("attachment; filename=\"gatehouse-audit-acme-retail-"));
    let mut lines = r.body.split("\r\n");
    assert!(lines.next().unwrap().starts_with("seq,time_utc,time_local,actor_type,actor,action"));
    assert!(r.body.contains("audit.view"), "browsing the log was audited");
    let exports: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'audit.export'")
            .fetch_one(&mut *t.db.conn().await.unwrap())
            .await
            .unwrap();
    assert_eq!(exports, 1);

    // Reading is not exporting: a member gets 403 for both.
    let member = sign_in(&app, t, "member@acme.test").await;
    assert_eq!(post(&app, "/api/audit/events", "filter[actor]=", Some(&member)).await.status, StatusCode::FORBIDDEN);
    let r = post(&app, "/api/audit/export", "", Some(&member)).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (StatusCode::FORBIDDEN, Some("permission_required")));
});

db_test!(the_guard_fails_closed_when_the_database_is_gone, |t| {
    let app = app(t).await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    assert_eq!(post(&app, "/api/team/members", "", Some(&owner)).await.status, StatusCode::OK);
    t.db.close().await;
    let r = post(&app, "/api/team/members", "", Some(&owner)).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.json()["code"], "internal_error");
    assert!(!r.body.contains("pool"), "no database detail in the answer: {}", r.body);
});

db_test!(malformed_ids_are_not_found_like_unknown_ones, |t| {
    let app = app(t).await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    for (path, field) in [
        ("/api/team/member", "member_id"),
        ("/api/team/member/role", "member_id"),
        ("/api/grants/set", "member_id"),
        ("/api/orgs/switch", "org_id"),
        ("/api/roles/delete", "role_id"),
        ("/api/invitations/revoke", "invitation_id"),
    ] {
        for id in ["%00", "not-an-id", "00000000-0000-0000-0000-000000000000", &app::db::new_id()] {
            let form = if field == "role_id" { format!("{field}={id}") } else { format!("{field}={id}&role_id={id}") };
            let r = post(&app, path, &form, Some(&owner)).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path} {id}: {}", r.body);
        }
    }
    // Form flags are exactly true or false.
    let r = post(
        &app,
        "/api/team/ownership/answer",
        &format!("transfer_id={}&accept=yes", app::db::new_id()),
        Some(&owner),
    )
    .await;
    assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some("accept")), "{}", r.body);
});

db_test!(a_page_view_is_one_event_and_a_refused_page_starts_no_loads, |t| {
    let app = app(t).await;
    let events = |condition: &'static str| web::events(t, condition);
    // Reading the log is audited once per view, however the page is rendered.
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let r = get(&app, "/settings/audit", Some(&owner)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(events("action = 'audit.view'").await, 1);
    // A member's view of the roster: one denial, naming the page; no call was made for it.
    let member = sign_in(&app, t, "member@acme.test").await;
    let before = events("action = 'access.denied'").await;
    let r = get(&app, "/settings/team", Some(&member)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(events("action = 'access.denied'").await, before + 1);
    assert_eq!(
        events("action = 'access.denied' AND target_type = 'page' AND target_id = '/settings/team' AND reason = 'permission_required'")
            .await,
        1
    );
    assert_eq!(events("action = 'access.denied' AND target_type = 'endpoint'").await, 0, "no data load started");
    // A denied call names the server function.
    post(&app, "/api/team/members", "", Some(&member)).await;
    assert_eq!(events("action = 'access.denied' AND target_id = '/api/team/members'").await, 1);
    // Pages the member may use write nothing.
    let before = events("action = 'access.denied'").await;
    assert_eq!(get(&app, "/", Some(&member)).await.status, StatusCode::OK);
    assert_eq!(get(&app, "/settings/security", Some(&member)).await.status, StatusCode::OK);
    assert_eq!(events("action = 'access.denied'").await, before);
});

db_test!(anonymous_refusals_are_counted_not_written_and_slowed_down, |t| {
    let app = app(t).await;
    let replies = web::burst(&app, 200, "/api/team/members", "", None, Some("203.0.113.77")).await;
    let refused = replies.iter().filter(|r| r.status == StatusCode::UNAUTHORIZED).count();
    let slowed = replies.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(refused + slowed, 200);
    // 60 a minute are answered as refusals (the burst may straddle a minute: at most twice).
    let per_minute = app::audit::retention::ANONYMOUS_DENIALS_PER_MINUTE as usize;
    assert!((per_minute..=2 * per_minute).contains(&refused), "{refused} refused, {slowed} slowed");
    // Not one event per request: the log gets one per address and minute, later.
    assert_eq!(web::events(t, "actor_type = 'anonymous' AND action = 'access.denied'").await, 0);
    app::audit::retention::flush_anonymous_denials(&t.db, app::db::now() + 120).await.unwrap();
    let written = web::events(t, "actor_type = 'anonymous' AND action = 'access.denied'").await;
    assert!((1..=2).contains(&written), "{written}");
    let total: i64 = sqlx::query_scalar::<_, String>(
        "SELECT metadata FROM audit_events WHERE actor_type = 'anonymous' AND action = 'access.denied'",
    )
    .fetch_all(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap()
    .iter()
    .map(|m| serde_json::from_str::<serde_json::Value>(m).unwrap()["attempts"].as_i64().unwrap())
    .sum();
    assert_eq!(total, 200);
});

db_test!(owners_keep_the_log_as_long_as_they_choose_and_take_signed_checkpoints, |t| {
    let app = app(t).await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let r = post(&app, "/api/audit/retention/set", "days=30", Some(&owner)).await;
    assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some("days")));
    assert_eq!(post(&app, "/api/audit/retention/set", "days=730", Some(&owner)).await.status, StatusCode::OK);
    assert_eq!(post(&app, "/api/audit/retention", "", Some(&owner)).await.body, "730");
    assert_eq!(web::events(t, "action = 'audit.retention_change' AND metadata LIKE '%\"after\":730%'").await, 1);
    let r = post(&app, "/api/audit/checkpoint", "", Some(&owner)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.header(header::CONTENT_DISPOSITION).starts_with("attachment;"));
    let checkpoint: app::audit::retention::SignedCheckpoint = serde_json::from_str(&r.body).unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let check = app::audit::retention::check_checkpoint(&mut conn, &t.config().secret_key, &checkpoint).await.unwrap();
    assert_eq!(check, app::audit::retention::CheckpointCheck::Extends);
    assert_eq!(web::events(t, "action = 'audit.checkpoint'").await, 1);
    // A member may do neither.
    let member = sign_in(&app, t, "member@acme.test").await;
    assert_eq!(post(&app, "/api/audit/checkpoint", "", Some(&member)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(post(&app, "/api/audit/retention/set", "days=90", Some(&member)).await.status, StatusCode::FORBIDDEN);
});

db_test!(bundles_are_served_precompressed_and_revalidated_pages_never_stored, |t| {
    use leptos::prelude::LeptosOptions;
    // A site as `cargo leptos build --release --precompress` leaves it: each bundle beside its
    // brotli and gzip copies (told apart here by their bytes).
    let site = std::env::temp_dir().join(format!("gatehouse-site-{}", app::db::new_id()));
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("gatehouse.wasm"), b"the wasm itself").unwrap();
    std::fs::write(pkg.join("gatehouse.wasm.br"), b"the wasm, brotli").unwrap();
    std::fs::write(pkg.join("gatehouse.wasm.gz"), b"the wasm, gzip").unwrap();
    std::fs::write(pkg.join("gatehouse.css"), b"body{}").unwrap();
    let options =
        LeptosOptions::builder().output_name("gatehouse").site_root(site.to_string_lossy().to_string()).build();
    let app = server::routes::router(app::state::AppState::new(options, t.db.clone(), t.config()));
    let fetch = |encodings: &'static str, since: Option<String>| {
        let app = app.clone();
        async move {
            let mut request = Request::get("/pkg/gatehouse.wasm").header(header::ACCEPT_ENCODING, encodings);
            if let Some(since) = since {
                request = request.header(header::IF_MODIFIED_SINCE, since);
            }
            reply(app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap()).await
        }
    };

    let r = fetch("gzip, deflate, br, zstd", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "the wasm, brotli");
    assert_eq!(r.header(header::CONTENT_ENCODING), "br");
    assert_eq!(r.header(header::CONTENT_TYPE), "application/wasm");
    assert!(r.header(header::VARY).to_ascii_lowercase().contains("accept-encoding"), "{:?}", r.headers);
    // Kept, but asked about again before each use: a new build is picked up at once.
    assert_eq!(r.header(header::CACHE_CONTROL), "no-cache");
    let modified = r.header(header::LAST_MODIFIED).to_string();
    assert!(!modified.is_empty(), "a validator to revalidate with");

    let r = fetch("gzip", None).await;
    assert_eq!((r.body.as_str(), r.header(header::CONTENT_ENCODING)), ("the wasm, gzip", "gzip"));
    let r = fetch("identity", None).await;
    assert_eq!((r.body.as_str(), r.header(header::CONTENT_ENCODING)), ("the wasm itself", ""));

    // A returning browser downloads nothing: its copy is still good.
    let r = fetch("gzip, deflate, br, zstd", Some(modified)).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());

    // A file with no compressed copy is served as it is; pages are never stored.
    let css = reply(
        app.clone()
            .oneshot(
                Request::get("/pkg/gatehouse.css").header(header::ACCEPT_ENCODING, "br").body(Body::empty()).unwrap(),
            )
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((css.status, css.body.as_str(), css.header(header::CONTENT_ENCODING)), (StatusCode::OK, "body{}", ""));
    assert_eq!(get(&app, "/login", None).await.header(header::CACHE_CONTROL), "no-store");

    // A build without `--precompress` after one with it: the old copies go at start-up.
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::write(pkg.join("gatehouse.js.br"), b"the previous build's js").unwrap();
    std::fs::File::options().write(true).open(pkg.join("gatehouse.js.br")).unwrap().set_modified(an_hour_ago).unwrap();
    std::fs::write(pkg.join("gatehouse.js"), b"this build's js").unwrap();
    std::fs::write(pkg.join("gone.wasm.gz"), b"a copy of nothing").unwrap();
    assert_eq!(server::routes::drop_stale_copies(&pkg).unwrap(), 2);
    assert!(!pkg.join("gatehouse.js.br").exists() && !pkg.join("gone.wasm.gz").exists());
    assert!(pkg.join("gatehouse.wasm.br").exists() && pkg.join("gatehouse.wasm.gz").exists(), "fresh copies stay");
    std::fs::remove_dir_all(&site).unwrap();
});

db_test!(an_ownership_offer_shows_only_to_its_addressee_until_answered, |t| {
    let app = app(t).await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let member = sign_in(&app, t, "member@acme.test").await;
    let viewer = sign_in(&app, t, "viewer@acme.test").await;
    let member_id: String = sqlx::query_scalar(
        "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.org_id \
         WHERE u.email = 'member@acme.test' AND o.slug = 'acme-retail'",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let pending = |cookie: &str| {
        let (app, cookie) = (app.clone(), cookie.to_string());
        async move { post(&app, "/api/team/ownership/pending", "", Some(&cookie)).await.json() }
    };
    assert!(pending(&member).await.is_null());
    assert!(!get(&app, "/", Some(&member)).await.body.contains("offers you ownership"));

    let r = post(&app, "/api/team/ownership/offer", &format!("member_id={member_id}"), Some(&owner)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The addressee's very next request has it, on the home page too; nobody else's does.
    let offer = pending(&member).await;
    assert!(offer["id"].is_string() && offer["from_name"].is_string(), "{offer}");
    let home = get(&app, "/", Some(&member)).await;
    assert!(home.body.contains("offers you ownership"), "{}", home.body);
    assert!(pending(&viewer).await.is_null());
    assert!(pending(&owner).await.is_null());
    assert!(!get(&app, "/", Some(&viewer)).await.body.contains("offers you ownership"));

    // Declined: gone from the next request.
    let answer = format!("transfer_id={}&accept=false", offer["id"].as_str().unwrap());
    let r = post(&app, "/api/team/ownership/answer", &answer, Some(&member)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(pending(&member).await.is_null());
    assert!(!get(&app, "/", Some(&member)).await.body.contains("offers you ownership"));
});
