//! `seed-demo`: organizations and users anyone can try at once (DESIGN §10). Idempotent:
//! what exists is left alone, so a second run changes nothing.

use crate::demo_analytics::{ACME_ORDERS, GLOBEX_ORDERS, OrdersPlan};
use crate::demo_finance::{ACME_FINANCE, GLOBEX_FINANCE, Team, seed_finance};
use app::access::{BuiltinRole, Permission, PermissionSet};
use app::audit::{self, Actor, Event, Outcome};
use app::auth::PasswordHasher;
use app::billing::Plan;
use app::billing::server::{TransferInput, submit_transfer};
use app::config::SecretKey;
use app::db::{Conn, Db, flag, new_id};
use app::error::{AppError, Result};
use app::orgs::server::create_with_owner;
use serde_json::json;

/// Every demo account's password.
pub const DEMO_PASSWORD: &str = "correct-horse-battery-staple";

/// The TOTP secret of the enrolled demo accounts (demo data only; DESIGN §10).
pub const DEMO_TOTP_SECRET: &str = "GATEHOUSEDEMOTOTPSECRET234567XYZ";

/// Demo accounts enrolled in TOTP: every privileged one but `finadmin@acme.test` (left out
/// on purpose, to show a forced enrollment), and the analyst, who steps up with it.
pub const TOTP_ENROLLED: &[&str] = &[
    "owner@acme.test",
    "admin@acme.test",
    "finance@acme.test",
    "analyst@acme.test",
    "owner@globex.test",
    "consultant@example.test",
    "ops@gatehouse.test",
];

pub struct DemoOrg {
    pub name: &'static str,
    pub timezone: &'static str,
    pub currency: &'static str,
    pub owner: &'static str,
    /// The plan, and how many days of it are paid from seeding on.
    pub plan: Plan,
    pub paid_days: i64,
    /// A bank transfer the owner submitted, waiting for platform staff to confirm it.
    pub pending_transfer: Option<&'static str>,
}

pub const ORGS: &[DemoOrg] = &[
    DemoOrg {
        name: "Acme Retail",
        timezone: "Asia/Kolkata",
        currency: "INR",
        owner: "owner@acme.test",
        plan: Plan::Business,
        paid_days: 365,
        pending_transfer: None,
    },
    DemoOrg {
        name: "Globex",
        timezone: "Europe/Berlin",
        currency: "EUR",
        owner: "owner@globex.test",
        plan: Plan::Starter,
        paid_days: 20,
        pending_transfer: Some("GLOBEX-2026-1127"),
    },
];

/// (email, name, platform staff)
pub const USERS: &[(&str, &str, bool)] = &[
    ("owner@acme.test", "Asha Owner", false),
    ("admin@acme.test", "Arjun Admin", false),
    ("finadmin@acme.test", "Farah Finance-Admin", false),
    ("finance@acme.test", "Femi Finance", false),
    ("analyst@acme.test", "Ana Analyst", false),
    ("member@acme.test", "Mei Member", false),
    ("viewer@acme.test", "Vik Viewer", false),
    ("owner@globex.test", "Greta Owner", false),
    ("consultant@example.test", "Chris Consultant", false),
    ("ops@gatehouse.test", "Olu Ops", true),
];

/// (email, organization, role) beyond each organization's owner.
pub const MEMBERSHIPS: &[(&str, &str, BuiltinRole)] = &[
    ("admin@acme.test", "Acme Retail", BuiltinRole::Admin),
    ("finadmin@acme.test", "Acme Retail", BuiltinRole::FinanceAdmin),
    ("finance@acme.test", "Acme Retail", BuiltinRole::Finance),
    ("analyst@acme.test", "Acme Retail", BuiltinRole::Analyst),
    ("member@acme.test", "Acme Retail", BuiltinRole::Member),
    ("viewer@acme.test", "Acme Retail", BuiltinRole::Viewer),
    ("consultant@example.test", "Acme Retail", BuiltinRole::Analyst),
    ("consultant@example.test", "Globex", BuiltinRole::Admin),
];

/// (email, organization, permission, granted by): analytics grants on top of the role. The
/// consultant deliberately has none in Acme.
pub const GRANTS: &[(&str, &str, Permission, &str)] =
    &[("analyst@acme.test", "Acme Retail", Permission::AnalyticsViewRevenue, "owner@acme.test")];

/// A custom role in Acme: (name, description, permissions).
pub const CUSTOM_ROLE: (&str, &str, &[Permission]) = (
    "Support agent",
    "Answers customers: reads and enters orders and sees customer details.",
    &[Permission::OrdersRead, Permission::OrdersWrite, Permission::CustomersPiiRead],
);

/// Invitations to Acme, sent by its owner: (email, role, days from now it expires; negative:
/// already expired).
pub const INVITATIONS: &[(&str, BuiltinRole, i64)] =
    &[("new.hire@example.test", BuiltinRole::Member, 7), ("late.joiner@example.test", BuiltinRole::Viewer, -3)];

