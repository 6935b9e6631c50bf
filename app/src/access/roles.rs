//! The built-in role templates (DESIGN §3). Every organization gets all of them; custom roles
//! are added per organization and stored with their permission keys.

use super::permission::{Permission as P, PermissionSet};
use serde::{Deserialize, Serialize};

/// A built-in role. Its permissions live here in code, so a template change reaches every
/// organization at once; the `roles` table only names it per organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuiltinRole {
    Owner,
    Admin,
    FinanceAdmin,
    Finance,
    Analyst,
    Member,
    Viewer,
}

const OWNER: PermissionSet = PermissionSet::TENANT;

const ADMIN: PermissionSet = PermissionSet::of(&[
    P::OrgSettingsManage,
    P::OrgBillingRead,
    P::TeamRead,
    P::TeamInvite,
    P::TeamManage,
    P::RolesRead,
    P::RolesManage,
    P::AuditRead,
    P::AuditExport,
    P::ApiKeysManage,
    P::OrdersRead,
]);

const FINANCE_ADMIN: PermissionSet = PermissionSet::of(&[
    P::OrgBillingRead,
    P::InvoicesRead,
    P::InvoicesCreate,
    P::InvoicesUpdate,
    P::InvoicesVoid,
    P::RefundsRequest,
    P::RefundsApprove,
    P::PaymentsRecord,
    P::PaymentsConfirm,
    P::OrdersRead,
    P::CustomersPiiRead,
]);

const FINANCE: PermissionSet = PermissionSet::of(&[
    P::InvoicesRead,
    P::InvoicesCreate,
    P::InvoicesUpdate,
    P::RefundsRequest,
    P::PaymentsRecord,
    P::OrdersRead,
]);

const ANALYST: PermissionSet = PermissionSet::of(&[P::AnalyticsView, P::AnalyticsViewSales, P::AnalyticsViewProducts]);

const MEMBER: PermissionSet = PermissionSet::of(&[P::OrdersRead, P::OrdersWrite]);

