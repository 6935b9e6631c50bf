//! The roster rules (DESIGN §2, §3) on SQLite and PostgreSQL: role changes, removal, forced
//! sign-out, and an organization that always keeps an owner, also under concurrent demotions.

mod support;

use app::access::{Access, Permission, load_access};
use app::auth::session::create as create_session;
use app::error::AppError;
use app::request::RequestMeta;
use app::team::server as team;
use support::TestDb;

const NOW: i64 = 1_800_000_000;

struct Org {
    id: String,
}

async fn org(t: &TestDb, name: &str) -> Org {
    let id = format!("org-{name}");
    sqlx::query(
        "INSERT INTO organizations (id, name, slug, timezone, currency, onboarding_state, created_at, updated_at) \
         VALUES ($1, $2, $3, 'UTC', 'EUR', 'complete', 0, 0)",
    )
    .bind(&id)
    .bind(name)
    .bind(name.to_lowercase())
    .execute(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    for key in ["owner", "admin", "finance_admin", "finance", "analyst", "member", "viewer"] {
        sqlx::query(
            "INSERT INTO roles (id, org_id, role_key, name, builtin, created_at, updated_at) \
             VALUES ($1, $2, $3, $3, 1, 0, 0)",
        )
        .bind(role_id(&id, key))
        .bind(&id)
        .bind(key)
        .execute(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    }
    Org { id }
}

fn role_id(org_id: &str, key: &str) -> String {
    format!("{org_id}-{key}")
}

/// A user with two-factor authentication on, member of `org` with `role`; returns the
/// membership id and the user id.
async fn member(t: &TestDb, org: &Org, email: &str, role: &str) -> (String, String) {
    let user_id = format!("user-{email}");
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, mfa_enrolled_at, created_at, updated_at) \
         VALUES ($1, $2, $2, 'x', 0, 0, 0) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&user_id)
    .bind(email)
    .execute(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let id = format!("m-{}-{email}", org.id);
    sqlx::query(
        "INSERT INTO memberships (id, org_id, user_id, role_id, created_at, updated_at) VALUES ($1, $2, $3, $4, 0, 0)",
    )
    .bind(&id)
    .bind(&org.id)
    .bind(&user_id)
    .bind(role_id(&org.id, role))
    .execute(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    (id, user_id)
}

/// A fresh MFA-verified session of `user_id` in `org`, and the access it gives at `now`.
async fn signed_in(t: &TestDb, user_id: &str, org: &Org, now: i64) -> (String, Access) {
    let mut conn = t.db.conn().await.unwrap();
    let s = create_session(&mut conn, &t.config(), user_id, Some(&org.id), true, &RequestMeta::default(), now)
        .await
        .unwrap();
    drop(conn);
    let access = access_of(t, &s.token, now).await.expect("a live session");
    (s.token, access)
}

async fn access_of(t: &TestDb, token: &str, now: i64) -> Option<Access> {
    load_access(&t.db, &t.config(), Some(token), now).await.unwrap().map(|(a, _)| a)
}

fn code(result: Result<impl std::fmt::Debug, AppError>) -> String {
    result.expect_err("refused").code().to_string()
}

async fn role_of(t: &TestDb, membership: &str) -> String {
    sqlx::query_scalar("SELECT r.role_key FROM memberships m JOIN roles r ON r.id = m.role_id WHERE m.id = $1")
        .bind(membership)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap()
}

async fn change(t: &TestDb, editor: &Access, org: &Org, member: &str, role: &str) -> Result<(), AppError> {
    let mut tx = t.db.begin().await.unwrap();
    let result = team::change_role(&mut tx, editor, &org.id, member, &role_id(&org.id, role), NOW).await;
    if result.is_ok() {
        tx.commit().await.unwrap();
    }
    result.map(|_| ())
}

db_test!(role_changes_follow_the_rules, |t| {
    let acme = org(t, "Acme").await;
    let (owner_m, owner) = member(t, &acme, "owner@a.test", "owner").await;
    let (admin_m, admin) = member(t, &acme, "admin@a.test", "admin").await;
    let (viewer_m, _) = member(t, &acme, "viewer@a.test", "viewer").await;
    let (_, owner_access) = signed_in(t, &owner, &acme, NOW).await;
    let (admin_token, admin_access) = signed_in(t, &admin, &acme, NOW).await;

    // Nobody changes their own role.
    assert_eq!(code(change(t, &admin_access, &acme, &admin_m, "viewer").await), "own_membership");
    assert_eq!(code(change(t, &owner_access, &acme, &owner_m, "admin").await), "own_membership");
    // Nobody gives a role holding permissions they do not hold: an admin cannot make owners
    // (nor members: orders.write is not an admin permission).
    assert!(!admin_access.permissions.contains(Permission::OrdersWrite));
    assert_eq!(code(change(t, &admin_access, &acme, &viewer_m, "owner").await), "role_exceeds_yours");
    assert_eq!(code(change(t, &admin_access, &acme, &viewer_m, "member").await), "role_exceeds_yours");
    // Only an owner changes an owner's role.
    assert_eq!(code(change(t, &admin_access, &acme, &owner_m, "viewer").await), "owner_only");
    // Another tenant's role or membership: not found.
    let globex = org(t, "Globex").await;
    let (globex_m, _) = member(t, &globex, "g@g.test", "viewer").await;
    assert!(matches!(change(t, &owner_access, &acme, &globex_m, "viewer").await, Err(AppError::NotFound)));
    let mut tx = t.db.begin().await.unwrap();
    let globex_admin = role_id(&globex.id, "admin");
    let foreign_role = team::change_role(&mut tx, &owner_access, &acme.id, &viewer_m, &globex_admin, NOW).await;
    assert!(matches!(foreign_role, Err(AppError::NotFound)));
    drop(tx);
    assert_eq!(role_of(t, &viewer_m).await, "viewer");

    // What the rules allow happens, and applies to the very next request.
    change(t, &admin_access, &acme, &viewer_m, "analyst").await.unwrap_err(); // analytics.* is not the admin's
    change(t, &owner_access, &acme, &viewer_m, "analyst").await.unwrap();
    assert_eq!(role_of(t, &viewer_m).await, "analyst");
    change(t, &owner_access, &acme, &admin_m, "viewer").await.unwrap();
    let demoted = access_of(t, &admin_token, NOW + 1).await.unwrap();
    assert!(!demoted.permissions.contains(Permission::TeamManage));
    assert_eq!(demoted.org.unwrap().role_key, "viewer");
});

db_test!(the_last_owner_stays_an_owner, |t| {
    let acme = org(t, "Acme").await;
    let (a_m, a) = member(t, &acme, "a@a.test", "owner").await;
    let (b_m, b) = member(t, &acme, "b@a.test", "owner").await;
    let (_, a_access) = signed_in(t, &a, &acme, NOW).await;
    // A demotes B: fine, A remains. B (now admin) cannot touch A, and A cannot demote A.
    change(t, &a_access, &acme, &b_m, "admin").await.unwrap();
    let b_access = signed_in(t, &b, &acme, NOW).await.1;
    assert_eq!(code(change(t, &b_access, &acme, &a_m, "admin").await), "owner_only");
    assert_eq!(code(change(t, &a_access, &acme, &a_m, "admin").await), "own_membership");
    // Removing the last owner is refused too (here by way of a second owner account that
    // is then removed).
    let (c_m, c) = member(t, &acme, "c@a.test", "owner").await;
    let (_, c_access) = signed_in(t, &c, &acme, NOW).await;
    let mut tx = t.db.begin().await.unwrap();
    team::remove(&mut tx, &c_access, &acme.id, &a_m, NOW).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(code(team::remove(&mut tx, &c_access, &acme.id, &c_m, NOW).await), "own_membership");
    drop(tx);
    assert_eq!(role_of(t, &c_m).await, "owner");
});

db_test!(two_owners_demoting_each_other_at_once_leave_one_owner, |t| {
    let acme = org(t, "Acme").await;
    let (a_m, a) = member(t, &acme, "a@a.test", "owner").await;
    let (b_m, b) = member(t, &acme, "b@a.test", "owner").await;
    let (_, a_access) = signed_in(t, &a, &acme, NOW).await;
    let (_, b_access) = signed_in(t, &b, &acme, NOW).await;
    for round in 0..5 {
        // Both start from two owners…
        for m in [&a_m, &b_m] {
            sqlx::query("UPDATE memberships SET role_id = $1 WHERE id = $2")
                .bind(role_id(&acme.id, "owner"))
                .bind(m)
                .execute(&mut *t.db.conn().await.unwrap())
                .await
                .unwrap();
        }
        // …and demote each other in two transactions started at the same moment (both wait
        // at the barrier, then begin).
        let barrier = tokio::sync::Barrier::new(2);
        let (acme, barrier) = (&acme, &barrier);
        let demote = |editor: &Access, member: &str| {
            let (editor, member) = (editor.clone(), member.to_string());
            async move {
                barrier.wait().await;
                change(t, &editor, acme, &member, "admin").await
            }
        };
        let (first, second) = tokio::join!(demote(&a_access, &b_m), demote(&b_access, &a_m));
        let owners = [role_of(t, &a_m).await, role_of(t, &b_m).await].iter().filter(|r| *r == "owner").count();
        assert_eq!(owners, 1, "round {round}: {first:?} / {second:?}");
        assert_eq!(first.is_ok() as u8 + second.is_ok() as u8, 1, "round {round}");
        let refused = if first.is_err() { first } else { second };
        assert_eq!(code(refused), "last_owner", "round {round}");
    }
});

db_test!(removal_and_forced_sign_out_apply_at_once_and_only_here, |t| {
    let acme = org(t, "Acme").await;
    let globex = org(t, "Globex").await;
    let (_, owner) = member(t, &acme, "owner@a.test", "owner").await;
    let (x_acme, x) = member(t, &acme, "x@x.test", "analyst").await;
    member(t, &globex, "x@x.test", "admin").await;
    let (_, owner_access) = signed_in(t, &owner, &acme, NOW).await;

    // Forced sign-out: the session that had Acme active loses it and falls back to Globex.
    let (x_token, _) = signed_in(t, &x, &acme, NOW).await;
    let mut tx = t.db.begin().await.unwrap();
    let target = team::force_sign_out(&mut tx, &owner_access, &acme.id, &x_acme, NOW + 10).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(target.email, "x@x.test");
    let after = access_of(t, &x_token, NOW + 11).await.expect("still signed in to Globex");
    assert_eq!(after.org.unwrap().org_id, globex.id);
    // Signing in again afterwards brings Acme back.
    let (_, fresh) = signed_in(t, &x, &acme, NOW + 20).await;
    assert_eq!(fresh.org.unwrap().org_id, acme.id);

    // Removal: grants go with the membership, the session falls back the same way.
    let (x_token, _) = signed_in(t, &x, &acme, NOW + 30).await;
    sqlx::query(
        "INSERT INTO grants (id, org_id, user_id, permission, granted_at) VALUES ('g1', $1, $2, 'analytics.export', 0)",
    )
    .bind(&acme.id)
    .bind(&x)
    .execute(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let mut tx = t.db.begin().await.unwrap();
    team::remove(&mut tx, &owner_access, &acme.id, &x_acme, NOW).await.unwrap();
    tx.commit().await.unwrap();
    let after = access_of(t, &x_token, NOW + 31).await.unwrap();
    assert_eq!(after.org.unwrap().org_id, globex.id);
    let grants: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM grants WHERE user_id = $1")
        .bind(&x)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert_eq!(grants, 0);
    // Removing again: not found.
    let mut tx = t.db.begin().await.unwrap();
    assert!(matches!(team::remove(&mut tx, &owner_access, &acme.id, &x_acme, NOW).await, Err(AppError::NotFound)));
});

db_test!(the_roster_shows_two_factor_and_role_conflicts, |t| {
    let acme = org(t, "Acme").await;
    let globex = org(t, "Globex").await;
    member(t, &acme, "owner@a.test", "owner").await;
    member(t, &acme, "c@c.test", "analyst").await;
    member(t, &globex, "c@c.test", "admin").await;
    let (_, fin) = member(t, &acme, "fin@a.test", "finance").await;
    sqlx::query("UPDATE users SET mfa_enrolled_at = NULL WHERE id = $1")
        .bind(&fin)
        .execute(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let roster = team::list(&mut conn, &acme.id, "UTC").await.unwrap();
    let by = |email: &str| roster.iter().find(|m| m.email == email).unwrap().clone();
    assert!(by("c@c.test").role_conflict);
    assert!(!by("owner@a.test").role_conflict);
    assert!(by("fin@a.test").mfa_missing());
    assert!(!by("owner@a.test").mfa_missing());
    assert!(!by("c@c.test").mfa_required);
    // Globex's roster does not leak Acme: only its own member, with the same flag.
    let globex_roster = team::list(&mut conn, &globex.id, "UTC").await.unwrap();
    assert_eq!(globex_roster.len(), 1);
    assert!(globex_roster[0].role_conflict);
});

async fn set_grants(
    t: &TestDb,
    editor: &Access,
    org: &Org,
    member: &str,
    wanted: &[Permission],
    expires_at: Option<i64>,
    now: i64,
) -> Result<app::grants::server::GrantChange, AppError> {
    let mut tx = t.db.begin().await.unwrap();
    let result = app::grants::server::set(&mut tx, editor, &org.id, member, wanted, expires_at, now).await;
    if result.is_ok() {
        tx.commit().await.unwrap();
    }
    result
}

db_test!(analytics_grants_apply_on_the_next_request_and_expire, |t| {
    use app::access::Permission::*;
    use app::grants::api::Source;
    let acme = org(t, "Acme").await;
    let (_, owner) = member(t, &acme, "owner@a.test", "owner").await;
    let (analyst_m, analyst) = member(t, &acme, "ana@a.test", "analyst").await;
    let (admin_m, admin) = member(t, &acme, "admin@a.test", "admin").await;
    let (_, owner_access) = signed_in(t, &owner, &acme, NOW).await;
    let (token, before) = signed_in(t, &analyst, &acme, NOW).await;
    assert!(!before.permissions.contains(AnalyticsViewRevenue));

    // Revenue granted (sales is the role's: skipped), export until tomorrow.
    let change =
        set_grants(t, &owner_access, &acme, &analyst_m, &[AnalyticsViewRevenue, AnalyticsViewSales], None, NOW).await;
    assert_eq!(change.unwrap().added, vec!["analytics.view_revenue"]);
    set_grants(t, &owner_access, &acme, &analyst_m, &[AnalyticsViewRevenue, AnalyticsExport], Some(NOW + 86_400), NOW)
        .await
        .unwrap();
    let now = access_of(t, &token, NOW + 1).await.unwrap();
    assert!(now.permissions.contains(AnalyticsViewRevenue) && now.permissions.contains(AnalyticsExport));
    // A day later (a new session: the old one has idled out) the export grant has ended.
    let later = signed_in(t, &analyst, &acme, NOW + 86_400).await.1;
    assert!(later.permissions.contains(AnalyticsViewRevenue) && !later.permissions.contains(AnalyticsExport));

    // The page shows role, grant (with who and until when) and absence.
    let mut conn = t.db.conn().await.unwrap();
    let rows = app::grants::server::list(&mut conn, &acme.id, "UTC", NOW + 1).await.unwrap();
    drop(conn);
    let ana = rows.iter().find(|r| r.email == "ana@a.test").unwrap();
    assert_eq!(ana.sources[0], Source::Role); // analytics.view
    assert!(matches!(&ana.sources[1], Source::Grant { by: Some(by), until: None, .. } if by == "owner@a.test"));
    assert_eq!(ana.sources[2], Source::Role); // view_sales
    assert!(matches!(&ana.sources[4], Source::Grant { until: Some(_), .. }));

    // Unticking revokes at once.
    let change = set_grants(t, &owner_access, &acme, &analyst_m, &[AnalyticsExport], None, NOW + 2).await.unwrap();
    assert_eq!(change.removed, vec!["analytics.view_revenue"]);
    assert!(!access_of(t, &token, NOW + 3).await.unwrap().permissions.contains(AnalyticsViewRevenue));

    // Nobody grants what they do not hold; another tenant's member is not found.
    let (_, admin_access) = signed_in(t, &admin, &acme, NOW).await;
    let _ = admin_m;
    let refused = set_grants(t, &admin_access, &acme, &analyst_m, &[AnalyticsViewRevenue], None, NOW).await;
    assert_eq!(code(refused), "grant_exceeds_yours");
    let globex = org(t, "Globex").await;
    let (globex_m, _) = member(t, &globex, "g@g.test", "viewer").await;
    let foreign = set_grants(t, &owner_access, &acme, &globex_m, &[AnalyticsView], None, NOW).await;
    assert!(matches!(foreign, Err(AppError::NotFound)));
});

#[test]
fn grant_expiry_is_a_future_day_within_a_year() {
    use app::grants::server::parse_expiry;
    assert_eq!(parse_expiry(None, "UTC", NOW).unwrap(), None);
    assert_eq!(parse_expiry(Some(" "), "UTC", NOW).unwrap(), None);
    // NOW is 2027-01-15 08:00 UTC.
    assert_eq!(parse_expiry(Some("2027-01-16"), "UTC", NOW).unwrap(), Some(1_800_057_600));
    assert_eq!(parse_expiry(Some("2027-01-16"), "Asia/Kolkata", NOW).unwrap(), Some(1_800_057_600 - 19_800));
    for bad in ["2027-01-15", "2020-01-01", "2029-01-01", "16/01/2027", "2027-02-30", "'; DROP TABLE grants"] {
        assert_eq!(parse_expiry(Some(bad), "UTC", NOW).unwrap_err().field(), Some("expires_on"), "{bad}");
    }
}

async fn invite(
    t: &TestDb,
    inviter: &Access,
    org: &Org,
    emails: &str,
    role: &str,
    now: i64,
) -> Result<app::invitations::server::Batch, AppError> {
    use app::invitations::server::{self as inv, Sender};
    let sender = Sender {
        org_id: &org.id,
        org_name: "Acme",
        inviter,
        public_origin: "http://127.0.0.1:3000",
        key: &support::SECRET_KEY,
    };
    let mut tx = t.db.begin().await.unwrap();
    let result =
        inv::invite(&mut tx, &sender, &inv::split_emails(emails), &role_id(&org.id, role), "Welcome!", 7, now).await;
    if result.is_ok() {
        tx.commit().await.unwrap();
    }
    result
}

async fn by_token(t: &TestDb, token: &str) -> Result<app::invitations::server::ByToken, AppError> {
    let mut conn = t.db.conn().await.unwrap();
    app::invitations::server::by_token(&mut conn, token).await
}

db_test!(a_batch_invites_the_valid_addresses_and_names_each_bad_one, |t| {
    let acme = org(t, "Acme").await;
    let (_, owner) = member(t, &acme, "owner@a.test", "owner").await;
    member(t, &acme, "already@a.test", "viewer").await;
    let (_, admin) = member(t, &acme, "admin@a.test", "admin").await;
    let (_, owner_access) = signed_in(t, &owner, &acme, NOW).await;
    let (_, admin_access) = signed_in(t, &admin, &acme, NOW).await;

    let batch = invite(
        t,
        &owner_access,
        &acme,
        "new1@x.test, New2@X.test\nnot-an-email; new1@x.test already@a.test",
        "viewer",
        NOW,
    )
    .await
    .unwrap();
    let sent: Vec<&str> = batch.sent.iter().map(|s| s.email.as_str()).collect();
    assert_eq!(sent, ["new1@x.test", "new2@x.test"]);
    let problems: Vec<(&str, &str)> = batch.problems.iter().map(|p| (p.email.as_str(), p.reason.as_str())).collect();
    assert_eq!(
        problems,
        [
            ("not-an-email", "not a valid email address"),
            ("new1@x.test", "listed more than once"),
            ("already@a.test", "already a member")
        ]
    );
    // One email each through the outbox, carrying the link for the recipient only (sealed);
    // only the token's hash is stored.
    let link = format!("/invite/{}", batch.sent[0].token);
    assert!(support::mail_to(t, "new1@x.test").await.contains(&link));
    let readable: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE body LIKE $1")
        .bind(format!("%{link}%"))
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert_eq!(readable, 0);
    let plain: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM invitations WHERE token_hash = $1")
        .bind(&batch.sent[0].token)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert_eq!(plain, 0);

    // Inviting a pending address again is named; the limits hold; nothing is half-done.
    let again = invite(t, &owner_access, &acme, "new1@x.test", "viewer", NOW).await.unwrap();
    assert!(again.sent.is_empty() && again.problems[0].reason.starts_with("already invited"));
    let many: String = (0..51).map(|i| format!("p{i}@x.test ")).collect();
    assert_eq!(invite(t, &owner_access, &acme, &many, "viewer", NOW).await.err().unwrap().field(), Some("emails"));
    assert_eq!(invite(t, &owner_access, &acme, "  ", "viewer", NOW).await.err().unwrap().field(), Some("emails"));
    assert_eq!(code(invite(t, &admin_access, &acme, "boss@x.test", "owner", NOW).await), "role_exceeds_yours");
    let count: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM invitations")
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert_eq!(count, 2);
    assert!(app::invitations::server::parse_days("0").is_err());
    assert!(app::invitations::server::parse_days("31").is_err());
    assert!(app::invitations::server::parse_days("x").is_err());
    assert_eq!(app::invitations::server::parse_days("").unwrap(), 7);
    assert_eq!(app::invitations::server::parse_days("30").unwrap(), 30);
});

db_test!(invitation_links_work_once_for_the_invited_address_until_they_expire, |t| {
    use app::invitations::server as inv;
    let acme = org(t, "Acme").await;
    let (_, owner) = member(t, &acme, "owner@a.test", "owner").await;
    let (_, owner_access) = signed_in(t, &owner, &acme, NOW).await;
    let globex = org(t, "Globex").await;
    let (_, joiner) = member(t, &globex, "joiner@x.test", "owner").await;
    let (_, other) = member(t, &globex, "other@x.test", "viewer").await;

    let sent = invite(t, &owner_access, &acme, "joiner@x.test", "analyst", NOW).await.unwrap().sent.remove(0);
    let invitation = by_token(t, &sent.token).await.unwrap();
    assert_eq!(invitation.info(None, NOW).state, app::invitations::api::InvitationState::Pending);
    assert!(matches!(by_token(t, "no-such-token").await, Err(AppError::NotFound)));

    // Another address is refused; the invited one joins with the role, once.
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(
        code(inv::accept(&mut tx, &invitation, &other, "other@x.test", NOW + 1).await),
        "invitation_other_email"
    );
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    inv::accept(&mut tx, &invitation, &joiner, "Joiner@X.test", NOW + 1).await.unwrap();
    tx.commit().await.unwrap();
    let (_, joined) = signed_in(t, &joiner, &acme, NOW + 2).await;
    assert_eq!(joined.org.unwrap().role_key, "analyst");
    let used = by_token(t, &sent.token).await.unwrap();
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(code(inv::accept(&mut tx, &used, &joiner, "joiner@x.test", NOW + 3).await), "invitation_used");
    drop(tx);

    // Expired and revoked links say so; a resent link replaces the old one.
    let late = invite(t, &owner_access, &acme, "late@x.test", "viewer", NOW).await.unwrap().sent.remove(0);
    let expired = by_token(t, &late.token).await.unwrap();
    assert_eq!(code(expired.check_open(NOW + 7 * 86_400)), "invitation_expired");
    let sender = inv::Sender {
        org_id: &acme.id,
        org_name: "Acme",
        inviter: &owner_access,
        public_origin: "http://x",
        key: &support::SECRET_KEY,
    };
    let mut tx = t.db.begin().await.unwrap();
    let fresh = inv::resend(&mut tx, &sender, &late.id, NOW + 8 * 86_400).await.unwrap();
    tx.commit().await.unwrap();
    assert!(matches!(by_token(t, &late.token).await, Err(AppError::NotFound)), "the old link is dead");
    by_token(t, &fresh.token).await.unwrap().check_open(NOW + 8 * 86_400 + 1).unwrap();
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(inv::revoke(&mut tx, &acme.id, &late.id, NOW + 9 * 86_400).await.unwrap(), "late@x.test");
    tx.commit().await.unwrap();
    assert_eq!(code(by_token(t, &fresh.token).await.unwrap().check_open(NOW + 9 * 86_400)), "invitation_revoked");
    // Another tenant cannot touch Acme's invitations.
    let mut tx = t.db.begin().await.unwrap();
    assert!(matches!(inv::revoke(&mut tx, &globex.id, &late.id, NOW).await, Err(AppError::NotFound)));
    drop(tx);
    let mut conn = t.db.conn().await.unwrap();
    let list = inv::list(&mut conn, &acme.id, "UTC", NOW + 9 * 86_400).await.unwrap();
    assert_eq!((list.accepted, list.revoked, list.pending), (1, 1, 0));
});

async fn create_role(
    t: &TestDb,
    editor: &Access,
    org: &Org,
    name: &str,
    template: Option<String>,
) -> Result<app::roles::api::RoleView, AppError> {
    let mut tx = t.db.begin().await.unwrap();
    let result = app::roles::server::create(&mut tx, editor, &org.id, name, "", template.as_deref(), NOW).await;
    if result.is_ok() {
        tx.commit().await.unwrap();
    }
    result
}

async fn set_permission(
    t: &TestDb,
    editor: &Access,
    org: &Org,
    role: &str,
    key: &str,
    on: bool,
) -> Result<app::roles::api::RoleView, AppError> {
    let mut tx = t.db.begin().await.unwrap();
    let result = app::roles::server::set_permission(&mut tx, editor, &org.id, role, key, on, NOW).await;
    if result.is_ok() {
        tx.commit().await.unwrap();
    }
    result.map(|(view, _)| view)
}

db_test!(custom_roles_hold_only_what_their_editor_holds, |t| {
    use app::roles::server as roles;
    let acme = org(t, "Acme").await;
    let (_, owner) = member(t, &acme, "owner@a.test", "owner").await;
    let (_, admin) = member(t, &acme, "admin@a.test", "admin").await;
    let (_, owner_access) = signed_in(t, &owner, &acme, NOW).await;
    let (_, admin_access) = signed_in(t, &admin, &acme, NOW).await;
    // Names clashing with built-ins or each other are refused, with the field named.
    for clash in ["Owner", "finance admin", "FINANCE_ADMIN", "  "] {
        assert_eq!(
            create_role(t, &owner_access, &acme, clash, None).await.unwrap_err().field(),
            Some("name"),
            "{clash}"
        );
    }
    // From the viewer template; an admin cannot start from the member role (orders.write).
    let support = create_role(t, &owner_access, &acme, "Support", Some(role_id(&acme.id, "viewer"))).await.unwrap();
    assert_eq!(support.permissions, ["orders.read"]);
    assert_eq!(create_role(t, &owner_access, &acme, "support", None).await.unwrap_err().field(), Some("name"));
    assert_eq!(
        code(create_role(t, &admin_access, &acme, "Desk", Some(role_id(&acme.id, "member"))).await),
        "role_exceeds_yours"
    );

    let after = set_permission(t, &owner_access, &acme, &support.id, "customers.pii.read", true).await.unwrap();
    assert!(after.mfa_required, "a privileged permission makes the role require MFA");
    assert_eq!(
        set_permission(t, &owner_access, &acme, &support.id, "platform.tenants.read", true).await.unwrap_err().field(),
        Some("permission")
    );
    assert_eq!(
        set_permission(t, &owner_access, &acme, &support.id, "no.such", true).await.unwrap_err().field(),
        Some("permission")
    );
    assert_eq!(
        code(set_permission(t, &admin_access, &acme, &support.id, "invoices.read", true).await),
        "role_exceeds_yours"
    );
    assert_eq!(
        code(set_permission(t, &owner_access, &acme, &role_id(&acme.id, "viewer"), "orders.write", true).await),
        "builtin_role"
    );

    // A member holding the role gets an edit on their next request; a role in use stays.
    let (m, user) = member(t, &acme, "agent@a.test", "viewer").await;
    sqlx::query("UPDATE memberships SET role_id = $1 WHERE id = $2")
        .bind(&support.id)
        .bind(&m)
        .execute(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let (token, before) = signed_in(t, &user, &acme, NOW).await;
    assert!(!before.permissions.contains(Permission::OrdersWrite));
    set_permission(t, &owner_access, &acme, &support.id, "orders.write", true).await.unwrap();
    assert!(access_of(t, &token, NOW + 1).await.unwrap().permissions.contains(Permission::OrdersWrite));
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(code(roles::delete(&mut tx, &acme.id, &support.id).await), "role_in_use");
    drop(tx);
    // Unused, it goes; another tenant cannot see it at all.
    let spare = create_role(t, &owner_access, &acme, "Spare", None).await.unwrap();
    let globex = org(t, "Globex").await;
    let mut tx = t.db.begin().await.unwrap();
    assert!(matches!(roles::delete(&mut tx, &globex.id, &spare.id).await, Err(AppError::NotFound)));
    assert_eq!(roles::delete(&mut tx, &acme.id, &spare.id).await.unwrap(), "Spare");
    tx.commit().await.unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let names: Vec<String> = roles::list(&mut conn, &acme.id).await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names.first().map(String::as_str), Some("owner"));
    assert_eq!(names.last().map(String::as_str), Some("Support"));
});

db_test!(ownership_moves_only_when_the_new_owner_accepts, |t| {
    let acme = org(t, "Acme").await;
    let (owner_m, owner) = member(t, &acme, "owner@a.test", "owner").await;
    let (admin_m, admin) = member(t, &acme, "admin@a.test", "admin").await;
    let (_, viewer) = member(t, &acme, "viewer@a.test", "viewer").await;
    let (_, owner_access) = signed_in(t, &owner, &acme, NOW).await;
    let (_, admin_access) = signed_in(t, &admin, &acme, NOW).await;
    let offer = |editor: Access, to: String| async move {
        let mut tx = t.db.begin().await.unwrap();
        let r = team::offer_ownership(&mut tx, &editor, "org-Acme", &to, NOW).await;
        if r.is_ok() {
            tx.commit().await.unwrap();
        }
        r.map(|(id, _)| id)
    };
    assert_eq!(code(offer(admin_access.clone(), owner_m.clone()).await), "owner_only");
    assert_eq!(code(offer(owner_access.clone(), owner_m.clone()).await), "already_owner");
    let first = offer(owner_access.clone(), admin_m.clone()).await.unwrap();
    // Nothing changed yet; only the addressee sees the offer; a new offer replaces it.
    assert_eq!(role_of(t, &admin_m).await, "admin");
    let mut conn = t.db.conn().await.unwrap();
    assert!(team::offer_for(&mut conn, &acme.id, &viewer, NOW).await.unwrap().is_none());
    assert_eq!(team::offer_for(&mut conn, &acme.id, &admin, NOW).await.unwrap().unwrap().id, first);
    drop(conn);
    let second = offer(owner_access.clone(), admin_m.clone()).await.unwrap();
    let answer = |user: String, id: String, accept: bool, now: i64| async move {
        let mut tx = t.db.begin().await.unwrap();
        let r = team::answer_ownership(&mut tx, "org-Acme", &user, &id, accept, now).await;
        if r.is_ok() {
            tx.commit().await.unwrap();
        }
        r.map(|_| ())
    };
    assert!(matches!(answer(admin.clone(), first, true, NOW).await, Err(AppError::NotFound)), "cancelled");
    assert!(matches!(answer(viewer.clone(), second.clone(), true, NOW).await, Err(AppError::NotFound)), "not theirs");
    let expired = NOW + team::TRANSFER_DAYS * 86_400;
    assert!(matches!(answer(admin.clone(), second.clone(), true, expired).await, Err(AppError::NotFound)), "expired");
    answer(admin.clone(), second, true, NOW + 1).await.unwrap();
    assert_eq!((role_of(t, &admin_m).await.as_str(), role_of(t, &owner_m).await.as_str()), ("owner", "admin"));
    // Declining changes nothing.
    let (_, new_owner_access) = signed_in(t, &admin, &acme, NOW + 2).await;
    let (viewer_m, _) = (format!("m-{}-viewer@a.test", acme.id), ());
    let third = offer(new_owner_access, viewer_m.clone()).await.unwrap();
    answer(viewer.clone(), third, false, NOW + 3).await.unwrap();
    assert_eq!(role_of(t, &viewer_m).await, "viewer");
});

db_test!(delegation_ceilings_ignore_time_limited_grants, |t| {
    use app::access::Permission::{AnalyticsView, AnalyticsViewRevenue};
    use app::invitations::server::{self as inv, Sender};
    let acme = org(t, "Acme").await;
    let (_, owner) = member(t, &acme, "owner@a.test", "owner").await;
    let (admin_m, admin) = member(t, &acme, "admin@a.test", "admin").await;
    let (viewer_m, _) = member(t, &acme, "viewer@a.test", "viewer").await;
    let (_, owner_access) = signed_in(t, &owner, &acme, NOW).await;
    // The owner lends the admin revenue figures for three days.
    set_grants(t, &owner_access, &acme, &admin_m, &[AnalyticsView, AnalyticsViewRevenue], Some(NOW + 3 * 86_400), NOW)
        .await
        .unwrap();
    let (_, admin_access) = signed_in(t, &admin, &acme, NOW).await;
    assert!(admin_access.permissions.contains(AnalyticsViewRevenue), "the admin may use the grant");

    // …but not pass it on: not in a role they make or edit…
    let desk = create_role(t, &admin_access, &acme, "Desk", None).await.unwrap();
    assert_eq!(
        code(set_permission(t, &admin_access, &acme, &desk.id, "analytics.view_revenue", true).await),
        "role_exceeds_yours"
    );
    // …not by giving a role that holds it (the owner made one)…
    let revenue_desk = create_role(t, &owner_access, &acme, "Revenue desk", None).await.unwrap();
    set_permission(t, &owner_access, &acme, &revenue_desk.id, "analytics.view_revenue", true).await.unwrap();
    let mut tx = t.db.begin().await.unwrap();
    let given = team::change_role(&mut tx, &admin_access, &acme.id, &viewer_m, &revenue_desk.id, NOW).await;
    assert_eq!(code(given), "role_exceeds_yours");
    drop(tx);
    // …not by inviting with it, nor by sending the owner's invitation with it again…
    let admin_sender = Sender {
        org_id: &acme.id,
        org_name: "Acme",
        inviter: &admin_access,
        public_origin: "http://x",
        key: &support::SECRET_KEY,
    };
    let mut tx = t.db.begin().await.unwrap();
    let emails = inv::split_emails("new@a.test");
    let invited = inv::invite(&mut tx, &admin_sender, &emails, &revenue_desk.id, "", 7, NOW).await;
    assert_eq!(code(invited), "role_exceeds_yours");
    drop(tx);
    let owner_sender = Sender {
        org_id: &acme.id,
        org_name: "Acme",
        inviter: &owner_access,
        public_origin: "http://x",
        key: &support::SECRET_KEY,
    };
    let mut tx = t.db.begin().await.unwrap();
    let batch = inv::invite(&mut tx, &owner_sender, &emails, &revenue_desk.id, "", 7, NOW).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(code(inv::resend(&mut tx, &admin_sender, &batch.sent[0].id, NOW).await), "role_exceeds_yours");
    drop(tx);
    // …nor as a grant.
    let granted = set_grants(t, &admin_access, &acme, &viewer_m, &[AnalyticsViewRevenue], None, NOW).await;
    assert_eq!(code(granted), "grant_exceeds_yours");
    // What the admin's role holds they can still give.
    let (member_m, _) = member(t, &acme, "member@a.test", "member").await;
    let mut tx = t.db.begin().await.unwrap();
    team::change_role(&mut tx, &admin_access, &acme.id, &member_m, &role_id(&acme.id, "viewer"), NOW).await.unwrap();
});

db_test!(removing_a_member_withdraws_their_ownership_offer, |t| {
    let acme = org(t, "Acme").await;
    let (_, owner) = member(t, &acme, "owner@a.test", "owner").await;
    let (viewer_m, viewer) = member(t, &acme, "viewer@a.test", "viewer").await;
    let (_, owner_access) = signed_in(t, &owner, &acme, NOW).await;
    let mut tx = t.db.begin().await.unwrap();
    let (offer, _) = team::offer_ownership(&mut tx, &owner_access, &acme.id, &viewer_m, NOW).await.unwrap();
    team::remove(&mut tx, &owner_access, &acme.id, &viewer_m, NOW).await.unwrap();
    tx.commit().await.unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM ownership_transfers WHERE id = $1")
        .bind(&offer)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert_eq!(status, "cancelled");
    // Invited back, they find no offer waiting.
    member(t, &acme, "viewer@a.test", "viewer").await;
    let mut conn = t.db.conn().await.unwrap();
    assert!(team::offer_for(&mut conn, &acme.id, &viewer, NOW).await.unwrap().is_none());
});

db_test!(one_address_invited_by_four_requests_at_once_is_invited_once, |t| {
    let acme = org(t, "Acme").await;
    let (_, owner) = member(t, &acme, "owner@a.test", "owner").await;
    let (_, owner_access) = signed_in(t, &owner, &acme, NOW).await;
    let (a, b, c, d) = tokio::join!(
        invite(t, &owner_access, &acme, "same@x.test", "viewer", NOW),
        invite(t, &owner_access, &acme, "same@x.test", "viewer", NOW),
        invite(t, &owner_access, &acme, "same@x.test", "viewer", NOW),
        invite(t, &owner_access, &acme, "same@x.test", "viewer", NOW),
    );
    let batches = [a, b, c, d].map(|r| r.expect("each request answers as the sequential case does"));
    assert_eq!(batches.iter().map(|b| b.sent.len()).sum::<usize>(), 1);
    for batch in batches.iter().filter(|b| b.sent.is_empty()) {
        assert!(batch.problems[0].reason.starts_with("already invited"), "{:?}", batch.problems);
    }
    let rows: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM invitations WHERE email = 'same@x.test'")
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert_eq!(rows, 1);
});

db_test!(an_organization_sends_at_most_its_daily_invitations, |t| {
    use app::invitations::DAILY_INVITATIONS;
    let acme = org(t, "Acme").await;
    let (_, owner) = member(t, &acme, "owner@a.test", "owner").await;
    let (_, owner_access) = signed_in(t, &owner, &acme, NOW).await;
    for round in 0..DAILY_INVITATIONS / 50 {
        let emails: String = (0..50).map(|i| format!("p{round}-{i}@x.test ")).collect();
        assert_eq!(invite(t, &owner_access, &acme, &emails, "viewer", NOW).await.unwrap().sent.len(), 50);
    }
    let over = invite(t, &owner_access, &acme, "one-more@x.test", "viewer", NOW + 60).await;
    assert_eq!(code(over), "daily_invitation_cap");
    // A day later the window has moved on.
    let later = invite(t, &owner_access, &acme, "one-more@x.test", "viewer", NOW + 86_400).await.unwrap();
    assert_eq!(later.sent.len(), 1);
});

db_test!(two_custom_roles_of_one_name_created_at_once_make_one, |t| {
    let acme = org(t, "Acme").await;
    let (_, owner) = member(t, &acme, "owner@a.test", "owner").await;
    let (_, owner_access) = signed_in(t, &owner, &acme, NOW).await;
    let (a, b, c) = tokio::join!(
        create_role(t, &owner_access, &acme, "Desk", None),
        create_role(t, &owner_access, &acme, "Desk", None),
        create_role(t, &owner_access, &acme, "desk", None),
    );
    let results = [a, b, c];
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for refused in results.into_iter().filter(Result::is_err) {
        assert_eq!(refused.unwrap_err().field(), Some("name"));
    }
});
