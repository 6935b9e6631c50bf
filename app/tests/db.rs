//! Database tests of the foundation, each run on SQLite and on PostgreSQL.

mod support;

use app::access::load_access;
use app::audit::{Actor, GENESIS};
use app::auth::PasswordHasher;
use app::auth::server::{SignUpInput, confirm_sign_up, request_sign_up, sign_in, sign_out};
use app::auth::session::NewSession;
use app::db::Backend;
use app::error::AppError;
use app::orgs::server::NewOrg;
use app::request::RequestMeta;
use sqlx::Executor;
use support::{TestDb, count, mail_to, mailed_token};

const NOW: i64 = 1_800_000_000;
const PASSWORD: &str = "a long and unusual passphrase";

fn meta(ip: &str) -> RequestMeta {
    RequestMeta { ip: Some(ip.to_string()), user_agent: Some("db-tests".into()), session_token: None }
}

fn hasher() -> PasswordHasher {
    PasswordHasher::new(4)
}

/// The session of a sign-in without MFA (these accounts are not enrolled).
fn session_of(step: app::auth::server::SignInStep) -> NewSession {
    match step {
        app::auth::server::SignInStep::Session { session, .. } => session,
        other => panic!("expected a session, got {other:?}"),
    }
}

/// Signs up `email` the whole way: the request, then the link from the mail.
async fn signed_up(t: &TestDb, email: &str, org: &str) -> (NewSession, NewOrg) {
    let input = SignUpInput::parse("Test User", email, PASSWORD, org).unwrap();
    request_sign_up(&t.db, &t.config(), &hasher(), &input, &meta("10.0.0.1"), NOW).await.unwrap();
    let token = mailed_token(t, &input.email, "/signup/confirm/").await;
    confirm_sign_up(&t.db, &t.config(), &hasher(), &token, PASSWORD, &meta("10.0.0.1"), NOW).await.unwrap()
}

async fn scalar(t: &TestDb, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql).bind(bind).fetch_one(&mut *t.db.conn().await.unwrap()).await.unwrap()
}

db_test!(migrations_are_idempotent, |t| {
    t.db.migrate().await.unwrap();
    t.db.migrate().await.unwrap();
    for table in ["users", "organizations", "memberships", "roles", "subscriptions", "sessions", "audit_events"] {
        assert_eq!(count(&t.db, table).await, 0, "{table}");
    }
});

