//! The finance rules, in one place that the server enforces and the browser mirrors: what
//! each invoice state allows, who needs which permission for it, how money is counted and
//! how customer details are masked. Pure functions only; no database, no session.

use crate::access::{Access, Permission, Requirement};
use serde::{Deserialize, Serialize};

/// Reading invoices, customers (masked) and the finance pages.
pub const INVOICES_READ: Requirement = Requirement::all(&[Permission::InvoicesRead]);
/// Drafting and issuing invoices.
pub const INVOICES_CREATE: Requirement = Requirement::all(&[Permission::InvoicesRead, Permission::InvoicesCreate]);
/// Editing and deleting drafts.
pub const INVOICES_UPDATE: Requirement = Requirement::all(&[Permission::InvoicesRead, Permission::InvoicesUpdate]);
/// Voiding issued invoices.
pub const INVOICES_VOID: Requirement = Requirement::all(&[Permission::InvoicesRead, Permission::InvoicesVoid]);
/// Seeing a customer's details unmasked (each reveal is audited).
pub const CUSTOMERS_PII: Requirement = Requirement::all(&[Permission::CustomersPiiRead]);
/// Proposing an edit of an issued invoice.
pub const INVOICES_PROPOSE_EDIT: Requirement = INVOICES_UPDATE;
/// Approving or rejecting someone else's proposed edit (finance_admin and owner).
pub const INVOICES_DECIDE_EDIT: Requirement = INVOICES_VOID;
/// Recording a payment received, and sending an approved refund's money back.
pub const PAYMENTS_RECORD: Requirement = Requirement::all(&[Permission::InvoicesRead, Permission::PaymentsRecord]);
/// Confirming that a bank transfer arrived.
pub const PAYMENTS_CONFIRM: Requirement = Requirement::all(&[Permission::InvoicesRead, Permission::PaymentsConfirm]);
/// Asking for a refund.
pub const REFUNDS_REQUEST: Requirement = Requirement::all(&[Permission::InvoicesRead, Permission::RefundsRequest]);
/// Approving or rejecting someone else's refund request, after proving it is them again.
pub const REFUNDS_DECIDE: Requirement =
    Requirement::all(&[Permission::InvoicesRead, Permission::RefundsApprove]).with_step_up();
/// Setting the amount above which a refund needs two approvers.
pub const FINANCE_SETTINGS: Requirement = Requirement::all(&[Permission::OrgSettingsManage]);

/// Days a refund request waits for its approvers before it expires.
pub const REFUND_EXPIRY_DAYS: i64 = 14;

/// Where an invoice stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Draft,
    Issued,
    PartiallyPaid,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub const ALL: [InvoiceStatus; 5] = [
        InvoiceStatus::Draft,
        InvoiceStatus::Issued,
        InvoiceStatus::PartiallyPaid,
        InvoiceStatus::Paid,
        InvoiceStatus::Void,
    ];

    pub fn key(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Issued => "issued",
            InvoiceStatus::PartiallyPaid => "partially_paid",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
        }
    }

    pub fn from_key(key: &str) -> Option<InvoiceStatus> {
        InvoiceStatus::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "Draft",
            InvoiceStatus::Issued => "Issued",
            InvoiceStatus::PartiallyPaid => "Partially paid",
            InvoiceStatus::Paid => "Paid",
            InvoiceStatus::Void => "Void",
        }
    }
}

/// Something done to an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvoiceAction {
    /// Change a draft's customer, due date or lines.
    EditDraft,
    /// Delete a draft (an issued invoice is never deleted: void it).
    DeleteDraft,
    /// Give a draft its number and make it immutable.
    Issue,
    /// Cancel an issued invoice nobody has paid anything on.
    Void,
    /// Ask for a change to an issued invoice (an approver makes it a new version).
    ProposeEdit,
    /// Record money received.
    RecordPayment,
    /// Ask for money received to be given back.
    RequestRefund,
}

impl InvoiceAction {
    pub const ALL: [InvoiceAction; 7] = [
        InvoiceAction::EditDraft,
        InvoiceAction::DeleteDraft,
        InvoiceAction::Issue,
        InvoiceAction::Void,
        InvoiceAction::ProposeEdit,
        InvoiceAction::RecordPayment,
        InvoiceAction::RequestRefund,
    ];

