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
    /// Seconds the caller must still wait before an attempt is checked (0: go ahead).
    pub fn wait(&self, state: Option<ThrottleState>, now: i64) -> i64 {
        let Some(state) = state else { return 0 };
        if now - state.last_failure_at >= self.forget_after || state.failures < self.free_failures {
            return 0;
        }
        let doublings = (state.failures - self.free_failures).min(30) as u32;
        let delay = self.base_delay.saturating_mul(1 << doublings).min(self.max_delay);
        (state.last_failure_at + delay - now).max(0)
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

    pub async fn load(conn: &mut Conn, key: &str) -> Result<Option<ThrottleState>, sqlx::Error> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT failures, last_failure_at FROM login_throttle WHERE throttle_key = $1")
                .bind(key)
                .fetch_optional(&mut *conn)
                .await?;
        Ok(row.map(|(failures, last_failure_at)| ThrottleState { failures, last_failure_at }))
    }

    /// Records a failure for `key` and returns the new state.
    pub async fn fail(
        conn: &mut Conn,
        policy: &ThrottlePolicy,
        key: &str,
        now: i64,
    ) -> Result<ThrottleState, sqlx::Error> {
        let next = policy.record_failure(load(conn, key).await?, now);
        sqlx::query(
            "INSERT INTO login_throttle (throttle_key, failures, last_failure_at) VALUES ($1, $2, $3) \
             ON CONFLICT (throttle_key) DO UPDATE SET failures = excluded.failures, \
             last_failure_at = excluded.last_failure_at",
        )
        .bind(key)
        .bind(next.failures)
        .bind(next.last_failure_at)
        .execute(&mut *conn)
        .await?;
        Ok(next)
    }

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

    #[test]
    fn huge_counts_do_not_overflow() {
        let s = Some(ThrottleState { failures: i64::MAX / 2, last_failure_at: 0 });
        assert_eq!(IP_POLICY.wait(s, 0), IP_POLICY.max_delay);
    }
}
