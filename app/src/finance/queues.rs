//! `/finance/refunds` (the approval queue, and refunds by state) and `/finance/payments`
//! (payments received, bank transfers to confirm).

use super::api::{
    ApproveRefund, ExecuteRefund, FINANCE_SETTINGS, INVOICES_READ, PAYMENTS_CONFIRM, PAYMENTS_RECORD, PaymentList,
    REFUNDS_DECIDE, RefundList, RejectRefund, SetRefundThreshold, list_payments, list_refunds,
};
use super::policy::{self, RefundStatus};
use super::sections::{payments_table, refund_steps};
use super::types::RefundView;
use crate::access::Denial;
use crate::ui::PostForm;
use crate::ui::{DoneNote, ErrorAlert, Loaded, Page, allowed, encode_query_value, field_error, form_action, gated};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn RefundsPage() -> impl IntoView {
    let query = use_query_map().read_untracked();
    let status = query.get("status").unwrap_or_default();
    let after = query.get("after");
    let filter = status.clone();
    let list = gated(INVOICES_READ, move || (filter.clone(), after.clone()), |(s, a)| list_refunds(Some(s), a));
    view! {
        <Title text="Refunds · Gatehouse"/>
        <Page>
            <section class="card">
                <h1>"Refunds"</h1>
                <DoneNote key="approved" message="Refund approved. Send the money back, then mark it as sent."/>
                <DoneNote key="first_approval" message="Your approval is recorded. A second approver completes it."/>
                <DoneNote key="rejected" message="Refund rejected."/>
                <DoneNote key="executed" message="Refund marked as sent."/>
                <DoneNote key="threshold_saved" message="Approval rule saved."/>
                <RefundTabs current=status.clone()/>
                <Loaded resource=list render={move |list: RefundList| view! { <RefundTable list status=status.clone()/> }}/>
            </section>
        </Page>
    }
}

#[component]
fn RefundTabs(current: String) -> impl IntoView {
    let current = RefundStatus::from_key(&current).unwrap_or(RefundStatus::Requested);
    let tabs = RefundStatus::ALL
        .into_iter()
        .map(|s| {
            let href = format!("/finance/refunds?status={}", s.key());
            let here = (s == current).then_some("page");
            view! { <a href=href aria-current=here class="tab">{s.label()}</a> }
        })
        .collect_view();
    view! { <nav class="tabs" aria-label="Refunds by state">{tabs}</nav> }
}

