//! The authorization matrix, end to end: every endpoint × every built-in role (and platform
//! staff) × MFA-verified or not × own or foreign tenant, called over the real router with a
//! real session, compared with what the endpoint table says.

#[path = "../../app/tests/support/mod.rs"]
mod support;

use app::access::{BuiltinRole, Denial, decide};
use app::endpoints::{Column, ENDPOINTS, Endpoint, Rule};
use app::request::RequestMeta;
use app::state::AppState;
use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use support::TestDb;
use tower::ServiceExt;

const ORIGIN: &str = "http://127.0.0.1:3000";

struct World {
    app: Router,
    acme: String,
    globex: String,
    acme_member: String,
    globex_member: String,
    /// A role of Globex (its viewer role).
    globex_role: String,
    /// A session of another user (Globex's owner).
    foreign_session: String,
    /// A customer and an invoice of each organization (from the demo data).
    acme_customer: String,
    globex_customer: String,
    acme_invoice: String,
    globex_invoice: String,
    /// A proposed edit, a payment and a refund of Globex.
    globex_edit: String,
    globex_payment: String,
    globex_refund: String,
}

async fn world(t: &TestDb) -> World {
    let hasher = app::auth::PasswordHasher::new(4);
    server::demo::seed_without_orders(&t.db, &hasher, &t.config().secret_key, app::db::now()).await.unwrap();
    // The matrix's columns are MFA-enrolled users.
    sqlx::query("UPDATE users SET mfa_enrolled_at = 1").execute(&mut *t.db.conn().await.unwrap()).await.unwrap();
    // and hold exactly their role: no grants on top (the demo analyst's revenue grant).
    sqlx::query("DELETE FROM grants").execute(&mut *t.db.conn().await.unwrap()).await.unwrap();
    let id = |sql: &'static str| async move {
        sqlx::query_scalar::<_, String>(sql).fetch_one(&mut *t.db.conn().await.unwrap()).await.unwrap()
    };
    let options = LeptosOptions::builder().output_name("gatehouse").build();
    let globex_owner = id("SELECT id FROM users WHERE email = 'owner@globex.test'").await;
    let mut conn = t.db.conn().await.unwrap();
    let foreign_session = app::auth::session::create(
        &mut conn,
        &t.config(),
        &globex_owner,
        None,
        true,
        &RequestMeta::default(),
        app::db::now(),
    )
    .await
    .unwrap()
    .id;
    drop(conn);
    World {
        foreign_session,
        app: server::routes::router(AppState::new(options, t.db.clone(), t.config())),
        acme: id("SELECT id FROM organizations WHERE slug = 'acme-retail'").await,
        globex: id("SELECT id FROM organizations WHERE slug = 'globex'").await,
        acme_member: id("SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id \
                         WHERE u.email = 'viewer@acme.test'")
        .await,
        globex_member: id("SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id \
                           WHERE u.email = 'owner@globex.test'")
        .await,
        globex_role: id("SELECT r.id FROM roles r JOIN organizations o ON o.id = r.org_id \
                         WHERE o.name = 'Globex' AND r.role_key = 'viewer'")
        .await,
        acme_customer: id("SELECT c.id FROM customers c JOIN organizations o ON o.id = c.org_id \
                           WHERE o.slug = 'acme-retail' ORDER BY c.id LIMIT 1")
        .await,
        globex_customer: id("SELECT c.id FROM customers c JOIN organizations o ON o.id = c.org_id \
                             WHERE o.slug = 'globex' ORDER BY c.id LIMIT 1")
        .await,
        acme_invoice: id("SELECT i.id FROM invoices i JOIN organizations o ON o.id = i.org_id \
                          WHERE o.slug = 'acme-retail' ORDER BY i.id LIMIT 1")
        .await,
        globex_invoice: id("SELECT i.id FROM invoices i JOIN organizations o ON o.id = i.org_id \
                            WHERE o.slug = 'globex' ORDER BY i.id LIMIT 1")
        .await,
        globex_edit: id("SELECT e.id FROM invoice_edits e JOIN organizations o ON o.id = e.org_id \
                         WHERE o.slug = 'globex' ORDER BY e.id LIMIT 1")
        .await,
        globex_payment: id("SELECT p.id FROM payments p JOIN organizations o ON o.id = p.org_id \
                            WHERE o.slug = 'globex' ORDER BY p.id LIMIT 1")
        .await,
        globex_refund: id("SELECT f.id FROM refunds f JOIN organizations o ON o.id = f.org_id \
                           WHERE o.slug = 'globex' ORDER BY f.id LIMIT 1")
        .await,
    }
}