    /// What the caller must hold.
    pub fn requirement(self) -> Requirement {
        match self {
            InvoiceAction::EditDraft | InvoiceAction::DeleteDraft => INVOICES_UPDATE,
            InvoiceAction::Issue => INVOICES_CREATE,
            InvoiceAction::Void => INVOICES_VOID,
            InvoiceAction::ProposeEdit => INVOICES_PROPOSE_EDIT,
            InvoiceAction::RecordPayment => PAYMENTS_RECORD,
            InvoiceAction::RequestRefund => REFUNDS_REQUEST,
        }
    }
}

/// Why an invoice in its state refuses an action (a stable code and a sentence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: &'static str,
}

const fn refusal(code: &'static str, message: &'static str) -> Refusal {
    Refusal { code, message }
}

/// Whether an invoice in `status`, with `paid` minor units received, allows `action`.
pub fn check(status: InvoiceStatus, paid: i64, action: InvoiceAction) -> Result<(), Refusal> {
    use InvoiceAction as A;
    use InvoiceStatus as S;
    match (action, status) {
        (A::ProposeEdit | A::RecordPayment, S::Issued | S::PartiallyPaid) => Ok(()),
        (A::ProposeEdit | A::RecordPayment, S::Draft) => Err(refusal(
            "invoice_draft",
            "This invoice is still a draft: edit it directly, and issue it before recording payments.",
        )),
        (A::ProposeEdit, S::Paid) => {
            Err(refusal("invoice_paid", "This invoice is paid in full; it is no longer edited. Refund instead."))
        }
        (A::RecordPayment, S::Paid) => Err(refusal("invoice_paid", "This invoice is already paid in full.")),
        (A::ProposeEdit | A::RecordPayment | A::RequestRefund, S::Void) => {
            Err(refusal("invoice_void", "This invoice is void; nothing about it changes any more."))
        }
        (A::RequestRefund, _) if paid == 0 => {
            Err(refusal("nothing_paid", "Nothing was paid on this invoice, so there is nothing to refund."))
        }
        (A::RequestRefund, _) => Ok(()),
        (A::EditDraft | A::DeleteDraft | A::Issue, S::Draft) => Ok(()),
        (A::EditDraft | A::DeleteDraft | A::Issue, S::Void) => {
            Err(refusal("invoice_void", "This invoice is void; nothing about it changes any more."))
        }
        (A::EditDraft | A::DeleteDraft | A::Issue, _) => Err(refusal(
            "invoice_issued",
            "Issued invoices cannot be changed or deleted. Propose an edit for approval, or void it.",
        )),
        (A::Void, S::Draft) => Err(refusal("invoice_draft", "A draft is deleted, not voided.")),
        (A::Void, S::Void) => Err(refusal("invoice_void", "This invoice is already void.")),
        (A::Void, _) if paid > 0 => Err(refusal(
            "invoice_has_payments",
            "Money was received on this invoice, so it cannot be voided. Refund the payments instead.",
        )),
        (A::Void, _) => Ok(()),
    }
}

/// The actions the caller may take on an invoice now (for the buttons a page shows; the
/// server checks again).
pub fn available(access: &Access, status: InvoiceStatus, paid: i64) -> Vec<InvoiceAction> {
    InvoiceAction::ALL
        .into_iter()
        .filter(|a| access.allows(&a.requirement()) && check(status, paid, *a).is_ok())
        .collect()
}

/// The most lines an invoice has.
pub const MAX_LINES: usize = 50;
/// The largest quantity on a line.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// The largest tax rate, in basis points (100 %).
pub const MAX_TAX_BP: i64 = 10_000;

/// One line of an invoice, in minor units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    pub quantity: i64,
    pub unit_price: i64,
    /// Tax rate in basis points (1800 = 18 %).
    pub tax_bp: i64,
}

impl Line {
    /// Quantity × unit price, or `None` when it does not fit.
    pub fn net(&self) -> Option<i64> {
        self.quantity.checked_mul(self.unit_price)
    }

    /// The line's tax, rounded half away from zero to a whole minor unit.
    pub fn tax(&self) -> Option<i64> {
        let scaled = i128::from(self.net()?) * i128::from(self.tax_bp);
        let rounded = (scaled.abs() + 5_000) / 10_000 * scaled.signum();
        i64::try_from(rounded).ok()
    }
}

/// An invoice's totals, computed from its lines (never taken from a client).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
}

