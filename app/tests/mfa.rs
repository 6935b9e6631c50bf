//! Two-factor state with fixed clocks, on SQLite and PostgreSQL.

mod support;

use app::mfa::server::{self as mfa, Verdict};
use app::mfa::totp;
use app::mfa::{CHALLENGE_SECS, EMAIL_CODE_SECS, STEP_UP_LOCK_SECS};
use support::TestDb;

const NOW: i64 = 1_800_000_000;

async fn user(t: &TestDb, email: &str) -> String {
    let id = format!("user-{email}");
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES ($1, $2, 'U', 'x', 0, 0)",
    )
    .bind(&id)
    .bind(email)
    .execute(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    id
}

db_test!(step_up_locks_after_five_failures_and_unlocks_after_thirty_minutes, |t| {
    let id = user(t, "lock@example.test").await;
    let mut conn = t.db.conn().await.unwrap();
    for i in 1..=4 {
        assert_eq!(mfa::reserve_step_up(&mut conn, &id, NOW + i).await.unwrap(), Some(i), "attempt {i}");
        assert_eq!(mfa::lock_step_up_if_spent(&mut conn, &id, NOW + i).await.unwrap(), None, "failure {i}");
    }
    assert_eq!(mfa::reserve_step_up(&mut conn, &id, NOW + 5).await.unwrap(), Some(5));
    // Five are counted: a sixth is refused even before the fifth has failed.
    assert_eq!(mfa::reserve_step_up(&mut conn, &id, NOW + 5).await.unwrap(), None);
    assert_eq!(mfa::lock_step_up_if_spent(&mut conn, &id, NOW + 5).await.unwrap(), Some(NOW + 5 + STEP_UP_LOCK_SECS));
    let u = mfa::load(&mut conn, &id).await.unwrap();
    assert_eq!(mfa::step_up_locked(&u, NOW + 5 + STEP_UP_LOCK_SECS - 1), Some(NOW + 5 + STEP_UP_LOCK_SECS));
    assert_eq!(mfa::step_up_locked(&u, NOW + 5 + STEP_UP_LOCK_SECS), None);
    assert_eq!(mfa::reserve_step_up(&mut conn, &id, NOW + 5 + STEP_UP_LOCK_SECS - 1).await.unwrap(), None, "locked");
    // The count starts again after the lock, and success clears it.
    assert_eq!(u.step_up_failures, 0);
    let after = NOW + 5 + STEP_UP_LOCK_SECS;
    assert_eq!(mfa::reserve_step_up(&mut conn, &id, after).await.unwrap(), Some(1));
    mfa::clear_step_up_failures(&mut conn, &id).await.unwrap();
    assert_eq!(mfa::load(&mut conn, &id).await.unwrap().step_up_failures, 0);
    // Five attempts that never come back (dropped requests): the fifth reservation locked,
    // and the lock ends like any other.
    for i in 1..=5 {
        assert_eq!(mfa::reserve_step_up(&mut conn, &id, after + i).await.unwrap(), Some(i));
    }
    let u = mfa::load(&mut conn, &id).await.unwrap();
    assert_eq!(mfa::step_up_locked(&u, after + 5), Some(after + 5 + STEP_UP_LOCK_SECS));
    assert_eq!(mfa::reserve_step_up(&mut conn, &id, after + 5 + STEP_UP_LOCK_SECS - 1).await.unwrap(), None);
    assert_eq!(mfa::reserve_step_up(&mut conn, &id, after + 5 + STEP_UP_LOCK_SECS).await.unwrap(), Some(1));
});

