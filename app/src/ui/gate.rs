//! The page frame and its gate.
//!
//! Every route renders one [`Page`]. The frame draws the header for the caller's session and
//! decides, with the same [`decide`] the server applies and the requirement of the route in
//! [`crate::pages::PAGES`], whether the page's body may show. Hiding is a convenience; the
//! server functions behind a page refuse on their own, and the server audits a refused page
//! view once, when it loads the session for that page.
//!
//! The rule of the frame, which its pages follow:
//! - **The body is built once.** Suspense walks its children more than once while rendering on
//!   the server (it dry-resolves them to find resource reads, then resolves them), so a view
//!   built inside a reactive closure would be built two or three times, its resources and
//!   actions created as often. The gate and the header are one-shot [`Suspend`]s, which
//!   Suspense polls but never rebuilds; so are the Suspense children written out in page
//!   components (none of them re-renders anyway: only islands run in the browser).
//!   [`Loaded`] stays a closure: islands use it too, and there it follows its resource.
//! - **Resources and actions are created by the page component, above the frame, and only
//!   read inside it.** Data loads are [`gated`]: they start only once the caller's session
//!   meets the load's requirement, so a page whose gate refuses starts none of them.

use super::layout::Header;
use super::session::{CurrentSession, current_session};
use super::status::{AccessDenied, ErrorPanel};
use super::{encode_query_value, use_session};
use crate::access::{Denial, Permission, Requirement, Standing, decide, gate};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::reactive::computed::ScopedFuture;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::sync::Arc;

/// A page. Visitors to a page that requires a session are sent to sign in (and back
/// afterwards); everyone else who falls short of its requirement sees "Access denied" with
/// status 403.
#[component]
pub fn Page(children: Children) -> impl IntoView {
    let ctx = use_session();
    let location = use_location();
    let here = format!("{}{}", location.pathname.get_untracked(), location.search.get_untracked());
    let rule = crate::pages::page(&location.pathname.get_untracked());
    let body = Suspend::new(async move {
        let session = ctx.session.await;
        let signed_in = session.as_ref().ok().cloned().flatten();
        provide_context(CurrentSession(signed_in.clone()));
        match (session, rule.filter(|r| r.requirement.is_some())) {
            (Err(error), _) => view! { <ErrorPanel error/> }.into_any(),
            (Ok(_), None) => children().into_any(),
            (Ok(None), Some(_)) => {
                let path = format!("/login?next={}", encode_query_value(&here));
                view! { <Redirect path/> }.into_any()
            }
            (Ok(Some(s)), Some(rule)) => match crate::pages::check(rule, Some(&s.access)) {
                Ok(()) => view! { {standing_banner(&s.access)} {children()} }.into_any(),
                // Owners of a suspended organization are shown what to do about it.
                Err(Denial::TenantSuspended) if s.access.can(Permission::OrgBillingRead) => {
                    view! { <Redirect path="/settings/billing"/> }.into_any()
                }
                Err(denial) => view! { <AccessDenied denial/> }.into_any(),
            },
        }
    });
    let header = Suspend::new(async move {
        let session = ctx.session.await.ok().flatten();
        view! { <Header session/> }
    });
    view! {
        <Transition fallback=|| view! { <header class="topbar"><a class="brand" href="/">"Gatehouse"</a></header> }>
            {header}
        </Transition>
        <main class="page">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>{body}</Suspense>
        </main>
    }
}

/// Says so on every page while the organization is past due (its writes are refused).
fn standing_banner(access: &crate::access::Access) -> impl IntoView + use<> {
    let past_due = access.org.as_ref().is_some_and(|o| o.standing == Standing::PastDue);
    let billing = access.can(Permission::OrgBillingRead);
    past_due.then(|| {
        view! {
            <p class="alert alert-warn banner" role="status" data-testid="past-due-banner">
                "This workspace's subscription is past due: it is read-only until it is paid. "
                {if billing {
                    view! { <a href="/settings/billing">"Pay now"</a> }.into_any()
                } else {
                    view! { "Ask an owner to pay under Billing." }.into_any()
                }}
            </p>
        }
    })
}

/// A page's data load that starts only once the caller's session meets `requirement` (the
/// requirement of the server function `fetch` calls) and the organization's standing allows
/// the page (the tenant gate: billing on the billing page, reads elsewhere): on a page the
/// caller may not use, or for a part of it they may not see, nothing is fetched and the load
/// holds the denial.
/// Create it in the page component, above the frame; read it inside with [`Loaded`].
pub fn gated<S, T, Fut>(
    requirement: Requirement,
    source: impl Fn() -> S + Send + Sync + 'static,
    fetch: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<Result<T, AppError>>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
{
    let session = use_session().session;
    let effect = crate::pages::effect_of(&use_location().pathname.get_untracked());
    let fetch = Arc::new(fetch);
    Resource::new(source, move |source| {
        let fetch = fetch.clone();
        async move {
            // Read without subscribing: a session reload must not refetch the page's data.
            let session = ScopedFuture::new_untracked(session.into_future()).await?;
            let access = session.map(|s| s.access);
            match gate(access.as_ref(), &requirement, effect) {
                Ok(()) => fetch(source).await,
                Err(denial) => Err(AppError::Denied(denial)),
            }
        }
    })
}

/// Shows what `resource` loaded through `render`, a loading note meanwhile, and the error
/// page (not found, access denied, a message) when it failed. Reads the resource; never
/// creates one.
#[component]
pub fn Loaded<T, F, V>(resource: Resource<Result<T, AppError>>, render: F) -> impl IntoView
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    // A closure, not a one-shot: islands use it too, and there it shows the resource again
    // each time it reloads (an invitation list after an invite).
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(value) => render(value).into_any(),
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
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

/// Whether the page's user meets `requirement`.
pub fn allowed(requirement: &Requirement) -> Result<(), Denial> {
    match current_session() {
        Some(session) => decide(Some(&session.access), requirement),
        None => Err(Denial::SignInRequired),
    }
}
