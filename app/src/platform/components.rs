//! `/admin` (tenants) and `/admin/tenants/:id`.

use super::api::{ConfirmTransfer, ReactivateTenant, SuspendTenant, TENANTS_READ, get_tenant, list_tenants};
use super::{Tenant, TenantDetail};
use crate::billing::components::Transfers;
use crate::billing::{Plan, Status};
use crate::ui::PostForm;
use crate::ui::{DoneNote, ErrorAlert, Loaded, Page, field_error, form_action, gated};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn AdminPage() -> impl IntoView {
    let query = use_query_map().read_untracked().get("q").unwrap_or_default();
    let shown = query.clone();
    let tenants = gated(TENANTS_READ, move || query.clone(), list_tenants);
    view! {
        <Title text="Tenants · Gatehouse"/>
        <Page>
            <section class="card">
                <h1>"Tenants"</h1>
                <form method="get" action="/admin" class="inline-form" role="search">
                    <label for="tenant-search">"Search by name or address"</label>
                    <input id="tenant-search" name="q" value=shown maxlength="100"/>
                    <button type="submit">"Search"</button>
                </form>
                <Loaded resource=tenants render={|list: Vec<Tenant>| view! { <Tenants list/> }}/>
                <p class="muted"><a href="/admin/outbox">"Mail outbox"</a></p>
            </section>
        </Page>
    }
}

fn status_badge(status: Status) -> impl IntoView {
    let class = match status {
        Status::Active | Status::Trialing => "badge",
        Status::PastDue | Status::Canceled => "badge badge-warn",
        Status::Suspended => "badge badge-error",
    };
    view! { <span class=class>{status.label()}</span> }
}

