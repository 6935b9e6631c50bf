//! Finance server functions: customers, invoices and their proposed edits, payments,
//! refunds and the dashboard. Each checks its requirement (from [`super::policy`]) on its
//! first line and the invoice's state inside its transaction.
// A server function takes one argument per form field; an edit's form has nine.
#![allow(clippy::too_many_arguments)]

pub use super::policy::{
    CUSTOMERS_PII, FINANCE_SETTINGS, INVOICES_CREATE, INVOICES_DECIDE_EDIT, INVOICES_PROPOSE_EDIT, INVOICES_READ,
    INVOICES_UPDATE, INVOICES_VOID, PAYMENTS_CONFIRM, PAYMENTS_RECORD, REFUNDS_DECIDE, REFUNDS_REQUEST,
};
pub use super::types::{
    Confirmation, CustomerView, FinanceSummary, InvoiceDetail, InvoiceList, InvoiceRow, InvoiceStatus, PaymentList,
    RefundList,
};

/// `POST` the invoice list's `status` filter here for a CSV file of the invoices (a plain
/// route, so the browser downloads the answer). Requires `invoices.read`; audited.
pub const EXPORT_PATH: &str = "/api/finance/invoices/export";
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edits,
    super::money::{self, NewPayment},
    super::policy::{PaymentMethod, RefundStatus},
    super::server::{self, Draft, NewCustomer, Shown, Viewer},
    crate::access::{Ctx, guard},
    crate::audit::Outcome,
    serde_json::json,
};

/// What the caller sees of customers without a reveal: names for holders of
/// `customers.pii.read`, nothing unmasked for everyone else.
#[cfg(feature = "ssr")]
fn shown(cx: &Ctx) -> Shown {
    Shown::names(cx.access.allows(&CUSTOMERS_PII))
}

/// The caller as the finance answers see them.
#[cfg(feature = "ssr")]
fn viewer(cx: &Ctx) -> Viewer<'_> {
    Viewer { org_id: cx.org_id(), user_id: cx.user_id(), tz: &cx.org.timezone, now: cx.now, shown: shown(cx) }
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
    let customer = {
        let mut conn = cx.state.db.conn().await?;
        server::customer(&mut conn, cx.org_id(), &customer_id, Shown::All).await?
    };
    // An audited read (see `audit::ReadRecords`): recorded before the details are answered.
    let event = cx.event("customers.pii_reveal", Outcome::Allowed).target("customer", &customer_id);
    cx.state.reads.record(event, cx.now).await?;
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
    let status = parse_status(status.as_deref())?;
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
    server::invoice(&mut conn, viewer(&cx), &invoice_id).await
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
    let reason = required_reason(&reason, "Say why this invoice is void.")?;
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

/// A reason typed by a person: required, at most 500 characters.
#[cfg(feature = "ssr")]
fn required_reason(raw: &str, missing: &str) -> Result<String, AppError> {
    let reason = crate::input::text("reason", raw.trim(), 500, false)?;
    if reason.is_empty() {
        return Err(AppError::invalid("reason", missing));
    }
    Ok(reason)
}

/// A positive amount typed in the organization's currency, as minor units.
#[cfg(feature = "ssr")]
fn parse_amount(cx: &Ctx, field: &str, raw: &str) -> Result<i64, AppError> {
    let minor_units = crate::orgs::validate_currency(&cx.org.currency)?.minor_units;
    policy::parse_decimal(raw, minor_units)
        .filter(|a| *a > 0)
        .ok_or_else(|| AppError::invalid(field, "Enter an amount above zero, like 1,250.00."))
}

#[cfg(feature = "ssr")]
use super::policy;