fn email_of(column: Column) -> &'static str {
    match column {
        Column::Role(role) => match role.key() {
            "owner" => "owner@acme.test",
            "admin" => "admin@acme.test",
            "finance_admin" => "finadmin@acme.test",
            "finance" => "finance@acme.test",
            "analyst" => "analyst@acme.test",
            "member" => "member@acme.test",
            _ => "viewer@acme.test",
        },
        Column::PlatformStaff => "ops@gatehouse.test",
    }
}

/// A fresh session for the column's user, MFA-verified or not.
async fn session(t: &TestDb, w: &World, column: Column, mfa_verified: bool) -> String {
    let user: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email_of(column))
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let org = matches!(column, Column::Role(_)).then_some(w.acme.as_str());
    let mut conn = t.db.conn().await.unwrap();
    let meta = RequestMeta { ip: Some("10.7.7.7".into()), ..Default::default() };
    let s = app::auth::session::create(&mut conn, &t.config(), &user, org, mfa_verified, &meta, app::db::now())
        .await
        .unwrap();
    format!("gh_session={}", s.token)
}

/// Endpoints whose sample request cannot succeed on a bare session (a wrong code or
/// password on purpose, so demo state stays put): for them "allowed" means the guard let the
/// request through to its own checks.
const GUARD_ONLY: &[&str] = &[
    // Takes its file as multipart/form-data (the matrix posts forms): tested in analytics.rs.
    "/api/analytics/import",
    "/api/auth/mfa",
    "/api/security/totp/start",
    "/api/security/totp/confirm",
    "/api/security/totp/disable",
    "/api/security/pin",
    "/api/security/step_up",
    "/api/security/step_up/email",
    "/api/security/password",
    // The membership named does not exist here (own) or is another tenant's (foreign): both
    // 404 once the guard lets the request through; the rules behind them have their own tests.
    "/api/team/member/role",
    "/api/team/member/remove",
    "/api/team/member/sign_out",
    // Unknown invitation ids and tokens: 404 (or 400) after the guard; the invitation tests
    // cover the real flows.
    "/api/invitations/create",
    "/api/invitations/resend",
    "/api/invitations/revoke",
    "/api/invitations/show",
    "/api/invitations/accept",
    "/api/invitations/accept_new",
    "/api/auth/sign_up/confirm",
    "/api/roles/permission",
    "/api/roles/delete",
    "/api/team/ownership/offer",
    "/api/team/ownership/answer",
    // Unknown invoice ids: 404 after the guard; the finance tests cover the state rules.
    "/api/finance/invoices/update",
    "/api/finance/invoices/delete",
    "/api/finance/invoices/issue",
    "/api/finance/invoices/void",
    "/api/finance/invoices/edits/propose",
    "/api/finance/invoices/edits/approve",
    "/api/finance/invoices/edits/reject",
    "/api/finance/payments/record",
    "/api/finance/payments/confirm",
    "/api/finance/refunds/request",
    "/api/finance/refunds/approve",
    "/api/finance/refunds/reject",
    "/api/finance/refunds/execute",
    // An unknown key: 404 once the guard lets the request through.
    "/api/api_keys/revoke",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Own,
    Foreign,
}