/// The totals of `lines`, or `None` when they overflow.
pub fn totals(lines: &[Line]) -> Option<Totals> {
    let mut t = Totals::default();
    for line in lines {
        t.subtotal = t.subtotal.checked_add(line.net()?)?;
        t.tax = t.tax.checked_add(line.tax()?)?;
    }
    t.total = t.subtotal.checked_add(t.tax)?;
    Some(t)
}

/// `amount` minor units written with `minor_units` decimals and thousands separators:
/// `123456789, 2` → `1,234,567.89`.
pub fn format_amount(amount: i64, minor_units: u8) -> String {
    let digits = amount.unsigned_abs().to_string();
    let scale = usize::from(minor_units);
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount < 0 { "-" } else { "" };
    if fraction.is_empty() { format!("{sign}{grouped}") } else { format!("{sign}{grouped}.{fraction}") }
}

/// `amount` minor units as a plain decimal, without separators: what a person types into an
/// amount field and what a spreadsheet reads as a number (`123456789, 2` → `1234567.89`).
pub fn plain_amount(amount: i64, minor_units: u8) -> String {
    format_amount(amount, minor_units).replace(',', "")
}

/// `amount` with its currency code: `INR 1,234.50`.
pub fn format_money(amount: i64, currency: &str) -> String {
    format!("{currency} {}", format_amount(amount, crate::orgs::minor_units(currency)))
}

/// An issued invoice's number: `INV-2026-000123`.
pub fn invoice_number(year: i64, n: i64) -> String {
    format!("INV-{year}-{n:06}")
}

/// A non-negative decimal typed by a person (`1,234.5`, `1234.50`, `12`) as an integer count
/// of `1 / 10^scale`: `None` when it is not such a number, has more decimals than `scale`
/// or does not fit.
pub fn parse_decimal(raw: &str, scale: u8) -> Option<i64> {
    let cleaned: String = raw.trim().chars().filter(|c| *c != ',' && *c != '_' && *c != ' ').collect();
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return None;
    }
    if fraction.len() > usize::from(scale) {
        return None;
    }
    let mut value: i64 = 0;
    for c in whole.chars().chain(fraction.chars()) {
        value = value.checked_mul(10)?.checked_add(i64::from(c.to_digit(10)?))?;
    }
    value.checked_mul(10_i64.checked_pow(u32::from(scale) - fraction.len() as u32)?)
}

/// A person's name with each word cut to its first letter: `Riya Sharma` → `R*** S*****`.
pub fn mask_name(name: &str) -> String {
    name.split_whitespace().map(mask_word).collect::<Vec<_>>().join(" ")
}

fn mask_word(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// An email address with its local part and domain name cut to their first letters, the
/// top-level domain kept: `riya@example.com` → `r***@e***.com`.
pub fn mask_email(email: &str) -> String {
    let Some((local, domain)) = email.rsplit_once('@') else { return mask_word(email) };
    let first = |s: &str| s.chars().next().map(|c| format!("{c}***")).unwrap_or_default();
    let (name, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
    let tld = if tld.is_empty() { String::new() } else { format!(".{tld}") };
    format!("{}@{}{tld}", first(local), first(name))
}

/// A phone number with every digit but the country code and the last four hidden:
/// `+91 98765 54321` → `+91 ******4321`.
pub fn mask_phone(phone: &str) -> String {
    let phone = phone.trim();
    let (country, rest) = match phone.strip_prefix('+') {
        Some(rest) => match rest.split_once([' ', '-']) {
            Some((code, rest)) if code.chars().all(|c| c.is_ascii_digit()) => (format!("+{code} "), rest),
            _ => (String::new(), phone),
        },
        None => (String::new(), phone),
    };
    let digits: Vec<char> = rest.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return country.trim_end().to_string();
    }
    let keep = digits.len().min(4);
    let hidden = "*".repeat(digits.len() - keep);
    let shown: String = digits[digits.len() - keep..].iter().collect();
    format!("{country}{hidden}{shown}")
}

/// A postal address reduced to its last line (city or country), the rest hidden.
pub fn mask_address(address: &str) -> String {
    let last = address.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or_default();
    if last.is_empty() { String::new() } else { format!("*** {last}") }
}

/// An issued invoice's state once `paid` of its `total` has been received (never called on
/// drafts or void invoices).
pub fn status_after_payment(total: i64, paid: i64) -> InvoiceStatus {
    match paid {
        p if p <= 0 => InvoiceStatus::Issued,
        p if p >= total => InvoiceStatus::Paid,
        _ => InvoiceStatus::PartiallyPaid,
    }
}

/// How money reached an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Card,
    BankTransfer,
    Paypal,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 3] = [PaymentMethod::Card, PaymentMethod::BankTransfer, PaymentMethod::Paypal];

    pub fn key(self) -> &'static str {
        match self {
            PaymentMethod::Card => "card",
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::Paypal => "paypal",
        }
    }

    pub fn from_key(key: &str) -> Option<PaymentMethod> {
        PaymentMethod::ALL.into_iter().find(|m| m.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            PaymentMethod::Card => "Card",
            PaymentMethod::BankTransfer => "Bank transfer",
            PaymentMethod::Paypal => "PayPal",
        }
    }

    /// Card and PayPal payments come with the processor's reference and count at once; a bank
    /// transfer counts once someone confirms it arrived, and may be announced without one.
    pub fn needs_confirmation(self) -> bool {
        self == PaymentMethod::BankTransfer
    }
}

