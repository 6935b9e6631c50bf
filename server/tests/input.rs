//! No input reaches the database unchecked: every endpoint of the endpoint table is called
//! with arbitrary strings in each of its fields (control characters, NUL, unpaired
//! structure, very long text, numbers where text goes and text where numbers go), as a
//! signed-in owner and as a visitor, on SQLite and on PostgreSQL. Whatever comes in, the
//! answer is never a 5xx.

#[path = "../../app/tests/support/mod.rs"]
mod support;
mod web;

use app::db::Backend;
use app::endpoints::ENDPOINTS;
use app::request::RequestMeta;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use support::TestDb;
use web::{app, post};

/// The form fields of each endpoint (its server function's arguments).
fn fields(path: &str) -> &'static [&'static str] {
    match path {
        "/api/session" | "/api/auth/sign_out" | "/api/orgs/settings" | "/api/team/members" | "/api/team/roles" => &[],
        "/api/team/ownership/pending" | "/api/grants/list" | "/api/invitations/list" | "/api/roles/list" => &[],
        "/api/admin/outbox" | "/api/security/overview" | "/api/security/step_up/email" => &[],
        "/api/security/sessions/revoke_others" => &[],
        "/api/analytics/dashboard" => &["start", "end", "days"],
        "/api/analytics/summary" | "/api/analytics/revenue_daily" | "/api/analytics/sales_daily" => &["start", "end"],
        "/api/analytics/products_sold_daily" => &["start", "end"],
        "/api/analytics/export" => &["what", "format", "start", "end"],
        "/api/analytics/import" => &["file"],
        "/api/analytics/imports" => &["report"],
        "/api/audit/checkpoint" | "/api/audit/retention" => &[],
        "/api/audit/retention/set" => &["days"],
        "/api/auth/sign_up" => &["name", "email", "password", "organization"],
        "/api/auth/sign_up/confirm" => &["token", "password"],
        "/api/invitations/show" | "/api/invitations/accept" => &["token"],
        "/api/auth/sign_in" => &["email", "password", "next"],
        "/api/orgs/switch" => &["org_id"],
        "/api/orgs/create" => &["name"],
        "/api/orgs/settings/update" | "/api/orgs/onboarding/complete" => &["name", "timezone", "currency"],
        "/api/team/member" | "/api/team/member/remove" | "/api/team/member/sign_out" => &["member_id"],
        "/api/team/ownership/offer" => &["member_id"],
        "/api/team/member/role" => &["member_id", "role_id"],
        "/api/team/ownership/answer" => &["transfer_id", "accept"],
        "/api/grants/set" => {
            &["member_id", "view", "view_revenue", "view_sales", "view_products", "export", "expires_on"]
        }
        "/api/invitations/create" => &["emails", "role_id", "message", "expires_in_days"],
        "/api/invitations/resend" | "/api/invitations/revoke" => &["invitation_id"],
        "/api/invitations/accept_new" => &["token", "name", "password"],
        "/api/roles/create" => &["name", "description", "template_id"],
        "/api/roles/permission" => &["role_id", "permission", "enabled"],
        "/api/roles/delete" => &["role_id"],
        "/api/audit/events" => {
            &["filter[actor]", "filter[action]", "filter[outcome]", "filter[from]", "filter[to]", "before"]
        }
        "/api/audit/export" => &["actor", "action", "outcome", "from", "to"],
        "/api/auth/mfa" | "/api/security/totp/confirm" => &["code"],
        "/api/security/totp/start" => &["password", "code"],
        "/api/security/totp/disable" => &["password", "code", "end_other_sessions"],
        "/api/security/pin" => &["password", "pin"],
        "/api/security/step_up" => &["method", "code", "next"],
        "/api/security/sessions/revoke" => &["session_id"],
        "/api/security/password" => &["current_password", "new_password", "end_other_sessions"],
        "/api/finance/customers" => &[],
        "/api/finance/customers/reveal" => &["customer_id"],
        "/api/finance/customers/create" => &["name", "email", "phone", "address", "marketing_consent"],
        "/api/finance/invoices" => &["status", "after"],
        "/api/finance/invoice" | "/api/finance/invoices/delete" | "/api/finance/invoices/issue" => &["invoice_id"],
        "/api/finance/invoices/void" => &["invoice_id", "reason"],
        "/api/finance/invoices/create" => {
            &["customer_id", "due_on", "description[0]", "quantity[0]", "unit_price[0]", "tax_rate[0]"]
        }
        "/api/finance/invoices/update" => {
            &["invoice_id", "customer_id", "due_on", "description[0]", "quantity[0]", "unit_price[0]", "tax_rate[0]"]
        }
        "/api/finance/invoices/edits/propose" => &[
            "invoice_id",
            "version",
            "reason",
            "customer_id",
            "due_on",
            "description[0]",
            "quantity[0]",
            "unit_price[0]",
            "tax_rate[0]",
        ],
        "/api/finance/invoices/edits/approve" => &["edit_id"],
        "/api/finance/invoices/edits/reject" => &["edit_id", "reason"],
        "/api/finance/payments" => &["awaiting", "after"],
        "/api/finance/payments/record" => &["invoice_id", "method", "amount", "reference"],
        "/api/finance/payments/confirm" => &["payment_id"],
        "/api/finance/refunds" => &["status", "after"],
        "/api/finance/refunds/request" => &["invoice_id", "amount", "reason"],
        "/api/finance/refunds/approve" => &["refund_id"],
        "/api/finance/refunds/reject" => &["refund_id", "reason"],
        "/api/finance/refunds/execute" => &["refund_id", "reference"],
        "/api/finance/settings/refunds" => &["two_approvals_above"],
        "/api/finance/summary" => &[],
        "/api/finance/invoices/export" => &["status"],
        "/api/billing" | "/api/api_keys" => &[],
        "/api/api_keys/create" => &["name", "scopes[0]", "scopes[1]", "days"],
        "/api/api_keys/revoke" => &["key_id"],
        "/api/billing/transfers/submit" => &["reference", "amount", "currency", "payer", "proof_url"],
        "/api/admin/tenants" => &["query"],
        "/api/admin/tenants/get" => &["id"],
        "/api/admin/transfers/confirm" => &["org_id", "reference", "amount", "payer", "proof_url", "months", "plan"],
        "/api/admin/tenants/suspend" | "/api/admin/tenants/reactivate" => &["org_id", "reason"],
        other => panic!("{other} has no field list here: add one, so it is fuzzed too"),
    }
}

