//! Invitations: owners and admins invite people by email with a role; the link signs a new
//! person up, or adds a signed-in person with that address, to the organization.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;

/// Addresses one batch may hold.
pub const MAX_BATCH: usize = 50;
/// Invitation emails one organization may send in 24 hours (new, renewed and resent).
pub const DAILY_INVITATIONS: i64 = 200;
/// Days an invitation lasts unless the inviter says otherwise, and at most.
pub const DEFAULT_DAYS: i64 = 7;
pub const MAX_DAYS: i64 = 30;
/// The longest personal message.
pub const MAX_MESSAGE_CHARS: usize = 1000;
