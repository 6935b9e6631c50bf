//! `/analytics`.

use super::api::{ANALYTICS, analytics_access};
use crate::ui::{ErrorPanel, Page};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    view! {
        <Title text="Analytics · Gatehouse"/>
        <Page requirement=ANALYTICS>
            <section class="card narrow">
                <h1>"Analytics"</h1>
                <Overview/>
            </section>
        </Page>
    }
}

#[component]
fn Overview() -> impl IntoView {
    let access = Resource::new(|| (), |_| analytics_access());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match access.await {
                    Ok(a) => {
                        let area = |name: &'static str, open: bool| view! {
                            <li>{name}": " {if open { "available" } else { "not granted" }}</li>
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
                        .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
