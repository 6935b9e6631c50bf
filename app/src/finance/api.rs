//! Finance server functions: customers and invoices. Each checks its requirement (from
//! [`super::policy`]) on its first line and the invoice's state inside its transaction.

pub use super::policy::{CUSTOMERS_PII, INVOICES_CREATE, INVOICES_READ, INVOICES_UPDATE, INVOICES_VOID};
pub use super::types::{CustomerView, InvoiceDetail, InvoiceList, InvoiceRow, InvoiceStatus};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::server::{self, Draft, NewCustomer, Shown},
    crate::access::{Ctx, guard},
    serde_json::json,
};

/// What the caller sees of customers without a reveal: names for holders of
/// `customers.pii.read`, nothing unmasked for everyone else.
#[cfg(feature = "ssr")]
fn shown(cx: &Ctx) -> Shown {
    Shown::names(cx.access.allows(&CUSTOMERS_PII))
}

/// The organization's customers, personal details masked (names shown to holders of
/// `customers.pii.read`, who reveal the rest one record at a time). Requires `invoices.read`.
#[server(prefix = "/api", endpoint = "finance/customers")]
pub async fn list_customers() -> Result<Vec<CustomerView>, AppError> {
    let cx = guard(&INVOICES_READ).await?;
    let mut conn = cx.state.db.conn().await?;
    server::customers(&mut conn, cx.org_id(), shown(&cx)).await
}

/// One customer's details unmasked; each reveal is audited. Requires `customers.pii.read`.
#[server(prefix = "/api", endpoint = "finance/customers/reveal")]
pub async fn reveal_customer(customer_id: String) -> Result<CustomerView, AppError> {
    let cx = guard(&CUSTOMERS_PII).await?;
    let customer_id = crate::input::id(&customer_id)?;
    let mut tx = cx.state.db.begin().await?;
    let customer = server::customer(&mut tx, cx.org_id(), &customer_id, Shown::All).await?;
    cx.audit(&mut tx, "customers.pii_reveal", ("customer", &customer_id), json!({})).await?;
    tx.commit().await?;
    Ok(customer)
}

/// Adds a customer. Requires `invoices.create`.
#[server(prefix = "/api", endpoint = "finance/customers/create")]
pub async fn create_customer(
    name: String,
    email: String,
    phone: String,
    address: String,
    marketing_consent: Option<String>,
) -> Result<(), AppError> {
    let cx = guard(&INVOICES_CREATE).await?;
    let consent = crate::input::checkbox("marketing_consent", marketing_consent.as_deref())?;
    let customer = NewCustomer::parse(&name, &email, &phone, &address, consent)?;
    let mut tx = cx.state.db.begin().await?;
    let id = server::create_customer(&mut tx, cx.org_id(), &customer, cx.now).await?;
    // The log names the record, never its personal details.
    cx.audit(&mut tx, "customers.create", ("customer", &id), json!({ "marketing_consent": consent })).await?;
    tx.commit().await?;
    leptos_axum::redirect("/finance/customers?done=created");
    Ok(())
}

/// A page of invoices, newest first (`status` one of the states or empty for all; `after`
/// the cursor of the page before). Requires `invoices.read`.
#[server(prefix = "/api", endpoint = "finance/invoices")]
pub async fn list_invoices(status: Option<String>, after: Option<String>) -> Result<InvoiceList, AppError> {
    let cx = guard(&INVOICES_READ).await?;
    let status = match status.as_deref().unwrap_or_default() {
        "" => None,
        key => Some(InvoiceStatus::from_key(key).ok_or_else(|| AppError::invalid("status", "Not an invoice state."))?),
    };
    let after = after.filter(|a| !a.is_empty());
    let mut conn = cx.state.db.conn().await?;
    server::invoices(&mut conn, cx.org_id(), &cx.org.timezone, cx.now, shown(&cx), status, after.as_deref()).await
}

/// One invoice with its lines. Requires `invoices.read`.
#[server(prefix = "/api", endpoint = "finance/invoice")]
pub async fn get_invoice(invoice_id: String) -> Result<InvoiceDetail, AppError> {
    let cx = guard(&INVOICES_READ).await?;
    let invoice_id = crate::input::id(&invoice_id)?;
    let mut conn = cx.state.db.conn().await?;
    server::invoice(&mut conn, cx.org_id(), &cx.org.timezone, cx.now, &invoice_id, shown(&cx)).await
}

/// The checked content of a draft form.
#[cfg(feature = "ssr")]
fn draft(
    cx: &Ctx,
    customer_id: &str,
    due_on: &str,
    lines: (&[String], &[String], &[String], &[String]),
) -> Result<Draft, AppError> {
    let customer_id =
        crate::input::id(customer_id).map_err(|_| AppError::invalid("customer_id", "Choose one of your customers."))?;
    let due_day = server::parse_day("due_on", due_on)?;
    let minor_units = crate::orgs::validate_currency(&cx.org.currency)?.minor_units;
    let lines = server::parse_lines(minor_units, lines.0, lines.1, lines.2, lines.3)?;
    Draft::new(customer_id, due_day, lines)
}

