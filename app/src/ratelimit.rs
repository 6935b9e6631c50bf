//! Request limits, counted in the database so that every app server counts against the same
//! number: one row per bucket (an API key, an organization) and fixed one-minute window,
//! taken with one atomic upsert that returns the new count (reserve, then check). A request
//! over the limit still counts: hammering does not reopen the window.

use crate::db::Db;
use crate::error::Result;

/// The window, in seconds.
pub const WINDOW: i64 = 60;

/// One bucket after a request was counted in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// The policy's name in the `RateLimit` headers (`key`, `org`).
    pub name: &'static str,
    pub limit: i64,
    pub hits: i64,
    /// Seconds until the window ends.
    pub reset: i64,
}

impl Count {
    pub fn exceeded(&self) -> bool {
        self.hits > self.limit
    }

    pub fn remaining(&self) -> i64 {
        (self.limit - self.hits).max(0)
    }
}

/// A bucket to count a request in: its key in the table, its policy name and its limit per
/// [`WINDOW`].
pub type Bucket<'a> = (&'a str, &'static str, i64);

/// Counts one request in each of `buckets` at `now`, in one transaction and in the order
/// given (callers name the narrower bucket first): concurrent requests then pass every bucket
/// in the same order, so with equal limits exactly the excess is refused — never a request
/// let through by one bucket and refused by the other while another gets the opposite.
pub async fn hit(db: &Db, buckets: &[Bucket<'_>], now: i64) -> Result<Vec<Count>> {
    let window_start = now - now.rem_euclid(WINDOW);
    let mut tx = db.begin().await?;
    let mut counts = Vec::with_capacity(buckets.len());
    for (bucket, name, limit) in buckets {
        let hits: i64 = sqlx::query_scalar(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits",
        )
        .bind(*bucket)
        .bind(window_start)
        .fetch_one(&mut *tx)
        .await?;
        counts.push(Count { name, limit: *limit, hits, reset: window_start + WINDOW - now });
    }
    tx.commit().await?;
    Ok(counts)
}

/// Drops the counts of windows that ended over an hour ago; returns how many.
pub async fn purge(db: &Db, now: i64) -> Result<u64> {
    let mut tx = db.begin().await?;
    let purged =
        sqlx::query("DELETE FROM rate_limits WHERE window_start < $1").bind(now - 3_600).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(purged.rows_affected())
}

/// `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers-10): each policy's quota `q`
/// and window `w`.
pub fn policy_header(counts: &[Count]) -> String {
    counts.iter().map(|c| format!("\"{}\";q={};w={WINDOW}", c.name, c.limit)).collect::<Vec<_>>().join(", ")
}

/// `RateLimit`: what remains of each policy (`r`) and the seconds until it resets (`t`).
pub fn state_header(counts: &[Count]) -> String {
    counts.iter().map(|c| format!("\"{}\";r={};t={}", c.name, c.remaining(), c.reset)).collect::<Vec<_>>().join(", ")
}

/// When any policy is exceeded: the seconds until every exceeded one resets (`Retry-After`,
/// equal to their `t`).
pub fn retry_after(counts: &[Count]) -> Option<u64> {
    counts.iter().filter(|c| c.exceeded()).map(|c| c.reset.max(1) as u64).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_the_draft() {
        let key = Count { name: "key", limit: 60, hits: 61, reset: 12 };
        let org = Count { name: "org", limit: 600, hits: 100, reset: 12 };
        assert_eq!(policy_header(&[key, org]), "\"key\";q=60;w=60, \"org\";q=600;w=60");
        assert_eq!(state_header(&[key, org]), "\"key\";r=0;t=12, \"org\";r=500;t=12");
        assert_eq!(retry_after(&[key, org]), Some(12));
        assert_eq!(retry_after(&[org]), None);
        assert!(key.exceeded() && !org.exceeded());
    }
}
