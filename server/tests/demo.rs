//! The demo seed on SQLite and PostgreSQL.

#[path = "../../app/tests/support/mod.rs"]
mod support;

use app::access::{BuiltinRole, load_access};
use app::auth::PasswordHasher;
use app::auth::server::{SignInStep, complete_second_factor, sign_in};
use app::request::RequestMeta;
use server::demo::{
    DEMO_PASSWORD, DEMO_TOTP_SECRET, GRANTS, INVITATIONS, MEMBERSHIPS, ORGS, SeedReport, TOTP_ENROLLED, USERS, seed,
};
use server::demo_analytics::{ACME_ORDERS, GLOBEX_ORDERS};
use server::demo_finance::{ACME_FINANCE, GLOBEX_FINANCE};
use support::count;

db_test!(seeding_twice_changes_nothing, |t| {
    let hasher = PasswordHasher::new(4);
    let first = seed(&t.db, &hasher, &t.config().secret_key, 1_800_000_000).await.unwrap();
    assert_eq!(
        first,
        SeedReport {
            users: USERS.len(),
            organizations: ORGS.len(),
            memberships: MEMBERSHIPS.len(),
            totp_enrollments: TOTP_ENROLLED.len(),
            grants: GRANTS.len(),
            custom_roles: 1,
            invitations: INVITATIONS.len(),
            customers: ACME_FINANCE.customers + GLOBEX_FINANCE.customers,
            invoices: ACME_FINANCE.invoices + GLOBEX_FINANCE.invoices,
            payments: first.payments,
            refunds: 7,
            invoice_edits: 3,
            products: ACME_ORDERS.catalog.len() + GLOBEX_ORDERS.catalog.len(),
            orders: first.orders,
        }
    );
    // A year of orders: Acme's ordinary weekday alone makes over 40,000.
    assert!(first.orders > 365 * (ACME_ORDERS.per_day + GLOBEX_ORDERS.per_day) as usize, "{} orders", first.orders);
    // A year of invoices, most of them paid, one bank transfer awaiting confirmation.
    assert!(first.payments > ACME_FINANCE.invoices / 2, "{} payments", first.payments);
    let one = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut *t.db.conn().await.unwrap()).await.unwrap()
    };
    assert_eq!(one("SELECT CAST(COUNT(*) AS BIGINT) FROM payments WHERE status = 'awaiting_confirmation'").await, 2);
    // Refunds in every state, one above Acme's two-approver threshold; paid and refunded add up.
    assert_eq!(one("SELECT CAST(COUNT(DISTINCT status) AS BIGINT) FROM refunds").await, 5);
    assert_eq!(one("SELECT CAST(COUNT(*) AS BIGINT) FROM refunds WHERE approvals_needed = 2").await, 2);
    assert_eq!(
        one("SELECT CAST(COUNT(*) AS BIGINT) FROM invoices i WHERE i.paid <> \
             (SELECT CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) FROM payments p \
              WHERE p.invoice_id = i.id AND p.status = 'confirmed') OR i.refunded > i.paid OR i.paid > i.total")
        .await,
        0
    );
    // The rollups hold every organization's money and sales, no more and no less.
    for (rollup, source) in [
        (
            "SELECT CAST(SUM(invoiced) AS BIGINT) FROM finance_daily",
            "SELECT CAST(SUM(total) AS BIGINT) FROM invoices WHERE issued_at IS NOT NULL AND status <> 'void'",
        ),
        (
            "SELECT CAST(SUM(collected) AS BIGINT) FROM finance_daily",
            "SELECT CAST(SUM(amount) AS BIGINT) FROM payments WHERE status = 'confirmed'",
        ),
        (
            "SELECT CAST(SUM(refunded) AS BIGINT) FROM finance_daily",
            "SELECT CAST(SUM(refunded) AS BIGINT) FROM invoices",
        ),
        (
            "SELECT CAST(SUM(open_amount) AS BIGINT) FROM finance_due",
            "SELECT CAST(SUM(total - paid) AS BIGINT) FROM invoices WHERE status IN ('issued', 'partially_paid')",
        ),
        (
            "SELECT CAST(SUM(revenue) AS BIGINT) FROM analytics_daily",
            "SELECT CAST(SUM(total) AS BIGINT) FROM orders WHERE status = 'paid'",
        ),
        (
            "SELECT CAST(SUM(quantity) AS BIGINT) FROM analytics_daily_product",
            "SELECT CAST(SUM(i.quantity) AS BIGINT) FROM order_items i JOIN orders o ON o.id = i.order_id \
             WHERE o.status = 'paid'",
        ),
    ] {
        assert!(one(source).await > 0, "{source}");
        assert_eq!(one(rollup).await, one(source).await, "{rollup}");
    }
    let tables = [
        "users",
        "organizations",
        "roles",
        "memberships",
        "subscriptions",
        "grants",
        "invitations",
        "audit_events",
        "customers",
        "invoices",
        "invoice_lines",
        "invoice_counters",
        "payments",
        "refunds",
        "invoice_edits",
        "finance_daily",
        "finance_due",
        "products",
        "orders",
        "order_items",
        "analytics_daily",
        "analytics_daily_product",
    ];
    let mut before = Vec::new();
    for table in tables {
        before.push(count(&t.db, table).await);
    }
    let second = seed(&t.db, &hasher, &t.config().secret_key, 1_800_000_100).await.unwrap();
    assert_eq!(second, SeedReport::default());
    for (table, was) in tables.iter().zip(before) {
        assert_eq!(count(&t.db, table).await, was, "{table} changed on the second run");
    }
});