const VIEWER: PermissionSet = PermissionSet::of(&[P::OrdersRead]);

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 7] = [
        BuiltinRole::Owner,
        BuiltinRole::Admin,
        BuiltinRole::FinanceAdmin,
        BuiltinRole::Finance,
        BuiltinRole::Analyst,
        BuiltinRole::Member,
        BuiltinRole::Viewer,
    ];

    /// The stable key stored in `roles.role_key`.
    pub const fn key(self) -> &'static str {
        match self {
            BuiltinRole::Owner => "owner",
            BuiltinRole::Admin => "admin",
            BuiltinRole::FinanceAdmin => "finance_admin",
            BuiltinRole::Finance => "finance",
            BuiltinRole::Analyst => "analyst",
            BuiltinRole::Member => "member",
            BuiltinRole::Viewer => "viewer",
        }
    }

    pub fn from_key(key: &str) -> Option<BuiltinRole> {
        BuiltinRole::ALL.into_iter().find(|r| r.key() == key)
    }

    pub const fn name(self) -> &'static str {
        match self {
            BuiltinRole::Owner => "Owner",
            BuiltinRole::Admin => "Admin",
            BuiltinRole::FinanceAdmin => "Finance admin",
            BuiltinRole::Finance => "Finance",
            BuiltinRole::Analyst => "Analyst",
            BuiltinRole::Member => "Member",
            BuiltinRole::Viewer => "Viewer",
        }
    }

    pub const fn permissions(self) -> PermissionSet {
        match self {
            BuiltinRole::Owner => OWNER,
            BuiltinRole::Admin => ADMIN,
            BuiltinRole::FinanceAdmin => FINANCE_ADMIN,
            BuiltinRole::Finance => FINANCE,
            BuiltinRole::Analyst => ANALYST,
            BuiltinRole::Member => MEMBER,
            BuiltinRole::Viewer => VIEWER,
        }
    }

    /// Roles that must sign in with MFA before their privileged permissions apply.
    pub const fn mfa_required(self) -> bool {
        matches!(self, BuiltinRole::Owner | BuiltinRole::Admin | BuiltinRole::FinanceAdmin | BuiltinRole::Finance)
    }

    /// Owners and admins may use a workspace whose onboarding is not complete.
    pub const fn may_onboard(self) -> bool {
        matches!(self, BuiltinRole::Owner | BuiltinRole::Admin)
    }

    /// What the role can do, in plain words, for the role catalog.
    pub const fn can(self) -> &'static [&'static str] {
        match self {
            BuiltinRole::Owner => &[
                "Everything in the organization",
                "Transfer ownership and manage billing",
                "See all analytics, including revenue, and export them",
            ],
            BuiltinRole::Admin => &[
                "Invite members, change their roles and remove them",
                "Create custom roles and change organization settings",
                "Read and export the audit log, manage API keys",
            ],
            BuiltinRole::FinanceAdmin => &[
                "Everything finance can do",
                "Approve refunds, void invoices and approve edits to issued ones",
                "Confirm payments and see customer details unmasked",
            ],
            BuiltinRole::Finance => &["Read, create and edit invoices", "Request refunds and record payments"],
            BuiltinRole::Analyst => &["Open analytics with sales and product figures"],
            BuiltinRole::Member => &["Use the workspace: read and enter orders", "Manage their own profile"],
            BuiltinRole::Viewer => &["Read what members see", "Manage their own profile"],
        }
    }

    /// What the role cannot do, in plain words, for the role catalog.
    pub const fn cannot(self) -> &'static [&'static str] {
        match self {
            BuiltinRole::Owner => &["Use platform-staff tools"],
            BuiltinRole::Admin => &[
                "Transfer ownership or manage billing",
                "Work invoices, refunds or payments",
                "See analytics unless granted",
            ],
            BuiltinRole::FinanceAdmin => &["Manage the team, roles or settings", "See analytics unless granted"],
            BuiltinRole::Finance => &[
                "Approve refunds (not even their own) or void invoices",
                "See customer details unmasked",
                "Manage the team, roles or settings",
            ],
            BuiltinRole::Analyst => &[
                "See revenue figures or export, unless granted",
                "See customer details",
                "Work finance or manage the team",
            ],
            BuiltinRole::Member => &["Open finance, analytics or settings"],
            BuiltinRole::Viewer => &["Change anything but their own profile"],
        }
    }
}

/// A role requires MFA when it is a built-in flagged so, or a custom role holding any
/// privileged permission.
pub fn role_requires_mfa(builtin: Option<BuiltinRole>, permissions: PermissionSet) -> bool {
    match builtin {
        Some(role) => role.mfa_required(),
        None => permissions.intersects(PermissionSet::PRIVILEGED),
    }
}

