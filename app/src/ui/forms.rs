//! Form feedback shared by every form.

use crate::error::AppError;
use leptos::prelude::*;

/// The error of the last submission of a form, announced to screen readers.
#[component]
pub fn ErrorAlert<T>(result: Signal<Option<Result<T, AppError>>>) -> impl IntoView
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
pub fn SuccessNote<T>(result: Signal<Option<Result<T, AppError>>>, message: &'static str) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    move || matches!(result.get(), Some(Ok(_))).then(|| view! { <p class="alert alert-ok" role="status">{message}</p> })
}

/// Whether the last submission failed on `field` (for `aria-invalid`).
pub fn field_error<T: Clone + Send + Sync + 'static>(
    result: Signal<Option<Result<T, AppError>>>,
    field: &'static str,
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || match result.get() {
        Some(Err(error)) if error.field() == Some(field) => "true",
        _ => "false",
    }
}
