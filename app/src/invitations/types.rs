//! The wire types of invitations: what its server functions take and answer. Shared by
//! `api` (the endpoints), `server` (the queries) and the components, so dependencies run one
//! way: components → api → server → types.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationState {
    Pending,
    Expired,
    Accepted,
    Revoked,
}

impl InvitationState {
    pub fn label(self) -> &'static str {
        match self {
            InvitationState::Pending => "pending",
            InvitationState::Expired => "expired",
            InvitationState::Accepted => "accepted",
            InvitationState::Revoked => "revoked",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: String,
    pub email: String,
    pub role_name: String,
    pub invited_by: Option<String>,
    pub state: InvitationState,
    pub message: String,
    /// When it was last sent, in the organization's timezone.
    pub sent: String,
    pub sent_count: i64,
    pub expires: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationList {
    pub items: Vec<InvitationView>,
    pub pending: usize,
    pub expired: usize,
    pub accepted: usize,
    pub revoked: usize,
}

/// An address of a batch that was not invited, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchProblem {
    pub email: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteOutcome {
    pub invited: Vec<String>,
    pub problems: Vec<BatchProblem>,
}

/// What `/invite/{token}` shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationInfo {
    pub org_name: String,
    pub email: String,
    pub role_name: String,
    pub inviter: Option<String>,
    pub message: String,
    pub state: InvitationState,
    pub expires: String,
    /// The address of the signed-in visitor, if any.
    pub signed_in_as: Option<String>,
}
