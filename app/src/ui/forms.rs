//! Forms and their feedback, shared by every form.
//!
//! A form posts to its server function exactly what the browser would send without
//! JavaScript (the form's fields, URL-encoded); with JavaScript the island does it in the
//! background and shows the answer in place. Leptos' own `ActionForm` first decodes the
//! fields into the function's arguments and encodes them again, which costs every form its
//! own query-string decoder and encoder in the wasm bundle; the server decodes them anyway.

use crate::error::AppError;
use leptos::prelude::*;
use leptos::reactive::signal::MappedSignal;
use leptos::server_fn::client::Client;
use leptos::server_fn::codec::{Json, PostUrl};
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr, ServerFnUrlError};
use leptos::server_fn::request::ClientReq;
use leptos::server_fn::response::ClientRes;
use leptos::server_fn::{Http, ServerFn};
use serde::de::DeserializeOwned;

/// The result of a form's last submission, `None` before the first.
pub type Submitted<T> = Signal<Option<Result<T, AppError>>>;

/// A form's submissions to one server function (its URL) with the answer `T`: for [`PostForm`].
pub struct FormAction<T: 'static> {
    action: Action<String, Result<T, AppError>>,
    path: &'static str,
}

impl<T> Clone for FormAction<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for FormAction<T> {}

impl<T> FormAction<T>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    /// The submissions to `S` (a function taking URL-encoded fields and answering JSON, as
    /// every `#[server]` function does by default). After a submission without JavaScript
    /// that failed, the server renders the page again with the error, which this starts with.
    pub fn new<S>() -> Self
    where
        S: ServerFn<Output = T, Error = AppError, Protocol = Http<PostUrl, Json>>,
        S::Client: Client<AppError> + 'static,
    {
        let failed = use_context::<leptos::server::ServerActionError>()
            .filter(|error| error.path() == S::PATH)
            .map(|error| Err(ServerFnUrlError::<AppError>::decode_err(error.err())));
        let action = Action::new_with_value(failed, |body: &String| submit::<S::Client, T>(S::PATH, body.clone()));
        FormAction { action, path: S::PATH }
    }

    /// Whether a submission is on its way.
    pub fn pending(&self) -> Memo<bool> {
        self.action.pending()
    }

    /// The answer to the last submission.
    pub fn value(&self) -> MappedSignal<Option<Result<T, AppError>>> {
        self.action.value()
    }

    /// Counts the submissions answered (to reload what they changed).
    pub fn version(&self) -> RwSignal<usize> {
        self.action.version()
    }
}

/// Posts `body` (URL-encoded form fields) to the server function at `path` as Leptos' own
/// forms do, asking for JSON: an error status is the function's error, anything else its
/// answer; a redirect the function asked for is followed after a success.
async fn submit<C, T>(path: &'static str, body: String) -> Result<T, AppError>
where
    C: Client<AppError> + 'static,
    T: DeserializeOwned,
{
    let request = C::Request::try_new_post(path, "application/x-www-form-urlencoded", "application/json", body)?;
    let response = C::send(request).await?;
    let (status, location, redirect) = (response.status(), response.location(), response.has_redirect());
    let bytes = response.try_into_bytes().await?;
    if (400..=599).contains(&status) {
        return Err(AppError::de(bytes));
    }
    let answer = serde_json::from_slice(&bytes)
        .map_err(|error| AppError::from_server_fn_error(ServerFnErrorErr::Deserialization(error.to_string())))?;
    if (300..=399).contains(&status) || redirect {
        leptos::server_fn::redirect::call_redirect_hook(&location);
    }
    Ok(answer)
}

/// A form's submissions to the server function `S` and the result of the last one (for
/// [`ErrorAlert`], [`SuccessNote`] and [`field_error`]).
pub fn form_action<S>() -> (FormAction<S::Output>, Submitted<S::Output>)
where
    S: ServerFn<Error = AppError, Protocol = Http<PostUrl, Json>>,
    S::Output: DeserializeOwned + Clone + Send + Sync + 'static,
    S::Client: Client<AppError> + 'static,
{
    let action = FormAction::new::<S>();
    (action, action.value().into())
}

/// A `<form>` posting to `action`'s server function: a plain HTML form without JavaScript;
/// in an island the fields (and the name and value of the button that submitted them) go in
/// the background and the answer stays on the page, or the page follows the function's
/// redirect.
#[component]
pub fn PostForm<T>(action: FormAction<T>, children: Children) -> impl IntoView
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    #[cfg(feature = "hydrate")]
    let _ = leptos::server_fn::redirect::set_redirect_hook(|location: &str| {
        let _ = window().location().set_href(location);
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        if event.default_prevented() {
            return;
        }
        event.prevent_default();
        match fields_of(&event) {
            Some(body) => {
                action.action.dispatch(body);
            }
            None => {
                action.value().set(Some(Err(AppError::Internal)));
                action.version().update(|n| *n += 1);
            }
        }
    };
    view! { <form action=action.path method="post" on:submit=on_submit>{children()}</form> }
}

/// The URL-encoded fields a submit event sends, as the browser would send them.
fn fields_of(event: &leptos::ev::SubmitEvent) -> Option<String> {
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{FormData, HtmlButtonElement, HtmlFormElement, UrlSearchParams};
    let form: HtmlFormElement = event.target()?.dyn_into().ok()?;
    let fields = FormData::new_with_form(&form).ok()?;
    if let Some(button) = event.submitter().and_then(|s| s.dyn_into::<HtmlButtonElement>().ok())
        && !button.name().is_empty()
    {
        fields.append_with_str(&button.name(), &button.value()).ok()?;
    }
    UrlSearchParams::new_with_str_sequence_sequence(&fields).ok()?.to_string().as_string()
}

/// The error of the last submission of a form, announced to screen readers.
#[component]
pub fn ErrorAlert<T>(result: Submitted<T>) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    move || {
        result.get().and_then(Result::err).map(|error| {
            view! {
                <p class="alert alert-error" role="alert" data-code=error.code().to_string()>
                    {error.to_string()}
                </p>
            }
        })
    }
}

/// A confirmation after a successful submission.
#[component]
pub fn SuccessNote<T>(result: Submitted<T>, message: &'static str) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    move || matches!(result.get(), Some(Ok(_))).then(|| view! { <p class="alert alert-ok" role="status">{message}</p> })
}

/// Whether the last submission failed on `field` (for `aria-invalid`).
pub fn field_error<T: Clone + Send + Sync + 'static>(
    result: Submitted<T>,
    field: &'static str,
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || match result.get() {
        Some(Err(error)) if error.field() == Some(field) => "true",
        _ => "false",
    }
}

/// The note a page shows once an action reloaded it with `?done=KEY`: server functions whose
/// success changes what the page shows redirect there, with or without JavaScript.
#[component]
pub fn DoneNote(key: &'static str, message: &'static str) -> impl IntoView {
    let done = leptos_router::hooks::use_query_map().read_untracked().get("done");
    (done.as_deref() == Some(key)).then(|| view! { <p class="alert alert-ok" role="status">{message}</p> })
}
