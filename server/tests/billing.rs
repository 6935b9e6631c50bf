//! Subscriptions over HTTP on SQLite and PostgreSQL: one tenant gate for every request — a
//! past-due organization reads (200) and is refused writes (402), a suspended one is refused
//! everything but billing (403); operators suspend, reactivate and confirm bank transfers
//! with step-up, audited on the platform's chain and the tenant's; a transfer is confirmed
//! once however often and however concurrently it is confirmed.

#[path = "../../app/tests/support/mod.rs"]
mod support;

mod web;

use http::{StatusCode, header};
use support::TestDb;
use web::{app, burst, events, get, post, sign_in, step_up};

async fn org_id(t: &TestDb, slug: &str) -> String {
    sqlx::query_scalar("SELECT id FROM organizations WHERE slug = $1")
        .bind(slug)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap()
}

async fn subscription(t: &TestDb, org: &str) -> (String, String, Option<i64>) {
    sqlx::query_as("SELECT plan, status, current_period_end FROM subscriptions WHERE org_id = $1")
        .bind(org)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap()
}

fn code(r: &web::Reply) -> (StatusCode, String) {
    (r.status, r.json()["code"].as_str().unwrap_or_default().to_string())
}

const SETTINGS: &str = "name=Acme+Retail&timezone=Asia%2FKolkata&currency=INR";

