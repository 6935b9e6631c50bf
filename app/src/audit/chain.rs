//! The per-organization hash chain: each event's hash covers the previous event's hash and
//! every stored field of the event, so editing, deleting or reordering rows breaks the chain.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event of every chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The stored fields of one event, in chain order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HashedEvent<'a> {
    pub chain: &'a str,
    pub seq: i64,
    pub id: &'a str,
    pub org_id: Option<&'a str>,
    pub actor_type: &'a str,
    pub actor_id: Option<&'a str>,
    pub actor_label: &'a str,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub outcome: &'a str,
    pub reason: Option<&'a str>,
    pub metadata: &'a str,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub created_at: i64,
}

/// SHA-256 (hex) of `prev_hash` and the event's canonical JSON (a fixed field order and
/// JSON's own escaping: no two different events share an encoding).
pub fn event_hash(prev_hash: &str, event: &HashedEvent<'_>) -> String {
    let canonical = serde_json::to_string(&(prev_hash, event)).unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(action: &'a str, metadata: &'a str) -> HashedEvent<'a> {
        HashedEvent {
            chain: "org-1",
            seq: 1,
            id: "e1",
            org_id: Some("org-1"),
            actor_type: "user",
            actor_id: Some("u1"),
            actor_label: "owner@acme.test",
            action,
            target_type: None,
            target_id: None,
            outcome: "allowed",
            reason: None,
            metadata,
            ip: Some("127.0.0.1"),
            user_agent: None,
            created_at: 1_700_000_000,
        }
    }

    #[test]
    fn every_field_and_the_previous_hash_count() {
        let base = event_hash(GENESIS, &event("auth.sign_in", "{}"));
        assert_eq!(base.len(), 64);
        assert_eq!(base, event_hash(GENESIS, &event("auth.sign_in", "{}")));
        assert_ne!(base, event_hash(GENESIS, &event("auth.sign_out", "{}")));
        assert_ne!(base, event_hash(GENESIS, &event("auth.sign_in", "{\"a\":1}")));
        assert_ne!(base, event_hash(&base, &event("auth.sign_in", "{}")));
        let mut later = event("auth.sign_in", "{}");
        later.created_at += 1;
        assert_ne!(base, event_hash(GENESIS, &later));
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        let mut a = event("x", "{}");
        a.actor_label = "ab";
        a.target_type = Some("c");
        let mut b = event("x", "{}");
        b.actor_label = "a";
        b.target_type = Some("bc");
        assert_ne!(event_hash(GENESIS, &a), event_hash(GENESIS, &b));
    }
}
