//! The invitation panel of `/settings/team` and the `/invite/{token}` page.

use super::api::{
    AcceptInvitation, AcceptInvitationNewAccount, InvitationInfo, InvitationList, InvitationState, InviteOutcome,
    InvitePeople, ResendInvitation, RevokeInvitation, list_invitations, show_invitation,
};
use super::{DEFAULT_DAYS, MAX_BATCH, MAX_DAYS};
use crate::error::AppError;
use crate::team::api::{AssignableRole, list_assignable_roles};
use crate::ui::{
    ErrorAlert, ErrorPanel, Loaded, Page, Submitted, SuccessNote, encode_query_value, field_error, form_action,
};
use crate::ui::{FormAction, PostForm};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The invitation actions, list and role choices, made once by the island.
#[derive(Clone, Copy)]
struct InvitationPanel {
    invite: FormAction<InviteOutcome>,
    resend: FormAction<()>,
    revoke: FormAction<()>,
    list: Resource<Result<InvitationList, AppError>>,
    roles: Resource<Result<Vec<AssignableRole>, AppError>>,
}

impl InvitationPanel {
    fn new() -> InvitationPanel {
        let invite = FormAction::new::<InvitePeople>();
        let resend = FormAction::new::<ResendInvitation>();
        let revoke = FormAction::new::<RevokeInvitation>();
        let list = Resource::new(
            move || (invite.version().get(), resend.version().get(), revoke.version().get()),
            |_| list_invitations(),
        );
        let roles = Resource::new(|| (), |_| list_assignable_roles());
        InvitationPanel { invite, resend, revoke, list, roles }
    }
}

/// "Invite people" and the invitations list; the team page shows it to those with
/// `team.invite` (the loads start only then).
#[island]
pub fn Invitations() -> impl IntoView {
    let panel = InvitationPanel::new();
    let roles = panel.roles;
    let result: Submitted<InviteOutcome> = panel.invite.value().into();
    let outcome = move || {
        let Some(Ok(outcome)) = result.get() else { return None };
        let invited = (!outcome.invited.is_empty()).then(|| {
            view! {
                <p class="alert alert-ok" role="status">
                    {format!("Invited {}: {}", outcome.invited.len(), outcome.invited.join(", "))}
                </p>
            }
        });
        let problems = (!outcome.problems.is_empty()).then(|| {
            let items = outcome
                .problems
                .iter()
                .map(|p| view! { <li><strong>{p.email.clone()}</strong>": "{p.reason.clone()}</li> })
                .collect_view();
            view! {
                <div class="alert alert-warn" role="alert">
                    <p>"Not invited:"</p>
                    <ul>{items}</ul>
                </div>
            }
        });
        Some(view! { {invited}{problems} })
    };
    let role_options = move |roles: Vec<AssignableRole>| {
        roles
            .into_iter()
            .filter(|r| r.assignable)
            .map(|r| {
                let selected = r.name == "Member";
                view! { <option value=r.id selected=selected>{r.name}</option> }
            })
            .collect_view()
    };
    view! {
        <section class="card" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite people"</h2>
            <PostForm action=panel.invite>
                <label for="invite-emails">"Email addresses"</label>
                <textarea id="invite-emails" name="emails" rows="3" required
                    placeholder="one@example.com, two@example.com"
                    aria-invalid=field_error(result, "emails")></textarea>
                <p class="small muted">{format!("Separate addresses with commas or new lines; up to {MAX_BATCH} at once.")}</p>
                <label for="invite-role">"Role"</label>
                <Loaded resource=roles render={move |list: Vec<AssignableRole>| view! {
                    <select id="invite-role" name="role_id">{role_options(list)}</select>
                }}/>
                <label for="invite-message">"Message (optional)"</label>
                <textarea id="invite-message" name="message" rows="2" maxlength="1000"></textarea>
                <label for="invite-days">"Expires after (days)"</label>
                <input id="invite-days" name="expires_in_days" type="number" min="1" max=MAX_DAYS value=DEFAULT_DAYS
                    aria-invalid=field_error(result, "expires_in_days")/>
                <ErrorAlert result/>
                {outcome}
                <button type="submit">"Send invitations"</button>
            </PostForm>
        </section>
        <InvitationTable panel/>
    }
}

#[component]
fn InvitationTable(panel: InvitationPanel) -> impl IntoView {
    let resend: Submitted<()> = panel.resend.value().into();
    let revoke: Submitted<()> = panel.revoke.value().into();
    view! {
        <section class="card" aria-labelledby="invitations-title">
            <h2 id="invitations-title">"Invitations"</h2>
            <ErrorAlert result=resend/>
            <SuccessNote result=resend message="Invitation sent again with a new link."/>
            <ErrorAlert result=revoke/>
            <Loaded resource={panel.list} render={move |list: InvitationList| view! { <InvitationRows list panel/> }}/>
        </section>
    }
}