#[test]
fn every_endpoint_has_a_field_list() {
    for endpoint in ENDPOINTS {
        fields(endpoint.path);
    }
}

/// Values that have broken web apps: anything at all, control characters and NUL, long
/// text, numbers (huge, negative), well-formed ids and tokens, nothing.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\x00-\\x1f\\x7f]{1,8}",
        "[a-z0-9 ]{0,8}\\x00[a-z0-9 ]{0,8}",
        ".{200,3000}",
        "-?[0-9]{1,30}",
        Just("00000000-0000-0000-0000-000000000000".to_string()),
        Just("true".to_string()),
        Just(String::new()),
        "[A-Za-z0-9_-]{43}",
        "%[0-9A-F]{2}|\\\\|'|\"|;--|<script>",
    ]
}

/// `application/x-www-form-urlencoded`: every byte but unreserved ones percent-encoded.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The form of `values` in the fields of the endpoint at `path` (field names as they are:
/// `filter[actor]` is how a nested field is named).
fn form(path: &str, values: &[String]) -> String {
    let pairs: Vec<String> = fields(path).iter().zip(values).map(|(k, v)| format!("{k}={}", encode(v))).collect();
    pairs.join("&")
}

/// A session of the demo owner, MFA-verified, as a cookie.
async fn owner_cookie(t: &TestDb, owner: &str) -> String {
    let mut conn = t.db.conn().await.unwrap();
    let meta = RequestMeta::default();
    let s = app::auth::session::create(&mut conn, &t.config(), owner, None, true, &meta, app::db::now()).await.unwrap();
    format!("gh_session={}", s.token)
}

