//! `/finance`: the dashboard a finance team opens first.

use super::api::{FinanceSummary, INVOICES_READ, get_finance_summary};
use super::policy;
use crate::ui::{Loaded, Page, gated};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn FinancePage() -> impl IntoView {
    let summary = gated(INVOICES_READ, || (), |_| get_finance_summary());
    view! {
        <Title text="Finance · Gatehouse"/>
        <Page>
            <section class="card">
                <h1>"Finance"</h1>
                <nav class="toolbar" aria-label="Finance">
                    <a href="/finance/invoices">"Invoices"</a>
                    <a href="/finance/payments">"Payments"</a>
                    <a href="/finance/refunds">"Refunds"</a>
                    <a href="/finance/customers">"Customers"</a>
                </nav>
                <Loaded resource=summary render={|s: FinanceSummary| view! { <Summary s/> }}/>
            </section>
        </Page>
    }
}

#[component]
fn Summary(s: FinanceSummary) -> impl IntoView {
    let money = |amount: i64| policy::format_money(amount, &s.currency);
    let count = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let rows = s
        .months
        .iter()
        .map(|m| {
            view! {
                <tr>
                    <th scope="row">{m.label.clone()}</th>
                    <td class="num">{money(m.invoiced)}</td>
                    <td class="num">{money(m.collected)}</td>
                    <td class="num">{money(m.refunded)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="figures">
            <div class="figure">
                <p class="figure-label">"Outstanding"</p>
                <p class="figure-value">{money(s.outstanding)}</p>
                <p class="small muted">{count(s.open_invoices, "open invoice", "open invoices")}</p>
            </div>
            <div class="figure">
                <p class="figure-label">"Overdue"</p>
                <p class="figure-value">{money(s.overdue)}</p>
                <p class="small muted">{count(s.overdue_invoices, "invoice past its due date", "invoices past their due date")}</p>
            </div>
            <div class="figure">
                <p class="figure-label">"Collected this month"</p>
                <p class="figure-value">{money(s.collected_this_month)}</p>
                <p class="small"><a href="/finance/payments?awaiting=1">{count(s.transfers_awaiting, "transfer to confirm", "transfers to confirm")}</a></p>
            </div>
            <div class="figure">
                <p class="figure-label">"Refunds awaiting approval"</p>
                <p class="figure-value">{s.refunds_awaiting}</p>
                <p class="small"><a href="/finance/refunds">{format!("{} in total", money(s.refunds_awaiting_amount))}</a></p>
            </div>
        </div>
        <figure class="chart">
            <div role="img" aria-labelledby="chart-caption" inner_html=s.chart.clone()></div>
            <figcaption id="chart-caption">
                {format!("Money invoiced, collected and refunded in each of the last 12 months, in {}. The same figures are in the table below.", s.currency)}
            </figcaption>
        </figure>
        <table class="table">
            <caption class="visually-hidden">"Invoiced, collected and refunded by month"</caption>
            <thead>
                <tr>
                    <th scope="col">"Month"</th>
                    <th scope="col" class="num">"Invoiced"</th>
                    <th scope="col" class="num">"Collected"</th>
                    <th scope="col" class="num">"Refunded"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
