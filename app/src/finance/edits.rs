//! Proposed edits of issued invoices (server only). An issued invoice never changes in place:
//! an edit is proposed against the version it was read at, and an approver who is not its
//! author turns it into the next version. Approving one edit supersedes every other pending
//! edit of the invoice, which was based on the version that is now history.

use super::ledger::{self, Figure};
use super::policy::{self, InvoiceAction, Line, Totals};
use super::server::{Draft, InvoiceRecord, Viewer, check_customer, day_string, lock_for, write_lines};
use super::types::{EditStatus, EditView, VersionView};
use crate::db::{Conn, new_id};
use crate::error::{AppError, Result};
use std::collections::BTreeMap;

/// Every version before `current`, oldest first, each beside the version after it.
pub fn history(versions: &BTreeMap<i64, Vec<Line>>, current: i64) -> Vec<VersionView> {
    let none = Vec::new();
    let of = |version: i64| versions.get(&version).unwrap_or(&none);
    (1..current)
        .map(|version| VersionView {
            version,
            totals: policy::totals(of(version)).unwrap_or_default(),
            changes: policy::diff_lines(of(version), of(version + 1)),
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct EditRow {
    id: String,
    base_version: i64,
    customer_id: String,
    customer: String,
    due_day: i64,
    lines: String,
    subtotal: i64,
    tax: i64,
    total: i64,
    reason: String,
    status: String,
    requested_by: Option<String>,
    requester: Option<String>,
    requested_at: i64,
    decider: Option<String>,
    decided_at: Option<i64>,
    decision_reason: Option<String>,
}

const EDIT: &str = "SELECT e.id, e.base_version, e.customer_id, c.name AS customer, e.due_day, e.lines, e.subtotal, \
                           e.tax, e.total, e.reason, e.status, e.requested_by, r.name AS requester, e.requested_at, \
                           d.name AS decider, e.decided_at, e.decision_reason \
                    FROM invoice_edits e JOIN customers c ON c.id = e.customer_id \
                    LEFT JOIN users r ON r.id = e.requested_by LEFT JOIN users d ON d.id = e.decided_by";

fn proposed_lines(raw: &str) -> Result<Vec<Line>> {
    serde_json::from_str(raw).map_err(|error| {
        tracing::error!(%error, "unreadable lines of a proposed edit");
        AppError::Internal
    })
}

/// The edits proposed to `invoice`, newest first, each against its base version's lines (from
/// `versions`, the invoice's lines by version); `base_customer` is the invoice's customer as
/// shown.
pub(super) async fn of_invoice(
    conn: &mut Conn,
    v: Viewer<'_>,
    invoice: &InvoiceRecord,
    versions: &BTreeMap<i64, Vec<Line>>,
    base_customer: &str,
) -> Result<Vec<EditView>> {
    let rows: Vec<EditRow> =
        sqlx::query_as(&format!("{EDIT} WHERE e.invoice_id = $1 AND e.org_id = $2 ORDER BY e.requested_at DESC, e.id"))
            .bind(&invoice.id)
            .bind(v.org_id)
            .fetch_all(&mut *conn)
            .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let before = versions.get(&row.base_version).cloned().unwrap_or_default();
        let after = proposed_lines(&row.lines)?;
        // The base version's due date and customer are the invoice's own while it is current;
        // an older base shows the current ones (versions keep lines, not headers).
        let customer =
            if v.shown == super::server::Shown::Masked { policy::mask_name(&row.customer) } else { row.customer };
        out.push(EditView {
            status: EditStatus::from_key(&row.status).ok_or(AppError::Internal)?,
            mine: row.requested_by.as_deref() == Some(v.user_id),
            requested_by: Viewer::person(row.requester),
            requested: v.time(row.requested_at),
            due_on: (day_string(invoice.due_day), day_string(row.due_day)),
            customer: (base_customer.to_string(), customer),
            totals: (
                policy::totals(&before).unwrap_or_default(),
                Totals { subtotal: row.subtotal, tax: row.tax, total: row.total },
            ),
            changes: policy::diff_lines(&before, &after),
            decided_by: row.decider.filter(|_| row.decided_at.is_some()),
            decided: row.decided_at.map(|t| v.time(t)),
            decision_reason: row.decision_reason,
            base_version: row.base_version,
            reason: row.reason,
            id: row.id,
        });
    }
    Ok(out)
}

/// Proposes `draft` as the next version of the issued invoice `invoice_id`, read at
/// `base_version`: refused as superseded when the invoice has moved on since. Returns the
/// edit's id and the invoice's number.
pub async fn propose(
    conn: &mut Conn,
    v: Viewer<'_>,
    invoice_id: &str,
    base_version: i64,
    draft: &Draft,
    reason: &str,
) -> Result<(String, Option<String>)> {
    let invoice = lock_for(conn, v.org_id, invoice_id, InvoiceAction::ProposeEdit).await?;
    if invoice.version != base_version {
        return Err(superseded());
    }
    check_customer(conn, v.org_id, &draft.customer_id).await?;
    if draft.totals.total < invoice.paid {
        return Err(below_paid());
    }
    let id = new_id();
    let lines = serde_json::to_string(&draft.lines).map_err(|_| AppError::Internal)?;
    sqlx::query(
        "INSERT INTO invoice_edits (id, org_id, invoice_id, base_version, customer_id, due_day, lines, subtotal, tax, \
                                    total, reason, requested_by, requested_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&id)
    .bind(v.org_id)
    .bind(invoice_id)
    .bind(base_version)
    .bind(&draft.customer_id)
    .bind(draft.due_day)
    .bind(&lines)
    .bind(draft.totals.subtotal)
    .bind(draft.totals.tax)
    .bind(draft.totals.total)
    .bind(reason)
    .bind(v.user_id)
    .bind(v.now)
    .execute(&mut *conn)
    .await?;
    Ok((id, invoice.number))
}

fn superseded() -> AppError {
    AppError::conflict(
        "edit_superseded",
        "This invoice changed since this edit was based on it. Open it again and propose the edit on the current version.",
    )
}

fn below_paid() -> AppError {
    AppError::conflict("total_below_paid", "The new total would be less than what was already paid. Refund instead.")
}

/// What deciding an edit did, for the audit event.
#[derive(Debug)]
pub struct Decided {
    pub invoice_id: String,
    pub number: Option<String>,
    pub before: (i64, i64),
    pub after: (i64, i64),
}

/// Locks the edit's invoice, then reads the edit: pending, not the decider's own.
async fn pending(conn: &mut Conn, v: Viewer<'_>, edit_id: &str) -> Result<(EditRow, InvoiceRecord)> {
    let invoice_id: String = sqlx::query_scalar("SELECT invoice_id FROM invoice_edits WHERE id = $1 AND org_id = $2")
        .bind(edit_id)
        .bind(v.org_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    super::server::lock_invoice(conn, v.org_id, &invoice_id).await?;
    let invoice = super::server::record(conn, v.org_id, &invoice_id).await?;
    let edit: EditRow = sqlx::query_as(&format!("{EDIT} WHERE e.id = $1 AND e.org_id = $2"))
        .bind(edit_id)
        .bind(v.org_id)
        .fetch_one(&mut *conn)
        .await?;
    match EditStatus::from_key(&edit.status) {
        Some(EditStatus::Pending) => {}
        Some(EditStatus::Superseded) => return Err(superseded()),
        _ => return Err(AppError::conflict("edit_decided", "This edit was already decided.")),
    }
    if edit.requested_by.as_deref() == Some(v.user_id) {
        return Err(AppError::refused("own_request", "You proposed this edit: someone else must decide it."));
    }
    Ok((edit, invoice))
}

/// Approves a pending edit: its content becomes the invoice's next version, and every other
/// pending edit of the invoice, based on the version that is now history, is superseded.
pub async fn approve(conn: &mut Conn, v: Viewer<'_>, edit_id: &str) -> Result<Decided> {
    let (edit, invoice) = pending(conn, v, edit_id).await?;
    policy::check(super::server::status_of(&invoice.status)?, invoice.paid, InvoiceAction::ProposeEdit)
        .map_err(|x| AppError::conflict(x.code, x.message))?;
    // Never true of a pending edit (approvals supersede the others under the same lock);
    // checked all the same, because approving it would silently undo the newer version.
    if edit.base_version != invoice.version {
        return Err(superseded());
    }
    if edit.total < invoice.paid {
        return Err(below_paid());
    }
    let version = invoice.version + 1;
    write_lines(conn, &invoice.id, version, &proposed_lines(&edit.lines)?).await?;
    sqlx::query(
        "UPDATE invoices SET customer_id = $1, due_day = $2, subtotal = $3, tax = $4, total = $5, version = $6, \
                             status = $7, updated_at = $8 \
         WHERE id = $9 AND org_id = $10",
    )
    .bind(&edit.customer_id)
    .bind(edit.due_day)
    .bind(edit.subtotal)
    .bind(edit.tax)
    .bind(edit.total)
    .bind(version)
    .bind(policy::status_after_payment(edit.total, invoice.paid).key())
    .bind(v.now)
    .bind(&invoice.id)
    .bind(v.org_id)
    .execute(&mut *conn)
    .await?;
    if let Some(issued_at) = invoice.issued_at {
        ledger::add(conn, v.org_id, Figure::Invoiced, issued_at, edit.total - invoice.total).await?;
    }
    // Owed: out of the old due day, into the new one (unless the edit leaves nothing owed).
    ledger::owed(conn, v.org_id, invoice.due_day, -(invoice.total - invoice.paid), -1).await?;
    let open = ledger::is_open(policy::status_after_payment(edit.total, invoice.paid));
    ledger::owed(conn, v.org_id, edit.due_day, edit.total - invoice.paid, i64::from(open)).await?;
    mark(conn, v, edit_id, EditStatus::Approved, None).await?;
    sqlx::query(
        "UPDATE invoice_edits SET status = 'superseded', decided_at = $1 \
         WHERE invoice_id = $2 AND org_id = $3 AND status = 'pending'",
    )
    .bind(v.now)
    .bind(&invoice.id)
    .bind(v.org_id)
    .execute(&mut *conn)
    .await?;
    Ok(Decided {
        invoice_id: invoice.id,
        number: invoice.number,
        before: (invoice.version, invoice.total),
        after: (version, edit.total),
    })
}

/// Rejects a pending edit with a reason.
pub async fn reject(conn: &mut Conn, v: Viewer<'_>, edit_id: &str, reason: &str) -> Result<Decided> {
    let (edit, invoice) = pending(conn, v, edit_id).await?;
    mark(conn, v, edit_id, EditStatus::Rejected, Some(reason)).await?;
    Ok(Decided {
        invoice_id: invoice.id,
        number: invoice.number,
        before: (invoice.version, invoice.total),
        after: (invoice.version, edit.total),
    })
}

async fn mark(conn: &mut Conn, v: Viewer<'_>, edit_id: &str, status: EditStatus, reason: Option<&str>) -> Result<()> {
    sqlx::query(
        "UPDATE invoice_edits SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4 \
         WHERE id = $5 AND org_id = $6",
    )
    .bind(status.key())
    .bind(v.user_id)
    .bind(v.now)
    .bind(reason)
    .bind(edit_id)
    .bind(v.org_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
