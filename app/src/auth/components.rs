//! The sign-in and sign-up pages.

use super::api::{SignIn, SignUp};
use super::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use crate::error::AppError;
use crate::ui::{ErrorAlert, Page, field_error};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let result: Signal<Option<Result<(), AppError>>> = action.value().into();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in · Gatehouse"/>
        <Page>
        <section class="auth-card">
            <h1>"Sign in to Gatehouse"</h1>
            <ActionForm action>
                <input type="hidden" name="next" value=next/>
                <label for="email">"Email"</label>
                <input id="email" type="email" name="email" autocomplete="username" required
                    maxlength="254" aria-invalid=field_error(result, "email")/>
                <label for="password">"Password"</label>
                <input id="password" type="password" name="password" autocomplete="current-password" required
                    maxlength=MAX_PASSWORD_CHARS.to_string()/>
                <ErrorAlert result/>
                <button type="submit" disabled=move || action.pending().get()>"Sign in"</button>
            </ActionForm>
            <p class="muted">"New to Gatehouse? " <a href="/signup">"Create an account"</a></p>
        </section>
        </Page>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let result: Signal<Option<Result<(), AppError>>> = action.value().into();
    view! {
        <Title text="Create your account · Gatehouse"/>
        <Page>
        <section class="auth-card">
            <h1>"Create your Gatehouse account"</h1>
            <p class="muted">"You will own a new organization, with a 14-day trial."</p>
            <ActionForm action>
                <label for="name">"Your name"</label>
                <input id="name" name="name" autocomplete="name" required maxlength="100"
                    aria-invalid=field_error(result, "name")/>
                <label for="email">"Email"</label>
                <input id="email" type="email" name="email" autocomplete="email" required maxlength="254"
                    aria-invalid=field_error(result, "email")/>
                <label for="password">"Password"</label>
                <input id="password" type="password" name="password" autocomplete="new-password" required
                    minlength=MIN_PASSWORD_CHARS.to_string() maxlength=MAX_PASSWORD_CHARS.to_string()
                    aria-describedby="password-hint" aria-invalid=field_error(result, "password")/>
                <p id="password-hint" class="hint">
                    {format!("{MIN_PASSWORD_CHARS}–{MAX_PASSWORD_CHARS} characters. A passphrase of a few words is easy to remember and hard to guess.")}
                </p>
                <label for="organization">"Organization name"</label>
                <input id="organization" name="organization" autocomplete="organization" required maxlength="80"
                    aria-invalid=field_error(result, "organization")/>
                <ErrorAlert result/>
                <button type="submit" disabled=move || action.pending().get()>"Create account"</button>
            </ActionForm>
            <p class="muted">"Already have an account? " <a href="/login">"Sign in"</a></p>
        </section>
        </Page>
    }
}
