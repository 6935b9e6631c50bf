//! `/settings/audit`: the organization's audit log with filters, paging and CSV export.

use super::api::{
    AUDIT_EXPORT, AUDIT_READ, AUDIT_RETENTION, AuditFilter, AuditPage, CHECKPOINT_PATH, EXPORT_PATH, SetAuditRetention,
    get_audit_retention, list_audit_events,
};
use crate::error::AppError;
use crate::ui::PostForm;
use crate::ui::{DoneNote, ErrorAlert, Loaded, Page, WhenAllowed, encode_query_value, field_error, form_action, gated};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        AuditFilter {
            actor: get("actor"),
            action: get("action"),
            outcome: get("outcome"),
            from: get("from"),
            to: get("to"),
        }
    });
    let before = Memo::new(move |_| query.read().get("before").and_then(|b| b.parse::<i64>().ok()));
    let page = gated(AUDIT_READ, move || (filter.get(), before.get()), |(f, b)| list_audit_events(f, b));
    let retention = gated(AUDIT_READ, || (), |_| get_audit_retention());

    view! {
        <Title text="Audit log · Gatehouse"/>
        <Page>
            <section class="card">
                <h1>"Audit log"</h1>
                <AuditLog filter page/>
            </section>
            <section class="card" aria-labelledby="retention-title">
                <h2 id="retention-title">"Keeping the log"</h2>
                <DoneNote key="retention" message="Retention saved."/>
                {crate::ui::current_session().map(|s| view! {
                    <Retention retention can_change=s.access.allows(&AUDIT_RETENTION) can_export=s.access.allows(&AUDIT_EXPORT)/>
                })}
            </section>
        </Page>
    }
}

fn query_string(filter: &AuditFilter, before: Option<i64>) -> String {
    let mut parts: Vec<String> = [
        ("actor", &filter.actor),
        ("action", &filter.action),
        ("outcome", &filter.outcome),
        ("from", &filter.from),
        ("to", &filter.to),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
    .collect();
    if let Some(before) = before {
        parts.push(format!("before={before}"));
    }
    format!("?{}", parts.join("&"))
}

#[component]
fn AuditLog(filter: Memo<AuditFilter>, page: Resource<Result<AuditPage, AppError>>) -> impl IntoView {
    let f = filter.get_untracked();
    let outcomes = ["", "allowed", "denied", "failed"]
        .into_iter()
        .map(|o| {
            let label = if o.is_empty() { "Any" } else { o };
            view! { <option value=o selected=f.outcome == o>{label}</option> }
        })
        .collect_view();
    view! {
        <form method="get" action="/settings/audit" class="filters" aria-label="Filter events">
            <div>
                <label for="f-actor">"Actor"</label>
                <input id="f-actor" name="actor" value=f.actor.clone() placeholder="email contains…" maxlength="100"/>
            </div>
            <div>
                <label for="f-action">"Action"</label>
                <input id="f-action" name="action" value=f.action.clone() placeholder="starts with… (auth.)" maxlength="100"/>
            </div>
            <div>
                <label for="f-outcome">"Outcome"</label>
                <select id="f-outcome" name="outcome">{outcomes}</select>
            </div>
            <div>
                <label for="f-from">"From"</label>
                <input id="f-from" type="date" name="from" value=f.from.clone()/>
            </div>
            <div>
                <label for="f-to">"To"</label>
                <input id="f-to" type="date" name="to" value=f.to.clone()/>
            </div>
            <button type="submit">"Filter"</button>
        </form>
        <WhenAllowed requirement=AUDIT_EXPORT>
            <form method="post" action=EXPORT_PATH class="inline-form">
                <input type="hidden" name="actor" value=f.actor.clone()/>
                <input type="hidden" name="action" value=f.action.clone()/>
                <input type="hidden" name="outcome" value=f.outcome.clone()/>
                <input type="hidden" name="from" value=f.from.clone()/>
                <input type="hidden" name="to" value=f.to.clone()/>
                <button type="submit" class="button-secondary">"Export CSV"</button>
            </form>
        </WhenAllowed>
        <Loaded resource=page render={move |page: AuditPage| view! { <EventTable page filter=filter.get_untracked()/> }}/>
    }
}

#[component]
fn EventTable(page: AuditPage, filter: AuditFilter) -> impl IntoView {
    if page.events.is_empty() {
        return view! { <p class="muted">"No events match."</p> }.into_any();
    }
    let older = page.next_before.map(|seq| {
        let href = format!("/settings/audit{}", query_string(&filter, Some(seq)));
        view! { <p><a href=href>"Older events →"</a></p> }
    });
    let rows = page
        .events
        .into_iter()
        .map(|e| {
            let outcome_class = format!("badge outcome-{}", e.outcome);
            view! {
                <tr>
                    <td class="nowrap">{e.time}</td>
                    <td>{e.actor}<span class="muted small">{format!(" ({})", e.actor_type)}</span></td>
                    <td><code>{e.action}</code></td>
                    <td class="small">{e.target}</td>
                    <td><span class=outcome_class>{e.outcome}</span></td>
                    <td class="small">{e.reason}</td>
                    <td class="small">{e.ip}</td>
                    <td>
                        <details>
                            <summary>"Details"</summary>
                            <pre class="small">{e.metadata}</pre>
                            {e.user_agent.map(|ua| view! { <p class="small muted">{ua}</p> })}
                        </details>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">"Time"</th>
                    <th scope="col">"Actor"</th>
                    <th scope="col">"Action"</th>
                    <th scope="col">"Target"</th>
                    <th scope="col">"Outcome"</th>
                    <th scope="col">"Reason"</th>
                    <th scope="col">"IP"</th>
                    <th scope="col">""</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        {older}
    }
    .into_any()
}

/// How long the log is kept (a change reloads the page), and the signed checkpoint that
/// proves later that nothing was cut from its end.
#[component]
fn Retention(retention: Resource<Result<i64, AppError>>, can_change: bool, can_export: bool) -> impl IntoView {
    view! {
        <Loaded resource=retention render={move |days: i64| view! {
            <p>
                {format!("Events are kept for {days} days; older ones are pruned, and the chain stays verifiable from a \
                          checkpoint the prune writes.")}
            </p>
            {can_change.then(|| view! { <RetentionForm days/> })}
        }}/>
        {can_export.then(|| view! {
            <form method="post" action=CHECKPOINT_PATH class="inline-form">
                <p class="small muted">
                    "Keep a signed checkpoint outside Gatehouse: " <code>"gatehouse verify-audit --checkpoint FILE"</code>
                    " later proves the log still holds everything up to it."
                </p>
                <button type="submit" class="button-secondary">"Download signed checkpoint"</button>
            </form>
        })}
    }
}

#[island]
fn RetentionForm(days: i64) -> impl IntoView {
    let (save, result) = form_action::<SetAuditRetention>();
    view! {
        <PostForm action=save attr:class="inline-form">
            <label for="retention-days">"Keep events for (days)"</label>
            <input id="retention-days" name="days" type="number" min="90" max="3650" value=days required
                aria-invalid=field_error(result, "days")/>
            <button type="submit" class="button-secondary">"Save"</button>
            <ErrorAlert result/>
        </PostForm>
    }
}
