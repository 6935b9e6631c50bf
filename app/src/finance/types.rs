//! What the finance server functions answer.

pub use super::policy::{InvoiceStatus, Line, Totals};
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
}
