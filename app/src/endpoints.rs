//! Deny by default: every server endpoint and what it requires, in one table.
//!
//! A test enumerates the server functions actually registered and fails if one is missing
//! here; the authorization-matrix test calls each of them for every role and compares the
//! answer with this table; `gatehouse privileges` prints the table as the roles × endpoints
//! matrix (also in `docs/privileges.md`, kept equal to it by a test).

use crate::access::{Access, BuiltinRole, Denial, Effect, OrgAccess, PermissionSet, Requirement, decide};
use crate::{
    analytics, api_keys, audit, auth, billing, finance, grants, invitations, mfa, orgs, outbox, platform, roles, team,
};
use server_fn::ServerFn;

/// Who may call an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Anyone; the reason says why that is safe.
    Public(&'static str),
    /// The endpoint's first line is `guard(&requirement)`.
    Guarded(Requirement),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub path: &'static str,
    pub summary: &'static str,
    pub rule: Rule,
    /// What it does to the organization, for the tenant gate (past due: reads only;
    /// suspended: billing only).
    pub effect: Effect,
}

/// A guarded endpoint that changes something.
const fn guarded(path: &'static str, summary: &'static str, requirement: Requirement) -> Endpoint {
    Endpoint { path, summary, rule: Rule::Guarded(requirement), effect: Effect::Write }
}

/// A guarded endpoint that only reads (its audit events aside).
const fn reading(path: &'static str, summary: &'static str, requirement: Requirement) -> Endpoint {
    Endpoint { path, summary, rule: Rule::Guarded(requirement), effect: Effect::Read }
}

/// A guarded endpoint that takes access away (revoking keys, removing members): open while
/// the organization is past due, so a leaked key or a departing member can still be cut off.
const fn revoking(path: &'static str, summary: &'static str, requirement: Requirement) -> Endpoint {
    Endpoint { path, summary, rule: Rule::Guarded(requirement), effect: Effect::Revoke }
}

/// A guarded endpoint of the subscription itself: open whatever the organization's standing.
const fn billing(path: &'static str, summary: &'static str, requirement: Requirement) -> Endpoint {
    Endpoint { path, summary, rule: Rule::Guarded(requirement), effect: Effect::Billing }
}

const fn public(path: &'static str, summary: &'static str, reason: &'static str) -> Endpoint {
    Endpoint { path, summary, rule: Rule::Public(reason), effect: Effect::Read }
}

