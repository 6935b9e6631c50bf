//! Login throttling per account and per IP address with a progressive delay (DESIGN §5).
//!
//! A few failures are free; after that each further failure doubles the wait before the
//! next attempt is even checked, up to a cap. The account cap is short (one minute), so an
//! attacker cannot lock a victim out for long; the IP cap is longer, since one address
//! guessing many accounts is the real attack. Failures are forgotten after a quiet period.
//! State lives in the database, so every app server behind a load balancer sees it.

/// How one kind of key (account or IP) is throttled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed before any delay.
    pub free_failures: i64,
    /// The first delay, in seconds; it doubles with each further failure.
    pub base_delay: i64,
    /// The longest delay, in seconds.
    pub max_delay: i64,
    /// Seconds without a failure after which the count starts again.
    pub forget_after: i64,
}

pub const ACCOUNT_POLICY: ThrottlePolicy =
    ThrottlePolicy { free_failures: 5, base_delay: 2, max_delay: 60, forget_after: 15 * 60 };

pub const IP_POLICY: ThrottlePolicy =
    ThrottlePolicy { free_failures: 20, base_delay: 2, max_delay: 15 * 60, forget_after: 60 * 60 };

/// The failures recorded for one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: i64,
    pub last_failure_at: i64,
}

impl ThrottlePolicy {
    /// The wait, in seconds, that `failures` failures in a row impose before the next attempt.
    pub fn delay(&self, failures: i64) -> i64 {
        if failures < self.free_failures {
            return 0;
        }
        let doublings = (failures - self.free_failures).min(30) as u32;
        self.base_delay.saturating_mul(1 << doublings).min(self.max_delay)
    }

    /// Seconds the caller must still wait before an attempt is checked (0: go ahead).
    pub fn wait(&self, state: Option<ThrottleState>, now: i64) -> i64 {
        let Some(state) = state else { return 0 };
        if now - state.last_failure_at >= self.forget_after {
            return 0;
        }
        (state.last_failure_at + self.delay(state.failures) - now).max(0)
    }

    /// The state after one more failure at `now`.
    pub fn record_failure(&self, state: Option<ThrottleState>, now: i64) -> ThrottleState {
        match state {
            Some(s) if now - s.last_failure_at < self.forget_after => {
                ThrottleState { failures: s.failures + 1, last_failure_at: now }
            }
            _ => ThrottleState { failures: 1, last_failure_at: now },
        }
    }