/// What a run created.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub users: usize,
    pub organizations: usize,
    pub memberships: usize,
    pub totp_enrollments: usize,
    pub grants: usize,
    pub custom_roles: usize,
    pub invitations: usize,
    pub customers: usize,
    pub invoices: usize,
    pub payments: usize,
    pub refunds: usize,
    pub invoice_edits: usize,
    pub products: usize,
    pub orders: usize,
}

/// Everything: the accounts, organizations, finance and a year of orders (`gatehouse
/// seed-demo`). Idempotent.
pub async fn seed(db: &Db, hasher: &PasswordHasher, key: &SecretKey, now: i64) -> Result<SeedReport> {
    let mut report = seed_without_orders(db, hasher, key, now).await?;
    let (products, orders) = seed_orders(db, [&ACME_ORDERS, &GLOBEX_ORDERS], now).await?;
    report.products = products;
    report.orders = orders;
    Ok(report)
}

/// The demo organizations' catalogs and orders by `plans` (Acme's, Globex's), one
/// transaction per organization; nothing for an organization that has products. Returns the
/// products and orders written.
pub async fn seed_orders(db: &Db, plans: [&OrdersPlan; 2], now: i64) -> Result<(usize, usize)> {
    let (mut products, mut orders) = (0, 0);
    for (org, plan) in ORGS.iter().zip(plans) {
        let mut tx = db.begin().await?;
        let id = org_id(&mut tx, org.name).await?.ok_or(AppError::Internal)?;
        let seeded = crate::demo_analytics::seed_orders(&mut tx, &id, org.currency, org.timezone, plan, now).await?;
        tx.commit().await?;
        products += seeded.products;
        orders += seeded.orders;
    }
    Ok((products, orders))
}

