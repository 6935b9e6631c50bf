//! The closed registry of canonical permission keys and [`PermissionSet`], a bitset of them.

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use std::fmt;

/// The area of the product a permission belongs to; the role catalog groups by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    Org,
    Team,
    Roles,
    Grants,
    Audit,
    Finance,
    Data,
    Analytics,
    Integrations,
    Platform,
}

impl Domain {
    pub const ALL: [Domain; 10] = [
        Domain::Org,
        Domain::Team,
        Domain::Roles,
        Domain::Grants,
        Domain::Audit,
        Domain::Finance,
        Domain::Data,
        Domain::Analytics,
        Domain::Integrations,
        Domain::Platform,
    ];

    pub const fn label(self) -> &'static str {
        match self {
            Domain::Org => "Organization",
            Domain::Team => "Team",
            Domain::Roles => "Roles",
            Domain::Grants => "Grants",
            Domain::Audit => "Audit log",
            Domain::Finance => "Finance",
            Domain::Data => "Orders and customers",
            Domain::Analytics => "Analytics",
            Domain::Integrations => "Integrations",
            Domain::Platform => "Platform",
        }
    }
}

/// Declares the registry once: variant, key, domain, privileged flag, label, description.
macro_rules! registry {
    ($( $variant:ident = $key:literal, $domain:ident, $privileged:literal, $label:literal, $description:literal; )*) => {
        /// A canonical permission. The set is closed: a key that is not here does not exist.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Permission { $( $variant, )* }

        impl Permission {
            /// Every permission, in registry order (the bit order of [`PermissionSet`]).
            pub const ALL: &'static [Permission] = &[ $( Permission::$variant, )* ];

            /// The stable dotted key, e.g. `analytics.view_revenue`.
            pub const fn key(self) -> &'static str {
                match self { $( Permission::$variant => $key, )* }
            }

            pub const fn domain(self) -> Domain {
                match self { $( Permission::$variant => Domain::$domain, )* }
            }

            /// Privileged permissions are withheld while a role that requires MFA has not
            /// verified MFA in this session (DESIGN §3, effective permissions).
            pub const fn privileged(self) -> bool {
                match self { $( Permission::$variant => $privileged, )* }
            }

            pub const fn label(self) -> &'static str {
                match self { $( Permission::$variant => $label, )* }
            }

            pub const fn description(self) -> &'static str {
                match self { $( Permission::$variant => $description, )* }
            }

            /// The permission with this exact key, if there is one.
            pub fn from_key(key: &str) -> Option<Permission> {
                match key { $( $key => Some(Permission::$variant), )* _ => None }
            }
        }
    };
}

registry! {
    OrgSettingsManage = "org.settings.manage", Org, true, "Manage settings", "Change the organization's name, timezone and currency.";
    OrgOwnershipTransfer = "org.ownership.transfer", Org, true, "Transfer ownership", "Hand the organization to another member.";
    OrgBillingRead = "org.billing.read", Org, true, "View billing", "See the plan, subscription and payment method.";
    OrgBillingManage = "org.billing.manage", Org, true, "Manage billing", "Change the plan and the payment method.";
    TeamRead = "team.read", Team, true, "View team", "See the members of the organization and their roles.";
    TeamInvite = "team.invite", Team, true, "Invite members", "Send, resend and revoke invitations.";
    TeamManage = "team.manage", Team, true, "Manage members", "Change members' roles, remove members, force sign-out.";
    RolesRead = "roles.read", Roles, true, "View roles", "See the role catalog and what each role can do.";
    RolesManage = "roles.manage", Roles, true, "Manage roles", "Create, edit and delete custom roles.";
    GrantsManage = "grants.manage", Grants, true, "Manage grants", "Grant and revoke individual analytics permissions.";
    AuditRead = "audit.read", Audit, true, "Read audit log", "Browse and filter the organization's audit log.";
    AuditExport = "audit.export", Audit, true, "Export audit log", "Download the audit log as CSV.";
    InvoicesRead = "invoices.read", Finance, true, "View invoices", "See invoices and their history.";
    InvoicesCreate = "invoices.create", Finance, true, "Create invoices", "Draft and issue invoices.";
    InvoicesUpdate = "invoices.update", Finance, true, "Edit invoices", "Edit drafts and propose edits to issued invoices.";
    InvoicesVoid = "invoices.void", Finance, true, "Void invoices", "Void issued invoices and approve pending edits.";
    RefundsRequest = "refunds.request", Finance, true, "Request refunds", "Ask for a refund on a paid invoice.";
    RefundsApprove = "refunds.approve", Finance, true, "Approve refunds", "Approve or reject refund requests made by others.";
    PaymentsRecord = "payments.record", Finance, true, "Record payments", "Record card, bank transfer and PayPal payments.";
    PaymentsConfirm = "payments.confirm", Finance, true, "Confirm payments", "Confirm that a recorded payment arrived.";
    OrdersRead = "orders.read", Data, false, "View orders", "See orders, their items and products.";
    OrdersWrite = "orders.write", Data, false, "Write orders", "Create and import orders.";
    CustomersPiiRead = "customers.pii.read", Data, true, "See customer details", "See customers' names, emails and phone numbers unmasked.";
    AnalyticsView = "analytics.view", Analytics, false, "Open analytics", "Open the analytics pages.";
    AnalyticsViewRevenue = "analytics.view_revenue", Analytics, false, "Revenue figures", "See revenue figures in analytics.";
    AnalyticsViewSales = "analytics.view_sales", Analytics, false, "Sales figures", "See sales counts in analytics.";
    AnalyticsViewProducts = "analytics.view_products", Analytics, false, "Product figures", "See products sold in analytics.";
    AnalyticsExport = "analytics.export", Analytics, false, "Export analytics", "Download analytics as CSV or JSON.";
    ApiKeysManage = "api_keys.manage", Integrations, true, "Manage API keys", "Create, scope and revoke API keys.";
    PlatformTenantsRead = "platform.tenants.read", Platform, true, "View tenants", "Platform staff: see every organization.";
    PlatformTenantsManage = "platform.tenants.manage", Platform, true, "Manage tenants", "Platform staff: suspend and reinstate organizations.";
    PlatformPaymentsConfirm = "platform.payments.confirm", Platform, true, "Confirm tenant payments", "Platform staff: confirm bank transfers for subscriptions.";
}

