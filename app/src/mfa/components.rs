//! The authentication-code page, `/settings/security` and `/step-up`.

use super::api::{
    ChangePassword, ConfirmTotpEnrollment, DisableTotp, EnrollmentStart, OWN_SECURITY, RevokeOtherSessions,
    RevokeSession, SecurityOverview, SendStepUpCode, SetAnalyticsPin, StartTotpEnrollment, StepUp, VerifySecondFactor,
    get_security,
};
use crate::error::AppError;
use crate::ui::{ErrorAlert, ErrorPanel, Loaded, Page, SuccessNote, field_error, gated, use_session};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn MfaSignInPage() -> impl IntoView {
    let action = ServerAction::<VerifySecondFactor>::new();
    let result: Signal<Option<Result<(), AppError>>> = action.value().into();
    view! {
        <Title text="Two-factor authentication · Gatehouse"/>
        <Page>
            <section class="auth-card">
                <h1>"Two-factor authentication"</h1>
                <p class="muted">
                    "Open your authenticator app and enter the 6-digit code for Gatehouse. "
                    "Lost your device? Enter one of your recovery codes instead."
                </p>
                <ActionForm action>
                    <label for="code">"Authentication code"</label>
                    <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required
                        maxlength="20" aria-invalid=field_error(result, "code")/>
                    <ErrorAlert result/>
                    <button type="submit" disabled=move || action.pending().get()>"Verify"</button>
                </ActionForm>
                <p class="muted"><a href="/login">"Start over"</a></p>
            </section>
        </Page>
    }
}

/// The security page's actions and its overview, made above the page frame.
#[derive(Clone, Copy)]
struct SecurityActions {
    start: ServerAction<StartTotpEnrollment>,
    confirm: ServerAction<ConfirmTotpEnrollment>,
    disable: ServerAction<DisableTotp>,
    pin: ServerAction<SetAnalyticsPin>,
    revoke: ServerAction<RevokeSession>,
    revoke_others: ServerAction<RevokeOtherSessions>,
    password: ServerAction<ChangePassword>,
    overview: Resource<Result<SecurityOverview, AppError>>,
}

#[component]
pub fn SecurityPage() -> impl IntoView {
    let ctx = use_session();
    let (start, confirm, disable, pin) =
        (ServerAction::new(), ServerAction::new(), ServerAction::new(), ServerAction::new());
    let (revoke, revoke_others, password) = (ServerAction::new(), ServerAction::new(), ServerAction::new());
    let overview = gated(
        OWN_SECURITY,
        move || {
            (
                confirm.version().get(),
                disable.version().get(),
                pin.version().get(),
                revoke.version().get(),
                revoke_others.version().get(),
                password.version().get(),
            )
        },
        |_| get_security(),
    );
    let actions = SecurityActions { start, confirm, disable, pin, revoke, revoke_others, password, overview };
    provide_context(actions);
    // Turning MFA on or off changes what the header may show.
    Effect::new(move |_| {
        let on = matches!(actions.confirm.value().get(), Some(Ok(_)));
        let off = matches!(actions.disable.value().get(), Some(Ok(_)));
        if on || off {
            ctx.reload();
        }
    });
    view! {
        <Title text="Security · Gatehouse"/>
        <Page>
            <Security/>
        </Page>
    }
}

#[component]
fn Security() -> impl IntoView {
    let a = expect_context::<SecurityActions>();
    view! {
        <h1>"Security"</h1>
        <RecoveryCodes/>
        <Loaded resource={a.overview} render={|o: SecurityOverview| view! { <Sections o/> }}/>
    }
}

/// The recovery codes, shown once, right after two-factor is turned on.
#[component]
fn RecoveryCodes() -> impl IntoView {
    let a = expect_context::<SecurityActions>();
    let query = use_query_map();
    move || {
        let Some(Ok(codes)) = a.confirm.value().get() else { return None };
        let next = crate::auth::api::safe_next(query.read().get("next").as_deref());
        let items = codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view();
        Some(view! {
            <section class="card narrow" aria-labelledby="codes-title">
                <h2 id="codes-title">"Save your recovery codes"</h2>
                <p class="alert alert-ok" role="status">"Two-factor authentication is on."</p>
                <p>
                    "Each code signs you in once if you lose your authenticator. "
                    "They are shown only now: keep them somewhere safe."
                </p>
                <ul class="codes">{items}</ul>
                <p><a href=next>"Continue"</a></p>
            </section>
        })
    }
}

