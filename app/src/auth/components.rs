//! The sign-in and sign-up pages. The forms are islands; the pages around them are
//! server-rendered.

use super::api::{ConfirmSignUp, SignIn, SignUp};
use super::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use crate::ui::PostForm;
use crate::ui::{ErrorAlert, Page, field_error, form_action};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn LoginPage() -> impl IntoView {
    let next = use_query_map().read_untracked().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in · Gatehouse"/>
        <Page>
        <section class="auth-card">
            <h1>"Sign in to Gatehouse"</h1>
            <LoginForm next/>
            <p class="muted">"New to Gatehouse? " <a href="/signup">"Create an account"</a></p>
        </section>
        </Page>
    }
}

#[island]
fn LoginForm(next: String) -> impl IntoView {
    let (action, result) = form_action::<SignIn>();
    view! {
        <PostForm action>
            <input type="hidden" name="next" value=next/>
            <label for="email">"Email"</label>
            <input id="email" type="email" name="email" autocomplete="username" required
                maxlength="254" aria-invalid=field_error(result, "email")/>
            <label for="password">"Password"</label>
            <input id="password" type="password" name="password" autocomplete="current-password" required
                maxlength=MAX_PASSWORD_CHARS.to_string()/>
            <ErrorAlert result/>
            <button type="submit" disabled=move || action.pending().get()>"Sign in"</button>
        </PostForm>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    view! {
        <Title text="Create your account · Gatehouse"/>
        <Page>
        <section class="auth-card">
            <h1>"Create your Gatehouse account"</h1>
            <p class="muted">"You will own a new organization, with a 14-day trial."</p>
            <SignupForm/>
            <p class="muted">"Already have an account? " <a href="/login">"Sign in"</a></p>
        </section>
        </Page>
    }
}

#[island]
fn SignupForm() -> impl IntoView {
    let (action, result) = form_action::<SignUp>();
    view! {
        <PostForm action>
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
        </PostForm>
    }
}

/// After a sign-up: the link is in the mail.
#[component]
pub fn SignupSentPage() -> impl IntoView {
    let email = use_query_map().read_untracked().get("email").unwrap_or_else(|| "your address".into());
    view! {
        <Title text="Check your email · Gatehouse"/>
        <Page>
        <section class="auth-card">
            <h1>"Check your email"</h1>
            <p role="status">"We sent a link to " <strong>{email}</strong> " to finish creating your account."</p>
            <p class="muted">"It works once, for 24 hours. Nothing arrived? Check the spam folder, or "
                <a href="/signup">"sign up again"</a>"."</p>
        </section>
        </Page>
    }
}

/// Where a sign-up link leads: the password chosen at sign-up and one button create the
/// account (a button, so a mail scanner following the link creates nothing).
#[component]
pub fn SignupConfirmPage() -> impl IntoView {
    let token = use_params_map().read_untracked().get("token").unwrap_or_default();
    view! {
        <Title text="Create your account · Gatehouse"/>
        <Page>
        <section class="auth-card">
            <h1>"Confirm your account"</h1>
            <p>"Your email address is confirmed by this link. Enter the password you chose to create the account and its organization."</p>
            <ConfirmSignupForm token/>
        </section>
        </Page>
    }
}

#[island]
fn ConfirmSignupForm(token: String) -> impl IntoView {
    let (action, result) = form_action::<ConfirmSignUp>();
    view! {
        <PostForm action>
            <input type="hidden" name="token" value=token/>
            <label for="confirm-password">"Password"</label>
            <input id="confirm-password" type="password" name="password" autocomplete="current-password" required
                maxlength=MAX_PASSWORD_CHARS.to_string() aria-invalid=field_error(result, "password")/>
            <ErrorAlert result/>
            <button type="submit" disabled=move || action.pending().get()>"Create my account"</button>
        </PostForm>
    }
}
