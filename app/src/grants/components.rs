//! `/settings/analytics-access`: who may see which analytics, by role or by grant.

use super::GRANTABLE;
use super::api::{GRANTS_MANAGE, MemberAccess, SetAnalyticsGrants, Source, list_analytics_access};
use crate::ui::PostForm;
use crate::ui::{DoneNote, ErrorAlert, Loaded, Page, form_action, gated};
use leptos::prelude::*;
use leptos_meta::Title;

/// Form field names, in `GRANTABLE` order.
const FIELDS: [&str; 5] = ["view", "view_revenue", "view_sales", "view_products", "export"];

#[component]
pub fn AnalyticsAccessPage() -> impl IntoView {
    let rows = gated(GRANTS_MANAGE, || (), |_| list_analytics_access());
    view! {
        <Title text="Analytics access · Gatehouse"/>
        <Page>
            <section class="card">
                <h1>"Analytics access"</h1>
                <p class="muted">
                    "Grant analytics permissions to individual members on top of their role. Permissions a role "
                    "gives are marked “role” and change only with the role. Changes apply to the member's next "
                    "request; a grant with an expiry ends at the start of that day."
                </p>
                // A save reloads the table (`?done=saved`).
                <DoneNote key="saved" message="Analytics access saved."/>
                <Loaded resource=rows render={|rows: Vec<MemberAccess>| view! { <AccessTable rows/> }}/>
            </section>
        </Page>
    }
}

#[component]
fn AccessTable(rows: Vec<MemberAccess>) -> impl IntoView {
    let heads = GRANTABLE.iter().map(|p| view! { <th scope="col" title=p.key()>{p.label()}</th> }).collect_view();
    let body = rows
        .into_iter()
        .map(|m| {
            let cells = m
                .sources
                .iter()
                .zip(GRANTABLE.iter().zip(FIELDS))
                .map(|(source, (p, field))| {
                    let label = format!("{} for {}", p.label(), m.name);
                    let form = format!("grants-{}", m.member_id);
                    match source.clone() {
                        Source::Role => view! {
                            <td>
                                <input type="checkbox" checked disabled aria-label=label/>
                                <span class="small muted">" role"</span>
                            </td>
                        }
                        .into_any(),
                        Source::Grant { by, at, until } => {
                            let note = format!(
                                "by {} on {at}{}",
                                by.unwrap_or_else(|| "a former member".into()),
                                until.map(|u| format!(", until {u}")).unwrap_or_default()
                            );
                            view! {
                                <td>
                                    <input type="checkbox" name=field value="on" form=form checked aria-label=label/>
                                    <span class="small muted">" "{note}</span>
                                </td>
                            }
                            .into_any()
                        }
                        Source::Absent => view! {
                            <td><input type="checkbox" name=field value="on" form=form aria-label=label/></td>
                        }
                        .into_any(),
                    }
                })
                .collect_view();
            let form_id = format!("grants-{}", m.member_id);
            let expiry_label = format!("Expiry of new grants for {}", m.name);
            let save_label = format!("Save analytics access for {}", m.name);
            view! {
                <tr>
                    <th scope="row">{m.name.clone()}<br/><span class="small muted">{m.role_name}</span></th>
                    {cells}
                    <td>
                        <SaveAccess form_id member_id=m.member_id expiry_label save_label/>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">"Member"</th>
                    {heads}
                    <th scope="col">"Expires (optional)"</th>
                </tr>
            </thead>
            <tbody>{body}</tbody>
        </table>
    }
}

/// A member's save button and expiry; the row's checkboxes belong to its form by `form=`.
#[island]
fn SaveAccess(form_id: String, member_id: String, expiry_label: String, save_label: String) -> impl IntoView {
    let (action, result) = form_action::<SetAnalyticsGrants>();
    view! {
        <PostForm action attr:id=form_id>
            <input type="hidden" name="member_id" value=member_id/>
            <input type="date" name="expires_on" aria-label=expiry_label/>
            <button type="submit" aria-label=save_label>"Save"</button>
            <ErrorAlert result/>
        </PostForm>
    }
}
