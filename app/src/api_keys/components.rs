//! `/settings/api-keys`.

use super::api::{API_KEYS_MANAGE, CreateApiKey, RevokeApiKey, list_api_keys};
use super::{DEFAULT_DAYS, KeyView, KeysPage, MAX_DAYS, ScopeChoice};
use crate::ui::{DoneNote, ErrorAlert, Loaded, Page, field_error, form_action, gated};
use crate::ui::{FormAction, PostForm};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let page = gated(API_KEYS_MANAGE, || (), |_| list_api_keys());
    view! {
        <Title text="API keys · Gatehouse"/>
        <Page>
            <section class="card">
                <h1>"API keys"</h1>
                <p class="muted">
                    "A key acts for you through the API at " <code>"/v1"</code> " (see " <a href="/docs/api">"the API reference"</a>
                    "), with the scopes you choose and never more than your role allows. Send it only as "
                    <code>"Authorization: Bearer …"</code> "."
                </p>
                <DoneNote key="revoked" message="The key is revoked: it stops working at once."/>
                <Loaded resource=page render={|p: KeysPage| view! { <Keys page=p/> }}/>
            </section>
        </Page>
    }
}

#[component]
fn Keys(page: KeysPage) -> impl IntoView {
    let KeysPage { keys, scopes } = page;
    let list = if keys.is_empty() {
        view! { <p class="muted">"No keys yet."</p> }.into_any()
    } else {
        let rows = keys.into_iter().map(|k| view! { <KeyRow key_view=k/> }).collect_view();
        view! {
            <table class="table" data-testid="api-keys">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Made by"</th>
                        <th scope="col">"Scopes"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col"></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        {list}
        <h2>"New key"</h2>
        <CreateKeyForm scopes/>
    }
}

#[component]
fn KeyRow(key_view: KeyView) -> impl IntoView {
    let k = key_view;
    let lost: Vec<String> = k.scopes.iter().filter(|s| !k.effective.contains(s)).cloned().collect();
    let scopes = k.effective.join(", ");
    let lost = (!lost.is_empty()).then(|| {
        view! { <br/><span class="small muted">"Beyond the maker's role now, so not applied: " {lost.join(", ")}</span> }
    });
    let used = match (k.last_used, k.last_used_ip) {
        (Some(at), Some(ip)) => format!("{at} from {ip}"),
        (Some(at), None) => at,
        _ => "never".into(),
    };
    let action = match k.ended {
        Some(ended) => view! { <span class="badge badge-warn">{ended}</span> }.into_any(),
        None => view! { <RevokeKeyForm key_id=k.id.clone() name=k.name.clone()/> }.into_any(),
    };
    view! {
        <tr>
            <td>{k.name}</td>
            <td><code>{k.prefix} "…"</code></td>
            <td>{k.maker}</td>
            <td class="small">{scopes}{lost}</td>
            <td class="nowrap">{k.expires}</td>
            <td class="nowrap">{used}</td>
            <td>{action}</td>
        </tr>
    }
}

#[island]
fn RevokeKeyForm(key_id: String, name: String) -> impl IntoView {
    let action = FormAction::new::<RevokeApiKey>();
    view! {
        <PostForm action>
            <input type="hidden" name="key_id" value=key_id/>
            <button type="submit" class="button-danger" aria-label=format!("Revoke {name}")>"Revoke"</button>
        </PostForm>
    }
}

#[island]
fn CreateKeyForm(scopes: Vec<ScopeChoice>) -> impl IntoView {
    let (action, result) = form_action::<CreateApiKey>();
    let boxes = scopes
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let id = format!("scope-{}", s.key.replace('.', "-"));
            let for_id = id.clone();
            view! {
                <label class="check" for=for_id>
                    <input type="checkbox" id=id name=format!("scopes[{i}]") value=s.key.clone()/>
                    " " {s.label} " " <code class="small">{s.key}</code>
                </label>
            }
        })
        .collect_view();
    view! {
        <PostForm action>
            <label for="key-name">"Name"</label>
            <input id="key-name" name="name" required maxlength="80" aria-invalid=field_error(result, "name")/>
            <fieldset aria-invalid=field_error(result, "scopes")>
                <legend>"Scopes"</legend>
                {boxes}
            </fieldset>
            <label for="key-days">"Expires after (days)"</label>
            <input id="key-days" name="days" type="number" min="1" max=MAX_DAYS value=DEFAULT_DAYS
                aria-invalid=field_error(result, "days")/>
            <ErrorAlert result/>
            {move || result.get().and_then(Result::ok).map(|made| view! {
                <div class="alert alert-ok" role="status" data-testid="new-key">
                    <p>"Key “" {made.name} "” made. Copy it now: it is shown only this once."</p>
                    <p><code class="secret" data-testid="new-key-secret">{made.secret}</code></p>
                    <p class="small">"Scopes: " {made.scopes.join(", ")} ". Expires " {made.expires} "."</p>
                </div>
            })}
            <button type="submit" disabled=move || action.pending().get()>"Create key"</button>
        </PostForm>
    }
}
