//! The wire types of the role catalog: what its server functions take and answer. Shared by
//! `api` (the endpoints), `server` (the queries) and the components, so dependencies run one
//! way: components → api → server → types.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleView {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The built-in role's key; `None` for a custom role.
    pub builtin: Option<String>,
    pub permissions: Vec<String>,
    pub mfa_required: bool,
    pub members: i64,
}
