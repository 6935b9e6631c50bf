//! Gatehouse: a multi-tenant business workspace where access to money and numbers is
//! controlled precisely. This crate is shared by the server (feature `ssr`) and the browser
//! (feature `hydrate`): components, server functions, the permission model and its guards.

#![recursion_limit = "256"]

pub mod access;
pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod error;
pub mod finance;
pub mod grants;
pub mod home;
pub mod invitations;
pub mod mfa;
pub mod orgs;
pub mod outbox;
pub mod pages;
pub mod platform;
pub mod roles;
pub mod team;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod charts;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod crypto;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod endpoints;
#[cfg(feature = "ssr")]
pub mod input;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod ratelimit;
#[cfg(feature = "ssr")]
pub mod request;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod time;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    provide_csp_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
                <ui::HydrationMarker/>
            </body>
        </html>
    }
}

/// The nonce the server's security middleware made for this response (it also writes the
/// Content-Security-Policy naming it); the hydration scripts carry it.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

#[cfg(feature = "ssr")]
impl CspNonce {
    /// 128 random bits from the OS, base64.
    pub fn new() -> CspNonce {
        use base64::Engine;
        use rand::RngCore;
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        CspNonce(base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

#[cfg(feature = "ssr")]
impl Default for CspNonce {
    fn default() -> Self {
        Self::new()
    }
}

/// The Content-Security-Policy of a page whose scripts carry `nonce`: exactly those scripts
/// (the hydration bootstrap) plus the wasm they load.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(feature = "ssr")]
fn provide_csp_nonce() {
    let nonce = use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="gatehouse" href="/pkg/gatehouse.css"/>
        <Title text="Gatehouse"/>
        <Router>
            <Shell/>
        </Router>
    }
}

/// Everything inside the router: the session context and the routes. Every
/// route renders completely before the response starts (`SsrMode::Async`), so a page can
/// still set its status (403, 404) or redirect to sign-in.
#[component]
fn Shell() -> impl IntoView {
    ui::provide_session();
    view! {
        <Routes fallback=|| view! { <ui::Page><ui::NotFound/></ui::Page> }>
                <Route path=path!("/") view=home::HomePage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=auth::components::LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/login/mfa") view=mfa::components::MfaSignInPage ssr=SsrMode::Async/>
                <Route path=path!("/step-up") view=mfa::components::StepUpPage ssr=SsrMode::Async/>
                <Route path=path!("/settings/security") view=mfa::components::SecurityPage ssr=SsrMode::Async/>
                <Route path=path!("/analytics") view=analytics::components::AnalyticsPage ssr=SsrMode::Async/>
                <Route path=path!("/analytics/import") view=analytics::components::ImportPage ssr=SsrMode::Async/>
                <Route path=path!("/signup") view=auth::components::SignupPage ssr=SsrMode::Async/>
                <Route path=path!("/signup/sent") view=auth::components::SignupSentPage ssr=SsrMode::Async/>
                <Route path=path!("/signup/confirm/:token") view=auth::components::SignupConfirmPage ssr=SsrMode::Async/>
                <Route path=path!("/onboarding") view=orgs::components::OnboardingPage ssr=SsrMode::Async/>
                <Route path=path!("/organizations/new") view=orgs::components::NewOrganizationPage ssr=SsrMode::Async/>
                <Route path=path!("/settings/organization") view=orgs::components::OrgSettingsPage ssr=SsrMode::Async/>
                <Route path=path!("/settings/team") view=team::components::TeamPage ssr=SsrMode::Async/>
                <Route path=path!("/settings/team/:id") view=team::components::MemberPage ssr=SsrMode::Async/>
                <Route path=path!("/settings/audit") view=audit::components::AuditLogPage ssr=SsrMode::Async/>
                <Route path=path!("/settings/analytics-access") view=grants::components::AnalyticsAccessPage ssr=SsrMode::Async/>
                <Route path=path!("/invite/:token") view=invitations::components::InvitePage ssr=SsrMode::Async/>
                <Route path=path!("/admin/outbox") view=outbox::components::OutboxPage ssr=SsrMode::Async/>
                <Route path=path!("/admin") view=platform::components::AdminPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/tenants/:id") view=platform::components::TenantPage ssr=SsrMode::Async/>
                <Route path=path!("/settings/billing") view=billing::components::BillingPage ssr=SsrMode::Async/>
                <Route path=path!("/settings/api-keys") view=api_keys::components::ApiKeysPage ssr=SsrMode::Async/>
                <Route path=path!("/settings/roles") view=roles::components::RolesPage ssr=SsrMode::Async/>
                <Route path=path!("/finance") view=finance::overview::FinancePage ssr=SsrMode::Async/>
                <Route path=path!("/finance/invoices") view=finance::components::InvoicesPage ssr=SsrMode::Async/>
                <Route path=path!("/finance/invoices/new") view=finance::components::NewInvoicePage ssr=SsrMode::Async/>
                <Route path=path!("/finance/invoices/:id") view=finance::components::InvoicePage ssr=SsrMode::Async/>
                <Route path=path!("/finance/invoices/:id/edit") view=finance::components::EditInvoicePage ssr=SsrMode::Async/>
                <Route path=path!("/finance/refunds") view=finance::queues::RefundsPage ssr=SsrMode::Async/>
                <Route path=path!("/finance/payments") view=finance::queues::PaymentsPage ssr=SsrMode::Async/>
                <Route path=path!("/finance/customers") view=finance::components::CustomersPage ssr=SsrMode::Async/>
                <Route path=path!("/finance/customers/:id") view=finance::components::CustomerPage ssr=SsrMode::Async/>
        </Routes>
    }
}
