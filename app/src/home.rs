//! The workspace home: who you are here, what you can do, and what needs doing.

use crate::access::{Denial, Domain, Permission, Requirement, decide};
use crate::auth::api::SessionView;
use crate::error::AppError;
use crate::orgs::components::CreateOrganizationForm;
use crate::team::api::{OwnershipOffer, pending_ownership_offer};
use crate::team::components::OwnershipOfferBanner;
use crate::ui::{AccessDenied, Page, current_session, gated};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let offer = gated(Requirement::SIGNED_IN, || (), |_| pending_ownership_offer());
    view! {
        <Title text="Workspace · Gatehouse"/>
        <Page>
            {current_session().map(|session| view! { <Home session offer/> })}
        </Page>
    }
}

#[component]
fn Home(session: SessionView, offer: Resource<Result<Option<OwnershipOffer>, AppError>>) -> impl IntoView {
    let access = session.access.clone();
    let Some(org) = access.org.clone() else {
        return view! {
            <section class="card narrow">
                <h1>{format!("Welcome, {}", access.name)}</h1>
                <p>"You are not a member of any organization yet. Create one, or ask an owner to invite you."</p>
                <CreateOrganizationForm/>
            </section>
        }
        .into_any();
    };
    if let Err(denial @ Denial::OnboardingIncomplete) = decide(Some(&access), &Requirement::MEMBER) {
        return view! { <AccessDenied denial/> }.into_any();
    }
    let onboarding = (!org.onboarding_complete).then(|| {
        view! {
            <p class="alert alert-warn">
                "This workspace is not open to members yet. " <a href="/onboarding">"Finish setup"</a>
            </p>
        }
    });
    let groups = Domain::ALL
        .into_iter()
        .filter_map(|domain| {
            let items: Vec<Permission> = access.permissions.iter().filter(|p| p.domain() == domain).collect();
            (!items.is_empty()).then(|| {
                let items = items.into_iter().map(|p| view! { <li title=p.key()>{p.label()}</li> }).collect_view();
                view! { <div class="perm-group"><h3>{domain.label()}</h3><ul>{items}</ul></div> }
            })
        })
        .collect_view();
    let offer_banner =
        Suspend::new(async move { offer.await.ok().flatten().map(|offer| view! { <OwnershipOfferBanner offer/> }) });
    let nothing = access.permissions.is_empty().then(|| {
        view! { <p class="muted">"Your role gives you the workspace home and your own profile."</p> }
    });
    view! {
        <section class="card">
            <h1>{format!("Welcome, {}", access.name)}</h1>
            {onboarding}
            <Transition fallback=|| ()>{offer_banner}</Transition>
            <dl class="facts">
                <dt>"Organization"</dt><dd>{org.name.clone()}</dd>
                <dt>"Your role"</dt><dd><span class="badge">{org.role_name.clone()}</span></dd>
                <dt>"Timezone"</dt><dd>{org.timezone.clone()}</dd>
                <dt>"Currency"</dt><dd>{org.currency.clone()}</dd>
            </dl>
        </section>
        <section class="card">
            <h2>"What you can do here"</h2>
            {nothing}
            <div class="perm-groups">{groups}</div>
        </section>
    }
    .into_any()
}
