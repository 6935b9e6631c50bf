//! Two-factor state in the database (server only).

use super::totp::{self, CodeCheck};
use super::{
    CHALLENGE_MAX_ATTEMPTS, CHALLENGE_SECS, RECOVERY_CODES, STEP_UP_LOCK_SECS, STEP_UP_MAX_FAILURES, SecondFactor,
};
use crate::config::SecretKey;
use crate::crypto;
use crate::db::{Conn, new_id};
use crate::error::{AppError, Result};
use rand::Rng;
use sha2::{Digest, Sha256};

/// A user's two-factor standing.
#[derive(Clone, sqlx::FromRow)]
pub struct MfaUser {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub totp_pending: Option<String>,
    pub totp_last_step: Option<i64>,
    pub analytics_pin_hash: Option<String>,
    pub step_up_failures: i64,
    pub step_up_locked_until: Option<i64>,
    pub mfa_enrolled_at: Option<i64>,
}

// Holds a password hash and sealed secrets: never printed.
impl std::fmt::Debug for MfaUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaUser").field("id", &self.id).field("enrolled", &self.mfa_enrolled_at.is_some()).finish()
    }
}

pub async fn load(conn: &mut Conn, user_id: &str) -> Result<MfaUser> {
    sqlx::query_as(
        "SELECT id, email, password_hash, totp_secret, totp_pending, totp_last_step, analytics_pin_hash, \
         step_up_failures, step_up_locked_until, mfa_enrolled_at FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)
}

fn sealed_secret(key: &SecretKey, user_id: &str, sealed: &str) -> Result<Vec<u8>> {
    crypto::open(key, user_id, sealed).map_err(|error| {
        tracing::error!(%error, %user_id, "a stored TOTP secret does not decrypt");
        AppError::Internal
    })
}

/// How a second factor fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Totp,
    Recovery,
    /// A valid TOTP code used before: refused.
    Replayed,
    /// A recovery code already spent.
    RecoveryUsed,
    Wrong,
}

impl Verdict {
    pub fn accepted(self) -> bool {
        matches!(self, Verdict::Totp | Verdict::Recovery)
    }
}

/// Checks a TOTP code and, when valid and fresh, records its step in the same statement
/// that checks freshness, so two requests racing with one code cannot both pass.
pub async fn accept_totp(conn: &mut Conn, key: &SecretKey, user: &MfaUser, code: &str, now: i64) -> Result<Verdict> {
    let Some(sealed) = &user.totp_secret else { return Ok(Verdict::Wrong) };
    let secret = sealed_secret(key, &user.id, sealed)?;
    match totp::check(&secret, code, now, user.totp_last_step) {
        CodeCheck::Accepted { step } => {
            let claimed = sqlx::query(
                "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(step)
            .bind(&user.id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            Ok(if claimed == 1 { Verdict::Totp } else { Verdict::Replayed })
        }
        CodeCheck::Replayed => Ok(Verdict::Replayed),
        CodeCheck::Wrong => Ok(Verdict::Wrong),
    }
}

/// Checks a TOTP code or spends a recovery code.
pub async fn accept_second_factor(
    conn: &mut Conn,
    key: &SecretKey,
    user: &MfaUser,
    factor: &SecondFactor,
    now: i64,
) -> Result<Verdict> {
    match factor {
        SecondFactor::Totp(code) => accept_totp(conn, key, user, code, now).await,
        SecondFactor::Recovery(code) => {
            let hash = hash_code(code);
            let spent = sqlx::query(
                "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
            )
            .bind(now)
            .bind(&user.id)
            .bind(&hash)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if spent == 1 {
                return Ok(Verdict::Recovery);
            }
            let known: Option<String> =
                sqlx::query_scalar("SELECT id FROM recovery_codes WHERE user_id = $1 AND code_hash = $2")
                    .bind(&user.id)
                    .bind(&hash)
                    .fetch_optional(&mut *conn)
                    .await?;
            Ok(if known.is_some() { Verdict::RecoveryUsed } else { Verdict::Wrong })
        }
    }
}

/// SHA-256 of a high-entropy one-time code (recovery codes, emailed codes are bound to a
/// user, short-lived and attempt-limited).
pub fn hash_code(code: &str) -> String {
    hex::encode(Sha256::digest(code.as_bytes()))
}

const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Ten fresh recovery codes (`xxxxx-xxxxx`, 49 bits each), replacing any old ones; only
/// their hashes are stored.
pub async fn replace_recovery_codes(conn: &mut Conn, user_id: &str, now: i64) -> Result<Vec<String>> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let raw: String = {
            let mut rng = rand::rngs::OsRng;
            (0..10).map(|_| RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char).collect()
        };
        sqlx::query("INSERT INTO recovery_codes (id, user_id, code_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(new_id())
            .bind(user_id)
            .bind(hash_code(&raw))
            .bind(now)
            .execute(&mut *conn)
            .await?;
        codes.push(format!("{}-{}", &raw[..5], &raw[5..]));
    }
    Ok(codes)
}

pub async fn recovery_codes_left(conn: &mut Conn, user_id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await?)
}

