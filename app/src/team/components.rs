//! The team roster (with two-factor compliance) and a member's page with the actions an
//! owner or admin takes: change role, force sign-out, remove.

use super::api::{
    AnswerOwnership, AssignableRole, ChangeMemberRole, ForceSignOut, Member, OfferOwnership, OwnershipOffer, PICK_ROLE,
    RemoveMember, TEAM_MANAGE, TEAM_READ, get_member, list_assignable_roles, list_members,
};
use crate::access::{Permission, Requirement};
use crate::error::AppError;
use crate::invitations::api::TEAM_INVITE;
use crate::invitations::components::{InvitationPanel, Invitations};
use crate::ui::{ErrorAlert, Loaded, Page, SuccessNote, WhenAllowed, current_session, gated};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn TeamPage() -> impl IntoView {
    let members = gated(TEAM_READ, || (), |_| list_members());
    let panel = InvitationPanel::new();
    view! {
        <Title text="Team · Gatehouse"/>
        <Page>
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
    view! { <Loaded resource=members render={|members: Vec<Member>| view! { <RosterTable members/> }}/> }
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
    offer: ServerAction<OfferOwnership>,
}

#[component]
pub fn MemberPage() -> impl IntoView {
    let params = use_params_map();
    let role = ServerAction::<ChangeMemberRole>::new();
    let member = gated(
        TEAM_READ,
        move || (params.read().get("id").unwrap_or_default(), role.version().get()),
        |(id, _)| get_member(id),
    );
    let roles = gated(PICK_ROLE, || (), |_| list_assignable_roles());
    provide_context(MemberActions {
        role,
        sign_out: ServerAction::new(),
        remove: ServerAction::new(),
        member,
        roles,
        offer: ServerAction::new(),
    });
    view! {
        <Title text="Member · Gatehouse"/>
        <Page>
            <MemberDetails/>
        </Page>
    }
}

#[component]
fn MemberDetails() -> impl IntoView {
    let a = expect_context::<MemberActions>();
    view! { <Loaded resource={a.member} render={|m: Member| view! { <MemberCard m/> }}/> }
}

#[component]
fn MemberCard(m: Member) -> impl IntoView {
    let (for_actions, for_owner) = (m.clone(), m.clone());
    view! {
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
                            <MemberActionsPanel member=for_actions.clone()/>
                        </WhenAllowed>
                        <WhenAllowed requirement=OFFER_VISIBLE>
                            <OwnershipPanel member=for_owner.clone()/>
                        </WhenAllowed>
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
                <Loaded resource=roles render={move |list: Vec<AssignableRole>| view! {
                    <select id="role-select" name="role_id">{options(list)}</select>
                }}/>
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

/// Who sees the ownership panel (the server also asks for step-up when offering).
const OFFER_VISIBLE: Requirement = Requirement::all(&[Permission::OrgOwnershipTransfer]);

#[component]
fn OwnershipPanel(member: Member) -> impl IntoView {
    let a = expect_context::<MemberActions>();
    let own = current_session().is_some_and(|s| s.access.user_id == member.user_id);
    if own || member.role_key == "owner" {
        return None;
    }
    let result: Signal<Option<Result<(), AppError>>> = a.offer.value().into();
    let label = format!("Offer ownership to {}", member.name);
    Some(view! {
        <section class="card narrow" aria-labelledby="ownership-title">
            <h2 id="ownership-title">"Ownership"</h2>
            <p class="muted">
                "Hand the organization to this member. Nothing changes until they accept; then they become "
                "owner and you become admin."
            </p>
            <ActionForm action=a.offer>
                <input type="hidden" name="member_id" value=member.id.clone()/>
                <ErrorAlert result/>
                <SuccessNote result message="Offer sent: it waits for their answer for 7 days."/>
                <button type="submit" class="button-secondary">{label}</button>
            </ActionForm>
        </section>
    })
}

/// The banner on the home page of a member who was offered ownership (the home page owns
/// the offer and the answer action).
#[component]
pub fn OwnershipOfferBanner(
    offer: Resource<Result<Option<OwnershipOffer>, AppError>>,
    answer: ServerAction<AnswerOwnership>,
) -> impl IntoView {
    let result: Signal<Option<Result<(), AppError>>> = answer.value().into();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(Some(o)) = offer.await else { return None };
                let (accept_id, decline_id) = (o.id.clone(), o.id.clone());
                Some(view! {
                    <section class="alert alert-warn" role="region" aria-label="Ownership offer">
                        <p>{format!("{} offers you ownership of this organization (until {}).", o.from_name, o.expires)}</p>
                        <ActionForm action=answer attr:class="inline-form">
                            <input type="hidden" name="transfer_id" value=accept_id/>
                            <input type="hidden" name="accept" value="true"/>
                            <button type="submit">"Accept ownership"</button>
                        </ActionForm>
                        <ActionForm action=answer attr:class="inline-form">
                            <input type="hidden" name="transfer_id" value=decline_id/>
                            <input type="hidden" name="accept" value="false"/>
                            <button type="submit" class="button-secondary">"Decline"</button>
                        </ActionForm>
                        <ErrorAlert result/>
                    </section>
                })
            })}
        </Transition>
        <SuccessNote result message="Done."/>
    }
}
