//! The authentication-code page, `/settings/security` and `/step-up`.

use super::api::{
    ChangePassword, ConfirmTotpEnrollment, DisableTotp, OWN_SECURITY, RevokeOtherSessions, RevokeSession,
    SecurityOverview, SendStepUpCode, SessionInfo, SetAnalyticsPin, StartTotpEnrollment, StepUp, VerifySecondFactor,
    get_security,
};
use crate::ui::PostForm;
use crate::ui::{DoneNote, ErrorAlert, ErrorPanel, Loaded, Page, SuccessNote, field_error, form_action, gated};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn MfaSignInPage() -> impl IntoView {
    view! {
        <Title text="Two-factor authentication · Gatehouse"/>
        <Page>
            <section class="auth-card">
                <h1>"Two-factor authentication"</h1>
                <p class="muted">
                    "Open your authenticator app and enter the 6-digit code for Gatehouse. "
                    "Lost your device? Enter one of your recovery codes instead."
                </p>
                <SecondFactorForm/>
                <p class="muted"><a href="/login">"Start over"</a></p>
            </section>
        </Page>
    }
}

#[island]
fn SecondFactorForm() -> impl IntoView {
    let (action, result) = form_action::<VerifySecondFactor>();
    view! {
        <PostForm action>
            <label for="code">"Authentication code"</label>
            <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required
                maxlength="20" aria-invalid=field_error(result, "code")/>
            <ErrorAlert result/>
            <button type="submit" disabled=move || action.pending().get()>"Verify"</button>
        </PostForm>
    }
}

/// The security page, drawn on the server from the caller's overview; each form is an
/// island, and an action that changes the overview reloads the page (`?done=…`).
#[component]
pub fn SecurityPage() -> impl IntoView {
    let query = use_query_map().read_untracked();
    let next = crate::auth::api::safe_next(query.get("next").as_deref());
    let asked = query.get("required").is_some();
    let overview = gated(OWN_SECURITY, || (), |_| get_security());
    view! {
        <Title text="Security · Gatehouse"/>
        <Page>
            <h1>"Security"</h1>
            <DoneNote key="mfa_off" message="Two-factor authentication is off."/>
            <Loaded resource=overview render={move |o: SecurityOverview| view! { <Sections o next=next.clone() asked/> }}/>
        </Page>
    }
}

#[component]
fn Sections(o: SecurityOverview, next: String, asked: bool) -> impl IntoView {
    let warn = (o.mfa_required || asked) && !o.mfa_enrolled;
    view! {
        <TwoFactor enrolled=o.mfa_enrolled codes_left=o.recovery_codes_left warn next/>
        <StepUpStatus o=o.clone()/>
        <Pin has_pin=o.has_pin/>
        <Sessions sessions=o.sessions/>
        <Password/>
    }
}

