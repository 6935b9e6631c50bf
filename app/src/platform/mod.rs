//! The operator console `/admin` (DESIGN §9): platform staff find tenants, confirm bank
//! transfers and suspend or reactivate organizations. Staff see a tenant's subscription,
//! members count and activity — never its finance, analytics or customer data.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod server;

use crate::billing::{Plan, Status, Suspension, Transfer};
use serde::{Deserialize, Serialize};

/// A tenant in the console's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub plan: Plan,
    pub status: Status,
    pub members: i64,
    /// UTC, when any member last used it.
    pub last_active: Option<String>,
}

/// A tenant's page in the console.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantDetail {
    pub tenant: Tenant,
    pub created: String,
    /// The trial's or paid period's end (UTC).
    pub period_end: Option<String>,
    pub payment_method: Option<String>,
    pub suspension: Option<Suspension>,
    pub transfers: Vec<Transfer>,
    /// Whether the caller may confirm transfers / suspend now (step-up done).
    pub can_confirm: bool,
    pub can_manage: bool,
}

/// What a confirmation did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmed {
    /// `false`: it had been confirmed before and nothing changed.
    pub fresh: bool,
    pub reference: String,
    /// UTC.
    pub confirmed_at: String,
    pub confirmed_by: String,
    pub paid_until: Option<String>,
}

impl Confirmed {
    pub fn message(&self) -> String {
        if self.fresh {
            format!(
                "Transfer {} confirmed. The subscription is paid until {}.",
                self.reference,
                self.paid_until.as_deref().unwrap_or("—")
            )
        } else {
            format!(
                "Transfer {} was already confirmed on {} by {}. Nothing changed.",
                self.reference, self.confirmed_at, self.confirmed_by
            )
        }
    }
}