#[component]
fn Tenants(list: Vec<Tenant>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No tenant matches."</p> }.into_any();
    }
    let rows = list
        .into_iter()
        .map(|t| {
            let href = format!("/admin/tenants/{}", t.id);
            view! {
                <tr>
                    <td><a href=href>{t.name}</a></td>
                    <td><code>{t.slug}</code></td>
                    <td>{t.plan.name()}</td>
                    <td>{status_badge(t.status)}</td>
                    <td class="num">{t.members}</td>
                    <td class="nowrap">{t.last_active.unwrap_or_else(|| "never".into())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" data-testid="tenants">
            <thead>
                <tr>
                    <th scope="col">"Tenant"</th>
                    <th scope="col">"Address"</th>
                    <th scope="col">"Plan"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col" class="num">"Members"</th>
                    <th scope="col">"Last activity (UTC)"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn TenantPage() -> impl IntoView {
    let id = use_params_map().read_untracked().get("id").unwrap_or_default();
    let tenant = gated(TENANTS_READ, move || id.clone(), get_tenant);
    view! {
        <Title text="Tenant · Gatehouse"/>
        <Page>
            <section class="card">
                <p><a href="/admin">"← Tenants"</a></p>
                <DoneNote key="suspended" message="The tenant is suspended."/>
                <DoneNote key="reactivated" message="The tenant is reactivated."/>
                <Loaded resource=tenant render={|t: TenantDetail| view! { <TenantDetails detail=t/> }}/>
            </section>
        </Page>
    }
}

#[component]
fn TenantDetails(detail: TenantDetail) -> impl IntoView {
    let TenantDetail { tenant, created, period_end, payment_method, suspension, transfers, can_confirm, can_manage } =
        detail;
    let suspended = tenant.status == Status::Suspended;
    let org_id = tenant.id.clone();
    let step_up = (!can_confirm || !can_manage).then(|| {
        let href = format!("/step-up?next=/admin/tenants/{org_id}");
        view! {
            <p class="alert alert-warn">
                "Confirming transfers and suspending need a fresh verification. "
                <a href=href>"Verify it's you"</a>
            </p>
        }
    });
    view! {
        <h1>{tenant.name.clone()}</h1>
        <dl class="facts" data-testid="tenant">
            <dt>"Address"</dt><dd><code>{tenant.slug.clone()}</code></dd>
            <dt>"Created (UTC)"</dt><dd>{created}</dd>
            <dt>"Plan"</dt><dd>{tenant.plan.name()}</dd>
            <dt>"Status"</dt><dd data-testid="tenant-status">{status_badge(tenant.status)}</dd>
            <dt>"Trial or period ends (UTC)"</dt><dd>{period_end.unwrap_or_else(|| "—".into())}</dd>
            <dt>"Payment method"</dt><dd>{payment_method.unwrap_or_else(|| "not chosen".into())}</dd>
            <dt>"Members"</dt><dd>{tenant.members}</dd>
            <dt>"Last activity (UTC)"</dt><dd>{tenant.last_active.unwrap_or_else(|| "never".into())}</dd>
        </dl>
        {suspension.map(|s| view! {
            <p class="alert alert-error">{format!("Suspended since {} by {}: {}", s.since, s.by, s.reason)}</p>
        })}
        {step_up}
        <h2>"Bank transfers"</h2>
        <Transfers list=transfers staff=true/>
        {can_confirm.then(|| view! { <ConfirmForm org_id=tenant.id.clone()/> })}
        {can_manage.then(|| if suspended {
            view! { <ReactivateForm org_id=tenant.id.clone()/> }.into_any()
        } else {
            view! { <SuspendForm org_id=tenant.id.clone()/> }.into_any()
        })}
    }
}

#[island]
fn ConfirmForm(org_id: String) -> impl IntoView {
    let (action, result) = form_action::<ConfirmTransfer>();
    let plans = Plan::ALL
        .into_iter()
        .filter(|p| *p != Plan::Trial)
        .map(|p| view! { <option value=p.key()>{p.name()}</option> })
        .collect_view();
    view! {
        <h3>"Confirm a bank transfer"</h3>
        <PostForm action>
            <input type="hidden" name="org_id" value=org_id/>
            <label for="confirm-reference">"Reference"</label>
            <input id="confirm-reference" name="reference" required minlength="4" maxlength="64"
                aria-invalid=field_error(result, "reference")/>
            <label for="confirm-amount">"Amount (USD)"</label>
            <input id="confirm-amount" name="amount" inputmode="decimal" aria-invalid=field_error(result, "amount")/>
            <label for="confirm-payer">"Payer"</label>
            <input id="confirm-payer" name="payer" maxlength="120" aria-invalid=field_error(result, "payer")/>
            <label for="confirm-proof">"Proof link (https)"</label>
            <input id="confirm-proof" name="proof_url" type="url" maxlength="500"
                aria-invalid=field_error(result, "proof_url")/>
            <label for="confirm-months">"Months paid"</label>
            <input id="confirm-months" name="months" type="number" min="1" max="24" value="1"
                aria-invalid=field_error(result, "months")/>
            <label for="confirm-plan">"Plan"</label>
            <select id="confirm-plan" name="plan">
                <option value="">"Keep the current plan"</option>
                {plans}
            </select>
            <ErrorAlert result/>
            {move || result.get().and_then(Result::ok).map(|done| {
                let class = if done.fresh { "alert alert-ok" } else { "alert alert-warn" };
                view! { <p class=class role="status" data-testid="confirm-result">{done.message()}</p> }
            })}
            <button type="submit" disabled=move || action.pending().get()>"Confirm transfer"</button>
        </PostForm>
    }
}

#[island]
fn SuspendForm(org_id: String) -> impl IntoView {
    let (action, result) = form_action::<SuspendTenant>();
    view! {
        <h3>"Suspend"</h3>
        <PostForm action>
            <input type="hidden" name="org_id" value=org_id/>
            <label for="suspend-reason">"Reason (the tenant sees it)"</label>
            <input id="suspend-reason" name="reason" required minlength="3" maxlength="500"
                aria-invalid=field_error(result, "reason")/>
            <ErrorAlert result/>
            <button type="submit" class="button-danger" disabled=move || action.pending().get()>"Suspend tenant"</button>
        </PostForm>
    }
}

#[island]
fn ReactivateForm(org_id: String) -> impl IntoView {
    let (action, result) = form_action::<ReactivateTenant>();
    view! {
        <h3>"Reactivate"</h3>
        <PostForm action>
            <input type="hidden" name="org_id" value=org_id/>
            <label for="reactivate-reason">"Reason"</label>
            <input id="reactivate-reason" name="reason" required minlength="3" maxlength="500"
                aria-invalid=field_error(result, "reason")/>
            <ErrorAlert result/>
            <button type="submit" disabled=move || action.pending().get()>"Reactivate tenant"</button>
        </PostForm>
    }
}