#[component]
fn RefundTable(list: RefundList, status: String) -> impl IntoView {
    let decide = allowed(&REFUNDS_DECIDE);
    let send = allowed(&PAYMENTS_RECORD).is_ok();
    let threshold = list.two_approvals_above.map(|t| policy::format_money(t, &list.currency));
    let rule = view! {
        <p class="small muted">
            {match threshold.clone() {
                Some(t) => format!("Refunds above {t} need two different approvers. Nobody approves their own request; requests expire after {} days.", policy::REFUND_EXPIRY_DAYS),
                None => format!("One approver decides each refund. Nobody approves their own request; requests expire after {} days.", policy::REFUND_EXPIRY_DAYS),
            }}
        </p>
    };
    // Approvers who have not proved it is them lately are sent to do so first.
    let step_up = matches!(decide, Err(Denial::StepUpRequired)).then(|| {
        view! {
            <p class="alert alert-info" role="note">
                "Deciding refunds asks you to confirm it is you. "
                <a href="/step-up?next=/finance/refunds">"Verify it's you"</a>
            </p>
        }
    });
    let settings = allowed(&FINANCE_SETTINGS)
        .is_ok()
        .then(|| view! { <ThresholdForm current=list.two_approvals_above.map(|t| policy::plain_amount(t, crate::orgs::minor_units(&list.currency))).unwrap_or_default()/> });
    let next = list.next.clone().map(|cursor| {
        let href =
            format!("/finance/refunds?status={}&after={}", encode_query_value(&status), encode_query_value(&cursor));
        view! { <p><a href=href>"More →"</a></p> }
    });
    let body = if list.rows.is_empty() {
        view! { <p class="muted">"Nothing here. Refund requests made on an invoice wait here for an approver."</p> }
            .into_any()
    } else {
        let decide = decide.is_ok();
        let rows = list.rows.into_iter().map(|r| view! { <RefundRow r decide send/> }).collect_view();
        view! {
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"Invoice"</th>
                        <th scope="col" class="num">"Amount"</th>
                        <th scope="col">"Reason"</th>
                        <th scope="col">"Steps"</th>
                        <th scope="col">"Decision"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! { {rule}{step_up}{body}{next}{settings} }
}

#[component]
fn RefundRow(r: RefundView, decide: bool, send: bool) -> impl IntoView {
    let href = format!("/finance/invoices/{}", r.invoice_id);
    let number = r.invoice_number.clone().unwrap_or_else(|| "Invoice".into());
    let approvals = (r.approvals_needed == 2).then(|| {
        let given = usize::from(r.first_approved_by.is_some());
        view! { <span class="small muted">{format!(" ({given} of 2 approvals)")}</span> }
    });
    let action = match r.status {
        RefundStatus::Requested if r.mine => {
            view! { <span class="muted small">"Your request: another approver decides it."</span> }.into_any()
        }
        RefundStatus::Requested if r.approved_by_me => {
            view! { <span class="muted small">"You approved it; a second approver completes it."</span> }.into_any()
        }
        RefundStatus::Requested if decide => view! { <DecideRefund refund_id=r.id.clone()/> }.into_any(),
        RefundStatus::Requested => view! { <span class="small">{format!("Expires {}", r.expires)}</span> }.into_any(),
        RefundStatus::Approved if send => view! { <ExecuteForm refund_id=r.id.clone()/> }.into_any(),
        _ => view! { <span class="small">{r.external_reference.clone().unwrap_or_default()}</span> }.into_any(),
    };
    view! {
        <tr>
            <td><a href=href>{number}</a></td>
            <td class="num">{policy::format_money(r.amount, &r.currency)}{approvals}</td>
            <td>{r.reason.clone()}</td>
            <td class="small">{refund_steps(&r)}</td>
            <td>{action}</td>
        </tr>
    }
}

#[component]
fn DecideRefund(refund_id: String) -> impl IntoView {
    let (approve, approved) = form_action::<ApproveRefund>();
    let (reject, rejected) = form_action::<RejectRefund>();
    let reason_id = format!("reject-{refund_id}");
    let approve_id = refund_id.clone();
    view! {
        <PostForm action=approve attr:class="inline-form">
            <input type="hidden" name="refund_id" value=approve_id/>
            <button type="submit">"Approve"</button>
            <ErrorAlert result=approved/>
        </PostForm>
        <PostForm action=reject attr:class="inline-form">
            <input type="hidden" name="refund_id" value=refund_id/>
            <label for=reason_id.clone() class="small">"Reason for rejecting"</label>
            <input id=reason_id name="reason" required maxlength="500" aria-invalid=field_error(rejected, "reason")/>
            <button type="submit" class="button-secondary">"Reject"</button>
            <ErrorAlert result=rejected/>
        </PostForm>
    }
}

#[component]
fn ExecuteForm(refund_id: String) -> impl IntoView {
    let (action, result) = form_action::<ExecuteRefund>();
    let reference_id = format!("sent-{refund_id}");
    view! {
        <PostForm action attr:class="inline-form">
            <input type="hidden" name="refund_id" value=refund_id/>
            <label for=reference_id.clone() class="small">"Reference of the money sent back"</label>
            <input id=reference_id name="reference" maxlength="100"/>
            <button type="submit">"Mark as sent"</button>
            <ErrorAlert result/>
        </PostForm>
    }
}

#[component]
fn ThresholdForm(current: String) -> impl IntoView {
    let (action, result) = form_action::<SetRefundThreshold>();
    view! {
        <h2>"Approval rule"</h2>
        <PostForm action>
            <label for="two-approvals">"Two approvers for refunds above"</label>
            <input id="two-approvals" name="two_approvals_above" value=current inputmode="decimal" aria-invalid=field_error(result, "two_approvals_above")/>
            <p class="small muted">"Leave it empty for one approver whatever the amount."</p>
            <ErrorAlert result/>
            <button type="submit">"Save rule"</button>
        </PostForm>
    }
}

#[component]
pub fn PaymentsPage() -> impl IntoView {
    let query = use_query_map().read_untracked();
    let awaiting = query.get("awaiting").unwrap_or_default();
    let after = query.get("after");
    let filter = awaiting.clone();
    let list = gated(INVOICES_READ, move || (filter.clone(), after.clone()), |(w, a)| list_payments(Some(w), a));
    let only_awaiting = !awaiting.is_empty();
    view! {
        <Title text="Payments · Gatehouse"/>
        <Page>
            <section class="card">
                <h1>"Payments"</h1>
                <DoneNote key="confirmed" message="Transfer confirmed: it now counts towards its invoice."/>
                <DoneNote key="already_confirmed" message="This transfer was already confirmed; nothing changed. The list shows when and by whom."/>
                <nav class="tabs" aria-label="Payments">
                    <a href="/finance/payments" class="tab" aria-current=(!only_awaiting).then_some("page")>"All payments"</a>
                    <a href="/finance/payments?awaiting=1" class="tab" aria-current=only_awaiting.then_some("page")>"Awaiting confirmation"</a>
                </nav>
                <p class="small muted">"Record a payment from the invoice it pays."</p>
                <Loaded resource=list render={move |list: PaymentList| view! { <PaymentTable list only_awaiting/> }}/>
            </section>
        </Page>
    }
}

#[component]
fn PaymentTable(list: PaymentList, only_awaiting: bool) -> impl IntoView {
    if list.rows.is_empty() {
        return view! { <p class="muted">"No payments here yet."</p> }.into_any();
    }
    let confirm = allowed(&PAYMENTS_CONFIRM).is_ok();
    let next = list.next.clone().map(|cursor| {
        let awaiting = if only_awaiting { "1" } else { "" };
        let href = format!("/finance/payments?awaiting={awaiting}&after={}", encode_query_value(&cursor));
        view! { <p><a href=href>"Older payments →"</a></p> }
    });
    view! {
        {payments_table(list.rows, confirm, true)}
        {next}
    }
    .into_any()
}
