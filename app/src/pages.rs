//! Every page and what it requires, in one table (deny by default, like
//! [`crate::endpoints`] for server functions). The browser's page frame and the server read
//! the same table: the frame decides what to show, the server audits a refused page view
//! once, when the session for that page is loaded.

use crate::access::{Access, Denial, Effect, Permission, Requirement, decide, tenant_gate};
use crate::{analytics, api_keys, audit, billing, finance, grants, mfa, orgs, outbox, platform, roles, team};

/// A page: its route pattern (`:name` matches one path segment), what it requires (`None`:
/// anyone, signed in or not) and its label in the main navigation, if it has one there.
#[derive(Clone, Copy, Debug)]
pub struct PageRule {
    pub pattern: &'static str,
    pub requirement: Option<Requirement>,
    pub nav: Option<&'static str>,
    /// Pages read; the billing page stays open whatever the organization's standing.
    pub effect: Effect,
}

const fn open(pattern: &'static str) -> PageRule {
    PageRule { pattern, requirement: None, nav: None, effect: Effect::Read }
}

const fn gated(pattern: &'static str, requirement: Requirement) -> PageRule {
    PageRule { pattern, requirement: Some(requirement), nav: None, effect: Effect::Read }
}

const fn nav(label: &'static str, pattern: &'static str, requirement: Requirement) -> PageRule {
    PageRule { pattern, requirement: Some(requirement), nav: Some(label), effect: Effect::Read }
}

/// Every route of the app, in navigation order for those in the navigation.
pub const PAGES: &[PageRule] = &[
    nav("Home", "/", Requirement::SIGNED_IN),
    // The link and the page's frame need analytics.view; when step-up is due the page asks
    // for it in place (its data needs it: `analytics::api::ANALYTICS`).
    nav("Analytics", "/analytics", Requirement::all(&[Permission::AnalyticsView])),
    nav("Import orders", "/analytics/import", analytics::api::ORDERS_WRITE),
    nav("Finance", "/finance", finance::policy::INVOICES_READ),
    nav("Team", "/settings/team", team::api::TEAM_READ),
    nav("Roles", "/settings/roles", roles::api::ROLES_READ),
    nav("Audit log", "/settings/audit", audit::api::AUDIT_READ),
    nav("Analytics access", "/settings/analytics-access", grants::api::GRANTS_MANAGE),
    nav("Settings", "/settings/organization", orgs::api::ORG_SETTINGS),
    nav("API keys", "/settings/api-keys", api_keys::api::API_KEYS_MANAGE),
    PageRule { effect: Effect::Billing, ..nav("Billing", "/settings/billing", billing::api::BILLING_READ) },
    nav("Tenants", "/admin", platform::api::TENANTS_READ),
    nav("Outbox", "/admin/outbox", outbox::api::OUTBOX_READ),
    open("/login"),
    open("/login/mfa"),
    open("/signup"),
    open("/signup/sent"),
    open("/signup/confirm/:token"),
    open("/invite/:token"),
    gated("/step-up", mfa::api::OWN_SECURITY),
    gated("/settings/security", mfa::api::OWN_SECURITY),
    gated("/onboarding", orgs::api::ORG_SETTINGS),
    gated("/organizations/new", orgs::api::CREATE_ORG),
    gated("/settings/team/:id", team::api::TEAM_READ),
    gated("/finance/invoices", finance::policy::INVOICES_READ),
    gated("/finance/invoices/new", finance::policy::INVOICES_CREATE),
    gated("/finance/invoices/:id", finance::policy::INVOICES_READ),
    gated("/finance/invoices/:id/edit", finance::policy::INVOICES_UPDATE),
    gated("/finance/refunds", finance::policy::INVOICES_READ),
    gated("/finance/payments", finance::policy::INVOICES_READ),
    gated("/finance/customers", finance::policy::INVOICES_READ),
    gated("/finance/customers/:id", finance::policy::CUSTOMERS_PII),
    gated("/admin/tenants/:id", platform::api::TENANTS_READ),
];