/// Turning two-factor on (the recovery codes are shown once, here), replacing the
/// authenticator, turning it off.
#[island]
fn TwoFactor(enrolled: bool, codes_left: i64, warn: bool, next: String) -> impl IntoView {
    let (start, started) = form_action::<StartTotpEnrollment>();
    let (confirm, confirmed) = form_action::<ConfirmTotpEnrollment>();
    let (disable, disabled) = form_action::<DisableTotp>();
    let codes = move || {
        let Some(Ok(codes)) = confirmed.get() else { return None };
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
                <p><a href=next.clone()>"Continue"</a></p>
            </section>
        })
    };
    let warning = move || {
        (warn && confirmed.with(|c| !matches!(c, Some(Ok(_))))).then(|| {
            view! {
                <p class="alert alert-warn" role="alert">
                    "Your role requires two-factor authentication. Until you set it up, Gatehouse keeps "
                    "finance, team, settings and audit actions closed to you."
                </p>
            }
        })
    };
    let enrollment = move || {
        let Some(Ok(e)) = started.get() else { return None };
        if matches!(confirmed.get(), Some(Ok(_))) {
            return None;
        }
        Some(view! {
            <div class="enroll">
                <p>"Scan this code with an authenticator app (1Password, Google Authenticator, Authy…):"</p>
                <div class="qr" inner_html=e.qr_svg></div>
                <p>"Can't scan it? Enter this key: " <code class="secret" data-testid="totp-secret">{e.secret}</code></p>
                <PostForm action=confirm>
                    <label for="enroll-code">"Authentication code"</label>
                    <input id="enroll-code" name="code" inputmode="numeric" autocomplete="one-time-code" required
                        maxlength="10" aria-invalid=field_error(confirmed, "code")/>
                    <ErrorAlert result=confirmed/>
                    <button type="submit">"Confirm"</button>
                </PostForm>
            </div>
        })
    };
    let body = if enrolled {
        view! {
            <p>
                <span class="badge outcome-allowed">"On"</span>
                {format!(" Recovery codes left: {codes_left}")}
            </p>
            <details>
                <summary>"Set up a new authenticator"</summary>
                <PostForm action=start>
                    <label for="re-password">"Current password"</label>
                    <input id="re-password" type="password" name="password" autocomplete="current-password" required/>
                    <label for="re-code">"Code from your current authenticator"</label>
                    <input id="re-code" name="code" inputmode="numeric" required maxlength="10"/>
                    <ErrorAlert result=started/>
                    <button type="submit">"Set up a new authenticator"</button>
                </PostForm>
            </details>
            <details>
                <summary>"Turn off two-factor authentication"</summary>
                <PostForm action=disable>
                    <label for="off-password">"Current password"</label>
                    <input id="off-password" type="password" name="password" autocomplete="current-password" required/>
                    <label for="off-code">"Authentication or recovery code"</label>
                    <input id="off-code" name="code" required maxlength="20"/>
                    <label class="checkbox">
                        <input type="checkbox" name="end_other_sessions" value="on" checked/>
                        "Also sign out my other sessions"
                    </label>
                    <ErrorAlert result=disabled/>
                    <button type="submit" class="button-danger">"Turn off two-factor authentication"</button>
                </PostForm>
            </details>
        }
        .into_any()
    } else {
        view! {
            <p><span class="badge outcome-failed">"Off"</span></p>
            <PostForm action=start>
                <label for="enroll-password">"Current password"</label>
                <input id="enroll-password" type="password" name="password" autocomplete="current-password" required
                    aria-invalid=field_error(started, "password")/>
                <ErrorAlert result=started/>
                <button type="submit">"Set up two-factor authentication"</button>
            </PostForm>
        }
        .into_any()
    };
    view! {
        {codes}
        {warning}
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
    view! {
        <section class="card narrow" aria-labelledby="pin-title">
            <h2 id="pin-title">"Analytics PIN"</h2>
            <p class="muted">
                {if has_pin { "A PIN is set. It unlocks analytics in place of a code." }
                 else { "Set a PIN of 6 to 12 digits to unlock analytics without your phone." }}
            </p>
            <DoneNote key="pin" message="PIN saved."/>
            <PinForm/>
        </section>
    }
}

#[island]
fn PinForm() -> impl IntoView {
    let (action, result) = form_action::<SetAnalyticsPin>();
    view! {
        <PostForm action>
            <label for="pin-password">"Current password"</label>
            <input id="pin-password" type="password" name="password" autocomplete="current-password" required
                aria-invalid=field_error(result, "password")/>
            <label for="pin-new">"New PIN"</label>
            <input id="pin-new" type="password" name="pin" inputmode="numeric" autocomplete="off" required
                minlength="6" maxlength="12" aria-invalid=field_error(result, "pin")/>
            <ErrorAlert result/>
            <button type="submit">"Save PIN"</button>
        </PostForm>
    }
}