/// Records a maker-checker refusal (`own_request`: deciding one's own request) as a denied
/// attempt at `action` on `target`, in its own transaction (`tx`, the attempt's, is rolled
/// back first), and returns the error. Other errors pass through unrecorded.
#[cfg(feature = "ssr")]
async fn refusal(cx: &Ctx, tx: crate::db::Tx, action: &str, target: (&str, &str), error: AppError) -> AppError {
    let AppError::Refused { code, .. } = &error else { return error };
    let recorded = async {
        tx.rollback().await?;
        let event = cx.event(action, crate::audit::Outcome::Denied).target(target.0, target.1).reason(code.clone());
        let mut tx = cx.state.db.begin().await?;
        crate::audit::record(&mut tx, &event, cx.now).await?;
        tx.commit().await?;
        Ok::<_, AppError>(())
    };
    match recorded.await {
        Ok(()) => error,
        Err(failed) => failed,
    }
}

/// Proposes a change to an issued invoice (the same fields as a draft, the `version` it was
/// read at and a `reason`): it waits for an approver who is not its author. Requires
/// `invoices.update`; a stale `version` is refused (409 `edit_superseded`).
#[server(prefix = "/api", endpoint = "finance/invoices/edits/propose")]
pub async fn propose_edit(
    invoice_id: String,
    version: String,
    reason: String,
    customer_id: String,
    due_on: String,
    #[server(default)] description: Vec<String>,
    #[server(default)] quantity: Vec<String>,
    #[server(default)] unit_price: Vec<String>,
    #[server(default)] tax_rate: Vec<String>,
) -> Result<(), AppError> {
    let cx = guard(&INVOICES_PROPOSE_EDIT).await?;
    let invoice_id = crate::input::id(&invoice_id)?;
    let version: i64 = version.trim().parse().map_err(|_| AppError::invalid("version", "Not an invoice version."))?;
    let reason = required_reason(&reason, "Say why the invoice should change.")?;
    let draft = draft(&cx, &customer_id, &due_on, (&description, &quantity, &unit_price, &tax_rate))?;
    let mut tx = cx.state.db.begin().await?;
    let (edit_id, number) = edits::propose(&mut tx, viewer(&cx), &invoice_id, version, &draft, &reason).await?;
    cx.audit(
        &mut tx,
        "invoice.edit_request",
        ("invoice", &invoice_id),
        json!({ "edit_id": edit_id, "number": number, "base_version": version, "reason": reason,
                "after": { "total": draft.totals.total } }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/finance/invoices/{invoice_id}?done=edit_proposed"));
    Ok(())
}

/// Approves someone else's proposed edit: it becomes the invoice's next version and other
/// pending edits of the invoice are superseded. Requires `invoices.void` (finance_admin).
#[server(prefix = "/api", endpoint = "finance/invoices/edits/approve")]
pub async fn approve_edit(edit_id: String) -> Result<(), AppError> {
    let cx = guard(&INVOICES_DECIDE_EDIT).await?;
    let edit_id = crate::input::id(&edit_id)?;
    let mut tx = cx.state.db.begin().await?;
    let d = match edits::approve(&mut tx, viewer(&cx), &edit_id).await {
        Ok(d) => d,
        Err(e) => return Err(refusal(&cx, tx, "invoice.edit_approve", ("invoice_edit", &edit_id), e).await),
    };
    cx.audit(
        &mut tx,
        "invoice.edit_approve",
        ("invoice", &d.invoice_id),
        json!({ "edit_id": edit_id, "number": d.number,
                "before": { "version": d.before.0, "total": d.before.1 },
                "after": { "version": d.after.0, "total": d.after.1 } }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/finance/invoices/{}?done=edit_approved", d.invoice_id));
    Ok(())
}

/// Rejects someone else's proposed edit, with a reason. Requires `invoices.void`.
#[server(prefix = "/api", endpoint = "finance/invoices/edits/reject")]
pub async fn reject_edit(edit_id: String, reason: String) -> Result<(), AppError> {
    let cx = guard(&INVOICES_DECIDE_EDIT).await?;
    let edit_id = crate::input::id(&edit_id)?;
    let reason = required_reason(&reason, "Say why the edit is rejected.")?;
    let mut tx = cx.state.db.begin().await?;
    let d = match edits::reject(&mut tx, viewer(&cx), &edit_id, &reason).await {
        Ok(d) => d,
        Err(e) => return Err(refusal(&cx, tx, "invoice.edit_reject", ("invoice_edit", &edit_id), e).await),
    };
    cx.audit(
        &mut tx,
        "invoice.edit_reject",
        ("invoice", &d.invoice_id),
        json!({ "edit_id": edit_id, "number": d.number, "reason": reason, "proposed": { "total": d.after.1 } }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/finance/invoices/{}?done=edit_rejected", d.invoice_id));
    Ok(())
}

/// A page of payments, newest first (`awaiting` = "1": only bank transfers awaiting
/// confirmation). Requires `invoices.read`.
#[server(prefix = "/api", endpoint = "finance/payments")]
pub async fn list_payments(awaiting: Option<String>, after: Option<String>) -> Result<PaymentList, AppError> {
    let cx = guard(&INVOICES_READ).await?;
    let awaiting = match awaiting.as_deref().unwrap_or_default() {
        "" => false,
        "1" | "on" | "true" => true,
        _ => {
            return Err(AppError::invalid("awaiting", "Use 1 for transfers awaiting confirmation, or leave it empty."));
        }
    };
    let after = after.filter(|a| !a.is_empty());
    let mut conn = cx.state.db.conn().await?;
    money::payments(&mut conn, viewer(&cx), awaiting, after.as_deref()).await
}

/// Records a payment on an issued invoice: `method` card, bank_transfer or paypal; `amount`
/// in the organization's currency; `reference` the processor's or bank's (required for card
/// and PayPal; a reference is recorded once per method). Card and PayPal count at once, a
/// bank transfer once confirmed. Requires `payments.record`.
#[server(prefix = "/api", endpoint = "finance/payments/record")]
pub async fn record_payment(
    invoice_id: String,
    method: String,
    amount: String,
    reference: String,
) -> Result<(), AppError> {
    let cx = guard(&PAYMENTS_RECORD).await?;
    let invoice_id = crate::input::id(&invoice_id)?;
    let method = PaymentMethod::from_key(method.trim())
        .ok_or_else(|| AppError::invalid("method", "Choose card, bank transfer or PayPal."))?;
    let amount = parse_amount(&cx, "amount", &amount)?;
    let reference = crate::input::text("reference", reference.trim(), 100, false)?;
    if reference.is_empty() && !method.needs_confirmation() {
        return Err(AppError::invalid("reference", "Give the payment's reference from the processor."));
    }
    let payment = NewPayment { method, amount, reference: (!reference.is_empty()).then_some(reference) };
    let mut tx = cx.state.db.begin().await?;
    let (payment_id, number) = money::record_payment(&mut tx, viewer(&cx), &invoice_id, &payment).await?;
    cx.audit(
        &mut tx,
        "payment.record",
        ("payment", &payment_id),
        json!({ "invoice_id": invoice_id, "number": number, "method": method.key(), "amount": amount,
                "reference": payment.reference, "confirmed": !method.needs_confirmation() }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/finance/invoices/{invoice_id}?done=payment_recorded"));
    Ok(())
}

/// Confirms that a bank transfer arrived. Idempotent: confirming it again, or two people at
/// once, counts it once; the answer says when and by whom it was confirmed. Requires
/// `payments.confirm`.
#[server(prefix = "/api", endpoint = "finance/payments/confirm")]
pub async fn confirm_payment(payment_id: String) -> Result<Confirmation, AppError> {
    let cx = guard(&PAYMENTS_CONFIRM).await?;
    let payment_id = crate::input::id(&payment_id)?;
    let mut tx = cx.state.db.begin().await?;
    let (answer, invoice_id, amount) = money::confirm(&mut tx, viewer(&cx), &payment_id).await?;
    let action = if answer.already { "payment.confirm_duplicate" } else { "payment.confirm" };
    cx.audit(
        &mut tx,
        action,
        ("payment", &payment_id),
        json!({ "invoice_id": invoice_id, "amount": amount, "confirmed_by": answer.confirmed_by,
                "confirmed_at": answer.confirmed_at }),
    )
    .await?;
    tx.commit().await?;
    let done = if answer.already { "already_confirmed" } else { "confirmed" };
    leptos_axum::redirect(&format!("/finance/payments?done={done}"));
    Ok(answer)
}

/// The refunds in `status` (default: awaiting approval), oldest request first. Requires
/// `invoices.read`.
#[server(prefix = "/api", endpoint = "finance/refunds")]
pub async fn list_refunds(status: Option<String>, after: Option<String>) -> Result<RefundList, AppError> {
    let cx = guard(&INVOICES_READ).await?;
    let status = match status.as_deref().unwrap_or_default() {
        "" => RefundStatus::Requested,
        key => RefundStatus::from_key(key).ok_or_else(|| AppError::invalid("status", "Not a refund state."))?,
    };
    let after = after.filter(|a| !a.is_empty());
    let mut conn = cx.state.db.conn().await?;
    money::refunds(&mut conn, viewer(&cx), status, after.as_deref()).await
}

/// Asks for `amount` of an invoice's payments back, with a reason; someone else approves.
/// Requires `refunds.request`.
#[server(prefix = "/api", endpoint = "finance/refunds/request")]
pub async fn request_refund(invoice_id: String, amount: String, reason: String) -> Result<(), AppError> {
    let cx = guard(&REFUNDS_REQUEST).await?;
    let invoice_id = crate::input::id(&invoice_id)?;
    let amount = parse_amount(&cx, "amount", &amount)?;
    let reason = required_reason(&reason, "Say why the money goes back.")?;
    let mut tx = cx.state.db.begin().await?;
    let (refund_id, needed, number) = money::request_refund(&mut tx, viewer(&cx), &invoice_id, amount, &reason).await?;
    cx.audit(
        &mut tx,
        "refund.request",
        ("refund", &refund_id),
        json!({ "invoice_id": invoice_id, "number": number, "amount": amount, "reason": reason,
                "approvals_needed": needed, "after": { "status": "requested" } }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/finance/invoices/{invoice_id}?done=refund_requested"));
    Ok(())
}

/// Decides a refund request for the approvers' two server functions, once their guard
/// (`REFUNDS_DECIDE`) let `cx` through.
#[cfg(feature = "ssr")]
async fn decide_refund(cx: Ctx, refund_id: String, reject_reason: Option<String>) -> Result<(), AppError> {
    let refund_id = crate::input::id(&refund_id)?;
    let reject_reason = reject_reason.map(|r| required_reason(&r, "Say why the refund is rejected.")).transpose()?;
    let approve = reject_reason.is_none();
    let action = if approve { "refund.approve" } else { "refund.reject" };
    let mut tx = cx.state.db.begin().await?;
    let d = match money::decide(&mut tx, viewer(&cx), &refund_id, approve, reject_reason.as_deref()).await {
        Ok(d) => d,
        Err(e) => return Err(refusal(&cx, tx, action, ("refund", &refund_id), e).await),
    };
    if d.expired {
        let event = money::expired_event(cx.org_id(), &refund_id, &d.invoice_id, d.amount);
        crate::audit::record(&mut tx, &event, cx.now).await?;
        tx.commit().await?;
        return Err(AppError::conflict(
            "refund_expired",
            "This request waited 14 days without a decision and expired.",
        ));
    }
    let after = match d.approval {
        None => json!({ "status": "rejected" }),
        Some(policy::Approval::First) => json!({ "status": "requested", "approvals": 1 }),
        Some(policy::Approval::Final) => json!({ "status": "approved" }),
    };
    cx.audit(
        &mut tx,
        action,
        ("refund", &refund_id),
        json!({ "invoice_id": d.invoice_id, "amount": d.amount, "reason": reject_reason,
                "before": { "status": "requested" }, "after": after }),
    )
    .await?;
    tx.commit().await?;
    let done = match d.approval {
        None => "rejected",
        Some(policy::Approval::First) => "first_approval",
        Some(policy::Approval::Final) => "approved",
    };
    leptos_axum::redirect(&format!("/finance/refunds?done={done}"));
    Ok(())
}

/// Approves someone else's refund request (above the organization's threshold the second
/// of two different approvers approves it). Never the requester. Requires `refunds.approve`
/// and step-up.
#[server(prefix = "/api", endpoint = "finance/refunds/approve")]
pub async fn approve_refund(refund_id: String) -> Result<(), AppError> {
    let cx = guard(&REFUNDS_DECIDE).await?;
    decide_refund(cx, refund_id, None).await
}

/// Rejects someone else's refund request, with a reason. Requires `refunds.approve` and
/// step-up.
#[server(prefix = "/api", endpoint = "finance/refunds/reject")]
pub async fn reject_refund(refund_id: String, reason: String) -> Result<(), AppError> {
    let cx = guard(&REFUNDS_DECIDE).await?;
    decide_refund(cx, refund_id, Some(reason)).await
}

/// Records that an approved refund's money went back, with the processor's or bank's
/// reference. Requires `payments.record`.
#[server(prefix = "/api", endpoint = "finance/refunds/execute")]
pub async fn execute_refund(refund_id: String, reference: String) -> Result<(), AppError> {
    let cx = guard(&PAYMENTS_RECORD).await?;
    let refund_id = crate::input::id(&refund_id)?;
    let reference = crate::input::text("reference", reference.trim(), 100, false)?;
    let reference = (!reference.is_empty()).then_some(reference);
    let mut tx = cx.state.db.begin().await?;
    let (invoice_id, amount) = money::execute(&mut tx, viewer(&cx), &refund_id, reference.as_deref()).await?;
    cx.audit(
        &mut tx,
        "refund.execute",
        ("refund", &refund_id),
        json!({ "invoice_id": invoice_id, "amount": amount, "reference": reference,
                "before": { "status": "approved" }, "after": { "status": "executed" } }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/finance/refunds?status=executed&done=executed");
    Ok(())
}

/// Sets the amount above which a refund needs two different approvers (empty: one approver
/// for any amount). Requires `org.settings.manage`.
#[server(prefix = "/api", endpoint = "finance/settings/refunds")]
pub async fn set_refund_threshold(two_approvals_above: String) -> Result<(), AppError> {
    let cx = guard(&FINANCE_SETTINGS).await?;
    let raw = two_approvals_above.trim();
    let amount = if raw.is_empty() { None } else { Some(parse_amount(&cx, "two_approvals_above", raw)?) };
    let mut tx = cx.state.db.begin().await?;
    let before = money::set_two_approvals_above(&mut tx, cx.org_id(), amount, cx.now).await?;
    cx.audit(
        &mut tx,
        "finance.settings_update",
        ("organization", cx.org_id()),
        json!({ "before": { "refund_two_approvals_above": before }, "after": { "refund_two_approvals_above": amount } }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/finance/refunds?done=threshold_saved");
    Ok(())
}

/// The finance dashboard: what is owed and overdue, collected this month, refunds awaiting a
/// decision, and twelve months of invoiced, collected and refunded money. Requires
/// `invoices.read`.
#[server(prefix = "/api", endpoint = "finance/summary")]
pub async fn get_finance_summary() -> Result<FinanceSummary, AppError> {
    let cx = guard(&INVOICES_READ).await?;
    let mut conn = cx.state.db.conn().await?;
    super::dashboard::summary(&mut conn, viewer(&cx), &cx.org.currency).await
}

/// Parses the invoice list's status filter (empty: every status).
pub fn parse_status(raw: Option<&str>) -> Result<Option<InvoiceStatus>, AppError> {
    match raw.unwrap_or_default() {
        "" => Ok(None),
        key => {
            InvoiceStatus::from_key(key).map(Some).ok_or_else(|| AppError::invalid("status", "Not an invoice state."))
        }
    }
}

/// The invoice export for the caller (see [`EXPORT_PATH`]): the file, its row count, and
/// whether customer names in it are masked.
#[cfg(feature = "ssr")]
pub async fn export_invoices(cx: &Ctx, status: Option<InvoiceStatus>) -> Result<(String, usize), AppError> {
    let mut conn = cx.state.db.conn().await?;
    server::export_csv(&mut conn, viewer(cx), status).await
}

/// What the caller sees of customers (for the export's audit event).
#[cfg(feature = "ssr")]
pub fn masked(cx: &Ctx) -> bool {
    shown(cx) == Shown::Masked
}