/// A well-formed value for `field`, naming real rows of the demo data where it is an id, so
/// that a nasty value in another field travels as far into the endpoint as it can.
fn base(field: &str, ids: &Ids) -> String {
    match field {
        "member_id" => ids.member.clone(),
        "role_id" | "template_id" => ids.role.clone(),
        "org_id" => ids.org.clone(),
        "invitation_id" => ids.invitation.clone(),
        "transfer_id" | "session_id" => app::db::new_id(),
        "token" => "A".repeat(43),
        "name" | "organization" => "Fuzz Name".into(),
        "email" | "emails" => "fuzz@example.test".into(),
        "password" | "current_password" | "new_password" => "a long fuzzing passphrase".into(),
        "timezone" => "UTC".into(),
        "currency" => "INR".into(),
        "expires_in_days" => "7".into(),
        "permission" => "orders.read".into(),
        "enabled" | "accept" => "true".into(),
        "method" => "pin".into(),
        "code" => "123456".into(),
        "pin" => "482913".into(),
        "next" => "/".into(),
        _ => String::new(),
    }
}

/// Rows of the demo data that well-formed requests name.
struct Ids {
    member: String,
    role: String,
    org: String,
    invitation: String,
}

async fn ids(t: &TestDb) -> Ids {
    let one = |sql: &'static str| async move {
        sqlx::query_scalar::<_, String>(sql).fetch_one(&mut *t.db.conn().await.unwrap()).await.unwrap()
    };
    Ids {
        member: one(
            "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'viewer@acme.test'",
        )
        .await,
        role: one("SELECT r.id FROM roles r JOIN organizations o ON o.id = r.org_id \
                   WHERE o.slug = 'acme-retail' AND r.role_key = 'viewer'")
        .await,
        org: one("SELECT id FROM organizations WHERE slug = 'acme-retail'").await,
        invitation: one("SELECT id FROM invitations WHERE email = 'new.hire@example.test'").await,
    }
}

/// Before the random cases, a sweep: each field of each endpoint gets each of these while
/// the other fields are well-formed.
const NASTY: &[&str] =
    &["\0", "a\0b", "\u{1b}[2J", "\r\nSet-Cookie: x=1", "%00", "' OR 1=1 --", "9999999999999999999999"];

fn fuzz(backend: Backend) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let t = runtime.block_on(TestDb::new(backend));
    let app = runtime.block_on(app(&t));
    let owner: String = runtime.block_on(async {
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'owner@acme.test'")
            .fetch_one(&mut *t.db.conn().await.unwrap())
            .await
            .unwrap()
    });
    let ids = runtime.block_on(ids(&t));
    for endpoint in ENDPOINTS {
        for field in 0..fields(endpoint.path).len() {
            for nasty in NASTY {
                let mut values: Vec<String> = fields(endpoint.path).iter().map(|f| base(f, &ids)).collect();
                values[field] = nasty.to_string();
                let form = form(endpoint.path, &values);
                let reply = runtime.block_on(async {
                    let cookie = owner_cookie(&t, &owner).await;
                    post(&app, endpoint.path, &form, Some(&cookie)).await
                });
                assert!(
                    !reply.status.is_server_error(),
                    "{} answered {} to {form:?}: {}",
                    endpoint.path,
                    reply.status,
                    reply.body
                );
            }
        }
    }
    let cases = std::env::var("GATEHOUSE_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(400);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let strategy = (0..ENDPOINTS.len(), proptest::collection::vec(value(), 7), any::<bool>());
    let result = runner.run(&strategy, |(index, values, signed_in)| {
        let endpoint = &ENDPOINTS[index];
        let form = form(endpoint.path, &values);
        let reply = runtime.block_on(async {
            // A fresh MFA-verified owner session each time: a fuzzed sign-out or org switch
            // must not change what the next case runs as.
            let cookie = if signed_in { Some(owner_cookie(&t, &owner).await) } else { None };
            post(&app, endpoint.path, &form, cookie.as_deref()).await
        });
        if reply.status.is_server_error() {
            return Err(TestCaseError::fail(format!(
                "{} answered {} to {form:?}: {}",
                endpoint.path,
                reply.status,
                reply.body.chars().take(300).collect::<String>()
            )));
        }
        Ok(())
    });
    runtime.block_on(t.cleanup());
    if let Err(error) = result {
        panic!("{error}");
    }
}

#[test]
fn arbitrary_input_never_gets_a_5xx_sqlite() {
    fuzz(Backend::Sqlite);
}

#[test]
fn arbitrary_input_never_gets_a_5xx_postgres() {
    fuzz(Backend::Postgres);
}
