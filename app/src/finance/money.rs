//! Payments and refunds (server only). Every change of an invoice's paid or refunded amount
//! happens with the invoice row locked, so concurrent confirmations and approvals are applied
//! one after the other and each sees what the one before it did.

use super::ledger::{self, Figure};
use super::policy::{self, Approval, InvoiceAction, PaymentMethod, RefundState, RefundStatus};
use super::server::{InvoiceRecord, Viewer, keyset_cursor, lock_for, lock_invoice, record, status_of};
use super::types::{Confirmation, PaymentList, PaymentView, RefundList, RefundView};
use crate::db::{Conn, new_id};
use crate::error::{AppError, Result};

/// Rows per page of the payment and refund lists.
pub const PAGE_SIZE: i64 = 50;

#[derive(sqlx::FromRow)]
struct PaymentRow {
    id: String,
    invoice_id: String,
    number: Option<String>,
    method: String,
    external_reference: Option<String>,
    amount: i64,
    currency: String,
    status: String,
    recorder: Option<String>,
    recorded_at: i64,
    confirmer: Option<String>,
    confirmed_at: Option<i64>,
}

const PAYMENT: &str = "SELECT p.id, p.invoice_id, i.number, p.method, p.external_reference, p.amount, p.currency, \
                              p.status, r.name AS recorder, p.recorded_at, c.name AS confirmer, p.confirmed_at \
                       FROM payments p JOIN invoices i ON i.id = p.invoice_id \
                       LEFT JOIN users r ON r.id = p.recorded_by LEFT JOIN users c ON c.id = p.confirmed_by";

impl PaymentRow {
    fn view(self, v: Viewer<'_>) -> Result<PaymentView> {
        let confirmed = self.status == "confirmed";
        Ok(PaymentView {
            method: PaymentMethod::from_key(&self.method).ok_or(AppError::Internal)?,
            recorded_by: Viewer::person(self.recorder),
            recorded: v.time(self.recorded_at),
            confirmed_by: self.confirmed_at.map(|_| Viewer::person(self.confirmer)),
            confirmed_at: self.confirmed_at.map(|t| v.time(t)),
            confirmed,
            id: self.id,
            invoice_id: self.invoice_id,
            invoice_number: self.number,
            reference: self.external_reference,
            amount: self.amount,
            currency: self.currency,
        })
    }
}

/// The payments on one invoice, oldest first.
pub async fn payments_of(conn: &mut Conn, v: Viewer<'_>, invoice_id: &str) -> Result<Vec<PaymentView>> {
    let rows: Vec<PaymentRow> =
        sqlx::query_as(&format!("{PAYMENT} WHERE p.invoice_id = $1 AND p.org_id = $2 ORDER BY p.recorded_at, p.id"))
            .bind(invoice_id)
            .bind(v.org_id)
            .fetch_all(&mut *conn)
            .await?;
    rows.into_iter().map(|r| r.view(v)).collect()
}

/// A page of the organization's payments, newest first; `awaiting` keeps only bank
/// transfers awaiting confirmation.
pub async fn payments(conn: &mut Conn, v: Viewer<'_>, awaiting: bool, after: Option<&str>) -> Result<PaymentList> {
    let cursor = keyset_cursor(after)?;
    // Index-friendly keyset (see the invoice list); without a cursor, before i64::MAX.
    let (at, id) = cursor.unwrap_or((i64::MAX, String::new()));
    let state = if awaiting { "p.status = 'awaiting_confirmation'" } else { "p.status <> ''" };
    let rows: Vec<PaymentRow> = sqlx::query_as(&format!(
        "{PAYMENT} WHERE p.org_id = $1 AND {state} AND p.recorded_at <= $2 AND (p.recorded_at < $2 OR p.id < $3) \
         ORDER BY p.recorded_at DESC, p.id DESC LIMIT $4"
    ))
    .bind(v.org_id)
    .bind(at)
    .bind(&id)
    .bind(PAGE_SIZE + 1)
    .fetch_all(&mut *conn)
    .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    let rows: Vec<PaymentRow> = rows.into_iter().take(PAGE_SIZE as usize).collect();
    let next = more.then(|| rows.last().map(|r| format!("{}:{}", r.recorded_at, r.id))).flatten();
    Ok(PaymentList { rows: rows.into_iter().map(|r| r.view(v)).collect::<Result<_>>()?, next })
}