/// Every endpoint under `/api/`.
pub const ENDPOINTS: &[Endpoint] = &[
    public(auth::api::GetSession::PATH, "the caller's own session", "answers only about the caller's own cookie"),
    public(
        auth::api::SignUp::PATH,
        "ask for an account (a link is mailed)",
        "anyone may sign up; throttled per address",
    ),
    public(
        auth::api::ConfirmSignUp::PATH,
        "create the account of a mailed sign-up link",
        "the link's single-use 256-bit token and the password chosen with it are the key; throttled",
    ),
    public(auth::api::SignIn::PATH, "sign in", "the credentials are the check; throttled"),
    guarded(auth::api::SignOut::PATH, "sign out", auth::api::SIGN_OUT),
    guarded(orgs::api::SwitchOrg::PATH, "switch organization", orgs::api::SWITCH_ORG),
    guarded(orgs::api::CreateOrganization::PATH, "create an organization", orgs::api::CREATE_ORG),
    reading(orgs::api::GetOrgSettings::PATH, "read organization settings", orgs::api::ORG_SETTINGS),
    guarded(orgs::api::UpdateOrgSettings::PATH, "change organization settings", orgs::api::ORG_SETTINGS),
    guarded(orgs::api::CompleteOnboarding::PATH, "finish onboarding", orgs::api::ORG_SETTINGS),
    reading(team::api::ListMembers::PATH, "list members", team::api::TEAM_READ),
    reading(team::api::GetMember::PATH, "read a member", team::api::TEAM_READ),
    reading(team::api::ListAssignableRoles::PATH, "roles to assign", team::api::PICK_ROLE),
    guarded(team::api::ChangeMemberRole::PATH, "change a member's role", team::api::TEAM_MANAGE),
    revoking(team::api::RemoveMember::PATH, "remove a member", team::api::TEAM_MANAGE),
    revoking(team::api::ForceSignOut::PATH, "sign a member out", team::api::TEAM_MANAGE),
    guarded(team::api::OfferOwnership::PATH, "offer ownership to a member", team::api::TRANSFER),
    public(
        team::api::PendingOwnershipOffer::PATH,
        "an ownership offer to the caller",
        "answers only about the caller's own session",
    ),
    guarded(team::api::AnswerOwnership::PATH, "accept or decline an ownership offer", Requirement::MEMBER),
    reading(grants::api::ListAnalyticsAccess::PATH, "list analytics access", grants::api::GRANTS_MANAGE),
    guarded(grants::api::SetAnalyticsGrants::PATH, "set analytics grants", grants::api::GRANTS_MANAGE),
    guarded(invitations::api::InvitePeople::PATH, "invite people", invitations::api::TEAM_INVITE),
    reading(invitations::api::ListInvitations::PATH, "list invitations", invitations::api::TEAM_INVITE),
    guarded(invitations::api::ResendInvitation::PATH, "resend an invitation", invitations::api::TEAM_INVITE),
    revoking(invitations::api::RevokeInvitation::PATH, "revoke an invitation", invitations::api::TEAM_INVITE),
    public(
        invitations::api::ShowInvitation::PATH,
        "what an invitation link leads to",
        "the link's 256-bit token is the key; unknown tokens are not found",
    ),
    guarded(invitations::api::AcceptInvitation::PATH, "accept an invitation", invitations::api::ACCEPT),
    reading(roles::api::ListRoles::PATH, "the role catalog", roles::api::ROLES_READ),
    guarded(roles::api::CreateRole::PATH, "create a custom role", roles::api::ROLES_MANAGE),
    guarded(roles::api::SetRolePermission::PATH, "edit a custom role", roles::api::ROLES_MANAGE),
    guarded(roles::api::DeleteRole::PATH, "delete a custom role", roles::api::ROLES_MANAGE),
    reading(outbox::api::ListOutbox::PATH, "read the mail outbox (operators)", outbox::api::OUTBOX_READ),
    public(
        invitations::api::AcceptInvitationNewAccount::PATH,
        "accept an invitation with a new account",
        "the link's token is the key; creates only the invited address's account",
    ),
    reading(audit::api::ListAuditEvents::PATH, "browse the audit log", audit::api::AUDIT_READ),
    reading(audit::api::EXPORT_PATH, "export the audit log (CSV)", audit::api::AUDIT_EXPORT),
    reading(audit::api::CHECKPOINT_PATH, "a signed checkpoint of the audit log", audit::api::AUDIT_EXPORT),
    reading(audit::api::GetAuditRetention::PATH, "how long the audit log is kept", audit::api::AUDIT_READ),
    guarded(audit::api::SetAuditRetention::PATH, "change how long the audit log is kept", audit::api::AUDIT_RETENTION),
    public(
        mfa::api::VerifySecondFactor::PATH,
        "second sign-in step",
        "the pending-MFA cookie from a correct password is the check; attempts limited",
    ),
    reading(mfa::api::GetSecurity::PATH, "own security settings", mfa::api::OWN_SECURITY),
    guarded(mfa::api::StartTotpEnrollment::PATH, "start authenticator setup", mfa::api::OWN_SECURITY),
    guarded(mfa::api::ConfirmTotpEnrollment::PATH, "confirm authenticator setup", mfa::api::OWN_SECURITY),
    guarded(mfa::api::DisableTotp::PATH, "turn two-factor off", mfa::api::OWN_SECURITY),
    guarded(mfa::api::SetAnalyticsPin::PATH, "set the analytics PIN", mfa::api::OWN_SECURITY),
    guarded(mfa::api::SendStepUpCode::PATH, "email a step-up code", mfa::api::OWN_SECURITY),
    guarded(mfa::api::StepUp::PATH, "unlock analytics (step-up)", mfa::api::OWN_SECURITY),
    guarded(mfa::api::RevokeSession::PATH, "end one of one's sessions", mfa::api::OWN_SECURITY),
    guarded(mfa::api::RevokeOtherSessions::PATH, "end one's other sessions", mfa::api::OWN_SECURITY),
    guarded(mfa::api::ChangePassword::PATH, "change one's password", mfa::api::OWN_SECURITY),
    reading(analytics::api::AnalyticsDashboard::PATH, "the analytics page (audited)", analytics::api::ANALYTICS),
    reading(analytics::api::AnalyticsSummary::PATH, "analytics summary (audited)", analytics::api::ANALYTICS),
    reading(analytics::api::RevenueDaily::PATH, "revenue per day (audited)", analytics::api::REVENUE),
    reading(analytics::api::SalesDaily::PATH, "sales per day (audited)", analytics::api::SALES),
    reading(analytics::api::ProductsSoldDaily::PATH, "products sold per day (audited)", analytics::api::PRODUCTS),
    reading(
        analytics::api::EXPORT_PATH,
        "export analytics: CSV, JSON or SVG, watermarked (audited; each dataset also needs its own permission)",
        analytics::api::EXPORT,
    ),
    guarded(analytics::api::IMPORT_PATH, "import orders from a CSV file (audited)", analytics::api::ORDERS_WRITE),
    reading(analytics::api::OrderImports::PATH, "order imports and their reports", analytics::api::ORDERS_WRITE),
    reading(finance::api::ListCustomers::PATH, "list customers (masked)", finance::api::INVOICES_READ),
    reading(finance::api::RevealCustomer::PATH, "reveal a customer's details (audited)", finance::api::CUSTOMERS_PII),
    guarded(finance::api::CreateCustomer::PATH, "add a customer", finance::api::INVOICES_CREATE),
    reading(finance::api::ListInvoices::PATH, "list invoices", finance::api::INVOICES_READ),
    reading(finance::api::GetInvoice::PATH, "read an invoice", finance::api::INVOICES_READ),
    guarded(finance::api::CreateInvoice::PATH, "draft an invoice", finance::api::INVOICES_CREATE),
    guarded(finance::api::UpdateInvoice::PATH, "edit a draft invoice", finance::api::INVOICES_UPDATE),
    guarded(finance::api::DeleteInvoice::PATH, "delete a draft invoice", finance::api::INVOICES_UPDATE),
    guarded(finance::api::IssueInvoice::PATH, "issue an invoice (numbered)", finance::api::INVOICES_CREATE),
    guarded(finance::api::VoidInvoice::PATH, "void an invoice", finance::api::INVOICES_VOID),
    guarded(
        finance::api::ProposeEdit::PATH,
        "propose an edit of an issued invoice",
        finance::api::INVOICES_PROPOSE_EDIT,
    ),
    guarded(finance::api::ApproveEdit::PATH, "approve someone else's invoice edit", finance::api::INVOICES_DECIDE_EDIT),
    guarded(finance::api::RejectEdit::PATH, "reject someone else's invoice edit", finance::api::INVOICES_DECIDE_EDIT),
    reading(finance::api::ListPayments::PATH, "list payments", finance::api::INVOICES_READ),
    guarded(finance::api::RecordPayment::PATH, "record a payment", finance::api::PAYMENTS_RECORD),
    guarded(finance::api::ConfirmPayment::PATH, "confirm a bank transfer (idempotent)", finance::api::PAYMENTS_CONFIRM),
    reading(finance::api::ListRefunds::PATH, "list refunds", finance::api::INVOICES_READ),
    guarded(finance::api::RequestRefund::PATH, "request a refund", finance::api::REFUNDS_REQUEST),
    guarded(finance::api::ApproveRefund::PATH, "approve someone else's refund", finance::api::REFUNDS_DECIDE),
    guarded(finance::api::RejectRefund::PATH, "reject someone else's refund", finance::api::REFUNDS_DECIDE),
    guarded(finance::api::ExecuteRefund::PATH, "record an approved refund as sent", finance::api::PAYMENTS_RECORD),
    reading(finance::api::GetFinanceSummary::PATH, "the finance dashboard", finance::api::INVOICES_READ),
    reading(finance::api::EXPORT_PATH, "export invoices (CSV, masked per permission)", finance::api::INVOICES_READ),
    guarded(
        finance::api::SetRefundThreshold::PATH,
        "set the two-approver refund threshold",
        finance::api::FINANCE_SETTINGS,
    ),
    billing(billing::api::GetBilling::PATH, "the subscription, seats and transfers", billing::api::BILLING_READ),
    billing(
        billing::api::SubmitTransfer::PATH,
        "pay by bank transfer (a reference for staff to confirm)",
        billing::api::BILLING_MANAGE,
    ),
    reading(api_keys::api::ListApiKeys::PATH, "the organization's API keys", api_keys::api::API_KEYS_MANAGE),
    guarded(
        api_keys::api::CreateApiKey::PATH,
        "make an API key (shown once; scopes within one's role)",
        api_keys::api::API_KEYS_CREATE,
    ),
    revoking(api_keys::api::RevokeApiKey::PATH, "revoke an API key", api_keys::api::API_KEYS_MANAGE),
    reading(platform::api::ListTenants::PATH, "operators: find tenants", platform::api::TENANTS_READ),
    reading(
        platform::api::GetTenant::PATH,
        "operators: a tenant's subscription (audited)",
        platform::api::TENANTS_READ,
    ),
    guarded(
        platform::api::ConfirmTransfer::PATH,
        "operators: confirm a bank transfer (idempotent)",
        platform::api::PAYMENTS_CONFIRM,
    ),
    guarded(platform::api::SuspendTenant::PATH, "operators: suspend a tenant", platform::api::TENANTS_MANAGE),
    guarded(platform::api::ReactivateTenant::PATH, "operators: reactivate a tenant", platform::api::TENANTS_MANAGE),
];