db_test!(sign_up_creates_account_org_membership_trial_and_session, |t| {
    let (session, org) = signed_up(t, "Founder@Example.test", "Founders Inc").await;
    assert_eq!(org.slug, "founders-inc");
    assert_eq!(count(&t.db, "users").await, 1);
    assert_eq!(scalar(t, "SELECT CAST(COUNT(*) AS BIGINT) FROM roles WHERE org_id = $1", &org.id).await, 7);
    let role: String = sqlx::query_scalar(
        "SELECT r.role_key FROM memberships m JOIN roles r ON r.id = m.role_id JOIN users u ON u.id = m.user_id \
         WHERE u.email = $1",
    )
    .bind("founder@example.test")
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    assert_eq!(role, "owner");
    let (plan, status, trial_ends): (String, String, i64) =
        sqlx::query_as("SELECT plan, status, trial_ends_at FROM subscriptions WHERE org_id = $1")
            .bind(&org.id)
            .fetch_one(&mut *t.db.conn().await.unwrap())
            .await
            .unwrap();
    assert_eq!((plan.as_str(), status.as_str()), ("trial", "trialing"));
    assert_eq!(trial_ends, NOW + 14 * 86_400);
    // The org starts in onboarding; the session is live and points at it.
    let (access, _) = load_access(&t.db, &t.config(), Some(&session.token), NOW + 1).await.unwrap().unwrap();
    let org_access = access.org.unwrap();
    assert_eq!(org_access.org_id, org.id);
    assert!(!org_access.onboarding_complete);
    assert_eq!(org_access.role_key, "owner");
    // Only the hash of the token is stored.
    assert_eq!(
        scalar(t, "SELECT CAST(COUNT(*) AS BIGINT) FROM sessions WHERE token_hash = $1", &session.token).await,
        0
    );
    assert_eq!(
        scalar(t, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = $1", "auth.sign_up").await,
        1
    );
});

db_test!(sign_up_rolls_back_fully_when_a_step_fails, |t| {
    // Make the last insert of the sign-up fail, as a real constraint or outage would.
    let trigger = match t.backend {
        Backend::Sqlite => "CREATE TRIGGER fail_sub BEFORE INSERT ON subscriptions \
                            BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
            .to_string(),
        Backend::Postgres => "CREATE FUNCTION fail_sub() RETURNS trigger AS $$ BEGIN \
                              RAISE EXCEPTION 'injected failure'; END; $$ LANGUAGE plpgsql; \
                              CREATE TRIGGER fail_sub BEFORE INSERT ON subscriptions \
                              FOR EACH ROW EXECUTE FUNCTION fail_sub();"
            .to_string(),
    };
    (&mut *t.db.conn().await.unwrap()).execute(trigger.as_str()).await.unwrap();
    let input = SignUpInput::parse("Test User", "atomic@example.test", PASSWORD, "Atomic Ltd").unwrap();
    request_sign_up(&t.db, &t.config(), &hasher(), &input, &meta("10.0.0.1"), NOW).await.unwrap();
    let token = mailed_token(t, "atomic@example.test", "/signup/confirm/").await;
    let result = confirm_sign_up(&t.db, &t.config(), &hasher(), &token, PASSWORD, &meta("10.0.0.1"), NOW).await;
    assert_eq!(result.unwrap_err(), AppError::Internal);
    for table in ["users", "organizations", "roles", "memberships", "subscriptions", "sessions"] {
        assert_eq!(count(&t.db, table).await, 0, "{table} kept a row of a failed sign-up");
    }
    assert_eq!(
        scalar(t, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = $1", "auth.sign_up").await,
        0
    );
    // The link was not spent by the failure.
    assert_eq!(count(&t.db, "signup_requests").await, 1);
});

db_test!(sign_up_of_a_known_address_says_nothing_and_mails_its_owner, |t| {
    signed_up(t, "dup@example.test", "First Org").await;
    let input = SignUpInput::parse("Other", "DUP@example.test", PASSWORD, "Second Org").unwrap();
    // The same answer as for a new address…
    request_sign_up(&t.db, &t.config(), &hasher(), &input, &meta("10.0.0.2"), NOW + 1).await.unwrap();
    // …but no link: the owner of the address is told they have an account.
    let mail = mail_to(t, "dup@example.test").await;
    assert!(mail.contains("already has one") && !mail.contains("/signup/confirm/"), "{mail}");
    assert_eq!(count(&t.db, "signup_requests").await, 0);
    assert_eq!(count(&t.db, "users").await, 1);
    assert_eq!(count(&t.db, "organizations").await, 1);
});

db_test!(a_sign_up_link_works_once_and_until_it_expires, |t| {
    let input = SignUpInput::parse("Once", "once@example.test", PASSWORD, "Once Org").unwrap();
    request_sign_up(&t.db, &t.config(), &hasher(), &input, &meta("10.0.0.3"), NOW).await.unwrap();
    let token = mailed_token(t, "once@example.test", "/signup/confirm/").await;
    // Operators see the mail without its link.
    let stored: String = sqlx::query_scalar("SELECT body FROM outbox WHERE to_addr = 'once@example.test'")
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert!(!stored.contains(&token) && stored.contains(app::mail::HIDDEN), "{stored}");
    // The link alone is not enough: whoever follows it must know the password chosen with it
    // (else anyone could ask for an account in someone else's name and wait for the click).
    let (config, request, h) = (t.config(), meta("10.0.0.3"), hasher());
    let wrong = confirm_sign_up(&t.db, &config, &h, &token, "not the chosen password", &request, NOW + 1).await;
    assert_eq!(wrong.unwrap_err().field(), Some("password"));
    assert_eq!(count(&t.db, "users").await, 0);
    // Followed twice at once: one account.
    let (a, b) = tokio::join!(
        confirm_sign_up(&t.db, &config, &h, &token, PASSWORD, &request, NOW + 1),
        confirm_sign_up(&t.db, &config, &h, &token, PASSWORD, &request, NOW + 1),
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{:?} / {:?}", a.as_ref().err(), b.as_ref().err());
    assert_eq!(count(&t.db, "users").await, 1);
    // An expired link creates nothing.
    let late = SignUpInput::parse("Late", "late@example.test", PASSWORD, "Late Org").unwrap();
    request_sign_up(&t.db, &t.config(), &hasher(), &late, &meta("10.0.0.3"), NOW).await.unwrap();
    let token = mailed_token(t, "late@example.test", "/signup/confirm/").await;
    let expired = NOW + app::auth::server::SIGNUP_LINK_SECS;
    let error =
        confirm_sign_up(&t.db, &t.config(), &hasher(), &token, PASSWORD, &meta("10.0.0.3"), expired).await.unwrap_err();
    assert_eq!(error.code(), "signup_link_invalid");
    assert_eq!(count(&t.db, "users").await, 1);
});

db_test!(wrong_password_and_unknown_email_answer_alike, |t| {
    signed_up(t, "known@example.test", "Known Org").await;
    let config = t.config();
    let wrong =
        sign_in(&t.db, &config, &hasher(), "known@example.test", "not the password", "/", &meta("10.1.0.1"), NOW)
            .await
            .map(session_of)
            .unwrap_err();
    let unknown = sign_in(&t.db, &config, &hasher(), "nobody@example.test", PASSWORD, "/", &meta("10.1.0.1"), NOW)
        .await
        .map(session_of)
        .unwrap_err();
    assert_eq!(wrong, AppError::InvalidCredentials);
    assert_eq!(unknown, wrong);
    // Both failures are audited; neither opened a session.
    assert_eq!(scalar(t, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE outcome = $1", "failed").await, 2);
    assert_eq!(count(&t.db, "sessions").await, 1); // the sign-up's
    // Emails are normalized at sign-in too.
    sign_in(&t.db, &config, &hasher(), " KNOWN@example.test ", PASSWORD, "/", &meta("10.1.0.1"), NOW)
        .await
        .map(session_of)
        .unwrap();
});

db_test!(repeated_failures_are_throttled_per_account_then_released, |t| {
    signed_up(t, "target@example.test", "Target Org").await;
    let config = t.config();
    let h = hasher();
    for i in 0..5 {
        // Different addresses: the account counter alone trips.
        let m = meta(&format!("10.2.0.{i}"));
        let e = sign_in(&t.db, &config, &h, "target@example.test", "guess", "/", &m, NOW)
            .await
            .map(session_of)
            .unwrap_err();
        assert_eq!(e, AppError::InvalidCredentials);
    }
    // Throttled: even the right password is not checked until the delay has passed…
    let e = sign_in(&t.db, &config, &h, "target@example.test", PASSWORD, "/", &meta("10.2.1.1"), NOW + 1)
        .await
        .map(session_of);
    assert_eq!(e.unwrap_err(), AppError::Throttled { retry_after: 1 });
    // …which is short: the victim is back in after a couple of seconds.
    sign_in(&t.db, &config, &h, "target@example.test", PASSWORD, "/", &meta("10.2.1.1"), NOW + 2)
        .await
        .map(session_of)
        .unwrap();
    // Success clears the account counter.
    let key = app::auth::throttle::account_key("target@example.test");
    assert_eq!(scalar(t, "SELECT CAST(COUNT(*) AS BIGINT) FROM login_throttle WHERE throttle_key = $1", &key).await, 0);
    assert_eq!(scalar(t, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE reason = $1", "throttled").await, 1);
});

db_test!(one_address_guessing_many_accounts_is_throttled, |t| {
    let config = t.config();
    let h = hasher();
    let attacker = meta("203.0.113.7");
    for i in 0..20 {
        let email = format!("victim{i}@example.test");
        let e = sign_in(&t.db, &config, &h, &email, "guess", "/", &attacker, NOW).await.map(session_of).unwrap_err();
        assert_eq!(e, AppError::InvalidCredentials);
    }
    let e = sign_in(&t.db, &config, &h, "victim99@example.test", "guess", "/", &attacker, NOW)
        .await
        .map(session_of)
        .unwrap_err();
    assert!(matches!(e, AppError::Throttled { .. }), "{e:?}");
    // Another address is not affected.
    let e = sign_in(&t.db, &config, &h, "victim99@example.test", "guess", "/", &meta("198.51.100.1"), NOW)
        .await
        .map(session_of);
    assert_eq!(e.unwrap_err(), AppError::InvalidCredentials);
});

db_test!(sign_out_kills_the_session_server_side, |t| {
    let (session, org) = signed_up(t, "leaver@example.test", "Leaving Org").await;
    let config = t.config();
    let (access, session_id) = load_access(&t.db, &config, Some(&session.token), NOW).await.unwrap().unwrap();
    sign_out(&t.db, &session_id, Actor::user(&access.user_id, &access.email), Some(&org.id), &meta("10.0.0.1"), NOW)
        .await
        .unwrap();
    assert!(load_access(&t.db, &config, Some(&session.token), NOW + 1).await.unwrap().is_none());
    assert_eq!(count(&t.db, "sessions").await, 0);
});

db_test!(idle_and_absolute_timeouts_end_sessions, |t| {
    let (session, _) = signed_up(t, "idle@example.test", "Idle Org").await;
    let config = t.config();
    // The owner's role requires MFA, so the shorter idle timeout applies.
    let idle = config.session_privileged_idle_secs;
    assert!(load_access(&t.db, &config, Some(&session.token), NOW + idle - 1).await.unwrap().is_some());
    // Activity moved last-seen forward, so the clock restarts from there.
    let later = NOW + idle - 1 + idle;
    assert!(load_access(&t.db, &config, Some(&session.token), later - 1).await.unwrap().is_some());
    assert!(load_access(&t.db, &config, Some(&session.token), later - 1 + idle).await.unwrap().is_none());
    assert_eq!(count(&t.db, "sessions").await, 0, "an expired session is deleted on sight");

    // Absolute: active all the time, still ends at the absolute limit.
    let s = sign_in(&t.db, &config, &hasher(), "idle@example.test", PASSWORD, "/", &meta("10.0.0.1"), NOW)
        .await
        .map(session_of)
        .unwrap();
    let mut at = NOW;
    while at + idle / 2 < NOW + config.session_absolute_secs {
        at += idle / 2;
        assert!(load_access(&t.db, &config, Some(&s.token), at).await.unwrap().is_some());
    }
    let end = NOW + config.session_absolute_secs;
    assert!(load_access(&t.db, &config, Some(&s.token), end).await.unwrap().is_none());
});

db_test!(sign_in_kills_the_pre_login_session, |t| {
    let (old, _) = signed_up(t, "fixation@example.test", "Fixation Org").await;
    let config = t.config();
    let mut m = meta("10.0.0.1");
    m.session_token = Some(old.token.clone());
    let new = sign_in(&t.db, &config, &hasher(), "fixation@example.test", PASSWORD, "/", &m, NOW)
        .await
        .map(session_of)
        .unwrap();
    assert_ne!(new.token, old.token);
    assert!(load_access(&t.db, &config, Some(&old.token), NOW).await.unwrap().is_none());
    assert!(load_access(&t.db, &config, Some(&new.token), NOW).await.unwrap().is_some());
});

db_test!(queries_are_scoped_to_the_session_org, |t| {
    let (_, acme) = signed_up(t, "a@acme.example", "Acme Scoped").await;
    let (_, globex) = signed_up(t, "g@globex.example", "Globex Scoped").await;
    let mut conn = t.db.conn().await.unwrap();
    let acme_members = app::team::server::list(&mut conn, &acme.id, "UTC").await.unwrap();
    assert_eq!(acme_members.len(), 1);
    assert_eq!(acme_members[0].email, "a@acme.example");
    // Globex's membership id, asked for within Acme: 404, as if it did not exist.
    let e = app::team::server::find(&mut conn, &acme.id, "UTC", &globex.owner_membership_id).await.unwrap_err();
    assert_eq!(e, AppError::NotFound);
    assert!(app::team::server::find(&mut conn, &globex.id, "UTC", &globex.owner_membership_id).await.is_ok());
    // Switching into an organization one is not a member of: 404 too.
    let acme_owner = acme_members[0].user_id.clone();
    let e = app::orgs::server::membership_id(&mut conn, &acme_owner, &globex.id).await.unwrap_err();
    assert_eq!(e, AppError::NotFound);
});

db_test!(a_removed_membership_falls_back_to_another_org, |t| {
    let config = t.config();
    let (session, first) = signed_up(t, "multi@example.test", "First Multi").await;
    let (access, session_id) = load_access(&t.db, &config, Some(&session.token), NOW).await.unwrap().unwrap();
    let second = app::auth::server::create_org(
        &t.db,
        &access.user_id,
        &access.email,
        &session_id,
        "Second Multi",
        &meta("10.0.0.1"),
        NOW,
    )
    .await
    .unwrap();
    let (access, _) = load_access(&t.db, &config, Some(&session.token), NOW).await.unwrap().unwrap();
    assert_eq!(access.org_id(), Some(second.id.as_str()));
    // Removed from the active organization: the next request lands in the other one.
    sqlx::query("DELETE FROM memberships WHERE id = $1")
        .bind(&second.owner_membership_id)
        .execute(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let (access, _) = load_access(&t.db, &config, Some(&session.token), NOW + 1).await.unwrap().unwrap();
    assert_eq!(access.org_id(), Some(first.id.as_str()));
});

db_test!(the_access_load_lists_every_membership_in_name_order, |t| {
    // The page frame's organization switcher comes with the access, from the same statement
    // (a JSON aggregate on both backends): every membership with its organization, role and
    // id, in name order, names with quotes, a backslash and non-ASCII letters intact.
    use app::orgs::server::{MembershipSummary, NewOrg};
    let config = t.config();
    let zeta = "Zeta \"Quoted\" \\ Ünïcode";
    let (session, first) = signed_up(t, "switcher@example.test", zeta).await;
    let signed_in = app::access::load_signed_in(&t.db, &config, Some(&session.token), NOW).await.unwrap().unwrap();
    let mut made: Vec<(&str, NewOrg)> = vec![(zeta, first)];
    for name in ["Mid 'Single' Co", "Alpha Ltd"] {
        let org = app::auth::server::create_org(
            &t.db,
            &signed_in.access.user_id,
            &signed_in.access.email,
            &signed_in.session_id,
            name,
            &meta("10.0.0.1"),
            NOW,
        )
        .await
        .unwrap();
        made.push((name, org));
    }
    made.sort_by_key(|(name, _)| *name);
    let expected: Vec<MembershipSummary> = made
        .into_iter()
        .map(|(name, org)| MembershipSummary {
            org_id: org.id,
            org_name: name.to_string(),
            role_name: "Owner".to_string(),
            membership_id: org.owner_membership_id,
        })
        .collect();
    let signed_in = app::access::load_signed_in(&t.db, &config, Some(&session.token), NOW).await.unwrap().unwrap();
    assert_eq!(signed_in.memberships, expected);
});

db_test!(audit_events_are_chained_and_append_only, |t| {
    let (_, org) = signed_up(t, "audited@example.test", "Audited Org").await;
    for _ in 0..3 {
        let _ = sign_in(&t.db, &t.config(), &hasher(), "audited@example.test", PASSWORD, "/", &meta("10.0.0.9"), NOW)
            .await
            .map(session_of);
    }
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT seq, prev_hash, hash FROM audit_events WHERE chain = $1 ORDER BY seq")
            .bind(&org.id)
            .fetch_all(&mut *t.db.conn().await.unwrap())
            .await
            .unwrap();
    assert_eq!(rows.len(), 4); // sign-up and three sign-ins
    assert_eq!(rows[0].1, GENESIS);
    for pair in rows.windows(2) {
        assert_eq!(pair[1].0, pair[0].0 + 1);
        assert_eq!(pair[1].1, pair[0].2, "each event links to the one before");
    }
    // The database itself refuses edits and deletions.
    assert!(
        sqlx::query("UPDATE audit_events SET action = 'forged'")
            .execute(&mut *t.db.conn().await.unwrap())
            .await
            .is_err()
    );
    assert!(sqlx::query("DELETE FROM audit_events").execute(&mut *t.db.conn().await.unwrap()).await.is_err());
    assert_eq!(scalar(t, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE chain = $1", &org.id).await, 4);
});

db_test!(settings_update_is_validated_and_recorded, |t| {
    use app::orgs::server::{SettingsInput, find, update_settings};
    let (_, org) = signed_up(t, "settings@example.test", "Settings Org").await;
    assert_eq!(SettingsInput::parse("Settings Org", "Mars/Base", "INR").unwrap_err().field(), Some("timezone"));
    assert_eq!(SettingsInput::parse("Settings Org", "UTC", "DOGE").unwrap_err().field(), Some("currency"));
    let input = SettingsInput::parse("Renamed Org", "Europe/Berlin", "eur").unwrap();
    let mut tx = t.db.begin().await.unwrap();
    let (before, after) = update_settings(&mut tx, &org.id, &input, true, NOW).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((before.timezone.as_str(), before.onboarding_state.as_str()), ("Asia/Kolkata", "pending"));
    assert_eq!((after.name.as_str(), after.currency.as_str()), ("Renamed Org", "EUR"));
    let mut conn = t.db.conn().await.unwrap();
    assert_eq!(find(&mut conn, &org.id).await.unwrap().onboarding_state, "complete");
});

db_test!(requests_keeping_connections_leave_the_pool_to_the_rest, |t| {
    // Four requests on a pool of four each read through their own connection (`Db::conn`)
    // while a second load of theirs asks for one; then the first loads end. Had every request
    // kept its connection, all four would sit idle in their requests while the second loads
    // waited for the pool: a deadlock. Half the pool is never kept, so every load is served,
    // and nothing is kept once the requests are over.
    use leptos::prelude::{Owner, provide_context};
    use leptos::reactive::computed::ScopedFuture;
    let db = app::db::Db::connect(&t.url, 4).await.unwrap();
    let all_hold = std::sync::Arc::new(tokio::sync::Barrier::new(4));
    let request = |db: app::db::Db, all_hold: std::sync::Arc<tokio::sync::Barrier>| async move {
        let owner = Owner::new();
        owner
            .with(|| {
                provide_context(app::db::RequestConn::new(&db));
                ScopedFuture::new(async {
                    let first = db.conn().await.unwrap();
                    // Every request holds its first connection before any asks for a second;
                    // two of them (half the pool) keep theirs for the request.
                    all_hold.wait().await;
                    assert_eq!(db.kept_connections(), 2);
                    let second = async {
                        let mut conn = db.conn().await.unwrap();
                        sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(&mut *conn).await.unwrap()
                    };
                    let end_first = async {
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        drop(first);
                    };
                    tokio::join!(second, end_first).0
                })
            })
            .await
    };
    let all = futures::future::join_all((0..4).map(|_| request(db.clone(), all_hold.clone())));
    let answers = tokio::time::timeout(std::time::Duration::from_secs(5), all).await;
    assert_eq!(answers.expect("every load is served (no deadlock)"), vec![1; 4]);
    assert_eq!(db.kept_connections(), 0);
    db.close().await;
});

db_test!(a_write_abandoned_while_it_begins_leaves_no_transaction_open, |t| {
    // A request is dropped wherever its client goes away, also while its transaction is being
    // begun. Abandon `Db::begin` at every moment of its course, again and again: no connection
    // may go back to the pool inside a transaction (it would hold SQLite's write lock, or
    // PostgreSQL's, for good, and its next `begin` would fail).
    let db = app::db::Db::connect(&t.url, 4).await.unwrap();
    // Each try polls `begin` one to four times, letting the database work between the polls
    // for up to half a millisecond (the driver's own threads, or the server, go on meanwhile),
    // then drops it: some tries end before the BEGIN, some inside it, some after.
    for step in 0..400u64 {
        let mut begin = std::pin::pin!(db.begin());
        for _ in 0..1 + step % 4 {
            if futures::poll!(begin.as_mut()).is_ready() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_micros(step / 4 % 10 * 50));
        }
    }
    // Each write after it begins at once and commits, on every connection of the pool.
    for n in 0..2 * db.max_connections() {
        let mut tx = tokio::time::timeout(std::time::Duration::from_secs(3), db.begin())
            .await
            .unwrap_or_else(|_| panic!("write {n} waited for a lock nobody releases"))
            .unwrap_or_else(|e| panic!("write {n} could not begin: {e}"));
        sqlx::query("UPDATE organizations SET updated_at = updated_at WHERE id = $1")
            .bind("none")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    db.close().await;
});

db_test!(sqlite_runs_with_wal_and_foreign_keys, |t| {
    if t.backend == Backend::Sqlite {
        let mode: String =
            sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *t.db.conn().await.unwrap()).await.unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 =
            sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *t.db.conn().await.unwrap()).await.unwrap();
        assert_eq!(fk, 1);
    }
    // On both: a membership pointing at a role of another organization is refused.
    let (_, a) = signed_up(t, "fk-a@example.test", "FK A").await;
    let (_, b) = signed_up(t, "fk-b@example.test", "FK B").await;
    let role_of_b: String = sqlx::query_scalar("SELECT id FROM roles WHERE org_id = $1 AND role_key = 'viewer'")
        .bind(&b.id)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let user_of_b: String = sqlx::query_scalar("SELECT user_id FROM memberships WHERE id = $1")
        .bind(&b.owner_membership_id)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let cross = sqlx::query(
        "INSERT INTO memberships (id, org_id, user_id, role_id, created_at, updated_at) VALUES ('x', $1, $2, $3, 0, 0)",
    )
    .bind(&a.id)
    .bind(&user_of_b)
    .bind(&role_of_b)
    .execute(&mut *t.db.conn().await.unwrap())
    .await;
    assert!(cross.is_err(), "a role must belong to the membership's organization");
});

db_test!(connections_the_server_dropped_while_idle_are_replaced_before_use, |t| {
    // The pool holds a few connections, all idle for longer than it trusts without a ping.
    let held = futures::future::join_all((0..3).map(|_| t.db.conn())).await;
    assert!(held.iter().all(Result::is_ok));
    drop(held);
    tokio::time::sleep(std::time::Duration::from_millis(1_300)).await;
    if t.backend == Backend::Postgres {
        // The server ends every session of the test's database (a restart, an idle cut).
        let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&t.url).await.unwrap();
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .execute(&mut admin)
        .await
        .unwrap();
        sqlx::Connection::close(admin).await.unwrap();
    }
    // Every read after it is answered: a dead connection is pinged, closed and replaced
    // before anything is given it.
    for n in 0..6 {
        let one: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
            .fetch_one(&mut *t.db.conn().await.unwrap())
            .await
            .unwrap_or_else(|e| panic!("read {n} after the drop: {e}"));
        assert_eq!(one, 1);
    }
});

/// The names of the triggers a migration creates.
fn triggers(sql: &str) -> Vec<String> {
    sql.lines()
        .filter_map(|l| l.trim().strip_prefix("CREATE TRIGGER "))
        .filter_map(|rest| rest.split_whitespace().next().map(str::to_string))
        .collect()
}

/// A migration's schema without what must differ between the backends: comments, trigger
/// and trigger-function definitions (SQLite and PL/pgSQL spell them differently), and blocks
/// marked `-- backend-specific: begin` … `-- backend-specific: end`.
fn portable_part(sql: &str) -> String {
    let mut kept = Vec::new();
    let mut lines = sql.lines().map(str::trim).peekable();
    while let Some(line) = lines.next() {
        if line == "-- backend-specific: begin" {
            lines.by_ref().find(|l| *l == "-- backend-specific: end");
        } else if line.starts_with("--") || line.is_empty() {
        } else if line.starts_with("CREATE FUNCTION") || line.starts_with("CREATE OR REPLACE FUNCTION") {
            lines.by_ref().find(|l| l.ends_with("LANGUAGE plpgsql;"));
        } else if line.starts_with("CREATE TRIGGER") {
            // SQLite's body runs BEGIN … END; PostgreSQL's ends at its first semicolon.
            let mut current = line.to_string();
            while !current.ends_with(';') && current != "BEGIN" {
                current = lines.next().unwrap_or(";").to_string();
            }
            if current == "BEGIN" {
                lines.by_ref().find(|l| *l == "END;");
            }
        } else {
            kept.push(line.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    kept.join("\n")
}

#[test]
fn both_backends_have_the_same_migrations() {
    let dir = |backend: &str| format!("{}/../migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    let names = |backend: &str| {
        let mut names: Vec<String> = std::fs::read_dir(dir(backend))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names("sqlite"), names("postgres"));
    assert!(!names("sqlite").is_empty());
    for name in names("sqlite") {
        let read = |backend: &str| std::fs::read_to_string(format!("{}/{name}", dir(backend))).unwrap();
        let (sqlite, postgres) = (portable_part(&read("sqlite")), portable_part(&read("postgres")));
        if !(sqlite.contains("CREATE") || sqlite.contains("ALTER")) {
            // A migration of triggers alone: the same ones on both.
            let (mine, theirs) = (triggers(&read("sqlite")), triggers(&read("postgres")));
            assert!(!mine.is_empty() && mine == theirs, "{name}: nothing left to compare");
        }
        assert_eq!(
            sqlite, postgres,
            "{name}: the schema differs between the backends beyond triggers and marked blocks"
        );
    }
    // The normalization keeps what matters: a changed column is a difference.
    assert_ne!(portable_part("CREATE TABLE t (a TEXT);"), portable_part("CREATE TABLE t (a BIGINT);"));
}