/// The accounts, organizations and finance data, without orders (what most tests need; the
/// year of orders takes a while in a debug build). Idempotent.
pub async fn seed_without_orders(db: &Db, hasher: &PasswordHasher, key: &SecretKey, now: i64) -> Result<SeedReport> {
    let mut report = SeedReport::default();
    // The accounts that are missing; the shared password is hashed once, outside the
    // transaction (it is slow), and only when one is missing. (Demo data only: every demo
    // account shares one published password, so one hash for all reveals nothing.)
    let mut missing = Vec::new();
    {
        let mut conn = db.conn().await?;
        for (email, name, staff) in USERS {
            if user_id(&mut conn, email).await?.is_none() {
                missing.push((*email, *name, *staff));
            }
        }
    }
    let hash = if missing.is_empty() { String::new() } else { hasher.hash(DEMO_PASSWORD).await? };
    let mut tx = db.begin().await?;
    for (email, name, staff) in &missing {
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, platform_staff, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (email) DO NOTHING",
        )
        .bind(new_id())
        .bind(email)
        .bind(name)
        .bind(&hash)
        .bind(flag(*staff))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        report.users += 1;
    }
    for org in ORGS {
        if org_id(&mut tx, org.name).await?.is_some() {
            continue;
        }
        let owner = user_id(&mut tx, org.owner).await?.ok_or(AppError::Internal)?;
        let created = create_with_owner(&mut tx, &owner, org.name, now).await?;
        sqlx::query(
            "UPDATE organizations SET timezone = $1, currency = $2, onboarding_state = 'complete' WHERE id = $3",
        )
        .bind(org.timezone)
        .bind(org.currency)
        .bind(&created.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE subscriptions SET plan = $1, status = 'active', payment_method = 'bank_transfer', \
             trial_ends_at = NULL, current_period_end = $2 WHERE org_id = $3",
        )
        .bind(org.plan.key())
        .bind(now + org.paid_days * 86_400)
        .bind(&created.id)
        .execute(&mut *tx)
        .await?;
        if let Some(reference) = org.pending_transfer {
            let transfer = TransferInput::parse(reference, "29.00", "USD", org.name, "")?;
            submit_transfer(&mut tx, &created.id, &owner, &transfer, now).await?;
        }
        audit::record(
            &mut tx,
            &Event::new("demo.seed", Actor::System, Outcome::Allowed)
                .org(Some(&created.id))
                .target("organization", &created.id)
                .metadata(json!({ "name": org.name })),
            now,
        )
        .await?;
        report.organizations += 1;
    }
    for (email, org_name, role) in MEMBERSHIPS {
        let user = user_id(&mut tx, email).await?.ok_or(AppError::Internal)?;
        let org = org_id(&mut tx, org_name).await?.ok_or(AppError::Internal)?;
        let role_id: String = sqlx::query_scalar("SELECT id FROM roles WHERE org_id = $1 AND role_key = $2")
            .bind(&org)
            .bind(role.key())
            .fetch_one(&mut *tx)
            .await?;
        report.memberships += sqlx::query(
            "INSERT INTO memberships (id, org_id, user_id, role_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (org_id, user_id) DO NOTHING",
        )
        .bind(new_id())
        .bind(&org)
        .bind(&user)
        .bind(&role_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected() as usize;
    }
    for (email, org_name, permission, by) in GRANTS {
        let user = user_id(&mut tx, email).await?.ok_or(AppError::Internal)?;
        let by = user_id(&mut tx, by).await?.ok_or(AppError::Internal)?;
        let org = org_id(&mut tx, org_name).await?.ok_or(AppError::Internal)?;
        report.grants += sqlx::query(
            "INSERT INTO grants (id, org_id, user_id, permission, granted_by, granted_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id, user_id, permission) DO NOTHING",
        )
        .bind(new_id())
        .bind(&org)
        .bind(&user)
        .bind(permission.key())
        .bind(&by)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected() as usize;
    }
    let acme = org_id(&mut tx, "Acme Retail").await?.ok_or(AppError::Internal)?;
    let acme_owner = user_id(&mut tx, "owner@acme.test").await?.ok_or(AppError::Internal)?;
    let (name, description, permissions) = CUSTOM_ROLE;
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM roles WHERE org_id = $1 AND name = $2")
        .bind(&acme)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        let id = new_id();
        sqlx::query(
            "INSERT INTO roles (id, org_id, role_key, name, description, builtin, permissions, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $7)",
        )
        .bind(&id)
        .bind(&acme)
        .bind(format!("custom_{}", &id[..8]))
        .bind(name)
        .bind(description)
        .bind(PermissionSet::of(permissions).to_keys())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        report.custom_roles += 1;
    }
    for (email, role, days) in INVITATIONS {
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM invitations WHERE org_id = $1 AND email = $2")
            .bind(&acme)
            .bind(email)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            continue;
        }
        let role_id: String = sqlx::query_scalar("SELECT id FROM roles WHERE org_id = $1 AND role_key = $2")
            .bind(&acme)
            .bind(role.key())
            .fetch_one(&mut *tx)
            .await?;
        // The links of demo invitations are never shown: their tokens are thrown away.
        let (_, token_hash) = app::auth::session::new_token();
        let sent = now.min(now + days * 86_400 - 7 * 86_400);
        sqlx::query(
            "INSERT INTO invitations (id, org_id, email, role_id, message, token_hash, invited_by, days_valid, \
             expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, '', $5, $6, 7, $7, $8, $8)",
        )
        .bind(new_id())
        .bind(&acme)
        .bind(email)
        .bind(&role_id)
        .bind(&token_hash)
        .bind(&acme_owner)
        .bind(now + days * 86_400)
        .bind(sent)
        .execute(&mut *tx)
        .await?;
        report.invitations += 1;
    }
    for (org, plan) in ORGS.iter().zip([&ACME_FINANCE, &GLOBEX_FINANCE]) {
        let id = org_id(&mut tx, org.name).await?.ok_or(AppError::Internal)?;
        let owner = user_id(&mut tx, org.owner).await?.ok_or(AppError::Internal)?;
        let member = |role: BuiltinRole| {
            MEMBERSHIPS.iter().find(|(_, o, r)| *o == org.name && *r == role).map(|(email, _, _)| *email)
        };
        let mut team = Team { finance: owner.clone(), finance_admin: owner.clone(), owner };
        if let Some(email) = member(BuiltinRole::Finance) {
            team.finance = user_id(&mut tx, email).await?.ok_or(AppError::Internal)?;
        }
        if let Some(email) = member(BuiltinRole::FinanceAdmin) {
            team.finance_admin = user_id(&mut tx, email).await?.ok_or(AppError::Internal)?;
        }
        let seeded = seed_finance(&mut tx, &id, org.currency, org.timezone, &team, plan, now).await?;
        report.customers += seeded.customers;
        report.invoices += seeded.invoices;
        report.payments += seeded.payments;
        report.refunds += seeded.refunds;
        report.invoice_edits += seeded.edits;
    }
    let secret = app::mfa::totp::from_base32(DEMO_TOTP_SECRET).ok_or(AppError::Internal)?;
    for email in TOTP_ENROLLED {
        let user = user_id(&mut tx, email).await?.ok_or(AppError::Internal)?;
        let enrolled: Option<i64> = sqlx::query_scalar("SELECT mfa_enrolled_at FROM users WHERE id = $1")
            .bind(&user)
            .fetch_one(&mut *tx)
            .await?;
        if enrolled.is_none() {
            app::mfa::server::enroll_with_secret(&mut tx, key, &user, &secret, now).await?;
            report.totp_enrollments += 1;
        }
    }
    tx.commit().await?;
    Ok(report)
}

async fn user_id(conn: &mut Conn, email: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_optional(&mut *conn).await?)
}

/// Demo organizations are found by name (their slugs derive from it).
async fn org_id(conn: &mut Conn, name: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT id FROM organizations WHERE slug = $1")
        .bind(app::orgs::slugify(name))
        .fetch_optional(&mut *conn)
        .await?)
}
