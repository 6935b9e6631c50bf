//! The role catalog: built-in roles with what they can and cannot do, and the
//! organization's custom roles.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;

/// The longest role name and description.
pub const MAX_NAME_CHARS: usize = 50;
pub const MAX_DESCRIPTION_CHARS: usize = 300;