/// Where a refund stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Requested,
    Approved,
    Rejected,
    Expired,
    Executed,
}

impl RefundStatus {
    pub const ALL: [RefundStatus; 5] = [
        RefundStatus::Requested,
        RefundStatus::Approved,
        RefundStatus::Rejected,
        RefundStatus::Expired,
        RefundStatus::Executed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            RefundStatus::Requested => "requested",
            RefundStatus::Approved => "approved",
            RefundStatus::Rejected => "rejected",
            RefundStatus::Expired => "expired",
            RefundStatus::Executed => "executed",
        }
    }

    pub fn from_key(key: &str) -> Option<RefundStatus> {
        RefundStatus::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            RefundStatus::Requested => "Awaiting approval",
            RefundStatus::Approved => "Approved, to be sent",
            RefundStatus::Rejected => "Rejected",
            RefundStatus::Expired => "Expired",
            RefundStatus::Executed => "Refunded",
        }
    }
}

/// How many different approvers a refund of `amount` needs, given the organization's
/// threshold (`None`: one, whatever the amount).
pub fn approvals_needed(amount: i64, two_above: Option<i64>) -> i64 {
    match two_above {
        Some(threshold) if amount > threshold => 2,
        _ => 1,
    }
}

/// A refund request as its approvers see it, for [`approve_refund`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundState<'a> {
    pub status: RefundStatus,
    pub requested_by: Option<&'a str>,
    pub first_approved_by: Option<&'a str>,
    pub approvals_needed: i64,
    pub expires_at: i64,
}

/// What an approval does to a refund request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// The first of the two approvals it needs: it stays requested.
    First,
    /// The last approval it needs: it is approved.
    Final,
}

/// Whether `approver` may approve (or reject) the refund now, and what an approval does:
/// never the requester (maker-checker holds for owners too), never twice by one person, only
/// while requested and not expired.
pub fn decide_refund(refund: &RefundState<'_>, approver: &str, now: i64) -> Result<Approval, Refusal> {
    if refund.status != RefundStatus::Requested {
        return Err(refusal("refund_decided", "This refund was already decided."));
    }
    if now >= refund.expires_at {
        return Err(refusal("refund_expired", "This request waited 14 days without a decision and expired."));
    }
    if refund.requested_by == Some(approver) {
        return Err(refusal("own_request", "You asked for this refund: someone else must decide it."));
    }
    match refund.first_approved_by {
        Some(first) if first == approver => {
            Err(refusal("already_approved", "You already approved this refund; it needs a second, different approver."))
        }
        None if refund.approvals_needed > 1 => Ok(Approval::First),
        _ => Ok(Approval::Final),
    }
}

/// One row of a side-by-side comparison of two versions' lines (by position).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineChange {
    pub before: Option<Line>,
    pub after: Option<Line>,
}

