//! The team: members of the active organization and their roles.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