/// A payment being recorded, checked.
pub struct NewPayment {
    pub method: PaymentMethod,
    pub amount: i64,
    pub reference: Option<String>,
}

/// Adds `amount` to what was paid on the locked invoice, moving it to partially paid or paid;
/// refused when that would exceed its total.
async fn add_paid(conn: &mut Conn, v: Viewer<'_>, invoice: &InvoiceRecord, amount: i64) -> Result<()> {
    let paid = invoice.paid.checked_add(amount).filter(|p| *p <= invoice.total).ok_or_else(|| {
        AppError::conflict(
            "payment_exceeds_balance",
            "This payment is more than what is still owed on the invoice. Check the amount.",
        )
    })?;
    sqlx::query("UPDATE invoices SET paid = $1, status = $2, updated_at = $3 WHERE id = $4 AND org_id = $5")
        .bind(paid)
        .bind(policy::status_after_payment(invoice.total, paid).key())
        .bind(v.now)
        .bind(&invoice.id)
        .bind(v.org_id)
        .execute(&mut *conn)
        .await?;
    ledger::add(conn, v.org_id, Figure::Collected, v.now, amount).await?;
    let still_open = ledger::is_open(policy::status_after_payment(invoice.total, paid));
    ledger::owed(conn, v.org_id, invoice.due_day, -amount, i64::from(still_open) - 1).await?;
    Ok(())
}

/// Records a payment on an issued invoice. A card or PayPal payment counts at once; a bank
/// transfer waits for confirmation. A reference already recorded for the method in the
/// organization is refused, saying when and by whom (the unique index decides under
/// concurrency). Returns the payment's id and the invoice's number.
pub async fn record_payment(
    conn: &mut Conn,
    v: Viewer<'_>,
    invoice_id: &str,
    p: &NewPayment,
) -> Result<(String, Option<String>)> {
    let invoice = lock_for(conn, v.org_id, invoice_id, InvoiceAction::RecordPayment).await?;
    let id = new_id();
    let status = if p.method.needs_confirmation() { "awaiting_confirmation" } else { "confirmed" };
    let confirmed = (!p.method.needs_confirmation()).then_some(v.now);
    let inserted: Option<String> = sqlx::query_scalar(
        "INSERT INTO payments (id, org_id, invoice_id, method, external_reference, amount, currency, status, \
                               recorded_by, recorded_at, confirmed_by, confirmed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (org_id, method, external_reference) DO NOTHING RETURNING id",
    )
    .bind(&id)
    .bind(v.org_id)
    .bind(invoice_id)
    .bind(p.method.key())
    .bind(&p.reference)
    .bind(p.amount)
    .bind(&invoice.currency)
    .bind(status)
    .bind(v.user_id)
    .bind(v.now)
    .bind(confirmed.map(|_| v.user_id))
    .bind(confirmed)
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_none() {
        return Err(duplicate(conn, v, p).await?);
    }
    if !p.method.needs_confirmation() {
        add_paid(conn, v, &invoice, p.amount).await?;
    }
    Ok((id, invoice.number))
}

/// The refusal of a reference recorded before: when, by whom, on which invoice.
async fn duplicate(conn: &mut Conn, v: Viewer<'_>, p: &NewPayment) -> Result<AppError> {
    let earlier: PaymentRow =
        sqlx::query_as(&format!("{PAYMENT} WHERE p.org_id = $1 AND p.method = $2 AND p.external_reference = $3"))
            .bind(v.org_id)
            .bind(p.method.key())
            .bind(&p.reference)
            .fetch_one(&mut *conn)
            .await?;
    let earlier = earlier.view(v)?;
    Ok(AppError::conflict(
        "payment_duplicate",
        format!(
            "This {} reference was already recorded on {} by {}{}.",
            p.method.label().to_lowercase(),
            earlier.recorded,
            earlier.recorded_by,
            earlier.invoice_number.map(|n| format!(" for {n}")).unwrap_or_default()
        ),
    ))
}