/// A valid request body for the endpoint, about an object of our tenant or of another one.
/// `None`: the endpoint names no object, so it has no foreign variant.
fn body(endpoint: &Endpoint, w: &World, scope: Scope, n: usize) -> Option<String> {
    let own = scope == Scope::Own;
    Some(match endpoint.path {
        "/api/session"
        | "/api/auth/sign_out"
        | "/api/orgs/settings"
        | "/api/team/members"
        | "/api/audit/export"
        | "/api/audit/checkpoint"
        | "/api/audit/retention"
            if own =>
        {
            String::new()
        }
        "/api/auth/sign_up" if own => format!(
            "name=Matrix&email=matrix-{n}@example.test&password={}&organization=Matrix+{n}",
            "a+long+matrix+passphrase"
        ),
        "/api/auth/sign_up/confirm" if own => "token=no-such-token&password=a+long+matrix+passphrase".into(),
        "/api/auth/sign_in" if own => format!("email=viewer@acme.test&password={}", server::demo::DEMO_PASSWORD),
        "/api/orgs/create" if own => format!("name=Matrix+Org+{n}"),
        "/api/orgs/settings/update" | "/api/orgs/onboarding/complete" if own => {
            "name=Acme+Retail&timezone=Asia%2FKolkata&currency=INR".into()
        }
        "/api/audit/events" if own => "filter[actor]=".into(),
        "/api/audit/retention/set" if own => "days=400".into(),
        "/api/analytics/export" if own => "what=sales&format=csv".into(),
        "/api/security/overview"
        | "/api/security/sessions/revoke_others"
        | "/api/security/step_up/email"
        | "/api/analytics/dashboard"
        | "/api/analytics/summary"
        | "/api/analytics/revenue_daily"
        | "/api/analytics/sales_daily"
        | "/api/analytics/products_sold_daily"
        | "/api/analytics/import"
        | "/api/analytics/imports"
            if own =>
        {
            String::new()
        }
        // Valid requests whose outcome needs more than the guard (a code, the password):
        // the matrix checks that the guard let them through.
        "/api/auth/mfa" if own => "code=000000".into(),
        "/api/security/totp/start" if own => "password=not-it".into(),
        "/api/security/totp/confirm" if own => "code=000000".into(),
        "/api/security/totp/disable" if own => "password=not-it&code=000000".into(),
        "/api/security/pin" if own => "password=not-it&pin=482913".into(),
        "/api/security/step_up" if own => "method=pin&code=482913".into(),
        "/api/security/password" if own => "current_password=not-it&new_password=a+long+fresh+passphrase".into(),
        "/api/security/sessions/revoke" => {
            format!("session_id={}", if own { "no-such-session" } else { &w.foreign_session })
        }
        "/api/orgs/switch" => format!("org_id={}", if own { &w.acme } else { &w.globex }),
        "/api/team/member" => format!("member_id={}", if own { &w.acme_member } else { &w.globex_member }),
        "/api/team/roles" if own => String::new(),
        "/api/grants/list" if own => String::new(),
        "/api/invitations/list" | "/api/admin/outbox" | "/api/roles/list" | "/api/team/ownership/pending" if own => {
            String::new()
        }
        "/api/team/ownership/offer" => {
            format!("member_id={}", if own { "no-such-member" } else { &w.globex_member })
        }
        "/api/team/ownership/answer" if own => "transfer_id=no-such-offer&accept=true".into(),
        "/api/roles/create" if own => format!("name=Matrix+role+{n}&description=&template_id="),
        "/api/roles/permission" => {
            format!("role_id={}&permission=orders.read&enabled=true", if own { "no-such-role" } else { &w.globex_role })
        }
        "/api/roles/delete" => format!("role_id={}", if own { "no-such-role" } else { &w.globex_role }),
        "/api/invitations/create" if own => {
            format!("emails=matrix-{n}%40example.test&role_id=no-such-role&message=&expires_in_days=7")
        }
        "/api/invitations/resend" | "/api/invitations/revoke" if own => "invitation_id=no-such-invitation".into(),
        "/api/invitations/show" | "/api/invitations/accept" if own => "token=no-such-token".into(),
        "/api/invitations/accept_new" if own => {
            "token=no-such-token&name=Matrix&password=a+long+matrix+passphrase".into()
        }
        // Nothing ticked for a member without grants: allowed, and changes nothing.
        "/api/grants/set" => format!("member_id={}", if own { &w.acme_member } else { &w.globex_member }),
        "/api/team/member/role" => {
            format!("member_id={}&role_id=no-such-role", if own { "no-such-member" } else { &w.globex_member })
        }
        "/api/team/member/remove" | "/api/team/member/sign_out" => {
            format!("member_id={}", if own { "no-such-member" } else { &w.globex_member })
        }
        "/api/finance/customers" | "/api/finance/invoices" if own => String::new(),
        "/api/finance/customers/create" if own => {
            format!("name=Matrix+{n}&email=matrix-{n}%40example.test&phone=&address=")
        }
        "/api/finance/customers/reveal" => {
            format!("customer_id={}", if own { &w.acme_customer } else { &w.globex_customer })
        }
        "/api/finance/invoice" => format!("invoice_id={}", if own { &w.acme_invoice } else { &w.globex_invoice }),
        "/api/finance/invoices/create" => format!(
            "customer_id={}&due_on=2030-01-31&description%5B0%5D=Matrix&quantity%5B0%5D=1&unit_price%5B0%5D=10",
            if own { &w.acme_customer } else { &w.globex_customer }
        ),
        "/api/finance/invoices/update" => format!(
            "invoice_id={}&customer_id={}&due_on=2030-01-31&description%5B0%5D=Matrix&quantity%5B0%5D=1&unit_price%5B0%5D=10",
            if own { "no-such-invoice" } else { &w.globex_invoice },
            w.acme_customer
        ),
        "/api/finance/invoices/delete" | "/api/finance/invoices/issue" => {
            format!("invoice_id={}", if own { "no-such-invoice" } else { &w.globex_invoice })
        }
        "/api/finance/invoices/void" => {
            format!("invoice_id={}&reason=matrix", if own { "no-such-invoice" } else { &w.globex_invoice })
        }
        "/api/finance/invoices/edits/propose" => format!(
            "invoice_id={}&version=1&reason=matrix&customer_id={}&due_on=2030-01-31&description%5B0%5D=Matrix&quantity%5B0%5D=1&unit_price%5B0%5D=10",
            if own { "no-such-invoice" } else { &w.globex_invoice },
            w.acme_customer
        ),
        "/api/finance/invoices/edits/approve" => {
            format!("edit_id={}", if own { "no-such-edit" } else { &w.globex_edit })
        }
        "/api/finance/invoices/edits/reject" => {
            format!("edit_id={}&reason=matrix", if own { "no-such-edit" } else { &w.globex_edit })
        }
        "/api/finance/payments" | "/api/finance/refunds" | "/api/finance/summary" if own => String::new(),
        "/api/finance/invoices/export" if own => "status=paid".into(),
        "/api/finance/payments/record" => format!(
            "invoice_id={}&method=card&amount=10&reference=matrix-{n}",
            if own { "no-such-invoice" } else { &w.globex_invoice }
        ),
        "/api/finance/payments/confirm" => {
            format!("payment_id={}", if own { "no-such-payment" } else { &w.globex_payment })
        }
        "/api/finance/refunds/request" => {
            format!("invoice_id={}&amount=1&reason=matrix", if own { "no-such-invoice" } else { &w.globex_invoice })
        }
        "/api/finance/refunds/approve" => {
            format!("refund_id={}", if own { "no-such-refund" } else { &w.globex_refund })
        }
        "/api/finance/refunds/reject" => {
            format!("refund_id={}&reason=matrix", if own { "no-such-refund" } else { &w.globex_refund })
        }
        "/api/finance/refunds/execute" => {
            format!("refund_id={}&reference=matrix", if own { "no-such-refund" } else { &w.globex_refund })
        }
        // The demo's own threshold, set again: allowed, and nothing changes.
        "/api/finance/settings/refunds" if own => "two_approvals_above=50000".into(),
        "/api/billing" if own => String::new(),
        "/api/api_keys" if own => String::new(),
        "/api/api_keys/create" if own => format!("name=Matrix+{n}&scopes%5B0%5D=orders.read&days=1"),
        "/api/api_keys/revoke" if own => "key_id=6f1c2a4e-8b7d-4c3a-9e2f-1a2b3c4d5e6f".into(),
        "/api/billing/transfers/submit" if own => {
            format!("reference=MATRIX-{n}&amount=&currency=USD&payer=&proof_url=")
        }
        "/api/admin/tenants" if own => "query=".into(),
        "/api/admin/tenants/get" if own => format!("id={}", w.acme),
        // Step-up is never unlocked for staff here: these are refused before they change anything.
        "/api/admin/transfers/confirm" if own => {
            format!("org_id={}&reference=MATRIX-C-{n}&amount=&payer=&proof_url=&months=1&plan=", w.acme)
        }
        "/api/admin/tenants/suspend" | "/api/admin/tenants/reactivate" if own => {
            format!("org_id={}&reason=matrix", w.acme)
        }
        _ if own => panic!("no sample request for {}: add one to the matrix test", endpoint.path),
        _ => return None,
    })
}

