//! Two-factor sign-in, enrollment, recovery codes, step-up and sessions over HTTP, on
//! SQLite and PostgreSQL, with real TOTP codes computed from the secrets.

#[path = "../../app/tests/support/mod.rs"]
mod support;
mod web;

use http::{StatusCode, header};
use support::TestDb;
use web::{DEMO_PASSWORD, app, fresh_code, get, post, sign_in};

async fn count(t: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&mut *t.db.conn().await.unwrap()).await.unwrap()
}

/// Signs up a fresh user (an owner, so MFA is required) and returns their session cookie.
async fn fresh_owner(app: &axum::Router, t: &TestDb, email: &str) -> String {
    let form = format!("name=Fresh&email={email}&password=a+long+fresh+passphrase&organization=Fresh+{}", email.len());
    web::sign_up(app, t, &form, email, "a+long+fresh+passphrase").await
}

/// The password of [`fresh_owner`]s, form-encoded.
const FRESH_PASSWORD: &str = "a+long+fresh+passphrase";

/// Enrolls the signed-in user (whose password is `password`, form-encoded); returns (new
/// session cookie, base32 secret, recovery codes).
async fn enroll(app: &axum::Router, cookie: &str, password: &str) -> (String, String, Vec<String>) {
    let start = post(app, "/api/security/totp/start", &format!("password={password}"), Some(cookie)).await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.body);
    let secret = start.json()["secret"].as_str().unwrap().to_string();
    assert!(start.json()["qr_svg"].as_str().unwrap().contains("<svg"));
    let bytes = app::mfa::totp::from_base32(&secret).unwrap();
    assert_eq!(bytes.len(), 20, "160-bit secret");
    let code = app::mfa::totp::code_at(&bytes, app::db::now());
    let confirm = post(app, "/api/security/totp/confirm", &format!("code={code}"), Some(cookie)).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    let codes: Vec<String> = serde_json::from_str(&confirm.body).unwrap();
    (confirm.cookie("gh_session").unwrap(), secret, codes)
}

