//! What the finance server functions answer.

pub use super::policy::{InvoiceStatus, Line, LineChange, PaymentMethod, RefundStatus, Totals};
use serde::{Deserialize, Serialize};

/// A customer as the caller may see them: personal details masked on the server unless the
/// caller holds `customers.pii.read` and asked to reveal this record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub marketing_consent: bool,
    /// The details above are masked.
    pub masked: bool,
}

/// One row of the invoice list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRow {
    pub id: String,
    /// `None` while a draft.
    pub number: Option<String>,
    /// The customer's name, masked as for [`CustomerView`].
    pub customer: String,
    pub status: InvoiceStatus,
    pub currency: String,
    pub total: i64,
    pub paid: i64,
    /// `YYYY-MM-DD`.
    pub due_on: String,
    /// Issued or partially paid, and due before today in the organization's timezone.
    pub overdue: bool,
}

/// A page of the invoice list, newest first, and the cursor of the next page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceList {
    pub rows: Vec<InvoiceRow>,
    pub next: Option<String>,
}

/// One invoice with its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDetail {
    pub id: String,
    pub number: Option<String>,
    pub customer: CustomerView,
    pub status: InvoiceStatus,
    pub currency: String,
    pub due_on: String,
    pub overdue: bool,
    pub lines: Vec<Line>,
    pub totals: Totals,
    pub paid: i64,
    pub version: i64,
    pub created_by: String,
    pub created: String,
    pub issued: Option<String>,
    pub voided: Option<String>,
    pub void_reason: Option<String>,
    /// Approved and executed refunds.
    pub refunded: i64,
    /// Every version before the current one, oldest first (empty while there is one).
    pub history: Vec<VersionView>,
    pub edits: Vec<EditView>,
    pub payments: Vec<PaymentView>,
    pub refunds: Vec<RefundView>,
}

/// A version of an invoice's lines, and how it differs from the one after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionView {
    pub version: i64,
    pub totals: Totals,
    /// This version (before) and the next one (after), side by side.
    pub changes: Vec<LineChange>,
}

/// Where a proposed edit of an issued invoice stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditStatus {
    Pending,
    Approved,
    Rejected,
    /// Another edit was approved first: this one was based on an older version.
    Superseded,
}

impl EditStatus {
    pub fn key(self) -> &'static str {
        match self {
            EditStatus::Pending => "pending",
            EditStatus::Approved => "approved",
            EditStatus::Rejected => "rejected",
            EditStatus::Superseded => "superseded",
        }
    }

    pub fn from_key(key: &str) -> Option<EditStatus> {
        [EditStatus::Pending, EditStatus::Approved, EditStatus::Rejected, EditStatus::Superseded]
            .into_iter()
            .find(|s| s.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            EditStatus::Pending => "Awaiting approval",
            EditStatus::Approved => "Approved",
            EditStatus::Rejected => "Rejected",
            EditStatus::Superseded => "Superseded",
        }
    }
}

/// A proposed change to an issued invoice, beside the version it was based on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditView {
    pub id: String,
    pub base_version: i64,
    pub status: EditStatus,
    pub reason: String,
    pub requested_by: String,
    /// The caller asked for it (so may not decide it).
    pub mine: bool,
    pub requested: String,
    /// The base version's due date and customer, and the proposed ones.
    pub due_on: (String, String),
    pub customer: (String, String),
    pub totals: (Totals, Totals),
    pub changes: Vec<LineChange>,
    pub decided_by: Option<String>,
    pub decided: Option<String>,
    pub decision_reason: Option<String>,
}

/// Money received on an invoice, or announced and awaiting confirmation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    pub id: String,
    pub invoice_id: String,
    pub invoice_number: Option<String>,
    pub method: PaymentMethod,
    pub reference: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub confirmed: bool,
    pub recorded_by: String,
    pub recorded: String,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<String>,
}

/// A page of payments, newest first, and the cursor of the next page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentList {
    pub rows: Vec<PaymentView>,
    pub next: Option<String>,
}

/// What confirming a bank transfer did: counted it now, or found it already counted (when
/// and by whom).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub already: bool,
    pub confirmed_by: String,
    pub confirmed_at: String,
}

/// A refund request and every step it went through.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundView {
    pub id: String,
    pub invoice_id: String,
    pub invoice_number: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub reason: String,
    pub status: RefundStatus,
    pub approvals_needed: i64,
    /// The caller asked for it (so may not decide it).
    pub mine: bool,
    pub requested_by: String,
    pub requested: String,
    pub expires: String,
    pub first_approved_by: Option<String>,
    pub approved_by: Option<String>,
    pub approved: Option<String>,
    pub rejected_by: Option<String>,
    pub rejected: Option<String>,
    pub reject_reason: Option<String>,
    pub executed_by: Option<String>,
    pub executed: Option<String>,
    pub external_reference: Option<String>,
    /// The caller already gave the first of two approvals.
    pub approved_by_me: bool,
}

/// A page of refunds, oldest request first within a status, and the next page's cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundList {
    pub rows: Vec<RefundView>,
    pub next: Option<String>,
    /// The organization's two-approver threshold, if any.
    pub two_approvals_above: Option<i64>,
    pub currency: String,
}

/// One local month of the dashboard's chart, in minor units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthFigures {
    /// `Nov 2026`.
    pub label: String,
    pub invoiced: i64,
    pub collected: i64,
    pub refunded: i64,
}

/// The finance dashboard's figures, in the organization's currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinanceSummary {
    pub currency: String,
    /// Still owed on issued and partially paid invoices.
    pub outstanding: i64,
    pub open_invoices: i64,
    /// The part of it past its due date (in the organization's timezone).
    pub overdue: i64,
    pub overdue_invoices: i64,
    /// Payments that counted this local month.
    pub collected_this_month: i64,
    pub refunds_awaiting: i64,
    pub refunds_awaiting_amount: i64,
    pub transfers_awaiting: i64,
    /// The last twelve local months, oldest first.
    pub months: Vec<MonthFigures>,
    /// The chart of `months`, an SVG drawn on the server.
    pub chart: String,
}