db_test!(demo_accounts_sign_in_with_their_design_roles, |t| {
    let hasher = PasswordHasher::new(4);
    server::demo::seed_without_orders(&t.db, &hasher, &t.config().secret_key, 1_800_000_000).await.unwrap();
    let config = t.config();
    let meta = RequestMeta { ip: Some("10.9.9.9".into()), ..Default::default() };
    let expect = [
        ("owner@acme.test", Some(("Acme Retail", BuiltinRole::Owner))),
        ("finadmin@acme.test", Some(("Acme Retail", BuiltinRole::FinanceAdmin))),
        ("analyst@acme.test", Some(("Acme Retail", BuiltinRole::Analyst))),
        ("viewer@acme.test", Some(("Acme Retail", BuiltinRole::Viewer))),
        ("owner@globex.test", Some(("Globex", BuiltinRole::Owner))),
        ("ops@gatehouse.test", None),
    ];
    for (email, org) in expect {
        let now = 1_800_000_000;
        let session = match sign_in(&t.db, &config, &hasher, email, DEMO_PASSWORD, "/", &meta, now).await.unwrap() {
            SignInStep::Session { session, .. } => {
                assert!(!TOTP_ENROLLED.contains(&email), "{email} should be asked for a code");
                session
            }
            SignInStep::SecondFactor { challenge } => {
                // The demo secret of DESIGN §10 produces the codes.
                let secret = app::mfa::totp::from_base32(DEMO_TOTP_SECRET).unwrap();
                let code = app::mfa::totp::code_at(&secret, now);
                complete_second_factor(&t.db, &config, Some(&challenge), &code, &meta, now).await.unwrap().0
            }
        };
        let (access, _) = load_access(&t.db, &config, Some(&session.token), now + 1).await.unwrap().unwrap();
        assert_eq!(access.mfa_verified, TOTP_ENROLLED.contains(&email), "{email}");
        match org {
            Some((name, role)) => {
                let o = access.org.unwrap();
                assert_eq!((o.name.as_str(), o.builtin), (name, Some(role)), "{email}");
                assert!(o.onboarding_complete);
            }
            None => {
                assert!(access.org.is_none() && access.platform_staff, "{email}");
            }
        }
    }
    let (tz, currency): (String, String) =
        sqlx::query_as("SELECT timezone, currency FROM organizations WHERE slug = 'globex'")
            .fetch_one(&mut *t.db.conn().await.unwrap())
            .await
            .unwrap();
    assert_eq!((tz.as_str(), currency.as_str()), ("Europe/Berlin", "EUR"));
});
