//! Attempt limits under concurrent attack, over HTTP on SQLite and PostgreSQL: a burst of
//! wrong secrets sent at once is evaluated no more often than the limit allows (counted in
//! the audit log, which records every evaluated attempt), and the right secret is refused
//! while the limit holds.

#[path = "../../app/tests/support/mod.rs"]
mod support;
mod web;

use http::StatusCode;
use support::TestDb;
use web::{DEMO_PASSWORD, app, burst, events, fresh_code, post, post_from, sign_in};

const BURST: usize = 30;

/// How many replies of `replies` have `status`.
fn with_status(replies: &[web::Reply], status: StatusCode) -> usize {
    replies.iter().filter(|r| r.status == status).count()
}

db_test!(a_burst_of_wrong_passwords_for_one_account_evaluates_five, |t| {
    let app = app(t).await;
    let replies =
        burst(&app, BURST, "/api/auth/sign_in", "email=member@acme.test&password=wrong-guess", None, None).await;
    let evaluated = events(t, "action = 'auth.sign_in' AND reason = 'invalid_credentials'").await;
    assert_eq!(evaluated, 5, "the account's five free failures, then the delay");
    assert_eq!(with_status(&replies, StatusCode::UNAUTHORIZED), 5);
    assert_eq!(with_status(&replies, StatusCode::TOO_MANY_REQUESTS), BURST - 5);
    assert_eq!(events(t, "action = 'auth.sign_in' AND reason = 'throttled'").await, (BURST - 5) as i64);
    // The right password waits too.
    let right = format!("email=member@acme.test&password={DEMO_PASSWORD}");
    let r = post(&app, "/api/auth/sign_in", &right, None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.cookie("gh_session").is_none());
});