impl LineChange {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// The lines of `before` and `after` side by side, position by position.
pub fn diff_lines(before: &[Line], after: &[Line]) -> Vec<LineChange> {
    (0..before.len().max(after.len()))
        .map(|i| LineChange { before: before.get(i).cloned(), after: after.get(i).cloned() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{BuiltinRole, access_for};

    #[test]
    fn the_state_table() {
        use InvoiceAction as A;
        use InvoiceStatus as S;
        let allowed = |s, paid, a| check(s, paid, a).is_ok();
        for a in [A::EditDraft, A::DeleteDraft, A::Issue] {
            assert!(allowed(S::Draft, 0, a));
            for s in [S::Issued, S::PartiallyPaid, S::Paid, S::Void] {
                assert!(!allowed(s, 0, a), "{a:?} on {s:?}");
            }
        }
        assert!(allowed(S::Issued, 0, A::Void));
        assert_eq!(check(S::PartiallyPaid, 1, A::Void).unwrap_err().code, "invoice_has_payments");
        assert_eq!(check(S::Paid, 500, A::Void).unwrap_err().code, "invoice_has_payments");
        assert_eq!(check(S::Draft, 0, A::Void).unwrap_err().code, "invoice_draft");
        assert_eq!(check(S::Void, 0, A::Void).unwrap_err().code, "invoice_void");
        for a in [A::ProposeEdit, A::RecordPayment] {
            assert!(allowed(S::Issued, 0, a) && allowed(S::PartiallyPaid, 10, a), "{a:?}");
            assert_eq!(check(S::Draft, 0, a).unwrap_err().code, "invoice_draft");
            assert_eq!(check(S::Paid, 10, a).unwrap_err().code, "invoice_paid");
            assert_eq!(check(S::Void, 0, a).unwrap_err().code, "invoice_void");
        }
        assert!(allowed(S::Paid, 10, A::RequestRefund) && allowed(S::PartiallyPaid, 1, A::RequestRefund));
        assert_eq!(check(S::Issued, 0, A::RequestRefund).unwrap_err().code, "nothing_paid");
        assert_eq!(check(S::Void, 0, A::RequestRefund).unwrap_err().code, "invoice_void");
    }

    fn access(role: BuiltinRole) -> Access {
        access_for(role, true)
    }

    #[test]
    fn roles_times_states_times_actions() {
        use InvoiceAction as A;
        use InvoiceStatus as S;
        // finance drafts, edits and issues; only finance_admin and owner also void.
        let finance = access(BuiltinRole::Finance);
        assert_eq!(available(&finance, S::Draft, 0), vec![A::EditDraft, A::DeleteDraft, A::Issue]);
        assert_eq!(available(&finance, S::Issued, 0), vec![A::ProposeEdit, A::RecordPayment]);
        assert_eq!(available(&finance, S::PartiallyPaid, 10), vec![A::ProposeEdit, A::RecordPayment, A::RequestRefund]);
        assert_eq!(available(&finance, S::Paid, 10), vec![A::RequestRefund]);
        for role in [BuiltinRole::FinanceAdmin, BuiltinRole::Owner] {
            let all = vec![A::Void, A::ProposeEdit, A::RecordPayment];
            assert_eq!(available(&access(role), S::Issued, 0), all, "{role:?}");
            let partly = vec![A::ProposeEdit, A::RecordPayment, A::RequestRefund];
            assert_eq!(available(&access(role), S::PartiallyPaid, 10), partly, "{role:?}");
        }
        for role in [BuiltinRole::Admin, BuiltinRole::Analyst, BuiltinRole::Member, BuiltinRole::Viewer] {
            for s in InvoiceStatus::ALL {
                assert_eq!(available(&access(role), s, 0), vec![], "{role:?} {s:?}");
            }
        }
    }

    #[test]
    fn refunds_are_decided_by_others_once_each() {
        let refund = |first: Option<&'static str>, needed| RefundState {
            status: RefundStatus::Requested,
            requested_by: Some("maker"),
            first_approved_by: first,
            approvals_needed: needed,
            expires_at: 100,
        };
        assert_eq!(decide_refund(&refund(None, 1), "checker", 99), Ok(Approval::Final));
        assert_eq!(decide_refund(&refund(None, 1), "maker", 99).unwrap_err().code, "own_request");
        assert_eq!(decide_refund(&refund(None, 1), "checker", 100).unwrap_err().code, "refund_expired");
        assert_eq!(decide_refund(&refund(None, 2), "checker", 0), Ok(Approval::First));
        assert_eq!(decide_refund(&refund(Some("checker"), 2), "checker", 0).unwrap_err().code, "already_approved");
        assert_eq!(decide_refund(&refund(Some("checker"), 2), "second", 0), Ok(Approval::Final));
        assert_eq!(decide_refund(&refund(Some("checker"), 2), "maker", 0).unwrap_err().code, "own_request");
        let done = RefundState { status: RefundStatus::Approved, ..refund(None, 1) };
        assert_eq!(decide_refund(&done, "checker", 0).unwrap_err().code, "refund_decided");
        assert_eq!((approvals_needed(500, Some(500)), approvals_needed(501, Some(500))), (1, 2));
        assert_eq!(approvals_needed(i64::MAX, None), 1);
    }

    #[test]
    fn payments_settle_invoices_and_versions_compare_line_by_line() {
        assert_eq!(status_after_payment(1_000, 400), InvoiceStatus::PartiallyPaid);
        assert_eq!(status_after_payment(1_000, 1_000), InvoiceStatus::Paid);
        // An approved edit of an invoice nobody paid leaves it issued.
        assert_eq!(status_after_payment(1_000, 0), InvoiceStatus::Issued);
        let line = |d: &str, q| Line { description: d.into(), quantity: q, unit_price: 100, tax_bp: 0 };
        let diff = diff_lines(&[line("a", 1), line("b", 1)], &[line("a", 1), line("b", 2), line("c", 1)]);
        assert_eq!(diff.iter().map(LineChange::changed).collect::<Vec<_>>(), vec![false, true, true]);
        assert_eq!(diff[2].before, None);
        for m in PaymentMethod::ALL {
            assert_eq!(PaymentMethod::from_key(m.key()), Some(m));
        }
        for s in RefundStatus::ALL {
            assert_eq!(RefundStatus::from_key(s.key()), Some(s));
        }
    }

    #[test]
    fn totals_round_tax_per_line() {
        let lines = vec![
            Line { description: "Widget".into(), quantity: 3, unit_price: 1_999, tax_bp: 1_800 },
            Line { description: "Setup".into(), quantity: 1, unit_price: 5_000, tax_bp: 0 },
            Line { description: "Half".into(), quantity: 1, unit_price: 25, tax_bp: 1_000 },
        ];
        // 5997 × 18 % = 1079.46 → 1079; 25 × 10 % = 2.5 → 3.
        assert_eq!(totals(&lines), Some(Totals { subtotal: 11_022, tax: 1_082, total: 12_104 }));
        let huge = vec![Line { description: "x".into(), quantity: i64::MAX, unit_price: 2, tax_bp: 0 }];
        assert_eq!(totals(&huge), None);
    }

    #[test]
    fn amounts_are_written_and_read_in_minor_units() {
        assert_eq!(format_amount(123_456_789, 2), "1,234,567.89");
        assert_eq!(format_amount(5, 2), "0.05");
        assert_eq!(format_amount(-1_050, 2), "-10.50");
        assert_eq!(format_amount(1_500, 0), "1,500");
        assert_eq!(plain_amount(123_456_789, 2), "1234567.89");
        assert_eq!(plain_amount(-1_050, 2), "-10.50");
        assert_eq!(format_money(150_000, "INR"), "INR 1,500.00");
        assert_eq!(format_money(1_500, "JPY"), "JPY 1,500");
        assert_eq!(parse_decimal("1,234.5", 2), Some(123_450));
        assert_eq!(parse_decimal("12", 2), Some(1_200));
        assert_eq!(parse_decimal(".5", 2), Some(50));
        assert_eq!(parse_decimal("18", 2), Some(1_800));
        assert_eq!(parse_decimal("1.234", 2), None);
        assert_eq!(parse_decimal("-3", 2), None);
        assert_eq!(parse_decimal("1e3", 2), None);
        assert_eq!(parse_decimal("", 2), None);
        assert_eq!(parse_decimal("99999999999999999999", 2), None);
    }

    #[test]
    fn personal_details_are_masked() {
        assert_eq!(mask_name("Riya Sharma"), "R*** S*****");
        assert_eq!(mask_email("riya@example.com"), "r***@e***.com");
        assert_eq!(mask_email("a.b@mail.example.co.uk"), "a***@m***.uk");
        assert_eq!(mask_phone("+91 98765 54321"), "+91 ******4321");
        assert_eq!(mask_phone("030 1234567"), "******4567");
        assert_eq!(mask_address("12 MG Road\nBengaluru 560001\nIndia"), "*** India");
        assert_eq!(mask_address(""), "");
    }
}