#[component]
fn Sections(o: SecurityOverview) -> impl IntoView {
    let query = use_query_map();
    let required = o.mfa_required && !o.mfa_enrolled;
    let asked = query.read_untracked().get("required").is_some();
    view! {
        {(required || asked && !o.mfa_enrolled).then(|| view! {
            <p class="alert alert-warn" role="alert">
                "Your role requires two-factor authentication. Until you set it up, Gatehouse keeps "
                "finance, team, settings and audit actions closed to you."
            </p>
        })}
        <TwoFactor o=o.clone()/>
        <StepUpStatus o=o.clone()/>
        <Pin has_pin=o.has_pin/>
        <Sessions o=o.clone()/>
        <Password/>
    }
}

#[component]
fn TwoFactor(o: SecurityOverview) -> impl IntoView {
    let a = expect_context::<SecurityActions>();
    let start: Signal<Option<Result<EnrollmentStart, AppError>>> = a.start.value().into();
    let confirm: Signal<Option<Result<Vec<String>, AppError>>> = a.confirm.value().into();
    let disable: Signal<Option<Result<(), AppError>>> = a.disable.value().into();
    let enrollment = move || {
        let Some(Ok(e)) = start.get() else { return None };
        if matches!(confirm.get(), Some(Ok(_))) {
            return None;
        }
        Some(view! {
            <div class="enroll">
                <p>"Scan this code with an authenticator app (1Password, Google Authenticator, Authy…):"</p>
                <div class="qr" inner_html=e.qr_svg></div>
                <p>"Can't scan it? Enter this key: " <code class="secret" data-testid="totp-secret">{e.secret}</code></p>
                <ActionForm action=a.confirm>
                    <label for="enroll-code">"Authentication code"</label>
                    <input id="enroll-code" name="code" inputmode="numeric" autocomplete="one-time-code" required
                        maxlength="10" aria-invalid=field_error(confirm, "code")/>
                    <ErrorAlert result=confirm/>
                    <button type="submit">"Confirm"</button>
                </ActionForm>
            </div>
        })
    };
    let body = if o.mfa_enrolled {
        view! {
            <p>
                <span class="badge outcome-allowed">"On"</span>
                {format!(" Recovery codes left: {}", o.recovery_codes_left)}
            </p>
            <details>
                <summary>"Set up a new authenticator"</summary>
                <ActionForm action=a.start>
                    <label for="re-password">"Current password"</label>
                    <input id="re-password" type="password" name="password" autocomplete="current-password" required/>
                    <label for="re-code">"Code from your current authenticator"</label>
                    <input id="re-code" name="code" inputmode="numeric" required maxlength="10"/>
                    <ErrorAlert result=start/>
                    <button type="submit">"Set up a new authenticator"</button>
                </ActionForm>
            </details>
            <details>
                <summary>"Turn off two-factor authentication"</summary>
                <ActionForm action=a.disable>
                    <label for="off-password">"Current password"</label>
                    <input id="off-password" type="password" name="password" autocomplete="current-password" required/>
                    <label for="off-code">"Authentication or recovery code"</label>
                    <input id="off-code" name="code" required maxlength="20"/>
                    <label class="checkbox">
                        <input type="checkbox" name="end_other_sessions" value="on" checked/>
                        "Also sign out my other sessions"
                    </label>
                    <ErrorAlert result=disable/>
                    <button type="submit" class="button-danger">"Turn off two-factor authentication"</button>
                </ActionForm>
            </details>
        }
        .into_any()
    } else {
        view! {
            <p><span class="badge outcome-failed">"Off"</span></p>
            <ActionForm action=a.start>
                <label for="enroll-password">"Current password"</label>
                <input id="enroll-password" type="password" name="password" autocomplete="current-password" required
                    aria-invalid=field_error(start, "password")/>
                <ErrorAlert result=start/>
                <button type="submit">"Set up two-factor authentication"</button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <section class="card narrow" aria-labelledby="mfa-title">
            <h2 id="mfa-title">"Two-factor authentication"</h2>
            {body}
            {enrollment}
        </section>
    }
}

#[component]
fn StepUpStatus(o: SecurityOverview) -> impl IntoView {
    let status = match (&o.step_up_locked_until, &o.step_up_until) {
        (Some(until), _) => format!("Step-up is locked until {until} after repeated failures."),
        (None, Some(until)) => format!("Analytics is unlocked for this session until {until}."),
        (None, None) => "Analytics asks you to verify it's you once per session, for 24 hours.".into(),
    };
    view! {
        <section class="card narrow" aria-labelledby="stepup-title">
            <h2 id="stepup-title">"Analytics unlock"</h2>
            <p>{status}</p>
            <p><a href="/step-up?next=/analytics">"Unlock analytics now"</a></p>
        </section>
    }
}

#[component]
fn Pin(has_pin: bool) -> impl IntoView {
    let a = expect_context::<SecurityActions>();
    let result: Signal<Option<Result<(), AppError>>> = a.pin.value().into();
    view! {
        <section class="card narrow" aria-labelledby="pin-title">
            <h2 id="pin-title">"Analytics PIN"</h2>
            <p class="muted">
                {if has_pin { "A PIN is set. It unlocks analytics in place of a code." }
                 else { "Set a PIN of 6 to 12 digits to unlock analytics without your phone." }}
            </p>
            <ActionForm action=a.pin>
                <label for="pin-password">"Current password"</label>
                <input id="pin-password" type="password" name="password" autocomplete="current-password" required
                    aria-invalid=field_error(result, "password")/>
                <label for="pin-new">"New PIN"</label>
                <input id="pin-new" type="password" name="pin" inputmode="numeric" autocomplete="off" required
                    minlength="6" maxlength="12" aria-invalid=field_error(result, "pin")/>
                <ErrorAlert result/>
                <SuccessNote result message="PIN saved."/>
                <button type="submit">"Save PIN"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Sessions(o: SecurityOverview) -> impl IntoView {
    let a = expect_context::<SecurityActions>();
    let revoke: Signal<Option<Result<(), AppError>>> = a.revoke.value().into();
    let others = o.sessions.iter().filter(|s| !s.current).count();
    let rows = o
        .sessions
        .into_iter()
        .map(|s| {
            let label =
                format!("End session on {} from {}", s.device, s.ip.clone().unwrap_or_else(|| "unknown".into()));
            let action = if s.current {
                view! { <span class="badge">"This device"</span> }.into_any()
            } else {
                view! {
                    <ActionForm action=a.revoke>
                        <input type="hidden" name="session_id" value=s.id.clone()/>
                        <button type="submit" class="button-secondary" aria-label=label>"End session"</button>
                    </ActionForm>
                }
                .into_any()
            };
            view! {
                <tr>
                    <td>{s.device}</td>
                    <td>{s.ip}</td>
                    <td>{s.created}</td>
                    <td>{s.last_seen}</td>
                    <td>{action}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Sessions"</h2>
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"Device"</th>
                        <th scope="col">"IP address"</th>
                        <th scope="col">"Signed in"</th>
                        <th scope="col">"Last seen"</th>
                        <th scope="col">""</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <ErrorAlert result=revoke/>
            {(others > 0).then(|| view! {
                <ActionForm action=a.revoke_others>
                    <button type="submit" class="button-secondary">"End all other sessions"</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn Password() -> impl IntoView {
    let a = expect_context::<SecurityActions>();
    let result: Signal<Option<Result<(), AppError>>> = a.password.value().into();
    view! {
        <section class="card narrow" aria-labelledby="password-title">
            <h2 id="password-title">"Password"</h2>
            <ActionForm action=a.password>
                <label for="pw-current">"Current password"</label>
                <input id="pw-current" type="password" name="current_password" autocomplete="current-password" required
                    aria-invalid=field_error(result, "password")/>
                <label for="pw-new">"New password"</label>
                <input id="pw-new" type="password" name="new_password" autocomplete="new-password" required
                    minlength="8" maxlength="128" aria-invalid=field_error(result, "new_password")/>
                <label class="checkbox">
                    <input type="checkbox" name="end_other_sessions" value="on" checked/>
                    "Sign out my other sessions"
                </label>
                <ErrorAlert result/>
                <SuccessNote result message="Password changed."/>
                <button type="submit">"Change password"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn StepUpPage() -> impl IntoView {
    let totp = ServerAction::<StepUp>::new();
    let pin = ServerAction::<StepUp>::new();
    let email = ServerAction::<StepUp>::new();
    let send = ServerAction::<SendStepUpCode>::new();
    let overview = gated(
        OWN_SECURITY,
        move || (totp.version().get(), pin.version().get(), email.version().get()),
        |_| get_security(),
    );
    view! {
        <Title text="Verify it's you · Gatehouse"/>
        <Page>
            <StepUpForms totp pin email send overview/>
        </Page>
    }
}

#[component]
fn StepUpForms(
    totp: ServerAction<StepUp>,
    pin: ServerAction<StepUp>,
    email: ServerAction<StepUp>,
    send: ServerAction<SendStepUpCode>,
    overview: Resource<Result<SecurityOverview, AppError>>,
) -> impl IntoView {
    let query = use_query_map();
    let next = move || crate::auth::api::safe_next(query.read().get("next").as_deref());
    let totp_result: Signal<Option<Result<(), AppError>>> = totp.value().into();
    let pin_result: Signal<Option<Result<(), AppError>>> = pin.value().into();
    let email_result: Signal<Option<Result<(), AppError>>> = email.value().into();
    let send_result: Signal<Option<Result<(), AppError>>> = send.value().into();
    view! {
        <section class="card narrow">
            <h1>"Verify it's you"</h1>
            <p class="muted">
                "Analytics shows your organization's numbers. Confirm it's you once and this session stays "
                "unlocked for 24 hours. Five failed attempts lock unlocking for 30 minutes."
            </p>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let o = match overview.await {
                        Ok(o) => o,
                        Err(error) => return view! { <ErrorPanel error/> }.into_any(),
                    };
                    let locked = o.step_up_locked_until.clone().map(|until| view! {
                        <p class="alert alert-error" role="alert">
                            {format!("Step-up is locked until {until} after 5 failed attempts.")}
                        </p>
                    });
                    view! {
                        {locked}
                        {o.mfa_enrolled.then(|| view! {
                            <ActionForm action=totp>
                                <input type="hidden" name="method" value="totp"/>
                                <input type="hidden" name="next" value=next/>
                                <label for="su-code">"Authentication code"</label>
                                <input id="su-code" name="code" inputmode="numeric" autocomplete="one-time-code"
                                    required maxlength="10"/>
                                <ErrorAlert result=totp_result/>
                                <button type="submit">"Unlock with authenticator"</button>
                            </ActionForm>
                        })}
                        {o.has_pin.then(|| view! {
                            <ActionForm action=pin>
                                <input type="hidden" name="method" value="pin"/>
                                <input type="hidden" name="next" value=next/>
                                <label for="su-pin">"Analytics PIN"</label>
                                <input id="su-pin" type="password" name="code" inputmode="numeric" required maxlength="12"/>
                                <ErrorAlert result=pin_result/>
                                <button type="submit">"Unlock with PIN"</button>
                            </ActionForm>
                        })}
                        <div class="email-step-up">
                            <ActionForm action=send>
                                <button type="submit" class="button-secondary">"Email me a code"</button>
                                <ErrorAlert result=send_result/>
                                <SuccessNote result=send_result message="We sent a code to your email address."/>
                            </ActionForm>
                            <ActionForm action=email>
                                <input type="hidden" name="method" value="email"/>
                                <input type="hidden" name="next" value=next/>
                                <label for="su-email">"Emailed code"</label>
                                <input id="su-email" name="code" inputmode="numeric" required maxlength="6"/>
                                <ErrorAlert result=email_result/>
                                <button type="submit">"Unlock with emailed code"</button>
                            </ActionForm>
                        </div>
                    }
                    .into_any()
                })}
            </Transition>
        </section>
    }
}