// The bitset is a u64: the registry must fit.
const _: () = assert!(Permission::ALL.len() <= 64);

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

// On the wire a permission is its key, so a reordered registry never changes what a
// client sees and an unknown key is refused while the request is read.
impl Serialize for Permission {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Permission::from_key(&key).ok_or_else(|| de::Error::custom(format_args!("unknown permission key `{key}`")))
    }
}

/// A set of permissions as a 64-bit mask: decisions are a few bit operations.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PermissionSet(u64);

impl PermissionSet {
    pub const EMPTY: PermissionSet = PermissionSet(0);

    /// Every permission a tenant role may hold (the platform domain is never in a tenant role).
    pub const TENANT: PermissionSet = {
        let mut bits = 0u64;
        let mut i = 0;
        while i < Permission::ALL.len() {
            if !matches!(Permission::ALL[i].domain(), Domain::Platform) {
                bits |= 1 << (Permission::ALL[i] as u8);
            }
            i += 1;
        }
        PermissionSet(bits)
    };

    /// The platform-staff permissions.
    pub const PLATFORM: PermissionSet = PermissionSet::of(&[
        Permission::PlatformTenantsRead,
        Permission::PlatformTenantsManage,
        Permission::PlatformPaymentsConfirm,
    ]);

    /// Every privileged permission (see [`Permission::privileged`]).
    pub const PRIVILEGED: PermissionSet = {
        let mut bits = 0u64;
        let mut i = 0;
        while i < Permission::ALL.len() {
            if Permission::ALL[i].privileged() {
                bits |= 1 << (Permission::ALL[i] as u8);
            }
            i += 1;
        }
        PermissionSet(bits)
    };

    pub const fn of(permissions: &[Permission]) -> PermissionSet {
        let mut bits = 0u64;
        let mut i = 0;
        while i < permissions.len() {
            bits |= 1 << (permissions[i] as u8);
            i += 1;
        }
        PermissionSet(bits)
    }

    pub const fn bits(self) -> u64 {
        self.0
    }

    pub const fn contains(self, permission: Permission) -> bool {
        self.0 & (1 << (permission as u8)) != 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True when every permission of `other` is in `self`.
    pub const fn includes(self, other: PermissionSet) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn intersects(self, other: PermissionSet) -> bool {
        self.0 & other.0 != 0
    }

    pub const fn union(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 | other.0)
    }