/// A role as stored in the `roles` table: a built-in (its permissions come from code) or a
/// custom role (its stored keys). Returns the built-in, the permissions, and any stored key
/// the registry does not know (ignored, for the caller to log).
pub fn stored_role(
    builtin: bool,
    key: &str,
    stored_permissions: &str,
) -> (Option<BuiltinRole>, PermissionSet, Vec<String>) {
    match builtin.then(|| BuiltinRole::from_key(key)).flatten() {
        Some(role) => (Some(role), role.permissions(), Vec::new()),
        None => {
            let (set, unknown) = PermissionSet::parse_keys(stored_permissions);
            // A custom role never carries platform permissions, whatever is stored.
            (None, set.intersection(PermissionSet::TENANT), unknown)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Permission;

    /// The whole role × permission table, pinned: a change here is a product decision.
    #[test]
    fn role_permission_table_is_pinned() {
        use BuiltinRole::*;
        let expected: &[(BuiltinRole, &[&str])] = &[
            (
                Admin,
                &[
                    "org.settings.manage",
                    "org.billing.read",
                    "team.read",
                    "team.invite",
                    "team.manage",
                    "roles.read",
                    "roles.manage",
                    "audit.read",
                    "audit.export",
                    "orders.read",
                    "api_keys.manage",
                ],
            ),
            (
                FinanceAdmin,
                &[
                    "org.billing.read",
                    "invoices.read",
                    "invoices.create",
                    "invoices.update",
                    "invoices.void",
                    "refunds.request",
                    "refunds.approve",
                    "payments.record",
                    "payments.confirm",
                    "orders.read",
                    "customers.pii.read",
                ],
            ),
            (
                Finance,
                &[
                    "invoices.read",
                    "invoices.create",
                    "invoices.update",
                    "refunds.request",
                    "payments.record",
                    "orders.read",
                ],
            ),
            (Analyst, &["analytics.view", "analytics.view_sales", "analytics.view_products"]),
            (Member, &["orders.read", "orders.write"]),
            (Viewer, &["orders.read"]),
        ];
        for (role, keys) in expected {
            let (set, unknown) = PermissionSet::parse_keys(&keys.join(" "));
            assert!(unknown.is_empty());
            assert_eq!(role.permissions(), set, "{role:?}");
        }
        // The owner holds every tenant permission and no platform one.
        for p in Permission::ALL {
            let platform = p.key().starts_with("platform.");
            assert_eq!(Owner.permissions().contains(*p), !platform, "owner × {}", p.key());
        }
    }

    #[test]
    fn no_tenant_role_holds_a_platform_permission() {
        for role in BuiltinRole::ALL {
            assert!(!role.permissions().intersects(PermissionSet::PLATFORM), "{role:?}");
        }
    }

    #[test]
    fn design_rules_hold() {
        use BuiltinRole::*;
        // Only the owner transfers ownership; the analyst sees no revenue and exports nothing.
        for role in BuiltinRole::ALL {
            assert_eq!(role.permissions().contains(Permission::OrgOwnershipTransfer), role == Owner);
        }
        assert!(!Analyst.permissions().contains(Permission::AnalyticsViewRevenue));
        assert!(!Analyst.permissions().contains(Permission::AnalyticsExport));
        assert!(!Finance.permissions().contains(Permission::CustomersPiiRead));
        assert!(!Finance.permissions().contains(Permission::RefundsApprove));
        // MFA flags.
        let mfa: Vec<_> = BuiltinRole::ALL.into_iter().filter(|r| r.mfa_required()).collect();
        assert_eq!(mfa, vec![Owner, Admin, FinanceAdmin, Finance]);
        // Keys round-trip.
        for role in BuiltinRole::ALL {
            assert_eq!(BuiltinRole::from_key(role.key()), Some(role));
            assert!(!role.can().is_empty() && !role.cannot().is_empty());
        }
        assert_eq!(BuiltinRole::from_key("root"), None);
    }

    #[test]
    fn stored_roles_are_read_from_code_or_keys() {
        let (b, p, u) = stored_role(true, "analyst", "ignored");
        assert_eq!((b, p, u.len()), (Some(BuiltinRole::Analyst), BuiltinRole::Analyst.permissions(), 0));
        let (b, p, u) = stored_role(false, "auditor", "audit.read platform.tenants.manage nope");
        assert_eq!((b, p), (None, PermissionSet::of(&[Permission::AuditRead])));
        assert_eq!(u, vec!["nope".to_string()]);
    }

    #[test]
    fn custom_roles_require_mfa_when_privileged() {
        let analytics = PermissionSet::of(&[Permission::AnalyticsView]);
        assert!(!role_requires_mfa(None, analytics));
        assert!(role_requires_mfa(None, analytics.with(Permission::InvoicesRead)));
        assert!(role_requires_mfa(Some(BuiltinRole::Owner), PermissionSet::EMPTY));
    }
}
