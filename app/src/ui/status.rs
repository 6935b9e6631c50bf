//! Status pages. During server rendering they also set the HTTP status, so a denied or
//! missing page answers 403 or 404, not 200.

use crate::access::Denial;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

fn set_status(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(options), Ok(code)) =
        (use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(status))
    {
        options.set_status(code);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

/// The path and query of the page being shown. Read from the request on the server and
/// from the window in the browser: islands render this page too, and have no router there.
fn here() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.uri.path_and_query().map(|pq| pq.as_str().to_string()))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let location = location();
        format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default())
    }
}

/// The page shown when the guard refuses: titled "Access denied", status 403.
#[component]
pub fn AccessDenied(denial: Denial) -> impl IntoView {
    set_status(denial.status());
    let here = super::encode_query_value(&here());
    let link = |href: String, text: &'static str| Some(view! { <p><a href=href>{text}</a></p> }.into_any());
    let hint = match denial {
        Denial::MfaEnrollmentRequired => {
            link(format!("/settings/security?required=1&next={here}"), "Set up two-factor authentication")
        }
        Denial::MfaRequired => link(format!("/login?next={here}"), "Sign in again with your authentication code"),
        Denial::StepUpRequired => link(format!("/step-up?next={here}"), "Verify it's you"),
        Denial::OrganizationRequired => link("/".into(), "Choose or create an organization"),
        Denial::PaymentRequired | Denial::TenantSuspended => link("/settings/billing".into(), "Billing"),
        _ => None,
    };
    view! {
        <Title text="Access denied · Gatehouse"/>
        <section class="status-page" data-code=denial.code()>
            <h1>"Access denied"</h1>
            <p class="lead">{denial.message()}</p>
            {hint}
            <p class="muted">"Code: " <code>{denial.code()}</code></p>
            <p><a href="/">"Back to the workspace"</a></p>
        </section>
    }
}

/// The page for an unknown path or a row that does not exist here: status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Not found · Gatehouse"/>
        <section class="status-page">
            <h1>"Not found"</h1>
            <p class="lead">"There is nothing here, or it does not belong to your organization."</p>
            <p><a href="/">"Back to the workspace"</a></p>
        </section>
    }
}

/// An error loading a page's data: 404 becomes the not-found page, a denial the
/// access-denied page, anything else a panel with the error's message.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    match error {
        AppError::NotFound => view! { <NotFound/> }.into_any(),
        AppError::Denied(denial) => view! { <AccessDenied denial/> }.into_any(),
        // Bad input in the page's address (a filter, say): said where the content would be.
        invalid @ AppError::Invalid { .. } => {
            set_status(400);
            view! { <p class="alert alert-error" role="alert">{invalid.to_string()}</p> }.into_any()
        }
        other => {
            set_status(other.status());
            view! {
                <section class="status-page">
                    <h1>"Something went wrong"</h1>
                    <p class="lead" role="alert">{other.to_string()}</p>
                </section>
            }
            .into_any()
        }
    }
}