#[component]
fn Sessions(sessions: Vec<SessionInfo>) -> impl IntoView {
    let others = sessions.iter().filter(|s| !s.current).count();
    let rows = sessions
        .into_iter()
        .map(|s| {
            let label =
                format!("End session on {} from {}", s.device, s.ip.clone().unwrap_or_else(|| "unknown".into()));
            let action = if s.current {
                view! { <span class="badge">"This device"</span> }.into_any()
            } else {
                view! { <EndSession session_id=s.id.clone() label/> }.into_any()
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
            <DoneNote key="session" message="That session is signed out."/>
            <DoneNote key="sessions" message="Your other sessions are signed out."/>
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
            {(others > 0).then(|| view! { <EndOtherSessions/> })}
        </section>
    }
}

#[island]
fn EndSession(session_id: String, label: String) -> impl IntoView {
    let (action, result) = form_action::<RevokeSession>();
    view! {
        <PostForm action>
            <input type="hidden" name="session_id" value=session_id/>
            <button type="submit" class="button-secondary" aria-label=label>"End session"</button>
            <ErrorAlert result/>
        </PostForm>
    }
}

#[island]
fn EndOtherSessions() -> impl IntoView {
    let (action, result) = form_action::<RevokeOtherSessions>();
    view! {
        <PostForm action>
            <button type="submit" class="button-secondary">"End all other sessions"</button>
            <ErrorAlert result/>
        </PostForm>
    }
}

#[component]
fn Password() -> impl IntoView {
    view! {
        <section class="card narrow" aria-labelledby="password-title">
            <h2 id="password-title">"Password"</h2>
            <DoneNote key="password" message="Password changed."/>
            <PasswordForm/>
        </section>
    }
}

#[island]
fn PasswordForm() -> impl IntoView {
    let (action, result) = form_action::<ChangePassword>();
    view! {
        <PostForm action>
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
            <button type="submit">"Change password"</button>
        </PostForm>
    }
}

#[component]
pub fn StepUpPage() -> impl IntoView {
    let next = crate::auth::api::safe_next(use_query_map().read_untracked().get("next").as_deref());
    view! {
        <Title text="Verify it's you · Gatehouse"/>
        <Page>
            <StepUpForms next/>
        </Page>
    }
}

/// The three ways to unlock, each reloading what the page says about the lock.
#[island]
pub fn StepUpForms(next: String) -> impl IntoView {
    let (totp, totp_result) = form_action::<StepUp>();
    let (pin, pin_result) = form_action::<StepUp>();
    let (email, email_result) = form_action::<StepUp>();
    let (send, send_result) = form_action::<SendStepUpCode>();
    let overview =
        Resource::new(move || (totp.version().get(), pin.version().get(), email.version().get()), |_| get_security());
    let next = StoredValue::new(next);
    let next = move || next.get_value();
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
                            <PostForm action=totp>
                                <input type="hidden" name="method" value="totp"/>
                                <input type="hidden" name="next" value=next/>
                                <label for="su-code">"Authentication code"</label>
                                <input id="su-code" name="code" inputmode="numeric" autocomplete="one-time-code"
                                    required maxlength="10"/>
                                <ErrorAlert result=totp_result/>
                                <button type="submit">"Unlock with authenticator"</button>
                            </PostForm>
                        })}
                        {o.has_pin.then(|| view! {
                            <PostForm action=pin>
                                <input type="hidden" name="method" value="pin"/>
                                <input type="hidden" name="next" value=next/>
                                <label for="su-pin">"Analytics PIN"</label>
                                <input id="su-pin" type="password" name="code" inputmode="numeric" required maxlength="12"/>
                                <ErrorAlert result=pin_result/>
                                <button type="submit">"Unlock with PIN"</button>
                            </PostForm>
                        })}
                        <div class="email-step-up">
                            <PostForm action=send>
                                <button type="submit" class="button-secondary">"Email me a code"</button>
                                <ErrorAlert result=send_result/>
                                <SuccessNote result=send_result message="We sent a code to your email address."/>
                            </PostForm>
                            <PostForm action=email>
                                <input type="hidden" name="method" value="email"/>
                                <input type="hidden" name="next" value=next/>
                                <label for="su-email">"Emailed code"</label>
                                <input id="su-email" name="code" inputmode="numeric" required maxlength="6"/>
                                <ErrorAlert result=email_result/>
                                <button type="submit">"Unlock with emailed code"</button>
                            </PostForm>
                        </div>
                    }
                    .into_any()
                })}
            </Transition>
        </section>
    }
}
