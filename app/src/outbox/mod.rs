//! `/admin/outbox`: the mail Gatehouse sent (invitations, emailed codes), for operators. They
//! see each message without its link or code (see [`crate::mail`]).

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod server;

use serde::{Deserialize, Serialize};

/// One message as operators see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: String,
    /// UTC.
    pub created: String,
    pub to: String,
    pub subject: String,
    /// The text with any link or code replaced.
    pub body: String,
    pub sent: bool,
}