/// The endpoint at `path`, if the table has it.
pub fn find(path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.path == path)
}

/// One cell of the privilege matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    Public,
    Allowed,
    /// Allowed once the session is MFA-verified.
    NeedsMfa,
    /// Allowed after a step-up unlock.
    NeedsStepUp,
    NeedsMfaAndStepUp,
    Denied(Denial),
}

impl Cell {
    pub fn symbol(self) -> &'static str {
        match self {
            Cell::Public => "public",
            Cell::Allowed => "✓",
            Cell::NeedsMfa => "MFA",
            Cell::NeedsStepUp => "step-up",
            Cell::NeedsMfaAndStepUp => "MFA + step-up",
            Cell::Denied(_) => "—",
        }
    }
}

/// A column of the matrix: a built-in role in an organization, or platform staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Role(BuiltinRole),
    PlatformStaff,
}

impl Column {
    pub fn all() -> Vec<Column> {
        BuiltinRole::ALL.into_iter().map(Column::Role).chain([Column::PlatformStaff]).collect()
    }

    pub fn label(self) -> &'static str {
        match self {
            Column::Role(role) => role.key(),
            Column::PlatformStaff => "platform staff",
        }
    }

    /// The access of such a caller: MFA enrolled, with the given verification state.
    pub fn access(self, mfa_verified: bool, step_up: bool) -> Access {
        let (org, role_permissions, mfa_required) = match self {
            Column::Role(role) => (
                Some(OrgAccess {
                    org_id: "org".into(),
                    name: "Org".into(),
                    slug: "org".into(),
                    timezone: "UTC".into(),
                    currency: "INR".into(),
                    role_id: "role".into(),
                    role_key: role.key().into(),
                    role_name: role.name().into(),
                    builtin: Some(role),
                    mfa_required: role.mfa_required(),
                    onboarding_complete: true,
                    standing: crate::access::Standing::Good,
                    plan: "business".into(),
                }),
                role.permissions(),
                role.mfa_required(),
            ),
            Column::PlatformStaff => (None, PermissionSet::EMPTY, true),
        };
        let crate::access::Effective { mut granted, mut permissions, delegable } =
            Access::effective(role_permissions, PermissionSet::EMPTY, mfa_required, mfa_verified);
        if self == Column::PlatformStaff {
            granted = PermissionSet::PLATFORM;
            permissions = if mfa_verified { PermissionSet::PLATFORM } else { PermissionSet::EMPTY };
        }
        Access {
            user_id: "user".into(),
            email: "user@example.test".into(),
            name: "User".into(),
            platform_staff: self == Column::PlatformStaff,
            org,
            granted,
            permissions,
            delegable,
            mfa_enrolled: true,
            mfa_verified,
            step_up,
            step_up_until: None,
        }
    }
}

