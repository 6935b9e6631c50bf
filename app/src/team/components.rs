//! The team roster (with two-factor compliance) and a member's page with the actions an
//! owner or admin takes: change role, force sign-out, remove.

use super::api::{
    AssignableRole, ChangeMemberRole, ForceSignOut, Member, RemoveMember, TEAM_MANAGE, TEAM_READ, get_member,
    list_assignable_roles, list_members,
};
use crate::error::AppError;
use crate::invitations::api::TEAM_INVITE;
use crate::invitations::components::{InvitationPanel, Invitations};
use crate::ui::{ErrorAlert, ErrorPanel, Page, SuccessNote, WhenAllowed, current_session};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn TeamPage() -> impl IntoView {
    let members = Resource::new(|| (), |_| list_members());
    let panel = InvitationPanel::new();
    view! {
        <Title text="Team · Gatehouse"/>
        <Page requirement=TEAM_READ>
            <section class="card">
                <h1>"Team"</h1>
                <Roster members/>
            </section>
            <WhenAllowed requirement=TEAM_INVITE>
                <Invitations panel/>
            </WhenAllowed>
        </Page>
    }
}

fn two_factor_badge(m: &Member) -> impl IntoView + use<> {
    let (class, text) = match (m.mfa_enrolled, m.mfa_required) {
        (true, _) => ("badge outcome-allowed", "On"),
        (false, true) => ("badge outcome-denied", "Off — required"),
        (false, false) => ("badge", "Off"),
    };
    view! { <span class=class>{text}</span> }
}