db_test!(a_burst_of_wrong_passwords_from_one_address_evaluates_twenty, |t| {
    let app = app(t).await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..BURST {
        let app = app.clone();
        // Different accounts, so only the address's limit applies.
        let form = format!("email=guess{n}@acme.test&password=wrong-guess");
        tasks.spawn(async move { post_from(&app, "/api/auth/sign_in", &form, None, Some("203.0.113.7")).await });
    }
    let replies = tasks.join_all().await;
    assert_eq!(events(t, "action = 'auth.sign_in' AND reason = 'invalid_credentials'").await, 20);
    assert_eq!(with_status(&replies, StatusCode::TOO_MANY_REQUESTS), BURST - 20);
    let right = format!("email=member@acme.test&password={DEMO_PASSWORD}");
    let r = post_from(&app, "/api/auth/sign_in", &right, None, Some("203.0.113.7")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    // Another address is not affected.
    let r = post_from(&app, "/api/auth/sign_in", &right, None, Some("198.51.100.2")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
});

db_test!(a_burst_of_wrong_codes_on_one_sign_in_challenge_evaluates_five, |t| {
    let app = app(t).await;
    let r = post(&app, "/api/auth/sign_in", &format!("email=owner@acme.test&password={DEMO_PASSWORD}"), None).await;
    let challenge = r.cookie("gh_mfa").unwrap();
    let wrong = wrong_code(t, "owner@acme.test").await;
    let replies = burst(&app, BURST, "/api/auth/mfa", &format!("code={wrong}"), Some(&challenge), None).await;
    assert_eq!(events(t, "action = 'auth.mfa' AND reason = 'wrong_code'").await, 5);
    assert_eq!(with_status(&replies, StatusCode::OK), 0);
    // The challenge is spent: the right code opens nothing.
    let code = fresh_code(t, "owner@acme.test").await;
    let r = post(&app, "/api/auth/mfa", &format!("code={code}"), Some(&challenge)).await;
    assert_eq!(r.json()["code"], "sign_in_expired", "{}", r.body);
    assert!(r.cookie("gh_session").is_none());
});

/// A six-digit code that is not valid for the demo secret around now.
async fn wrong_code(_t: &TestDb, _email: &str) -> String {
    let secret = app::mfa::totp::from_base32(server::demo::DEMO_TOTP_SECRET).unwrap();
    let now = app::db::now();
    let valid: Vec<String> =
        (-2..=2).map(|s| app::mfa::totp::code_at(&secret, now + s * app::mfa::totp::STEP_SECS)).collect();
    (100_000..).map(|n: u32| n.to_string()).find(|c| !valid.contains(c)).unwrap()
}

/// Fires a burst of wrong step-up secrets by `method` at the analyst and checks that five
/// were evaluated; returns the analyst's session for the follow-up.
async fn step_up_burst(t: &TestDb, app: &axum::Router, method: &str, prepare: &str) -> String {
    let analyst = sign_in(app, t, "analyst@acme.test").await;
    if !prepare.is_empty() {
        let r = post(app, prepare, &format!("password={DEMO_PASSWORD}&pin=482913"), Some(&analyst)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let wrong = wrong_code(t, "analyst@acme.test").await;
    let form = format!("method={method}&code={wrong}");
    let replies = burst(app, BURST, "/api/security/step_up", &form, Some(&analyst), None).await;
    let failed = events(t, "action = 'step_up' AND outcome = 'failed'").await;
    assert_eq!(failed, 5, "{method}: five evaluated");
    assert_eq!(events(t, "action = 'step_up' AND reason = 'locked_now'").await, 1, "{method}: locked once");
    assert_eq!(events(t, "action = 'step_up' AND reason = 'locked'").await, (BURST - 5) as i64);
    assert_eq!(with_status(&replies, StatusCode::OK), 0);
    analyst
}

db_test!(a_burst_of_wrong_step_up_codes_evaluates_five_then_locks, |t| {
    let app = app(t).await;
    let analyst = step_up_burst(t, &app, "totp", "").await;
    let code = fresh_code(t, "analyst@acme.test").await;
    let r = post(&app, "/api/security/step_up", &format!("method=totp&code={code}"), Some(&analyst)).await;
    assert_eq!(r.json()["code"], "step_up_locked", "{}", r.body);
});

db_test!(a_burst_of_wrong_pins_evaluates_five_then_locks, |t| {
    let app = app(t).await;
    let analyst = step_up_burst(t, &app, "pin", "/api/security/pin").await;
    let r = post(&app, "/api/security/step_up", "method=pin&code=482913", Some(&analyst)).await;
    assert_eq!(r.json()["code"], "step_up_locked", "{}", r.body);
});

db_test!(a_burst_of_wrong_emailed_codes_evaluates_five_then_locks, |t| {
    let app = app(t).await;
    let analyst = step_up_burst(t, &app, "email", "").await;
    let user_id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = 'analyst@acme.test'")
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let code = app::mfa::server::create_email_code(&mut conn, &user_id, "step_up", app::db::now()).await.unwrap();
    let r = post(&app, "/api/security/step_up", &format!("method=email&code={code}"), Some(&analyst)).await;
    assert_eq!(r.json()["code"], "step_up_locked", "{}", r.body);
});

/// Fires wrong current passwords at a password re-check (`path`, `form` with `{}` for the
/// password) and checks five were evaluated and the right one is then throttled.
async fn recheck_burst(t: &TestDb, app: &axum::Router, path: &str, form: &str) {
    let member = sign_in(app, t, "member@acme.test").await;
    let wrong = form.replace("{}", "not-my-password");
    let replies = burst(app, BURST, path, &wrong, Some(&member), None).await;
    assert_eq!(events(t, "action = 'auth.password_check' AND reason = 'wrong_password'").await, 5, "{path}");
    assert_eq!(events(t, "action = 'auth.password_check' AND reason = 'throttled'").await, (BURST - 5) as i64);
    assert_eq!(with_status(&replies, StatusCode::OK), 0);
    let r = post(app, path, &form.replace("{}", DEMO_PASSWORD), Some(&member)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{path}: {}", r.body);
}

db_test!(a_burst_of_wrong_passwords_at_a_password_change_evaluates_five, |t| {
    let app = app(t).await;
    recheck_burst(t, &app, "/api/security/password", "current_password={}&new_password=a+whole+new+passphrase").await;
});

db_test!(a_burst_of_wrong_passwords_at_pin_setting_evaluates_five, |t| {
    let app = app(t).await;
    recheck_burst(t, &app, "/api/security/pin", "password={}&pin=482913").await;
});

db_test!(a_burst_of_wrong_passwords_at_enrollment_evaluates_five, |t| {
    let app = app(t).await;
    recheck_burst(t, &app, "/api/security/totp/start", "password={}").await;
});

db_test!(a_burst_of_sign_ups_from_one_address_evaluates_ten, |t| {
    let app = app(t).await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..BURST {
        let app = app.clone();
        let form =
            format!("name=Spam&email=spam{n}@example.test&password=a+long+spam+passphrase&organization=Spam+{n}");
        tasks.spawn(async move { post_from(&app, "/api/auth/sign_up", &form, None, Some("203.0.113.9")).await });
    }
    let replies = tasks.join_all().await;
    let free = app::auth::server::SIGNUP_POLICY.free_failures;
    assert_eq!(events(t, "action = 'auth.sign_up_request'").await, free);
    assert_eq!(with_status(&replies, StatusCode::TOO_MANY_REQUESTS), BURST - free as usize);
    assert_eq!(events(t, "action = 'auth.sign_up' AND reason = 'throttled'").await, BURST as i64 - free);
});

db_test!(codes_at_turning_two_factor_off_count_against_the_second_factor_throttle, |t| {
    let app = app(t).await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let wrong = wrong_code(t, "owner@acme.test").await;
    let form = format!("password={DEMO_PASSWORD}&code={wrong}");
    let mut statuses = Vec::new();
    // The right password each time (it clears the password throttle), a wrong code each time.
    for _ in 0..8 {
        statuses.push(post(&app, "/api/security/totp/disable", &form, Some(&owner)).await.status);
    }
    assert_eq!(events(t, "action = 'mfa.disable' AND reason = 'wrong_code'").await, 5);
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 3, "{statuses:?}");
    assert_eq!(events(t, "action = 'mfa.disable' AND reason = 'throttled'").await, 3);
});
