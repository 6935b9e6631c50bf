//! Team server functions and their wire types.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::access::guard;
use crate::access::{Permission, Requirement};

/// A member of the organization as the roster shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The membership id (used in URLs).
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role_id: String,
    pub role_key: String,
    pub role_name: String,
    /// When they joined, in the organization's timezone.
    pub joined: String,
    /// When they last used this organization, in its timezone.
    pub last_active: Option<String>,
}

/// Reading the roster.
pub const TEAM_READ: Requirement = Requirement::all(&[Permission::TeamRead]);

/// The members of the active organization. Requires `team.read`.
#[server(prefix = "/api", endpoint = "team/members")]
pub async fn list_members() -> Result<Vec<Member>, AppError> {
    let cx = guard(&TEAM_READ).await?;
    let mut conn = cx.state.db.conn().await?;
    super::server::list(&mut conn, cx.org_id(), &cx.org.timezone).await
}

/// One member of the active organization (404 for anyone else's). Requires `team.read`.
#[server(prefix = "/api", endpoint = "team/member")]
pub async fn get_member(member_id: String) -> Result<Member, AppError> {
    let cx = guard(&TEAM_READ).await?;
    let mut conn = cx.state.db.conn().await?;
    super::server::find(&mut conn, cx.org_id(), &cx.org.timezone, &member_id).await
}