#[component]
fn Roster(members: Resource<Result<Vec<Member>, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match members.await {
                    Ok(members) => view! { <RosterTable members/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RosterTable(members: Vec<Member>) -> impl IntoView {
    let count = members.len();
    let missing: Vec<String> = members.iter().filter(|m| m.mfa_missing()).map(|m| m.name.clone()).collect();
    let conflicts = members.iter().any(|m| m.role_conflict);
    let compliance = if missing.is_empty() {
        view! {
            <p class="alert alert-ok" role="status">
                "Everyone in a role that requires two-factor authentication has set it up."
            </p>
        }
        .into_any()
    } else {
        view! {
            <div class="alert alert-warn" role="status">
                <p>
                    {format!(
                        "{} in a role that requires two-factor authentication {} not set it up: ",
                        if missing.len() == 1 { "One member".to_string() } else { format!("{} members", missing.len()) },
                        if missing.len() == 1 { "has" } else { "have" },
                    )}
                    <strong>{missing.join(", ")}</strong>"."
                </p>
                <p class="small">"Until they do, Gatehouse keeps the privileged parts of their role closed to them."</p>
            </div>
        }
        .into_any()
    };
    let banner = conflicts.then(|| {
        view! {
            <p class="alert alert-info" role="note">
                "Members marked “other role elsewhere” hold a different role in another organization. "
                "Here they have only the permissions of their role here; nothing carries over between organizations."
            </p>
        }
    });
    let rows = members
        .into_iter()
        .map(|m| {
            let href = format!("/settings/team/{}", m.id);
            let badge = two_factor_badge(&m);
            let conflict = m.role_conflict.then(|| {
                view! {
                    <span class="badge badge-warn" title="This person holds a different role in another organization">
                        "other role elsewhere"
                    </span>
                }
            });
            view! {
                <tr>
                    <td><a href=href>{m.name}</a></td>
                    <td>{m.email}</td>
                    <td><span class="badge">{m.role_name}</span>" "{conflict}</td>
                    <td>{badge}</td>
                    <td>{m.last_active.unwrap_or_else(|| "—".into())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="compliance-title">
            <h2 id="compliance-title">"Two-factor compliance"</h2>
            {compliance}
        </section>
        {banner}
        <p class="muted">{format!("{count} member{}", if count == 1 { "" } else { "s" })}</p>
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Two-factor"</th>
                    <th scope="col">"Last active"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// The member page's actions and data, above the page frame (which may render its content
/// twice on the server) so results and loads happen once.
#[derive(Clone, Copy)]
struct MemberActions {
    role: ServerAction<ChangeMemberRole>,
    sign_out: ServerAction<ForceSignOut>,
    remove: ServerAction<RemoveMember>,
    member: Resource<Result<Member, AppError>>,
    roles: Resource<Result<Vec<AssignableRole>, AppError>>,
}

#[component]
pub fn MemberPage() -> impl IntoView {
    let params = use_params_map();
    let role = ServerAction::<ChangeMemberRole>::new();
    let member = Resource::new(
        move || (params.read().get("id").unwrap_or_default(), role.version().get()),
        |(id, _)| get_member(id),
    );
    let roles = Resource::new(|| (), |_| list_assignable_roles());
    provide_context(MemberActions { role, sign_out: ServerAction::new(), remove: ServerAction::new(), member, roles });
    view! {
        <Title text="Member · Gatehouse"/>
        <Page requirement=TEAM_READ>
            <MemberDetails/>
        </Page>
    }
}

#[component]
fn MemberDetails() -> impl IntoView {
    let a = expect_context::<MemberActions>();
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match a.member.await {
                    Ok(m) => view! {
                        <section class="card narrow">
                            <p><a href="/settings/team">"← Team"</a></p>
                            <h1>{m.name.clone()}</h1>
                            <dl class="facts">
                                <dt>"Email"</dt><dd>{m.email.clone()}</dd>
                                <dt>"Role"</dt><dd><span class="badge">{m.role_name.clone()}</span></dd>
                                <dt>"Two-factor"</dt><dd>{two_factor_badge(&m)}</dd>
                                <dt>"Joined"</dt><dd>{m.joined.clone()}</dd>
                                <dt>"Last active"</dt><dd>{m.last_active.clone().unwrap_or_else(|| "—".into())}</dd>
                            </dl>
                            {m.role_conflict.then(|| view! {
                                <p class="alert alert-info" role="note">
                                    "This person holds a different role in another organization. Here they have "
                                    "only the permissions of their role here."
                                </p>
                            })}
                        </section>
                        <WhenAllowed requirement=TEAM_MANAGE>
                            <MemberActionsPanel member=m.clone()/>
                        </WhenAllowed>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MemberActionsPanel(member: Member) -> impl IntoView {
    let a = expect_context::<MemberActions>();
    let own = current_session().is_some_and(|s| s.access.user_id == member.user_id);
    if own {
        return view! {
            <section class="card narrow">
                <p class="muted">"This is you. Another owner or admin manages your membership."</p>
            </section>
        }
        .into_any();
    }
    let roles = a.roles;
    let role_result: Signal<Option<Result<(), AppError>>> = a.role.value().into();
    let sign_out_result: Signal<Option<Result<(), AppError>>> = a.sign_out.value().into();
    let remove_result: Signal<Option<Result<(), AppError>>> = a.remove.value().into();
    let current = member.role_id.clone();
    let (role_id, sign_out_id, remove_id) = (member.id.clone(), member.id.clone(), member.id.clone());
    let options = move |roles: Vec<AssignableRole>| {
        roles
            .into_iter()
            .map(|r| {
                let label = if r.assignable { r.name.clone() } else { format!("{} (holds more than you)", r.name) };
                view! { <option value=r.id.clone() selected=r.id == current>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <section class="card narrow" aria-labelledby="role-title">
            <h2 id="role-title">"Role"</h2>
            <ActionForm action=a.role>
                <input type="hidden" name="member_id" value=role_id/>
                <label for="role-select">"New role"</label>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || {
                        let options = options.clone();
                        Suspend::new(async move {
                            match roles.await {
                                Ok(list) => view! { <select id="role-select" name="role_id">{options(list)}</select> }
                                    .into_any(),
                                Err(error) => view! { <ErrorPanel error/> }.into_any(),
                            }
                        })
                    }}
                </Suspense>
                <ErrorAlert result=role_result/>
                <SuccessNote result=role_result message="Role changed."/>
                <button type="submit">"Change role"</button>
            </ActionForm>
        </section>
        <section class="card narrow" aria-labelledby="access-title">
            <h2 id="access-title">"Sessions and membership"</h2>
            <ActionForm action=a.sign_out>
                <input type="hidden" name="member_id" value=sign_out_id/>
                <p class="muted">"Ends every session they have in this organization; they sign in again to come back."</p>
                <ErrorAlert result=sign_out_result/>
                <SuccessNote result=sign_out_result message="Signed out of this organization everywhere."/>
                <button type="submit" class="button-secondary">"Force sign-out"</button>
            </ActionForm>
            <ActionForm action=a.remove>
                <input type="hidden" name="member_id" value=remove_id/>
                <p class="muted">"Removes them and their grants from this organization at once."</p>
                <ErrorAlert result=remove_result/>
                <button type="submit" class="button-danger">"Remove from organization"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}
