//! `/analytics`.

use super::api::{ANALYTICS, AnalyticsAreas, analytics_access};
use crate::ui::{Loaded, Page, gated};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let access = gated(ANALYTICS, || (), |_| analytics_access());
    view! {
        <Title text="Analytics · Gatehouse"/>
        <Page>
            <section class="card narrow">
                <h1>"Analytics"</h1>
                <Loaded resource=access render={|a: AnalyticsAreas| view! { <Overview a/> }}/>
            </section>
        </Page>
    }
}

#[component]
fn Overview(a: AnalyticsAreas) -> impl IntoView {
    let area = |name: &'static str, open: bool| {
        view! { <li>{name}": " {if open { "available" } else { "not granted" }}</li> }
    };
    view! {
        <p class="alert alert-ok" role="status">
            {match a.unlocked_until {
                Some(until) => format!("Unlocked for this session until {until}."),
                None => "Unlocked: you signed in with two-factor authentication recently.".into(),
            }}
        </p>
        <h2>"Your analytics access"</h2>
        <ul>
            {area("Revenue", a.revenue)}
            {area("Sales", a.sales)}
            {area("Products", a.products)}
            {area("Export", a.export)}
        </ul>
    }
}