fn matches(pattern: &str, path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    // "/a/" is "/a", and "/" is the root: compare without trailing slashes.
    let (mut pattern, mut path) = (pattern.trim_end_matches('/').split('/'), path.trim_end_matches('/').split('/'));
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) if p.starts_with(':') && !s.is_empty() => continue,
            (Some(p), Some(s)) if p == s => continue,
            _ => return false,
        }
    }
}

/// The page at `path`: the first rule whose pattern matches, the gated one where a page is
/// both in the navigation and gated further.
pub fn page(path: &str) -> Option<&'static PageRule> {
    let path = if path.is_empty() { "/" } else { path };
    let mut found = PAGES.iter().filter(|rule| matches(rule.pattern, path));
    let first = found.next()?;
    Some(found.find(|rule| rule.nav.is_none() && rule.requirement.is_some()).unwrap_or(first))
}

/// May `access` see the page of `rule`? Its requirement, then — for a page in the
/// organization (and the home page, which shows it) — the tenant gate: a suspended
/// organization's pages are refused but billing. Shared by the page frame (what to show)
/// and the server (what to audit).
pub fn check(rule: &PageRule, access: Option<&Access>) -> Result<(), Denial> {
    let Some(requirement) = rule.requirement else { return Ok(()) };
    decide(access, &requirement)?;
    match access.and_then(|a| a.org.as_ref()) {
        Some(org) if requirement.org || rule.pattern == "/" => tenant_gate(org, rule.effect),
        _ => Ok(()),
    }
}

/// What the loads of the page at `path` do, for the tenant gate: billing on the billing page,
/// reads everywhere else.
pub fn effect_of(path: &str) -> Effect {
    page(path).map_or(Effect::Read, |rule| rule.effect)
}

/// What the page at `path` requires; `None` for open pages and for paths that are no page
/// (the not-found page is open).
pub fn requirement_for(path: &str) -> Option<Requirement> {
    page(path).and_then(|rule| rule.requirement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspended_organizations_see_billing_only_and_staff_keep_their_home() {
        use crate::access::{BuiltinRole, Standing, access_for};
        let home = page("/").unwrap();
        let (team, billing) = (page("/settings/team").unwrap(), page("/settings/billing").unwrap());
        let mut owner = access_for(BuiltinRole::Owner, true);
        assert_eq!(check(home, Some(&owner)), Ok(()));
        if let Some(org) = owner.org.as_mut() {
            org.standing = Standing::Suspended;
        }
        assert_eq!(check(home, Some(&owner)), Err(Denial::TenantSuspended));
        assert_eq!(check(team, Some(&owner)), Err(Denial::TenantSuspended));
        assert_eq!(check(billing, Some(&owner)), Ok(()));
        // Past due: pages read.
        if let Some(org) = owner.org.as_mut() {
            org.standing = Standing::PastDue;
        }
        assert_eq!(check(team, Some(&owner)), Ok(()));
        // Someone in no organization (platform staff) keeps the home page.
        owner.org = None;
        assert_eq!(check(home, Some(&owner)), Ok(()));
        assert_eq!(check(home, None), Err(Denial::SignInRequired));
        assert_eq!(check(page("/login").unwrap(), None), Ok(()));
    }

    #[test]
    fn paths_find_their_page() {
        assert_eq!(requirement_for("/settings/team"), Some(team::api::TEAM_READ));
        assert_eq!(requirement_for("/settings/team/"), Some(team::api::TEAM_READ));
        assert_eq!(requirement_for("/settings/team/3f0c?x=1"), Some(team::api::TEAM_READ));
        assert_eq!(
            requirement_for("/analytics"),
            Some(Requirement::all(&[Permission::AnalyticsView])),
            "step-up is asked for in the page, not refused by the frame"
        );
        assert_eq!(requirement_for("/"), Some(Requirement::SIGNED_IN));
        assert_eq!(requirement_for("/login"), None);
        assert_eq!(requirement_for("/invite/abc"), None);
        assert_eq!(requirement_for("/no/such/page"), None);
        assert!(page("/settings/team/a/b").is_none());
        assert!(page("/invite/").is_none());
    }
}
