//! API keys (DESIGN §9): made on `/settings/api-keys` (or by operators with `gatehouse
//! api-keys create`), shown once, stored as SHA-256 with a display prefix, scoped to a subset
//! of the maker's role and never beyond it, accepted only as `Authorization: Bearer`.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod token;

use crate::access::{Permission, PermissionSet};
use serde::{Deserialize, Serialize};

/// The permissions a key can carry: those the public API answers to. A key gets the ones
/// chosen that its maker's role holds (grants never pass to a key: they are personal and may
/// expire; platform permissions never: they are not a tenant's).
pub const API_SCOPES: PermissionSet = PermissionSet::of(&[
    Permission::OrdersRead,
    Permission::OrdersWrite,
    Permission::InvoicesRead,
    Permission::InvoicesCreate,
    Permission::CustomersPiiRead,
    Permission::AnalyticsView,
    Permission::AnalyticsViewRevenue,
    Permission::AnalyticsViewSales,
    Permission::AnalyticsViewProducts,
]);

/// Days a key lives when its maker does not say.
pub const DEFAULT_DAYS: i64 = 90;
/// The longest a key may live.
pub const MAX_DAYS: i64 = 366;

/// A key as the settings page lists it (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    pub id: String,
    pub name: String,
    /// `gth_` and the first characters, to recognize it.
    pub prefix: String,
    pub maker: String,
    /// The scopes chosen, and those of them the maker's role holds today.
    pub scopes: Vec<String>,
    pub effective: Vec<String>,
    pub created: String,
    pub expires: String,
    pub last_used: Option<String>,
    pub last_used_ip: Option<String>,
    /// When and why it was revoked (or that it expired), if it no longer works.
    pub ended: Option<String>,
}

/// A scope the caller may give a new key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeChoice {
    pub key: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysPage {
    pub keys: Vec<KeyView>,
    pub scopes: Vec<ScopeChoice>,
}

/// A key just made: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub id: String,
    pub name: String,
    pub secret: String,
    pub expires: String,
    pub scopes: Vec<String>,
}