#[component]
fn InvitationRows(list: InvitationList, panel: InvitationPanel) -> impl IntoView {
    let stats = format!(
        "{} pending · {} expired · {} accepted · {} revoked",
        list.pending, list.expired, list.accepted, list.revoked
    );
    if list.items.is_empty() {
        return view! { <p class="muted">"No invitations yet."</p> }.into_any();
    }
    let rows = list
        .items
        .into_iter()
        .map(|i| {
            let open = matches!(i.state, InvitationState::Pending | InvitationState::Expired);
            let actions = open.then(|| {
                let resend_label = format!("Resend the invitation to {}", i.email);
                let revoke_label = format!("Revoke the invitation to {}", i.email);
                let (resend_id, revoke_id) = (i.id.clone(), i.id.clone());
                view! {
                    <PostForm action=panel.resend attr:class="inline-form">
                        <input type="hidden" name="invitation_id" value=resend_id/>
                        <button type="submit" class="button-secondary" aria-label=resend_label>"Resend"</button>
                    </PostForm>
                    <PostForm action=panel.revoke attr:class="inline-form">
                        <input type="hidden" name="invitation_id" value=revoke_id/>
                        <button type="submit" class="button-secondary" aria-label=revoke_label>"Revoke"</button>
                    </PostForm>
                }
            });
            let class = format!("badge invitation-{}", i.state.label());
            view! {
                <tr>
                    <td>{i.email}</td>
                    <td>{i.role_name}</td>
                    <td><span class=class>{i.state.label()}</span></td>
                    <td class="small">{i.invited_by.unwrap_or_default()}</td>
                    <td class="small">{format!("{} (×{})", i.sent, i.sent_count)}</td>
                    <td class="small">{i.expires}</td>
                    <td>{actions}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="muted" data-testid="invitation-stats">{stats}</p>
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Invited by"</th>
                    <th scope="col">"Sent"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">""</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let token = use_params_map().read_untracked().get("token").unwrap_or_default();
    let info = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        show_invitation,
    );
    let body = Suspend::new(async move {
        match info.await {
            Ok(info) => view! { <Invitation info token/> }.into_any(),
            Err(AppError::NotFound) => view! {
                <h1>"Invitation not found"</h1>
                <p role="alert">"This invitation link is not valid. It may have been replaced by a newer one: check your latest email."</p>
            }.into_any(),
            Err(error) => view! { <ErrorPanel error/> }.into_any(),
        }
    });
    view! {
        <Title text="Invitation · Gatehouse"/>
        <Page>
            <section class="auth-card">
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>{body}</Transition>
            </section>
        </Page>
    }
}

#[component]
fn Invitation(info: InvitationInfo, token: String) -> impl IntoView {
    let heading = format!("Join {}", info.org_name);
    let lead = format!(
        "{} invited {} to join {} as {}.",
        info.inviter.clone().unwrap_or_else(|| "Someone".into()),
        info.email,
        info.org_name,
        info.role_name
    );
    let message =
        (!info.message.is_empty()).then(|| view! { <blockquote class="message">{info.message.clone()}</blockquote> });
    let closed = match info.state {
        InvitationState::Pending => None,
        InvitationState::Expired => Some("This invitation has expired. Ask whoever invited you to send a new one."),
        InvitationState::Revoked => Some("This invitation was withdrawn."),
        InvitationState::Accepted => Some("This invitation was already accepted; it works once."),
    };
    let body = if let Some(reason) = closed {
        view! { <p class="alert alert-error" role="alert">{reason}</p> }.into_any()
    } else {
        match info.signed_in_as.clone() {
            Some(email) if email.eq_ignore_ascii_case(&info.email) => view! { <AcceptForm token/> }.into_any(),
            Some(email) => view! {
                <p class="alert alert-error" role="alert">
                    {format!("This invitation is for {}, but you are signed in as {email}. Sign out, then open the link again.", info.email)}
                </p>
            }
            .into_any(),
            None => {
                let next = encode_query_value(&format!("/invite/{token}"));
                view! {
                    <NewAccountForm token email=info.email.clone()/>
                    <p class="muted">"Already have an account with this address? "
                        <a href=format!("/login?next={next}")>"Sign in to accept"</a>
                    </p>
                }
                .into_any()
            }
        }
    };
    view! {
        <h1>{heading}</h1>
        <p class="lead">{lead}</p>
        {message}
        <p class="small muted">{format!("The link works once, until {}.", info.expires)}</p>
        {body}
    }
}

#[island]
fn AcceptForm(token: String) -> impl IntoView {
    let (action, result) = form_action::<AcceptInvitation>();
    view! {
        <PostForm action>
            <input type="hidden" name="token" value=token/>
            <ErrorAlert result/>
            <button type="submit">"Accept invitation"</button>
        </PostForm>
    }
}

#[island]
fn NewAccountForm(token: String, email: String) -> impl IntoView {
    let (action, result) = form_action::<AcceptInvitationNewAccount>();
    view! {
        <PostForm action>
            <input type="hidden" name="token" value=token/>
            <label for="invite-email">"Email"</label>
            <input id="invite-email" value=email disabled/>
            <label for="invite-name">"Your name"</label>
            <input id="invite-name" name="name" autocomplete="name" required maxlength="100"
                aria-invalid=field_error(result, "name")/>
            <label for="invite-password">"Password"</label>
            <input id="invite-password" type="password" name="password" autocomplete="new-password"
                required minlength="8" maxlength="128" aria-invalid=field_error(result, "password")/>
            <ErrorAlert result/>
            <button type="submit">"Create account and join"</button>
        </PostForm>
    }
}