/// Starts an enrollment: a new secret, stored sealed as pending until its first code.
pub async fn start_enrollment(conn: &mut Conn, key: &SecretKey, user_id: &str) -> Result<Vec<u8>> {
    let secret = totp::new_secret();
    sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
        .bind(crypto::seal(key, user_id, &secret))
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(secret)
}

/// Confirms the pending enrollment with its first code: the secret becomes the user's,
/// recovery codes are issued. `Ok(None)` when the code is wrong.
pub async fn confirm_enrollment(
    conn: &mut Conn,
    key: &SecretKey,
    user: &MfaUser,
    code: &str,
    now: i64,
) -> Result<Option<Vec<String>>> {
    let Some(pending) = &user.totp_pending else {
        return Err(AppError::conflict("no_pending_enrollment", "Start the setup again: no enrollment is waiting."));
    };
    let secret = sealed_secret(key, &user.id, pending)?;
    let CodeCheck::Accepted { step } = totp::check(&secret, code, now, None) else { return Ok(None) };
    sqlx::query(
        "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $1, mfa_enrolled_at = $2 \
         WHERE id = $3",
    )
    .bind(step)
    .bind(now)
    .bind(&user.id)
    .execute(&mut *conn)
    .await?;
    Ok(Some(replace_recovery_codes(conn, &user.id, now).await?))
}

/// Turns two-factor off: secret, pending enrollment and recovery codes are gone.
pub async fn disable(conn: &mut Conn, user_id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL, mfa_enrolled_at = NULL \
         WHERE id = $1",
    )
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    Ok(())
}

/// Enrolls `user_id` with a known secret (demo data only).
pub async fn enroll_with_secret(
    conn: &mut Conn,
    key: &SecretKey,
    user_id: &str,
    secret: &[u8],
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE users SET totp_secret = $1, mfa_enrolled_at = $2 WHERE id = $3")
        .bind(crypto::seal(key, user_id, secret))
        .bind(now)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A password sign-in waiting for its second factor.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Challenge {
    pub id: String,
    pub user_id: String,
    pub next_path: String,
    pub attempts: i64,
    pub expires_at: i64,
}

/// Opens a challenge and returns the token for its cookie.
pub async fn create_challenge(conn: &mut Conn, user_id: &str, next_path: &str, now: i64) -> Result<String> {
    let (token, token_hash) = crate::auth::session::new_token();
    sqlx::query(
        "INSERT INTO mfa_challenges (id, token_hash, user_id, next_path, attempts, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $6)",
    )
    .bind(new_id())
    .bind(token_hash)
    .bind(user_id)
    .bind(next_path)
    .bind(now)
    .bind(now + CHALLENGE_SECS)
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

/// The live challenge behind a token (expired ones are dropped on sight).
pub async fn find_challenge(conn: &mut Conn, token: &str, now: i64) -> Result<Option<Challenge>> {
    let challenge: Option<Challenge> =
        sqlx::query_as("SELECT id, user_id, next_path, attempts, expires_at FROM mfa_challenges WHERE token_hash = $1")
            .bind(crate::auth::session::hash_token(token))
            .fetch_optional(&mut *conn)
            .await?;
    match challenge {
        Some(c) if c.expires_at > now => Ok(Some(c)),
        Some(c) => {
            delete_challenge(conn, &c.id).await?;
            Ok(None)
        }
        None => Ok(None),
    }
}

pub async fn delete_challenge(conn: &mut Conn, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM mfa_challenges WHERE id = $1").bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// Reserves one of the challenge's attempts before its code is checked (one atomic
/// statement: concurrent codes cannot share an attempt). Returns the attempts so far, or
/// `None` when the challenge is used up, expired or gone.
pub async fn reserve_challenge_attempt(conn: &mut Conn, id: &str, now: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "UPDATE mfa_challenges SET attempts = attempts + 1 \
         WHERE id = $1 AND attempts < $2 AND expires_at > $3 RETURNING attempts",
    )
    .bind(id)
    .bind(CHALLENGE_MAX_ATTEMPTS)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The attempts a challenge has taken, if it still exists.
pub async fn challenge_attempts(conn: &mut Conn, id: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT attempts FROM mfa_challenges WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

/// Step-up is locked until this instant, if it is.
pub fn step_up_locked(user: &MfaUser, now: i64) -> Option<i64> {
    user.step_up_locked_until.filter(|until| *until > now)
}

/// Reserves a step-up attempt before its secret is checked: counted as a failure in one
/// atomic statement, and refused (`None`) while step-up is locked. The fifth reservation
/// locks at once (a success clears it): an attempt that never comes back (a dropped request)
/// cannot leave the count at five without a lock that ends. A lock that has ended starts the
/// count again. Returns the failures counted so far.
pub async fn reserve_step_up(conn: &mut Conn, user_id: &str, now: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "UPDATE users SET \
         step_up_failures = CASE WHEN step_up_locked_until <= $3 THEN 1 ELSE step_up_failures + 1 END, \
         step_up_locked_until = CASE WHEN step_up_locked_until <= $3 THEN NULL \
             WHEN step_up_failures + 1 >= $2 THEN $4 ELSE step_up_locked_until END \
         WHERE id = $1 AND ((step_up_locked_until IS NULL AND step_up_failures < $2) OR step_up_locked_until <= $3) \
         RETURNING step_up_failures",
    )
    .bind(user_id)
    .bind(STEP_UP_MAX_FAILURES)
    .bind(now)
    .bind(now + STEP_UP_LOCK_SECS)
    .fetch_optional(&mut *conn)
    .await?)
}

/// After a failed step-up: when five failures are counted, locks step-up for 30 minutes
/// and returns the lock's end.
pub async fn lock_step_up_if_spent(conn: &mut Conn, user_id: &str, now: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "UPDATE users SET step_up_failures = 0, step_up_locked_until = $1 \
         WHERE id = $2 AND step_up_failures >= $3 RETURNING step_up_locked_until",
    )
    .bind(now + STEP_UP_LOCK_SECS)
    .bind(user_id)
    .bind(STEP_UP_MAX_FAILURES)
    .fetch_optional(&mut *conn)
    .await?)
}

