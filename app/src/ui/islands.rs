//! Gatehouse renders every page on the server; only islands (`#[island]` components, almost
//! all of them forms) run in the browser. An island takes its data as props and never reads a
//! context made outside it (the server's session, the router): in the browser there is none.
//! An action whose success changes what the page shows redirects to the page again (the
//! server function calls `leptos_axum::redirect`, which works with and without JavaScript),
//! and the page says what was done with a [`super::DoneNote`]; an island refetches data only
//! where a reload would lose something on screen (recovery codes, an invitation outcome).
//! This keeps the wasm small: views and wire types of data the browser never re-renders stay
//! on the server.

use leptos::prelude::*;

/// The last island of every page: once it runs, every island before it has hydrated (they
/// hydrate in document order). Marks `<body data-hydrated>` for tests and people.
#[island]
pub fn HydrationMarker() -> impl IntoView {
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