/// Confirms that a bank transfer arrived: it counts towards its invoice once, however many
/// times or by how many people at once it is confirmed. A second confirmation changes
/// nothing and answers when and by whom it was confirmed. Returns the answer and the
/// payment's invoice id and amount.
pub async fn confirm(conn: &mut Conn, v: Viewer<'_>, payment_id: &str) -> Result<(Confirmation, String, i64)> {
    let (invoice_id, amount): (String, i64) =
        sqlx::query_as("SELECT invoice_id, amount FROM payments WHERE id = $1 AND org_id = $2")
            .bind(payment_id)
            .bind(v.org_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(AppError::NotFound)?;
    // The invoice first, as every change of its money does: confirmations of one invoice's
    // transfers queue here, then the conditional update below decides which one counts.
    lock_invoice(conn, v.org_id, &invoice_id).await?;
    let confirmed = sqlx::query(
        "UPDATE payments SET status = 'confirmed', confirmed_by = $1, confirmed_at = $2 \
         WHERE id = $3 AND org_id = $4 AND status = 'awaiting_confirmation'",
    )
    .bind(v.user_id)
    .bind(v.now)
    .bind(payment_id)
    .bind(v.org_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if confirmed == 1 {
        let invoice = record(conn, v.org_id, &invoice_id).await?;
        policy::check(status_of(&invoice.status)?, invoice.paid, InvoiceAction::RecordPayment)
            .map_err(|x| AppError::conflict(x.code, x.message))?;
        add_paid(conn, v, &invoice, amount).await?;
    }
    let row: PaymentRow = sqlx::query_as(&format!("{PAYMENT} WHERE p.id = $1 AND p.org_id = $2"))
        .bind(payment_id)
        .bind(v.org_id)
        .fetch_one(&mut *conn)
        .await?;
    let view = row.view(v)?;
    let answer = Confirmation {
        already: confirmed == 0,
        confirmed_by: view.confirmed_by.unwrap_or_default(),
        confirmed_at: view.confirmed_at.unwrap_or_default(),
    };
    Ok((answer, invoice_id, amount))
}

#[derive(sqlx::FromRow)]
struct RefundRow {
    id: String,
    invoice_id: String,
    number: Option<String>,
    amount: i64,
    currency: String,
    reason: String,
    status: String,
    approvals_needed: i64,
    requested_by: Option<String>,
    requester: Option<String>,
    requested_at: i64,
    expires_at: i64,
    first_approved_by: Option<String>,
    first_approver: Option<String>,
    approver: Option<String>,
    approved_at: Option<i64>,
    rejecter: Option<String>,
    rejected_at: Option<i64>,
    reject_reason: Option<String>,
    executor: Option<String>,
    executed_at: Option<i64>,
    external_reference: Option<String>,
}

const REFUND: &str = "SELECT f.id, f.invoice_id, i.number, f.amount, f.currency, f.reason, f.status, \
                             f.approvals_needed, f.requested_by, rq.name AS requester, f.requested_at, f.expires_at, \
                             f.first_approved_by, fa.name AS first_approver, ap.name AS approver, f.approved_at, \
                             rj.name AS rejecter, f.rejected_at, f.reject_reason, ex.name AS executor, \
                             f.executed_at, f.external_reference \
                      FROM refunds f JOIN invoices i ON i.id = f.invoice_id \
                      LEFT JOIN users rq ON rq.id = f.requested_by \
                      LEFT JOIN users fa ON fa.id = f.first_approved_by \
                      LEFT JOIN users ap ON ap.id = f.approved_by \
                      LEFT JOIN users rj ON rj.id = f.rejected_by \
                      LEFT JOIN users ex ON ex.id = f.executed_by";

impl RefundRow {
    fn status(&self) -> Result<RefundStatus> {
        RefundStatus::from_key(&self.status).ok_or(AppError::Internal)
    }

    fn state(&self) -> Result<RefundState<'_>> {
        Ok(RefundState {
            status: self.status()?,
            requested_by: self.requested_by.as_deref(),
            first_approved_by: self.first_approved_by.as_deref(),
            approvals_needed: self.approvals_needed,
            expires_at: self.expires_at,
        })
    }

    fn view(self, v: Viewer<'_>) -> Result<RefundView> {
        let person = |at: Option<i64>, name: Option<String>| at.map(|_| Viewer::person(name));
        Ok(RefundView {
            status: self.status()?,
            mine: self.requested_by.as_deref() == Some(v.user_id),
            approved_by_me: self.first_approved_by.as_deref() == Some(v.user_id),
            requested_by: Viewer::person(self.requester),
            requested: v.time(self.requested_at),
            expires: v.time(self.expires_at),
            first_approved_by: self.first_approved_by.map(|_| Viewer::person(self.first_approver)),
            approved_by: person(self.approved_at, self.approver),
            approved: self.approved_at.map(|t| v.time(t)),
            rejected_by: person(self.rejected_at, self.rejecter),
            rejected: self.rejected_at.map(|t| v.time(t)),
            executed_by: person(self.executed_at, self.executor),
            executed: self.executed_at.map(|t| v.time(t)),
            reject_reason: self.reject_reason,
            external_reference: self.external_reference,
            approvals_needed: self.approvals_needed,
            id: self.id,
            invoice_id: self.invoice_id,
            invoice_number: self.number,
            amount: self.amount,
            currency: self.currency,
            reason: self.reason,
        })
    }
}

/// The refunds of one invoice, oldest first.
pub async fn refunds_of(conn: &mut Conn, v: Viewer<'_>, invoice_id: &str) -> Result<Vec<RefundView>> {
    let rows: Vec<RefundRow> =
        sqlx::query_as(&format!("{REFUND} WHERE f.invoice_id = $1 AND f.org_id = $2 ORDER BY f.requested_at, f.id"))
            .bind(invoice_id)
            .bind(v.org_id)
            .fetch_all(&mut *conn)
            .await?;
    rows.into_iter().map(|r| r.view(v)).collect()
}

/// The organization's two-approver threshold and currency.
pub async fn refund_settings(conn: &mut Conn, org_id: &str) -> Result<(Option<i64>, String)> {
    Ok(sqlx::query_as("SELECT refund_two_approvals_above, currency FROM organizations WHERE id = $1")
        .bind(org_id)
        .fetch_one(&mut *conn)
        .await?)
}

/// A page of refunds in `status` (the approval queue: requested), oldest request first.
pub async fn refunds(conn: &mut Conn, v: Viewer<'_>, status: RefundStatus, after: Option<&str>) -> Result<RefundList> {
    let cursor = keyset_cursor(after)?;
    // Index-friendly keyset, oldest first; without a cursor, after i64::MIN.
    let (at, id) = cursor.unwrap_or((i64::MIN, String::new()));
    let rows: Vec<RefundRow> = sqlx::query_as(&format!(
        "{REFUND} WHERE f.org_id = $1 AND f.status = $2 AND f.requested_at >= $3 AND (f.requested_at > $3 OR f.id > $4) \
         ORDER BY f.requested_at, f.id LIMIT $5"
    ))
    .bind(v.org_id)
    .bind(status.key())
    .bind(at)
    .bind(&id)
    .bind(PAGE_SIZE + 1)
    .fetch_all(&mut *conn)
    .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    let rows: Vec<RefundRow> = rows.into_iter().take(PAGE_SIZE as usize).collect();
    let next = more.then(|| rows.last().map(|r| format!("{}:{}", r.requested_at, r.id))).flatten();
    let (two_approvals_above, currency) = refund_settings(conn, v.org_id).await?;
    Ok(RefundList {
        rows: rows.into_iter().map(|r| r.view(v)).collect::<Result<_>>()?,
        next,
        two_approvals_above,
        currency,
    })
}

fn exceeds_paid() -> AppError {
    AppError::conflict(
        "refund_exceeds_paid",
        "This refund is more than what was paid and not yet refunded on the invoice.",
    )
}

/// Asks for `amount` of an invoice's payments back: at most what was paid and not yet
/// refunded (checked again, under the lock, at approval). Returns the refund's id, the
/// approvals it needs and the invoice's number.
pub async fn request_refund(
    conn: &mut Conn,
    v: Viewer<'_>,
    invoice_id: &str,
    amount: i64,
    reason: &str,
) -> Result<(String, i64, Option<String>)> {
    let invoice = lock_for(conn, v.org_id, invoice_id, InvoiceAction::RequestRefund).await?;
    if amount > invoice.paid - invoice.refunded {
        return Err(exceeds_paid());
    }
    let (threshold, _) = refund_settings(conn, v.org_id).await?;
    let needed = policy::approvals_needed(amount, threshold);
    let id = new_id();
    sqlx::query(
        "INSERT INTO refunds (id, org_id, invoice_id, amount, currency, reason, approvals_needed, requested_by, \
                              requested_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(v.org_id)
    .bind(invoice_id)
    .bind(amount)
    .bind(&invoice.currency)
    .bind(reason)
    .bind(needed)
    .bind(v.user_id)
    .bind(v.now)
    .bind(v.now + policy::REFUND_EXPIRY_DAYS * 86_400)
    .execute(&mut *conn)
    .await?;
    Ok((id, needed, invoice.number))
}

/// What deciding a refund did, for the audit event and the answer.
#[derive(Debug)]
pub struct RefundDecision {
    pub invoice_id: String,
    pub amount: i64,
    pub approval: Option<Approval>,
    /// The request had expired: it is now marked so, and nothing else changed.
    pub expired: bool,
}

/// Locks the refund's invoice, then reads the refund.
async fn locked_refund(conn: &mut Conn, org_id: &str, refund_id: &str) -> Result<RefundRow> {
    let invoice_id: String = sqlx::query_scalar("SELECT invoice_id FROM refunds WHERE id = $1 AND org_id = $2")
        .bind(refund_id)
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    lock_invoice(conn, org_id, &invoice_id).await?;
    Ok(sqlx::query_as(&format!("{REFUND} WHERE f.id = $1 AND f.org_id = $2"))
        .bind(refund_id)
        .bind(org_id)
        .fetch_one(&mut *conn)
        .await?)
}

/// Approves (`approve`) or rejects someone else's refund request. Approvals of one invoice's
/// refunds queue on its row lock, and the last approval a refund needs adds it to what the
/// invoice has refunded only while that stays within what was paid. An expired request is
/// marked expired (the caller commits that) and refused.
pub async fn decide(
    conn: &mut Conn,
    v: Viewer<'_>,
    refund_id: &str,
    approve: bool,
    reject_reason: Option<&str>,
) -> Result<RefundDecision> {
    let refund = locked_refund(conn, v.org_id, refund_id).await?;
    let decision = policy::decide_refund(&refund.state()?, v.user_id, v.now);
    let done = |approval, expired| RefundDecision {
        invoice_id: refund.invoice_id.clone(),
        amount: refund.amount,
        approval,
        expired,
    };
    let approval = match decision {
        Err(refusal) if refusal.code == "refund_expired" => {
            expire(conn, v.org_id, refund_id, v.now).await?;
            return Ok(done(None, true));
        }
        Err(refusal) if refusal.code == "own_request" => return Err(AppError::refused(refusal.code, refusal.message)),
        Err(refusal) => return Err(AppError::conflict(refusal.code, refusal.message)),
        Ok(approval) => approval,
    };
    if !approve {
        sqlx::query(
            "UPDATE refunds SET status = 'rejected', rejected_by = $1, rejected_at = $2, reject_reason = $3 \
             WHERE id = $4 AND org_id = $5",
        )
        .bind(v.user_id)
        .bind(v.now)
        .bind(reject_reason)
        .bind(refund_id)
        .bind(v.org_id)
        .execute(&mut *conn)
        .await?;
        return Ok(done(None, false));
    }
    match approval {
        Approval::First => {
            sqlx::query(
                "UPDATE refunds SET first_approved_by = $1, first_approved_at = $2 WHERE id = $3 AND org_id = $4",
            )
            .bind(v.user_id)
            .bind(v.now)
            .bind(refund_id)
            .bind(v.org_id)
            .execute(&mut *conn)
            .await?;
        }
        Approval::Final => {
            let invoice = record(conn, v.org_id, &refund.invoice_id).await?;
            let refunded = invoice.refunded + refund.amount;
            if refunded > invoice.paid {
                return Err(exceeds_paid());
            }
            sqlx::query("UPDATE invoices SET refunded = $1, updated_at = $2 WHERE id = $3 AND org_id = $4")
                .bind(refunded)
                .bind(v.now)
                .bind(&invoice.id)
                .bind(v.org_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "UPDATE refunds SET status = 'approved', approved_by = $1, approved_at = $2 WHERE id = $3 AND org_id = $4",
            )
            .bind(v.user_id)
            .bind(v.now)
            .bind(refund_id)
            .bind(v.org_id)
            .execute(&mut *conn)
            .await?;
            ledger::add(conn, v.org_id, Figure::Refunded, v.now, refund.amount).await?;
        }
    }
    Ok(done(Some(approval), false))
}

async fn expire(conn: &mut Conn, org_id: &str, refund_id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE refunds SET status = 'expired', expired_at = $1 WHERE id = $2 AND org_id = $3 AND status = 'requested'",
    )
    .bind(now)
    .bind(refund_id)
    .bind(org_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records that an approved refund's money went back (with the processor's or bank's
/// reference). Returns the refund's invoice id and amount.
pub async fn execute(
    conn: &mut Conn,
    v: Viewer<'_>,
    refund_id: &str,
    reference: Option<&str>,
) -> Result<(String, i64)> {
    let refund = locked_refund(conn, v.org_id, refund_id).await?;
    if refund.status()? != RefundStatus::Approved {
        return Err(AppError::conflict("refund_not_approved", "Only an approved refund is sent."));
    }
    sqlx::query(
        "UPDATE refunds SET status = 'executed', executed_by = $1, executed_at = $2, external_reference = $3 \
         WHERE id = $4 AND org_id = $5",
    )
    .bind(v.user_id)
    .bind(v.now)
    .bind(reference)
    .bind(refund_id)
    .bind(v.org_id)
    .execute(&mut *conn)
    .await?;
    Ok((refund.invoice_id, refund.amount))
}

/// Marks every refund request that waited past its expiry as expired, each with its own
/// audit event by the system. Returns how many.
pub async fn expire_refunds(db: &crate::db::Db, now: i64) -> Result<usize> {
    let due: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT id, org_id, invoice_id, amount FROM refunds WHERE status = 'requested' AND expires_at <= $1 LIMIT 500",
    )
    .bind(now)
    .fetch_all(&mut *db.conn().await?)
    .await?;
    let mut expired = 0;
    for (id, org_id, invoice_id, amount) in due {
        let mut tx = db.begin().await?;
        lock_invoice(&mut tx, &org_id, &invoice_id).await?;
        let changed = sqlx::query(
            "UPDATE refunds SET status = 'expired', expired_at = $1 WHERE id = $2 AND status = 'requested' \
             AND expires_at <= $1",
        )
        .bind(now)
        .bind(&id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 1 {
            crate::audit::record(&mut tx, &expired_event(&org_id, &id, &invoice_id, amount), now).await?;
            expired += 1;
        }
        tx.commit().await?;
    }
    Ok(expired)
}

/// The event of a refund request expiring unanswered: by the system, whoever noticed it.
pub fn expired_event(org_id: &str, refund_id: &str, invoice_id: &str, amount: i64) -> crate::audit::Event {
    use crate::audit::{Actor, Event, Outcome};
    let metadata = serde_json::json!({ "invoice_id": invoice_id, "amount": amount,
                                       "before": { "status": "requested" }, "after": { "status": "expired" } });
    Event::new("refund.expire", Actor::System, Outcome::Allowed)
        .org(Some(org_id))
        .target("refund", refund_id)
        .metadata(metadata)
}

/// Sets the amount above which refunds need two approvers (`None`: never).
pub async fn set_two_approvals_above(
    conn: &mut Conn,
    org_id: &str,
    amount: Option<i64>,
    now: i64,
) -> Result<Option<i64>> {
    let (before, _) = refund_settings(conn, org_id).await?;
    sqlx::query("UPDATE organizations SET refund_two_approvals_above = $1, updated_at = $2 WHERE id = $3")
        .bind(amount)
        .bind(now)
        .bind(org_id)
        .execute(&mut *conn)
        .await?;
    Ok(before)
}