pub async fn clear_step_up_failures(conn: &mut Conn, user_id: &str) -> Result<()> {
    sqlx::query("UPDATE users SET step_up_failures = 0, step_up_locked_until = NULL WHERE id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_pin_hash(conn: &mut Conn, user_id: &str, hash: &str) -> Result<()> {
    sqlx::query("UPDATE users SET analytics_pin_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Seconds until `user_id` may be sent another code for `purpose` (one a minute), taken
/// under the user's row lock so that concurrent requests cannot both send one.
pub async fn email_code_wait(conn: &mut Conn, user_id: &str, purpose: &str, now: i64) -> Result<i64> {
    crate::db::lock_row(conn, crate::db::Locked::User, user_id).await?;
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(created_at) FROM email_codes WHERE user_id = $1 AND purpose = $2")
            .bind(user_id)
            .bind(purpose)
            .fetch_one(&mut *conn)
            .await?;
    Ok(last.map_or(0, |at| (at + 60 - now).max(0)))
}

/// Every session of the user loses its MFA verification and step-up (two-factor turned off).
pub async fn unverify_sessions(conn: &mut Conn, user_id: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET mfa_verified_at = NULL, step_up_until = NULL WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Stores a new password hash.
pub async fn set_password_hash(conn: &mut Conn, user_id: &str, hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A fresh 6-digit code for `purpose`, replacing unused earlier ones; stored hashed.
pub async fn create_email_code(conn: &mut Conn, user_id: &str, purpose: &str, now: i64) -> Result<String> {
    sqlx::query("DELETE FROM email_codes WHERE user_id = $1 AND purpose = $2")
        .bind(user_id)
        .bind(purpose)
        .execute(&mut *conn)
        .await?;
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000));
    sqlx::query(
        "INSERT INTO email_codes (id, user_id, purpose, code_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(user_id)
    .bind(purpose)
    .bind(hash_code(&format!("{user_id}:{code}")))
    .bind(now + super::EMAIL_CODE_SECS)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(code)
}

/// Spends an emailed code: true once, for an unexpired code of this user and purpose.
pub async fn spend_email_code(conn: &mut Conn, user_id: &str, purpose: &str, code: &str, now: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE email_codes SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND code_hash = $4 \
         AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(user_id)
    .bind(purpose)
    .bind(hash_code(&format!("{user_id}:{code}")))
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
}
