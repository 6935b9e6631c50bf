//! Form feedback shared by every form.

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The result of a form's last submission, `None` before the first.
pub type Submitted<T> = Signal<Option<Result<T, AppError>>>;

/// A form's server action and the result of its last submission (for [`ErrorAlert`],
/// [`SuccessNote`] and [`field_error`]).
pub fn form_action<S>() -> (ServerAction<S>, Submitted<S::Output>)
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    (action, action.value().into())
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
