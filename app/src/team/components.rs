//! The team roster (with two-factor compliance) and a member's page with the actions an
//! owner or admin takes: change role, force sign-out, remove.

use super::api::{
    AnswerOwnership, AssignableRole, ChangeMemberRole, ForceSignOut, Member, OfferOwnership, OwnershipOffer,
    RemoveMember, TEAM_MANAGE, TEAM_READ, get_member, list_assignable_roles, list_members,
};
use crate::access::{Permission, Requirement};
use crate::error::AppError;
use crate::invitations::api::TEAM_INVITE;
use crate::invitations::components::Invitations;
use crate::ui::PostForm;
use crate::ui::{DoneNote, ErrorAlert, Loaded, Page, SuccessNote, WhenAllowed, current_session, form_action, gated};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn TeamPage() -> impl IntoView {
    let members = gated(TEAM_READ, || (), |_| list_members());
    view! {
        <Title text="Team · Gatehouse"/>
        <Page>
            <section class="card">
                <h1>"Team"</h1>
                <Roster members/>
            </section>
            <WhenAllowed requirement=TEAM_INVITE>
                <Invitations/>
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

/// What the caller may do on a member's page (decided on the server, where the session is).
#[derive(Clone, Debug, PartialEq, Eq)]
struct MayDo {
    /// `team.manage`.
    manage: bool,
    /// `org.ownership.transfer` (offering also needs step-up, which the server checks).
    offer: bool,
    /// The caller's user id: nobody manages their own membership here.
    me: String,
}

/// A member's facts and the actions on them, drawn on the server; a role change reloads the
/// page (`?done=role`).
#[component]
pub fn MemberPage() -> impl IntoView {
    let member_id = use_params_map().read_untracked().get("id").unwrap_or_default();
    let member = gated(TEAM_READ, move || member_id.clone(), get_member);
    let roles = gated(TEAM_MANAGE, || (), |_| list_assignable_roles());
    view! {
        <Title text="Member · Gatehouse"/>
        <Page>
            {
                // Inside the frame, where the caller's session is known.
                let may = current_session().map(|s| MayDo {
                    manage: s.access.allows(&TEAM_MANAGE),
                    offer: s.access.allows(&OFFER_VISIBLE),
                    me: s.access.user_id.clone(),
                });
                may.map(|may| view! {
                    <Loaded resource=member render={move |m: Member| view! { <MemberCard m may=may.clone() roles/> }}/>
                })
            }
        </Page>
    }
}

#[component]
fn MemberCard(m: Member, may: MayDo, roles: Resource<Result<Vec<AssignableRole>, AppError>>) -> impl IntoView {
    let own = may.me == m.user_id;
    let actions = may.manage.then(|| {
        if own {
            view! {
                <section class="card narrow">
                    <p class="muted">"This is you. Another owner or admin manages your membership."</p>
                </section>
            }
            .into_any()
        } else {
            view! { <MemberActions member=m.clone() roles/> }.into_any()
        }
    });
    let ownership = (may.offer && !own && m.role_key != "owner").then(|| view! { <OwnershipPanel member=m.clone()/> });
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
        {actions}
        {ownership}
    }
}

/// A role's choice in the role picker.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct RoleOption {
    id: String,
    label: String,
    selected: bool,
}

#[component]
fn MemberActions(member: Member, roles: Resource<Result<Vec<AssignableRole>, AppError>>) -> impl IntoView {
    let current = member.role_id.clone();
    let member_id = member.id.clone();
    let options = move |roles: Vec<AssignableRole>| {
        roles
            .into_iter()
            .map(|r| RoleOption {
                label: if r.assignable { r.name.clone() } else { format!("{} (holds more than you)", r.name) },
                selected: r.id == current,
                id: r.id,
            })
            .collect::<Vec<_>>()
    };
    view! {
        <section class="card narrow" aria-labelledby="role-title">
            <h2 id="role-title">"Role"</h2>
            <DoneNote key="role" message="Role changed."/>
            <Loaded resource=roles render={move |list: Vec<AssignableRole>| view! {
                <RoleForm member_id=member_id.clone() options=options(list)/>
            }}/>
        </section>
        <section class="card narrow" aria-labelledby="access-title">
            <h2 id="access-title">"Sessions and membership"</h2>
            <SignOutForm member_id=member.id.clone()/>
            <RemoveForm member_id=member.id/>
        </section>
    }
}