db_test!(every_endpoint_answers_as_the_matrix_says, |t| {
    let w = world(t).await;
    let mut cells = 0;
    let mut n = 0;
    // Creating an organization makes its creator an owner there, which changes what a later
    // session without an active organization lands in: do it last.
    let mut endpoints: Vec<&Endpoint> = ENDPOINTS.iter().collect();
    endpoints.sort_by_key(|e| e.path == "/api/orgs/create");
    for endpoint in endpoints {
        for column in Column::all() {
            for mfa_verified in [true, false] {
                for scope in [Scope::Own, Scope::Foreign] {
                    n += 1;
                    let Some(form) = body(endpoint, &w, scope, n) else { continue };
                    let cookie = session(t, &w, column, mfa_verified).await;
                    let request = Request::post(endpoint.path)
                        .header(header::ORIGIN, ORIGIN)
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .header(header::COOKIE, &cookie)
                        .body(Body::from(form))
                        .unwrap();
                    let response = w.app.clone().oneshot(request).await.unwrap();
                    let status = response.status();
                    let bytes = response.into_body().collect().await.unwrap().to_bytes();
                    let text: String = String::from_utf8_lossy(&bytes).chars().take(300).collect();
                    // An owner fresh from an MFA sign-in needs no step-up (DESIGN §5).
                    let step_up = column == Column::Role(BuiltinRole::Owner) && mfa_verified;
                    let expected: Result<(), Denial> = match endpoint.rule {
                        Rule::Public(_) => Ok(()),
                        Rule::Guarded(requirement) => decide(Some(&column.access(mfa_verified, step_up)), &requirement),
                    };
                    let cell = format!("{} × {} × mfa={mfa_verified} × {scope:?}", endpoint.path, column.label());
                    match expected {
                        Err(denial) => {
                            assert_eq!(status.as_u16(), denial.status(), "{cell}: {text}");
                            let code = serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["code"].clone();
                            assert_eq!(code, denial.code(), "{cell}");
                        }
                        Ok(()) if GUARD_ONLY.contains(&endpoint.path) => {
                            assert!(
                                status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                                "{cell}: the guard refused: {text}"
                            );
                            assert!(!status.is_server_error(), "{cell}: {text}");
                        }
                        Ok(()) => {
                            // Platform staff belong to no organization: switching into one
                            // is switching into a foreign one. A session id that is not the
                            // caller's is "not found" too.
                            let foreign = scope == Scope::Foreign
                                || (endpoint.path == "/api/orgs/switch" && column == Column::PlatformStaff)
                                || endpoint.path == "/api/security/sessions/revoke";
                            let want = if foreign { StatusCode::NOT_FOUND } else { StatusCode::OK };
                            assert_eq!(status, want, "{cell}: {text}");
                        }
                    }
                    cells += 1;
                }
            }
        }
    }
    eprintln!("authorization matrix: {cells} cells checked on {:?}", t.backend);
    assert!(cells >= ENDPOINTS.len() * Column::all().len() * 2);
});