db_test!(a_past_due_tenant_keeps_its_reads_is_refused_writes_and_can_pay, |t| {
    let app = app(t).await;
    let acme = org_id(t, "acme-retail").await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    assert_eq!(post(&app, "/api/orgs/settings/update", SETTINGS, Some(&owner)).await.status, StatusCode::OK);
    // The paid period ended a second ago; the lapse task has not run yet: past due already.
    let now = app::db::now();
    sqlx::query("UPDATE subscriptions SET current_period_end = $1 WHERE org_id = $2")
        .bind(now - 1)
        .bind(&acme)
        .execute(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert_eq!(post(&app, "/api/team/members", "", Some(&owner)).await.status, StatusCode::OK);
    assert_eq!(post(&app, "/api/finance/invoices", "", Some(&owner)).await.status, StatusCode::OK);
    let r = post(&app, "/api/orgs/settings/update", SETTINGS, Some(&owner)).await;
    assert_eq!(code(&r), (StatusCode::PAYMENT_REQUIRED, "payment_required".into()), "{}", r.body);
    let r = post(&app, "/api/finance/customers/create", "name=X&email=x%40example.test&phone=&address=", Some(&owner))
        .await;
    assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(events(t, "action = 'access.denied' AND reason = 'payment_required'").await, 2, "one per refusal");
    // Pages show it and say what to do; billing stays open, and a transfer can be submitted.
    let home = get(&app, "/", Some(&owner)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("past-due-banner") && home.body.contains("Pay now"), "the banner is shown");
    let billing = post(&app, "/api/billing", "", Some(&owner)).await;
    assert_eq!(billing.status, StatusCode::OK, "{}", billing.body);
    assert_eq!(billing.json()["status"], "past_due");
    assert_eq!(billing.json()["plan"], "business");
    let transfer = "reference=acme-2026-0001&amount=99.00&currency=USD&payer=Acme+Retail&proof_url=";
    let answers = burst(&app, 4, "/api/billing/transfers/submit", transfer, Some(&owner), None).await;
    let ok = answers.iter().filter(|r| r.status.is_success() || r.status.is_redirection()).count();
    let taken = answers.iter().filter(|r| code(r) == (StatusCode::CONFLICT, "transfer_reference_taken".into())).count();
    assert_eq!((ok, taken), (1, 3), "one reference, recorded once: the others answer as a second try would");
    assert_eq!(events(t, "action = 'billing.transfer.submit'").await, 1);
    let billing = post(&app, "/api/billing", "", Some(&owner)).await.json();
    assert_eq!(billing["payment_method"], "bank_transfer");
    assert_eq!(billing["transfers"][0]["reference"], "ACME-2026-0001");
    assert_eq!(billing["transfers"][0]["confirmed"], false);
    // A member without billing.read is not shown the subscription; the analyst reads nothing
    // new either way.
    let member = sign_in(&app, t, "member@acme.test").await;
    assert_eq!(post(&app, "/api/billing", "", Some(&member)).await.status, StatusCode::FORBIDDEN);
    assert!(get(&app, "/", Some(&member)).await.body.contains("Ask an owner to pay"));
    // The lapse task writes it down once, with one system event, however often it runs.
    assert_eq!(app::billing::server::lapse(&t.db, app::db::now()).await.unwrap(), 1);
    assert_eq!(app::billing::server::lapse(&t.db, app::db::now()).await.unwrap(), 0);
    assert_eq!(subscription(t, &acme).await.1, "past_due");
    assert_eq!(events(t, "action = 'subscription.past_due' AND actor_type = 'system'").await, 1);
});

db_test!(operators_suspend_and_reactivate_with_step_up_and_both_chains_record_it, |t| {
    let app = app(t).await;
    let globex = org_id(t, "globex").await;
    let ops = sign_in(&app, t, "ops@gatehouse.test").await;
    // Staff belong to no organization: their home and the console open.
    assert_eq!(get(&app, "/", Some(&ops)).await.status, StatusCode::OK);
    assert_eq!(get(&app, "/admin", Some(&ops)).await.status, StatusCode::OK);
    let list = post(&app, "/api/admin/tenants", "query=glob", Some(&ops)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.json().as_array().unwrap().len(), 1);
    assert_eq!(list.json()[0]["name"], "Globex");
    assert_eq!(list.json()[0]["plan"], "starter");
    // A pattern character is only a character.
    assert_eq!(post(&app, "/api/admin/tenants", "query=%25", Some(&ops)).await.json().as_array().unwrap().len(), 0);
    // Reading a tenant's detail and the outbox is audited, once each, on the platform's chain.
    let detail = post(&app, "/api/admin/tenants/get", &format!("id={globex}"), Some(&ops)).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    let viewed = format!("action = 'platform.tenant.view' AND chain = 'platform' AND target_id = '{globex}'");
    assert_eq!(events(t, &viewed).await, 1);
    let outbox = post(&app, "/api/admin/outbox", "", Some(&ops)).await;
    assert_eq!(outbox.status, StatusCode::OK, "{}", outbox.body);
    assert_eq!(events(t, "action = 'platform.outbox.view' AND chain = 'platform'").await, 1);
    let suspend = format!("org_id={globex}&reason=Chargeback+on+the+last+payment");
    let r = post(&app, "/api/admin/tenants/suspend", &suspend, Some(&ops)).await;
    assert_eq!(code(&r), (StatusCode::FORBIDDEN, "step_up_required".into()), "suspension needs step-up");
    // Tenants' owners hold no platform permission.
    let owner = sign_in(&app, t, "owner@globex.test").await;
    let r = post(&app, "/api/admin/tenants/suspend", &suspend, Some(&owner)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(subscription(t, &globex).await.1, "active");

    let ops = step_up(&app, &ops).await;
    let r = post(&app, "/api/admin/tenants/suspend", &suspend, Some(&ops)).await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    assert_eq!(subscription(t, &globex).await.1, "suspended");
    let again = post(&app, "/api/admin/tenants/suspend", &suspend, Some(&ops)).await;
    assert_eq!(code(&again), (StatusCode::CONFLICT, "already_suspended".into()));
    // Once on the platform's chain, once on the tenant's, naming the operator and the reason.
    assert_eq!(events(t, "action = 'platform.tenant.suspend' AND chain = 'platform'").await, 1);
    let on_tenant = format!(
        "action = 'platform.tenant.suspend' AND org_id = '{globex}' AND actor_label = 'ops@gatehouse.test' \
         AND reason = 'Chargeback on the last payment'"
    );
    assert_eq!(events(t, &on_tenant).await, 1);

    // Globex's owner: every page sends them to billing, which says why; nothing else answers.
    let home = get(&app, "/", Some(&owner)).await;
    assert!(home.status.is_redirection(), "{}", home.status);
    assert_eq!(home.header(header::LOCATION), "/settings/billing");
    let billing = get(&app, "/settings/billing", Some(&owner)).await;
    assert_eq!(billing.status, StatusCode::OK);
    assert!(billing.body.contains("This workspace is suspended") && billing.body.contains("Chargeback"));
    assert!(billing.body.contains("by ops@gatehouse.test"), "the tenant sees who suspended them");
    let r = post(&app, "/api/team/members", "", Some(&owner)).await;
    assert_eq!(code(&r), (StatusCode::FORBIDDEN, "tenant_suspended".into()));
    assert_eq!(post(&app, "/api/billing", "", Some(&owner)).await.status, StatusCode::OK);
    // Globex's admin (the consultant) holds billing.read: sent to billing too. A member
    // without it (Acme's viewer, made a Globex viewer here) sees the suspended page.
    let consultant = sign_in(&app, t, "consultant@example.test").await;
    let r = post(&app, "/api/orgs/switch", &format!("org_id={globex}"), Some(&consultant)).await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    assert_eq!(get(&app, "/settings/team", Some(&consultant)).await.header(header::LOCATION), "/settings/billing");
    sqlx::query(
        "INSERT INTO memberships (id, org_id, user_id, role_id, created_at, updated_at) \
         SELECT '0b7a3c1e-5d2f-4e6a-8b9c-1d2e3f4a5b6c', r.org_id, u.id, r.id, 0, 0 FROM roles r, users u \
         WHERE r.org_id = $1 AND r.role_key = 'viewer' AND u.email = 'viewer@acme.test'",
    )
    .bind(&globex)
    .execute(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let viewer = sign_in(&app, t, "viewer@acme.test").await;
    let r = post(&app, "/api/orgs/switch", &format!("org_id={globex}"), Some(&viewer)).await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    let page = get(&app, "/", Some(&viewer)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("tenant_suspended") && page.body.contains("suspended by Gatehouse"));
    assert_eq!(get(&app, "/settings/billing", Some(&viewer)).await.status, StatusCode::FORBIDDEN);
    // Acme is untouched.
    let acme_owner = sign_in(&app, t, "owner@acme.test").await;
    assert_eq!(post(&app, "/api/team/members", "", Some(&acme_owner)).await.status, StatusCode::OK);

    let reactivate = format!("org_id={globex}&reason=Chargeback+withdrawn");
    let r = post(&app, "/api/admin/tenants/reactivate", &reactivate, Some(&ops)).await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    assert_eq!(subscription(t, &globex).await.1, "active", "the paid period still runs");
    assert_eq!(post(&app, "/api/team/members", "", Some(&owner)).await.status, StatusCode::OK);
    assert_eq!(events(t, "action = 'platform.tenant.reactivate'").await, 2);
    let again = post(&app, "/api/admin/tenants/reactivate", &reactivate, Some(&ops)).await;
    assert_eq!(code(&again), (StatusCode::CONFLICT, "not_suspended".into()));
    // Bad input changes nothing; an unknown tenant is not found.
    let r = post(&app, "/api/admin/tenants/suspend", &format!("org_id={globex}&reason=x"), Some(&ops)).await;
    assert_eq!(code(&r), (StatusCode::BAD_REQUEST, "invalid_input".into()));
    let unknown = "org_id=6f1c2a4e-8b7d-4c3a-9e2f-1a2b3c4d5e6f&reason=Testing+an+unknown+tenant";
    assert_eq!(post(&app, "/api/admin/tenants/suspend", unknown, Some(&ops)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(subscription(t, &globex).await.1, "active");
    // Staff belong to no organization: no tenant's finance or analytics answers them.
    let r = post(&app, "/api/finance/invoices", "", Some(&ops)).await;
    assert_eq!(code(&r), (StatusCode::FORBIDDEN, "organization_required".into()));
});

db_test!(a_bank_transfer_is_confirmed_once_however_often_and_however_concurrently, |t| {
    let app = app(t).await;
    let globex = org_id(t, "globex").await;
    let acme = org_id(t, "acme-retail").await;
    let ops = step_up(&app, &sign_in(&app, t, "ops@gatehouse.test").await).await;
    let (_, _, before) = subscription(t, &globex).await;
    let before = before.unwrap();
    // Globex's owner submitted GLOBEX-2026-1127 (the demo); six confirmations at once.
    let form = format!(
        "org_id={globex}&reference=GLOBEX-2026-1127&amount=29.00&payer=Globex&\
         proof_url=https%3A%2F%2Fbank.example%2Fp%2F1127&months=1&plan="
    );
    let answers = burst(&app, 6, "/api/admin/transfers/confirm", &form, Some(&ops), None).await;
    assert!(
        answers.iter().all(|r| r.status == StatusCode::OK),
        "{:?}",
        answers.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    let fresh = answers.iter().filter(|r| r.json()["fresh"] == true).count();
    assert_eq!(fresh, 1, "one confirmation");
    for r in answers.iter().filter(|r| r.json()["fresh"] == false) {
        assert_eq!(r.json()["confirmed_by"], "ops@gatehouse.test");
    }
    let (plan, status, after) = subscription(t, &globex).await;
    assert_eq!((plan.as_str(), status.as_str()), ("starter", "active"));
    assert_eq!(after, Some(before + 30 * 86_400), "the period extended once, from its end");
    // Once more, later: nothing changes, and the answer says when and by whom.
    let r = post(&app, "/api/admin/transfers/confirm", &form, Some(&ops)).await;
    assert_eq!(r.json()["fresh"], false);
    assert!(r.json()["confirmed_at"].as_str().unwrap().len() >= 16);
    assert_eq!(subscription(t, &globex).await.2, Some(before + 30 * 86_400));
    let confirmed = "action = 'platform.transfer.confirm'";
    assert_eq!(events(t, &format!("{confirmed} AND metadata LIKE '%\"already_confirmed\":false%'")).await, 2);
    assert_eq!(events(t, &format!("{confirmed} AND metadata LIKE '%\"already_confirmed\":true%'")).await, 12);
    // The tenant sees it confirmed, by whom.
    let owner = sign_in(&app, t, "owner@globex.test").await;
    let billing = post(&app, "/api/billing", "", Some(&owner)).await.json();
    assert_eq!(billing["transfers"][0]["confirmed"], true);
    assert_eq!(billing["transfers"][0]["confirmed_by"], "ops@gatehouse.test");
    // A transfer staff enter themselves, paying three months of Business.
    let wire =
        format!("org_id={globex}&reference=WIRE-77&amount=297&payer=Globex+GmbH&proof_url=&months=3&plan=business");
    let r = post(&app, "/api/admin/transfers/confirm", &wire, Some(&ops)).await;
    assert_eq!((r.status, r.json()["fresh"].clone()), (StatusCode::OK, serde_json::json!(true)), "{}", r.body);
    let (plan, _, end) = subscription(t, &globex).await;
    assert_eq!((plan.as_str(), end), ("business", Some(before + 4 * 30 * 86_400)));
    // Another tenant's reference is refused; bad input is refused by field; nothing changed.
    let r = post(
        &app,
        "/api/billing/transfers/submit",
        "reference=ACME-9&amount=&currency=USD&payer=&proof_url=",
        Some(&sign_in(&app, t, "owner@acme.test").await),
    )
    .await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    let theirs = format!("org_id={globex}&reference=ACME-9&amount=&payer=&proof_url=&months=1&plan=");
    let r = post(&app, "/api/admin/transfers/confirm", &theirs, Some(&ops)).await;
    assert_eq!(code(&r), (StatusCode::CONFLICT, "transfer_reference_taken".into()));
    for (field, reference, months, plan) in
        [("months", "NEW-1", "0", ""), ("plan", "NEW-1", "1", "trial"), ("reference", "x", "1", "")]
    {
        let form =
            format!("org_id={globex}&reference={reference}&amount=&payer=&proof_url=&months={months}&plan={plan}");
        let r = post(&app, "/api/admin/transfers/confirm", &form, Some(&ops)).await;
        assert_eq!(
            (r.status, r.json()["field"].clone()),
            (StatusCode::BAD_REQUEST, serde_json::json!(field)),
            "{}",
            r.body
        );
    }
    assert_eq!(subscription(t, &globex).await.2, Some(before + 4 * 30 * 86_400));
    assert_eq!(subscription(t, &acme).await.1, "active");
});

db_test!(a_plan_holds_its_seats_counting_open_invitations_also_under_concurrent_batches, |t| {
    let app = app(t).await;
    let acme = org_id(t, "acme-retail").await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let viewer_role: String = sqlx::query_scalar("SELECT id FROM roles WHERE org_id = $1 AND role_key = 'viewer'")
        .bind(&acme)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let plan = |plan: &'static str| {
        let acme = acme.clone();
        async move {
            sqlx::query("UPDATE subscriptions SET plan = $1 WHERE org_id = $2")
                .bind(plan)
                .bind(&acme)
                .execute(&mut *t.db.conn().await.unwrap())
                .await
                .unwrap();
        }
    };
    let invite = |emails: &str| format!("emails={emails}&role_id={viewer_role}&message=&expires_in_days=7");
    let taken =
        app::billing::server::seats_taken(&mut t.db.conn().await.unwrap(), &acme, app::db::now()).await.unwrap();
    // Starter holds 10 seats; Acme's members and its open invitation take `taken` of them.
    plan("starter").await;
    let free = 10 - taken;
    assert!(free >= 1, "{taken} seats taken");
    let emails: Vec<String> = (0..free + 2).map(|n| format!("seat-{n}%40example.test")).collect();
    let r = post(&app, "/api/invitations/create", &invite(&emails.join("%0A")), Some(&owner)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["invited"].as_array().unwrap().len() as i64, free);
    let problems = r.json()["problems"].as_array().unwrap().clone();
    assert_eq!(problems.len(), 2);
    assert!(problems.iter().all(|p| p["reason"].as_str().unwrap().starts_with("no seat left")));
    // Every seat taken: two batches at once, one address each, invite nobody.
    let answers = futures::future::join_all([
        post(&app, "/api/invitations/create", &invite("late-a%40example.test"), Some(&owner)),
        post(&app, "/api/invitations/create", &invite("late-b%40example.test"), Some(&owner)),
    ])
    .await;
    assert!(answers.iter().all(|r| r.json()["invited"].as_array().unwrap().is_empty()));
    // An expired invitation holds no seat: sending it again would take one there is not.
    let expired: String = sqlx::query_scalar("SELECT id FROM invitations WHERE email = 'late.joiner@example.test'")
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let r = post(&app, "/api/invitations/resend", &format!("invitation_id={expired}"), Some(&owner)).await;
    assert_eq!(code(&r), (StatusCode::CONFLICT, "seats_full".into()), "{}", r.body);
    // A seat freed (an invitation revoked), two at once again: exactly one is invited.
    let revoked: String = sqlx::query_scalar("SELECT id FROM invitations WHERE email = 'seat-0@example.test'")
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let r = post(&app, "/api/invitations/revoke", &format!("invitation_id={revoked}"), Some(&owner)).await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    let answers = futures::future::join_all([
        post(&app, "/api/invitations/create", &invite("race-a%40example.test"), Some(&owner)),
        post(&app, "/api/invitations/create", &invite("race-b%40example.test"), Some(&owner)),
    ])
    .await;
    let invited: usize = answers.iter().map(|r| r.json()["invited"].as_array().unwrap().len()).sum();
    assert_eq!(invited, 1, "one seat, one invitation");
    let winner = answers.iter().find_map(|r| r.json()["invited"][0].as_str().map(str::to_string)).unwrap();
    // The plan made smaller since: an invitation cannot be accepted into a full organization.
    let token = support::mailed_token(t, &winner, "/invite/").await;
    plan("trial").await;
    let r = post(
        &app,
        "/api/invitations/accept_new",
        &format!("token={token}&name=Late+Joiner&password=a+long+seat+passphrase"),
        None,
    )
    .await;
    assert_eq!(code(&r), (StatusCode::CONFLICT, "seats_full".into()), "{}", r.body);
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users WHERE email = $1")
            .bind(&winner)
            .fetch_one(&mut *t.db.conn().await.unwrap())
            .await
            .unwrap(),
        0,
        "nothing was created"
    );
});
