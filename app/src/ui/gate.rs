//! The page frame and its gate. Every route renders one [`Page`]: it awaits the session
//! once, draws the header for it and, when a requirement is given, applies the same
//! [`decide`] the server applies. Hiding is a convenience; the server functions behind a
//! page refuse on their own.

use super::layout::Header;
use super::session::{CurrentSession, current_session};
use super::status::{AccessDenied, ErrorPanel};
use super::{encode_query_value, use_session};
use crate::access::{Requirement, decide};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

/// A page. With a `requirement`, visitors are sent to sign in (and back afterwards) and
/// everyone else who falls short sees the "Access denied" page with status 403.
#[component]
pub fn Page(#[prop(optional)] requirement: Option<Requirement>, children: ChildrenFn) -> impl IntoView {
    let ctx = use_session();
    let location = use_location();
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    let session = ctx.session.await;
                    let signed_in = session.as_ref().ok().cloned().flatten();
                    provide_context(CurrentSession(signed_in.clone()));
                    let body = match (session, requirement) {
                        (Err(error), _) => view! { <ErrorPanel error/> }.into_any(),
                        (Ok(_), None) => children().into_any(),
                        (Ok(None), Some(_)) => {
                            let here = format!(
                                "{}{}",
                                location.pathname.get_untracked(),
                                location.search.get_untracked()
                            );
                            let path = format!("/login?next={}", encode_query_value(&here));
                            view! { <Redirect path/> }.into_any()
                        }
                        (Ok(Some(s)), Some(requirement)) => match decide(Some(&s.access), &requirement) {
                            Ok(()) => children().into_any(),
                            Err(denial) => view! { <AccessDenied denial/> }.into_any(),
                        },
                    };
                    view! {
                        <Header session=signed_in/>
                        <main class="page">{body}</main>
                    }
                })
            }}
        </Transition>
    }
}

/// Renders `children` only when the page's user meets `requirement` (links, buttons).
#[component]
pub fn WhenAllowed(requirement: Requirement, children: ChildrenFn) -> impl IntoView {
    let allowed = current_session().is_some_and(|s| decide(Some(&s.access), &requirement).is_ok());
    allowed.then(|| children())
}
