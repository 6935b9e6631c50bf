//! The browser side of Gatehouse: only the islands (the forms and other interactive parts)
//! are hydrated; every page is server-rendered HTML that works without JavaScript.

// The islands' hydrate functions are exported from the `app` crate; naming it links them in.
extern crate app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // There is no client-side router: a server function that redirects loads the new page
    // (ActionForm installs that redirect hook).
    leptos::mount::hydrate_islands();
}
