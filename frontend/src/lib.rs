//! The browser side of Gatehouse: only the islands (the forms and other interactive parts)
//! are hydrated; every page is server-rendered HTML that works without JavaScript.

// The islands' hydrate functions are exported from the `app` crate; naming it links them in.
extern crate app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // A server function that redirects (sign-in, sign-out, switching organization…) loads the
    // new page: there is no client-side router.
    let _ = server_fn::redirect::set_redirect_hook(|path| {
        if let Some(window) = web_sys::window() {
            let _ = window.location().set_href(path);
        }
    });
    leptos::mount::hydrate_islands();
}