#[island]
fn RoleForm(member_id: String, options: Vec<RoleOption>) -> impl IntoView {
    let (action, result) = form_action::<ChangeMemberRole>();
    let options =
        options.into_iter().map(|o| view! { <option value=o.id selected=o.selected>{o.label}</option> }).collect_view();
    view! {
        <PostForm action>
            <input type="hidden" name="member_id" value=member_id/>
            <label for="role-select">"New role"</label>
            <select id="role-select" name="role_id">{options}</select>
            <ErrorAlert result/>
            <button type="submit">"Change role"</button>
        </PostForm>
    }
}

#[island]
fn SignOutForm(member_id: String) -> impl IntoView {
    let (action, result) = form_action::<ForceSignOut>();
    view! {
        <PostForm action>
            <input type="hidden" name="member_id" value=member_id/>
            <p class="muted">"Ends every session they have in this organization; they sign in again to come back."</p>
            <ErrorAlert result/>
            <SuccessNote result message="Signed out of this organization everywhere."/>
            <button type="submit" class="button-secondary">"Force sign-out"</button>
        </PostForm>
    }
}

/// Removing reloads the roster (the server function says so).
#[island]
fn RemoveForm(member_id: String) -> impl IntoView {
    let (action, result) = form_action::<RemoveMember>();
    view! {
        <PostForm action>
            <input type="hidden" name="member_id" value=member_id/>
            <p class="muted">"Removes them and their grants from this organization at once."</p>
            <ErrorAlert result/>
            <button type="submit" class="button-danger">"Remove from organization"</button>
        </PostForm>
    }
}

/// Who sees the ownership panel (the server also asks for step-up when offering).
const OFFER_VISIBLE: Requirement = Requirement::all(&[Permission::OrgOwnershipTransfer]);

#[component]
fn OwnershipPanel(member: Member) -> impl IntoView {
    view! {
        <section class="card narrow" aria-labelledby="ownership-title">
            <h2 id="ownership-title">"Ownership"</h2>
            <p class="muted">
                "Hand the organization to this member. Nothing changes until they accept; then they become "
                "owner and you become admin."
            </p>
            <OfferForm member_id=member.id label=format!("Offer ownership to {}", member.name)/>
        </section>
    }
}

#[island]
fn OfferForm(member_id: String, label: String) -> impl IntoView {
    let (action, result) = form_action::<OfferOwnership>();
    view! {
        <PostForm action>
            <input type="hidden" name="member_id" value=member_id/>
            <ErrorAlert result/>
            <SuccessNote result message="Offer sent: it waits for their answer for 7 days."/>
            <button type="submit" class="button-secondary">{label}</button>
        </PostForm>
    }
}

/// The banner on the home page of a member who was offered ownership. An answer reloads
/// the home page (the server function says so), which then shows the new role.
#[island]
pub fn OwnershipOfferBanner(offer: OwnershipOffer) -> impl IntoView {
    let (answer, result) = form_action::<AnswerOwnership>();
    let (accept_id, decline_id) = (offer.id.clone(), offer.id.clone());
    view! {
        <section class="alert alert-warn" role="region" aria-label="Ownership offer">
            <p>{format!("{} offers you ownership of this organization (until {}).", offer.from_name, offer.expires)}</p>
            <PostForm action=answer attr:class="inline-form">
                <input type="hidden" name="transfer_id" value=accept_id/>
                <input type="hidden" name="accept" value="true"/>
                <button type="submit">"Accept ownership"</button>
            </PostForm>
            <PostForm action=answer attr:class="inline-form">
                <input type="hidden" name="transfer_id" value=decline_id/>
                <input type="hidden" name="accept" value="false"/>
                <button type="submit" class="button-secondary">"Decline"</button>
            </PostForm>
            <ErrorAlert result/>
        </section>
    }
}
