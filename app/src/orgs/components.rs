//! Onboarding, organization settings and the new-organization page.

use super::CURRENCIES;
use super::api::{
    CompleteOnboarding, CreateOrganization, ORG_SETTINGS, OrgSettings, UpdateOrgSettings, get_org_settings,
};
use crate::ui::PostForm;
use crate::ui::{DoneNote, ErrorAlert, Loaded, Page, Submitted, field_error, form_action, gated};
use leptos::prelude::*;
use leptos_meta::Title;

/// Name, timezone and currency inputs, filled with the current settings.
#[component]
fn SettingsFields(settings: OrgSettings, result: Submitted<()>) -> impl IntoView {
    let timezone = settings.timezone.clone();
    let currency = settings.currency.clone();
    let timezones = settings
        .timezones
        .into_iter()
        .map(|tz| {
            let selected = tz == timezone;
            let value = tz.clone();
            view! { <option value=value selected=selected>{tz}</option> }
        })
        .collect_view();
    let currencies = CURRENCIES
        .iter()
        .map(|c| {
            view! {
                <option value=c.code selected=c.code == currency>{format!("{} — {}", c.code, c.name)}</option>
            }
        })
        .collect_view();
    view! {
        <label for="org-name">"Organization name"</label>
        <input id="org-name" name="name" value=settings.name required maxlength="80"
            aria-invalid=field_error(result, "name")/>
        <label for="org-timezone">"Timezone"</label>
        <select id="org-timezone" name="timezone" aria-invalid=field_error(result, "timezone")
            aria-describedby="timezone-hint">{timezones}</select>
        <p id="timezone-hint" class="hint">"Days in reports start at midnight in this timezone."</p>
        <label for="org-currency">"Currency"</label>
        <select id="org-currency" name="currency" aria-invalid=field_error(result, "currency")>{currencies}</select>
    }
}

#[component]
pub fn OnboardingPage() -> impl IntoView {
    let settings = gated(ORG_SETTINGS, || (), |_| get_org_settings());
    view! {
        <Title text="Set up your organization · Gatehouse"/>
        <Page>
            <section class="card narrow">
                <h1>"Set up your organization"</h1>
                <Loaded resource=settings render={|s: OrgSettings| view! { <Onboarding settings=s/> }}/>
            </section>
        </Page>
    }
}

#[component]
fn Onboarding(settings: OrgSettings) -> impl IntoView {
    if settings.onboarding_complete {
        return view! { <p>"Onboarding is complete. " <a href="/">"Go to the workspace"</a></p> }.into_any();
    }
    view! {
        <p class="muted">"Until this is done, only owners and admins can use the workspace."</p>
        <OnboardingForm settings/>
    }
    .into_any()
}

#[island]
fn OnboardingForm(settings: OrgSettings) -> impl IntoView {
    let (action, result) = form_action::<CompleteOnboarding>();
    view! {
        <PostForm action>
            <SettingsFields settings result/>
            <ErrorAlert result/>
            <button type="submit" disabled=move || action.pending().get()>"Finish setup"</button>
        </PostForm>
    }
}

#[component]
pub fn OrgSettingsPage() -> impl IntoView {
    let settings = gated(ORG_SETTINGS, || (), |_| get_org_settings());
    view! {
        <Title text="Organization settings · Gatehouse"/>
        <Page>
            <section class="card narrow">
                <h1>"Organization settings"</h1>
                // A save reloads this page (the name shows in the header).
                <DoneNote key="settings" message="Settings saved."/>
                <Loaded resource=settings render={|s: OrgSettings| view! { <OrgSettingsDetails settings=s/> }}/>
            </section>
        </Page>
    }
}

#[component]
fn OrgSettingsDetails(settings: OrgSettings) -> impl IntoView {
    view! {
        <p class="muted">"Address: " <code>{settings.slug.clone()}</code></p>
        {(!settings.onboarding_complete).then(|| view! {
            <p class="alert alert-warn">
                "Onboarding is not complete. " <a href="/onboarding">"Finish setup"</a>
            </p>
        })}
        <OrgSettingsForm settings/>
    }
}

#[island]
fn OrgSettingsForm(settings: OrgSettings) -> impl IntoView {
    let (action, result) = form_action::<UpdateOrgSettings>();
    view! {
        <PostForm action>
            <SettingsFields settings result/>
            <ErrorAlert result/>
            <button type="submit" disabled=move || action.pending().get()>"Save changes"</button>
        </PostForm>
    }
}

#[component]
pub fn NewOrganizationPage() -> impl IntoView {
    view! {
        <Title text="New organization · Gatehouse"/>
        <Page>
            <section class="card narrow">
                <h1>"New organization"</h1>
                <p class="muted">"You will be its owner. You can switch between organizations at any time."</p>
                <CreateOrganizationForm/>
            </section>
        </Page>
    }
}

/// The form that creates an organization owned by the caller.
#[island]
pub fn CreateOrganizationForm() -> impl IntoView {
    let (action, result) = form_action::<CreateOrganization>();
    view! {
        <PostForm action>
            <label for="new-org-name">"Organization name"</label>
            <input id="new-org-name" name="name" required maxlength="80" aria-invalid=field_error(result, "name")/>
            <ErrorAlert result/>
            <button type="submit" disabled=move || action.pending().get()>"Create organization"</button>
        </PostForm>
    }
}