db_test!(emailed_codes_work_once_for_their_owner_until_they_expire, |t| {
    let a = user(t, "a@example.test").await;
    let b = user(t, "b@example.test").await;
    let mut conn = t.db.conn().await.unwrap();
    let code = mfa::create_email_code(&mut conn, &a, "step_up", NOW).await.unwrap();
    assert_eq!(code.len(), 6);
    assert!(!mfa::spend_email_code(&mut conn, &b, "step_up", &code, NOW).await.unwrap(), "not b's code");
    assert!(!mfa::spend_email_code(&mut conn, &a, "other", &code, NOW).await.unwrap(), "another purpose");
    assert!(!mfa::spend_email_code(&mut conn, &a, "step_up", &code, NOW + EMAIL_CODE_SECS).await.unwrap(), "expired");
    let code = mfa::create_email_code(&mut conn, &a, "step_up", NOW).await.unwrap();
    assert!(mfa::spend_email_code(&mut conn, &a, "step_up", &code, NOW + 1).await.unwrap());
    assert!(!mfa::spend_email_code(&mut conn, &a, "step_up", &code, NOW + 2).await.unwrap(), "once");
    // Only hashes are stored.
    let stored: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM email_codes WHERE code_hash = $1")
        .bind(&code)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert_eq!(stored, 0);
});

db_test!(sign_in_challenges_expire, |t| {
    let id = user(t, "c@example.test").await;
    let mut conn = t.db.conn().await.unwrap();
    let token = mfa::create_challenge(&mut conn, &id, "/next", NOW).await.unwrap();
    let c = mfa::find_challenge(&mut conn, &token, NOW + CHALLENGE_SECS - 1).await.unwrap().unwrap();
    assert_eq!((c.user_id.as_str(), c.next_path.as_str()), (id.as_str(), "/next"));
    assert!(mfa::find_challenge(&mut conn, &token, NOW + CHALLENGE_SECS).await.unwrap().is_none());
    // Dropped on sight: gone even for an earlier clock.
    assert!(mfa::find_challenge(&mut conn, &token, NOW).await.unwrap().is_none());
    assert!(mfa::find_challenge(&mut conn, "forged-token", NOW).await.unwrap().is_none());
});

db_test!(two_requests_racing_with_one_code_let_one_through, |t| {
    let id = user(t, "race@example.test").await;
    let key = t.config().secret_key;
    let secret = totp::new_secret();
    let mut conn = t.db.conn().await.unwrap();
    mfa::enroll_with_secret(&mut conn, &key, &id, &secret, NOW).await.unwrap();
    drop(conn);
    let now = app::db::now();
    let code = totp::code_at(&secret, now);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (db, key, id, code) = (t.db.clone(), key.clone(), id.clone(), code.clone());
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            let user = mfa::load(&mut tx, &id).await.unwrap();
            let verdict = mfa::accept_totp(&mut tx, &key, &user, &code, now).await.unwrap();
            tx.commit().await.unwrap();
            verdict
        }));
    }
    let mut verdicts = Vec::new();
    for task in tasks {
        verdicts.push(task.await.unwrap());
    }
    assert_eq!(verdicts.iter().filter(|v| **v == Verdict::Totp).count(), 1, "{verdicts:?}");
    assert!(verdicts.iter().all(|v| matches!(v, Verdict::Totp | Verdict::Replayed)));
});

db_test!(a_sealed_secret_is_bound_to_its_user, |t| {
    let a = user(t, "bound-a@example.test").await;
    let b = user(t, "bound-b@example.test").await;
    let key = t.config().secret_key;
    let mut conn = t.db.conn().await.unwrap();
    mfa::enroll_with_secret(&mut conn, &key, &a, &totp::new_secret(), NOW).await.unwrap();
    // Someone with database access copies a's sealed secret onto b.
    sqlx::query("UPDATE users SET totp_secret = (SELECT totp_secret FROM users WHERE id = $1), mfa_enrolled_at = 1 WHERE id = $2")
        .bind(&a)
        .bind(&b)
        .execute(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let stolen = mfa::load(&mut conn, &b).await.unwrap();
    assert!(mfa::accept_totp(&mut conn, &key, &stolen, "123456", NOW).await.is_err(), "does not decrypt for b");
});