    pub const fn intersection(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 & other.0)
    }

    pub const fn difference(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 & !other.0)
    }

    pub const fn with(self, permission: Permission) -> PermissionSet {
        PermissionSet(self.0 | (1 << (permission as u8)))
    }

    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// The first permission of the set in registry order.
    pub fn first(self) -> Option<Permission> {
        self.iter().next()
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.iter().copied().filter(move |p| self.contains(*p))
    }

    /// Parses space- or comma-separated keys; the unknown ones are returned apart.
    pub fn parse_keys(text: &str) -> (PermissionSet, Vec<String>) {
        let mut set = PermissionSet::EMPTY;
        let mut unknown = Vec::new();
        for key in text.split([' ', ',']).filter(|k| !k.is_empty()) {
            match Permission::from_key(key) {
                Some(p) => set = set.with(p),
                None => unknown.push(key.to_string()),
            }
        }
        (set, unknown)
    }

    /// The keys, space-separated, in registry order (the stored form of custom roles).
    pub fn to_keys(self) -> String {
        self.iter().map(Permission::key).collect::<Vec<_>>().join(" ")
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        iter.into_iter().fold(PermissionSet::EMPTY, PermissionSet::with)
    }
}

impl fmt::Debug for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(Permission::key)).finish()
    }
}

// On the wire a set is a list of keys (stable across registry changes).
impl Serialize for PermissionSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for PermissionSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<Permission>::deserialize(deserializer)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for p in Permission::ALL {
            assert!(seen.insert(p.key()), "duplicate key {}", p.key());
            assert_eq!(Permission::from_key(p.key()), Some(*p));
            assert!(!p.label().is_empty() && !p.description().is_empty());
        }
        assert_eq!(Permission::from_key("org.settings.Manage"), None);
        assert_eq!(Permission::from_key("superuser"), None);
    }

    #[test]
    fn registry_holds_every_key_of_the_design() {
        let design = [
            "org.settings.manage",
            "org.ownership.transfer",
            "org.billing.read",
            "org.billing.manage",
            "team.read",
            "team.invite",
            "team.manage",
            "roles.read",
            "roles.manage",
            "grants.manage",
            "audit.read",
            "audit.export",
            "invoices.read",
            "invoices.create",
            "invoices.update",
            "invoices.void",
            "refunds.request",
            "refunds.approve",
            "payments.record",
            "payments.confirm",
            "orders.read",
            "orders.write",
            "customers.pii.read",
            "analytics.view",
            "analytics.view_revenue",
            "analytics.view_sales",
            "analytics.view_products",
            "analytics.export",
            "api_keys.manage",
            "platform.tenants.read",
            "platform.tenants.manage",
            "platform.payments.confirm",
        ];
        for key in design {
            assert!(Permission::from_key(key).is_some(), "{key} missing");
        }
        assert_eq!(Permission::ALL.len(), design.len());
    }

    #[test]
    fn set_algebra() {
        let a = PermissionSet::of(&[Permission::TeamRead, Permission::AuditRead]);
        let b = PermissionSet::of(&[Permission::TeamRead]);
        assert!(a.includes(b) && !b.includes(a));
        assert_eq!(a.difference(b), PermissionSet::of(&[Permission::AuditRead]));
        assert_eq!(a.intersection(b), b);
        assert_eq!(a.len(), 2);
        assert!(PermissionSet::EMPTY.is_empty());
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![Permission::TeamRead, Permission::AuditRead]);
    }

    #[test]
    fn platform_and_tenant_are_disjoint_and_cover_the_registry() {
        assert!(!PermissionSet::TENANT.intersects(PermissionSet::PLATFORM));
        assert_eq!(PermissionSet::TENANT.union(PermissionSet::PLATFORM).len() as usize, Permission::ALL.len());
    }

    #[test]
    fn privileged_covers_the_design_domains() {
        for p in Permission::ALL {
            let must = matches!(
                p.domain(),
                Domain::Finance | Domain::Team | Domain::Roles | Domain::Grants | Domain::Audit | Domain::Platform
            ) || p.key().starts_with("org.billing")
                || *p == Permission::ApiKeysManage;
            if must {
                assert!(p.privileged(), "{} must be privileged", p.key());
            }
        }
        assert!(!Permission::AnalyticsView.privileged());
    }

    #[test]
    fn keys_parse_and_print() {
        let (set, unknown) = PermissionSet::parse_keys("team.read  audit.read,nope");
        assert_eq!(set, PermissionSet::of(&[Permission::TeamRead, Permission::AuditRead]));
        assert_eq!(unknown, vec!["nope".to_string()]);
        assert_eq!(set.to_keys(), "team.read audit.read");
    }

    #[test]
    fn wire_form_is_keys_and_unknown_keys_are_refused() {
        let set = PermissionSet::of(&[Permission::AnalyticsView]);
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#"["analytics.view"]"#);
        assert_eq!(serde_json::from_str::<PermissionSet>(&json).unwrap(), set);
        assert!(serde_json::from_str::<PermissionSet>(r#"["root.everything"]"#).is_err());
    }
}