fn permissions(session: &serde_json::Value) -> Vec<String> {
    session["access"]["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect()
}

db_test!(an_enrolled_user_signs_in_with_a_real_code, |t| {
    let app = app(t).await;
    let r = post(&app, "/api/auth/sign_in", &format!("email=owner@acme.test&password={DEMO_PASSWORD}"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header(header::LOCATION), "/login/mfa?next=/");
    assert!(r.cookie("gh_session").is_none(), "no session before the second factor");
    let challenge = r.cookie("gh_mfa").unwrap();
    let set = r.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>();
    assert!(
        set.iter().any(|c| c.starts_with("gh_mfa=") && c.contains("HttpOnly") && c.contains("Max-Age=300")),
        "{set:?}"
    );
    // The challenge is not a session.
    assert_eq!(post(&app, "/api/team/members", "", Some(&challenge)).await.status, StatusCode::UNAUTHORIZED);
    let wrong = post(&app, "/api/auth/mfa", "code=000000", Some(&challenge)).await;
    assert_eq!((wrong.status, wrong.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some("code")));
    let code = fresh_code(t, "owner@acme.test").await;
    let ok = post(&app, "/api/auth/mfa", &format!("code={code}"), Some(&challenge)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let session = ok.cookie("gh_session").unwrap();
    assert!(ok.headers.get_all(header::SET_COOKIE).iter().any(|v| v.to_str().unwrap().starts_with("gh_mfa=;")));
    assert_eq!(post(&app, "/api/team/members", "", Some(&session)).await.status, StatusCode::OK);
    // The spent challenge cannot be used again.
    let again = post(&app, "/api/auth/mfa", &format!("code={code}"), Some(&challenge)).await;
    assert_eq!(again.json()["code"], "sign_in_expired");
    assert_eq!(
        count(
            t,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'auth.sign_in' AND metadata LIKE '%totp%'"
        )
        .await,
        1
    );
});

db_test!(a_replayed_code_is_refused_and_audited, |t| {
    let app = app(t).await;
    let code = fresh_code(t, "consultant@example.test").await;
    let mut results = Vec::new();
    for _ in 0..2 {
        let r =
            post(&app, "/api/auth/sign_in", &format!("email=consultant@example.test&password={DEMO_PASSWORD}"), None)
                .await;
        let challenge = r.cookie("gh_mfa").unwrap();
        results.push(post(&app, "/api/auth/mfa", &format!("code={code}"), Some(&challenge)).await);
    }
    assert_eq!(results[0].status, StatusCode::OK);
    assert_eq!(results[1].status, StatusCode::BAD_REQUEST);
    assert!(results[1].json()["message"].as_str().unwrap().contains("already used"));
    assert!(results[1].cookie("gh_session").is_none());
    assert_eq!(count(t, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE reason = 'replayed_code'").await, 1);
});

db_test!(malformed_codes_get_a_clear_400_and_are_audited, |t| {
    let app = app(t).await;
    let r = post(&app, "/api/auth/sign_in", &format!("email=admin@acme.test&password={DEMO_PASSWORD}"), None).await;
    let challenge = r.cookie("gh_mfa").unwrap();
    for bad in ["12ab56", "1234567", "", "%27+OR+1%3D1"] {
        let r = post(&app, "/api/auth/mfa", &format!("code={bad}"), Some(&challenge)).await;
        assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some("code")), "{bad:?}");
    }
    assert_eq!(count(t, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE reason = 'malformed_code'").await, 4);
    // Five wrong attempts spent the challenge: even the right code no longer works.
    let code = fresh_code(t, "admin@acme.test").await;
    post(&app, "/api/auth/mfa", "code=000000", Some(&challenge)).await;
    let r = post(&app, "/api/auth/mfa", &format!("code={code}"), Some(&challenge)).await;
    assert_eq!(r.json()["code"], "sign_in_expired", "{}", r.body);
});

db_test!(enrollment_recovery_codes_and_encryption_at_rest, |t| {
    let app = app(t).await;
    let email = "fresh-owner@example.test";
    let cookie = fresh_owner(&app, t, email).await;
    let before = permissions(&post(&app, "/api/session", "", Some(&cookie)).await.json());
    assert!(!before.contains(&"org.settings.manage".to_string()), "withheld until MFA");
    // Binding an authenticator needs the password, not just the session (ASVS 5.0 V7.5.1).
    for form in ["", "password=not-the-password"] {
        let r = post(&app, "/api/security/totp/start", form, Some(&cookie)).await;
        assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some("password")), "{form}");
    }
    assert_eq!(
        count(t, "SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE totp_pending IS NOT NULL").await,
        0,
        "nothing started without the password"
    );
    // A wrong first code does not enroll.
    post(&app, "/api/security/totp/start", "password=a+long+fresh+passphrase", Some(&cookie)).await;
    let r = post(&app, "/api/security/totp/confirm", "code=000000", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let (session, secret, codes) = enroll(&app, &cookie, FRESH_PASSWORD).await;
    assert_eq!(codes.len(), 10);
    assert_ne!(session, cookie, "a new token after the elevation");
    assert_eq!(post(&app, "/api/session", "", Some(&cookie)).await.body, "null", "the old token is dead");
    let after = permissions(&post(&app, "/api/session", "", Some(&session)).await.json());
    assert!(after.contains(&"org.settings.manage".to_string()));
    // The database holds the secret sealed, not readable.
    let stored: String = sqlx::query_scalar("SELECT totp_secret FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert!(stored.starts_with("v1:") && !stored.contains(&secret));
    let hashes: Vec<String> = sqlx::query_scalar(
        "SELECT code_hash FROM recovery_codes r JOIN users u ON u.id = r.user_id WHERE u.email = $1",
    )
    .bind(email)
    .fetch_all(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    assert_eq!(hashes.len(), 10);
    assert!(hashes.iter().all(|h| !codes.iter().any(|c| h.contains(&c.replace('-', "")))));

    // A recovery code signs in once.
    post(&app, "/api/auth/sign_out", "", Some(&session)).await;
    for attempt in 0..2 {
        let r = post(&app, "/api/auth/sign_in", &format!("email={email}&password=a+long+fresh+passphrase"), None).await;
        let challenge = r.cookie("gh_mfa").unwrap();
        let r = post(&app, "/api/auth/mfa", &format!("code={}", codes[0].to_uppercase()), Some(&challenge)).await;
        if attempt == 0 {
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        } else {
            assert_eq!(r.status, StatusCode::BAD_REQUEST);
            assert!(r.json()["message"].as_str().unwrap().contains("already used"));
        }
    }
    assert_eq!(
        count(t, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'mfa.recovery_code_used'").await,
        1
    );
    assert_eq!(
        count(
            t,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'mfa.enroll' AND outcome = 'allowed'"
        )
        .await,
        1
    );
});

db_test!(a_user_whose_role_requires_mfa_is_sent_to_enrollment, |t| {
    let app = app(t).await;
    let r = post(&app, "/api/auth/sign_in", &format!("email=finadmin@acme.test&password={DEMO_PASSWORD}"), None).await;
    assert_eq!(r.header(header::LOCATION), "/settings/security?required=1&next=/");
    let cookie = r.cookie("gh_session").unwrap();
    let overview = post(&app, "/api/security/overview", "", Some(&cookie)).await.json();
    assert_eq!((overview["mfa_required"].as_bool(), overview["mfa_enrolled"].as_bool()), (Some(true), Some(false)));
    assert!(
        !permissions(&post(&app, "/api/session", "", Some(&cookie)).await.json())
            .contains(&"invoices.read".to_string())
    );
    let (session, _, _) = enroll(&app, &cookie, DEMO_PASSWORD).await;
    assert!(
        permissions(&post(&app, "/api/session", "", Some(&session)).await.json())
            .contains(&"invoices.read".to_string())
    );
});

db_test!(disabling_needs_the_password_and_a_code, |t| {
    let app = app(t).await;
    let cookie = fresh_owner(&app, t, "disabler@example.test").await;
    let (session, secret, _) = enroll(&app, &cookie, FRESH_PASSWORD).await;
    let bytes = app::mfa::totp::from_base32(&secret).unwrap();
    let next_code = app::mfa::totp::code_at(&bytes, app::db::now() + 30);
    let r =
        post(&app, "/api/security/totp/disable", &format!("password=wrong-password&code={next_code}"), Some(&session))
            .await;
    assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some("password")));
    let r =
        post(&app, "/api/security/totp/disable", "password=a+long+fresh+passphrase&code=000000", Some(&session)).await;
    assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some("code")));
    let r = post(
        &app,
        "/api/security/totp/disable",
        &format!("password=a+long+fresh+passphrase&code={next_code}"),
        Some(&session),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let overview = post(&app, "/api/security/overview", "", Some(&session)).await.json();
    assert_eq!(overview["mfa_enrolled"], false);
    assert!(
        !permissions(&post(&app, "/api/session", "", Some(&session)).await.json())
            .contains(&"org.settings.manage".to_string())
    );
});

db_test!(analytics_needs_step_up_and_a_pin_unlocks_it, |t| {
    let app = app(t).await;
    let analyst = sign_in(&app, t, "analyst@acme.test").await;
    let r = post(&app, "/api/analytics/dashboard", "", Some(&analyst)).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (StatusCode::FORBIDDEN, Some("step_up_required")));
    // PINs: the password is required, short and common ones are refused.
    let r = post(&app, "/api/security/pin", "password=nope-nope-nope&pin=482913", Some(&analyst)).await;
    assert_eq!(r.json()["field"], "password");
    for (pin, why) in [("12345", "short"), ("121212", "common"), ("123456", "a run"), ("12a456", "letters")] {
        let r = post(&app, "/api/security/pin", &format!("password={DEMO_PASSWORD}&pin={pin}"), Some(&analyst)).await;
        assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some("pin")), "{why}");
    }
    let r = post(&app, "/api/security/pin", &format!("password={DEMO_PASSWORD}&pin=482913"), Some(&analyst)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let stored: String = sqlx::query_scalar("SELECT analytics_pin_hash FROM users WHERE email = 'analyst@acme.test'")
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "hashed like a password");
    // Unlock: a new token, the old one dead, analytics open.
    let r = post(&app, "/api/security/step_up", "method=pin&code=482913&next=/analytics", Some(&analyst)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let unlocked = r.cookie("gh_session").unwrap();
    assert_eq!(post(&app, "/api/analytics/dashboard", "", Some(&analyst)).await.status, StatusCode::UNAUTHORIZED);
    let r = post(&app, "/api/analytics/dashboard", "", Some(&unlocked)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Sales by role, revenue by the demo grant, export not at all.
    let j = r.json();
    assert!(j["revenue"].is_object() && j["sales"].is_object() && j["products"].is_object(), "{j}");
    assert_eq!(j["export"].as_bool(), Some(false));
    assert!(r.json()["unlocked_until"].is_string());
});

db_test!(five_wrong_step_up_attempts_lock_it_for_thirty_minutes, |t| {
    let app = app(t).await;
    let analyst = sign_in(&app, t, "analyst@acme.test").await;
    post(&app, "/api/security/pin", &format!("password={DEMO_PASSWORD}&pin=482913"), Some(&analyst)).await;
    for attempt in 1..=5 {
        let r = post(&app, "/api/security/step_up", "method=pin&code=999999", Some(&analyst)).await;
        if attempt < 5 {
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "attempt {attempt}");
        } else {
            assert_eq!((r.status, r.json()["code"].as_str()), (StatusCode::CONFLICT, Some("step_up_locked")));
            assert!(r.json()["message"].as_str().unwrap().contains("Try again after"), "{}", r.body);
        }
    }
    // Locked: even the right PIN (or a right code) unlocks nothing.
    let r = post(&app, "/api/security/step_up", "method=pin&code=482913", Some(&analyst)).await;
    assert_eq!(r.json()["code"], "step_up_locked");
    let code = fresh_code(t, "analyst@acme.test").await;
    let r = post(&app, "/api/security/step_up", &format!("method=totp&code={code}"), Some(&analyst)).await;
    assert_eq!(r.json()["code"], "step_up_locked");
    assert_eq!(post(&app, "/api/analytics/dashboard", "", Some(&analyst)).await.status, StatusCode::FORBIDDEN);
    let overview = post(&app, "/api/security/overview", "", Some(&analyst)).await.json();
    assert!(overview["step_up_locked_until"].is_string());
    assert_eq!(
        count(
            t,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'step_up' AND reason = 'locked_now'"
        )
        .await,
        1
    );
    assert_eq!(
        count(t, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'step_up' AND reason = 'locked'")
            .await,
        2
    );
});

db_test!(step_up_with_an_authenticator_or_an_emailed_code, |t| {
    let app = app(t).await;
    let analyst = sign_in(&app, t, "analyst@acme.test").await;
    let code = fresh_code(t, "analyst@acme.test").await;
    let r = post(&app, "/api/security/step_up", &format!("method=totp&code={code}"), Some(&analyst)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        post(&app, "/api/analytics/dashboard", "", Some(&r.cookie("gh_session").unwrap())).await.status,
        StatusCode::OK
    );

    let consultant = sign_in(&app, t, "consultant@example.test").await;
    assert_eq!(post(&app, "/api/security/step_up/email", "", Some(&consultant)).await.status, StatusCode::OK);
    // At most one a minute.
    assert_eq!(
        post(&app, "/api/security/step_up/email", "", Some(&consultant)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Operators see the mail without its code; the recipient reads it whole.
    let shown: String = sqlx::query_scalar("SELECT body FROM outbox WHERE to_addr = 'consultant@example.test'")
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert!(shown.contains(app::mail::HIDDEN), "{shown}");
    let body = support::mail_to(t, "consultant@example.test").await;
    let emailed: String = body
        .split_whitespace()
        .find(|w| w.trim_end_matches('.').len() == 6 && w.trim_end_matches('.').bytes().all(|b| b.is_ascii_digit()))
        .unwrap()
        .trim_end_matches('.')
        .into();
    assert!(!shown.contains(&emailed), "{shown}");
    let r = post(&app, "/api/security/step_up", &format!("method=email&code={emailed}"), Some(&consultant)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let again = post(
        &app,
        "/api/security/step_up",
        &format!("method=email&code={emailed}"),
        Some(&r.cookie("gh_session").unwrap()),
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "an emailed code works once");
});

db_test!(an_owner_fresh_from_an_mfa_sign_in_needs_no_step_up, |t| {
    let app = app(t).await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    assert_eq!(post(&app, "/api/analytics/dashboard", "", Some(&owner)).await.status, StatusCode::OK);
    // Nine hours later the exemption is over.
    let token = owner.split_once('=').unwrap().1;
    sqlx::query("UPDATE sessions SET mfa_verified_at = $1 WHERE token_hash = $2")
        .bind(app::db::now() - 9 * 3600)
        .bind(app::auth::session::hash_token(token))
        .execute(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let r = post(&app, "/api/analytics/dashboard", "", Some(&owner)).await;
    assert_eq!(r.json()["code"], "step_up_required");
});

db_test!(sessions_are_listed_and_revoked, |t| {
    let app = app(t).await;
    let a = sign_in(&app, t, "member@acme.test").await;
    let b = sign_in(&app, t, "member@acme.test").await;
    let overview = post(&app, "/api/security/overview", "", Some(&a)).await.json();
    let sessions = overview["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let other = sessions.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_string();
    // Another user's session id is not found.
    let globex = sign_in(&app, t, "owner@globex.test").await;
    let globex_sessions = post(&app, "/api/security/overview", "", Some(&globex)).await.json();
    let foreign = globex_sessions["sessions"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        post(&app, "/api/security/sessions/revoke", &format!("session_id={foreign}"), Some(&a)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(post(&app, "/api/security/overview", "", Some(&globex)).await.status, StatusCode::OK);
    // Revoking the other session kills it at once.
    assert_eq!(
        post(&app, "/api/security/sessions/revoke", &format!("session_id={other}"), Some(&a)).await.status,
        StatusCode::OK
    );
    assert_eq!(post(&app, "/api/security/overview", "", Some(&b)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(post(&app, "/api/security/overview", "", Some(&a)).await.status, StatusCode::OK);
    // And all others at once.
    let c = sign_in(&app, t, "member@acme.test").await;
    let r = post(&app, "/api/security/sessions/revoke_others", "", Some(&a)).await;
    assert_eq!(r.body, "1");
    assert_eq!(post(&app, "/api/security/overview", "", Some(&c)).await.status, StatusCode::UNAUTHORIZED);
});

db_test!(changing_the_password_can_end_the_other_sessions, |t| {
    let app = app(t).await;
    let a = sign_in(&app, t, "viewer@acme.test").await;
    let b = sign_in(&app, t, "viewer@acme.test").await;
    let r = post(
        &app,
        "/api/security/password",
        "current_password=wrong-one&new_password=a+brand+new+passphrase",
        Some(&a),
    )
    .await;
    assert_eq!(r.json()["field"], "password");
    let r = post(
        &app,
        "/api/security/password",
        &format!("current_password={DEMO_PASSWORD}&new_password=password1"),
        Some(&a),
    )
    .await;
    assert_eq!(r.json()["field"], "new_password");
    let r = post(
        &app,
        "/api/security/password",
        &format!("current_password={DEMO_PASSWORD}&new_password=a+brand+new+passphrase&end_other_sessions=on"),
        Some(&a),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(post(&app, "/api/security/overview", "", Some(&b)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(post(&app, "/api/security/overview", "", Some(&a)).await.status, StatusCode::OK);
    let old = post(&app, "/api/auth/sign_in", &format!("email=viewer@acme.test&password={DEMO_PASSWORD}"), None).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = post(&app, "/api/auth/sign_in", "email=viewer@acme.test&password=a+brand+new+passphrase", None).await;
    assert_eq!(new.status, StatusCode::OK);
});

db_test!(the_security_pages_render_for_the_signed_in, |t| {
    let app = app(t).await;
    assert_eq!(get(&app, "/settings/security", None).await.status, StatusCode::FOUND);
    let member = sign_in(&app, t, "member@acme.test").await;
    let page = get(&app, "/settings/security", Some(&member)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Two-factor authentication") && page.body.contains("Sessions"));
    let mfa = get(&app, "/login/mfa", None).await;
    assert!(mfa.body.contains("Authentication code"));
    // Analytics asks for step-up in place, coming back to the page after.
    let locked = get(&app, "/analytics", Some(&sign_in(&app, t, "analyst@acme.test").await)).await;
    assert_eq!(locked.status, StatusCode::OK);
    assert!(locked.body.contains("Unlock with PIN") || locked.body.contains("Unlock with emailed code"));
    assert!(locked.body.contains("value=\"/analytics\""), "{}", locked.body);
});