/// The cell for `column` × `endpoint`.
pub fn cell(endpoint: &Endpoint, column: Column) -> Cell {
    let requirement = match endpoint.rule {
        Rule::Public(_) => return Cell::Public,
        Rule::Guarded(requirement) => requirement,
    };
    let full = column.access(true, true);
    if let Err(denial) = decide(Some(&full), &requirement) {
        return Cell::Denied(denial);
    }
    let without_mfa = decide(Some(&column.access(false, true)), &requirement).is_err();
    let without_step_up = decide(Some(&column.access(true, false)), &requirement).is_err();
    match (without_mfa, without_step_up) {
        (false, false) => Cell::Allowed,
        (true, false) => Cell::NeedsMfa,
        (false, true) => Cell::NeedsStepUp,
        (true, true) => Cell::NeedsMfaAndStepUp,
    }
}

fn describe(rule: Rule) -> String {
    match rule {
        Rule::Public(reason) => format!("public: {reason}"),
        Rule::Guarded(r) => {
            let mut parts = Vec::new();
            if !r.all.is_empty() {
                parts.push(r.all.iter().map(|p| format!("`{}`", p.key())).collect::<Vec<_>>().join(" + "));
            }
            if !r.any.is_empty() {
                parts.push(format!(
                    "any of {}",
                    r.any.iter().map(|p| format!("`{}`", p.key())).collect::<Vec<_>>().join(", ")
                ));
            }
            if parts.is_empty() {
                parts.push(if r.org { "member".into() } else { "signed in".into() });
            }
            if r.mfa {
                parts.push("MFA".into());
            }
            if r.step_up {
                parts.push("step-up".into());
            }
            parts.join(", ")
        }
    }
}