/// Drafts an invoice in the organization's currency, then opens it. Lines come as indexed
/// fields (`description[0]`, `quantity[0]`, `unit_price[0]`, `tax_rate[0]` in percent); rows
/// left blank are skipped. Requires `invoices.create`.
#[server(prefix = "/api", endpoint = "finance/invoices/create")]
pub async fn create_invoice(
    customer_id: String,
    due_on: String,
    #[server(default)] description: Vec<String>,
    #[server(default)] quantity: Vec<String>,
    #[server(default)] unit_price: Vec<String>,
    #[server(default)] tax_rate: Vec<String>,
) -> Result<(), AppError> {
    let cx = guard(&INVOICES_CREATE).await?;
    let draft = draft(&cx, &customer_id, &due_on, (&description, &quantity, &unit_price, &tax_rate))?;
    let mut tx = cx.state.db.begin().await?;
    let id = server::create_draft(&mut tx, cx.org_id(), &cx.org.currency, cx.user_id(), &draft, cx.now).await?;
    let total = draft.totals.total;
    cx.audit(&mut tx, "invoice.create", ("invoice", &id), json!({ "after": { "status": "draft", "total": total } }))
        .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/finance/invoices/{id}?done=created"));
    Ok(())
}

/// Replaces a draft's customer, due date and lines (amounts in the organization's currency,
/// which the draft takes on), then reopens it. Requires
/// `invoices.update`; an issued invoice refuses (409 `invoice_issued`).
#[server(prefix = "/api", endpoint = "finance/invoices/update")]
pub async fn update_invoice(
    invoice_id: String,
    customer_id: String,
    due_on: String,
    #[server(default)] description: Vec<String>,
    #[server(default)] quantity: Vec<String>,
    #[server(default)] unit_price: Vec<String>,
    #[server(default)] tax_rate: Vec<String>,
) -> Result<(), AppError> {
    let cx = guard(&INVOICES_UPDATE).await?;
    let invoice_id = crate::input::id(&invoice_id)?;
    let draft = draft(&cx, &customer_id, &due_on, (&description, &quantity, &unit_price, &tax_rate))?;
    let mut tx = cx.state.db.begin().await?;
    let currency = &cx.org.currency;
    let (before, after) = server::update_draft(&mut tx, cx.org_id(), currency, &invoice_id, &draft, cx.now).await?;
    cx.audit(
        &mut tx,
        "invoice.update",
        ("invoice", &invoice_id),
        json!({ "before": { "total": before }, "after": { "total": after } }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/finance/invoices/{invoice_id}?done=updated"));
    Ok(())
}

/// Deletes a draft, then opens the list. Requires `invoices.update`.
#[server(prefix = "/api", endpoint = "finance/invoices/delete")]
pub async fn delete_invoice(invoice_id: String) -> Result<(), AppError> {
    let cx = guard(&INVOICES_UPDATE).await?;
    let invoice_id = crate::input::id(&invoice_id)?;
    let mut tx = cx.state.db.begin().await?;
    server::delete_draft(&mut tx, cx.org_id(), &invoice_id).await?;
    cx.audit(&mut tx, "invoice.delete", ("invoice", &invoice_id), json!({ "before": { "status": "draft" } })).await?;
    tx.commit().await?;
    leptos_axum::redirect("/finance/invoices?done=deleted");
    Ok(())
}

/// Issues a draft: it gets the organization's next number of the year and can no longer
/// change. Requires `invoices.create`.
#[server(prefix = "/api", endpoint = "finance/invoices/issue")]
pub async fn issue_invoice(invoice_id: String) -> Result<String, AppError> {
    let cx = guard(&INVOICES_CREATE).await?;
    let invoice_id = crate::input::id(&invoice_id)?;
    let mut tx = cx.state.db.begin().await?;
    let number = server::issue(&mut tx, cx.org_id(), &cx.org.timezone, &invoice_id, cx.now).await?;
    cx.audit(
        &mut tx,
        "invoice.issue",
        ("invoice", &invoice_id),
        json!({ "number": number, "before": { "status": "draft" }, "after": { "status": "issued" } }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/finance/invoices/{invoice_id}?done=issued"));
    Ok(number)
}

/// Voids an issued invoice on which nothing was paid, with a reason. Requires
/// `invoices.void`.
#[server(prefix = "/api", endpoint = "finance/invoices/void")]
pub async fn void_invoice(invoice_id: String, reason: String) -> Result<(), AppError> {
    let cx = guard(&INVOICES_VOID).await?;
    let invoice_id = crate::input::id(&invoice_id)?;
    let reason = crate::input::text("reason", reason.trim(), 500, false)?;
    if reason.is_empty() {
        return Err(AppError::invalid("reason", "Say why this invoice is void."));
    }
    let mut tx = cx.state.db.begin().await?;
    let number = server::void(&mut tx, cx.org_id(), &invoice_id, &reason, cx.now).await?;
    cx.audit(
        &mut tx,
        "invoice.void",
        ("invoice", &invoice_id),
        json!({ "number": number, "reason": reason, "after": { "status": "void" } }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/finance/invoices/{invoice_id}?done=voided"));
    Ok(())
}
