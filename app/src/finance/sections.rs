//! The parts of an invoice's page below its lines: proposed edits with a side-by-side diff,
//! earlier versions, payments and refunds, each with the forms the caller may use (the
//! server checks again). Plain server-rendered forms, like the rest of finance.

use super::api::{
    ApproveEdit, ConfirmPayment, INVOICES_DECIDE_EDIT, PAYMENTS_CONFIRM, RecordPayment, RejectEdit, RequestRefund,
};
use super::policy::{self, LineChange, PaymentMethod, Totals};
use super::types::{EditStatus, EditView, InvoiceDetail, PaymentView, RefundView, VersionView};
use crate::ui::PostForm;
use crate::ui::{ErrorAlert, allowed, field_error, form_action};
use leptos::prelude::*;

/// `amount` in `currency`, as a person types it (no separators), for a form's default.
fn typed(amount: i64, currency: &str) -> String {
    policy::plain_amount(amount, crate::orgs::minor_units(currency))
}

/// Two versions' lines side by side, changed rows marked.
pub fn diff_table(changes: &[LineChange], currency: &str) -> impl IntoView + use<> {
    let minor_units = crate::orgs::minor_units(currency);
    let cell = move |line: &Option<policy::Line>| match line {
        Some(l) => format!(
            "{} · {} × {} · {} %",
            l.description,
            l.quantity,
            policy::format_amount(l.unit_price, minor_units),
            policy::format_amount(l.tax_bp, 2)
        ),
        None => "—".to_string(),
    };
    let rows = changes
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let class = if c.changed() { "changed" } else { "" };
            view! {
                <tr class=class>
                    <th scope="row" class="num">{n + 1}</th>
                    <td>{cell(&c.before)}</td>
                    <td>{cell(&c.after)}</td>
                    <td>{if c.changed() { "Changed" } else { "" }}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table diff">
            <thead>
                <tr>
                    <th scope="col">"Line"</th>
                    <th scope="col">"Before"</th>
                    <th scope="col">"After"</th>
                    <th scope="col"><span class="visually-hidden">"Change"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

fn totals_pair(before: Totals, after: Totals, currency: &str) -> impl IntoView + use<> {
    let money = |a| policy::format_money(a, currency);
    view! {
        <tr><th scope="row">"Total"</th><td class="num">{money(before.total)}</td><td class="num">{money(after.total)}</td></tr>
    }
}

/// The proposed edits of the invoice, pending first, each with its diff.
#[component]
pub fn Edits(i: InvoiceDetail) -> impl IntoView {
    if i.edits.is_empty() {
        return ().into_any();
    }
    let decide = allowed(&INVOICES_DECIDE_EDIT).is_ok();
    let items = i
        .edits
        .into_iter()
        .map(|e| {
            let currency = i.currency.clone();
            view! { <EditItem e currency decide/> }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="edits-title">
            <h2 id="edits-title">"Proposed edits"</h2>
            <p class="muted small">"Issued invoices change only when someone other than the author approves an edit."</p>
            {items}
        </section>
    }
    .into_any()
}

#[component]
fn EditItem(e: EditView, currency: String, decide: bool) -> impl IntoView {
    let pending = e.status == EditStatus::Pending;
    let decided = e.decided.clone().map(|at| {
        let by = e.decided_by.clone().map(|b| format!(" by {b}")).unwrap_or_default();
        let why = e.decision_reason.clone().map(|r| format!(": {r}")).unwrap_or_default();
        view! { <p class="small">{format!("{} {at}{by}{why}", e.status.label())}</p> }
    });
    let forms = match (pending, decide, e.mine) {
        (true, true, false) => Some(view! { <DecideEdit edit_id=e.id.clone()/> }.into_any()),
        (true, _, true) => {
            Some(view! { <p class="muted small">"You proposed this edit: another approver decides it."</p> }.into_any())
        }
        _ => None,
    };
    let header = view! {
        <table class="table compact">
            <thead><tr><th scope="col"></th><th scope="col">{format!("Version {}", e.base_version)}</th><th scope="col">"Proposed"</th></tr></thead>
            <tbody>
                <tr><th scope="row">"Customer"</th><td>{e.customer.0.clone()}</td><td>{e.customer.1.clone()}</td></tr>
                <tr><th scope="row">"Due"</th><td>{e.due_on.0.clone()}</td><td>{e.due_on.1.clone()}</td></tr>
                {totals_pair(e.totals.0, e.totals.1, &currency)}
            </tbody>
        </table>
    };
    view! {
        <article class="edit" aria-label=format!("Edit proposed by {}", e.requested_by)>
            <h3>
                {format!("Proposed by {} on {}", e.requested_by, e.requested)}" "
                <span class=format!("badge edit-{}", e.status.key())>{e.status.label()}</span>
            </h3>
            <p>{format!("Why: {}", e.reason)}</p>
            {header}
            {diff_table(&e.changes, &currency)}
            {decided}
            {forms}
        </article>
    }
}

#[component]
fn DecideEdit(edit_id: String) -> impl IntoView {
    let (approve, approved) = form_action::<ApproveEdit>();
    let (reject, rejected) = form_action::<RejectEdit>();
    let reason_id = format!("reject-{edit_id}");
    let approve_id = edit_id.clone();
    view! {
        <div class="toolbar">
            <PostForm action=approve attr:class="inline-form">
                <input type="hidden" name="edit_id" value=approve_id/>
                <button type="submit">"Approve edit"</button>
                <ErrorAlert result=approved/>
            </PostForm>
            <PostForm action=reject attr:class="inline-form">
                <input type="hidden" name="edit_id" value=edit_id/>
                <label for=reason_id.clone()>"Reason for rejecting"</label>
                <input id=reason_id name="reason" required maxlength="500" aria-invalid=field_error(rejected, "reason")/>
                <button type="submit" class="button-secondary">"Reject edit"</button>
                <ErrorAlert result=rejected/>
            </PostForm>
        </div>
    }
}

/// The versions an approved edit replaced, oldest first.
pub fn history(versions: &[VersionView], currency: &str) -> impl IntoView + use<> {
    (!versions.is_empty()).then(|| {
        let items = versions
            .iter()
            .map(|v| {
                view! {
                    <details>
                        <summary>{format!("Version {} → {} (total then {})", v.version, v.version + 1, policy::format_money(v.totals.total, currency))}</summary>
                        {diff_table(&v.changes, currency)}
                    </details>
                }
            })
            .collect_view();
        view! {
            <section class="card" aria-labelledby="history-title">
                <h2 id="history-title">"Earlier versions"</h2>
                {items}
            </section>
        }
    })
}

/// Payments received and bank transfers awaiting confirmation, and the form to record one.
#[component]
pub fn Payments(i: InvoiceDetail, record: bool) -> impl IntoView {
    let confirm = allowed(&PAYMENTS_CONFIRM).is_ok();
    let table = (!i.payments.is_empty()).then(|| payments_table(i.payments.clone(), confirm, false));
    let empty = i.payments.is_empty().then(|| view! { <p class="muted">"No payments recorded yet."</p> });
    let open = i.totals.total - i.paid;
    let form = record.then(|| view! { <RecordPaymentForm invoice_id=i.id.clone() open=typed(open, &i.currency)/> });
    view! {
        <section class="card" aria-labelledby="payments-title">
            <h2 id="payments-title">"Payments"</h2>
            {empty}
            {table}
            {form}
        </section>
    }
}

/// Payments as a table (with an invoice column when `invoice`); transfers awaiting
/// confirmation get the confirm button when `confirm`.
pub fn payments_table(payments: Vec<PaymentView>, confirm: bool, invoice: bool) -> impl IntoView {
    let rows = payments.into_iter().map(|p| payment_row(p, confirm, invoice)).collect_view();
    view! {
        <table class="table">
            <thead>
                <tr>
                    {invoice.then(|| view! { <th scope="col">"Invoice"</th> })}
                    <th scope="col">"Method"</th>
                    <th scope="col">"Reference"</th>
                    <th scope="col" class="num">"Amount"</th>
                    <th scope="col">"Recorded"</th>
                    <th scope="col">"Status"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// One payment as a table row (first its invoice, with `invoice`).
fn payment_row(p: PaymentView, confirm: bool, invoice: bool) -> impl IntoView {
    let invoice = invoice.then(|| {
        let href = format!("/finance/invoices/{}", p.invoice_id);
        let number = p.invoice_number.clone().unwrap_or_else(|| "Invoice".into());
        view! { <td><a href=href>{number}</a></td> }
    });
    let status = if p.confirmed {
        let by = p.confirmed_by.clone().unwrap_or_default();
        let at = p.confirmed_at.clone().unwrap_or_default();
        view! { <span class="badge invoice-paid">"Received"</span>" "<span class="small muted">{format!("confirmed {at} by {by}")}</span> }
            .into_any()
    } else {
        view! {
            <span class="badge badge-warn">"Awaiting confirmation"</span>
            {confirm.then(|| view! { <ConfirmForm payment_id=p.id.clone()/> })}
        }
        .into_any()
    };
    view! {
        <tr>
            {invoice}
            <td>{p.method.label()}</td>
            <td>{p.reference.clone().unwrap_or_else(|| "—".into())}</td>
            <td class="num">{policy::format_money(p.amount, &p.currency)}</td>
            <td class="small">{format!("{} by {}", p.recorded, p.recorded_by)}</td>
            <td>{status}</td>
        </tr>
    }
}

#[component]
fn ConfirmForm(payment_id: String) -> impl IntoView {
    let (action, result) = form_action::<ConfirmPayment>();
    view! {
        <PostForm action attr:class="inline-form">
            <input type="hidden" name="payment_id" value=payment_id/>
            <button type="submit">"Confirm it arrived"</button>
            <ErrorAlert result/>
        </PostForm>
    }
}

#[component]
fn RecordPaymentForm(invoice_id: String, open: String) -> impl IntoView {
    let (action, result) = form_action::<RecordPayment>();
    let methods =
        PaymentMethod::ALL.into_iter().map(|m| view! { <option value=m.key()>{m.label()}</option> }).collect_view();
    view! {
        <h3>"Record a payment"</h3>
        <PostForm action>
            <input type="hidden" name="invoice_id" value=invoice_id/>
            <label for="pay-method">"Method"</label>
            <select id="pay-method" name="method">{methods}</select>
            <label for="pay-amount">"Amount"</label>
            <input id="pay-amount" name="amount" value=open inputmode="decimal" required aria-invalid=field_error(result, "amount")/>
            <label for="pay-reference">"Reference"</label>
            <input id="pay-reference" name="reference" maxlength="100" aria-invalid=field_error(result, "reference")/>
            <p class="small muted">
                "The processor's charge id for cards and PayPal. A bank transfer counts once someone confirms it arrived."
            </p>
            <ErrorAlert result/>
            <button type="submit">"Record payment"</button>
        </PostForm>
    }
}

/// The invoice's refunds and, for those who may ask, the request form.
#[component]
pub fn Refunds(i: InvoiceDetail, request: bool) -> impl IntoView {
    let rows = i.refunds.iter().cloned().map(refund_row).collect_view();
    let table = (!i.refunds.is_empty()).then(|| {
        view! {
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col" class="num">"Amount"</th>
                        <th scope="col">"Reason"</th>
                        <th scope="col">"Requested"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        }
    });
    let refundable = i.paid - i.refunded;
    let form = (request && refundable > 0)
        .then(|| view! { <RequestRefundForm invoice_id=i.id.clone() max=typed(refundable, &i.currency)/> });
    view! {
        <section class="card" aria-labelledby="refunds-title">
            <h2 id="refunds-title">"Refunds"</h2>
            <p class="small muted">
                {format!("Refunded or approved: {}. ", policy::format_money(i.refunded, &i.currency))}
                <a href="/finance/refunds">"Refund approvals"</a>
            </p>
            {table}
            {form}
        </section>
    }
}

/// Where a refund stands, with who and when at each step.
pub fn refund_steps(r: &RefundView) -> String {
    let mut steps = vec![format!("asked by {} on {}", r.requested_by, r.requested)];
    if let Some(first) = &r.first_approved_by {
        steps.push(format!("approved by {first}"));
    }
    if let (Some(by), Some(at)) = (&r.approved_by, &r.approved)
        && r.first_approved_by.as_deref() != Some(by)
    {
        steps.push(format!("approved by {by} on {at}"));
    }
    if let (Some(by), Some(at)) = (&r.rejected_by, &r.rejected) {
        steps.push(format!("rejected by {by} on {at}: {}", r.reject_reason.clone().unwrap_or_default()));
    }
    if let (Some(by), Some(at)) = (&r.executed_by, &r.executed) {
        steps.push(format!("sent by {by} on {at}"));
    }
    steps.join("; ")
}

fn refund_row(r: RefundView) -> impl IntoView {
    view! {
        <tr>
            <td class="num">{policy::format_money(r.amount, &r.currency)}</td>
            <td>{r.reason.clone()}</td>
            <td class="small">{refund_steps(&r)}</td>
            <td><span class=format!("badge refund-{}", r.status.key())>{r.status.label()}</span></td>
        </tr>
    }
}

#[component]
fn RequestRefundForm(invoice_id: String, max: String) -> impl IntoView {
    let (action, result) = form_action::<RequestRefund>();
    view! {
        <h3>"Request a refund"</h3>
        <PostForm action>
            <input type="hidden" name="invoice_id" value=invoice_id/>
            <label for="refund-amount">"Amount"</label>
            <input id="refund-amount" name="amount" value=max inputmode="decimal" required aria-invalid=field_error(result, "amount")/>
            <label for="refund-reason">"Reason"</label>
            <input id="refund-reason" name="reason" required maxlength="500" aria-invalid=field_error(result, "reason")/>
            <p class="small muted">"Someone else approves it; large refunds need two approvers."</p>
            <ErrorAlert result/>
            <button type="submit">"Request refund"</button>
        </PostForm>
    }
}