    /// [`Self::delay`] as an SQL expression over the column `failures` of `table`: one `WHEN`
    /// per delay below the cap. Built from the policy's constants only, never from input.
    #[cfg(feature = "ssr")]
    fn delay_sql(&self, table: &str) -> String {
        let mut sql = format!("CASE WHEN {table}.failures < {} THEN 0", self.free_failures);
        let mut failures = self.free_failures;
        while self.delay(failures) < self.max_delay {
            sql.push_str(&format!(" WHEN {table}.failures = {failures} THEN {}", self.delay(failures)));
            failures += 1;
        }
        sql.push_str(&format!(" ELSE {} END", self.max_delay));
        sql
    }
}

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::db::Conn;
    use sha2::{Digest, Sha256};

    /// The throttle key of an account: a hash, so the table holds no email addresses.
    pub fn account_key(email: &str) -> String {
        format!("account:{}", hex::encode(Sha256::digest(email.trim().to_lowercase().as_bytes())))
    }

    pub fn ip_key(ip: &str) -> String {
        format!("ip:{ip}")
    }

    /// The second-factor attempts of a user, across sign-in challenges.
    pub fn mfa_key(user_id: &str) -> String {
        format!("mfa:{user_id}")
    }

    pub async fn load(conn: &mut Conn, key: &str) -> Result<Option<ThrottleState>, sqlx::Error> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT failures, last_failure_at FROM login_throttle WHERE throttle_key = $1")
                .bind(key)
                .fetch_optional(&mut *conn)
                .await?;
        Ok(row.map(|(failures, last_failure_at)| ThrottleState { failures, last_failure_at }))
    }

    /// Reserves one attempt for `key` before its secret is checked: in one atomic statement
    /// the attempt is counted as a failure if the policy lets it through now, and nothing
    /// changes if it does not. Concurrent attempts therefore cannot all pass a check that
    /// they would each pass alone. `Ok(None)`: refused, wait [`wait_for`]. `Ok(Some(n))`: go
    /// ahead, this is failure `n` unless [`release`] or [`clear`] says otherwise.
    pub async fn reserve(
        conn: &mut Conn,
        policy: &ThrottlePolicy,
        key: &str,
        now: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        let delay = policy.delay_sql("login_throttle");
        let sql = format!(
            "INSERT INTO login_throttle (throttle_key, failures, last_failure_at) VALUES ($1, 1, $2) \
             ON CONFLICT (throttle_key) DO UPDATE SET \
             failures = CASE WHEN login_throttle.last_failure_at <= $3 THEN 1 ELSE login_throttle.failures + 1 END, \
             last_failure_at = $2 \
             WHERE login_throttle.last_failure_at <= $3 OR login_throttle.last_failure_at + ({delay}) <= $2 \
             RETURNING failures"
        );
        sqlx::query_scalar(&sql).bind(key).bind(now).bind(now - policy.forget_after).fetch_optional(&mut *conn).await
    }

    /// Seconds until `key` may try again (at least 1: it was just refused).
    pub async fn wait_for(conn: &mut Conn, policy: &ThrottlePolicy, key: &str, now: i64) -> Result<i64, sqlx::Error> {
        Ok(policy.wait(load(conn, key).await?, now).max(1))
    }

    /// Gives back an attempt reserved by [`reserve`] that turned out not to be a failure.
    pub async fn release(conn: &mut Conn, key: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE login_throttle SET failures = failures - 1 WHERE throttle_key = $1 AND failures > 0")
            .bind(key)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Forgets every failure of `key` (a success proves the owner is back).
    pub async fn clear(conn: &mut Conn, key: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1").bind(key).execute(&mut *conn).await?;
        Ok(())
    }

    /// Drops entries old enough to be forgotten anyway (housekeeping).
    pub async fn purge(conn: &mut Conn, now: i64) -> Result<u64, sqlx::Error> {
        let oldest = now - IP_POLICY.forget_after.max(ACCOUNT_POLICY.forget_after);
        Ok(sqlx::query("DELETE FROM login_throttle WHERE last_failure_at < $1")
            .bind(oldest)
            .execute(&mut *conn)
            .await?
            .rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(policy: &ThrottlePolicy, failures: i64, start: i64) -> Option<ThrottleState> {
        let mut state = None;
        for _ in 0..failures {
            state = Some(policy.record_failure(state, start));
        }
        state
    }

    #[test]
    fn free_failures_cost_nothing() {
        let s = after(&ACCOUNT_POLICY, 4, 1_000);
        assert_eq!(ACCOUNT_POLICY.wait(s, 1_000), 0);
        assert_eq!(ACCOUNT_POLICY.wait(None, 1_000), 0);
    }

    #[test]
    fn delay_doubles_then_caps() {
        let waits: Vec<i64> = (5..=12).map(|n| ACCOUNT_POLICY.wait(after(&ACCOUNT_POLICY, n, 1_000), 1_000)).collect();
        assert_eq!(waits, vec![2, 4, 8, 16, 32, 60, 60, 60]);
        // The IP cap is longer.
        assert_eq!(IP_POLICY.wait(after(&IP_POLICY, 40, 0), 0), 15 * 60);
    }

    #[test]
    fn a_victim_is_never_locked_out_for_long() {
        // Even after a thousand failures the account waits one minute at most.
        let s = after(&ACCOUNT_POLICY, 1_000, 5_000);
        assert_eq!(ACCOUNT_POLICY.wait(s, 5_000), 60);
        assert_eq!(ACCOUNT_POLICY.wait(s, 5_060), 0);
    }

    #[test]
    fn wait_counts_down_from_the_last_failure() {
        let s = after(&ACCOUNT_POLICY, 7, 1_000); // 8 s delay
        assert_eq!(ACCOUNT_POLICY.wait(s, 1_003), 5);
        assert_eq!(ACCOUNT_POLICY.wait(s, 1_008), 0);
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_period() {
        let s = after(&ACCOUNT_POLICY, 9, 1_000);
        let quiet = 1_000 + ACCOUNT_POLICY.forget_after;
        assert_eq!(ACCOUNT_POLICY.wait(s, quiet), 0);
        assert_eq!(ACCOUNT_POLICY.record_failure(s, quiet).failures, 1);
        assert_eq!(ACCOUNT_POLICY.record_failure(s, quiet - 1).failures, 10);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_sql_delay_matches_the_policy() {
        let sql = ACCOUNT_POLICY.delay_sql("t");
        assert_eq!(
            sql,
            "CASE WHEN t.failures < 5 THEN 0 WHEN t.failures = 5 THEN 2 WHEN t.failures = 6 THEN 4 \
             WHEN t.failures = 7 THEN 8 WHEN t.failures = 8 THEN 16 WHEN t.failures = 9 THEN 32 ELSE 60 END"
        );
        assert!(IP_POLICY.delay_sql("t").ends_with("WHEN t.failures = 28 THEN 512 ELSE 900 END"));
    }

    #[test]
    fn huge_counts_do_not_overflow() {
        let s = Some(ThrottleState { failures: i64::MAX / 2, last_failure_at: 0 });
        assert_eq!(IP_POLICY.wait(s, 0), IP_POLICY.max_delay);
    }
}
