//! The wire types of the team roster: what its server functions take and answer. Shared by
//! `api` (the endpoints), `server` (the queries) and the components, so dependencies run one
//! way: components → api → server → types.

use serde::{Deserialize, Serialize};

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
    /// Two-factor authentication is on for their account.
    pub mfa_enrolled: bool,
    /// Their role here requires two-factor authentication.
    pub mfa_required: bool,
    /// They hold a different role in another organization (which one is not shown).
    pub role_conflict: bool,
}

impl Member {
    /// In a role that requires two-factor authentication without having set it up.
    pub fn mfa_missing(&self) -> bool {
        self.mfa_required && !self.mfa_enrolled
    }
}

/// A role of the organization, and whether the caller may give it to someone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignableRole {
    pub id: String,
    pub name: String,
    /// Every permission of the role is one the caller holds.
    pub assignable: bool,
}

/// An ownership offer waiting for the caller's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnershipOffer {
    pub id: String,
    pub from_name: String,
    /// In the organization's timezone.
    pub expires: String,
}
