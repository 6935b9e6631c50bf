//! The page frame: brand, organization switcher, navigation gated by permission, user menu.

use super::forms::PostForm;
use super::use_session;
use crate::access::decide;
use crate::auth::api::SessionView;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The top bar: for a signed-in user the organization switcher, the navigation their
/// permissions open and the user menu; for a visitor, sign-in and sign-up links.
#[component]
pub fn Header(session: Option<SessionView>) -> impl IntoView {
    let inner = match session {
        Some(session) => view! {
            <OrgSwitcher session=session.clone()/>
            <MainNav session=session.clone()/>
            <UserMenu session/>
        }
        .into_any(),
        None => view! {
            <nav class="nav" aria-label="Account">
                <a href="/login">"Sign in"</a>
                <a href="/signup">"Create account"</a>
            </nav>
        }
        .into_any(),
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Gatehouse"</a>
            {inner}
        </header>
    }
}

#[component]
fn MainNav(session: SessionView) -> impl IntoView {
    // A link shows only when its page would let the caller in; the page being shown is marked.
    // Plain links: the frame is rendered once, on the server (the router's `<A>` would make a
    // memo and two reactive attributes of each, to compute this one comparison).
    let here = use_location().pathname.get_untracked();
    let links = crate::pages::PAGES
        .iter()
        .filter_map(|page| Some((page.nav?, page.pattern, page.requirement?)))
        .filter(|(_, _, requirement)| decide(Some(&session.access), requirement).is_ok())
        .map(|(label, href, _)| view! { <a href=href aria-current=(href == here).then_some("page")>{label}</a> })
        .collect_view();
    view! { <nav class="nav" aria-label="Main">{links}</nav> }
}

#[component]
fn OrgSwitcher(session: SessionView) -> impl IntoView {
    let ctx = use_session();
    let active = session.access.org.as_ref().map(|o| o.name.clone());
    let others = session
        .orgs
        .into_iter()
        .filter(|o| !o.active)
        .map(|org| {
            let label = format!("Switch to {}", org.name);
            view! {
                <li>
                    <PostForm action=ctx.switch_org>
                        <input type="hidden" name="org_id" value=org.org_id/>
                        <button type="submit" class="link-button">{label}</button>
                        <span class="muted small">{org.role_name}</span>
                    </PostForm>
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="org-switcher">
            <summary aria-label="Organization">{active.unwrap_or_else(|| "No organization".into())}</summary>
            <ul class="menu">
                {others}
                <li><a href="/organizations/new">"New organization"</a></li>
            </ul>
        </details>
    }
}

#[component]
fn UserMenu(session: SessionView) -> impl IntoView {
    let ctx = use_session();
    view! {
        <div class="user-menu">
            <a class="user-name" href="/settings/security" title=session.access.email.clone()>{session.access.name.clone()}</a>
            <PostForm action=ctx.sign_out>
                <button type="submit" class="button-secondary">"Sign out"</button>
            </PostForm>
        </div>
    }
}
