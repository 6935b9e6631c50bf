//! The team roster and a member's page.

use super::api::{TEAM_READ, get_member, list_members};
use crate::ui::{ErrorPanel, Page};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn TeamPage() -> impl IntoView {
    view! {
        <Title text="Team · Gatehouse"/>
        <Page requirement=TEAM_READ>
            <section class="card">
                <h1>"Team"</h1>
                <Roster/>
            </section>
        </Page>
    }
}

#[component]
fn Roster() -> impl IntoView {
    let members = Resource::new(|| (), |_| list_members());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match members.await {
                    Ok(members) => {
                        let count = members.len();
                        let rows = members
                            .into_iter()
                            .map(|m| {
                                let href = format!("/settings/team/{}", m.id);
                                view! {
                                    <tr>
                                        <td><a href=href>{m.name}</a></td>
                                        <td>{m.email}</td>
                                        <td><span class="badge">{m.role_name}</span></td>
                                        <td>{m.last_active.unwrap_or_else(|| "—".into())}</td>
                                    </tr>
                                }
                            })
                            .collect_view();
                        view! {
                            <p class="muted">{format!("{count} member{}", if count == 1 { "" } else { "s" })}</p>
                            <table class="table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Email"</th>
                                        <th scope="col">"Role"</th>
                                        <th scope="col">"Last active"</th>
                                    </tr>
                                </thead>
                                <tbody>{rows}</tbody>
                            </table>
                        }
                        .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn MemberPage() -> impl IntoView {
    view! {
        <Title text="Member · Gatehouse"/>
        <Page requirement=TEAM_READ>
            <MemberDetails/>
        </Page>
    }
}

#[component]
fn MemberDetails() -> impl IntoView {
    let params = use_params_map();
    let member = Resource::new(move || params.read().get("id").unwrap_or_default(), get_member);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match member.await {
                    Ok(m) => view! {
                        <section class="card narrow">
                            <p><a href="/settings/team">"← Team"</a></p>
                            <h1>{m.name}</h1>
                            <dl class="facts">
                                <dt>"Email"</dt><dd>{m.email}</dd>
                                <dt>"Role"</dt><dd><span class="badge">{m.role_name}</span></dd>
                                <dt>"Joined"</dt><dd>{m.joined}</dd>
                                <dt>"Last active"</dt><dd>{m.last_active.unwrap_or_else(|| "—".into())}</dd>
                            </dl>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
