//! The audit log (DESIGN §6): every sensitive action and every denied attempt, written in
//! the same transaction as the change, append-only and hash-chained per organization.

use serde::{Deserialize, Serialize};

/// What came of the attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Denied,
    Failed,
}

impl Outcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        match text {
            "allowed" => Some(Outcome::Allowed),
            "denied" => Some(Outcome::Denied),
            "failed" => Some(Outcome::Failed),
            _ => None,
        }
    }
}

pub mod api;
#[cfg(feature = "ssr")]
mod chain;
pub mod components;
#[cfg(feature = "ssr")]
mod reads;
#[cfg(feature = "ssr")]
mod record;
#[cfg(feature = "ssr")]
pub mod retention;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;

#[cfg(feature = "ssr")]
pub use chain::{GENESIS, HashedEvent, event_hash};
#[cfg(feature = "ssr")]
pub use reads::ReadRecords;
#[cfg(feature = "ssr")]
pub use record::{Actor, Event, PLATFORM_CHAIN, record, record_all};