/// The privilege matrix as Markdown.
pub fn privilege_matrix_markdown() -> String {
    let columns = Column::all();
    let mut out = String::from(
        "# Gatehouse privilege matrix\n\n\
         Generated by `gatehouse privileges` from the endpoint table in `app/src/endpoints.rs`;\n\
         a test keeps this file equal to it. Columns are the built-in roles (MFA enrolled) and\n\
         platform staff. ✓ allowed · MFA: allowed once the session is MFA-verified ·\n\
         step-up: allowed after a step-up unlock (owners are exempt for 8 hours after an MFA\n\
         sign-in) · — denied · public: no session needed. Objects of another organization\n\
         answer 404 wherever the call is allowed.\n\n",
    );
    out.push_str("| endpoint | requires |");
    for c in &columns {
        out.push_str(&format!(" {} |", c.label()));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(columns.len()));
    out.push('\n');
    for endpoint in ENDPOINTS {
        out.push_str(&format!("| `{}` ({}) | {} |", endpoint.path, endpoint.summary, describe(endpoint.rule)));
        for c in &columns {
            out.push_str(&format!(" {} |", cell(endpoint, *c).symbol()));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_unique_and_under_api() {
        let mut seen = std::collections::HashSet::new();
        for e in ENDPOINTS {
            assert!(e.path.starts_with("/api/"), "{}", e.path);
            assert!(seen.insert(e.path), "{} listed twice", e.path);
        }
    }

    #[test]
    fn matrix_cells_follow_the_roles() {
        let settings = find(orgs::api::UpdateOrgSettings::PATH).unwrap();
        assert_eq!(cell(settings, Column::Role(BuiltinRole::Owner)), Cell::NeedsMfa);
        assert_eq!(cell(settings, Column::Role(BuiltinRole::Admin)), Cell::NeedsMfa);
        assert!(matches!(cell(settings, Column::Role(BuiltinRole::Analyst)), Cell::Denied(_)));
        assert!(matches!(cell(settings, Column::PlatformStaff), Cell::Denied(Denial::OrganizationRequired)));
        let sign_out = find(auth::api::SignOut::PATH).unwrap();
        assert_eq!(cell(sign_out, Column::Role(BuiltinRole::Viewer)), Cell::Allowed);
        assert_eq!(cell(find(auth::api::SignIn::PATH).unwrap(), Column::PlatformStaff), Cell::Public);
        let md = privilege_matrix_markdown();
        assert!(md.contains("| endpoint | requires | owner | admin |"));
    }
}
