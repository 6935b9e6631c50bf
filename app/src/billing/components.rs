//! `/settings/billing`.

use super::api::{BILLING_READ, SubmitTransfer, get_billing};
use super::{Billing, Status, Transfer, usd};
use crate::ui::PostForm;
use crate::ui::{DoneNote, ErrorAlert, Loaded, Page, field_error, form_action, gated};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn BillingPage() -> impl IntoView {
    let billing = gated(BILLING_READ, || (), |_| get_billing());
    view! {
        <Title text="Billing · Gatehouse"/>
        <Page>
            <section class="card">
                <h1>"Billing"</h1>
                <DoneNote key="transfer" message="Transfer recorded. Gatehouse confirms it once it reaches our account."/>
                <Loaded resource=billing render={|b: Billing| view! { <BillingDetails billing=b/> }}/>
            </section>
        </Page>
    }
}

#[component]
fn BillingDetails(billing: Billing) -> impl IntoView {
    let Billing { plan, limits, status, period_end, seats_used, payment_method, suspension, transfers, can_manage } =
        billing;
    let end_label = if status == Status::Trialing { "Trial ends" } else { "Paid until" };
    let what_to_do = match status {
        Status::PastDue | Status::Canceled => Some(
            view! {
                <p class="alert alert-warn" role="status">
                    "The subscription is past due: the workspace is read-only. Pay by bank transfer below; "
                    "everything opens again as soon as Gatehouse confirms it."
                </p>
            }
            .into_any(),
        ),
        Status::Suspended => suspension.map(|s| {
            view! {
                <div class="alert alert-error" role="alert">
                    <p><strong>"This workspace is suspended"</strong>{format!(" since {} by {}.", s.since, s.by)}</p>
                    <p>"Reason given: " {s.reason}</p>
                    <p>"Members cannot use it until it is reactivated. Contact support@gatehouse.test."</p>
                </div>
            }
            .into_any()
        }),
        _ => None,
    };
    view! {
        {what_to_do}
        <dl class="facts" data-testid="subscription">
            <dt>"Plan"</dt><dd>{plan.name()} " (" {usd(limits.monthly_price_cents)} " a month)"</dd>
            <dt>"Status"</dt><dd data-testid="subscription-status">{status.label()}</dd>
            <dt>{end_label}</dt><dd>{period_end.unwrap_or_else(|| "—".into())}</dd>
            <dt>"Seats"</dt><dd>{format!("{seats_used} of {}", limits.seats)}</dd>
            <dt>"API requests"</dt><dd>{format!("{} a minute", limits.api_per_minute)}</dd>
            <dt>"Analytics history"</dt><dd>{format!("{} days", limits.analytics_history_days)}</dd>
            <dt>"Payment method"</dt><dd>{payment_method.map_or("Not chosen yet", |m| m.label())}</dd>
        </dl>
        <h2>"Bank transfers"</h2>
        <Transfers list=transfers/>
        {if can_manage {
            view! { <TransferForm/> }.into_any()
        } else {
            view! { <p class="muted">"Only an owner can pay for the subscription."</p> }.into_any()
        }}
    }
}

/// Bank transfers, newest first: for the tenant, and (with payer and proof) for operators.
#[component]
pub fn Transfers(list: Vec<Transfer>, #[prop(optional)] staff: bool) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No transfers yet."</p> }.into_any();
    }
    let rows = list
        .into_iter()
        .map(|t| {
            let state = match (&t.confirmed_at, &t.confirmed_by) {
                (Some(at), Some(by)) => format!("confirmed {at} by {by}"),
                _ => "waiting for confirmation".into(),
            };
            let staff_cells = staff.then(|| {
                let proof = t.proof_url.map(|href| view! { <a href=href rel="noreferrer noopener">"proof"</a> });
                view! { <td>{t.payer.unwrap_or_default()}</td> <td>{proof}</td> }
            });
            view! {
                <tr>
                    <td><code>{t.reference}</code></td>
                    <td>{t.amount.unwrap_or_default()}</td>
                    {staff_cells}
                    <td class="nowrap">{t.submitted}</td>
                    <td>{state}</td>
                </tr>
            }
        })
        .collect_view();
    let staff_heads = staff.then(|| view! { <th scope="col">"Payer"</th> <th scope="col">"Proof"</th> });
    view! {
        <table class="table" data-testid="transfers">
            <thead>
                <tr>
                    <th scope="col">"Reference"</th>
                    <th scope="col">"Amount"</th>
                    {staff_heads}
                    <th scope="col">"Recorded"</th>
                    <th scope="col">"State"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[island]
fn TransferForm() -> impl IntoView {
    let (action, result) = form_action::<SubmitTransfer>();
    view! {
        <h3>"Pay by bank transfer"</h3>
        <p class="muted">
            "Transfer the price of the months you want to Gatehouse Ltd, IBAN GB00 GATE 0000 0000 0000 00, "
            "then enter the bank's reference of the transfer here."
        </p>
        <PostForm action>
            <label for="transfer-reference">"Transfer reference"</label>
            <input id="transfer-reference" name="reference" required minlength="4" maxlength="64"
                aria-invalid=field_error(result, "reference")/>
            <label for="transfer-amount">"Amount (optional)"</label>
            <input id="transfer-amount" name="amount" inputmode="decimal" aria-invalid=field_error(result, "amount")/>
            <label for="transfer-currency">"Currency"</label>
            <select id="transfer-currency" name="currency" aria-invalid=field_error(result, "currency")>
                <option value="USD">"USD"</option>
                <option value="EUR">"EUR"</option>
                <option value="INR">"INR"</option>
            </select>
            <label for="transfer-payer">"Paid by (optional)"</label>
            <input id="transfer-payer" name="payer" maxlength="120" aria-invalid=field_error(result, "payer")/>
            <label for="transfer-proof">"Link to a receipt (optional, https)"</label>
            <input id="transfer-proof" name="proof_url" type="url" maxlength="500"
                aria-invalid=field_error(result, "proof_url")/>
            <ErrorAlert result/>
            <button type="submit" disabled=move || action.pending().get()>"Submit transfer"</button>
        </PostForm>
    }
}
