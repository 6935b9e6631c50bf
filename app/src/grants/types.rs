//! The wire types of analytics access: what its server functions take and answer. Shared by
//! `api` (the endpoints), `server` (the queries) and the components, so dependencies run one
//! way: components → api → server → types.

use serde::{Deserialize, Serialize};

/// Where a member's permission comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// Their role gives it: not a grant, not changeable here.
    Role,
    /// A live grant.
    Grant { by: Option<String>, at: String, until: Option<String> },
    /// They do not have it.
    Absent,
}

/// One member's row on the analytics access page: a source per `GRANTABLE` permission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberAccess {
    pub member_id: String,
    pub name: String,
    pub email: String,
    pub role_name: String,
    pub sources: Vec<Source>,
}
