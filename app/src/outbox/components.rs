//! `/admin/outbox`.

use super::api::{OUTBOX_READ, OutboxMessage, list_outbox};
use crate::ui::{Loaded, Page, gated};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn OutboxPage() -> impl IntoView {
    let messages = gated(OUTBOX_READ, || (), |_| list_outbox());
    view! {
        <Title text="Outbox · Gatehouse"/>
        <Page>
            <section class="card">
                <h1>"Outbox"</h1>
                <p class="muted">"The newest 100 messages Gatehouse sent. Reading this page is audited."</p>
                <Loaded resource=messages render={|list: Vec<OutboxMessage>| view! { <Messages list/> }}/>
            </section>
        </Page>
    }
}

#[component]
fn Messages(list: Vec<OutboxMessage>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No messages yet."</p> }.into_any();
    }
    let rows = list
        .into_iter()
        .map(|m| {
            view! {
                <tr>
                    <td class="nowrap">{m.created}</td>
                    <td>{m.to}</td>
                    <td>
                        <details>
                            <summary>{m.subject}</summary>
                            <pre class="small mail-body">{m.body}</pre>
                        </details>
                    </td>
                    <td>{if m.sent { "sent" } else { "queued" }}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">"Created (UTC)"</th>
                    <th scope="col">"To"</th>
                    <th scope="col">"Subject"</th>
                    <th scope="col">"State"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
